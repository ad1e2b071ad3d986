"""ResNet18 (He et al., 2015): a stem, four stages of two ``BasicBlock`` s, global pooling, a linear head.

    stem     conv 7x7 stride 2 padding 3 (C_in -> 64, no bias), BN, ReLU, max pool 3 stride 2 padding 1
    layer1   BasicBlock(64, 64),   BasicBlock(64, 64)              56x56 at 224
    layer2   BasicBlock(64, 128, stride 2),  BasicBlock(128, 128)  28x28
    layer3   BasicBlock(128, 256, stride 2), BasicBlock(256, 256)  14x14
    layer4   BasicBlock(256, 512, stride 2), BasicBlock(512, 512)  7x7
    head     global average pool (N, 512), linear 512 -> num_classes

11,689,512 parameters with 1000 classes. The first block of layers 2 to 4 halves the size and
doubles the width, so it has a projection shortcut (``downsample``). Small inputs
(``image_size < 64``) use the CIFAR stem: a 3x3 convolution, stride 1, padding 1, and no max
pool (``maxpool`` is an ``Identity``): 32 -> 32 -> 16 -> 8 -> 4 before the pooling.

state_dict keys: torchvision's (``conv1``, ``bn1``, ``layer1.0.conv1``, ``layer2.0.downsample.0``,
``layer2.0.downsample.1``, ..., ``fc``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..module import Identity, Module, Sequential
from ..nn.batchnorm import BatchNorm2d
from ..nn.blocks.basic_block import BasicBlock
from ..nn.conv import Conv2d
from ..nn.linear import Linear
from ..nn.pool import GlobalAvgPool2d, MaxPool2d
from ..nn.relu import ReLU

__all__ = ["ResNet18"]


class ResNet18(Module):
    """ResNet18 with ``BasicBlock`` s.

    Args:
        num_classes: the number of logits. in_channels: 3 for RGB images.
        image_size: the side of the (square) input; 224 by default (below 64: the CIFAR stem).
        rng, dtype: for every layer with weights.

    Shapes: ``x`` ``(N, C_in, S, S)`` -> logits ``(N, num_classes)``.

    Attributes:
        conv1: ``Conv2d(C_in, 64, 7, 2, padding=3, bias=False)`` (small: ``Conv2d(C_in, 64, 3, 1, padding=1,
        bias=False)``); bn1: ``BatchNorm2d(64)``; relu: ``ReLU()``; maxpool: ``MaxPool2d(3, 2, padding=1)``
        (small: ``Identity()``); layer1 ... layer4: ``Sequential`` of two ``BasicBlock`` s (widths 64, 128,
        256, 512; the first block of layers 2-4 with stride 2); avgpool: ``GlobalAvgPool2d()``;
        fc: ``Linear(512, num_classes)``.
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, image_size: int = 224, *,
                 rng: np.random.Generator | None = None, dtype: Any = np.float64) -> None:
        rng = rng if rng is not None else np.random.default_rng()
        small = image_size < 64
        ### BEGIN SOLUTION
        if small:
            self.conv1 = Conv2d(in_channels, 64, 3, 1, padding=1, bias=False, rng=rng, dtype=dtype)
        else:
            self.conv1 = Conv2d(in_channels, 64, 7, 2, padding=3, bias=False, rng=rng, dtype=dtype)
        self.bn1 = BatchNorm2d(64, dtype=dtype)
        self.relu = ReLU()
        self.maxpool = Identity() if small else MaxPool2d(3, 2, padding=1)
        widths = (64, 128, 256, 512)
        stages = []
        c = 64
        for i, w in enumerate(widths):
            stride = 1 if i == 0 else 2
            stages.append(Sequential(BasicBlock(c, w, stride, rng=rng, dtype=dtype),
                                     BasicBlock(w, w, 1, rng=rng, dtype=dtype)))
            c = w
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = GlobalAvgPool2d()
        self.fc = Linear(512, num_classes, rng=rng, dtype=dtype)
        ### END SOLUTION

    def _sequence(self) -> list[Module]:
        """The modules in the order ``forward`` applies them. Given."""
        return [self.conv1, self.bn1, self.relu, self.maxpool, self.layer1, self.layer2, self.layer3, self.layer4,
                self.avgpool, self.fc]

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
