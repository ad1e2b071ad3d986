"""Layout helpers: moving axes between NCHW and NHWC, and flattening all but the batch axis.

A batch of images is stored either channels-first, ``(N, C, H, W)`` (NCHW,
PyTorch's default and this course's), or channels-last, ``(N, H, W, C)``
(NHWC, TensorFlow's default and what image files and plotting libraries
use). Changing layout *moves axes*: that is a transpose. ``reshape`` never
moves a value; it only re-reads the same memory order with new sizes, so
using it to change layout scrambles the pixels without any error.
"""
from __future__ import annotations

from typing import Any

__all__ = ["nchw_to_nhwc", "nhwc_to_nchw", "flatten_batch"]


def nchw_to_nhwc(x: Any) -> Any:
    """Channels-first to channels-last.

    Args:
        x: ``(N, C, H, W)``.

    Returns:
        ``(N, H, W, C)`` with ``out[n, h, w, c] == x[n, c, h, w]`` (a view is fine).
    """
    ### BEGIN SOLUTION
    return x.transpose(0, 2, 3, 1)
    ### END SOLUTION


def nhwc_to_nchw(x: Any) -> Any:
    """Channels-last to channels-first.

    Args:
        x: ``(N, H, W, C)``.

    Returns:
        ``(N, C, H, W)`` with ``out[n, c, h, w] == x[n, h, w, c]`` (a view is fine).
    """
    ### BEGIN SOLUTION
    return x.transpose(0, 3, 1, 2)
    ### END SOLUTION


def flatten_batch(x: Any) -> Any:
    """Flatten every axis but the first (the batch axis), in row-major order.

    Args:
        x: ``(N, ...)``, e.g. ``(N, C, H, W)``; at least one axis.

    Returns:
        ``(N, F)`` with ``F`` the product of ``x.shape[1:]`` (``F = 1`` for an
        ``(N,)`` input); row ``n`` holds ``x[n]`` read in row-major order.
        ``N = 0`` works too: ``(0, C, H, W)`` gives ``(0, C*H*W)``.
    """
    ### BEGIN SOLUTION
    features = 1
    for size in x.shape[1:]:
        features *= int(size)
    return x.reshape(x.shape[0], features)
    ### END SOLUTION
