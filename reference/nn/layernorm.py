"""Layer normalisation: normalise each sample over its features, then scale and shift.

Unlike batch normalisation, the statistics belong to ONE sample (one position), never to the
batch: training and evaluation compute the same thing, there are no running statistics, and
a batch of 1 is fine. Over the ``D`` normalised values of one sample::

    mean = sum(x) / D            var = sum((x - mean)^2) / D          (biased, as PyTorch)
    xhat = (x - mean) / sqrt(var + eps)
    y    = gamma * xhat + beta

    dx     = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / sqrt(var + eps),  dxhat = gamma * dy
    dgamma = sum(dy * xhat),  dbeta = sum(dy)    (summed over every sample and position)

* ``LayerNorm(D)`` normalises over the LAST axis of ``(..., D)`` (transformers, MLPs).
* ``LayerNorm2d(C)`` normalises over the CHANNEL axis of ``(N, C, H, W)``, separately at every
  pixel: what ConvNeXt calls LayerNorm (``channels_first``), equal to torch's
  ``F.layer_norm`` applied to ``x.permute(0, 2, 3, 1)``. Its default ``eps`` is 1e-6, ConvNeXt's.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import get_array_module, xp
from ..module import Module, Parameter

__all__ = ["LayerNorm", "LayerNorm2d"]


class LayerNorm(Module):
    """``torch.nn.LayerNorm(normalized_shape)`` for an int ``normalized_shape``: over the last axis.

    Args:
        normalized_shape: ``D``, the size of the last axis.
        eps: added to the variance before the square root.
        dtype: dtype of ``gamma`` and ``beta``.

    Attributes:
        gamma, beta: ``Parameter`` s of shape ``(D,)``, ones and zeros.
    """

    def __init__(self, normalized_shape: int, eps: float = 1e-5, *, dtype: Any = np.float64) -> None:
        self.normalized_shape = int(normalized_shape)
        self.eps = float(eps)
        self.gamma = Parameter(xp.ones(self.normalized_shape, dtype=dtype), "gamma")
        self.beta = Parameter(xp.zeros(self.normalized_shape, dtype=dtype), "beta")
        self._cache: Any = None

    def forward(self, x: Any) -> Any:
        """Normalise every row of the last axis.

        Args:
            x: ``(..., D)``: any number of leading axes.

        Returns:
            y: ``(..., D)``, ``gamma * xhat + beta``; caches what ``backward`` needs.
        """
        if x.shape[-1] != self.normalized_shape:
            raise ValueError(f"LayerNorm({self.normalized_shape}) got an input whose last axis has "
                             f"{x.shape[-1]} values (shape {tuple(x.shape)})")
        ### BEGIN SOLUTION
        mean = x.mean(axis=-1, keepdims=True)
        xc = x - mean
        var = (xc * xc).mean(axis=-1, keepdims=True)
        inv_std = 1.0 / get_array_module(x).sqrt(var + self.eps)
        xhat = xc * inv_std
        self._cache = (xhat, inv_std)
        return xhat * self.gamma.data + self.beta.data
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """Adds ``dgamma``, ``dbeta`` (summed over every leading axis) into the grads; returns ``dL/dx``.

        Args:
            grad_out: ``dL/dy``, ``(..., D)``.

        Returns:
            grad_x: ``(..., D)``.
        """
        ### BEGIN SOLUTION
        xhat, inv_std = self._cache
        lead = tuple(range(grad_out.ndim - 1))
        self.gamma.grad += (grad_out * xhat).sum(axis=lead)
        self.beta.grad += grad_out.sum(axis=lead)
        dxhat = grad_out * self.gamma.data
        mean_dxhat = dxhat.mean(axis=-1, keepdims=True)
        mean_dxhat_xhat = (dxhat * xhat).mean(axis=-1, keepdims=True)
        return (dxhat - mean_dxhat - xhat * mean_dxhat_xhat) * inv_std
        ### END SOLUTION


class LayerNorm2d(Module):
    """LayerNorm over the channel axis of ``(N, C, H, W)``, at every pixel (ConvNeXt's ``channels_first``).

    Args:
        num_channels: ``C``.
        eps: added to the variance before the square root (1e-6, as ConvNeXt).
        dtype: dtype of ``gamma`` and ``beta``.

    Attributes:
        gamma, beta: ``Parameter`` s of shape ``(C,)``, ones and zeros, broadcast as ``(1, C, 1, 1)``.
    """

    def __init__(self, num_channels: int, eps: float = 1e-6, *, dtype: Any = np.float64) -> None:
        self.num_channels = int(num_channels)
        self.eps = float(eps)
        self.gamma = Parameter(xp.ones(self.num_channels, dtype=dtype), "gamma")
        self.beta = Parameter(xp.zeros(self.num_channels, dtype=dtype), "beta")
        self._cache: Any = None

    def forward(self, x: Any) -> Any:
        """Normalise the ``C`` values of every pixel ``(n, :, h, w)``.

        Args:
            x: ``(N, C, H, W)``.

        Returns:
            y: ``(N, C, H, W)``; mean and variance have shape ``(N, 1, H, W)``.
        """
        if x.ndim != 4 or x.shape[1] != self.num_channels:
            raise ValueError(f"LayerNorm2d({self.num_channels}) expects (N, {self.num_channels}, H, W), "
                             f"got shape {tuple(x.shape)}")
        ### BEGIN SOLUTION
        c = self.num_channels
        mean = x.mean(axis=1, keepdims=True)
        xc = x - mean
        var = (xc * xc).mean(axis=1, keepdims=True)
        inv_std = 1.0 / get_array_module(x).sqrt(var + self.eps)
        xhat = xc * inv_std
        self._cache = (xhat, inv_std)
        return xhat * self.gamma.data.reshape(1, c, 1, 1) + self.beta.data.reshape(1, c, 1, 1)
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """Adds ``dgamma``, ``dbeta`` (summed over axes 0, 2, 3) into the grads; returns ``dL/dx``.

        Args:
            grad_out: ``dL/dy``, ``(N, C, H, W)``.

        Returns:
            grad_x: ``(N, C, H, W)``; the means of the formula are over axis 1.
        """
        ### BEGIN SOLUTION
        xhat, inv_std = self._cache
        c = self.num_channels
        self.gamma.grad += (grad_out * xhat).sum(axis=(0, 2, 3))
        self.beta.grad += grad_out.sum(axis=(0, 2, 3))
        dxhat = grad_out * self.gamma.data.reshape(1, c, 1, 1)
        mean_dxhat = dxhat.mean(axis=1, keepdims=True)
        mean_dxhat_xhat = (dxhat * xhat).mean(axis=1, keepdims=True)
        return (dxhat - mean_dxhat - xhat * mean_dxhat_xhat) * inv_std
        ### END SOLUTION
