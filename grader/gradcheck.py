"""Finite-difference gradient checks (central differences, float64), independent of any student code."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .compare import assert_close, to_numpy

__all__ = ["numeric_grad", "gradcheck"]

H = 1e-5
GRAD_TOL = 1e-6


def numeric_grad(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = H) -> np.ndarray:
    """df/dx of a scalar function ``f(x)`` by central differences; ``x`` is left unchanged.

    Args:
        f: takes an array shaped like ``x`` and returns a float.
        x: float64 array, any shape.
    """
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        old = x[i]
        x[i] = old + h
        fp = float(f(x))
        x[i] = old - h
        fm = float(f(x))
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


def gradcheck(f: Callable[[np.ndarray], float], x: np.ndarray, analytic: Any, name: str = "grad",
              h: float = H, tol: float = GRAD_TOL, **hints: Any) -> None:
    """Assert that ``analytic`` matches the central-difference gradient of ``f`` at ``x``.

    ``f`` maps an array shaped like ``x`` to a float (usually ``sum(forward(x) * G)``
    for a fixed random ``G``, whose gradient is ``backward(G)``). Extra keyword
    arguments go to :func:`grader.assert_close` as hints.
    """
    __tracebackhide__ = True
    assert_close(analytic, numeric_grad(f, to_numpy(x), h), name=f"{name} (vs finite differences)",
                 tol=tol, **hints)
