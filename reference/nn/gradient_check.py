"""Checking gradients numerically: central differences and the relative error."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..backend import get_array_module

__all__ = ["numerical_gradient", "rel_error"]


def numerical_gradient(f: Callable[[], float], x: Any, h: float = 1e-5) -> Any:
    """The gradient of a scalar function by central differences.

    For every element ``x[i]``, nudge it by ``+h`` and by ``-h`` *in place*,
    evaluate ``f()`` each time, and estimate ``(f(x+h) - f(x-h)) / (2h)``.
    Restore ``x[i]`` before moving on, so ``x`` is unchanged afterwards.

    Args:
        f: a function of no arguments that reads ``x`` and returns a float.
        x: the array (float64, any shape) that ``f`` depends on.
        h: the step.

    Returns:
        An array shaped like ``x`` holding df/dx.
    """
    ### BEGIN SOLUTION
    xp = get_array_module(x)
    grad = xp.zeros(x.shape, dtype=float)
    for i in np.ndindex(*x.shape):
        old = float(x[i])
        x[i] = old + h
        f_plus = float(f())
        x[i] = old - h
        f_minus = float(f())
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2.0 * h)
    return grad
    ### END SOLUTION


def rel_error(a: Any, b: Any) -> float:
    """The largest element-wise relative error ``|a - b| / max(1e-8, |a| + |b|)``.

    Args:
        a, b: arrays of the same shape (or scalars).

    Returns:
        A Python float; about 1e-7 or less means the two agree in float64.
    """
    ### BEGIN SOLUTION
    xp = get_array_module(a, b)
    a = xp.asarray(a, dtype=float)
    b = xp.asarray(b, dtype=float)
    return float(xp.max(xp.abs(a - b) / xp.maximum(1e-8, xp.abs(a) + xp.abs(b))))
    ### END SOLUTION
