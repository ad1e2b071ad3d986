"""MNIST and Fashion-MNIST: 28x28 grey images of 10 classes, as IDX files.

Both data sets have the same four files (``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``) with 60,000 training and 10,000
test samples; they are fetched and verified by :mod:`download` on every load.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .download import fetch
from .idx import read_idx

__all__ = ["FASHION_CLASSES", "load_mnist"]

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")


def load_mnist(split: str = "train", data_dir: str | Path | None = None, *, dataset: str = "mnist",
               redownload: bool = False, download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of one split of MNIST (``dataset="mnist"``) or Fashion-MNIST (``"fashion-mnist"``).

    Returns:
        ``(x, y)``: ``x`` ``(N, 1, 28, 28)`` float32 in ``[0, 1]`` (the bytes divided by 255),
        ``y`` ``(N,)`` int64 in ``0 .. 9``.

    Raises:
        ChecksumError: a cached file whose checksum is wrong (named with its path).
        ValueError: images and labels of different lengths.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    prefix = "train" if split == "train" else "t10k"
    kw = dict(data_dir=data_dir, redownload=redownload, download=download)
    images = read_idx(fetch(dataset, f"{prefix}-images-idx3-ubyte.gz", **kw))
    labels = read_idx(fetch(dataset, f"{prefix}-labels-idx1-ubyte.gz", **kw))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"{dataset} {split}: images {images.shape} and labels {labels.shape} do not fit together")
    return (images[:, None].astype(np.float32) / np.float32(255.0)), labels.astype(np.int64)
