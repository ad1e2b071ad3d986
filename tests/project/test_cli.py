"""The command line end to end: exit codes, clear errors, and grading planted mistakes in a sandbox."""
import json
import subprocess
import sys

import pytest

from grader.paths import ROOT

pytestmark = pytest.mark.timeout(600)


def grader(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def results(proc, path):
    return {t["id"]: t for t in json.loads(path.read_text())["assignments"][0]["tasks"]}


def test_unknown_assignment_lists_the_real_ones():
    p = grader("test", "42")
    assert p.returncode == 2 and "no assignment '42'" in p.stderr and "03-linear" in p.stderr


def test_missing_submission_folder():
    p = grader("test", "03", "--impl", "/nonexistent/sub")
    assert p.returncode == 2 and "does not exist" in p.stderr


def test_folder_without_a_starter_package(tmp_path):
    p = grader("grade", "03", str(tmp_path))
    assert p.returncode == 2 and "holds no starter package" in p.stderr


def test_stubs_exit_nonzero_and_read_not_started(tmp_path):
    out = tmp_path / "r.json"
    p = grader("test", "03", "--format", "json", "--out", str(out))
    assert p.returncode == 1
    tasks = results(p, out)
    assert all(t["state"] == "not started" and t["earned"] == 0 for t in tasks.values())


def test_reference_exits_zero(tmp_path):
    p = grader("test", "3", "--impl", "reference")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "70 / 70" in p.stdout


def test_syntax_error_costs_only_the_tasks_of_that_module(reference_copy, tmp_path):
    sub = reference_copy(edits={"nn/relu.py": [("return get_array_module(x).maximum(x, 0)", "return x +* 1")]})
    out = tmp_path / "r.json"
    grader("test", "03", "--impl", str(sub), "--format", "json", "--out", str(out))
    tasks = results(None, out)
    assert tasks["03.3"]["state"] == "error" and "SyntaxError" in tasks["03.3"]["reason"]
    assert "relu.py:" in tasks["03.3"]["reason"]
    assert tasks["03.1"]["state"] == tasks["03.4"]["state"] == "passed"


def test_forbidden_import_is_refused(reference_copy, tmp_path):
    sub = reference_copy(edits={"nn/two_layer.py": [("from ..backend import get_array_module",
                                                  "from ..backend import get_array_module\nimport torch")]})
    out = tmp_path / "r.json"
    grader("test", "03", "--impl", str(sub), "--format", "json", "--out", str(out))
    tasks = results(None, out)
    assert tasks["03.4"]["state"] == "error" and "may not use" in tasks["03.4"]["reason"]
    assert tasks["03.1"]["state"] == "passed"


def test_grade_transposed_dw_says_transposed(reference_copy):
    sub = reference_copy(edits={"nn/linear.py": [("self.W.grad += g2.T @ x2", "self.W.grad += x2.T @ g2")]})
    p = grader("grade", "03", str(sub), "--format", "json")
    tasks = {t["id"]: t for t in json.loads(p.stdout)["assignments"][0]["tasks"]}
    assert [k for k, t in tasks.items() if t["state"] != "passed"] == ["03.2"]
    assert "transposed" in tasks["03.2"]["reason"]


def test_grade_db_mean_says_scaled_by_one_over_n(reference_copy):
    sub = reference_copy(edits={"nn/linear.py": [("g2.sum(axis=0)", "g2.mean(axis=0)")]})
    p = grader("grade", "03", str(sub), "--format", "json")
    tasks = {t["id"]: t for t in json.loads(p.stdout)["assignments"][0]["tasks"]}
    assert [k for k, t in tasks.items() if t["state"] != "passed"] == ["03.2"]
    assert "scaled by 1/N" in tasks["03.2"]["reason"]


def test_grade_not_started_and_infinite_loop_cost_only_their_tasks(reference_copy):
    sub = reference_copy(edits={
        "nn/relu.py": [("        return grad_out * self._mask", "        while True:\n            pass")],
        "nn/two_layer.py": [("    xp = get_array_module(x)\n    W1",
                             "    raise NotImplementedError('Task 03.4: x')\n    xp = get_array_module(x)\n    W1")],
    })
    p = grader("grade", "03", str(sub), "--format", "json", "--timeout", "2")
    res = json.loads(p.stdout)["assignments"][0]
    tasks = {t["id"]: t for t in res["tasks"]}
    assert tasks["03.3"]["state"] == "timeout" and tasks["03.4"]["state"] == "not started"
    assert all(tasks[k]["earned"] == tasks[k]["points"] for k in ("03.1", "03.2", "03.5"))
    assert p.returncode == 1


def test_grade_survives_a_crash(reference_copy):
    sub = reference_copy(edits={"nn/two_layer.py": [("    xp = get_array_module(x)\n    W1",
                                                     "    import os; os._exit(3)\n    xp = get_array_module(x)\n    W1")]})
    p = grader("grade", "03", str(sub), "--format", "json", "--public-only")
    tasks = {t["id"]: t for t in json.loads(p.stdout)["assignments"][0]["tasks"]}
    assert tasks["03.4"]["state"] == "crash" and tasks["03.4"]["earned"] == 0
    assert all(tasks[k]["state"] == "passed" for k in ("03.1", "03.2", "03.3", "03.5"))


def test_a_task_spelled_like_its_assignment_runs_that_task():
    p = grader("test", "3", "--task", "3.2")
    assert p.returncode == 1 and "03.2  Linear backward" in p.stdout
    assert "03.1  Linear forward                         not run" in p.stdout
    assert "total of the tasks run" in p.stdout and "0 / 20" in p.stdout and "/ 70" not in p.stdout


def test_an_unknown_task_lists_the_real_ones():
    p = grader("test", "03", "--task", "03.9")
    assert p.returncode == 2 and "no task '03.9'" in p.stderr and "03.1, 03.2, 03.3, 03.4, 03.5" in p.stderr


def test_long_hints_are_wrapped_not_cut():
    from grader.outcome import State
    from grader.report import table
    from grader.results import AssignmentResult, TaskResult
    hint = "hint: " + " ".join(f"word{i}" for i in range(60))
    t = TaskResult("03.2", "Linear backward", 20, 0, State.FAILED, 0, 1, f"test_x: dW is wrong\n  {hint}")
    text = table(AssignmentResult("03", "03-linear", "Linear", "starter", 0, 20, [t]), colour=False)
    assert "…" not in text and "word59" in text and all(len(ln) <= 124 for ln in text.splitlines())


def test_the_readme_sample_is_a_real_run():
    from grader.instructor import samples
    assert samples.stale() == [], "run `python -m grader readme-sample` (make handouts does)"
