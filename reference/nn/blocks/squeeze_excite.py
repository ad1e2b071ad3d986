"""Squeeze-and-excitation: let each channel be rescaled by a gate computed from all channels.

    s = mean over (H, W) of x                      (N, C)      squeeze
    z = fc2(act(fc1(s)))                           (N, C)      excite: C -> C_sq -> C
    g = sigmoid(z)                                 (N, C)      one gate in (0, 1) per channel
    y = x * g[:, :, None, None]                    (N, C, H, W)

The gate is a *sigmoid*, each channel on its own: channels do not compete for a share of
1 as they would under a softmax. Backward: ``x`` is used twice (scaled by the gate, and as
the source of the gate), so ``dL/dx`` is the sum of ``grad_out * g`` and the gradient that
comes back through the gate, the pooling spreading it evenly over the ``H * W`` pixels.

Names (state_dict keys): ``fc1`` (``Linear(C, C_sq)``), ``fc2`` (``Linear(C_sq, C)``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...module import Module
from ..activations import Sigmoid, SiLU
from ..linear import Linear
from ..pool import GlobalAvgPool2d
from ..relu import ReLU

__all__ = ["SqueezeExcite", "make_activation"]


def make_activation(name: str) -> Module:
    """A new activation layer by name: ``"relu"``, ``"relu6"`` or ``"silu"``. Given."""
    from ..activations import ReLU6
    table = {"relu": ReLU, "relu6": ReLU6, "silu": SiLU}
    if name not in table:
        raise ValueError(f"unknown activation {name!r}: choose from {sorted(table)}")
    return table[name]()


class SqueezeExcite(Module):
    """Channel attention: ``y = x * sigmoid(fc2(act(fc1(mean_hw(x)))))`` broadcast over ``H, W``.

    Args:
        channels: ``C``, of the input and the output.
        squeeze_channels: ``C_sq``, the bottleneck width (EfficientNet: a quarter of the block's input channels).
        activation: ``"relu"`` (the original paper, torchvision's default) or ``"silu"`` (EfficientNet).
        rng, dtype: for the two ``Linear`` layers.

    Shapes: ``x`` ``(N, C, H, W)`` -> ``y`` ``(N, C, H, W)``.

    Attributes:
        pool: ``GlobalAvgPool2d()`` (``(N, C, H, W) -> (N, C)``); fc1: ``Linear(C, C_sq)``;
        act: the activation; fc2: ``Linear(C_sq, C)``; gate: ``Sigmoid()``.
    """

    def __init__(self, channels: int, squeeze_channels: int, activation: str = "relu", *,
                 rng: np.random.Generator | None = None, dtype: Any = np.float64) -> None:
        rng = rng if rng is not None else np.random.default_rng()
        self.channels, self.squeeze_channels = channels, squeeze_channels
        self.pool = GlobalAvgPool2d()
        self.fc1 = Linear(channels, squeeze_channels, rng=rng, dtype=dtype)
        self.act = make_activation(activation)
        self.fc2 = Linear(squeeze_channels, channels, rng=rng, dtype=dtype)
        self.gate = Sigmoid()
        self._x: Any = None
        self._g: Any = None

    def forward(self, x: Any) -> Any:
        """x: ``(N, C, H, W)``. Returns ``x`` scaled per channel, ``(N, C, H, W)``; caches ``x`` and the gate."""
        ### BEGIN SOLUTION
        g = self.gate(self.fc2(self.act(self.fc1(self.pool(x)))))
        self._x, self._g = x, g
        return x * g[:, :, None, None]
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """grad_out: ``(N, C, H, W)``. Adds the gradients of ``fc1`` and ``fc2``; returns ``dL/dx`` ``(N, C, H, W)``."""
        ### BEGIN SOLUTION
        x, g = self._x, self._g
        dg = (grad_out * x).sum(axis=(2, 3))                              # (N, C)
        ds = self.fc1.backward(self.act.backward(self.fc2.backward(self.gate.backward(dg))))
        return grad_out * g[:, :, None, None] + self.pool.backward(ds)
        ### END SOLUTION
