"""Early stopping: stop training when the validation metric has stopped improving, keep the best weights.

After every epoch, call ``step(val_metric, model)``. An epoch *improves* when the
metric beats the best so far by more than ``min_delta`` (lower is better for a loss,
``mode="min"``; higher for an accuracy, ``mode="max"``). On an improvement the
stopper takes a copy of every parameter; after ``patience`` epochs in a row without
one, ``step`` returns ``True``. ``restore(model)`` then puts the best weights back.
"""
from __future__ import annotations

import math
from typing import Any

__all__ = ["EarlyStopping"]


class EarlyStopping:
    """Patience-based early stopping with a best-weights snapshot.

    Args:
        patience: how many epochs in a row without improvement end training, ``>= 1``.
        min_delta: how much better than the best a metric must be to count, ``>= 0``.
        mode: ``"min"`` (improvement: ``metric < best - min_delta``) or ``"max"``
            (improvement: ``metric > best + min_delta``). A NaN metric never improves.

    Attributes:
        best: the best metric so far (``inf`` in mode min, ``-inf`` in mode max before
            the first step, so the first epoch always improves).
        best_epoch: the index (0, 1, 2, ... counting ``step`` calls) of the epoch that set ``best``; -1 before any.
        num_bad_epochs: epochs since the last improvement (0 right after one).
        epoch: how many times ``step`` has been called.
        best_weights: a list with a COPY of each ``p.data``, in ``model.parameters()`` order,
            taken at the best epoch (``None`` before the first step).

    Raises:
        ValueError: ``patience < 1``, ``min_delta < 0`` or ``mode`` not ``"min"``/``"max"``.
    """

    def __init__(self, patience: int, min_delta: float = 0.0, mode: str = "min") -> None:
        ### BEGIN SOLUTION
        if patience < 1:
            raise ValueError(f"patience must be at least 1, got {patience}")
        if min_delta < 0:
            raise ValueError(f"min_delta must be >= 0, got {min_delta}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        ### END SOLUTION
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.mode = mode
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = -1
        self.num_bad_epochs = 0
        self.epoch = 0
        self.best_weights: list[Any] | None = None

    def step(self, metric: float, model: Any) -> bool:
        """Record one epoch's validation ``metric``; return ``True`` when training should stop.

        Args:
            metric: the epoch's validation loss (mode min) or accuracy (mode max).
            model: anything with ``parameters()`` (a ``Module``); snapshotted on an improvement.

        Returns:
            ``True`` exactly when ``num_bad_epochs`` has reached ``patience``: with
            ``patience = 3``, the third epoch in a row without improvement returns ``True``.
        """
        ### BEGIN SOLUTION
        metric = float(metric)
        if self.mode == "min":
            improved = metric < self.best - self.min_delta
        else:
            improved = metric > self.best + self.min_delta
        if improved:
            self.best, self.best_epoch, self.num_bad_epochs = metric, self.epoch, 0
            self.best_weights = [p.data.copy() for p in model.parameters()]
        else:
            self.num_bad_epochs += 1
        self.epoch += 1
        return self.num_bad_epochs >= self.patience
        ### END SOLUTION

    def restore(self, model: Any) -> None:
        """Copy ``best_weights`` back into the model's parameters, in place (``p.data[...] = w``).

        Raises:
            RuntimeError: when ``step`` has never been called (no snapshot yet).
        """
        ### BEGIN SOLUTION
        if self.best_weights is None:
            raise RuntimeError("no best weights to restore: call step(metric, model) after an epoch first")
        for p, w in zip(model.parameters(), self.best_weights):
            p.data[...] = w
        ### END SOLUTION
