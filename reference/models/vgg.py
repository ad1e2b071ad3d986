"""VGG16 (Simonyan and Zisserman, 2014; configuration "D"): thirteen 3x3 convolutions, five max pools.

    [64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M]

each number a ``Conv2d(c_prev, c, 3, padding=1)`` followed by ReLU, each ``M`` a 2x2 max
pool with stride 2 (224 -> 112 -> 56 -> 28 -> 14 -> 7). Then flatten and the classifier
``linear 512*7*7 -> 4096, ReLU, dropout, linear 4096 -> 4096, ReLU, dropout, linear 4096 ->
num_classes``: 138,357,544 parameters with 1000 classes, most of them in the first linear layer.

The convolutions keep the size, so any input of at least 16 pixels works: the classifier takes
``512 * s * s`` for the last map's side ``s`` (CIFAR: 1). A pool that would find a 1x1 map
(MNIST's 28 -> 14 -> 7 -> 3 -> 1) is an ``Identity`` instead. torchvision's adaptive average
pooling to 7x7 is left out: at 224 the map is 7x7 already.

The features are 4-d ``(N, 512, s, s)``; the classifier's linear layers need ``(N, 512*s*s)``:
the flatten in between is not optional.

state_dict keys: torchvision's, ``features.0/2/5/7/10/12/14/17/19/21/24/26/28`` and
``classifier.0/3/6``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..module import Identity, Module, Sequential
from ..nn.conv import Conv2d
from ..nn.flatten import Flatten
from ..nn.linear import Linear
from ..nn.pool import MaxPool2d
from ..nn.relu import ReLU

__all__ = ["VGG16", "CONFIG"]

#: the widths of the convolutions, ``"M"`` for a max pool (VGG's configuration D). Given.
CONFIG: list[int | str] = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


class VGG16(Module):
    """VGG16 without BatchNorm.

    Args:
        num_classes: the number of logits. in_channels: 3 for RGB images.
        image_size: the side of the (square) input; 224 by default.
        dropout: the probability of the two dropouts (0.5, as torchvision); 0 for ``Identity`` placeholders.
        rng: for the weights and the dropout masks. dtype: of the weights.

    Shapes: ``x`` ``(N, C_in, S, S)`` -> logits ``(N, num_classes)``.

    Attributes:
        features: ``Sequential`` of 31 layers built from :data:`CONFIG` (``Conv2d, ReLU`` per
        number, ``MaxPool2d(2)`` or ``Identity`` per ``"M"``); flatten: ``Flatten()``;
        classifier: ``Sequential(Linear(512*s*s, 4096), ReLU(), drop, Linear(4096, 4096), ReLU(),
        drop, Linear(4096, num_classes))``.
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, image_size: int = 224, dropout: float = 0.5, *,
                 rng: np.random.Generator | None = None, dtype: Any = np.float64) -> None:
        rng = rng if rng is not None else np.random.default_rng()

        def drop() -> Module:
            if dropout <= 0:
                return Identity()
            from ..nn.dropout import Dropout
            return Dropout(dropout, rng=rng)

        ### BEGIN SOLUTION
        layers: list[Module] = []
        c, s = in_channels, image_size
        for v in CONFIG:
            if v == "M":
                layers.append(MaxPool2d(2) if s >= 2 else Identity())
                s = s // 2 if s >= 2 else s
            else:
                layers += [Conv2d(c, int(v), 3, padding=1, rng=rng, dtype=dtype), ReLU()]
                c = int(v)
        self.features = Sequential(*layers)
        self.flatten = Flatten()
        self.classifier = Sequential(
            Linear(512 * s * s, 4096, rng=rng, dtype=dtype), ReLU(), drop(),
            Linear(4096, 4096, rng=rng, dtype=dtype), ReLU(), drop(),
            Linear(4096, num_classes, rng=rng, dtype=dtype))
        ### END SOLUTION

    def forward(self, x: Any) -> Any:
        """x: ``(N, C_in, S, S)``. Returns logits ``(N, num_classes)``."""
        ### BEGIN SOLUTION
        x = self.features(x)
        x = self.flatten(x)
        return self.classifier(x)
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """grad_out: ``dL/dlogits`` ``(N, num_classes)``. Adds every parameter gradient; returns ``dL/dx``."""
        ### BEGIN SOLUTION
        g = self.classifier.backward(grad_out)
        g = self.flatten.backward(g)
        return self.features.backward(g)
        ### END SOLUTION
