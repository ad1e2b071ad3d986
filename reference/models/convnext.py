"""ConvNeXt-Tiny (Liu et al., 2022): a patchify stem, four stages of ConvNeXt blocks, pooling, LayerNorm, a head.

    stem         conv 4x4 stride 4 (C_in -> 96, with bias), LayerNorm2d        224 -> 56
    stage 0      3 x ConvNeXtBlock(96)
    downsample   LayerNorm2d, conv 2x2 stride 2 (96 -> 192)                   56 -> 28
    stage 1      3 x ConvNeXtBlock(192)
    downsample   LayerNorm2d, conv 2x2 stride 2 (192 -> 384)                  28 -> 14
    stage 2      9 x ConvNeXtBlock(384)
    downsample   LayerNorm2d, conv 2x2 stride 2 (384 -> 768)                  14 -> 7
    stage 3      3 x ConvNeXtBlock(768)
    head         global average pool (N, 768), LayerNorm(768), linear 768 -> num_classes

28,589,128 parameters with 1000 classes. The stem and the downsamplings are the only places
the size changes; every block keeps it. Small inputs (``image_size < 64``) pad the 4x4 stride-4
stem by 2, so that MNIST's 28 and CIFAR's 32 both give 8 -> 4 -> 2 -> 1 (without the padding, 28
would give 7 -> 3 -> 1 and leave nothing for the last downsampling). Every LayerNorm has eps 1e-6.

state_dict keys: the original ConvNeXt code's (``downsample_layers.0.0`` the stem conv,
``downsample_layers.0.1`` its norm, ``downsample_layers.i.0/1`` norm and conv,
``stages.i.j.dwconv`` / ``.norm`` / ``.pwconv1`` / ``.pwconv2`` / ``.gamma``, ``norm``, ``head``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..module import Module, Sequential
from ..nn.blocks.convnext_block import ConvNeXtBlock
from ..nn.conv import Conv2d
from ..nn.layernorm import LayerNorm, LayerNorm2d
from ..nn.linear import Linear
from ..nn.pool import GlobalAvgPool2d

__all__ = ["ConvNeXtTiny", "DEPTHS", "DIMS"]

DEPTHS = (3, 3, 9, 3)      #: blocks per stage. Given.
DIMS = (96, 192, 384, 768)  #: channels per stage. Given.


class ConvNeXtTiny(Module):
    """ConvNeXt-Tiny.

    Args:
        num_classes: the number of logits. in_channels: 3 for RGB images.
        image_size: the side of the (square) input; 224 by default (below 64: the stem pads by 2).
        layer_scale_init: the blocks' initial layer scale (1e-6).
        rng, dtype: for every layer with weights.

    Shapes: ``x`` ``(N, C_in, S, S)`` -> logits ``(N, num_classes)``.

    Attributes:
        downsample_layers: a list of four ``Sequential`` s: ``(Conv2d(C_in, 96, 4, 4), LayerNorm2d(96))``
        (small: ``Conv2d(C_in, 96, 4, 4, padding=2)``), then ``(LayerNorm2d(d_prev), Conv2d(d_prev, d, 2, 2))``;
        stages: a list of four ``Sequential`` s of ``ConvNeXtBlock(d)``; pool: ``GlobalAvgPool2d()``;
        norm: ``LayerNorm(768, eps=1e-6)``; head: ``Linear(768, num_classes)``.
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, image_size: int = 224,
                 layer_scale_init: float = 1e-6, *,
                 rng: np.random.Generator | None = None, dtype: Any = np.float64) -> None:
        rng = rng if rng is not None else np.random.default_rng()
        pad = 2 if image_size < 64 else 0
        ### BEGIN SOLUTION
        self.downsample_layers = [Sequential(Conv2d(in_channels, DIMS[0], 4, 4, padding=pad, rng=rng, dtype=dtype),
                                             LayerNorm2d(DIMS[0], eps=1e-6, dtype=dtype))]
        for i in range(1, 4):
            self.downsample_layers.append(Sequential(LayerNorm2d(DIMS[i - 1], eps=1e-6, dtype=dtype),
                                                     Conv2d(DIMS[i - 1], DIMS[i], 2, 2, rng=rng, dtype=dtype)))
        self.stages = [Sequential(*[ConvNeXtBlock(d, layer_scale_init, rng=rng, dtype=dtype) for _ in range(n)])
                       for d, n in zip(DIMS, DEPTHS)]
        self.pool = GlobalAvgPool2d()
        self.norm = LayerNorm(DIMS[-1], eps=1e-6, dtype=dtype)
        self.head = Linear(DIMS[-1], num_classes, rng=rng, dtype=dtype)
        ### END SOLUTION

    def _sequence(self) -> list[Module]:
        """The modules in the order ``forward`` applies them. Given."""
        out: list[Module] = []
        for down, stage in zip(self.downsample_layers, self.stages):
            out += [down, stage]
        return out + [self.pool, self.norm, self.head]

    def forward(self, x: Any) -> Any:
        """x: ``(N, C_in, S, S)``. Returns logits ``(N, num_classes)``."""
        ### BEGIN SOLUTION
        for m in self._sequence():
            x = m(x)
        return x
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """grad_out: ``dL/dlogits`` ``(N, num_classes)``. Adds every parameter gradient; returns ``dL/dx``."""
        ### BEGIN SOLUTION
        for m in reversed(self._sequence()):
            grad_out = m.backward(grad_out)
        return grad_out
        ### END SOLUTION
