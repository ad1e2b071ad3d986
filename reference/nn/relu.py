"""The rectified linear unit, ``y = max(0, x)``, and its gradient mask."""
from __future__ import annotations

from typing import Any

from ..backend import get_array_module
from ..module import Module

__all__ = ["ReLU"]


class ReLU(Module):
    """Element-wise ``max(0, x)``; any shape in, the same shape and dtype out.

    The backward pass lets the gradient through where the input was positive
    and blocks it elsewhere (at exactly 0 too, as PyTorch does).
    """

    def __init__(self) -> None:
        self._mask: Any = None

    def forward(self, x: Any) -> Any:
        """x: any shape. Returns ``max(0, x)``, same shape and dtype; caches the mask ``x > 0``."""
        ### BEGIN SOLUTION
        self._mask = x > 0
        return get_array_module(x).maximum(x, 0)
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """grad_out: same shape as the input. Returns ``grad_out * (x > 0)``."""
        ### BEGIN SOLUTION
        return grad_out * self._mask
        ### END SOLUTION
