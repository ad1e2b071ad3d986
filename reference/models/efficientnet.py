"""EfficientNet-Lite0 (Tan and Le, 2019; the "Lite" edge variant): a stem, seven stages of MBConv, a head.

EfficientNet-B0's layout with the changes that make it friendly to mobile accelerators: no
squeeze-excite, ReLU6 everywhere instead of SiLU, and the stem (32 channels) and head (1280)
kept fixed. Stage table (:data:`STAGES`): expand ratio e, kernel k, stride s of the first block,
output channels c, number of blocks n:

    stem     conv 3x3 stride 2 padding 1 (C_in -> 32, no bias), BN, ReLU6       224 -> 112
    stage 0  e1 k3 s1 c16  n1        stage 4  e6 k5 s1 c112 n3
    stage 1  e6 k3 s2 c24  n2        stage 5  e6 k5 s2 c192 n4
    stage 2  e6 k5 s2 c40  n2        stage 6  e6 k3 s1 c320 n1                  7x7 at 224
    stage 3  e6 k3 s2 c80  n3
    head     conv 1x1 (320 -> 1280, no bias), BN, ReLU6, global average pool, dropout, linear 1280 -> num_classes

4,652,008 parameters with 1000 classes. Only the first block of a stage has the stage's
stride and changes the width; the others have a residual. Small inputs need no other stem:
with the paddings of k // 2, 32 -> 16 -> 16 -> 8 -> 4 -> 2 -> 2 -> 1 -> 1 (MNIST's 28 ends at 1 too).

state_dict keys: ``conv_stem``, ``bn1``, ``blocks.<stage>.<block>.<MBConv names>`` (``expand_conv``,
``expand_bn``, ``dw_conv``, ``dw_bn``, ``project_conv``, ``project_bn``), ``conv_head``, ``bn2``,
``classifier``: timm's names for the stem and head.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..module import Identity, Module, Sequential
from ..nn.activations import ReLU6
from ..nn.batchnorm import BatchNorm2d
from ..nn.blocks.mbconv import MBConv
from ..nn.conv import Conv2d
from ..nn.linear import Linear
from ..nn.pool import GlobalAvgPool2d

__all__ = ["EfficientNetLite0", "STAGES"]

#: (expand ratio, kernel, stride of the first block, output channels, number of blocks) per stage. Given.
STAGES = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
          (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]


class EfficientNetLite0(Module):
    """EfficientNet-Lite0: MBConv blocks with ReLU6 and no SE.

    Args:
        num_classes: the number of logits. in_channels: 3 for RGB images.
        image_size: the side of the (square) input (any size of at least 1; nothing adapts).
        dropout: the probability of the dropout before the classifier (0.2); 0 for an ``Identity``.
        rng: for the weights and the dropout mask. dtype: of the weights.

    Shapes: ``x`` ``(N, C_in, S, S)`` -> logits ``(N, num_classes)``.

    Attributes:
        conv_stem: ``Conv2d(C_in, 32, 3, 2, padding=1, bias=False)``; bn1: ``BatchNorm2d(32)``;
        act1: ``ReLU6()``; blocks: a list of seven ``Sequential`` s of ``MBConv(c_prev, c, k, s or 1, e,
        activation="relu6")``; conv_head: ``Conv2d(320, 1280, 1, bias=False)``; bn2: ``BatchNorm2d(1280)``;
        act2: ``ReLU6()``; pool: ``GlobalAvgPool2d()``; dropout; classifier: ``Linear(1280, num_classes)``.
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, image_size: int = 224, dropout: float = 0.2, *,
                 rng: np.random.Generator | None = None, dtype: Any = np.float64) -> None:
        rng = rng if rng is not None else np.random.default_rng()
        self.image_size = image_size
        if dropout > 0:
            from ..nn.dropout import Dropout
            self.dropout: Module = Dropout(dropout, rng=rng)
        else:
            self.dropout = Identity()
        ### BEGIN SOLUTION
        self.conv_stem = Conv2d(in_channels, 32, 3, 2, padding=1, bias=False, rng=rng, dtype=dtype)
        self.bn1 = BatchNorm2d(32, dtype=dtype)
        self.act1 = ReLU6()
        self.blocks = []
        c = 32
        for e, k, s, out, n in STAGES:
            stage = []
            for i in range(n):
                stage.append(MBConv(c, out, k, s if i == 0 else 1, e, activation="relu6", rng=rng, dtype=dtype))
                c = out
            self.blocks.append(Sequential(*stage))
        self.conv_head = Conv2d(c, 1280, 1, bias=False, rng=rng, dtype=dtype)
        self.bn2 = BatchNorm2d(1280, dtype=dtype)
        self.act2 = ReLU6()
        self.pool = GlobalAvgPool2d()
        self.classifier = Linear(1280, num_classes, rng=rng, dtype=dtype)
        ### END SOLUTION

    def _sequence(self) -> list[Module]:
        """The modules in the order ``forward`` applies them. Given."""
        return [self.conv_stem, self.bn1, self.act1, *self.blocks, self.conv_head, self.bn2, self.act2, self.pool,
                self.dropout, self.classifier]

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
