"""The 2-d convolution layer, computed as im2col and one matrix product.

``y[n, o, oh, ow] = b[o] + sum over c, i, j of W[o, c, i, j] * x_pad[n, c, oh*sh + i*dh, ow*sw + j*dw]``

(a cross-correlation, as in PyTorch: the kernel is not flipped). With
``cols = im2col(x)`` of shape ``(C_in*kh*kw, N*OH*OW)`` and ``W2 = W.reshape(C_out, -1)``:

* forward:  ``Y2 = W2 @ cols + b``            ``(C_out, N*OH*OW)``, then back to NCHW;
* backward: ``dW = dY2 @ cols^T``, ``db = dY2`` summed over its columns,
  ``dX = col2im(W2^T @ dY2)``, where ``dY2`` is ``grad_out`` laid out as ``(C_out, N*OH*OW)``.

Shapes: ``x (N, C_in, H, W)``, ``W (C_out, C_in, kh, kw)``, ``b (C_out,)``, ``y (N, C_out, OH, OW)``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import get_array_module, xp
from ..module import Module, Parameter
from .im2col import IntPair, col2im, conv_output_size, im2col, pair

__all__ = ["Conv2d"]


class Conv2d(Module):
    """``torch.nn.Conv2d`` (groups = 1) by im2col and one GEMM.

    Args:
        in_channels: ``C_in``. out_channels: ``C_out``.
        kernel_size, stride, padding, dilation: an int or an ``(h, w)`` pair each
            (zero padding on both sides, as PyTorch).
        bias: whether to add the learnable ``b``.
        rng: a ``numpy.random.Generator`` for the initial weights.
        dtype: dtype of ``W`` and ``b``.

    Attributes:
        W: ``Parameter`` ``(C_out, C_in, kh, kw)``; b: ``Parameter`` ``(C_out,)`` or ``None``.
        Both start as PyTorch's default: ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with
        ``fan_in = C_in * kh * kw`` (for W this is ``kaiming_uniform`` with ``a = sqrt(5)``).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair, stride: IntPair = 1,
                 padding: IntPair = 0, dilation: IntPair = 1, bias: bool = True, *,
                 rng: np.random.Generator | None = None, dtype: Any = np.float64) -> None:
        rng = rng if rng is not None else np.random.default_rng()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = pair(kernel_size), pair(stride)
        self.padding, self.dilation = pair(padding), pair(dilation)
        kh, kw = self.kernel_size
        bound = 1.0 / np.sqrt(in_channels * kh * kw)
        self.W = Parameter(xp.asarray(rng.uniform(-bound, bound, (out_channels, in_channels, kh, kw)), dtype=dtype), "W")
        self.b = Parameter(xp.asarray(rng.uniform(-bound, bound, (out_channels,)), dtype=dtype), "b") if bias else None
        self._cols: Any = None
        self._spare: Any = None
        self._x: Any = None
        self._x_shape: tuple[int, ...] = ()

    def output_shape(self, x_shape: tuple[int, ...]) -> tuple[int, int, int, int]:
        """``(N, C_out, OH, OW)`` for an input of shape ``x_shape = (N, C_in, H, W)``. Given."""
        N, _, H, W = x_shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = self.kernel_size, self.stride, self.padding, self.dilation
        return (N, self.out_channels, conv_output_size(H, kh, sh, ph, dh), conv_output_size(W, kw, sw, pw, dw))

    def forward(self, x: Any) -> Any:
        """Convolve ``x``; cache what the backward pass needs.

        Args:
            x: ``(N, C_in, H, W)``.

        Returns:
            y: ``(N, C_out, OH, OW)``, the dtype of ``x`` (float32 stays float32).
        """
        ### BEGIN SOLUTION
        N, C_out, OH, OW = self.output_shape(x.shape)
        spare, self._spare = self._spare, None       # the buffer the last backward left (see backward)
        kh, kw = self.kernel_size
        fits = spare is not None and spare.shape == (x.shape[1] * kh * kw, N * OH * OW) and spare.dtype == x.dtype
        cols = im2col(x, self.kernel_size, self.stride, self.padding, self.dilation, out=spare if fits else None)
        y2 = self.W.data.reshape(C_out, -1) @ cols                  # (C_out, N*OH*OW): the one GEMM
        if self.b is not None:
            y2 += self.b.data[:, None]
        self._cols, self._x, self._x_shape = cols, x, x.shape
        return y2.reshape(C_out, N, OH, OW).transpose(1, 0, 2, 3)
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """Backpropagate ``grad_out`` (``dL/dy``, ``(N, C_out, OH, OW)``).

        Adds ``dL/dW`` (``(C_out, C_in, kh, kw)``) into ``W.grad`` and ``dL/db`` (``(C_out,)``,
        the sum over ``N``, ``OH`` and ``OW``) into ``b.grad``.

        Returns:
            grad_x: ``dL/dx``, ``(N, C_in, H, W)``.
        """
        ### BEGIN SOLUTION
        xp_ = get_array_module(grad_out)
        C_out = self.out_channels
        g2 = grad_out.transpose(1, 0, 2, 3).reshape(C_out, -1)     # (C_out, N*OH*OW)
        cols = self._cols
        if cols is None:                                            # a second backward after one forward
            cols = im2col(self._x, self.kernel_size, self.stride, self.padding, self.dilation)
        self.W.grad += (cols @ g2.T).T.reshape(self.W.shape)       # dW^T = cols dY2^T: BLAS's fast orientation
        if self.b is not None:
            self.b.grad += g2.sum(axis=1)
        W2t = self.W.data.reshape(C_out, -1).T
        # dcols (C_in*kh*kw, N*OH*OW) has the shape of cols, which is no longer needed: write it
        # there, then keep that buffer for the next forward's im2col (no new buffer of that size,
        # no page faults, in either pass). For a 1x1 kernel cols may be a read-only view: allocate.
        reuse = (cols.dtype == xp_.result_type(W2t, g2) and cols.flags.c_contiguous
                 and getattr(cols.flags, "writeable", True))
        dcols = xp_.matmul(W2t, g2, out=cols) if reuse else W2t @ g2
        dx = col2im(dcols, self._x_shape, self.kernel_size, self.stride, self.padding, self.dilation)
        self._cols, self._spare = None, (dcols if reuse else None)
        return dx
        ### END SOLUTION
