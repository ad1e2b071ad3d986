"""The ConvNeXt block: a ResNet block redesigned with a Transformer's habits.

    h = dwconv7x7(x)                    (N, C, H, W)   depthwise 7x7, padding 3, with bias
    h = LayerNorm2d(h)                  (N, C, H, W)   over the C channels of every pixel
    h = h moved channels last           (N*H*W, C)     one row per pixel: (N, H, W, C) reshaped
    h = pwconv2(gelu(pwconv1(h)))       (N*H*W, C)     Linear C -> 4C, exact GELU, Linear 4C -> C
    h = layer_scale * h                 (N*H*W, C)     a learnt gain per channel, starting at 1e-6
    y = x + h moved channels first      (N, C, H, W)

One normalisation, one activation, and a layer scale that starts each residual branch near
zero, so a deep stack begins close to the identity. The 1x1 convolutions are ``Linear``
layers over the channel axis (the original code does the same after a permute); the rows are
reshaped to 2-D so that each Linear is one matrix product.

Names (state_dict keys, the same as the original ConvNeXt code's ``Block``): ``dwconv``,
``norm``, ``pwconv1``, ``pwconv2``, ``gamma`` (the layer scale, shape ``(C,)``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...backend import xp
from ...module import Module, Parameter
from ..activations import GELU
from ..depthwise import DepthwiseConv2d
from ..layernorm import LayerNorm2d
from ..linear import Linear

__all__ = ["ConvNeXtBlock"]


class ConvNeXtBlock(Module):
    """``y = x + gamma * pwconv2(gelu(pwconv1(norm(dwconv(x)))))``, the MLP over channels.

    Args:
        dim: ``C``, the channels in and out.
        layer_scale_init: the initial value of every entry of ``gamma`` (1e-6, as ConvNeXt);
            ``0`` or less for no layer scale (``gamma`` is then ``None``).
        rng, dtype: passed to every layer that has weights.

    Shapes: ``x`` ``(N, C, H, W)`` -> ``y`` ``(N, C, H, W)``.

    Attributes:
        dwconv: ``DepthwiseConv2d(C, 7, padding=3)``; norm: ``LayerNorm2d(C)`` (eps 1e-6);
        pwconv1: ``Linear(C, 4C)``; act: ``GELU()`` (exact); pwconv2: ``Linear(4C, C)``;
        gamma: ``Parameter`` ``(C,)`` filled with ``layer_scale_init``, or ``None``.
    """

    def __init__(self, dim: int, layer_scale_init: float = 1e-6, *,
                 rng: np.random.Generator | None = None, dtype: Any = np.float64) -> None:
        rng = rng if rng is not None else np.random.default_rng()
        self.dim = dim
        self.dwconv = DepthwiseConv2d(dim, 7, padding=3, rng=rng, dtype=dtype)
        self.norm = LayerNorm2d(dim, eps=1e-6, dtype=dtype)
        self.pwconv1 = Linear(dim, 4 * dim, rng=rng, dtype=dtype)
        self.act = GELU()
        self.pwconv2 = Linear(4 * dim, dim, rng=rng, dtype=dtype)
        self.gamma = (Parameter(xp.full(dim, layer_scale_init, dtype=dtype), "gamma")
                      if layer_scale_init > 0 else None)
        self._h: Any = None
        self._shape: tuple[int, int, int, int] = (0, 0, 0, 0)

    def forward(self, x: Any) -> Any:
        """x: ``(N, C, H, W)``. Returns ``(N, C, H, W)``; caches the branch output before the layer scale."""
        ### BEGIN SOLUTION
        n, c, hh, ww = x.shape
        h = self.norm(self.dwconv(x)).transpose(0, 2, 3, 1).reshape(-1, c)   # (N*H*W, C): channels last
        h = self.pwconv2(self.act(self.pwconv1(h)))
        if self.gamma is not None:
            self._h = h
            h = h * self.gamma.data
        self._shape = (n, c, hh, ww)
        return x + h.reshape(n, hh, ww, c).transpose(0, 3, 1, 2)
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """grad_out: ``(N, C, H, W)``. Adds every parameter gradient (``gamma`` too); returns ``dL/dx``."""
        ### BEGIN SOLUTION
        n, c, hh, ww = self._shape
        g = grad_out.transpose(0, 2, 3, 1).reshape(-1, c)                  # (N*H*W, C)
        if self.gamma is not None:
            self.gamma.grad += (g * self._h).sum(axis=0)
            g = g * self.gamma.data
        g = self.pwconv1.backward(self.act.backward(self.pwconv2.backward(g)))
        g = self.dwconv.backward(self.norm.backward(g.reshape(n, hh, ww, c).transpose(0, 3, 1, 2)))
        return grad_out + g
        ### END SOLUTION
