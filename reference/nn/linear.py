"""The fully connected (linear) layer: ``y = x W^T + b``.

Shapes, with ``D_in = in_features`` and ``D_out = out_features``:

* ``x``: ``(..., D_in)``; any number of leading batch dimensions, e.g.
  ``(N, D_in)`` or ``(N, T, D_in)``;
* ``W``: ``(D_out, D_in)``, stored as (out, in) like PyTorch;
* ``b``: ``(D_out,)``;
* ``y``: ``(..., D_out)``, the batch dimensions unchanged.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import xp
from ..module import Module, Parameter

__all__ = ["Linear"]


class Linear(Module):
    """``y = x W^T + b`` over any leading batch dimensions.

    Args:
        in_features: ``D_in``, the size of the last input dimension.
        out_features: ``D_out``, the size of the last output dimension.
        bias: whether to add the learnable bias ``b``.
        rng: a ``numpy.random.Generator`` for the initial weights (seeded by the caller).
        dtype: dtype of ``W`` and ``b``; float64 unless told otherwise.

    Attributes:
        W: ``Parameter`` of shape ``(D_out, D_in)``.
        b: ``Parameter`` of shape ``(D_out,)``, or ``None`` when ``bias=False``.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 rng: np.random.Generator | None = None, dtype: Any = np.float64) -> None:
        rng = rng if rng is not None else np.random.default_rng()
        bound = 1.0 / np.sqrt(in_features)  # PyTorch's default: U(-1/sqrt(D_in), 1/sqrt(D_in))
        self.in_features = in_features
        self.out_features = out_features
        self.W = Parameter(xp.asarray(rng.uniform(-bound, bound, (out_features, in_features)), dtype=dtype), "W")
        self.b = Parameter(xp.asarray(rng.uniform(-bound, bound, (out_features,)), dtype=dtype), "b") if bias else None
        self._x: Any = None

    def forward(self, x: Any) -> Any:
        """Compute ``y = x W^T + b`` and cache ``x`` for the backward pass.

        Args:
            x: ``(..., D_in)``.

        Returns:
            y: ``(..., D_out)``, same dtype as ``x`` when ``x`` and ``W`` share it.
        """
        ### BEGIN SOLUTION
        self._x = x
        y = x @ self.W.data.T
        if self.b is not None:
            y = y + self.b.data
        return y
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """Backpropagate through the layer.

        Adds ``dL/dW = dY^T X`` into ``W.grad`` and ``dL/db = sum of dY over
        every batch dimension`` into ``b.grad``, where ``X`` and ``dY`` are the
        input and ``grad_out`` with their batch dimensions flattened into one.

        Args:
            grad_out: ``dL/dy``, shape ``(..., D_out)``.

        Returns:
            grad_x: ``dL/dx = dY W``, shape ``(..., D_in)``.
        """
        ### BEGIN SOLUTION
        x = self._x
        x2 = x.reshape(-1, self.in_features)
        g2 = grad_out.reshape(-1, self.out_features)
        self.W.grad += g2.T @ x2
        if self.b is not None:
            self.b.grad += g2.sum(axis=0)
        return grad_out @ self.W.data
        ### END SOLUTION
