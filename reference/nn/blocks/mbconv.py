"""MBConv, the inverted residual block of MobileNetV2 and EfficientNet.

    expand   1x1 conv C_in -> C_in * e, BN, act        (left out when e = 1)
    depthwise k x k conv, stride s, padding k // 2, BN, act
    SE       SqueezeExcite on the expanded channels     (optional; EfficientNet-Lite has none)
    project  1x1 conv -> C_out, BN                      (no activation: a linear bottleneck)
    residual + x, only when s = 1 and C_in = C_out

"Inverted": the block is narrow at its ends and wide in the middle, the opposite of ResNet's
bottleneck. The residual needs the output to have the input's shape, so a block that
downsamples (s = 2) or changes the width has none. EfficientNet uses SiLU and an SE with
``C_sq = max(1, int(C_in * se_ratio))``; EfficientNet-Lite uses ReLU6 and no SE.

Names (state_dict keys): ``expand_conv``, ``expand_bn`` (absent when e = 1), ``dw_conv``,
``dw_bn``, ``se`` (absent without SE), ``project_conv``, ``project_bn``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...module import Module
from ..batchnorm import BatchNorm2d
from ..conv import Conv2d
from ..depthwise import DepthwiseConv2d
from .squeeze_excite import SqueezeExcite, make_activation

__all__ = ["MBConv"]


class MBConv(Module):
    """Expand, depthwise, (SE), project, and a residual when the shapes allow.

    Args:
        in_channels: ``C_in``. out_channels: ``C_out``.
        kernel_size: ``k`` of the depthwise convolution (3 or 5), padding ``k // 2``.
        stride: of the depthwise convolution.
        expand_ratio: ``e``; the hidden width is ``C_in * e``. With ``e = 1`` there is no expand stage.
        se_ratio: ``0`` for no SE, else ``C_sq = max(1, int(C_in * se_ratio))`` (EfficientNet: 0.25).
        activation: ``"relu6"`` (EfficientNet-Lite), ``"silu"`` (EfficientNet) or ``"relu"``;
            the SE inside uses the same one.
        bn_eps: the BatchNorms' eps.
        rng, dtype: passed to every layer that has weights.

    Shapes: ``x`` ``(N, C_in, H, W)`` -> ``(N, C_out, OH, OW)``, ``OH = floor((H - 1) / s) + 1``.

    Attributes:
        expand_conv: ``Conv2d(C_in, C_in * e, 1, bias=False)``, expand_bn, expand_act, or all ``None`` when ``e = 1``;
        dw_conv: ``DepthwiseConv2d(C_in * e, k, s, padding=k // 2, bias=False)``, dw_bn, dw_act;
        se: ``SqueezeExcite(C_in * e, C_sq, activation)`` or ``None``;
        project_conv: ``Conv2d(C_in * e, C_out, 1, bias=False)``, project_bn;
        use_residual: ``stride == 1 and C_in == C_out``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 expand_ratio: int = 6, se_ratio: float = 0.0, activation: str = "relu6", bn_eps: float = 1e-5,
                 *, rng: np.random.Generator | None = None, dtype: Any = np.float64) -> None:
        rng = rng if rng is not None else np.random.default_rng()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.expand_ratio = kernel_size, stride, expand_ratio
        hidden = in_channels * expand_ratio
        ### BEGIN SOLUTION
        self.expand_conv = self.expand_bn = self.expand_act = None
        if expand_ratio != 1:
            self.expand_conv = Conv2d(in_channels, hidden, 1, bias=False, rng=rng, dtype=dtype)
            self.expand_bn = BatchNorm2d(hidden, eps=bn_eps, dtype=dtype)
            self.expand_act = make_activation(activation)
        self.dw_conv = DepthwiseConv2d(hidden, kernel_size, stride, padding=kernel_size // 2, bias=False,
                                       rng=rng, dtype=dtype)
        self.dw_bn = BatchNorm2d(hidden, eps=bn_eps, dtype=dtype)
        self.dw_act = make_activation(activation)
        self.se = None
        if se_ratio > 0:
            self.se = SqueezeExcite(hidden, max(1, int(in_channels * se_ratio)), activation, rng=rng, dtype=dtype)
        self.project_conv = Conv2d(hidden, out_channels, 1, bias=False, rng=rng, dtype=dtype)
        self.project_bn = BatchNorm2d(out_channels, eps=bn_eps, dtype=dtype)
        self.use_residual = stride == 1 and in_channels == out_channels
        ### END SOLUTION

    def forward(self, x: Any) -> Any:
        """x: ``(N, C_in, H, W)``. Returns ``(N, C_out, OH, OW)``."""
        ### BEGIN SOLUTION
        h = x
        if self.expand_conv is not None:
            h = self.expand_act(self.expand_bn(self.expand_conv(h)))
        h = self.dw_act(self.dw_bn(self.dw_conv(h)))
        if self.se is not None:
            h = self.se(h)
        h = self.project_bn(self.project_conv(h))
        return h + x if self.use_residual else h
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """grad_out: ``(N, C_out, OH, OW)``. Adds every parameter gradient; returns ``dL/dx`` ``(N, C_in, H, W)``."""
        ### BEGIN SOLUTION
        g = self.project_conv.backward(self.project_bn.backward(grad_out))
        if self.se is not None:
            g = self.se.backward(g)
        g = self.dw_conv.backward(self.dw_bn.backward(self.dw_act.backward(g)))
        if self.expand_conv is not None:
            g = self.expand_conv.backward(self.expand_bn.backward(self.expand_act.backward(g)))
        return g + grad_out if self.use_residual else g
        ### END SOLUTION
