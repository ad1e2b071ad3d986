"""Fixtures shared by the tests of assignment 05 (not graded themselves).

* ``norm``: NumPy float64 versions of batch and layer normalisation, correct and with the
  classic mistakes, so that a failing test can say which mistake your numbers match; and a
  helper that moves a layer's arrays onto a device (NumPy or CuPy).
* ``torch_bn``: a ``torch.nn.BatchNorm1d``/``BatchNorm2d`` in float64 with given gamma and beta.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Sequence

import numpy as np
import pytest


def bn_axes(ndim: int) -> tuple[int, ...]:
    """The axes batch norm reduces over: every axis but the channel axis 1."""
    return (0,) + tuple(range(2, ndim))


def per_channel(v: np.ndarray, ndim: int) -> np.ndarray:
    """A (C,) array shaped to broadcast along axis 1 of an ndim-d input."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def bn_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5, *,
               mean: np.ndarray | None = None, var: np.ndarray | None = None, unbiased: bool = False,
               centre: bool = True, axes: Sequence[int] | None = None, eps_outside: bool = False) -> np.ndarray:
    """Batch norm of ``x`` (float64), with the batch statistics unless ``mean``/``var`` are given.

    The keyword switches produce the classic mistakes: ``unbiased`` normalises with the
    unbiased variance, ``centre=False`` forgets to subtract the mean, ``axes`` reduces over other
    axes, ``eps_outside`` adds eps after the square root.
    """
    axes = tuple(bn_axes(x.ndim) if axes is None else axes)
    keep = {"axis": axes, "keepdims": True}
    m = x.mean(**keep) if mean is None else per_channel(mean, x.ndim)
    if var is None:
        v = x.var(**keep)
        if unbiased:
            count = x.size // int(np.prod([x.shape[a] for a in range(x.ndim) if a not in axes]))
            v = v * count / (count - 1)
    else:
        v = per_channel(var, x.ndim)
    xc = x - m if centre else x
    xhat = xc / (np.sqrt(v) + eps) if eps_outside else xc / np.sqrt(v + eps)
    return xhat * per_channel(gamma, x.ndim) + per_channel(beta, x.ndim)


def running_stats(xs: Sequence[np.ndarray], momentum: float | None = 0.1, *, unbiased: bool = True,
                  reversed_momentum: bool = False, count: str = "all") -> tuple[np.ndarray, np.ndarray]:
    """``(running_mean, running_var)`` after training-mode passes over ``xs``, from (0, 1).

    ``unbiased=False`` stores the biased variance; ``reversed_momentum`` swaps the roles of
    ``momentum`` and ``1 - momentum``; ``count="N"`` uses N (not N*H*W) in the unbiased factor.
    """
    c = xs[0].shape[1]
    rm, rv = np.zeros(c), np.ones(c)
    for t, x in enumerate(xs, 1):
        axes = bn_axes(x.ndim)
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        m_values = x.shape[0] if count == "N" else x.size // c
        if unbiased:
            var = var * m_values / (m_values - 1)
        f = 1.0 / t if momentum is None else momentum
        if reversed_momentum:
            f = 1.0 - f
        rm = (1 - f) * rm + f * mean
        rv = (1 - f) * rv + f * var
    return rm, rv


def bn_backward(x: np.ndarray, gamma: np.ndarray, dy: np.ndarray, eps: float = 1e-5, *,
                drop_mean_term: bool = False, drop_var_term: bool = False) -> np.ndarray:
    """dL/dx of training-mode batch norm (float64), optionally without one or both terms from the statistics."""
    axes = bn_axes(x.ndim)
    keep = {"axis": axes, "keepdims": True}
    inv = 1.0 / np.sqrt(x.var(**keep) + eps)
    xhat = (x - x.mean(**keep)) * inv
    d = dy * per_channel(gamma, x.ndim)
    out = d.copy()
    if not drop_mean_term:
        out -= d.mean(**keep)
    if not drop_var_term:
        out -= xhat * (d * xhat).mean(**keep)
    return out * inv


def ln_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float, axis: Any,
               gamma_shape: tuple[int, ...], *, unbiased: bool = False) -> np.ndarray:
    """Layer norm of ``x`` over ``axis`` (an int or a tuple), gamma/beta reshaped to ``gamma_shape``."""
    m = x.mean(axis=axis, keepdims=True)
    v = x.var(axis=axis, keepdims=True, ddof=1 if unbiased else 0)
    return (x - m) / np.sqrt(v + eps) * gamma.reshape(gamma_shape) + beta.reshape(gamma_shape)


def on_device(layer: Any, device: Any) -> Any:
    """Move a normalisation layer's parameters, gradients and buffers onto ``device``; returns the layer."""
    for p in layer.parameters():
        p.data = device.asarray(p.data)
        p.grad = device.asarray(p.grad)
    for name in ("running_mean", "running_var"):
        if hasattr(layer, name):
            setattr(layer, name, device.asarray(getattr(layer, name)))
    return layer


def set_affine(layer: Any, rng: np.random.Generator, dtype: Any = np.float64) -> tuple[np.ndarray, np.ndarray]:
    """Give a layer random gamma and beta (so that a swap or a missing broadcast shows); returns them."""
    c = layer.gamma.data.shape[0]
    gamma = (1.0 + 0.5 * rng.standard_normal(c)).astype(dtype)
    beta = rng.standard_normal(c).astype(dtype)
    layer.gamma.data = gamma.copy()
    layer.beta.data = beta.copy()
    layer.gamma.grad = np.zeros_like(gamma)
    layer.beta.grad = np.zeros_like(beta)
    return gamma.astype(np.float64), beta.astype(np.float64)


def make_torch_bn(ndim: int, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5,
                  momentum: float | None = 0.1) -> Any:
    """A float64 torch BatchNorm1d (ndim 2 or 3) or BatchNorm2d (ndim 4) with these gamma and beta."""
    import torch
    cls = torch.nn.BatchNorm2d if ndim == 4 else torch.nn.BatchNorm1d
    bn = cls(len(gamma), eps=eps, momentum=momentum).double()
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(np.array(gamma, dtype=np.float64)))
        bn.bias.copy_(torch.from_numpy(np.array(beta, dtype=np.float64)))
    return bn


def torch_step(bn: Any, x: np.ndarray, dy: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One pass of a torch batch norm (in its current mode): ``(y, {"x", "gamma", "beta": gradients})``.

    Parameter gradients are those of this pass alone (cleared first).
    """
    import torch
    bn.zero_grad()
    xt = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    y = bn(xt)
    grads: dict[str, np.ndarray] = {}
    if dy is not None:
        (y * torch.from_numpy(np.asarray(dy, dtype=np.float64))).sum().backward()
        grads = {"x": xt.grad.numpy(), "gamma": bn.weight.grad.numpy().copy(), "beta": bn.bias.grad.numpy().copy()}
    return y.detach().numpy(), grads


def offset_input(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """``5 * randn + 12``: a large offset, so that a mean that is not subtracted shows."""
    return 5.0 * rng.standard_normal(shape) + 12.0


def terms(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, dy: np.ndarray | None = None, *,
          axes: Any = None, gamma_shape: tuple[int, ...] | None = None,
          eps: float = 1e-5) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The terms of the forward and backward formulas, for the diagnosis to name the one that is off:
    ``y = gamma * xhat + beta`` and ``dx = (d - mean(d) - xhat * mean(d * xhat)) / std`` with ``d = gamma * dY``.
    Batch norm's axes and shapes unless ``axes`` and ``gamma_shape`` say otherwise."""
    axes = bn_axes(x.ndim) if axes is None else axes
    g = per_channel(gamma, x.ndim) if gamma_shape is None else gamma.reshape(gamma_shape)
    b = per_channel(beta, x.ndim) if gamma_shape is None else beta.reshape(gamma_shape)
    keep = {"axis": axes, "keepdims": True}
    mean, std = x.mean(**keep), np.sqrt(x.var(**keep) + eps)
    xhat = (x - mean) / std
    forward = {"beta": np.broadcast_to(b, x.shape), "gamma * mean / std": g * mean / std}
    if dy is None:
        return forward, {}
    d = dy * g
    backward = {"the term mean(gamma * dY) / std": np.broadcast_to(d.mean(**keep) / std, x.shape),
                "the term xhat * mean(gamma * dY * xhat) / std": xhat * (d * xhat).mean(**keep) / std,
                "gamma * dY / std": d / std}
    return forward, backward


def spec(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, axes: Any = None,
         gamma_shape: tuple[int, ...] | None = None, eps: float = 1e-5) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """``(normalised, normalised_grad)`` for ``assert_close``: the axes a group is normalised over, with gamma and
    beta for the output and xhat for the gradient (batch norm's unless ``axes`` and ``gamma_shape`` say otherwise)."""
    axes = bn_axes(x.ndim) if axes is None else axes
    g = per_channel(gamma, x.ndim) if gamma_shape is None else gamma.reshape(gamma_shape)
    b = per_channel(beta, x.ndim) if gamma_shape is None else beta.reshape(gamma_shape)
    keep = {"axis": axes, "keepdims": True}
    xhat = (x - x.mean(**keep)) / np.sqrt(x.var(**keep) + eps)
    return (axes, g, b), (axes, xhat)


def batch_quantities(x: np.ndarray) -> dict[str, np.ndarray]:
    """The statistics of one batch, per channel, for the diagnosis to name the term a running average got wrong."""
    axes, m = bn_axes(x.ndim), x.size // x.shape[1]
    var = x.var(axis=axes)
    return {"the batch mean": x.mean(axis=axes), "the batch variance (biased)": var,
            "the unbiased batch variance": var * m / (m - 1)}


@pytest.fixture
def norm() -> SimpleNamespace:
    """The helpers above: ``bn_forward``, ``running_stats``, ``bn_backward``, ``ln_forward``, ``torch_bn``, ..."""
    return SimpleNamespace(bn_axes=bn_axes, per_channel=per_channel, bn_forward=bn_forward,
                           running_stats=running_stats, bn_backward=bn_backward, ln_forward=ln_forward,
                           on_device=on_device, set_affine=set_affine, torch_bn=make_torch_bn,
                           torch_step=torch_step, offset_input=offset_input,
                           batch_quantities=batch_quantities, terms=terms,
                           spec=spec)
