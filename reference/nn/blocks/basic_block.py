"""ResNet's basic block: two 3x3 convolutions and a shortcut, ``relu(F(x) + shortcut(x))``.

The main path is ``conv3x3(stride) -> BN -> ReLU -> conv3x3 -> BN``. The shortcut is the
identity when the output has the input's shape; when the block changes the resolution
(``stride != 1``) or the width (``in_channels != out_channels``) the identity no longer fits
and a *projection* takes its place: a 1x1 convolution with the block's stride, no bias, and
a BatchNorm. The sum goes through the final ReLU (the residual is added *before* it).

Backward: the gradient through the final ReLU reaches both paths; the input's gradient is
the sum of what comes back along the main path and along the shortcut.

Names (they are the state_dict keys, the same as torchvision's ``BasicBlock``): ``conv1``,
``bn1``, ``conv2``, ``bn2``, and ``downsample`` (a ``Sequential(Conv2d 1x1, BatchNorm2d)``)
or ``None``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...module import Module, Sequential
from ..batchnorm import BatchNorm2d
from ..conv import Conv2d
from ..relu import ReLU

__all__ = ["BasicBlock"]


class BasicBlock(Module):
    """``y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``.

    Args:
        in_channels: ``C_in``. out_channels: ``C_out``.
        stride: of ``conv1`` (and of the projection); 2 halves the resolution.
        rng, dtype: passed to every layer that has weights.

    Shapes: ``x`` ``(N, C_in, H, W)`` -> ``y`` ``(N, C_out, OH, OW)`` with
    ``OH = floor((H - 1) / stride) + 1`` (3x3 kernels with padding 1).

    Attributes:
        conv1: ``Conv2d(C_in, C_out, 3, stride, padding=1, bias=False)``; bn1: ``BatchNorm2d(C_out)``;
        relu1: ``ReLU``; conv2: ``Conv2d(C_out, C_out, 3, 1, padding=1, bias=False)``;
        bn2: ``BatchNorm2d(C_out)``; relu2: ``ReLU`` (the final one, after the sum);
        downsample: ``Sequential(Conv2d(C_in, C_out, 1, stride, bias=False), BatchNorm2d(C_out))``
        when ``stride != 1`` or ``C_in != C_out``, else ``None`` (the identity).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, *,
                 rng: np.random.Generator | None = None, dtype: Any = np.float64) -> None:
        rng = rng if rng is not None else np.random.default_rng()
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride
        ### BEGIN SOLUTION
        self.conv1 = Conv2d(in_channels, out_channels, 3, stride, padding=1, bias=False, rng=rng, dtype=dtype)
        self.bn1 = BatchNorm2d(out_channels, dtype=dtype)
        self.relu1 = ReLU()
        self.conv2 = Conv2d(out_channels, out_channels, 3, 1, padding=1, bias=False, rng=rng, dtype=dtype)
        self.bn2 = BatchNorm2d(out_channels, dtype=dtype)
        self.relu2 = ReLU()
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = Sequential(
                Conv2d(in_channels, out_channels, 1, stride, bias=False, rng=rng, dtype=dtype),
                BatchNorm2d(out_channels, dtype=dtype))
        ### END SOLUTION

    def forward(self, x: Any) -> Any:
        """x: ``(N, C_in, H, W)``. Returns ``(N, C_out, OH, OW)``."""
        ### BEGIN SOLUTION
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu2(out + shortcut)
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """grad_out: ``(N, C_out, OH, OW)``. Adds every parameter gradient; returns ``dL/dx`` ``(N, C_in, H, W)``."""
        ### BEGIN SOLUTION
        g = self.relu2.backward(grad_out)
        g_main = self.conv1.backward(self.bn1.backward(self.relu1.backward(self.conv2.backward(self.bn2.backward(g)))))
        g_short = g if self.downsample is None else self.downsample.backward(g)
        return g_main + g_short
        ### END SOLUTION
