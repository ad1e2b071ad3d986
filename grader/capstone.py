"""Capstones (task 10.4): a model of the library, trained with the library's own trainer, graded on
reaching an accuracy threshold within a time budget.

``python -m grader capstone MODEL [--backend numpy|cupy] [--impl starter|reference|PATH]``
(``make capstone MODEL=lenet BACKEND=numpy IMPL=starter``) builds the model from the package under
test, trains it with ``train/trainer.py``'s ``Trainer`` on a fixed data set with the settings of the
package's own ``train/capstone.py::recipe`` (the student's part of task 10.4), and measures the test
accuracy and the training time. The task earns its points when the accuracy reaches the threshold
and the training time stays within the budget; otherwise it earns nothing and the report says by how
much it fell short and which layers took the time (the trainer's per-layer timing table).

The training runs in a child process (``python -m grader.capstone --child``), so a crash, a hang or
a runaway allocation in the code under test costs only this task; the parent stops it after the
budget plus :data:`GRACE_S`. The child imports the package through :class:`grader.impl.Impl`, so
code under test may not import torch, the reference or the grader here either.

Capstones (:data:`CAPSTONES`) are keyed by model and backend. On NumPy (CPU) they are small: a
fixed subset of MNIST (``--data-dir`` or ``NNOTT_DATA_DIR``), or scikit-learn's bundled digits where
no MNIST copy is found (a student's clone); on CuPy they are the full architectures on the full
data sets (the GPU runner's ``.github/workflows/capstone.yml``). CuPy without a GPU is skipped,
with its reason.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

from . import manifest
from .device import cupy_reason
from .errors import UsageError
from .exits import EXIT_FULL, EXIT_SHORT, EXIT_USAGE
from .outcome import ERROR, FAILED, NOT_STARTED, PASSED, SKIPPED, TIMEOUT, State, TestRecord
from .paths import ROOT, rel
from .report import FORMATS, table
from .results import AssignmentResult, RunResult, TaskResult

__all__ = ["Capstone", "Measurement", "CAPSTONES", "TASK_ID", "DEFAULT_POINTS", "GRACE_S", "MODELS",
           "find", "grade", "result_for", "render_details", "run", "register", "main"]

TASK_ID = "10.4"
TASK_TITLE = "Capstone: a model trained to a threshold in a time budget"
#: the task's points when assignment 10's manifest does not list task 10.4 (it normally does)
DEFAULT_POINTS = 20.0
#: seconds beyond the budget (data loading, building the model, the final timing table) before the child is stopped
GRACE_S = 120.0

#: The child trains with one BLAS thread unless these are set: a budget then means the same on every machine,
#: and OpenBLAS's spinning threads cannot slow a run down tenfold on a busy two-core machine (measured here:
#: five LeNet-5 steps took 1.14 s with OpenBLAS's default threads under load, 0.09 s with one).
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

#: model name -> (module below the package root, class name)
MODELS: dict[str, tuple[str, str]] = {
    "lenet": ("models.lenet", "LeNet5"),
    "baseline_cnn": ("models.baseline_cnn", "BaselineCNN"),
    "alexnet": ("models.alexnet", "AlexNet"),
    "vgg16": ("models.vgg", "VGG16"),
    "resnet18": ("models.resnet", "ResNet18"),
    "efficientnet_lite0": ("models.efficientnet", "EfficientNetLite0"),
    "convnext_tiny": ("models.convnext", "ConvNeXtTiny"),
}


@dataclass(frozen=True)
class Capstone:
    """One graded training run: which model, on which data, to which accuracy, in how long.

    ``train_limit`` / ``test_limit``: the first N samples of each split (``None``: all of it), so the
    subset is the same on every machine. ``budget_s``: seconds of training (every epoch, the
    per-epoch evaluation included; loading the data and building the model are not counted).
    """

    name: str
    model: str
    backend: str
    data: str                 # "mnist", "digits" or "cifar10"
    threshold: float          # test accuracy to reach, a fraction
    budget_s: float
    train_limit: int | None = None
    test_limit: int | None = None
    classes: int = 10
    seed: int = 0
    dtype: str = "float32"
    #: a capstone to fall back on when this one's data set is not on disk (MNIST -> digits)
    fallback: str | None = None
    note: str = ""

    @property
    def chance(self) -> float:
        return 1.0 / self.classes

    @property
    def image(self) -> tuple[int, int]:
        """``(channels, side)`` of the images the model is built for."""
        return (3, 32) if self.data == "cifar10" else (1, 28)


CAPSTONES: dict[str, Capstone] = {c.name: c for c in (
    # CPU (make check, and students' own machines): small enough for two shared cores
    Capstone("lenet-mnist-cpu", "lenet", "numpy", "mnist", threshold=0.95, budget_s=240.0,
             train_limit=20000, test_limit=5000, fallback="lenet-digits-cpu",
             note="LeNet-5 on the first 20,000 MNIST training and 5,000 test images"),
    Capstone("lenet-digits-cpu", "lenet", "numpy", "digits", threshold=0.90, budget_s=240.0,
             note="LeNet-5 on scikit-learn's digits (1,438 training, 359 test images, 8x8 scaled to 28x28)"),
    Capstone("baseline_cnn-mnist-cpu", "baseline_cnn", "numpy", "mnist", threshold=0.90, budget_s=240.0,
             train_limit=2000, test_limit=1000, fallback="baseline_cnn-digits-cpu",
             note="BaselineCNN on the first 2,000 MNIST training and 1,000 test images"),
    Capstone("baseline_cnn-digits-cpu", "baseline_cnn", "numpy", "digits", threshold=0.90, budget_s=240.0,
             note="BaselineCNN on scikit-learn's digits (8x8 scaled to 28x28)"),
    # GPU runner (.github/workflows/capstone.yml): the full architectures on the full data sets
    Capstone("lenet-mnist-gpu", "lenet", "cupy", "mnist", threshold=0.985, budget_s=900.0,
             note="LeNet-5 on all of MNIST"),
    Capstone("resnet18-cifar10-gpu", "resnet18", "cupy", "cifar10", threshold=0.85, budget_s=3600.0,
             note="ResNet18 (small-input stem) on all of CIFAR-10"),
    Capstone("efficientnet_lite0-cifar10-gpu", "efficientnet_lite0", "cupy", "cifar10", threshold=0.75,
             budget_s=3600.0, note="EfficientNet-Lite0 on all of CIFAR-10, from scratch"),
    Capstone("convnext_tiny-cifar10-gpu", "convnext_tiny", "cupy", "cifar10", threshold=0.65, budget_s=5400.0,
             note="ConvNeXt-Tiny (small-input stem) on all of CIFAR-10, from scratch"),
)}


def find(model: str, backend: str = "numpy") -> Capstone:
    """The capstone of ``model`` on ``backend`` (a capstone's own name works too)."""
    if model in CAPSTONES:
        return CAPSTONES[model]
    for c in CAPSTONES.values():
        if c.model == model and c.backend == backend and c.name.endswith(("-cpu", "-gpu")) and \
                not c.name.startswith(f"{model}-digits"):
            return c
    known = sorted({f"{c.model} ({'CPU' if c.backend == 'numpy' else 'GPU'})" for c in CAPSTONES.values()})
    raise UsageError(f"no capstone for MODEL={model} on BACKEND={backend}; there are: {', '.join(known)}")


# ----------------------------------------------------------------------------- measuring and grading

@dataclass
class Measurement:
    """What the child measured (or why it could not).

    ``outcome``: ``done``, ``not started`` (a stub raised ``NotImplementedError``: ``message`` names
    its task), ``error``, ``timeout`` (stopped by the parent), ``skipped`` (CuPy without a GPU).
    ``timing``: the trainer's per-layer table, ``[(layer, class, forward s, backward s)]`` over
    ``timing_steps`` training steps on one batch.
    """

    outcome: str
    message: str = ""
    capstone: str = ""
    accuracy: float = math.nan
    train_seconds: float = math.nan
    epochs: int = 0
    history: dict[str, list[float]] = field(default_factory=dict)
    recipe: dict[str, Any] = field(default_factory=dict)
    timing: list[tuple[str, str, float, float]] = field(default_factory=list)
    timing_steps: int = 0
    plots: list[str] = field(default_factory=list)
    samples: tuple[int, int] = (0, 0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Measurement":
        d = dict(d)
        d["timing"] = [tuple(r) for r in d.get("timing", [])]
        d["samples"] = tuple(d.get("samples", (0, 0)))
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def slowest(m: Measurement, n: int = 3) -> list[str]:
    """The ``n`` layers that took the most time in the timing table, as ``"name (Class) 41% (backward 30%)"``."""
    total = sum(f + b for _, _, f, b in m.timing)
    if total <= 0:
        return []
    rows = sorted(m.timing, key=lambda r: -(r[2] + r[3]))[:n]
    return [f"{name} ({cls}) {100 * (f + b) / total:.0f}% (forward {100 * f / total:.0f}%, "
            f"backward {100 * b / total:.0f}%)" for name, cls, f, b in rows]


def grade(spec: Capstone, m: Measurement) -> tuple[State, str]:
    """The task's state and its reason (first line: the verdict; ``hint:`` lines: what to look at)."""
    if m.outcome == "not started":
        return NOT_STARTED, f"not started: {m.message}"
    if m.outcome == "skipped":
        return SKIPPED, f"skipped: {m.message}"
    if m.outcome == "timeout":
        return TIMEOUT, (f"timeout: training did not finish within the {spec.budget_s:g} s budget "
                         f"(+{GRACE_S:g} s to load the data); {m.message}").rstrip("; ")
    if m.outcome != "done":
        return ERROR, m.message or "the training run failed"
    short = spec.threshold - m.accuracy
    over = m.train_seconds - spec.budget_s
    if short <= 1e-12 and over <= 0:
        return PASSED, (f"test accuracy {_pct(m.accuracy)} >= {_pct(spec.threshold)} in {m.train_seconds:.1f} s "
                        f"(budget {spec.budget_s:g} s)")
    parts = []
    if short > 1e-12:
        parts.append(f"test accuracy {_pct(m.accuracy)} is {100 * short:.2f} points short of the "
                     f"{_pct(spec.threshold)} threshold")
    if over > 0:
        parts.append(f"training took {m.train_seconds:.1f} s, {over:.1f} s over the {spec.budget_s:g} s budget")
    lines = ["; ".join(parts)]
    if short > 1e-12 and m.accuracy <= spec.chance + 0.02:
        lines.append(f"hint: {_pct(m.accuracy)} is chance level ({_pct(spec.chance)}): the model is not learning "
                     f"(a gradient that never reaches the weights, a step that is not taken, a rate far too high)")
    elif short > 1e-12:
        lines.append("hint: the model learns but not far enough: check the recipe (epochs, learning rate, "
                     "schedule) in train/capstone.py, and `make test A=10` for the trainer's own tasks")
    top = slowest(m)
    if top:
        lines.append("hint: most of the time went to " + "; ".join(top))
    return FAILED, "\n".join(lines)


def _task_points() -> tuple[float, str, str, str]:
    """``(points, assignment slug, assignment title, task title)`` of task 10.4 from the manifest."""
    try:
        a = manifest.resolve("10")
    except UsageError:
        return DEFAULT_POINTS, "10-models", "Models, training and capstone", TASK_TITLE
    try:
        t = a.task(TASK_ID)
        return t.points, a.slug, a.title, t.title
    except KeyError:
        return DEFAULT_POINTS, a.slug, a.title, TASK_TITLE


def result_for(spec: Capstone, m: Measurement, impl_label: str, points: float | None = None) -> RunResult:
    """The run as the grader's typed results: assignment 10 with the one task 10.4, ready for every format."""
    pts, slug, a_title, t_title = _task_points()
    pts = pts if points is None else points
    state, reason = grade(spec, m)
    earned = pts if state == PASSED else 0.0
    rec = TestRecord(f"capstone::{spec.name}", f"capstone[{spec.name}]", TASK_ID, False, state,
                     "" if state == PASSED else reason,
                     round(m.train_seconds, 3) if math.isfinite(m.train_seconds) else 0.0, "grader/capstone.py", 0)
    task = TaskResult(TASK_ID, t_title, pts, earned, state, int(state == PASSED), 1,
                      "" if state == PASSED else reason, [rec])
    a = AssignmentResult("10", slug, a_title, impl_label, earned, pts, [task])
    return RunResult(impl_label, False, [], [a])


def render_details(spec: Capstone, m: Measurement) -> str:
    """The figures behind the verdict: accuracy, time, threshold, budget, recipe and the timing table."""
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "1")
    lines = [f"Capstone {spec.name}: {spec.note}",
             f"  backend {spec.backend}, {spec.dtype}, seed {spec.seed}, {threads} BLAS thread(s); threshold "
             f"{_pct(spec.threshold)} test accuracy within {spec.budget_s:g} s of training (chance is {_pct(spec.chance)})"]
    if m.capstone and m.capstone != spec.name:
        lines.append(f"  (ran as {m.capstone})")
    if m.recipe:
        lines.append("  recipe (train/capstone.py): " + ", ".join(f"{k}={v}" for k, v in m.recipe.items()))
    if m.outcome == "done":
        n_train, n_test = m.samples
        lines.append(f"  measured: test accuracy {_pct(m.accuracy)} on {n_test} images after {m.epochs} epoch(s) "
                     f"on {n_train} images, training time {m.train_seconds:.1f} s")
        margin_acc = 100 * (m.accuracy - spec.threshold)
        margin_t = spec.budget_s - m.train_seconds
        lines.append(f"  margin: {margin_acc:+.2f} accuracy points, {margin_t:+.1f} s of budget")
        if m.history.get("val_acc"):
            accs = ", ".join(_pct(a) for a in m.history["val_acc"])
            secs = ", ".join(f"{t:.1f}" for t in m.history.get("time", []))
            lines.append(f"  per epoch: test accuracy {accs}; seconds {secs}")
    if m.timing:
        from_trainer = _format_timing(m.timing)
        lines += ["", f"Where the time goes (the trainer's per-layer timing, {m.timing_steps} training step(s) on one batch):"]
        lines += ["  " + ln for ln in from_trainer.splitlines()]
    if m.plots:
        lines += ["", "Plots: " + ", ".join(m.plots)]
    return "\n".join(lines)


def _format_timing(rows: Sequence[tuple[str, str, float, float]]) -> str:
    """The timing table as ``train/trainer.py``'s ``format_timing`` prints it (same columns)."""
    total = sum(f + b for _, _, f, b in rows) or 1.0
    width = max([len(r[0]) + len(r[1]) + 3 for r in rows] + [10])
    lines = [f"{'layer':<{width}} {'forward ms':>11} {'backward ms':>12} {'share':>7}"]
    for name, cls, f, b in rows:
        lines.append(f"{name + ' (' + cls + ')':<{width}} {f * 1e3:>11.2f} {b * 1e3:>12.2f} {100 * (f + b) / total:>6.1f}%")
    lines.append(f"{'total':<{width}} {sum(r[2] for r in rows) * 1e3:>11.2f} {sum(r[3] for r in rows) * 1e3:>12.2f}")
    return "\n".join(lines)


def summary_row(spec: Capstone, m: Measurement, state: State) -> str:
    """One Markdown table row for the GPU workflow's summary (see :func:`summary_header`)."""
    acc = _pct(m.accuracy) if math.isfinite(m.accuracy) else "-"
    secs = f"{m.train_seconds:.1f}" if math.isfinite(m.train_seconds) else "-"
    return (f"| {spec.name} | {spec.model} | {spec.data} | {spec.backend} | {acc} | {_pct(spec.threshold)} | "
            f"{secs} | {spec.budget_s:g} | {state.value} |")


def summary_header() -> str:
    return ("| capstone | model | data | backend | test accuracy | threshold | seconds | budget | state |\n"
            "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- |")


# ----------------------------------------------------------------------------- the child: training

def _upscale_digits(x: Any) -> Any:
    """8x8 digits to the 28x28 the models are built for: each pixel becomes 3x3, then a border of 2."""
    import numpy as np
    big = np.kron(x, np.ones((1, 1, 3, 3), dtype=x.dtype))
    return np.pad(big, ((0, 0), (0, 0), (2, 2), (2, 2)))


def _data_available(spec: Capstone, data_dir: str | None) -> bool:
    """Whether ``spec``'s data set is on disk already (nothing is downloaded to find out)."""
    if spec.data == "digits":
        return True
    base = Path(data_dir).expanduser() if data_dir else (
        Path(os.environ["NNOTT_DATA_DIR"]).expanduser() if os.environ.get("NNOTT_DATA_DIR")
        else Path.home() / ".cache" / "nnott")
    if spec.data == "mnist":
        return all((base / "mnist" / f).is_file() or (base / "mnist" / f[:-3]).is_file()
                   for f in ("train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"))
    return (base / "cifar10" / "cifar-10-python.tar.gz").is_file()


def _load(impl: Any, spec: Capstone, data_dir: str | None, download: bool) -> tuple[Any, Any, Any, Any]:
    if spec.data == "digits":
        x, y = impl.data.digits.load_digits("train")
        xt, yt = impl.data.digits.load_digits("test")
        x, xt = _upscale_digits(x), _upscale_digits(xt)
    elif spec.data == "mnist":
        x, y = impl.data.mnist.load_mnist("train", data_dir, download=download)
        xt, yt = impl.data.mnist.load_mnist("test", data_dir, download=download)
    elif spec.data == "cifar10":
        x, y = impl.data.cifar.load_cifar10("train", data_dir, download=download)
        xt, yt = impl.data.cifar.load_cifar10("test", data_dir, download=download)
    else:
        raise UsageError(f"unknown data set {spec.data!r}")
    n, nt = spec.train_limit, spec.test_limit
    return x[:n] if n else x, y[:n] if n else y, xt[:nt] if nt else xt, yt[:nt] if nt else yt


def _where(exc: BaseException, folder: Path) -> str:
    """``starter/nn/conv.py:57 in forward``: the last frame of ``exc`` inside the package under test."""
    found = None
    for fs in traceback.extract_tb(exc.__traceback__):
        try:
            Path(fs.filename).resolve().relative_to(folder)
        except ValueError:
            continue
        found = fs
    return f"{rel(found.filename)}:{found.lineno} in {found.name}" if found is not None else ""


def _optimizer(impl: Any, params: Any, r: dict[str, Any]) -> Any:
    name = str(r.get("optimizer", "sgd")).lower()
    lr, wd = float(r["lr"]), float(r.get("weight_decay", 0.0))
    if name == "sgd":
        return impl.optim.sgd.SGD(params, lr=lr, momentum=float(r.get("momentum", 0.0)), weight_decay=wd,
                                  nesterov=bool(r.get("nesterov", False)))
    if name in ("adam", "adamw"):
        cls = impl.optim.adam.Adam if name == "adam" else impl.optim.adam.AdamW
        return cls(params, lr=lr, weight_decay=wd)
    raise ValueError(f"recipe: unknown optimizer {name!r} (sgd, adam or adamw)")


def _schedule(impl: Any, opt: Any, r: dict[str, Any]) -> Any:
    name = r.get("lr_schedule")
    epochs = int(r["epochs"])
    if not name:
        return None
    if name == "cosine":
        return impl.optim.schedules.CosineAnnealingLR(opt, T_max=epochs)
    if name == "multistep":
        s = impl.optim.schedules
        return s.MultiStepLR(opt, s.default_milestones(epochs))
    raise ValueError(f"recipe: unknown lr_schedule {name!r} (None, 'cosine' or 'multistep')")


def _train(spec: Capstone, impl_spec: str, data_dir: str | None, plots: str | None, download: bool,
           progress: bool) -> Measurement:
    """Build, train and measure (in the child). Every failure becomes a :class:`Measurement`."""
    from .impl import Impl, resolve_impl

    folder = resolve_impl(impl_spec)
    impl = Impl(folder)
    m = Measurement("error", capstone=spec.name)
    try:
        import numpy as np
        if spec.backend == "cupy":
            impl.backend.set_backend("cupy")
        dtype = getattr(np, spec.dtype)
        x, y, xt, yt = _load(impl, spec, data_dir, download)
        m.samples = (int(len(y)), int(len(yt)))
        module, cls_name = MODELS[spec.model]
        mod_path = module.split(".")
        mod = getattr(getattr(impl, mod_path[0]), mod_path[1])
        channels, side = spec.image
        rng = np.random.default_rng(spec.seed)
        model = getattr(mod, cls_name)(num_classes=spec.classes, in_channels=channels, image_size=side,
                                       rng=rng, dtype=dtype)
        to_device = impl.backend.to_device
        for p in model.parameters():   # the weights onto the active backend (a no-op on NumPy)
            p.data = to_device(p.data)
            p.grad = to_device(p.grad)
        r = dict(impl.train.capstone.recipe(spec.model, spec.backend))
        m.recipe = r
        loader = impl.data.loader.DataLoader
        train_loader = loader(x, y, int(r["batch_size"]), shuffle=True, rng=np.random.default_rng(spec.seed + 1))
        test_loader = loader(xt, yt, 500)
        opt = _optimizer(impl, model.parameters(), r)
        trainer_mod = impl.train.trainer
        trainer = trainer_mod.Trainer(model, opt, train_loader, test_loader, schedule=_schedule(impl, opt, r),
                                      rng=np.random.default_rng(spec.seed + 2), dtype=dtype)
        epochs = int(r["epochs"])

        def report(t: Any, row: dict[str, float]) -> None:
            if progress:
                print(f"  epoch {t.epoch}/{epochs}: train loss {row['train_loss']:.4f}, test accuracy "
                      f"{_pct(row['val_acc'])}, {row['time']:.1f} s", file=sys.stderr, flush=True)

        t0 = time.perf_counter()
        history = trainer.fit(epochs, on_epoch_end=report)
        m.train_seconds = time.perf_counter() - t0
        m.history = {k: [float(v) for v in vs] for k, vs in history.items()}
        m.epochs = int(trainer.epoch)
        m.accuracy = float(history["val_acc"][-1]) if history.get("val_acc") else \
            float(trainer.evaluate(test_loader)["acc"])
        m.outcome = "done"
        try:   # where the time goes: a few training steps on one batch, timed layer by layer
            b = int(r["batch_size"])
            xb, yb = to_device(x[:b], dtype=dtype), to_device(y[:b])
            steps = 3
            m.timing = [(str(a), str(c), float(f) / steps, float(g) / steps)
                        for a, c, f, g in trainer_mod.layer_timing(model, xb, yb, repeats=steps)]
            m.timing_steps = 1
            model.zero_grad()
        except Exception as exc:  # the timing table is advice; its absence must not fail a run
            m.message = f"(no timing table: {type(exc).__name__}: {exc})"
        if plots:
            try:
                pred = trainer.predict(xt)
                paths = impl.train.plots.plot_all(m.history, xt, yt, pred, plots, spec.name, spec.classes)
                m.plots = [str(p) for p in paths]
            except Exception as exc:
                m.message = (m.message + f" (no plots: {type(exc).__name__}: {exc})").strip()
    except NotImplementedError as exc:
        where = _where(exc, folder)
        m.outcome = "not started"
        m.message = (str(exc) or "NotImplementedError") + (f" (stopped at {where})" if where else "")
    except UsageError as exc:
        m.outcome, m.message = "error", str(exc)
    except Exception as exc:
        where = _where(exc, folder)
        m.outcome = "error"
        m.message = f"{type(exc).__name__}: {exc}".strip() + (f"\n    at {where}" if where else "")
    return m


# ----------------------------------------------------------------------------- the parent

def run(spec: Capstone, impl: str = "starter", *, data_dir: str | None = None, plots: str | None = None,
        download: bool = False, progress: bool = True, timeout: float | None = None) -> tuple[Capstone, Measurement]:
    """Train ``spec`` on the package ``impl`` in a child process; ``(the capstone that ran, its measurement)``.

    A CPU capstone whose data set is not on disk falls back on its ``fallback`` (MNIST -> digits).
    CuPy without a usable GPU gives a ``skipped`` measurement with the reason, without starting a child.
    """
    if spec.backend == "cupy":
        reason = cupy_reason()
        if reason:
            return spec, Measurement("skipped", reason, spec.name)
    if not download and not _data_available(spec, data_dir) and spec.fallback:
        spec = CAPSTONES[spec.fallback]
    limit = timeout if timeout is not None else spec.budget_s + GRACE_S
    # the child runs at the repository root: paths given relative to here must survive that
    impl = impl if impl in ("starter", "reference", "") else str(Path(impl).expanduser().resolve())
    data_dir = str(Path(data_dir).expanduser().resolve()) if data_dir else None
    plots = str(Path(plots).expanduser().resolve()) if plots else None
    with tempfile.TemporaryDirectory(prefix="nnott-capstone-") as tmp:
        out = Path(tmp) / "measurement.json"
        args = [sys.executable, "-m", "grader.capstone", "--child", spec.name, "--impl", impl, "--out", str(out)]
        if data_dir:
            args += ["--data-dir", str(data_dir)]
        if plots:
            args += ["--plots", str(plots)]
        if download:
            args.append("--download")
        if not progress:
            args.append("--quiet")
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("NNOTT_BACKEND", None)   # the child selects the backend itself
        for var in BLAS_THREADS:         # one BLAS thread unless the caller chose: see BLAS_THREADS
            env.setdefault(var, "1")
        try:
            proc = subprocess.run(args, cwd=ROOT, env=env, timeout=limit, stdout=subprocess.PIPE, text=True)
        except subprocess.TimeoutExpired:
            return spec, Measurement("timeout", f"stopped after {limit:.0f} s", spec.name)
        if out.is_file():
            return spec, Measurement.from_dict(json.loads(out.read_text(encoding="utf-8")))
        tail = (proc.stdout or "").strip()[-800:]
        return spec, Measurement("error", f"the training process died (exit {proc.returncode})"
                                 + (f": {tail}" if tail else ""), spec.name)


def cmd_capstone(ns: argparse.Namespace) -> int:
    spec = find(ns.model, ns.backend)
    if ns.threshold is not None or ns.budget is not None:   # trying things out: never the graded figures
        spec = replace(spec, threshold=ns.threshold if ns.threshold is not None else spec.threshold,
                       budget_s=ns.budget if ns.budget is not None else spec.budget_s)
    if ns.format == "table":
        print(f"Training capstone {spec.name} ({spec.note}) on {ns.impl}...", file=sys.stderr, flush=True)
    ran, m = run(spec, ns.impl, data_dir=ns.data_dir, plots=ns.plots, download=ns.download,
                 progress=ns.format == "table")
    from .impl import resolve_impl
    label = rel(resolve_impl(ns.impl)) if m.outcome != "skipped" or ns.impl in ("starter", "reference") else ns.impl
    results = result_for(ran, m, label)
    if ns.format == "table":
        text = table(results.assignments[0]) + "\n\n" + render_details(ran, m)
    else:
        text = FORMATS[ns.format](results)
    if ns.out:
        Path(ns.out).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    state = results.assignments[0].tasks[0].state
    if ns.summary:
        path = Path(ns.summary)
        head = "" if path.is_file() and path.read_text(encoding="utf-8").strip() else summary_header() + "\n"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(head + summary_row(ran, m, state) + "\n")
    if ns.json:
        Path(ns.json).write_text(json.dumps({"capstone": asdict(ran), "measurement": m.to_dict(),
                                             "state": state.value}, indent=2), encoding="utf-8")
    return EXIT_FULL if state == PASSED else EXIT_SHORT


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", nargs="?", default="lenet", help="lenet (default), baseline_cnn, resnet18, "
                   "efficientnet_lite0, convnext_tiny, or a capstone's name")
    p.add_argument("--backend", choices=("numpy", "cupy"), default="numpy")
    p.add_argument("--impl", default="starter", help="starter (default), reference, or a submission folder")
    p.add_argument("--data-dir", default=None, help="the data cache (default: $NNOTT_DATA_DIR, else ~/.cache/nnott)")
    p.add_argument("--download", action="store_true", help="download a missing data set (checksum-verified)")
    p.add_argument("--plots", default=None, help="write the trainer's plots (PNG) into this folder")
    p.add_argument("--format", choices=sorted(FORMATS), default="table")
    p.add_argument("--out", default=None, help="write the report to this file instead of the terminal")
    p.add_argument("--summary", default=None, help="append one Markdown table row to this file (CI summary)")
    p.add_argument("--json", default=None, help="also write the capstone, the measurement and the state as JSON")
    p.add_argument("--threshold", type=float, default=None, help=argparse.SUPPRESS)
    p.add_argument("--budget", type=float, default=None, help=argparse.SUPPRESS)


def register(sub: Any) -> None:
    """Add ``capstone`` to ``python -m grader``'s sub-commands."""
    p = sub.add_parser("capstone", help="train a capstone (task 10.4) and grade it: accuracy threshold, time budget")
    add_arguments(p)
    p.set_defaults(func=cmd_capstone)


def _child(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m grader.capstone --child")
    p.add_argument("name")
    p.add_argument("--impl", default="starter")
    p.add_argument("--out", required=True)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--plots", default=None)
    p.add_argument("--download", action="store_true")
    p.add_argument("--quiet", action="store_true")
    ns = p.parse_args(argv)
    m = _train(CAPSTONES[ns.name], ns.impl, ns.data_dir, ns.plots, ns.download, not ns.quiet)
    Path(ns.out).write_text(json.dumps(m.to_dict()), encoding="utf-8")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child"]:
        return _child(argv[1:])
    p = argparse.ArgumentParser(prog="python -m grader.capstone", description=__doc__.splitlines()[0])
    add_arguments(p)
    ns = p.parse_args(argv)
    try:
        return cmd_capstone(ns)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
