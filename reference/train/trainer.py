"""The training loop: epochs of mini-batches, evaluation, schedules, early stopping and exact resume.

One epoch of training, for every mini-batch ``(x, y)`` of the training loader::

    model.train()                         # dropout drops, batch norm uses the batch's statistics
    logits = model.forward(x)
    loss, dlogits = loss_fn(logits, y)
    model.backward(dlogits / k)           # ADDS into every p.grad; k = gradient accumulation steps
    every k-th batch (and after the last one):
        clip_grad_norm_(params, max_norm) # optional
        optimizer.step()
        optimizer.zero_grad()             # else the next step adds this step's gradients again

Dividing by ``k`` makes ``k`` batches of ``B`` take the same step as one batch of ``k*B``.
Evaluation switches to ``model.eval()`` (dropout off, batch norm's running statistics) and never
calls ``backward``. After each epoch, the validation loader (never the training one) measures the
model; the schedule steps (``ReduceLROnPlateau`` on the validation loss), and early stopping may
end training and put the best weights back.

``state_dict()`` holds everything a run depends on: the model's parameters and buffers, the
optimiser's and the schedule's state, the epoch, the history, early stopping's snapshot and the
state of every random generator (the trainer's, the loader's, each dropout's). Loading it into a
freshly built trainer continues bit for bit as if training had never stopped.
"""
from __future__ import annotations

import copy
import time
from typing import Any, Callable

import numpy as np

from ..backend import get_array_module, to_cpu, to_device
from ..module import Module
from ..nn.cross_entropy import cross_entropy
from ..optim.clip import clip_grad_norm_

__all__ = ["Trainer", "generators_of", "layer_timing", "format_timing"]


def generators_of(*objects: Any) -> list[np.random.Generator]:
    """Every distinct ``numpy.random.Generator`` reachable from ``objects``, in a fixed order.

    A generator itself, an object's ``rng`` attribute, and for a ``Module`` the ``rng`` of every
    sub-module (a dropout's); each generator once (by identity), first seen first.
    """
    out: list[np.random.Generator] = []
    seen: set[int] = set()

    def add(g: Any) -> None:
        if isinstance(g, np.random.Generator) and id(g) not in seen:
            seen.add(id(g))
            out.append(g)

    for obj in objects:
        if obj is None:
            continue
        add(obj)
        add(getattr(obj, "rng", None))
        if hasattr(obj, "modules"):
            for m in obj.modules():
                add(getattr(m, "rng", None))
    return out


def _copy_state(state: Any) -> Any:
    """A deep copy of a state dict, every array brought to the CPU."""
    if isinstance(state, dict):
        return {k: _copy_state(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(_copy_state(v) for v in state)
    if hasattr(state, "shape") and hasattr(state, "dtype"):
        return np.array(to_cpu(state), copy=True)
    return copy.deepcopy(state)


class Trainer:
    """Train ``model`` with ``optimizer`` on ``train_loader``, measuring it on ``val_loader``.

    Args:
        model: a ``Module`` mapping ``(B, ...)`` to logits ``(B, C)``.
        optimizer: an ``Optimizer`` (``SGD``, ``Adam``...) or a ``Lookahead`` wrapping one.
        train_loader: an iterable of ``(x, y)`` batches with ``len()`` (a ``DataLoader``).
        val_loader: the same for the validation set, or ``None``.
        schedule: an epoch schedule (``MultiStepLR``, ``CosineAnnealingLR``: ``step()``;
            ``ReduceLROnPlateau``: ``step(val_loss)``) or ``None``.
        loss_fn: ``(logits, y) -> (mean loss, dL/dlogits)``; cross-entropy by default.
        grad_clip: the ``max_norm`` of ``clip_grad_norm_`` before each step, or ``None``.
        accumulate: ``k >= 1`` batches per optimiser step (gradient accumulation).
        early_stopping: an ``EarlyStopping`` on the validation loss, or ``None``.
        augment: ``(x, rng) -> x`` applied to each training batch, or ``None``.
        rng: the trainer's own generator (for ``augment``).
        dtype: the dtype batches are cast to (the model's).

    Attributes:
        epoch: epochs finished so far. history: per-epoch lists ``train_loss``, ``train_acc``,
        ``val_loss``, ``val_acc``, ``lr``, ``time``. on_batch: ``None`` or a callable
        ``on_batch(n_samples, loss, n_correct)`` called after each training batch (a progress bar).
    """

    def __init__(self, model: Module, optimizer: Any, train_loader: Any, val_loader: Any = None, *,
                 schedule: Any = None, loss_fn: Callable[[Any, Any], tuple[float, Any]] = cross_entropy,
                 grad_clip: float | None = None, accumulate: int = 1, early_stopping: Any = None,
                 augment: Callable[[Any, np.random.Generator], Any] | None = None,
                 rng: np.random.Generator | None = None, dtype: Any = np.float64) -> None:
        if accumulate < 1:
            raise ValueError(f"accumulate must be at least 1, got {accumulate}")
        self.model, self.optimizer = model, optimizer
        self.train_loader, self.val_loader = train_loader, val_loader
        self.schedule, self.loss_fn = schedule, loss_fn
        self.grad_clip, self.accumulate = grad_clip, int(accumulate)
        self.early_stopping, self.augment = early_stopping, augment
        self.rng = rng if rng is not None else np.random.default_rng()
        self.dtype = dtype
        self.epoch = 0
        self.stopped_early = False
        self.history: dict[str, list[float]] = {k: [] for k in
                                                ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "time")}
        self.on_batch: Callable[[int, float, int], None] | None = None

    # -- helpers (given) ----------------------------------------------------------------------
    def params(self) -> list[Any]:
        return self.model.parameters()

    def lr(self) -> float:
        """The first parameter group's current learning rate."""
        return float(self.optimizer.param_groups[0]["lr"])

    def _batch(self, x: Any, y: Any, train: bool) -> tuple[Any, Any]:
        """Move a batch to the device (the active backend), in ``dtype``; augment a training batch."""
        x = to_device(x, dtype=self.dtype)
        if train and self.augment is not None:
            x = self.augment(x, self.rng)
        return x, to_device(y)

    def _plateau(self) -> bool:
        return type(self.schedule).__name__ == "ReduceLROnPlateau"

    # -- the loop ------------------------------------------------------------------------------
    def train_epoch(self, loader: Any = None) -> dict[str, float]:
        """One pass over ``loader`` (the training loader by default), in training mode.

        Returns:
            ``{"loss": mean loss over the samples, "acc": fraction of the samples classified right}``,
            both measured on the batches as they were trained (before each step).
        """
        loader = self.train_loader if loader is None else loader
        n_batches = len(loader)
        total_loss, correct, seen = 0.0, 0, 0
        ### BEGIN SOLUTION
        self.model.train()
        opt = self.optimizer
        opt.zero_grad()
        for i, (xb, yb) in enumerate(loader):
            x, y = self._batch(xb, yb, train=True)
            logits = self.model.forward(x)
            loss, dlogits = self.loss_fn(logits, y)
            self.model.backward(dlogits / self.accumulate)
            if (i + 1) % self.accumulate == 0 or i + 1 == n_batches:
                if self.grad_clip is not None:
                    clip_grad_norm_(self.params(), self.grad_clip)
                opt.step()
                opt.zero_grad()
            n = int(y.shape[0])
            hits = int(get_array_module(logits).sum(logits.argmax(axis=1) == y))
            total_loss += float(loss) * n
            correct += hits
            seen += n
            if self.on_batch is not None:
                self.on_batch(n, float(loss), hits)
        ### END SOLUTION
        return {"loss": total_loss / max(seen, 1), "acc": correct / max(seen, 1)}

    def evaluate(self, loader: Any) -> dict[str, float]:
        """Mean loss and accuracy of the model on ``loader``, in evaluation mode, without any gradient.

        Leaves the model in evaluation mode (``train_epoch`` switches it back).
        """
        total_loss, correct, seen = 0.0, 0, 0
        ### BEGIN SOLUTION
        self.model.eval()
        for xb, yb in loader:
            x, y = self._batch(xb, yb, train=False)
            logits = self.model.forward(x)
            loss, _ = self.loss_fn(logits, y)
            n = int(y.shape[0])
            total_loss += float(loss) * n
            correct += int(get_array_module(logits).sum(logits.argmax(axis=1) == y))
            seen += n
        ### END SOLUTION
        return {"loss": total_loss / max(seen, 1), "acc": correct / max(seen, 1)}

    def predict(self, x: Any, batch_size: int = 256) -> np.ndarray:
        """Class predictions ``(N,)`` (NumPy) for inputs ``x`` ``(N, ...)``, in evaluation mode."""
        self.model.eval()
        out = []
        for i in range(0, len(x), batch_size):
            xb, _ = self._batch(x[i:i + batch_size], np.zeros(0), train=False)
            out.append(to_cpu(self.model.forward(xb).argmax(axis=1)))
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def fit(self, epochs: int, *,
            on_epoch_end: Callable[["Trainer", dict[str, float]], None] | None = None) -> dict[str, list[float]]:
        """Train until ``self.epoch == epochs`` (so a resumed trainer runs only the epochs left).

        Each epoch: ``train_epoch``; ``evaluate(val_loader)`` when there is one (``val_loss`` and
        ``val_acc`` are NaN without); the history gets the epoch's figures and the rate it was
        trained with; the schedule steps; early stopping (on the validation loss) may stop, in which
        case the best weights are restored. ``on_epoch_end(trainer, row)`` runs last (a checkpoint,
        a printed summary).

        Returns:
            ``self.history``.
        """
        while self.epoch < epochs and not self.stopped_early:
            start = time.perf_counter()
            lr = self.lr()
            ### BEGIN SOLUTION
            train = self.train_epoch()
            val = self.evaluate(self.val_loader) if self.val_loader is not None else \
                {"loss": float("nan"), "acc": float("nan")}
            if self.schedule is not None:
                if self._plateau():
                    self.schedule.step(val["loss"] if self.val_loader is not None else train["loss"])
                else:
                    self.schedule.step()
            if self.early_stopping is not None and self.val_loader is not None:
                if self.early_stopping.step(val["loss"], self.model):
                    self.early_stopping.restore(self.model)
                    self.stopped_early = True
            ### END SOLUTION
            self.epoch += 1
            row = {"train_loss": train["loss"], "train_acc": train["acc"], "val_loss": val["loss"],
                   "val_acc": val["acc"], "lr": lr, "time": time.perf_counter() - start}
            for k, v in row.items():
                self.history[k].append(float(v))
            if on_epoch_end is not None:
                on_epoch_end(self, row)
        return self.history

    # -- exact resume --------------------------------------------------------------------------
    def generators(self) -> list[np.random.Generator]:
        """The generators a run depends on: the trainer's, the loaders', and the model's (dropout)."""
        return generators_of(self.rng, self.train_loader, self.val_loader, self.model)

    def state_dict(self) -> dict[str, Any]:
        """A deep copy (NumPy arrays) of everything needed to continue exactly.

        Keys: ``"model"`` (``model.state_dict()``), ``"optimizer"``, ``"schedule"`` (or ``None``),
        ``"early_stopping"`` (its attributes, or ``None``), ``"epoch"``, ``"stopped_early"``,
        ``"history"``, ``"rng"`` (``[g.bit_generator.state for g in self.generators()]``).
        """
        ### BEGIN SOLUTION
        es = None if self.early_stopping is None else dict(vars(self.early_stopping))
        state = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "schedule": None if self.schedule is None else self.schedule.state_dict(),
                 "early_stopping": es, "epoch": self.epoch, "stopped_early": self.stopped_early,
                 "history": self.history, "rng": [g.bit_generator.state for g in self.generators()]}
        return _copy_state(state)
        ### END SOLUTION

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Put a ``state_dict()`` back: afterwards ``fit`` continues as the saved run would have.

        Raises:
            ValueError: the state has a different number of generators than this trainer.
        """
        gens = self.generators()
        if len(state["rng"]) != len(gens):
            raise ValueError(f"the checkpoint saved {len(state['rng'])} random generators, this trainer has {len(gens)}: "
                             "was it made with other options (dropout, shuffling, augmentation)?")
        ### BEGIN SOLUTION
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(_copy_state(state["optimizer"]))
        if self.schedule is not None and state["schedule"] is not None:
            self.schedule.load_state_dict(_copy_state(state["schedule"]))
        if self.early_stopping is not None and state["early_stopping"] is not None:
            vars(self.early_stopping).update(_copy_state(state["early_stopping"]))
        self.epoch = int(state["epoch"])
        self.stopped_early = bool(state["stopped_early"])
        self.history = _copy_state(state["history"])
        for g, s in zip(gens, state["rng"]):
            g.bit_generator.state = copy.deepcopy(s)
        ### END SOLUTION


# -- per-layer timing (given) ------------------------------------------------------------------

def _leaves(model: Module) -> list[tuple[str, Module]]:
    named: list[tuple[str, Module]] = []

    def walk(m: Module, prefix: str) -> None:
        kids = [(k, v) for k, v in m._named_entries() if isinstance(v, Module)]
        if not kids:
            named.append((prefix.rstrip(".") or type(m).__name__, m))
        for k, v in kids:
            walk(v, f"{prefix}{k}.")
    walk(model, "")
    return named


def layer_timing(model: Module, x: Any, y: Any, loss_fn: Callable[[Any, Any], tuple[float, Any]] = cross_entropy,
                 repeats: int = 1) -> list[tuple[str, str, float, float]]:
    """Seconds spent in each leaf layer's forward and backward over ``repeats`` training steps on ``(x, y)``.

    Returns ``[(name, class name, forward s, backward s)]`` in forward order. Gradients are
    accumulated into ``.grad`` (call ``zero_grad`` afterwards); the model is left in training mode.
    """
    leaves = _leaves(model)
    times = {id(m): [0.0, 0.0] for _, m in leaves}
    for _, m in leaves:
        f, b = m.forward, m.backward

        def fwd(*a: Any, _f: Any = f, _m: Module = m, **k: Any) -> Any:
            t = time.perf_counter()
            out = _f(*a, **k)
            times[id(_m)][0] += time.perf_counter() - t
            return out

        def bwd(g: Any, _b: Any = b, _m: Module = m) -> Any:
            t = time.perf_counter()
            out = _b(g)
            times[id(_m)][1] += time.perf_counter() - t
            return out
        m.forward, m.backward = fwd, bwd   # type: ignore[method-assign]
    try:
        model.train()
        for _ in range(repeats):
            _, g = loss_fn(model.forward(x), y)
            model.backward(g)
    finally:
        for _, m in leaves:
            vars(m).pop("forward", None)
            vars(m).pop("backward", None)
    return [(name, type(m).__name__, times[id(m)][0], times[id(m)][1]) for name, m in leaves]


def format_timing(rows: list[tuple[str, str, float, float]]) -> str:
    """The table of :func:`layer_timing`, slowest layers marked, with each layer's share of the total."""
    total = sum(f + b for _, _, f, b in rows) or 1.0
    width = max([len(r[0]) + len(r[1]) + 3 for r in rows] + [10])
    lines = [f"{'layer':<{width}} {'forward ms':>11} {'backward ms':>12} {'share':>7}"]
    for name, cls, f, b in rows:
        lines.append(f"{name + ' (' + cls + ')':<{width}} {f * 1e3:>11.2f} {b * 1e3:>12.2f} {100 * (f + b) / total:>6.1f}%")
    lines.append(f"{'total':<{width}} {sum(r[2] for r in rows) * 1e3:>11.2f} {sum(r[3] for r in rows) * 1e3:>12.2f}")
    return "\n".join(lines)
