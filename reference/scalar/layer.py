"""A layer of neurons: every neuron sees the same input, and each gives one output.

Forward: ``x`` (``n_inputs`` floats) -> ``[neuron_0(x), ..., neuron_{m-1}(x)]``
(``n_outputs = m`` floats).

Backward: ``grad_out[j]`` (dL/d output ``j``) goes to neuron ``j``. Every
input ``x[i]`` feeds *all* ``m`` neurons, so dL/dx[i] is the sum of the ``m``
contributions that come back: one path per neuron, added up.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .neuron import Neuron, Param

__all__ = ["Layer"]


class Layer:
    """``n_outputs`` neurons side by side, each with ``n_inputs`` weights.

    Args:
        n_inputs: the length of every input.
        n_outputs: the number of neurons, and the length of the output.
        activation: the activation of every neuron (see ``neuron.ACTIVATIONS``).
        rng: a NumPy ``Generator`` for the initial weights.

    Attributes:
        neurons: the ``n_outputs`` neurons, in output order.
        n_inputs: the length of every input.
    """

    def __init__(self, n_inputs: int, n_outputs: int, activation: str = "tanh",
                 rng: np.random.Generator | None = None) -> None:
        rng = np.random.default_rng() if rng is None else rng
        self.n_inputs = n_inputs
        self.neurons = [Neuron(n_inputs, activation, rng) for _ in range(n_outputs)]

    def __call__(self, x: Sequence[float]) -> list[float]:
        return self.forward(x)

    def forward(self, x: Sequence[float]) -> list[float]:
        """x: ``n_inputs`` floats. Returns a new list of ``n_outputs`` floats, output ``j`` from neuron ``j``."""
        ### BEGIN SOLUTION
        return [neuron.forward(x) for neuron in self.neurons]
        ### END SOLUTION

    def backward(self, grad_out: Sequence[float]) -> list[float]:
        """grad_out: ``n_outputs`` floats, dL/d(output). Returns dL/dx, a new list of ``n_inputs`` floats.

        Each neuron receives its own entry of ``grad_out`` (and adds its
        parameter gradients into its Params); the input gradients the neurons
        return are summed.
        """
        ### BEGIN SOLUTION
        grad_x = [0.0] * self.n_inputs
        for neuron, g in zip(self.neurons, grad_out):
            for i, gi in enumerate(neuron.backward(g)):
                grad_x[i] += gi
        return grad_x
        ### END SOLUTION

    def parameters(self) -> list[Param]:
        """Every Param of every neuron, neuron by neuron (each neuron's ``parameters()`` in turn)."""
        ### BEGIN SOLUTION
        return [p for neuron in self.neurons for p in neuron.parameters()]
        ### END SOLUTION

    def zero_grad(self) -> None:
        """Set the gradient of every parameter of the layer to 0."""
        ### BEGIN SOLUTION
        for neuron in self.neurons:
            neuron.zero_grad()
        ### END SOLUTION

    def __repr__(self) -> str:
        act = self.neurons[0].activation if self.neurons else "?"
        return f"Layer({self.n_inputs} -> {len(self.neurons)}, {act!r})"
