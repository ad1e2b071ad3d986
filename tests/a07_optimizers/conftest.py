"""Fixtures shared by the tests of assignment 07 (not graded themselves).

``kit`` bundles the helpers every optimiser test needs:

* ``params(impl, shapes, rng, dtype)``: your ``Parameter`` objects with random values;
* ``grads(rng, shapes, steps)``: one list of gradient arrays per step (the same
  sequence is fed to your optimiser and to torch's);
* ``run(opt, params, grads, lrs=None)``: step your optimiser through the sequence
  (``lrs[t]`` is written into every group's ``lr`` before step ``t``) and return
  the trajectory: an array ``(steps, total number of scalars)``, the parameters
  after each step, flattened and joined;
* ``run_torch(cls, init, grads, lrs=None, **kw)``: the same with ``torch.optim.<cls>``
  in float64;
* ``sgd_np`` / ``adam_np``: the same update rules written out in NumPy, with a
  ``mistake=`` switch that reproduces a classic mistake, so a failing test can
  say which one your numbers match.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Sequence

import numpy as np
import pytest
import torch

# The first torch.optim optimiser imports torch._dynamo (seconds on a slow machine): pay for it
# here, at collection, rather than inside a test's time limit.
torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)


def _params(impl: Any, shapes: Sequence[tuple[int, ...]], rng: np.random.Generator, dtype: Any = np.float64) -> list:
    return [impl.module.Parameter(rng.standard_normal(s).astype(dtype), f"p{i}") for i, s in enumerate(shapes)]


def _grads(rng: np.random.Generator, shapes: Sequence[tuple[int, ...]], steps: int, scale: float = 1.0) -> list:
    return [[scale * rng.standard_normal(s) for s in shapes] for _ in range(steps)]


def _flat(arrays: Sequence[Any]) -> np.ndarray:
    out = []
    for a in arrays:
        a = a.get() if type(a).__module__.startswith("cupy") else np.asarray(a)
        out.append(a.astype(np.float64).ravel())
    return np.concatenate(out)


def _run(opt: Any, params: Sequence[Any], grads: Sequence[Sequence[np.ndarray]], lrs: Sequence[float] | None = None,
         to_device: Any = None) -> np.ndarray:
    traj = []
    for t, gs in enumerate(grads):
        if lrs is not None:
            for group in opt.param_groups:
                group["lr"] = lrs[t]
        for p, g in zip(params, gs):
            p.grad[...] = g if to_device is None else to_device(g)
        opt.step()
        traj.append(_flat([p.data for p in params]))
    return np.stack(traj)


def _run_torch(cls: str, init: Sequence[np.ndarray], grads: Sequence[Sequence[np.ndarray]],
               lrs: Sequence[float] | None = None, **kw: Any) -> np.ndarray:
    ps = [torch.nn.Parameter(torch.tensor(np.array(a, dtype=np.float64))) for a in init]
    opt = getattr(torch.optim, cls)(ps, **kw)
    traj = []
    for t, gs in enumerate(grads):
        if lrs is not None:
            for group in opt.param_groups:
                group["lr"] = lrs[t]
        for p, g in zip(ps, gs):
            p.grad = torch.tensor(np.array(g, dtype=np.float64))
        opt.step()
        traj.append(np.concatenate([p.detach().numpy().ravel() for p in ps]))
    return np.stack(traj)


def _sgd_np(init: Sequence[np.ndarray], grads: Sequence[Sequence[np.ndarray]], lr: float, momentum: float = 0.0,
            dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
            lrs: Sequence[float] | None = None, mistake: str = "") -> np.ndarray:
    """SGD in NumPy; ``mistake`` in {"", "first dampened", "no dampening", "decay after momentum",
    "nesterov as plain momentum", "lr inside the buffer"}."""
    theta = [np.array(a, dtype=np.float64) for a in init]
    bufs: list[Any] = [None] * len(theta)
    traj = []
    for t, gs in enumerate(grads):
        gamma = lrs[t] if lrs is not None else lr
        for i, g in enumerate(gs):
            g = np.array(g, dtype=np.float64)
            if weight_decay and mistake != "decay after momentum":
                g = g + weight_decay * theta[i]
            if momentum:
                scale = gamma if mistake == "lr inside the buffer" else 1.0
                if bufs[i] is None:
                    bufs[i] = scale * g * ((1 - dampening) if mistake == "first dampened" else 1.0)
                else:
                    damp = 1.0 if mistake == "no dampening" else 1 - dampening
                    bufs[i] = momentum * bufs[i] + damp * scale * g
                if nesterov and mistake != "nesterov as plain momentum":
                    d = scale * g + momentum * bufs[i]
                else:
                    d = bufs[i]
                if mistake == "lr inside the buffer":
                    d = d / gamma
            else:
                d = g
            if weight_decay and mistake == "decay after momentum":
                d = d + weight_decay * theta[i]
            theta[i] = theta[i] - gamma * d
        traj.append(_flat(theta))
    return np.stack(traj)


def _adam_np(init: Sequence[np.ndarray], grads: Sequence[Sequence[np.ndarray]], lr: float = 1e-3,
             betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
             decoupled: bool = False, lrs: Sequence[float] | None = None, mistake: str = "") -> np.ndarray:
    """Adam / AdamW in NumPy; ``mistake`` in {"", "no bias correction", "eps inside the root",
    "decay not scaled by lr", "decay as L2", "decoupled decay", "t from 2"}."""
    b1, b2 = betas
    theta = [np.array(a, dtype=np.float64) for a in init]
    m = [np.zeros_like(a) for a in theta]
    v = [np.zeros_like(a) for a in theta]
    traj = []
    for step, gs in enumerate(grads):
        gamma = lrs[step] if lrs is not None else lr
        t = step + (2 if mistake == "t from 2" else 1)
        coupled = (not decoupled and mistake != "decoupled decay") or mistake == "decay as L2"
        for i, g in enumerate(gs):
            g = np.array(g, dtype=np.float64)
            if weight_decay and coupled:
                g = g + weight_decay * theta[i]
            elif weight_decay:
                theta[i] = theta[i] * (1 - (weight_decay if mistake == "decay not scaled by lr" else gamma * weight_decay))
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            c1, c2 = (1.0, 1.0) if mistake == "no bias correction" else (1 - b1 ** t, 1 - b2 ** t)
            if mistake == "eps inside the root":
                denom = np.sqrt(v[i] / c2 + eps)
            else:
                denom = np.sqrt(v[i] / c2) + eps
            theta[i] = theta[i] - gamma * (m[i] / c1) / denom
        traj.append(_flat(theta))
    return np.stack(traj)


@pytest.fixture
def kit() -> SimpleNamespace:
    return SimpleNamespace(params=_params, grads=_grads, run=_run, run_torch=_run_torch, flat=_flat,
                           sgd_np=_sgd_np, adam_np=_adam_np)
