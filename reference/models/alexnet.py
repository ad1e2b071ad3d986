"""AlexNet (Krizhevsky, Sutskever and Hinton, 2012), in torchvision's one-GPU form.

ImageNet (``image_size >= 64``), 224 -> 55 -> 27 -> 13 -> 6:

    conv 11x11 stride 4 padding 2 (C_in -> 64), ReLU, max pool 3 stride 2
    conv 5x5 padding 2 (64 -> 192), ReLU, max pool 3 stride 2
    conv 3x3 padding 1: 192 -> 384, ReLU, 384 -> 256, ReLU, 256 -> 256, ReLU, max pool 3 stride 2
    flatten; dropout, linear 256*6*6 -> 4096, ReLU, dropout, linear 4096 -> 4096, ReLU, linear 4096 -> num_classes

61,100,840 parameters with 1000 classes. Small inputs (``image_size < 64``: MNIST, CIFAR) would
vanish under the 11x11 stride-4 stem, so there the first convolution is 3x3 with stride 2 and
padding 1, and the three pools are 2x2 with stride 2 (CIFAR: 32 -> 16 -> 8 -> 4 -> 2, the
classifier takes ``256 * 2 * 2``). torchvision's adaptive average pooling to 6x6 is left out:
at 224 the features are already 6x6, elsewhere the first linear layer takes the size they have.

state_dict keys: torchvision's, ``features.0/3/6/8/10`` (the convolutions) and
``classifier.1/4/6`` (the linear layers). With ``dropout=0`` each dropout is an ``Identity``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..module import Identity, Module, Sequential
from ..nn.conv import Conv2d
from ..nn.flatten import Flatten
from ..nn.im2col import conv_output_size
from ..nn.linear import Linear
from ..nn.pool import MaxPool2d
from ..nn.relu import ReLU

__all__ = ["AlexNet"]


class AlexNet(Module):
    """Five convolutions and three fully connected layers.

    Args:
        num_classes: the number of logits. in_channels: 3 for RGB images.
        image_size: the side of the (square) input; 224 by default (below 64: the small-input stem).
        dropout: the probability of the two dropouts (0.5, as torchvision); 0 for ``Identity`` placeholders.
        rng: for the weights and the dropout masks. dtype: of the weights.

    Shapes: ``x`` ``(N, C_in, S, S)`` -> logits ``(N, num_classes)``.

    Attributes:
        features: ``Sequential`` of 13 layers (conv, ReLU, pool, conv, ReLU, pool, conv, ReLU,
        conv, ReLU, conv, ReLU, pool); flatten: ``Flatten()``; classifier: ``Sequential(drop,
        Linear(256*s*s, 4096), ReLU(), drop, Linear(4096, 4096), ReLU(), Linear(4096, num_classes))``.
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, image_size: int = 224, dropout: float = 0.5, *,
                 rng: np.random.Generator | None = None, dtype: Any = np.float64) -> None:
        rng = rng if rng is not None else np.random.default_rng()
        small = image_size < 64
        stem = dict(kernel_size=3, stride=2, padding=1) if small else dict(kernel_size=11, stride=4, padding=2)
        pool = dict(kernel_size=2, stride=2) if small else dict(kernel_size=3, stride=2)
        s = conv_output_size(image_size, stem["kernel_size"], stem["stride"], stem["padding"])
        for _ in range(3):
            s = conv_output_size(s, pool["kernel_size"], pool["stride"])

        def drop() -> Module:
            if dropout <= 0:
                return Identity()
            from ..nn.dropout import Dropout
            return Dropout(dropout, rng=rng)

        ### BEGIN SOLUTION
        self.features = Sequential(
            Conv2d(in_channels, 64, rng=rng, dtype=dtype, **stem), ReLU(), MaxPool2d(**pool),
            Conv2d(64, 192, 5, padding=2, rng=rng, dtype=dtype), ReLU(), MaxPool2d(**pool),
            Conv2d(192, 384, 3, padding=1, rng=rng, dtype=dtype), ReLU(),
            Conv2d(384, 256, 3, padding=1, rng=rng, dtype=dtype), ReLU(),
            Conv2d(256, 256, 3, padding=1, rng=rng, dtype=dtype), ReLU(), MaxPool2d(**pool))
        self.flatten = Flatten()
        self.classifier = Sequential(
            drop(), Linear(256 * s * s, 4096, rng=rng, dtype=dtype), ReLU(),
            drop(), Linear(4096, 4096, rng=rng, dtype=dtype), ReLU(),
            Linear(4096, num_classes, rng=rng, dtype=dtype))
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
