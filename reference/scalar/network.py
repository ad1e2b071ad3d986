"""A network of layers (a multi-layer perceptron), its loss, and one step of gradient descent.

``Network([2, 8, 8, 1])`` is ``Layer(2 -> 8) -> Layer(8 -> 8) -> Layer(8 -> 1)``:
the hidden layers use ``activation`` and the last one ``output_activation``.
Forward runs the layers in order; backward runs them in reverse, each layer
turning dL/d(its output) into dL/d(its input) for the layer before it.

Training on a batch of ``N`` samples minimises the mean of the per-sample
losses, so each sample's gradient is scaled by ``1/N`` and the ``N``
backward passes add up in the Params' ``grad`` (which is why they start from
``zero_grad()``). Then every parameter takes a step downhill::

    p.data <- p.data - lr * p.grad
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .layer import Layer
from .neuron import Param

__all__ = ["Network", "mse", "sgd_step", "train_step"]


class Network:
    """Layers of neurons applied in order.

    Args:
        sizes: ``[n_inputs, h_1, ..., h_k, n_outputs]``, at least two numbers.
        activation: the activation of the hidden layers.
        output_activation: the activation of the last layer (``"linear"``: none).
        rng: a NumPy ``Generator`` for the initial weights.

    Attributes:
        layers: ``len(sizes) - 1`` layers; layer ``i`` maps ``sizes[i]`` floats to ``sizes[i+1]``.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "tanh", output_activation: str = "linear",
                 rng: np.random.Generator | None = None) -> None:
        if len(sizes) < 2:
            raise ValueError(f"sizes needs the input size and at least one layer size, got {list(sizes)}")
        rng = np.random.default_rng() if rng is None else rng
        last = len(sizes) - 2
        self.sizes = list(sizes)
        self.layers = [Layer(sizes[i], sizes[i + 1], output_activation if i == last else activation, rng)
                       for i in range(len(sizes) - 1)]

    def __call__(self, x: Sequence[float]) -> list[float]:
        return self.forward(x)

    def forward(self, x: Sequence[float]) -> list[float]:
        """x: ``sizes[0]`` floats. Returns a new list of ``sizes[-1]`` floats."""
        ### BEGIN SOLUTION
        out = list(x)
        for layer in self.layers:
            out = layer.forward(out)
        return out
        ### END SOLUTION

    def backward(self, grad_out: Sequence[float]) -> list[float]:
        """grad_out: ``sizes[-1]`` floats, dL/d(output). Returns dL/dx, ``sizes[0]`` floats.

        Adds every parameter's gradient into its ``grad``, layer by layer from the last.
        """
        ### BEGIN SOLUTION
        grad = list(grad_out)
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad
        ### END SOLUTION

    def parameters(self) -> list[Param]:
        """Every Param, layer by layer from the first (each layer's ``parameters()`` in turn)."""
        ### BEGIN SOLUTION
        return [p for layer in self.layers for p in layer.parameters()]
        ### END SOLUTION

    def zero_grad(self) -> None:
        """Set the gradient of every parameter of the network to 0."""
        ### BEGIN SOLUTION
        for layer in self.layers:
            layer.zero_grad()
        ### END SOLUTION

    def __repr__(self) -> str:
        return "Network(" + " -> ".join(str(s) for s in self.sizes) + ")"


def mse(pred: Sequence[float], target: Sequence[float]) -> tuple[float, list[float]]:
    """The squared error of one sample, averaged over its ``K`` outputs, and its gradient.

    Args:
        pred: the network's ``K`` outputs.
        target: the ``K`` wanted outputs.

    Returns:
        ``(loss, grad)``: ``loss = sum((pred[k] - target[k])**2) / K`` and
        ``grad[k] = dloss/dpred[k] = 2 * (pred[k] - target[k]) / K``.
    """
    if len(pred) != len(target):
        raise ValueError(f"{len(pred)} predictions but {len(target)} targets")
    k = len(pred)
    diff = [float(p) - float(t) for p, t in zip(pred, target)]
    return sum(d * d for d in diff) / k, [2.0 * d / k for d in diff]


def sgd_step(params: Sequence[Param], lr: float) -> None:
    """One step of plain gradient descent, in place: ``p.data -= lr * p.grad`` for every Param.

    The gradients are left as they are (clearing them is ``zero_grad``'s job).
    """
    ### BEGIN SOLUTION
    for p in params:
        p.data -= lr * p.grad
    ### END SOLUTION


def train_step(net: Any, xs: Sequence[Sequence[float]], ys: Sequence[Sequence[float]], lr: float) -> float:
    """One step of gradient descent on a batch, with the mean squared error.

    In order: clear the gradients (``net.zero_grad()``); for each sample, run
    ``net.forward``, take :func:`mse` and pass its gradient, divided by
    ``N``, to ``net.backward`` (the gradients add up over the batch); then
    :func:`sgd_step` on ``net.parameters()``.

    Args:
        net: a ``Network``, or anything with ``forward``, ``backward``,
            ``parameters`` and ``zero_grad`` that behave the same way.
        xs: ``N`` inputs, each a list of ``sizes[0]`` floats.
        ys: ``N`` targets, each a list of ``sizes[-1]`` floats.
        lr: the learning rate.

    Returns:
        The batch loss *before* the step: the mean over the ``N`` samples of
        their :func:`mse`, a float.
    """
    ### BEGIN SOLUTION
    n = len(xs)
    net.zero_grad()
    total = 0.0
    for x, y in zip(xs, ys):
        loss, grad = mse(net.forward(x), y)
        total += loss
        net.backward([g / n for g in grad])
    sgd_step(net.parameters(), lr)
    return total / n
    ### END SOLUTION
