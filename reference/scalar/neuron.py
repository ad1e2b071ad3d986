"""One neuron on plain Python floats: ``a = f(w · x + b)``, with its backward pass written by hand.

Forward, for an input ``x`` of ``n`` floats::

    z = w[0]*x[0] + w[1]*x[1] + ... + w[n-1]*x[n-1] + b      a float
    a = f(z)                                                 a float

Backward: given ``grad_out = dL/da`` (a float), the chain rule gives::

    dL/dz    = dL/da * f'(z)
    dL/dw[i] = dL/dz * x[i]        for every i   (added into w[i].grad)
    dL/db    = dL/dz                             (added into b.grad)
    dL/dx[i] = dL/dz * w[i]        for every i   (returned: a list of n floats)
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

__all__ = ["Param", "Neuron", "ACTIVATIONS", "activate", "activation_derivative"]

#: The activation functions a neuron may use; ``"linear"`` is the identity.
ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")


class Param:
    """One trainable number and the gradient accumulated for it.

    Attributes:
        data: the value, a Python float.
        grad: dL/d(data), a Python float; 0.0 until a backward pass adds to it.
    """

    __slots__ = ("data", "grad")

    def __init__(self, data: float) -> None:
        self.data = float(data)
        self.grad = 0.0

    def __repr__(self) -> str:
        return f"Param(data={self.data:.6g}, grad={self.grad:.6g})"


def activate(name: str, z: float) -> float:
    """``f(z)`` for the activation called ``name`` (one of :data:`ACTIVATIONS`)."""
    if name == "tanh":
        return math.tanh(z)
    if name == "sigmoid":
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)
    if name == "relu":
        return z if z > 0 else 0.0
    if name == "linear":
        return z
    raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")


def activation_derivative(name: str, z: float, a: float) -> float:
    """``f'(z)``, the local derivative da/dz, given ``z`` and ``a = f(z)``.

    tanh: ``1 - a**2``; sigmoid: ``a * (1 - a)``; relu: 1 where ``z > 0``, else 0
    (0 at exactly ``z = 0``, as PyTorch does); linear: 1.
    """
    if name == "tanh":
        return 1.0 - a * a
    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "relu":
        return 1.0 if z > 0 else 0.0
    if name == "linear":
        return 1.0
    raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")


class Neuron:
    """A single unit ``a = f(w · x + b)`` working on lists of Python floats.

    Args:
        n_inputs: ``n``, the length of every input.
        activation: the name of ``f``, one of :data:`ACTIVATIONS`.
        rng: a NumPy ``Generator`` for the initial weights (uniform in
            ``[-1/sqrt(n), 1/sqrt(n)]``); the bias starts at 0.

    Attributes:
        w: ``n`` Params, the weights (``w[i].data`` multiplies ``x[i]``).
        b: a Param, the bias.
        activation: the name of ``f``.
        x: the input of the last ``forward``, as a list of ``n`` floats (a copy).
        z: the weighted sum ``w · x + b`` of the last ``forward``, a float.
        a: the output ``f(z)`` of the last ``forward``, a float.
    """

    def __init__(self, n_inputs: int, activation: str = "tanh", rng: np.random.Generator | None = None) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        rng = np.random.default_rng() if rng is None else rng
        bound = 1.0 / math.sqrt(n_inputs)
        self.w = [Param(float(v)) for v in rng.uniform(-bound, bound, size=n_inputs)]
        self.b = Param(0.0)
        self.activation = activation
        self.x: list[float] = []
        self.z = 0.0
        self.a = 0.0

    @property
    def n_inputs(self) -> int:
        return len(self.w)

    def __call__(self, x: Sequence[float]) -> float:
        return self.forward(x)

    def forward(self, x: Sequence[float]) -> float:
        """Compute ``a = f(w · x + b)`` and keep ``x`` (a copy), ``z`` and ``a`` for the backward pass.

        Args:
            x: ``n`` numbers (a list or tuple); not modified.

        Returns:
            ``a``, a Python float.
        """
        ### BEGIN SOLUTION
        if len(x) != len(self.w):
            raise ValueError(f"this neuron takes {len(self.w)} inputs, got {len(x)}")
        self.x = [float(xi) for xi in x]
        z = self.b.data
        for wi, xi in zip(self.w, self.x):
            z += wi.data * xi
        self.z = z
        self.a = activate(self.activation, z)
        return self.a
        ### END SOLUTION

    def backward(self, grad_out: float) -> list[float]:
        """The chain rule by hand, from ``grad_out = dL/da`` of the last ``forward``.

        Adds dL/dw[i] into ``w[i].grad`` for every ``i`` and dL/db into
        ``b.grad`` (gradients accumulate: never overwrite them), and returns
        dL/dx. Uses ``x``, ``z`` and ``a`` as the last ``forward`` left them.

        Args:
            grad_out: dL/da, a float.

        Returns:
            dL/dx, a new list of ``n`` floats.
        """
        ### BEGIN SOLUTION
        dz = grad_out * activation_derivative(self.activation, self.z, self.a)
        for wi, xi in zip(self.w, self.x):
            wi.grad += dz * xi
        self.b.grad += dz
        return [dz * wi.data for wi in self.w]
        ### END SOLUTION

    def parameters(self) -> list[Param]:
        """The weights then the bias: ``[w[0], ..., w[n-1], b]`` (the Params themselves, not copies)."""
        return [*self.w, self.b]

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to 0."""
        for p in self.parameters():
            p.grad = 0.0

    def __repr__(self) -> str:
        return f"Neuron({self.n_inputs}, {self.activation!r})"
