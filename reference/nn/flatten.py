"""Flatten: ``(N, d1, d2, ...) -> (N, d1 * d2 * ...)``, the bridge from convolutions to Linear layers.

Only the shape changes; every value stays where it was in C (row-major) order,
as ``torch.flatten(x, 1)`` does. The backward pass reshapes the gradient back.
"""
from __future__ import annotations

from typing import Any

from ..module import Module

__all__ = ["Flatten"]


class Flatten(Module):
    """``torch.nn.Flatten()``: keep the batch axis, merge all the others."""

    def __init__(self) -> None:
        self._x_shape: tuple[int, ...] = ()

    def forward(self, x: Any) -> Any:
        """x: ``(N, ...)``. Returns ``(N, prod(...))``, same values and dtype."""
        ### BEGIN SOLUTION
        self._x_shape = x.shape
        return x.reshape(x.shape[0], -1)
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """grad_out: ``(N, prod(...))``. Returns dX shaped like the input of the last forward."""
        ### BEGIN SOLUTION
        return grad_out.reshape(self._x_shape)
        ### END SOLUTION
