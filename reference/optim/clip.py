"""Gradient clipping, as ``torch.nn.utils.clip_grad_norm_`` and ``clip_grad_value_``.

*By norm* treats all gradients as one long vector ``G`` (every parameter's
``.grad`` flattened and joined) and shrinks it when it is too long::

    total = ||G||_2 = sqrt(sum over parameters of sum(grad²))
    coef  = min(1, max_norm / (total + 1e-6))
    grad ← coef · grad          (every parameter, the same coef)

so the direction of the whole step is kept. *By value* clamps every element
to ``[-clip_value, clip_value]`` independently (the direction can change).
Both modify ``.grad`` in place (hence the trailing underscore) and are called
between ``backward`` and ``optimizer.step()``.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

from ..backend import get_array_module

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def clip_grad_norm_(params: Iterable[Any], max_norm: float) -> float:
    """Scale every ``p.grad`` in place so that the total 2-norm is at most ``max_norm``.

    Args:
        params: ``Parameter`` objects (their ``.grad`` arrays, any shapes).
        max_norm: the largest allowed total norm.

    Returns:
        the total 2-norm of all gradients *before* clipping, as a Python float.
    """
    params = [p for p in params if p.grad is not None]
    if not params:
        return 0.0
    ### BEGIN SOLUTION
    total = math.sqrt(sum(float((p.grad.astype(float) ** 2).sum()) for p in params))
    coef = min(1.0, max_norm / (total + 1e-6))
    if coef < 1.0:
        for p in params:
            p.grad *= coef
    return total
    ### END SOLUTION


def clip_grad_value_(params: Iterable[Any], clip_value: float) -> None:
    """Clamp every element of every ``p.grad`` to ``[-clip_value, clip_value]``, in place.

    Args:
        params: ``Parameter`` objects.
        clip_value: a positive bound.
    """
    ### BEGIN SOLUTION
    for p in params:
        if p.grad is not None:
            xp = get_array_module(p.grad)
            xp.clip(p.grad, -clip_value, clip_value, out=p.grad)
    ### END SOLUTION
