"""A linear map over any leading batch dimensions, with the bias broadcast spelled out.

``y = x W^T + b`` where

* ``x``: ``(..., D_in)``, e.g. ``(D_in,)``, ``(N, D_in)`` or ``(N, T, D_in)``;
* ``W``: ``(D_out, D_in)``, stored as (out, in) like PyTorch;
* ``b``: ``(D_out,)``;
* ``y``: ``(..., D_out)``: the batch dimensions pass through unchanged.

The matrix product ``x @ W.T`` treats every leading dimension of ``x`` as a
batch dimension. The bias is then reshaped to ``(1, ..., 1, D_out)``, one
leading 1 per batch dimension, so that the code itself states which axes it
is broadcast over.
"""
from __future__ import annotations

from typing import Any

__all__ = ["batched_linear"]


def batched_linear(x: Any, W: Any, b: Any | None = None) -> Any:
    """Compute ``x @ W.T + b`` for any number of leading batch dimensions.

    Args:
        x: ``(..., D_in)``.
        W: ``(D_out, D_in)``.
        b: ``(D_out,)``, or ``None`` for no bias.

    Returns:
        y: ``(..., D_out)``, in ``x``'s dtype when ``x``, ``W`` and ``b`` share it.
        Before it is added, the bias is reshaped to ``(1,) * (x.ndim - 1) + (D_out,)``.

    Raises:
        ValueError: when ``x.shape[-1] != D_in``, or when ``b`` is not exactly
            ``(D_out,)`` (a column ``(D_out, 1)`` would broadcast silently into
            a grid). The message gives the shapes involved.
    """
    ### BEGIN SOLUTION
    d_out, d_in = W.shape
    if x.shape[-1] != d_in:
        raise ValueError(f"x has shape {x.shape} but W has shape {W.shape}: "
                         f"the last dimension of x must be D_in = {d_in}")
    y = x @ W.T
    if b is None:
        return y
    if b.shape != (d_out,):
        raise ValueError(f"b has shape {b.shape} but W has shape {W.shape}: b must be ({d_out},)")
    return y + b.reshape((1,) * (x.ndim - 1) + (d_out,))
    ### END SOLUTION
