"""Pooling: MaxPool2d, AvgPool2d and GlobalAvgPool2d, on NCHW arrays.

A pooling layer slides a ``kh x kw`` window over each channel separately and
keeps one number per window: the largest (max pooling) or the mean (average
pooling). It has no parameters. The output size is the convolution's,
``OH = floor((H + 2p - k) / s) + 1``, and the stride defaults to the kernel
size (windows that touch but do not overlap), as in PyTorch.

Backward, window by window:

* max: the whole gradient of a window goes to *one* input, the position of
  its maximum (the first one in row-major order when several tie, as PyTorch);
  the other inputs of the window get nothing from it;
* average: each of the ``kh * kw`` inputs gets ``grad / (kh * kw)``.

An input that belongs to several overlapping windows adds what each sends it.
Padding: max pooling pads with ``-inf`` (a pad never wins); average pooling
pads with zeros that *count* in the mean (PyTorch's ``count_include_pad=True``).
"""
from __future__ import annotations

from typing import Any

from ..backend import get_array_module
from ..module import Module
from .im2col import IntPair, conv_output_size, pair

__all__ = ["MaxPool2d", "AvgPool2d", "GlobalAvgPool2d"]


class _Pool2d(Module):
    """Shared set-up of the two windowed pools (given)."""

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0) -> None:
        self.kernel_size = pair(kernel_size)
        self.stride = pair(stride) if stride is not None else self.kernel_size
        self.padding = pair(padding)
        self._x_shape: tuple[int, ...] = ()

    def output_size(self, H: int, W: int) -> tuple[int, int]:
        """``(OH, OW)`` for an ``H x W`` input. Given."""
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        return conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)

    def offsets(self, OH: int, OW: int) -> list[tuple[int, int, slice, slice]]:
        """``(i, j, rows, cols)`` per kernel offset: ``x_pad[:, :, rows, cols]`` is the
        ``(N, C, OH, OW)`` array of every window's element ``(i, j)``. Given."""
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        return [(i, j, slice(i, i + sh * (OH - 1) + 1, sh), slice(j, j + sw * (OW - 1) + 1, sw))
                for i in range(kh) for j in range(kw)]


class MaxPool2d(_Pool2d):
    """``torch.nn.MaxPool2d(kernel_size, stride=None, padding=0)``.

    Shapes: x ``(N, C, H, W)`` -> y ``(N, C, OH, OW)``. PyTorch requires ``padding <= k / 2``.
    """

    def forward(self, x: Any) -> Any:
        """x: ``(N, C, H, W)``. Returns the max of every window, ``(N, C, OH, OW)``, the dtype of ``x``."""
        ### BEGIN SOLUTION
        xp = get_array_module(x)
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        N, C, H, W = x.shape
        OH, OW = self.output_size(H, W)
        x_pad = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-xp.inf) if ph or pw else x
        win = xp.lib.stride_tricks.sliding_window_view(x_pad, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
        win = win.reshape(N, C, OH, OW, kh * kw)                   # a copy; row-major within each window
        self._idx = win.argmax(axis=-1)                            # the first maximum, as PyTorch
        self._win = win
        self._y = xp.take_along_axis(win, self._idx[..., None], axis=-1)[..., 0]
        self._x_shape = x.shape
        return self._y
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """grad_out: ``(N, C, OH, OW)``. Returns dX ``(N, C, H, W)``: each window's gradient at its maximum."""
        ### BEGIN SOLUTION
        xp = get_array_module(grad_out)
        kw, (ph, pw) = self.kernel_size[1], self.padding
        N, C, H, W = self._x_shape
        OH, OW = grad_out.shape[2:]
        dx = xp.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=grad_out.dtype)
        for i, j, rows, cols in self.offsets(OH, OW):
            mask = self._idx == i * kw + j
            dx[:, :, rows, cols] += xp.where(mask, grad_out, 0)
        return dx[:, :, ph:ph + H, pw:pw + W]
        ### END SOLUTION


class AvgPool2d(_Pool2d):
    """``torch.nn.AvgPool2d(kernel_size, stride=None, padding=0)`` (``count_include_pad=True``).

    Shapes: x ``(N, C, H, W)`` -> y ``(N, C, OH, OW)``; every window's sum is divided by ``kh * kw``,
    padded zeros included.
    """

    def forward(self, x: Any) -> Any:
        """x: ``(N, C, H, W)``. Returns the mean of every window, ``(N, C, OH, OW)``, the dtype of ``x``."""
        ### BEGIN SOLUTION
        xp = get_array_module(x)
        (kh, kw), (ph, pw) = self.kernel_size, self.padding
        N, C, H, W = x.shape
        OH, OW = self.output_size(H, W)
        x_pad = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        y = xp.zeros((N, C, OH, OW), dtype=x.dtype)
        for _, _, rows, cols in self.offsets(OH, OW):
            y += x_pad[:, :, rows, cols]
        self._x_shape = x.shape
        return y / (kh * kw)
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """grad_out: ``(N, C, OH, OW)``. Returns dX ``(N, C, H, W)``: ``grad / (kh * kw)`` to every window member."""
        ### BEGIN SOLUTION
        xp = get_array_module(grad_out)
        (kh, kw), (ph, pw) = self.kernel_size, self.padding
        N, C, H, W = self._x_shape
        OH, OW = grad_out.shape[2:]
        share = grad_out / (kh * kw)
        dx = xp.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=grad_out.dtype)
        for _, _, rows, cols in self.offsets(OH, OW):
            dx[:, :, rows, cols] += share
        return dx[:, :, ph:ph + H, pw:pw + W]
        ### END SOLUTION


class GlobalAvgPool2d(Module):
    """The mean over all spatial positions: ``(N, C, H, W) -> (N, C)``, or ``(N, C, 1, 1)`` with ``keepdims``.

    The same as ``torch.nn.AdaptiveAvgPool2d(1)`` (followed by a flatten when ``keepdims=False``).
    """

    def __init__(self, keepdims: bool = False) -> None:
        self.keepdims = keepdims
        self._x_shape: tuple[int, ...] = ()

    def forward(self, x: Any) -> Any:
        """x: ``(N, C, H, W)``. Returns ``(N, C)`` (or ``(N, C, 1, 1)``), the dtype of ``x``."""
        ### BEGIN SOLUTION
        self._x_shape = x.shape
        return x.mean(axis=(2, 3), keepdims=self.keepdims)
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """grad_out: ``(N, C)`` (or ``(N, C, 1, 1)``). Returns dX ``(N, C, H, W)``: ``grad / (H * W)`` everywhere."""
        ### BEGIN SOLUTION
        xp = get_array_module(grad_out)
        N, C, H, W = self._x_shape
        g = grad_out.reshape(N, C, 1, 1) / (H * W)
        return xp.broadcast_to(g, self._x_shape).copy()
        ### END SOLUTION
