"""Assignment 08: convolution forward + backward, float32, the reference against torch CPU.

Each step is one forward and one backward pass with a fixed ``grad_out`` made beforehand;
torch runs ``F.conv2d`` and autograd (input, weight and bias all require gradients). Rows:

* ``conv_lenet``: (128, 6, 14, 14) -> 16 channels, 5x5 (LeNet-5's second convolution);
* ``conv_resnet``: (32, 64, 56, 56) -> 64 channels, 3x3, padding 1 (a ResNet-18 stage-1 layer);
* ``conv_stride2``: (32, 64, 56, 56) -> 128 channels, 3x3, stride 2, padding 1 (a downsampling layer);
* ``depthwise_3x3``: (32, 96, 56, 56), 3x3 depthwise, padding 1 (an MBConv layer).
"""
from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from . import Case

GOAL = 1.50


def _data(x_shape: tuple[int, ...], y_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return (rng.standard_normal(x_shape, dtype=np.float32), rng.standard_normal(y_shape, dtype=np.float32))


def _out(h: int, k: int, s: int, p: int) -> int:
    return (h + 2 * p - k) // s + 1


def conv_case(x_shape: tuple[int, int, int, int], c_out: int, k: int, stride: int = 1, padding: int = 0,
              depthwise: bool = False) -> Case:
    n, c, h, w = x_shape
    y_shape = (n, c if depthwise else c_out, _out(h, k, stride, padding), _out(w, k, stride, padding))

    def nnott(lib: Any):
        if depthwise:
            mod = importlib.import_module(f"{lib.__name__}.nn.depthwise")
            layer = mod.DepthwiseConv2d(c, k, stride, padding, rng=np.random.default_rng(1), dtype=np.float32)
        else:
            mod = importlib.import_module(f"{lib.__name__}.nn.conv")
            layer = mod.Conv2d(c, c_out, k, stride, padding, rng=np.random.default_rng(1), dtype=np.float32)
        x, g = _data(x_shape, y_shape)

        def step() -> Any:
            layer.forward(x)
            return layer.backward(g)
        return step

    def torch_side():
        import torch
        import torch.nn.functional as F
        xn, gn = _data(x_shape, y_shape)
        x, g = torch.from_numpy(xn).requires_grad_(), torch.from_numpy(gn)
        groups = c if depthwise else 1
        cout = c if depthwise else c_out
        weight = (torch.randn(cout, c // groups, k, k) * 0.1).requires_grad_()
        bias = torch.zeros(cout).requires_grad_()

        def step() -> Any:
            x.grad = weight.grad = bias.grad = None
            y = F.conv2d(x, weight, bias, stride=stride, padding=padding, groups=groups)
            y.backward(g)
            return x.grad
        return step

    what = "depthwise" if depthwise else f"-> {c_out}"
    return Case(GOAL, nnott, torch_side,
                note=f"{x_shape} {what}, {k}x{k}, stride {stride}, padding {padding}; forward + backward")


CASES = {
    "conv_lenet": conv_case((128, 6, 14, 14), 16, 5),
    "conv_resnet": conv_case((32, 64, 56, 56), 64, 3, padding=1),
    "conv_stride2": conv_case((32, 64, 56, 56), 128, 3, stride=2, padding=1),
    "depthwise_3x3": conv_case((32, 96, 56, 56), 96, 3, padding=1, depthwise=True),
}
