"""Mini-batches: a data set cut into batches, in a fresh random order every epoch.

``DataLoader(x, y, batch_size, shuffle=True, rng=rng)`` is iterated once per epoch. With
``shuffle``, each iteration starts with exactly one draw, ``perm = rng.permutation(N)``, and
batch ``k`` holds the samples ``perm[k*B : (k+1)*B]``; without it the order is ``0 .. N-1``.
The last batch is smaller when ``B`` does not divide ``N`` (``drop_last=True`` leaves it out).
Because the generator is the only source of randomness, saving its state
(``rng.bit_generator.state``) in a checkpoint replays the same batches after a resume.
"""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

__all__ = ["DataLoader"]


class DataLoader:
    """Iterate over ``(x[idx], y[idx])`` mini-batches.

    Args:
        x: ``(N, ...)`` inputs (NumPy; batches are copies, the trainer moves them to the device).
        y: ``(N,)`` labels.
        batch_size: ``B >= 1``.
        shuffle: a new permutation every epoch (needs ``rng``).
        drop_last: leave out a last batch smaller than ``B``.
        rng: the ``numpy.random.Generator`` of the permutations.

    ``len(loader)`` is the number of batches per epoch: ``ceil(N / B)``, or ``N // B`` with ``drop_last``.

    Raises:
        ValueError: ``batch_size < 1``, ``x`` and ``y`` of different lengths, or ``shuffle`` without ``rng``.
    """

    def __init__(self, x: Any, y: Any, batch_size: int, *, shuffle: bool = False, drop_last: bool = False,
                 rng: np.random.Generator | None = None) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if len(x) != len(y):
            raise ValueError(f"x has {len(x)} samples but y has {len(y)}")
        if shuffle and rng is None:
            raise ValueError("shuffle=True needs a numpy.random.Generator: pass rng=")
        self.x, self.y = x, y
        self.batch_size = int(batch_size)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.rng = rng

    def __len__(self) -> int:
        n, b = len(self.x), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        """Yield ``len(self)`` batches ``(x_b, y_b)``: ``x_b`` ``(B, ...)``, ``y_b`` ``(B,)`` (the last may be smaller)."""
        ### BEGIN SOLUTION
        n = len(self.x)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        for k in range(len(self)):
            idx = order[k * self.batch_size:(k + 1) * self.batch_size]
            yield self.x[idx], self.y[idx]
        ### END SOLUTION
