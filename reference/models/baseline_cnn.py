"""BaselineCNN: the course's lightweight MNIST network (after the seed sandbox's baseline).

    conv 3x3 (C_in -> 32), BN, ReLU
    conv 3x3 (32 -> 64), BN, ReLU, max pool 2, dropout 0.15              28 -> 14
    conv 3x3 (64 -> 128), BN, LeakyReLU(0.1), max pool 2, dropout 0.25   14 -> 7
    flatten, linear 128*7*7 -> 256, ReLU, dropout 0.5, linear 256 -> num_classes

Every convolution pads by 1, so only the pools shrink the image; another ``image_size``
changes the first linear layer's input (CIFAR's 32: ``128 * 8 * 8``). With ``dropout=False``
each dropout is an ``Identity``, so the numbering (and the state_dict keys) stays the same.

state_dict keys: ``features.0/1/3/4/8/9`` (conv, BN, conv, BN, conv, BN: ``weight``, ``bias``
and the BN buffers), ``classifier.0/3`` (the two linear layers).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..module import Identity, Module, Sequential
from ..nn.activations import LeakyReLU
from ..nn.batchnorm import BatchNorm2d
from ..nn.conv import Conv2d
from ..nn.flatten import Flatten
from ..nn.linear import Linear
from ..nn.pool import MaxPool2d
from ..nn.relu import ReLU

__all__ = ["BaselineCNN"]


class BaselineCNN(Module):
    """Three convolutions with BatchNorm, two poolings, two linear layers.

    Args:
        num_classes: the number of logits. in_channels: 1 for MNIST, 3 for CIFAR.
        image_size: the side of the (square) input; 28 by default.
        dropout: the seed's dropouts (0.15, 0.25, 0.5) when true, ``Identity`` placeholders when false.
        rng: for the weights and the dropout masks. dtype: of the weights.

    Shapes: ``x`` ``(N, C_in, S, S)`` -> logits ``(N, num_classes)``.

    Attributes:
        features: ``Sequential(Conv2d(C_in, 32, 3, padding=1), BatchNorm2d(32), ReLU(),
        Conv2d(32, 64, 3, padding=1), BatchNorm2d(64), ReLU(), MaxPool2d(2), drop(0.15),
        Conv2d(64, 128, 3, padding=1), BatchNorm2d(128), LeakyReLU(0.1), MaxPool2d(2), drop(0.25))``;
        flatten: ``Flatten()``; classifier: ``Sequential(Linear(128*s*s, 256), ReLU(), drop(0.5),
        Linear(256, num_classes))`` with ``s = S // 4``; ``drop(p)`` is ``Dropout(p, rng=rng)`` or ``Identity()``.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, image_size: int = 28, dropout: bool = True, *,
                 rng: np.random.Generator | None = None, dtype: Any = np.float64) -> None:
        rng = rng if rng is not None else np.random.default_rng()
        s = image_size // 2 // 2

        def drop(p: float) -> Module:
            if not dropout:
                return Identity()
            from ..nn.dropout import Dropout
            return Dropout(p, rng=rng)

        ### BEGIN SOLUTION
        self.features = Sequential(
            Conv2d(in_channels, 32, 3, padding=1, rng=rng, dtype=dtype), BatchNorm2d(32, dtype=dtype), ReLU(),
            Conv2d(32, 64, 3, padding=1, rng=rng, dtype=dtype), BatchNorm2d(64, dtype=dtype), ReLU(),
            MaxPool2d(2), drop(0.15),
            Conv2d(64, 128, 3, padding=1, rng=rng, dtype=dtype), BatchNorm2d(128, dtype=dtype), LeakyReLU(0.1),
            MaxPool2d(2), drop(0.25))
        self.flatten = Flatten()
        self.classifier = Sequential(
            Linear(128 * s * s, 256, rng=rng, dtype=dtype), ReLU(), drop(0.5),
            Linear(256, num_classes, rng=rng, dtype=dtype))
        ### END SOLUTION

    def forward(self, x: Any) -> Any:
        """x: ``(N, C_in, S, S)``. Returns logits ``(N, num_classes)``."""
        ### BEGIN SOLUTION
        return self.classifier(self.flatten(self.features(x)))
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """grad_out: ``dL/dlogits`` ``(N, num_classes)``. Adds every parameter gradient; returns ``dL/dx``."""
        ### BEGIN SOLUTION
        return self.features.backward(self.flatten.backward(self.classifier.backward(grad_out)))
        ### END SOLUTION
