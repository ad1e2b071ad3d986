"""Element-wise activation functions as layers: Sigmoid, Tanh, LeakyReLU, SiLU and GELU.

Every class here follows the local-gradient contract of ``module.Module``:
``forward(x)`` returns ``f(x)`` and keeps in ``self`` what the backward pass
needs; ``backward(grad_out)`` returns ``dL/dx = grad_out * f'(x)``. None of
them has parameters.

Shapes: ``x`` may have any shape, e.g. ``(N, D)``, ``(N, T, D)`` or
``(N, C, H, W)``; the output and ``dL/dx`` have the shape and dtype of ``x``
(float32 in, float32 out).

The error function ``erf`` is given: NumPy has none of its own.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import get_array_module
from ..module import Module

__all__ = ["Sigmoid", "Tanh", "LeakyReLU", "SiLU", "GELU", "erf"]

_ERF = np.frompyfunc(math.erf, 1, 1)


def erf(x: Any) -> Any:
    """The error function ``erf(x) = 2/sqrt(pi) * integral from 0 to x of exp(-t^2) dt``, element-wise.

    Given (not a task). ``x``: any shape; returns the same shape and float dtype
    (float32 stays float32). NumPy arrays use Python's ``math.erf`` element by
    element; CuPy arrays use CuPy's own ``erf`` on the GPU.
    """
    xp = get_array_module(x)
    if xp is not np:
        from cupyx.scipy.special import erf as gpu_erf
        return gpu_erf(x)
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    return np.asarray(_ERF(x), dtype=dtype)


class Sigmoid(Module):
    """``sigmoid(x) = 1 / (1 + exp(-x))``, squashing any real number into (0, 1).

    The forward pass must not overflow: for ``x = -1000`` it returns 0 with no
    warning, no inf and no NaN (``exp(1000)`` is inf in floating point).
    """

    def __init__(self) -> None:
        self._y: Any = None

    def forward(self, x: Any) -> Any:
        """x: any shape. Returns ``sigmoid(x)``, same shape and dtype; caches the output."""
        ### BEGIN SOLUTION
        xp = get_array_module(x)
        e = xp.exp(-xp.abs(x))  # in (0, 1]: never overflows
        y = xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        self._y = y
        return y
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """grad_out: same shape as the input. Returns ``grad_out * y * (1 - y)`` with ``y = sigmoid(x)``."""
        ### BEGIN SOLUTION
        y = self._y
        return grad_out * y * (1.0 - y)
        ### END SOLUTION


class Tanh(Module):
    """``tanh(x)``, squashing any real number into (-1, 1)."""

    def __init__(self) -> None:
        self._y: Any = None

    def forward(self, x: Any) -> Any:
        """x: any shape. Returns ``tanh(x)``, same shape and dtype; caches the output."""
        ### BEGIN SOLUTION
        y = get_array_module(x).tanh(x)
        self._y = y
        return y
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """grad_out: same shape as the input. Returns ``grad_out * (1 - y^2)`` with ``y = tanh(x)``."""
        ### BEGIN SOLUTION
        y = self._y
        return grad_out * (1.0 - y * y)
        ### END SOLUTION


class LeakyReLU(Module):
    """``x`` where ``x > 0``, ``negative_slope * x`` elsewhere.

    Args:
        negative_slope: the slope on the negative side (0.01 by default, as in PyTorch).

    The gradient is 1 where ``x > 0`` and ``negative_slope`` where ``x <= 0``
    (at exactly 0 too, as PyTorch does).
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = float(negative_slope)
        self._mask: Any = None

    def forward(self, x: Any) -> Any:
        """x: any shape. Returns the leaky ReLU of ``x``, same shape and dtype; caches the mask ``x > 0``."""
        ### BEGIN SOLUTION
        xp = get_array_module(x)
        self._mask = x > 0
        return xp.where(self._mask, x, self.negative_slope * x)
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """grad_out: same shape as the input. Returns ``grad_out`` where ``x > 0``, ``negative_slope * grad_out`` elsewhere."""
        ### BEGIN SOLUTION
        xp = get_array_module(grad_out)
        return xp.where(self._mask, grad_out, self.negative_slope * grad_out)
        ### END SOLUTION


class SiLU(Module):
    """``silu(x) = x * sigmoid(x)`` (also called swish).

    Like ``Sigmoid``, it must not overflow for large negative ``x`` (no
    warning, no inf, no NaN); ``silu(-1000)`` is 0. Compute the sigmoid here
    rather than through the ``Sigmoid`` class, so that this task stands alone.
    """

    def __init__(self) -> None:
        self._x: Any = None
        self._s: Any = None

    def forward(self, x: Any) -> Any:
        """x: any shape. Returns ``x * sigmoid(x)``, same shape and dtype; caches ``x`` and ``sigmoid(x)``."""
        ### BEGIN SOLUTION
        xp = get_array_module(x)
        e = xp.exp(-xp.abs(x))
        s = xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        self._x, self._s = x, s
        return x * s
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """grad_out: same shape as the input. Returns ``grad_out * (s + x * s * (1 - s))`` with ``s = sigmoid(x)``."""
        ### BEGIN SOLUTION
        x, s = self._x, self._s
        return grad_out * (s * (1.0 + x * (1.0 - s)))
        ### END SOLUTION


class GELU(Module):
    """The Gaussian error linear unit, ``gelu(x) = x * Phi(x)``.

    ``Phi`` is the standard normal CDF, ``Phi(x) = 0.5 * (1 + erf(x / sqrt(2)))``
    (use the given :func:`erf`), and ``phi(x) = exp(-x^2 / 2) / sqrt(2 pi)`` its density.

    Args:
        approximate: ``"none"`` for the exact form above, or ``"tanh"`` for
            ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))``,
            the same two choices as PyTorch's ``F.gelu``.
    """

    def __init__(self, approximate: str = "none") -> None:
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate
        self._cache: Any = None

    def forward(self, x: Any) -> Any:
        """x: any shape. Returns ``gelu(x)`` in the chosen form, same shape and dtype; caches what backward needs."""
        ### BEGIN SOLUTION
        xp = get_array_module(x)
        if self.approximate == "tanh":
            k = math.sqrt(2.0 / math.pi)
            t = xp.tanh(k * (x + 0.044715 * x ** 3))
            self._cache = (x, t)
            return 0.5 * x * (1.0 + t)
        cdf = 0.5 * (1.0 + erf(x * (1.0 / math.sqrt(2.0))))
        self._cache = (x, cdf)
        return x * cdf
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """grad_out: same shape as the input. Returns ``grad_out * gelu'(x)``.

        Exact form: ``gelu'(x) = Phi(x) + x * phi(x)``. Tanh form, with
        ``u = sqrt(2/pi) * (x + 0.044715 x^3)`` and ``t = tanh(u)``:
        ``gelu'(x) = 0.5 * (1 + t) + 0.5 * x * (1 - t^2) * sqrt(2/pi) * (1 + 3 * 0.044715 * x^2)``.
        """
        ### BEGIN SOLUTION
        xp = get_array_module(grad_out)
        if self.approximate == "tanh":
            x, t = self._cache
            k = math.sqrt(2.0 / math.pi)
            du = k * (1.0 + 3.0 * 0.044715 * x * x)
            return grad_out * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du)
        x, cdf = self._cache
        pdf = xp.exp(-0.5 * x * x) * (1.0 / math.sqrt(2.0 * math.pi))
        return grad_out * (cdf + x * pdf)
        ### END SOLUTION


class ReLU6(Module):
    """``min(max(0, x), 6)``: ReLU capped at 6, as EfficientNet-Lite and MobileNet use. Given (not a task).

    The gradient passes where ``0 < x < 6`` and is blocked elsewhere (at exactly 0 and 6 too, as
    PyTorch does). Any shape in, the same shape and dtype out.
    """

    def __init__(self) -> None:
        self._mask: Any = None

    def forward(self, x: Any) -> Any:
        """x: any shape. Returns ``clip(x, 0, 6)``; caches the mask ``0 < x < 6``."""
        self._mask = (x > 0) & (x < 6)
        return get_array_module(x).clip(x, 0, 6)

    def backward(self, grad_out: Any) -> Any:
        """grad_out: same shape as the input. Returns ``grad_out * (0 < x < 6)``."""
        return grad_out * self._mask
