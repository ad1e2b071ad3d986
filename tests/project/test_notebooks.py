"""nbgrader notebooks: generated from the one source, graded like the pytest grader, nothing given away.

The notebooks in dist/nbgrader are build output; these tests rebuild them in memory and prove that
their code cells hold the reference regions and their check cells the current test files, that the
in-notebook runner names, seeds and judges tests exactly as the pytest plugin does, and that the
leak check catches a solution line left in a release. ``make nbgrader-check`` runs nbgrader itself.
"""
import json
import re
import subprocess
import sys
import textwrap

import pytest

from grader import manifest
from grader.errors import UsageError
from grader.instructor import notebooks as nbs
from grader.paths import ROOT

pytestmark = pytest.mark.timeout(300)

A03 = manifest.resolve("03")


@pytest.fixture(scope="module")
def mods():
    return nbs.reference_modules()


@pytest.fixture(scope="module")
def nb03(mods):
    return nbs.build(A03, mods)


def cell(nb, gid):
    return next(c for c in nb.cells if c.grade_id == gid)


def test_every_assignment_builds_in_step_with_the_source():
    problems, summary = nbs.generation_check()
    assert problems == [], problems
    assert f"{len(manifest.all_assignments())} notebook(s)" in summary


def test_one_check_cell_per_task_with_the_manifest_points(nb03):
    checks = [c for c in nb03.cells if c.kind == "checks"]
    assert [c.task.id for c in checks] == [t.id for t in A03.tasks]
    assert [c.points for c in checks] == [t.points for t in A03.tasks]
    data = nb03.to_json()
    metas = [c["metadata"].get("nbgrader", {}) for c in data["cells"]]
    graded = [m for m in metas if m.get("grade")]
    assert all(m["locked"] and not m["solution"] for m in graded)
    assert sum(m["points"] for m in graded) == A03.max_points
    assert len({m["grade_id"] for m in metas if m}) == len([m for m in metas if m])


def test_a_class_split_over_two_tasks(nb03):
    """Linear.forward (03.1) sits in the class's cell; Linear.backward (03.2) is attached in its own cell."""
    first, second = cell(nb03, "task_03_1_code").source, cell(nb03, "task_03_2_code").source
    assert "class Linear(Module):" in first and "def forward" in first and "def backward" not in first
    assert second.splitlines()[1].startswith("def backward(self, grad_out")
    assert second.rstrip().endswith("Linear.backward = backward\ndel backward")
    assert "self.W.grad += g2.T @ x2" in second and "self.W.grad += g2.T @ x2" not in first


def test_code_cells_are_the_reference_and_check_cells_the_test_files(nb03, mods):
    assert nbs.consistency(A03, nb03, mods) == []
    broken = nbs.Notebook(nb03.assignment, [nbs.Cell(**{**c.__dict__}) for c in nb03.cells], nb03.modules,
                          nb03.own_modules)
    c = next(x for x in broken.cells if x.grade_id == "task_03_2_code")
    c.source = c.source.replace("g2.T @ x2", "x2.T @ g2")
    k = next(x for x in broken.cells if x.grade_id == "task_03_3_checks")
    k.source = k.source.replace("def test_gradient_is_zero_at_exactly_zero", "def test_renamed")
    problems = nbs.consistency(A03, broken, mods)
    assert any("03.2" in p and "linear.Linear.backward" in p for p in problems), problems
    assert any("03.3" in p and "test_03_3_relu.py" in p for p in problems), problems


def test_relative_imports_become_notes_and_given_modules_are_locked(nb03):
    given = {c.grade_id: c for c in nb03.cells if c.kind == "given"}
    assert {"given_backend", "given_module"} <= set(given)
    for c in nb03.cells:
        if c.kind in ("setup", "given", "solution"):
            tree = __import__("ast").parse(c.source)
            assert not [n for n in __import__("ast").walk(tree) if getattr(n, "level", 0)], c.grade_id
    assert "# from ..module import Module, Parameter: defined in an earlier cell" in given["given_nn_linear_0"].source
    data = nb03.to_json()
    for c in data["cells"]:
        meta = c["metadata"].get("nbgrader", {})
        if meta.get("grade_id", "").startswith("given_"):
            assert meta["locked"] and c["metadata"]["editable"] is False


def test_hidden_tests_and_the_reference_sit_between_the_markers(nb03):
    src = cell(nb03, "task_03_2_checks").source
    visible, hidden = nbs.split_hidden(src)
    assert "hidden/test_03_2_linear_backward_hidden.py" in hidden and "_hidden.py" not in visible
    assert "checks.reference({" in hidden and "'nn.linear': r'''" in hidden
    assert "BEGIN SOLUTION" not in hidden  # the reference's own markers are removed
    assert visible.rstrip().endswith("checks.run()")
    # a failing cell's traceback quotes the lines above checks.run(): they must be public ones
    assert src.index("### END HIDDEN TESTS") < src.index("checks.add('tests/a03_linear/test_03_2_linear_backward.py'")


def test_the_course_folder_is_written_and_checked_for_staleness(tmp_path):
    course = tmp_path / "course"
    changed = nbs.write(course, [A03])
    assert "source/03-linear/03-linear.ipynb" in changed and "nbgrader_config.py" in changed
    assert (course / "source/03-linear/grader/in_notebook.py").is_file()
    assert not (course / "source/03-linear/grader/instructor").exists()
    assert nbs.stale(course, [A03]) == []
    assert nbs.write(course, [A03]) == []
    nbpath = course / "source/03-linear/03-linear.ipynb"
    nbpath.write_text(nbpath.read_text().replace("Linear forward", "Linear forwards", 1))
    assert any("03-linear.ipynb is stale" in p for p in nbs.stale(course, [A03]))
    data = json.loads(nbs.generate([A03])["source/03-linear/03-linear.ipynb"])
    assert data["nbformat"] == 4 and data["metadata"]["kernelspec"]["name"] == "python3"
    assert len({c["id"] for c in data["cells"]}) == len(data["cells"])


def _run_code_cells(nb):
    """The namespace a kernel would have after running the setup, given and code cells of ``nb``."""
    import __future__
    ns = {"__name__": "__notebook__"}
    for c in nb.cells:
        if c.kind in ("setup", "given", "solution"):
            exec(compile(c.source, c.grade_id, "exec", flags=__future__.annotations.compiler_flag, dont_inherit=True), ns)
    return ns


def test_two_modules_may_define_the_same_private_helper(reference_copy):
    """Different helpers of one name (``_which`` in nn/linear.py and nn/relu.py) keep apart in the one
    namespace: the second is renamed throughout its module, and ``impl`` still reaches each by its own name."""
    edits = {f"nn/{m}.py": [(f'__all__ = ["{cls}"]', f'__all__ = ["{cls}"]\n\n_WHO = "{m}"\n\n\n'
                                                     f'def _which():\n    return _WHO')]
             for m, cls in (("linear", "Linear"), ("relu", "ReLU"))}
    root = reference_copy("clash", edits)
    mods = nbs.reference_modules(root / "starter")
    nb = nbs.build(A03, mods)
    assert nbs.consistency(A03, nb, mods) == []
    setup = cell(nb, "setup").source
    assert "'_WHO': '_WHO__nn_relu'" in setup and "'_which': '_which__nn_relu'" in setup, setup
    impl = _run_code_cells(nb)["impl"]
    assert impl.nn.linear._which() == "linear" and impl.nn.relu._which() == "relu"
    runs = nbs.execute(nb.to_json())
    assert all(r.ok for r in runs.values()), {k: r.output for k, r in runs.items() if not r.ok}


def test_a_clash_a_student_would_meet_is_refused(reference_copy):
    root = reference_copy("clash", {"nn/relu.py": [('__all__ = ["ReLU"]', '__all__ = ["ReLU"]\n\n\nclass Linear:\n    pass')]})
    mods = nbs.reference_modules(root / "starter")
    with pytest.raises(UsageError, match="'Linear' is defined by both nn/linear.py and nn/relu.py"):
        nbs.build(A03, mods)


def test_renaming_touches_names_only():
    from grader.instructor.notebooks.namespace import rename_tokens
    text = textwrap.dedent('''\
        def _pair(v):  # _pair
            return (v, v) if isinstance(v, int) else v


        def size(k, _pair=None):
            s = "_pair"
            return _pair(k) + obj._pair + f(_pair=3)
    ''')
    out = rename_tokens(text, {"_pair": "_pair__nn_conv"})
    assert out.splitlines()[0] == "def _pair__nn_conv(v):  # _pair"
    assert out.splitlines()[-1] == "    return _pair__nn_conv(k) + obj._pair + f(_pair=3)"
    assert 's = "_pair"' in out and "def size(k, _pair=None):" in out


# ---------------------------------------------------------------------------------------------
# The release: no solution line, no hidden test line
# ---------------------------------------------------------------------------------------------

def test_a_release_gives_nothing_away_and_a_planted_line_is_caught(nb03):
    source = nb03.to_json()
    release = nbs.released(source)
    assert nbs.leaks(A03, release) == []
    planted = json.loads(json.dumps(release))
    code = next(c for c in planted["cells"] if c["metadata"]["nbgrader"].get("grade_id") == "task_03_2_code")
    code["source"] = code["source"].replace("raise NotImplementedError()", "self.W.grad += g2.T @ x2")
    problems = nbs.leaks(A03, planted)
    assert any("task_03_2_code" in p and "self.W.grad += g2.T @ x2" in p for p in problems), problems
    hidden = json.loads(json.dumps(release))
    check = next(c for c in hidden["cells"] if c["metadata"]["nbgrader"].get("grade_id") == "task_03_3_checks")
    check["source"] += "\ndef test_backward_uses_the_last_forward(impl, rng):"
    assert any("task_03_3_checks" in p and "hidden test" in p and "test_backward_uses_the_last_forward" in p
               for p in nbs.leaks(A03, hidden))


def test_nbgraders_own_preprocessors_leave_no_solution_and_a_misplaced_marker_is_caught(nb03):
    """A solution line outside the markers survives ``generate_assignment``; the leak check says so."""
    nbformat = pytest.importorskip("nbformat")
    pre = pytest.importorskip("nbgrader.preprocessors")

    def release_of(data):
        nb = nbformat.from_dict(json.loads(json.dumps(data)))
        for p in (pre.ClearSolutions(), pre.ClearHiddenTests()):
            nb, _ = p.preprocess(nb, {})
        return json.loads(nbformat.writes(nb))

    source = nb03.to_json()
    assert nbs.leaks(A03, release_of(source)) == []
    planted = json.loads(json.dumps(source))
    code = next(c for c in planted["cells"] if c["metadata"]["nbgrader"].get("grade_id") == "task_03_1_code")
    code["source"] = code["source"].replace("        ### BEGIN SOLUTION\n        self._x = x\n",
                                            "        self._x = x\n        ### BEGIN SOLUTION\n")
    problems = nbs.leaks(A03, release_of(planted))
    assert any("self._x = x" in p for p in problems), problems


# ---------------------------------------------------------------------------------------------
# Running: full marks, zero, one task; the same names, seeds and messages as pytest
# ---------------------------------------------------------------------------------------------

def test_source_full_release_zero_first_task_only_its_points(nb03):
    source = nb03.to_json()
    full = nbs.execute(source)
    assert all(r.ok for r in full.values()), {k: r.output for k, r in full.items() if not r.ok}
    zero = nbs.execute(nbs.released(source))
    assert not any(r.ok for r in zero.values())
    assert all("not started" in r.output for r in zero.values())
    one = nbs.execute(nbs.released(source, ["03.1"]))
    assert {k for k, r in one.items() if r.ok} == {"task_03_1_checks"}
    assert all(not r.hidden for r in one["task_03_1_checks"].results)  # the release holds public tests only
    assert any(r.hidden for r in full["task_03_1_checks"].results)


def where(message):
    """A message with its code location (a file and line in pytest, a cell in a notebook) left out."""
    return re.sub(r"\n    at [^\n]*", "\n    at <location>", message)


def _pytest_json(args, tmp_path):
    out = tmp_path / "out.json"
    proc = subprocess.run([sys.executable, "-m", "grader", "test", *args, "--format", "json", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert out.is_file(), proc.stderr
    return json.loads(out.read_text())


def test_a_planted_mistake_reads_the_same_in_the_notebook_as_in_pytest(nb03, reference_copy, tmp_path):
    find, replace = "self.W.grad += g2.T @ x2", "self.W.grad += x2.T @ g2"
    sub = reference_copy("sub", {"nn/linear.py": [(find, replace)]})
    res = _pytest_json(["03", "--impl", str(sub), "--hidden", "--task", "03.2"], tmp_path)
    task = res["assignments"][0]["tasks"][1]
    want = {t["name"]: (t["outcome"], where(t["message"])) for t in task["tests"]}
    source = nb03.to_json()
    code = next(c for c in source["cells"] if c["metadata"]["nbgrader"].get("grade_id") == "task_03_2_code")
    code["source"] = code["source"].replace(find, replace)
    run = nbs.execute(source)["task_03_2_checks"]
    got = {r.name: (r.outcome, where(r.message)) for r in run.results}
    assert got == want
    assert "at backward, line 19 of its cell: self.W.grad += x2.T @ g2" in run.results[0].message
    assert not run.ok and "transposed" in run.output and run.output.startswith("AssertionError: Task 03.2")


def test_the_runner_collects_the_tests_pytest_collects():
    """Every test of every assignment, public and hidden, with pytest's parametrize ids and task markers."""
    from grader.in_notebook import collected_names
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "--grader-hidden", "-p",
                           "no:randomly", *[str(a.tests_dir) for a in manifest.all_assignments()]],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    pytest_ids = {ln.strip() for ln in proc.stdout.splitlines() if "::" in ln}
    assert pytest_ids, proc.stdout[-2000:]
    ours = set()
    for a in manifest.all_assignments():
        files, _ = nbs.test_files(a)
        for f in files:
            for name, task in collected_names(f.name, f.source):
                assert task in f.tasks, (f.name, name, task)
                ours.add(f"{f.name}::{name}")
    assert ours == pytest_ids


SEEDS = '''
import json, os
import pytest

pytestmark = pytest.mark.task("09.1")

def record(name, rng):
    with open(os.environ["NNOTT_SEEDS"], "a") as fh:
        fh.write(json.dumps([name, int(rng.integers(2 ** 62))]) + "\\n")

@pytest.mark.parametrize("n", [1, 2.5, "a b", None, (3, 4)])
@pytest.mark.parametrize("k,m", [(1, 2), ("x", [1])], ids=["one", None])
def test_params(rng, n, k, m):
    record("params", rng)

@pytest.mark.parametrize("v", ["same", "same", "same1"])
def test_duplicates(rng, v):
    record("dup", rng)

class TestGroup:
    @pytest.mark.parametrize("w", [pytest.param(0, id="zero"), 7])
    def test_in_class(self, rng, w):
        record("cls", rng)

def test_plain(rng):
    record("plain", rng)
'''


def test_names_and_rng_seeds_match_the_pytest_plugin(tmp_path, monkeypatch):
    from grader.in_notebook import Checks
    path = tmp_path / "test_seeds.py"
    path.write_text(SEEDS)
    theirs, ours = tmp_path / "theirs.jsonl", tmp_path / "ours.jsonl"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-c", str(ROOT / "pyproject.toml"), "--rootdir",
                           str(ROOT), "-p", "no:randomly", str(path)], cwd=ROOT, capture_output=True, text=True,
                          env={**__import__("os").environ, "NNOTT_SEEDS": str(theirs)}, timeout=240)
    assert proc.returncode == 0, proc.stdout[-2000:]
    monkeypatch.setenv("NNOTT_SEEDS", str(ours))
    checks = Checks("09.1", "seeds", impl=None)
    checks.add("test_seeds.py", SEEDS)
    results = checks.results_by_running()
    assert results and all(r.outcome == "passed" for r in results), results
    assert sorted(theirs.read_text().splitlines()) == sorted(ours.read_text().splitlines())
    collected = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-c",
                                str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT), str(path)],
                               cwd=ROOT, capture_output=True, text=True, timeout=240).stdout
    names = {ln.split("::", 1)[1] for ln in collected.splitlines() if "::" in ln}
    assert {r.name for r in results} == names


def test_check_cells_write_nothing_to_stderr(capfd):
    from grader.in_notebook import Checks
    src = textwrap.dedent('''
        import sys, os, warnings
        import pytest
        pytestmark = pytest.mark.task("09.1")

        def test_noisy():
            print("to stdout")
            print("to stderr", file=sys.stderr)
            os.write(2, b"fd 2\\n")
            warnings.warn("a warning")
    ''')
    checks = Checks("09.1", "noise", impl=None)
    checks.add("test_noise.py", src)
    checks.run()
    out, err = capfd.readouterr()
    assert err == "" and "all 1 checks passed" in out and "to stdout" not in out


def test_a_failure_raises_assertion_error_with_the_graders_words():
    from grader.in_notebook import Checks
    src = textwrap.dedent('''
        import numpy as np
        import pytest
        from grader import assert_close
        pytestmark = pytest.mark.task("09.1")

        def test_scaled():
            x = np.arange(1.0, 7.0).reshape(2, 3)
            assert_close(x * 2, x, "dW", batch_size=2)

        def test_plain_assert():
            assert 1 + 1 == 3

        @pytest.mark.skip(reason="not counted")
        def test_skipped():
            raise AssertionError("never")
    ''')
    checks = Checks("09.1", "messages", impl=None)
    checks.add("test_msg.py", src)
    with pytest.raises(AssertionError) as info:
        checks.run()
    text = str(info.value)
    assert text.startswith("Task 09.1 (messages): failed: 0 of 2 checks passed")
    assert "scaled by N = 2 (the batch size)" in text
    assert "assert (1 + 1) == 3" in text
    assert "never" not in text


def test_a_test_past_its_time_limit_is_a_timeout_and_the_task_stops_there(capfd):
    from grader.in_notebook import Checks
    src = textwrap.dedent('''
        import pytest
        pytestmark = pytest.mark.task("09.1")

        @pytest.mark.timeout(0.3)
        def test_spins():
            try:
                while True:
                    pass
            except Exception:   # a student's broad except cannot swallow the time limit
                pass

        def test_after():
            pass
    ''')
    checks = Checks("09.1", "slow", impl=None)
    checks.add("test_slow.py", src)
    results = checks.results_by_running()
    assert [(r.name, r.outcome) for r in results] == [("test_spins", "timeout"), ("test_after", "timeout")]
    assert results[0].message == "Timeout (>0.3s): the test ran past its time limit"
    assert results[1].message == "not run: an earlier test of task 09.1 timed out"
    assert capfd.readouterr().err == ""


def test_a_test_file_that_cannot_load_is_an_error_not_a_crash():
    from grader.in_notebook import Checks
    checks = Checks("09.1", "broken", impl=None).add("tests/a09/test_broken.py", "import pytest\nx = 1 / 0\n")
    with pytest.raises(AssertionError) as info:
        checks.run()
    assert str(info.value).splitlines()[1] == ("- (loading the tests): [error] the tests could not be loaded "
                                               "(tests/a09/test_broken.py:2): ZeroDivisionError: division by zero")


def test_the_notebook_guard_refuses_torch_in_student_cells():
    from grader.in_notebook import NotebookImpl
    ns = {"__name__": "__main__"}
    NotebookImpl(ns, {"linear": ["Linear"]})
    with pytest.raises(ImportError, match="PyTorch is only the tests' oracle"):
        exec("import torch", ns)
    exec("import math", ns)


def test_impl_reads_the_notebook_namespace_and_says_what_is_missing():
    from grader.in_notebook import NotebookImpl
    ns = {"Linear": int}
    impl = NotebookImpl(ns, {"linear": ["Linear", "helper"], "scalar.neuron": ["Neuron"]}, guard=False)
    assert impl.linear.Linear is int
    with pytest.raises(AttributeError, match="not defined yet"):
        _ = impl.linear.helper
    with pytest.raises(AttributeError, match="has no 'Other'"):
        _ = impl.linear.Other
    ns["Neuron"] = str
    assert impl.scalar.neuron.Neuron is str


def test_nbgrader_config_and_cli_wiring():
    text = nbs.config_text()
    assert "c.CourseDirectory.course_id" in text and "c.Execute.timeout" in text
    assert '"nbgrader.preprocessors.ClearHiddenTests"' in text.split("c.GenerateFeedback.preprocessors", 1)[1]
    compile(text, "nbgrader_config.py", "exec")
    proc = subprocess.run([sys.executable, "-m", "grader", "notebooks", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and "course folder" in proc.stdout
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^notebooks:", makefile, re.M) and re.search(r"^nbgrader-check:", makefile, re.M)
