"""Kernel rows of assignments 03 and 05: Linear and BatchNorm2d, forward + backward, float32.

Both sides run one training step of the layer on the same shapes: the forward pass, then the
backward pass of a fixed ``grad_out`` (torch: autograd, with the parameter and input gradients
cleared first, as a training loop's ``zero_grad`` would).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import Case, Step

BN_SHAPE = (64, 64, 32, 32)
LIN_N, LIN_IN, LIN_OUT = 256, 1024, 1024


def _data(*shapes: tuple[int, ...]) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def batchnorm2d_nnott(lib: Any) -> Step:
    from importlib import import_module
    bn = import_module(lib.__name__ + ".nn.batchnorm").BatchNorm2d(BN_SHAPE[1], dtype=np.float32)
    x, dy = _data(BN_SHAPE, BN_SHAPE)

    def step() -> Any:
        bn.zero_grad()
        bn.forward(x)
        return bn.backward(dy)
    return step


def batchnorm2d_torch() -> Step:
    import torch
    bn = torch.nn.BatchNorm2d(BN_SHAPE[1])
    x, dy = (torch.from_numpy(a) for a in _data(BN_SHAPE, BN_SHAPE))
    x.requires_grad_(True)

    def step() -> Any:
        bn.zero_grad()
        x.grad = None
        bn(x).backward(dy)
        return x.grad
    return step


def linear_nnott(lib: Any) -> Step:
    from importlib import import_module
    rng = np.random.default_rng(1)
    layer = import_module(lib.__name__ + ".nn.linear").Linear(LIN_IN, LIN_OUT, rng=rng, dtype=np.float32)
    x, dy = _data((LIN_N, LIN_IN), (LIN_N, LIN_OUT))

    def step() -> Any:
        layer.zero_grad()
        layer.forward(x)
        return layer.backward(dy)
    return step


def linear_torch() -> Step:
    import torch
    layer = torch.nn.Linear(LIN_IN, LIN_OUT)
    x, dy = (torch.from_numpy(a) for a in _data((LIN_N, LIN_IN), (LIN_N, LIN_OUT)))
    x.requires_grad_(True)

    def step() -> Any:
        layer.zero_grad()
        x.grad = None
        layer(x).backward(dy)
        return x.grad
    return step


CASES = {
    "batchnorm2d fwd+bwd (64,64,32,32)": Case(2.0, batchnorm2d_nnott, batchnorm2d_torch,
                                              "nn/batchnorm.py BatchNorm2d, training mode, float32"),
    "linear fwd+bwd (256,1024)->1024": Case(1.3, linear_nnott, linear_torch,
                                            "nn/linear.py Linear with bias, float32"),
}
