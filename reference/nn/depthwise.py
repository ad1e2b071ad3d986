"""Depthwise convolution: every channel convolved with its own filter (``groups = C``).

``y[n, c, oh, ow] = b[c] + sum over i, j of W[c, 0, i, j] * x_pad[n, c, oh*sh + i*dh, ow*sw + j*dw]``

Unlike a full convolution nothing is summed over channels, so there is no
channel GEMM: the plain way is ``kh * kw`` multiply-adds of a shifted slice of
the padded input with one weight per channel. Those are memory-bound passes;
the reference instead folds the ``kw`` horizontal taps of each kernel row into a
banded matrix and lets a batched matrix product do them (``kh`` products).
Its cost is ``C * kh * kw`` per pixel instead of ``C_in * C_out * kh * kw``,
which is why MobileNet and EfficientNet pair it with cheap 1x1 convolutions.

Shapes: ``x (N, C, H, W)``, ``W (C, 1, kh, kw)`` (PyTorch's weight for ``groups=C``),
``b (C,)``, ``y (N, C, OH, OW)`` with OH, OW as for :class:`Conv2d`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import get_array_module, xp
from ..module import Module, Parameter
from .im2col import IntPair, conv_output_size, pair

__all__ = ["DepthwiseConv2d"]


class DepthwiseConv2d(Module):
    """``torch.nn.Conv2d(C, C, kernel_size, stride, padding, dilation, groups=C, bias=bias)``.

    Args:
        channels: ``C``, the number of input (and output) channels.
        kernel_size, stride, padding, dilation: an int or an ``(h, w)`` pair each.
        bias: whether to add the learnable ``b``.
        rng: a ``numpy.random.Generator`` for the initial weights. dtype: of ``W`` and ``b``.

    Attributes:
        W: ``Parameter`` ``(C, 1, kh, kw)``; b: ``Parameter`` ``(C,)`` or ``None``; both start
        as PyTorch's default ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, ``fan_in = kh * kw``.
    """

    def __init__(self, channels: int, kernel_size: IntPair, stride: IntPair = 1, padding: IntPair = 0,
                 dilation: IntPair = 1, bias: bool = True, *, rng: np.random.Generator | None = None,
                 dtype: Any = np.float64) -> None:
        rng = rng if rng is not None else np.random.default_rng()
        self.channels = channels
        self.kernel_size, self.stride = pair(kernel_size), pair(stride)
        self.padding, self.dilation = pair(padding), pair(dilation)
        kh, kw = self.kernel_size
        bound = 1.0 / np.sqrt(kh * kw)
        self.W = Parameter(xp.asarray(rng.uniform(-bound, bound, (channels, 1, kh, kw)), dtype=dtype), "W")
        self.b = Parameter(xp.asarray(rng.uniform(-bound, bound, (channels,)), dtype=dtype), "b") if bias else None
        self._x_pad: Any = None
        self._x_shape: tuple[int, ...] = ()

    def _banded(self, w: Any, width: int, out_w: int) -> Any:
        """The horizontal taps of ``W`` as banded matrices. Given.

        Returns ``T`` of shape ``(C, kh, width, out_w)`` with ``T[c, i, ow*sw + j*dw, ow] = w[c, i, j]``,
        so that for one kernel row ``i`` the horizontal part of the convolution is a matrix product:
        ``x_pad[n, c, row, :] @ T[c, i]`` is ``sum over j of w[c, i, j] * x_pad[n, c, row, ow*sw + j*dw]``
        for every ``ow`` at once. ``w``: ``(C, kh, kw)``; ``width``: the padded input width.
        """
        xp_ = get_array_module(w)
        (kh, kw), (_, sw), (_, dw) = self.kernel_size, self.stride, self.dilation
        T = xp_.zeros((w.shape[0], kh, width, out_w), dtype=w.dtype)
        ow = xp_.arange(out_w)
        for j in range(kw):
            T[:, :, ow * sw + j * dw, ow] = w[:, :, j, None]
        return T

    def _rows(self, i: int, out_h: int) -> slice:
        """The rows of ``x_pad`` that kernel row ``i`` meets, one per output row. Given."""
        sh, dh = self.stride[0], self.dilation[0]
        return slice(i * dh, i * dh + sh * (out_h - 1) + 1, sh)

    def forward(self, x: Any) -> Any:
        """x: ``(N, C, H, W)``. Returns y: ``(N, C, OH, OW)``, the dtype of ``x``.

        One way: for every kernel offset ``(i, j)``, add ``x_pad[:, :, rows_i, cols_j] * W[:, 0, i, j]``
        (one weight per channel, broadcast over N, OH, OW). Faster: for every kernel row ``i``,
        a batched matrix product of the rows ``x_pad[:, :, rows_i, :]`` with the banded
        ``_banded(...)[:, i]``, which does all the ``j`` at once.
        """
        ### BEGIN SOLUTION
        xp_ = get_array_module(x)
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = self.kernel_size, self.stride, self.padding, self.dilation
        N, C, H, W = x.shape
        OH, OW = conv_output_size(H, kh, sh, ph, dh), conv_output_size(W, kw, sw, pw, dw)
        x_pad = xp_.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        T = self._banded(self.W.data[:, 0], W + 2 * pw, OW)       # (C, kh, W + 2pw, OW)
        y = xp_.matmul(x_pad[:, :, self._rows(0, OH), :], T[:, 0])  # (N, C, OH, OW)
        for i in range(1, kh):
            y += xp_.matmul(x_pad[:, :, self._rows(i, OH), :], T[:, i])
        if self.b is not None:
            y += self.b.data[:, None, None]
        self._x_pad, self._x_shape = x_pad, x.shape
        return y
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """grad_out: ``(N, C, OH, OW)``. Adds dW ``(C, 1, kh, kw)`` and db ``(C,)``; returns dX ``(N, C, H, W)``.

        ``dW[c, 0, i, j]`` is the sum over ``n, oh, ow`` of ``grad_out`` times the slice of ``x_pad``
        that met ``W[c, 0, i, j]``; dX adds ``grad_out * W[:, 0, i, j]`` back into that slice.
        """
        ### BEGIN SOLUTION
        xp_ = get_array_module(grad_out)
        (kh, kw), (_, sw), (ph, pw), (_, dw) = self.kernel_size, self.stride, self.padding, self.dilation
        N, C, H, W = self._x_shape
        OH, OW = grad_out.shape[2:]
        x_pad = self._x_pad
        for i in range(kh):
            for j in range(kw):
                cols = slice(j * dw, j * dw + sw * (OW - 1) + 1, sw)
                self.W.grad[:, 0, i, j] += xp_.einsum("nchw,nchw->c", grad_out, x_pad[:, :, self._rows(i, OH), cols])
        if self.b is not None:
            self.b.grad += grad_out.sum(axis=(0, 2, 3))
        Tt = self._banded(self.W.data[:, 0], W + 2 * pw, OW).swapaxes(2, 3)   # (C, kh, OW, W + 2pw)
        dx_pad = xp_.zeros(x_pad.shape, dtype=xp_.result_type(grad_out, self.W.data))
        for i in range(kh):
            dx_pad[:, :, self._rows(i, OH), :] += xp_.matmul(grad_out, Tt[:, i])
        return dx_pad[:, :, ph:ph + H, pw:pw + W]
        ### END SOLUTION
