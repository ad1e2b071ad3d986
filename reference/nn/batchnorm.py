"""Batch normalisation: normalise each channel over the batch, then scale and shift it.

Training mode, per channel ``c``, over the ``M`` values of that channel in the batch
(``M = N`` for ``(N, C)``, ``N * L`` for ``(N, C, L)``, ``N * H * W`` for ``(N, C, H, W)``)::

    mean = sum(x) / M              var = sum((x - mean)^2) / M        (biased: divide by M)
    xhat = (x - mean) / sqrt(var + eps)
    y    = gamma * xhat + beta

and the running statistics follow PyTorch's convention (``momentum = 0.1`` by default)::

    running_mean = (1 - momentum) * running_mean + momentum * mean
    running_var  = (1 - momentum) * running_var  + momentum * var * M / (M - 1)   (UNBIASED)

Evaluation mode normalises with ``running_mean`` and ``running_var`` instead and changes
nothing. The backward pass in the compact form (``dxhat = gamma * dy``, means over the same
``M`` values)::

    dx     = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / sqrt(var + eps)
    dgamma = sum(dy * xhat)        dbeta = sum(dy)

(in evaluation mode mean and var are constants: ``dx = gamma * dy / sqrt(running_var + eps)``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import get_array_module, xp
from ..module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class _BatchNorm(Module):
    """What ``BatchNorm1d`` and ``BatchNorm2d`` share: parameters, buffers, the average factor.

    Args:
        num_features: ``C``, the number of channels.
        eps: added to the variance before the square root.
        momentum: weight of the new batch in the running averages (PyTorch's convention);
            ``None`` means a cumulative average, ``1 / num_batches_tracked``, as in PyTorch.
        dtype: dtype of the parameters and buffers.

    Attributes:
        gamma, beta: ``Parameter`` s of shape ``(C,)``, ones and zeros.
        running_mean, running_var: arrays of shape ``(C,)``, zeros and ones (buffers, not trained).
        num_batches_tracked: the number of training-mode forward passes so far.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, *,
                 dtype: Any = np.float64) -> None:
        self.num_features = int(num_features)
        self.eps = float(eps)
        self.momentum = momentum
        self.gamma = Parameter(xp.ones(self.num_features, dtype=dtype), "gamma")
        self.beta = Parameter(xp.zeros(self.num_features, dtype=dtype), "beta")
        self.running_mean = xp.zeros(self.num_features, dtype=dtype)
        self.running_var = xp.ones(self.num_features, dtype=dtype)
        self.num_batches_tracked = 0
        self._cache: Any = None

    def _average_factor(self) -> float:
        """The weight of the current batch in the running averages (call it AFTER counting the batch).

        ``momentum`` when it is a number; ``1 / num_batches_tracked`` (a plain mean of every
        batch so far) when it is ``None``.
        """
        if self.momentum is None:
            return 1.0 / self.num_batches_tracked
        return float(self.momentum)

    def _check(self, x: Any, ndims: tuple[int, ...]) -> None:
        """``ValueError`` unless ``x`` has one of ``ndims`` dimensions and ``C`` channels on axis 1."""
        if x.ndim not in ndims:
            want = " or ".join(f"{d}-d" for d in ndims)
            raise ValueError(f"{type(self).__name__} expects a {want} input, got shape {tuple(x.shape)}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}) got {x.shape[1]} channels "
                             f"on axis 1 (input shape {tuple(x.shape)})")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` inputs, per channel (axis 1).

    The statistics of channel ``c`` are taken over axis 0 (and axis 2 for a 3-d input),
    ``M = N`` or ``M = N * L`` values. See the module docstring for every formula.
    """

    def forward(self, x: Any) -> Any:
        """Normalise ``x`` with the batch statistics (training) or the running ones (evaluation).

        Args:
            x: ``(N, C)`` or ``(N, C, L)``.

        Returns:
            y: same shape as ``x``: ``gamma * xhat + beta``, ``gamma`` and ``beta`` broadcast along axis 1.

        In training mode this also counts the batch (``num_batches_tracked += 1``) and updates
        ``running_mean`` and ``running_var`` (the unbiased variance, ``var * M / (M - 1)``); it
        raises ``ValueError`` when a channel has a single value (``M == 1``), whose variance is
        undefined. Evaluation mode changes no buffer.
        """
        self._check(x, (2, 3))
        ### BEGIN SOLUTION
        axes = (0,) if x.ndim == 2 else (0, 2)
        shape = (1, -1) if x.ndim == 2 else (1, -1, 1)
        if self.training:
            m_values = x.size // x.shape[1]
            if m_values < 2:
                raise ValueError(
                    f"BatchNorm1d in training mode needs more than 1 value per channel, got input shape "
                    f"{tuple(x.shape)}: the variance of a single value is undefined. Use a batch of at "
                    f"least 2 samples, or call .eval() to normalise with the running statistics.")
            mean = x.mean(axis=axes)
            xc = x - mean.reshape(shape)
            var = (xc * xc).mean(axis=axes)
            self.num_batches_tracked += 1
            m = self._average_factor()
            unbiased = var * (m_values / (m_values - 1))
            self.running_mean[...] = (1.0 - m) * self.running_mean + m * mean
            self.running_var[...] = (1.0 - m) * self.running_var + m * unbiased
        else:
            mean, var = self.running_mean, self.running_var
            xc = x - mean.reshape(shape)
        inv_std = 1.0 / get_array_module(x).sqrt(var + self.eps)
        xhat = xc * inv_std.reshape(shape)
        self._cache = (xhat, inv_std, axes, shape, self.training)
        return xhat * self.gamma.data.reshape(shape) + self.beta.data.reshape(shape)
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """Backpropagate through the layer (in the mode of the last forward).

        Adds ``dgamma = sum(dy * xhat)`` and ``dbeta = sum(dy)`` (over every axis but 1) into
        ``gamma.grad`` and ``beta.grad``.

        Args:
            grad_out: ``dL/dy``, the shape of the input, ``(N, C)`` or ``(N, C, L)``.

        Returns:
            grad_x: ``dL/dx``, same shape; in training mode
            ``(dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) * inv_std`` with ``dxhat = gamma * dy``,
            in evaluation mode ``gamma * dy * inv_std``.
        """
        ### BEGIN SOLUTION
        xhat, inv_std, axes, shape, training = self._cache
        self.gamma.grad += (grad_out * xhat).sum(axis=axes)
        self.beta.grad += grad_out.sum(axis=axes)
        dxhat = grad_out * self.gamma.data.reshape(shape)
        if not training:
            return dxhat * inv_std.reshape(shape)
        mean_dxhat = dxhat.mean(axis=axes, keepdims=True)
        mean_dxhat_xhat = (dxhat * xhat).mean(axis=axes, keepdims=True)
        return (dxhat - mean_dxhat - xhat * mean_dxhat_xhat) * inv_std.reshape(shape)
        ### END SOLUTION


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` inputs, per channel (axis 1).

    The statistics of channel ``c`` are taken over axes 0, 2 and 3: ``M = N * H * W`` values
    (so the unbiased factor is ``M / (M - 1)`` with that ``M``). See the module docstring.
    """

    def forward(self, x: Any) -> Any:
        """Normalise ``x`` per channel with the batch statistics (training) or the running ones (evaluation).

        Args:
            x: ``(N, C, H, W)``.

        Returns:
            y: ``(N, C, H, W)``, ``gamma * xhat + beta`` with ``gamma``, ``beta`` shaped ``(1, C, 1, 1)``.

        Training mode counts the batch and updates the running statistics (unbiased variance,
        ``M = N * H * W``); it raises ``ValueError`` when ``M == 1``.
        """
        self._check(x, (4,))
        ### BEGIN SOLUTION
        xpm = get_array_module(x)
        n, c, h, w = x.shape
        size = n * h * w
        if self.training:
            if size < 2:
                raise ValueError(
                    f"BatchNorm2d in training mode needs more than 1 value per channel, got input shape "
                    f"{tuple(x.shape)} (N * H * W = 1): the variance of a single value is undefined. Use "
                    f"a larger batch or image, or call .eval() to normalise with the running statistics.")
            mu = x.mean(axis=(0, 2, 3), keepdims=True)
            xhat = x - mu
            sigma2 = xpm.square(xhat).mean(axis=(0, 2, 3))
            self.num_batches_tracked += 1
            f = self._average_factor()
            self.running_mean[...] = (1.0 - f) * self.running_mean + f * mu.reshape(c)
            self.running_var[...] = (1.0 - f) * self.running_var + f * sigma2 * (size / (size - 1))
        else:
            sigma2 = self.running_var
            xhat = x - self.running_mean.reshape(1, c, 1, 1)
        inv_std = (1.0 / xpm.sqrt(sigma2 + self.eps)).reshape(1, c, 1, 1)
        xhat *= inv_std                      # xhat is a new array: scaling it in place is safe
        self._cache = (xhat, inv_std, self.training)
        y = xhat * self.gamma.data.reshape(1, c, 1, 1)
        y += self.beta.data.reshape(1, c, 1, 1)
        return y
        ### END SOLUTION

    def backward(self, grad_out: Any) -> Any:
        """Backpropagate through the layer (in the mode of the last forward).

        Adds ``dgamma = sum(dy * xhat)`` and ``dbeta = sum(dy)`` over axes (0, 2, 3) into
        ``gamma.grad`` and ``beta.grad``.

        Args:
            grad_out: ``dL/dy``, ``(N, C, H, W)``.

        Returns:
            grad_x: ``dL/dx``, ``(N, C, H, W)``; the formula of ``BatchNorm1d.backward`` with the
            means taken over ``M = N * H * W`` values per channel.
        """
        ### BEGIN SOLUTION
        xhat, inv_std, training = self._cache
        c = xhat.shape[1]
        size = xhat.size // c
        dgamma = (grad_out * xhat).sum(axis=(0, 2, 3))
        dbeta = grad_out.sum(axis=(0, 2, 3))
        self.gamma.grad += dgamma
        self.beta.grad += dbeta
        scale = self.gamma.data.reshape(1, c, 1, 1) * inv_std
        if not training:
            return grad_out * scale
        # dx = gamma * inv_std * (dy - mean(dy) - xhat * mean(dy * xhat)), one temporary
        dx = xhat * (dgamma / size).reshape(1, c, 1, 1)
        dx += (dbeta / size).reshape(1, c, 1, 1)
        xpm = get_array_module(grad_out)
        xpm.subtract(grad_out, dx, out=dx)
        dx *= scale
        return dx
        ### END SOLUTION
