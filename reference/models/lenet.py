"""LeNet-5 (LeCun et al., 1998): two convolutions with subsampling, then three fully connected layers.

    conv 5x5 (C_in -> 6, padding 2), tanh, average pool 2       28x28 -> 28x28 -> 14x14
    conv 5x5 (6 -> 16), tanh, average pool 2                    14x14 -> 10x10 -> 5x5
    flatten, linear 16*5*5 -> 120, tanh, linear 120 -> 84, tanh, linear 84 -> num_classes

The padding of 2 lets a 28x28 MNIST digit play the part of the paper's 32x32 input. Another
``image_size`` changes only the first linear layer's input (CIFAR's 32: ``16 * 6 * 6``).

state_dict keys: ``features.0`` (conv1), ``features.3`` (conv2), ``classifier.0/2/4`` (the
three linear layers), each ``.weight`` and ``.bias``: the same as a torch
``nn.Sequential`` built in this order.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..module import Module, Sequential
from ..nn.activations import Tanh
from ..nn.conv import Conv2d
from ..nn.flatten import Flatten
from ..nn.im2col import conv_output_size
from ..nn.linear import Linear
from ..nn.pool import AvgPool2d

__all__ = ["LeNet5"]


class LeNet5(Module):
    """LeNet-5 with tanh and average pooling.

    Args:
        num_classes: the number of logits. in_channels: 1 for MNIST, 3 for CIFAR.
        image_size: the side of the (square) input; 28 by default.
        rng, dtype: for every layer with weights.

    Shapes: ``x`` ``(N, in_channels, image_size, image_size)`` -> logits ``(N, num_classes)``.

    Attributes:
        features: ``Sequential(Conv2d(C_in, 6, 5, padding=2), Tanh(), AvgPool2d(2),
        Conv2d(6, 16, 5), Tanh(), AvgPool2d(2))``; flatten: ``Flatten()``;
        classifier: ``Sequential(Linear(16*s*s, 120), Tanh(), Linear(120, 84), Tanh(),
        Linear(84, num_classes))`` with ``s`` the side of the last feature map.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, image_size: int = 28, *,
                 rng: np.random.Generator | None = None, dtype: Any = np.float64) -> None:
        rng = rng if rng is not None else np.random.default_rng()
        s = (conv_output_size(conv_output_size(image_size, 5, 1, 2) // 2, 5) // 2)   # 5 for 28, 6 for 32
        ### BEGIN SOLUTION
        self.features = Sequential(
            Conv2d(in_channels, 6, 5, padding=2, rng=rng, dtype=dtype), Tanh(), AvgPool2d(2),
            Conv2d(6, 16, 5, rng=rng, dtype=dtype), Tanh(), AvgPool2d(2))
        self.flatten = Flatten()
        self.classifier = Sequential(
            Linear(16 * s * s, 120, rng=rng, dtype=dtype), Tanh(),
            Linear(120, 84, rng=rng, dtype=dtype), Tanh(),
            Linear(84, num_classes, rng=rng, dtype=dtype))
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
