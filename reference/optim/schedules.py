"""Learning-rate schedules, as ``torch.optim.lr_scheduler``.

A schedule owns an optimiser and rewrites ``group["lr"]`` of each of its
parameter groups. The usual loop calls ``scheduler.step()`` once per epoch,
after that epoch's optimiser steps::

    for epoch in range(epochs):
        train_one_epoch(optimizer)          # many optimizer.step()
        scheduler.step()                    # ReduceLROnPlateau: scheduler.step(val_loss)

``last_epoch`` counts those calls: building a schedule sets it to 0 (the
learning rate is then the base rate), each ``step()`` adds one and sets the
rate for that epoch. ``get_last_lr()`` returns the rates last set.

* ``MultiStepLR``: multiply by ``gamma`` when ``last_epoch`` reaches a
  milestone; a milestone listed twice multiplies twice.
* ``CosineAnnealingLR``: ``η_t = η_min + (η_0 - η_min)(1 + cos(π t / T_max)) / 2``;
  it is *not* clamped at ``T_max``: after reaching ``η_min`` it rises again
  (period ``2 T_max``), exactly as PyTorch's.
* ``ReduceLROnPlateau``: multiply by ``factor`` when a monitored metric has
  stopped improving for more than ``patience`` epochs.
"""
from __future__ import annotations

import copy
import math
from typing import Any, Sequence

__all__ = ["LRScheduler", "MultiStepLR", "CosineAnnealingLR", "ReduceLROnPlateau", "default_milestones"]


class LRScheduler:
    """Base class (given): ``base_lrs``, ``last_epoch``, ``step()``, ``get_last_lr()``, ``state_dict()``.

    A subclass implements ``get_lr()``, the rates for epoch ``self.last_epoch``
    (called for ``last_epoch >= 1``; at epoch 0 the rates are the base rates).
    """

    def __init__(self, optimizer: Any) -> None:
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self._last_lr: list[float] = []
        self.step()

    def get_lr(self) -> list[float]:
        raise NotImplementedError(f"{type(self).__name__}.get_lr is not written")

    def step(self) -> None:
        """Advance one epoch and set each group's ``lr`` for it."""
        self.last_epoch += 1
        if self.last_epoch == 0:
            lrs = [group["lr"] for group in self.optimizer.param_groups]
        else:
            lrs = [float(lr) for lr in self.get_lr()]
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = list(lrs)

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group, as last set by this schedule."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimiser (a copy)."""
        return {k: copy.deepcopy(v) for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(copy.deepcopy(state_dict))


class MultiStepLR(LRScheduler):
    """Multiply every group's ``lr`` by ``gamma`` each time ``last_epoch`` reaches a milestone.

    Args:
        optimizer: its groups' ``lr`` are the base rates.
        milestones: epochs (ints, increasing); a repeated milestone applies ``gamma`` once per occurrence.
        gamma: the factor.

    E.g. base 0.1, milestones ``[2, 4, 4]``, gamma 0.5: epochs 0..5 get
    ``0.1, 0.1, 0.05, 0.05, 0.0125, 0.0125``.
    """

    def __init__(self, optimizer: Any, milestones: Sequence[int], gamma: float = 0.1) -> None:
        self.milestones = [int(m) for m in milestones]
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """The rates for epoch ``self.last_epoch`` (>= 1), from each group's current ``lr``."""
        ### BEGIN SOLUTION
        drops = self.milestones.count(self.last_epoch)
        return [group["lr"] * self.gamma ** drops for group in self.optimizer.param_groups]
        ### END SOLUTION


class CosineAnnealingLR(LRScheduler):
    """``η_t = η_min + (η_base - η_min)(1 + cos(π t / T_max)) / 2`` with ``t = last_epoch``, per group.

    Args:
        optimizer: its groups' ``lr`` are the base rates ``η_base``.
        T_max: half the period: ``η_min`` is reached at ``t = T_max``, the base rate again at ``2 T_max``.
        eta_min: the lowest rate.
    """

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = int(T_max)
        self.eta_min = float(eta_min)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """The rates for epoch ``self.last_epoch``, from ``self.base_lrs`` (no clamp past ``T_max``)."""
        ### BEGIN SOLUTION
        t = self.last_epoch
        cos = (1 + math.cos(math.pi * t / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cos for base in self.base_lrs]
        ### END SOLUTION


def default_milestones(epochs: int) -> list[int]:
    """The seed's default multistep schedule: drops at about 50 % and 75 % of ``epochs``.

    Returns ``[round(0.5 * epochs), round(0.75 * epochs)]`` (Python's ``round``,
    halves to even), e.g. ``10 -> [5, 8]``, ``30 -> [15, 22]``, ``100 -> [50, 75]``.
    Use it as ``MultiStepLR(opt, default_milestones(epochs), gamma=0.1)``.
    """
    ### BEGIN SOLUTION
    return [round(0.5 * epochs), round(0.75 * epochs)]
    ### END SOLUTION


class ReduceLROnPlateau:
    """Reduce every group's ``lr`` by ``factor`` when a metric stops improving.

    Each ``step(metric)`` (once per epoch) does, in this order:

    1. ``metric`` is *better* than ``best`` if, for ``mode="min"``,
       ``metric < best (1 - threshold)`` (``threshold_mode="rel"``) or
       ``metric < best - threshold`` (``"abs"``); for ``mode="max"``,
       ``metric > best (1 + threshold)`` or ``metric > best + threshold``.
       Better: ``best = metric`` and ``num_bad_epochs = 0``; otherwise ``num_bad_epochs += 1``.
    2. In cooldown (``cooldown_counter > 0``): ``cooldown_counter -= 1`` and ``num_bad_epochs = 0``.
    3. If ``num_bad_epochs > patience``: every group gets ``new = max(lr · factor, min_lr)``,
       but only if ``lr - new > eps`` (a smaller change is skipped); then
       ``cooldown_counter = cooldown`` and ``num_bad_epochs = 0``.

    Args:
        optimizer: the optimiser whose groups' ``lr`` are reduced.
        mode: ``"min"`` (a loss) or ``"max"`` (an accuracy).
        factor: the reduction factor, ``< 1``.
        patience: bad epochs tolerated before a reduction.
        threshold, threshold_mode: how much better counts as better (``"rel"`` or ``"abs"``).
        cooldown: epochs after a reduction during which bad epochs are not counted.
        min_lr: a lower bound (one number, or one per group).
        eps: the smallest reduction that is applied.

    Attributes: ``best`` (``inf`` for min, ``-inf`` for max, at first), ``num_bad_epochs``,
    ``cooldown_counter``, ``last_epoch`` (steps taken), ``min_lrs`` (one per group).
    """

    def __init__(self, optimizer: Any, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float | Sequence[float] = 0.0, eps: float = 1e-8) -> None:
        if factor >= 1.0:
            raise ValueError("factor should be < 1.0")
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode!r} is unknown: use 'min' or 'max'")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode {threshold_mode!r} is unknown: use 'rel' or 'abs'")
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"expected {n} min_lrs, got {len(min_lr)}")
            self.min_lrs = [float(m) for m in min_lr]
        else:
            self.min_lrs = [float(min_lr)] * n
        self.mode, self.factor, self.patience = mode, float(factor), int(patience)
        self.threshold, self.threshold_mode = float(threshold), threshold_mode
        self.cooldown, self.eps = int(cooldown), float(eps)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, a: float, best: float) -> bool:
        """Whether metric ``a`` improves on ``best`` by more than the threshold (rule 1)."""
        ### BEGIN SOLUTION
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (1.0 + self.threshold)
        return a > best + self.threshold
        ### END SOLUTION

    def step(self, metric: float) -> None:
        """One epoch's update from ``metric`` (rules 1 to 3 above)."""
        current = float(metric)
        self.last_epoch += 1
        ### BEGIN SOLUTION
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                old = float(group["lr"])
                new = max(old * self.factor, min_lr)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        ### END SOLUTION
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group after the last ``step``."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimiser (a copy)."""
        return {k: copy.deepcopy(v) for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(copy.deepcopy(state_dict))
