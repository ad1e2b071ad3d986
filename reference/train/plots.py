"""Training plots as PNG files (matplotlib, headless Agg backend): curves, learning rate, mistakes, confusion.

Every function writes one file and returns its path; nothing opens a window, so they work over
SSH and in CI. Curves come from ``Trainer.history``; the misclassified grid and the confusion
matrix from the test images, their labels and the model's predictions.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

__all__ = ["confusion_matrix", "plot_curves", "plot_lr", "plot_misclassified", "plot_confusion", "plot_all"]


def _plt() -> Any:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int) -> np.ndarray:
    """``(C, C)`` int64 counts: row = true class, column = predicted class."""
    m = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(m, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return m


def plot_curves(history: dict[str, list[float]], path: str | Path, title: str = "") -> Path:
    """Loss (left) and accuracy (right) per epoch, training and validation."""
    plt = _plt()
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, label in ((a, "loss", "cross-entropy loss"), (b, "acc", "accuracy")):
        ax.plot(epochs, history[f"train_{key}"], "o-", label="train")
        if not np.all(np.isnan(history[f"val_{key}"])):
            ax.plot(epochs, history[f"val_{key}"], "s-", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title or "training curves")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def plot_lr(history: dict[str, list[float]], path: str | Path) -> Path:
    """The learning rate each epoch was trained with."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.step(np.arange(1, len(history["lr"]) + 1), history["lr"], where="post", marker="o")
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate")
    ax.set_title("learning-rate schedule")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def plot_misclassified(x: Any, y_true: Any, y_pred: Any, path: str | Path, classes: Sequence[str] | None = None,
                       n: int = 25) -> Path:
    """A grid of up to ``n`` test images the model got wrong, titled ``true -> predicted``."""
    plt = _plt()
    wrong = np.flatnonzero(np.asarray(y_true) != np.asarray(y_pred))[:n]
    cols = 5
    rows = max(1, -(-len(wrong) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(2 * cols, 2.2 * rows), squeeze=False)
    name = (lambda c: classes[c]) if classes else str
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), wrong):
        img = np.asarray(x[i])
        img = img[0] if img.shape[0] == 1 else np.clip(img.transpose(1, 2, 0), 0, 1)
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
        ax.set_title(f"{name(int(y_true[i]))} -> {name(int(y_pred[i]))}", fontsize=9, color="crimson")
    fig.suptitle(f"misclassified test images ({int(np.sum(np.asarray(y_true) != np.asarray(y_pred)))} in all): "
                 "true -> predicted")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def plot_confusion(y_true: Any, y_pred: Any, path: str | Path, num_classes: int,
                   classes: Sequence[str] | None = None) -> Path:
    """The confusion matrix with its counts; the diagonal holds the correct predictions."""
    plt = _plt()
    m = confusion_matrix(y_true, y_pred, num_classes)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    im = ax.imshow(m, cmap="Blues")
    fig.colorbar(im, ax=ax)
    labels = list(classes) if classes else [str(c) for c in range(num_classes)]
    ax.set_xticks(range(num_classes), labels, rotation=45 if classes else 0, fontsize=8)
    ax.set_yticks(range(num_classes), labels, fontsize=8)
    for i in range(num_classes):
        for j in range(num_classes):
            if m[i, j]:
                ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if m[i, j] > m.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"confusion matrix (accuracy {np.trace(m) / max(m.sum(), 1):.2%})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def plot_all(history: dict[str, list[float]], x_test: Any, y_test: Any, y_pred: Any, folder: str | Path,
             stem: str, num_classes: int, classes: Sequence[str] | None = None) -> list[Path]:
    """The four plots, as ``<folder>/<stem>_{curves,lr,misclassified,confusion}.png``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [plot_curves(history, folder / f"{stem}_curves.png", stem),
            plot_lr(history, folder / f"{stem}_lr.png"),
            plot_misclassified(x_test, y_test, y_pred, folder / f"{stem}_misclassified.png", classes),
            plot_confusion(y_test, y_pred, folder / f"{stem}_confusion.png", num_classes, classes)]
