"""Data augmentation on NCHW batches: random shifts of a few pixels and random horizontal flips.

Each function returns a NEW batch (the input is never modified) of the same shape
and dtype, on the input's device. Randomness comes only from the
``numpy.random.Generator`` passed in, in a documented order, so a test (or a
resumed training run) can replay it:

* :func:`random_shift` draws ``rng.integers(-max_shift, max_shift + 1, size=(N, 2))``:
  one ``(dy, dx)`` pair per sample, rows first.
* :func:`horizontal_flip` draws ``rng.random(N)``: one coin per sample.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import get_array_module

__all__ = ["random_shift", "horizontal_flip"]


def random_shift(x: Any, max_shift: int, *, rng: np.random.Generator, mode: str = "pad") -> Any:
    """Move every image by its own random offset of at most ``max_shift`` pixels each way.

    Args:
        x: ``(N, C, H, W)``.
        max_shift: ``k >= 0``; each offset is an integer in ``[-k, k]``.
        rng: the generator; this function draws exactly
            ``shifts = rng.integers(-k, k + 1, size=(N, 2))`` and nothing else.
            ``shifts[n] = (dy, dx)``: sample ``n`` moves ``dy`` rows DOWN (towards larger
            row indices) and ``dx`` columns RIGHT; negative values move up / left.
        mode: ``"pad"``: pad ``k`` zeros on all four sides, then crop the ``H x W``
            window that starts at ``(k - dy, k - dx)``: pixels pushed over the edge are
            lost and the uncovered border is 0. ``"roll"``: wrap around (``np.roll`` of
            sample ``n`` by ``(dy, dx)`` over its H and W axes): pixels pushed over one
            edge come back on the other.

    Returns:
        ``(N, C, H, W)``, same dtype as ``x``: ``out[n, c, i, j] = x[n, c, i - dy, j - dx]``
        where that index lies inside the image; outside it, 0 (pad) or the index taken
        modulo ``H`` and ``W`` (roll).

    Raises:
        ValueError: ``max_shift < 0``, ``mode`` not ``"pad"`` or ``"roll"``, or ``x`` not 4-D.
    """
    ### BEGIN SOLUTION
    if max_shift < 0:
        raise ValueError(f"max_shift must be >= 0, got {max_shift}")
    if mode not in ("pad", "roll"):
        raise ValueError(f"mode must be 'pad' or 'roll', got {mode!r}")
    if x.ndim != 4:
        raise ValueError(f"random_shift expects an (N, C, H, W) batch, got shape {tuple(x.shape)}")
    xp = get_array_module(x)
    n, _, h, w = x.shape
    k = int(max_shift)
    shifts = xp.asarray(rng.integers(-k, k + 1, size=(n, 2)))
    rows = xp.arange(h)[None, :] - shifts[:, 0:1]   # (N, H): the source row of each output row
    cols = xp.arange(w)[None, :] - shifts[:, 1:2]   # (N, W): the source column of each output column
    if mode == "roll":
        src = x
        rows, cols = rows % h, cols % w
    else:
        src = xp.pad(x, ((0, 0), (0, 0), (k, k), (k, k)))
        rows, cols = rows + k, cols + k
    batch = xp.arange(n)[:, None, None]
    out = src[batch, :, rows[:, :, None], cols[:, None, :]]   # (N, H, W, C): advanced indices go first
    return xp.ascontiguousarray(out.transpose(0, 3, 1, 2))
    ### END SOLUTION


def horizontal_flip(x: Any, p: float = 0.5, *, rng: np.random.Generator) -> Any:
    """Mirror each image left-to-right with probability ``p``.

    Args:
        x: ``(N, C, H, W)``.
        p: the probability of flipping each sample, in ``[0, 1]``.
        rng: the generator; this function draws exactly ``coins = rng.random(N)`` and
            flips sample ``n`` where ``coins[n] < p`` (torchvision's ``RandomHorizontalFlip``
            rule): ``p = 0`` never flips, ``p = 1`` always does.

    Returns:
        ``(N, C, H, W)``, same dtype: ``out[n] = x[n, :, :, ::-1]`` (the W axis reversed)
        for the flipped samples, a copy of ``x[n]`` for the others.

    Raises:
        ValueError: ``p`` not in ``[0, 1]`` or ``x`` not 4-D.
    """
    ### BEGIN SOLUTION
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"flip probability must be in [0, 1], got {p}")
    if x.ndim != 4:
        raise ValueError(f"horizontal_flip expects an (N, C, H, W) batch, got shape {tuple(x.shape)}")
    xp = get_array_module(x)
    flip = xp.asarray(rng.random(x.shape[0]) < p)
    return xp.where(flip[:, None, None, None], x[..., ::-1], x)
    ### END SOLUTION
