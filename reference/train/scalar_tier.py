"""The scalar tier on real images: an MLP of loop-based neurons (assignment 02's ``scalar/``), softmax
cross-entropy, per-layer activations and dropout, trained with plain SGD one sample at a time.

Every multiply is a Python operation, so it is slow on purpose: it shows what vectorising buys
(about a thousand times; see the README). Use ``--limit`` to train on a few hundred images.
GELU is not among the scalar neurons' activations (tanh, sigmoid, relu): ask for it and the
scalar tier says so.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..scalar.layer import Layer
from ..scalar.neuron import ACTIVATIONS

__all__ = ["ScalarMLP", "softmax_cross_entropy"]


def softmax_cross_entropy(logits: Sequence[float], target: int) -> tuple[float, list[float]]:
    """``-log softmax(z)_y`` and its gradient ``softmax(z) - onehot(y)`` for one sample (Python floats)."""
    m = max(logits)
    exps = [math.exp(z - m) for z in logits]
    s = sum(exps)
    p = [e / s for e in exps]
    grad = [pi - (1.0 if i == target else 0.0) for i, pi in enumerate(p)]
    return -math.log(max(p[target], 1e-300)), grad


class ScalarMLP:
    """``sizes[0] -> hidden... -> sizes[-1]``: scalar ``Layer`` s with their own activation and dropout.

    Args:
        sizes: ``[inputs, h_1, ..., h_k, classes]``.
        activations: ``k`` names (``tanh``, ``sigmoid``, ``relu``), one per hidden layer.
        dropout: ``k`` drop probabilities (inverted dropout after each hidden layer), or ``None``.
        rng: weights and dropout masks.
    """

    def __init__(self, sizes: Sequence[int], activations: Sequence[str], dropout: Sequence[float] | None = None,
                 *, rng: np.random.Generator) -> None:
        k = len(sizes) - 2
        if len(activations) != k:
            raise ValueError(f"{k} hidden layers need {k} activations, got {list(activations)}")
        for a in activations:
            if a not in ACTIVATIONS:
                raise ValueError(f"the scalar neurons know {', '.join(ACTIVATIONS)}; {a!r} is a vectorised-tier "
                                 "activation (use --hidden-activations with those names)")
        self.dropout = list(dropout) if dropout else [0.0] * k
        if len(self.dropout) != k:
            raise ValueError(f"{k} hidden layers need {k} dropout rates, got {self.dropout}")
        self.layers = [Layer(sizes[i], sizes[i + 1], activations[i] if i < k else "linear", rng)
                       for i in range(len(sizes) - 1)]
        self.rng = rng
        self.training = True
        self._masks: list[list[float]] = []

    def forward(self, x: Sequence[float]) -> list[float]:
        out = list(x)
        self._masks = []
        for i, layer in enumerate(self.layers):
            out = layer.forward(out)
            if i < len(self.dropout) and self.training and self.dropout[i] > 0:
                p = self.dropout[i]
                mask = [0.0 if u < p else 1.0 / (1.0 - p) for u in self.rng.random(len(out))]
                self._masks.append(mask)
                out = [o * m for o, m in zip(out, mask)]
            elif i < len(self.dropout):
                self._masks.append([])
        return out

    def backward(self, grad: Sequence[float]) -> list[float]:
        g = list(grad)
        for i in reversed(range(len(self.layers))):
            if i < len(self._masks) and self._masks[i]:
                g = [gi * m for gi, m in zip(g, self._masks[i])]
            g = self.layers[i].backward(g)
        return g

    def parameters(self) -> list[Any]:
        return [p for layer in self.layers for p in layer.parameters()]

    def train_batch(self, xs: np.ndarray, ys: np.ndarray, lr: float) -> tuple[float, int]:
        """One SGD step on a batch (gradients summed over the samples, divided by N); ``(mean loss, hits)``."""
        self.training = True
        params = self.parameters()
        for p in params:
            p.grad = 0.0
        total, hits = 0.0, 0
        n = len(ys)
        for x, y in zip(xs, ys):
            logits = self.forward(x.tolist())
            loss, grad = softmax_cross_entropy(logits, int(y))
            self.backward([g / n for g in grad])
            total += loss
            hits += int(max(range(len(logits)), key=logits.__getitem__) == int(y))
        for p in params:
            p.data -= lr * p.grad
        return total / n, hits

    def evaluate(self, xs: np.ndarray, ys: np.ndarray) -> tuple[float, float]:
        """``(mean loss, accuracy)`` without dropout."""
        self.training = False
        total, hits = 0.0, 0
        for x, y in zip(xs, ys):
            logits = self.forward(x.tolist())
            total += softmax_cross_entropy(logits, int(y))[0]
            hits += int(max(range(len(logits)), key=logits.__getitem__) == int(y))
        return total / max(len(ys), 1), hits / max(len(ys), 1)
