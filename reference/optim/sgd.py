"""Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay.

PyTorch's formulation (``torch.optim.SGD``), for each parameter ``θ`` with gradient ``g``,
learning rate ``γ``, momentum ``μ``, dampening ``τ`` and weight decay ``λ``::

    g   ← g + λ θ                       (L2 penalty, added to the gradient first)
    b_1 = g_1                           (first step: the buffer is the gradient, undampened)
    b_t = μ b_{t-1} + (1 - τ) g_t       (later steps)
    g   ← g + μ b_t    if nesterov, else   g ← b_t
    θ   ← θ - γ g

The buffer is kept in gradient units; the learning rate multiplies only the
final step, so changing ``lr`` between steps rescales the next step only.
"""
from __future__ import annotations

from typing import Any, Iterable

from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """SGD as ``torch.optim.SGD``.

    Args:
        params: ``Parameter`` objects (or parameter groups).
        lr: the learning rate ``γ``.
        momentum: ``μ`` (0 disables the buffer).
        dampening: ``τ``, scales the new gradient by ``1 - τ`` from the second step on.
        weight_decay: ``λ``, added to the gradient as ``λ θ``.
        nesterov: use ``g + μ b_t`` instead of ``b_t`` (needs momentum > 0 and dampening 0).

    State per parameter: ``"momentum_buffer"``, an array like ``θ`` (only when ``momentum != 0``).
    """

    def __init__(self, params: Iterable[Any], lr: float, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        if lr < 0.0:
            raise ValueError(f"invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"invalid momentum: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"invalid weight_decay: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def step(self) -> None:
        """One update of every parameter from its ``.grad`` (which is read, never written).

        Shapes: each ``p.data`` and ``p.grad`` have the same shape (any); ``p.data``
        is updated in place and keeps its dtype.
        """
        for group in self.param_groups:
            lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
            wd, nesterov = group["weight_decay"], group["nesterov"]
            for p in group["params"]:
                state = self.state_for(p)
                ### BEGIN SOLUTION
                g = p.grad
                if wd != 0:
                    g = g + wd * p.data
                if mu != 0:
                    if "momentum_buffer" not in state:
                        buf = state["momentum_buffer"] = g.copy()
                    else:
                        buf = state["momentum_buffer"]
                        buf *= mu
                        buf += (1 - tau) * g
                    if nesterov:
                        g = g + mu * buf
                    else:
                        g = buf
                p.data -= lr * g
                ### END SOLUTION
