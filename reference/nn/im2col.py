"""im2col and col2im: convolution as one matrix product.

A 2-d convolution slides a ``C x kh x kw`` window over the (padded) input and
takes, at every output position, a dot product of the window with each
filter. ``im2col`` copies every window into one column of a matrix, so the
whole layer becomes a single GEMM ``W.reshape(C_out, -1) @ cols``.
``col2im`` is its adjoint: it sends every column back to the window it came
from and *adds* where windows overlap (this is the backward pass of im2col).

Shapes (``k`` = kernel, ``s`` = stride, ``p`` = padding, ``d`` = dilation)::

    x     (N, C, H, W)
    cols  (C * kh * kw, N * OH * OW)
          row    (c, i, j)   -> c * kh * kw + i * kw + j   (the order of W.reshape(C_out, -1))
          column (n, oh, ow) -> n * OH * OW + oh * OW + ow
          cols[(c, i, j), (n, oh, ow)] = x_pad[n, c, oh * sh + i * dh, ow * sw + j * dw]
    OH = floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1     (and the same for OW)

Written with strided views and loops over the kernel offsets only (never over
pixels or samples), so it runs on NumPy and on CuPy alike.
"""
from __future__ import annotations

from typing import Any

from ..backend import get_array_module

__all__ = ["conv_output_size", "im2col", "col2im", "pair"]

IntPair = int | tuple[int, int]


def pair(v: IntPair) -> tuple[int, int]:
    """``3 -> (3, 3)``; ``(3, 5) -> (3, 5)``. Given (not a task)."""
    if isinstance(v, int):
        return (v, v)
    a, b = v
    return (int(a), int(b))


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """The output length of a convolution (or pooling) along one axis, as PyTorch computes it.

    ``floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1``: the last
    window that does not fit is dropped (PyTorch floors; it does not refuse or round up).

    Args:
        size: input length (H or W). kernel, stride, padding, dilation: along the same axis.

    Returns:
        an ``int``, e.g. ``conv_output_size(6, 3, stride=2) == 2``.
    """
    ### BEGIN SOLUTION
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    ### END SOLUTION


def im2col(x: Any, kernel_size: IntPair, stride: IntPair = 1, padding: IntPair = 0,
           dilation: IntPair = 1, *, out: Any = None) -> Any:
    """Copy every (padded) window of ``x`` into one column.

    Args:
        x: ``(N, C, H, W)``.
        kernel_size, stride, padding, dilation: an int or an ``(h, w)`` pair each;
            ``padding`` adds that many zeros on *both* sides of each spatial axis.
        out: ``None``, or a C-contiguous ``(C * kh * kw, N * OH * OW)`` array of ``x``'s dtype to
            write the columns into (like NumPy's ``out=``): a layer that reuses one buffer from
            step to step saves allocating, and page-faulting, hundreds of MB each time.

    Returns:
        cols: ``(C * kh * kw, N * OH * OW)``, same dtype as ``x`` (``out`` itself when given), with
        ``cols[(c, i, j), (n, oh, ow)] = x_pad[n, c, oh * sh + i * dh, ow * sw + j * dw]``
        (rows in the order ``(c, i, j)``, columns in the order ``(n, oh, ow)``).
    """
    kh, kw = pair(kernel_size)
    sh, sw = pair(stride)
    ph, pw = pair(padding)
    dh, dw = pair(dilation)
    N, C, H, W = x.shape
    ### BEGIN SOLUTION
    xp = get_array_module(x)
    x_pad = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    win = xp.lib.stride_tricks.sliding_window_view(x_pad, (span_h, span_w), axis=(2, 3))
    win = win[:, :, ::sh, ::sw, ::dh, ::dw]              # (N, C, OH, OW, kh, kw), a view
    win = win.transpose(1, 4, 5, 0, 2, 3)                # (C, kh, kw, N, OH, OW), still a view
    if out is None:
        return win.reshape(C * kh * kw, -1)              # the one copy
    out.reshape(win.shape)[...] = win                    # the one copy, into the given buffer
    return out
    ### END SOLUTION


def col2im(cols: Any, x_shape: tuple[int, int, int, int], kernel_size: IntPair, stride: IntPair = 1,
           padding: IntPair = 0, dilation: IntPair = 1) -> Any:
    """The adjoint of :func:`im2col`: add every column back into the window it came from.

    Where windows overlap (stride smaller than the kernel) their values are *added*;
    values that land in the padding are dropped.

    Args:
        cols: ``(C * kh * kw, N * OH * OW)``, laid out as :func:`im2col` returns.
        x_shape: ``(N, C, H, W)``, the shape of the input ``im2col`` was given.
        kernel_size, stride, padding, dilation: as for :func:`im2col`.

    Returns:
        dx: ``(N, C, H, W)``, same dtype as ``cols``, such that
        ``sum(im2col(x) * cols) == sum(x * col2im(cols))`` for every ``x``.
    """
    kh, kw = pair(kernel_size)
    sh, sw = pair(stride)
    ph, pw = pair(padding)
    dh, dw = pair(dilation)
    N, C, H, W = x_shape
    ### BEGIN SOLUTION
    xp = get_array_module(cols)
    OH = conv_output_size(H, kh, sh, ph, dh)
    OW = conv_output_size(W, kw, sw, pw, dw)
    c6 = cols.reshape(C, kh, kw, N, OH, OW)
    dx = xp.zeros((C, N, H + 2 * ph, W + 2 * pw), dtype=cols.dtype)   # (C, N, ...): the layout of c6
    for i in range(kh):                                  # one sliced add per kernel offset
        for j in range(kw):
            h0, w0 = i * dh, j * dw
            dx[:, :, h0:h0 + sh * (OH - 1) + 1:sh, w0:w0 + sw * (OW - 1) + 1:sw] += c6[:, i, j]
    return dx[:, :, ph:ph + H, pw:pw + W].transpose(1, 0, 2, 3)
    ### END SOLUTION
