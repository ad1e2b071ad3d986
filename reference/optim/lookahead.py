"""Lookahead: a slow copy of the weights that follows the fast optimiser every ``k`` steps.

Zhang et al. (2019). Any inner optimiser (SGD, Adam) updates the *fast*
weights ``θ`` as usual. Lookahead keeps *slow* weights ``φ``, a copy of ``θ``
taken when it is built, and after every ``k``-th inner step pulls them part of
the way towards the fast ones and restarts the fast weights from there::

    φ ← φ + α (θ - φ)       then       θ ← φ         (every k inner steps)

With ``α = 1`` it is the inner optimiser alone; with ``α = 0`` the weights
never leave their start. The inner optimiser's state (momentum, moments) is
left as it is at a synchronisation.
"""
from __future__ import annotations

from typing import Any

from ..backend import get_array_module
from .optimizer import Optimizer

__all__ = ["Lookahead"]


class Lookahead:
    """Wrap ``optimizer`` with Lookahead.

    Args:
        optimizer: the inner (fast) optimiser, e.g. ``SGD`` or ``Adam``.
        k: synchronise every ``k`` inner steps (``k >= 1``).
        alpha: ``α`` in ``[0, 1]``, how far the slow weights move towards the fast ones.

    Attributes:
        optimizer: the inner optimiser.
        slow_weights: list of arrays ``φ``, one per parameter (in the order of
            ``optimizer.param_groups``), each a copy of ``p.data`` at construction.
        inner_steps: inner steps taken so far (0 at construction).
        param_groups: the inner optimiser's groups (so a schedule can drive Lookahead).
    """

    def __init__(self, optimizer: Optimizer, k: int = 5, alpha: float = 0.5) -> None:
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
        self.optimizer = optimizer
        self.k = int(k)
        self.alpha = float(alpha)
        self.slow_weights = [p.data.copy() for p in self.params()]
        self.inner_steps = 0

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        return self.optimizer.param_groups

    def params(self) -> list[Any]:
        """Every parameter, in the order of the inner optimiser's groups."""
        return [p for g in self.optimizer.param_groups for p in g["params"]]

    def zero_grad(self) -> None:
        self.optimizer.zero_grad()

    def step(self) -> None:
        """One inner step; after every ``k``-th, ``φ ← φ + α(θ - φ)`` and ``θ ← φ`` (in place)."""
        ### BEGIN SOLUTION
        self.optimizer.step()
        self.inner_steps += 1
        if self.inner_steps % self.k == 0:
            for p, slow in zip(self.params(), self.slow_weights):
                slow += self.alpha * (p.data - slow)
                p.data[...] = slow
        ### END SOLUTION

    def state_dict(self) -> dict[str, Any]:
        """``{"optimizer": inner state_dict, "slow_weights": [copies], "inner_steps", "k", "alpha"}``.

        Everything is a copy: stepping on afterwards must not change a saved dict.
        """
        ### BEGIN SOLUTION
        return {"optimizer": self.optimizer.state_dict(),
                "slow_weights": [w.copy() for w in self.slow_weights],
                "inner_steps": self.inner_steps, "k": self.k, "alpha": self.alpha}
        ### END SOLUTION

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()`` (copying the arrays in), so that stepping on repeats the trajectory."""
        ### BEGIN SOLUTION
        self.optimizer.load_state_dict(state_dict["optimizer"])
        params = self.params()
        self.slow_weights = [get_array_module(p.data).asarray(w).copy() for p, w in zip(params, state_dict["slow_weights"])]
        self.inner_steps = int(state_dict["inner_steps"])
        self.k = int(state_dict["k"])
        self.alpha = float(state_dict["alpha"])
        ### END SOLUTION
