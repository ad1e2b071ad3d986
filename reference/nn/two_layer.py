"""A two-layer network, Linear -> ReLU -> Linear, with its loss and gradients written by hand.

No layer classes here: the point is to write every step of the forward and
backward pass yourself, in the order of the local-gradient model.
"""
from __future__ import annotations

from typing import Any

from ..backend import get_array_module

__all__ = ["two_layer_loss"]


def two_layer_loss(x: Any, y: Any, params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Loss and gradients of ``Linear(W1, b1) -> ReLU -> Linear(W2, b2)`` under mean squared error.

    Forward::

        z1 = x W1^T + b1        (N, H)
        a1 = max(0, z1)         (N, H)
        z2 = a1 W2^T + b2       (N, C)
        L  = mean((z2 - y)^2)   scalar: the mean over all N*C entries

    Args:
        x: inputs ``(N, D)``.
        y: targets ``(N, C)``.
        params: ``{"W1": (H, D), "b1": (H,), "W2": (C, H), "b2": (C,)}``. Not modified.

    Returns:
        ``(loss, grads)``: the loss as a Python float, and a dict with the same
        keys as ``params`` holding dL/d(param), each shaped like its parameter.
    """
    ### BEGIN SOLUTION
    xp = get_array_module(x)
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z1 = x @ W1.T + b1
    mask = z1 > 0
    a1 = z1 * mask
    z2 = a1 @ W2.T + b2
    diff = z2 - y
    loss = float(xp.mean(diff ** 2))
    dz2 = 2.0 * diff / diff.size
    grads = {"W2": dz2.T @ a1, "b2": dz2.sum(axis=0)}
    dz1 = (dz2 @ W2) * mask
    grads["W1"] = dz1.T @ x
    grads["b1"] = dz1.sum(axis=0)
    return loss, grads
    ### END SOLUTION
