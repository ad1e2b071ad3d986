"""Inverted dropout: zero each unit with probability ``p`` in training, scale the survivors.

``p`` is the probability of DROPPING a unit, as in ``torch.nn.Dropout`` (CS231n's
notes use the keep probability instead). The kept units are multiplied by
``1 / (1 - p)`` during training, so every unit's expected value is unchanged and
evaluation needs no correction: in eval mode the layer is the identity.

The mask comes from the ``numpy.random.Generator`` given to the constructor:
each training-mode ``forward(x)`` draws exactly one ``rng.random(x.shape)`` (on the
CPU, in NumPy's C order) and keeps the units where that draw is ``>= p``. Replaying
the same generator therefore replays the same masks.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import get_array_module
from ..module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """``y = x * keep / (1 - p)`` in training, ``y = x`` in evaluation; any shape.

    Args:
        p: the probability of dropping (zeroing) each unit, in ``[0, 1]``.
            ``p = 0`` keeps everything (the identity); ``p = 1`` drops everything
            (the output is all zeros, as in PyTorch).
        rng: the ``numpy.random.Generator`` the masks are drawn from.

    Raises:
        ValueError: when ``p`` is not in ``[0, 1]`` (NaN included).

    Training-mode forward, for ``x`` of any shape ``S``::

        u     = rng.random(S)                  # one draw per element, float64, on the CPU
        keep  = u >= p                         # boolean mask, shape S (moved to x's device)
        scale = 1 / (1 - p)   (0 when p == 1)
        y     = x * keep * scale

    Backward sends the gradient through the SAME mask:
    ``dL/dx = grad_out * keep * scale``. In eval mode (``layer.eval()``) forward
    returns ``x`` itself, draws nothing, and backward returns ``grad_out``.
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | None = None) -> None:
        ### BEGIN SOLUTION
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        ### END SOLUTION
        self.p = float(p)
        self.rng = rng if rng is not None else np.random.default_rng()
        self._keep: Any = None       # the boolean mask of the last training-mode forward (None after eval)
        self._scale: float = 1.0     # 1 / (1 - p), or 0 when p == 1

    def forward(self, x: Any) -> Any:
        """x: any shape, float dtype. Returns an array of the same shape and dtype.

        Training: draws ``u = self.rng.random(x.shape)``, caches ``keep = u >= p`` and the
        scale, and returns ``x * keep * scale``. Eval: returns ``x`` unchanged.
        """
        ### BEGIN SOLUTION
        if not self.training:
            self._keep = None
            return x
        xp = get_array_module(x)
        u = self.rng.random(x.shape)
        self._keep = xp.asarray(u >= self.p)
        self._scale = 1.0 / (1.0 - self.p) if self.p < 1.0 else 0.0
        return x * self._keep * self._scale
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """grad_out: same shape as the last input. Returns ``grad_out * keep * scale``
        (training) or ``grad_out`` (after an eval-mode forward)."""
        ### BEGIN SOLUTION
        if self._keep is None:
            return grad_out
        return grad_out * self._keep * self._scale
        ### END SOLUTION
