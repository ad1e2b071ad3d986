"""Small PyTorch helpers for tests: run a function in float64 and read off its gradients.

Only tests import this module (PyTorch is the test-only oracle).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

__all__ = ["torch_run", "tensor"]


def tensor(a: Any, grad: bool = False) -> Any:
    """A float64 torch tensor holding a copy of ``a``."""
    import torch
    t = torch.tensor(np.array(a, dtype=np.float64))
    return t.requires_grad_(grad)


def torch_run(fn: Callable[..., Any], inputs: Mapping[str, Any], grad_out: Any = None,
              consts: Mapping[str, Any] | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Evaluate ``fn(**inputs, **consts)`` in torch float64 and backpropagate ``grad_out``.

    Returns ``(output, {name: dL/d input})`` as NumPy arrays, with
    ``L = sum(output * grad_out)`` (or ``L = output`` for a scalar output and no ``grad_out``).
    """
    ts = {k: tensor(v, grad=True) for k, v in inputs.items()}
    cs = {k: (tensor(v) if isinstance(v, np.ndarray) else v) for k, v in (consts or {}).items()}
    out = fn(**ts, **cs)
    loss = out if grad_out is None else (out * tensor(grad_out)).sum()
    loss.backward()
    grads = {k: (t.grad.numpy() if t.grad is not None else np.zeros(t.shape)) for k, t in ts.items()}
    return out.detach().numpy(), grads
