"""A random train/validation split of ``n`` samples, as two disjoint index arrays.

The validation set is held out from training and used only to measure the model
(for early stopping, choosing hyper-parameters). Shuffle before splitting: data
sets are often stored sorted by class, and taking the last 10% would give a
validation set of one class.
"""
from __future__ import annotations

import numpy as np

__all__ = ["train_val_split"]


def train_val_split(n: int, val_fraction: float, *, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Split ``range(n)`` at random into training and validation indices.

    Args:
        n: the number of samples, ``n >= 2``.
        val_fraction: the share held out for validation, ``0 < val_fraction < 1``.
        rng: the generator; this function draws exactly ``perm = rng.permutation(n)``.

    Returns:
        ``(train_idx, val_idx)``: NumPy integer arrays (CPU), shapes ``(n - n_val,)`` and
        ``(n_val,)``, with ``n_val = round(n * val_fraction)`` (Python's ``round``, which
        sends an exact half to the even neighbour: ``round(2.5) == 2``).
        ``val_idx = perm[:n_val]`` and ``train_idx = perm[n_val:]``, in that (shuffled)
        order: disjoint, and together every index of ``range(n)`` exactly once.

    Raises:
        ValueError: ``val_fraction`` not strictly between 0 and 1, or a split that would
            leave either side empty (``n_val == 0`` or ``n_val == n``).
    """
    ### BEGIN SOLUTION
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be strictly between 0 and 1, got {val_fraction}")
    n_val = round(n * val_fraction)
    if n_val == 0 or n_val == n:
        raise ValueError(f"val_fraction={val_fraction} of n={n} samples leaves "
                         f"{'no validation' if n_val == 0 else 'no training'} samples")
    perm = rng.permutation(n)
    return perm[n_val:], perm[:n_val]
    ### END SOLUTION
