"""scikit-learn's bundled handwritten digits: 1,797 real 8x8 images, no download (the offline default).

The pixels are counts from 0 to 16 (each 8x8 cell summarises a 4x4 block of a 32x32 bitmap).
They come with scikit-learn itself, so a first training run works without a network.
"""
from __future__ import annotations

import numpy as np

__all__ = ["load_digits"]


def load_digits(split: str = "train", test_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The ``"train"`` or ``"test"`` part of scikit-learn's digits.

    The split is fixed: a permutation from ``numpy.random.default_rng(seed)``, the first
    ``round(1797 * test_fraction)`` samples for testing (360 by default), the rest for training.

    Returns:
        ``(x, y)``: ``x`` ``(N, 1, 8, 8)`` float32 in ``[0, 1]`` (the counts divided by 16), ``y`` ``(N,)`` int64.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    try:
        from sklearn.datasets import load_digits as _sk_digits
    except ImportError as exc:   # pragma: no cover - scikit-learn is a dependency
        raise ImportError("the digits data set comes with scikit-learn: pip install scikit-learn") from exc
    d = _sk_digits()
    x = (d.images[:, None].astype(np.float32) / np.float32(16.0))
    y = d.target.astype(np.int64)
    perm = np.random.default_rng(seed).permutation(len(y))
    n_test = round(len(y) * test_fraction)
    idx = perm[:n_test] if split == "test" else perm[n_test:]
    return x[idx], y[idx]
