"""Adam (adaptive moments) and AdamW (Adam with decoupled weight decay).

PyTorch's formulation, for a parameter ``θ`` with gradient ``g``, step ``t = 1, 2, ...``::

    m_t = β1 m_{t-1} + (1 - β1) g            (first moment, m_0 = 0)
    v_t = β2 v_{t-1} + (1 - β2) g²           (second moment, v_0 = 0)
    m̂ = m_t / (1 - β1^t),   v̂ = v_t / (1 - β2^t)         (bias correction, t counted from 1)
    θ ← θ - γ m̂ / (√v̂ + ε)                  (ε added *outside* the square root)

``Adam(weight_decay=λ)`` adds the L2 gradient ``λ θ`` to ``g`` first (it then
passes through the moments). ``AdamW`` instead shrinks the parameter directly,
``θ ← θ - γ λ θ``, and then takes the plain Adam step: the decay is not divided
by ``√v̂``, so every weight decays at the same rate.

All arithmetic is in place on the state arrays, with one scratch array per call
(``out=``), so an 11.7 M-parameter step allocates nothing new.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

from ..backend import get_array_module
from .optimizer import Optimizer

__all__ = ["Adam", "AdamW", "adam_update"]


def adam_update(theta: Any, g: Any, state: dict[str, Any], lr: float, beta1: float, beta2: float,
                eps: float, tmp: Any) -> None:
    """One Adam step of one parameter, in place.

    Args:
        theta: the parameter values ``θ``, any shape; updated in place.
        g: the gradient, same shape as ``theta``; read only (never modify it).
        state: this parameter's state; empty on the first call, then holds
            ``"step"`` (int, the number of steps taken, 1 after the first),
            ``"exp_avg"`` (``m``) and ``"exp_avg_sq"`` (``v``), arrays like ``theta``.
        lr, beta1, beta2, eps: ``γ``, ``β1``, ``β2``, ``ε``.
        tmp: a scratch array with the shape and dtype of ``theta``, free to overwrite.
    """
    xp = get_array_module(theta)
    ### BEGIN SOLUTION
    if not state:
        state["step"] = 0
        state["exp_avg"] = xp.zeros_like(theta)
        state["exp_avg_sq"] = xp.zeros_like(theta)
    m, v = state["exp_avg"], state["exp_avg_sq"]
    state["step"] += 1
    t = state["step"]
    bias1 = 1 - beta1 ** t
    bias2 = 1 - beta2 ** t
    m *= beta1                                  # m = β1 m + (1 - β1) g
    xp.multiply(g, 1 - beta1, out=tmp)
    m += tmp
    v *= beta2                                  # v = β2 v + (1 - β2) g²
    xp.multiply(g, g, out=tmp)
    tmp *= 1 - beta2
    v += tmp
    xp.sqrt(v, out=tmp)                         # tmp = √v̂ + ε = √v / √(1 - β2^t) + ε
    tmp /= math.sqrt(bias2)
    tmp += eps
    xp.divide(m, tmp, out=tmp)                  # θ -= (γ / (1 - β1^t)) m / (√v̂ + ε)
    tmp *= lr / bias1
    theta -= tmp
    ### END SOLUTION


class Adam(Optimizer):
    """Adam as ``torch.optim.Adam`` (no amsgrad).

    Args:
        params: ``Parameter`` objects (or parameter groups).
        lr: ``γ``.
        betas: ``(β1, β2)``, the decay rates of the two moments.
        eps: ``ε``, added to ``√v̂``.
        weight_decay: ``λ``, an L2 penalty: ``g ← g + λ θ`` before the moments.

    State per parameter: ``"step"``, ``"exp_avg"``, ``"exp_avg_sq"`` (see ``adam_update``).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        if lr < 0.0 or eps < 0.0 or weight_decay < 0.0:
            raise ValueError(f"invalid hyper-parameter: lr={lr}, eps={eps}, weight_decay={weight_decay}")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"invalid betas: {betas}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))
        self._scratch_buffers: dict[Any, Any] = {}

    def _scratch(self, like: Any) -> Any:
        """A scratch array shaped like ``like`` (a view of one reused buffer per device and dtype)."""
        xp = get_array_module(like)
        key = (xp.__name__, like.dtype.str)
        buf = self._scratch_buffers.get(key)
        if buf is None or buf.size < like.size:
            buf = self._scratch_buffers[key] = xp.empty(like.size, dtype=like.dtype)
        return buf[:like.size].reshape(like.shape)

    def step(self) -> None:
        """One Adam step of every parameter; ``p.grad`` is read, never written.

        Shapes: each ``p.data`` and ``p.grad`` share one shape; ``p.data`` is updated in place.
        """
        for group in self.param_groups:
            lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                state = self.state_for(p)
                tmp = self._scratch(p.data)
                ### BEGIN SOLUTION
                g = p.grad
                if wd != 0:
                    g = g + wd * p.data
                adam_update(p.data, g, state, lr, beta1, beta2, eps, tmp)
                ### END SOLUTION


class AdamW(Adam):
    """AdamW as ``torch.optim.AdamW``: decoupled weight decay, then the Adam step.

    Args: as ``Adam``, but ``weight_decay`` (``λ``, default ``1e-2``) shrinks
    the parameter, ``θ ← θ (1 - γ λ)``, instead of being added to the gradient.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def step(self) -> None:
        """One AdamW step of every parameter; ``p.grad`` is read, never written."""
        for group in self.param_groups:
            lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                state = self.state_for(p)
                tmp = self._scratch(p.data)
                ### BEGIN SOLUTION
                if wd != 0:
                    p.data *= 1 - lr * wd
                adam_update(p.data, p.grad, state, lr, beta1, beta2, eps, tmp)
                ### END SOLUTION
