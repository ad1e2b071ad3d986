"""Squared distances without Python loops, and a per-sample error that dodges the column-vector trap.

``pairwise_sq_dists`` expands the square,

    |a - b|^2 = |a|^2 + |b|^2 - 2 a.b,

so that the whole ``(N, M)`` table comes from one matrix product ``A @ B.T``
and two broadcast additions: a column ``(N, 1)`` of ``|a|^2`` plus a row
``(1, M)`` of ``|b|^2``. Rounding can leave tiny negative numbers where the
true distance is 0 (a point and itself); they are clipped to 0.

``sq_errors`` compares predictions ``(N,)`` with targets that often arrive as
a column ``(N, 1)``. Subtracting the two as they are broadcasts to an
``(N, N)`` grid of every prediction minus every target: the column-vector trap.
"""
from __future__ import annotations

from typing import Any

from ..backend import get_array_module

__all__ = ["pairwise_sq_dists", "sq_errors"]


def pairwise_sq_dists(A: Any, B: Any) -> Any:
    """Squared Euclidean distances between every row of ``A`` and every row of ``B``.

    ``D[i, j] = sum_k (A[i, k] - B[j, k])**2``, computed as
    ``|A[i]|^2 + |B[j]|^2 - 2 A[i].B[j]`` with one matrix product and no Python
    loop, negatives from rounding clipped to 0.

    Args:
        A: ``(N, D)``.
        B: ``(M, D)``.

    Returns:
        D: ``(N, M)``, every entry ``>= 0``, in ``A``'s dtype when ``A`` and ``B`` share it.
    """
    ### BEGIN SOLUTION
    xp = get_array_module(A, B)
    a2 = (A * A).sum(axis=1).reshape(-1, 1)
    b2 = (B * B).sum(axis=1).reshape(1, -1)
    d = a2 + b2 - 2 * (A @ B.T)
    return xp.maximum(d, 0)
    ### END SOLUTION


def sq_errors(pred: Any, target: Any) -> Any:
    """Per-sample squared error ``(pred[i] - target[i])**2``.

    Args:
        pred: ``(N,)``, one prediction per sample.
        target: ``(N,)`` or ``(N, 1)``, one target per sample (a column is
            common when targets come from a table).

    Returns:
        errors: ``(N,)``, whichever of the two shapes ``target`` had, in ``pred``'s
        dtype when the two share it.

    Raises:
        ValueError: when ``target`` is neither ``(N,)`` nor ``(N, 1)``.
    """
    ### BEGIN SOLUTION
    n = pred.shape[0]
    if target.shape not in ((n,), (n, 1)):
        raise ValueError(f"target has shape {target.shape}; with pred of shape {pred.shape} "
                         f"it must be ({n},) or ({n}, 1)")
    t = target.reshape(pred.shape)
    diff = pred - t
    return diff * diff
    ### END SOLUTION
