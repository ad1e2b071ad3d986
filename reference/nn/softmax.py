"""Numerically stable ``softmax`` and ``log_softmax`` along one axis.

Both rest on one identity: subtracting the same constant from every logit
along the axis changes neither result, so subtract the maximum ``m``. Then
every exponent is ``<= 0``, ``exp`` cannot overflow, and the largest term is
exactly ``exp(0) = 1``, so the sum is at least 1 and its log is finite::

    softmax(x)_i     = exp(x_i - m) / sum_j exp(x_j - m)
    log_softmax(x)_i = (x_i - m) - log(sum_j exp(x_j - m))      (the log-sum-exp trick)

Shapes: ``x`` may have any shape, e.g. logits ``(N, C)`` with ``axis=-1``;
the result has the shape and dtype of ``x``. Logits of size ``1e4`` must
give no overflow, no NaN and no inf. ``x`` is not modified.
"""
from __future__ import annotations

from typing import Any

from ..backend import get_array_module

__all__ = ["softmax", "log_softmax"]


def softmax(x: Any, axis: int = -1) -> Any:
    """Softmax of ``x`` along ``axis``: non-negative values that sum to 1 along that axis.

    Args:
        x: logits, any shape, e.g. ``(N, C)``.
        axis: the axis to normalise over (default: the last).

    Returns:
        probabilities, same shape and dtype as ``x``.
    """
    ### BEGIN SOLUTION
    xp = get_array_module(x)
    z = x - xp.max(x, axis=axis, keepdims=True)
    e = xp.exp(z)
    return e / xp.sum(e, axis=axis, keepdims=True)
    ### END SOLUTION


def log_softmax(x: Any, axis: int = -1) -> Any:
    """Logarithm of the softmax of ``x`` along ``axis``, computed without taking ``log`` of a probability.

    Args:
        x: logits, any shape, e.g. ``(N, C)``.
        axis: the axis to normalise over (default: the last).

    Returns:
        log-probabilities (all ``<= 0``), same shape and dtype as ``x``.
    """
    ### BEGIN SOLUTION
    xp = get_array_module(x)
    shifted = x - xp.max(x, axis=axis, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))
    ### END SOLUTION
