"""CIFAR-10: 32x32 colour images of 10 classes, in the "python version" batches.

The archive ``cifar-10-python.tar.gz`` holds ``cifar-10-batches-py/`` with five training batches
``data_batch_1 .. data_batch_5`` (10,000 images each) and ``test_batch``. Each batch is a pickled
dict with (byte-string) keys ``b"data"``, a ``(10000, 3072)`` uint8 array whose rows are one image,
the 1024 red values first, then green, then blue, each 32x32 in row-major order; and
``b"labels"``, a list of 10,000 ints in ``0 .. 9``.
"""
from __future__ import annotations

import pickle
import tarfile
from pathlib import Path

import numpy as np

from .download import fetch

__all__ = ["CIFAR10_CLASSES", "load_batch", "load_cifar10"]

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def load_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR batch file.

    Returns:
        ``(x, y)``: ``x`` ``(N, 3, 32, 32)`` uint8 (channel, row, column: ``x[n, c, i, j] =
        data[n, 1024 * c + 32 * i + j]``), ``y`` ``(N,)`` int64.

    Raises:
        ValueError: a file that is not such a batch (the message names the path and what is wrong).
    """
    ### BEGIN SOLUTION
    with open(path, "rb") as f:
        try:
            batch = pickle.load(f, encoding="bytes")
        except Exception as exc:
            raise ValueError(f"{path}: not a CIFAR batch ({exc})") from exc
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise ValueError(f"{path}: not a CIFAR batch (expected a dict with b'data' and b'labels')")
    data = np.asarray(batch[b"data"], dtype=np.uint8)
    labels = np.asarray(batch[b"labels"], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise ValueError(f"{path}: data {data.shape} and labels {labels.shape} are not N x 3072 and N")
    return data.reshape(-1, 3, 32, 32).copy(), labels
    ### END SOLUTION


def load_cifar10(split: str = "train", data_dir: str | Path | None = None, *, redownload: bool = False,
                 download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-10's training (50,000) or test (10,000) images: ``x`` ``(N, 3, 32, 32)`` float32 in ``[0, 1]``, ``y`` int64.

    The archive is fetched and verified (:mod:`download`), then unpacked next to itself once.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    archive = fetch("cifar10", "cifar-10-python.tar.gz", data_dir, redownload=redownload, download=download)
    folder = archive.parent / "cifar-10-batches-py"
    if not (folder / "test_batch").is_file():
        with tarfile.open(archive) as tar:
            try:
                tar.extractall(archive.parent, filter="data")
            except TypeError:   # Python without extraction filters (before 3.10.12)
                tar.extractall(archive.parent)
    names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    parts = [load_batch(folder / n) for n in names]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    return x.astype(np.float32) / np.float32(255.0), y
