"""Task 08.4: MaxPool2d and AvgPool2d forward and backward against torch (float64), ties included."""
import numpy as np
import pytest
import torch.nn.functional as F

from grader import assert_close, assert_dtype, gradcheck
from grader.oracles import tensor, torch_run

pytestmark = pytest.mark.task("08.4")


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def tmax(x, dy, k, s, p):
    """torch's output and, for a given dy, dL/dx with L = sum(y * dy)."""
    dy = np.zeros(F.max_pool2d(tensor(x), k, s, p).shape) if dy is None else dy
    return torch_run(lambda x: F.max_pool2d(x, k, s, p), {"x": x}, dy)


def tavg(x, dy, k, s, p, count_include_pad=True):
    dy = np.zeros(F.avg_pool2d(tensor(x), k, s, p).shape) if dy is None else dy
    return torch_run(lambda x: F.avg_pool2d(x, k, s, p, count_include_pad=count_include_pad), {"x": x}, dy)


def every_max(x, dy, k, s, p):
    """The mistake: each window's gradient sent to EVERY input equal to its maximum."""
    (kh, kw), (sh, sw), (ph, pw) = pair(k), pair(s if s is not None else k), pair(p)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    dx = np.zeros_like(xp)
    OH, OW = dy.shape[2:]
    for oh in range(OH):
        for ow in range(OW):
            win = xp[:, :, oh * sh:oh * sh + kh, ow * sw:ow * sw + kw]
            hit = win == win.max(axis=(2, 3), keepdims=True)
            dx[:, :, oh * sh:oh * sh + kh, ow * sw:ow * sw + kw] += hit * dy[:, :, oh:oh + 1, ow:ow + 1]
    return dx[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]]


# (N, C, H, W), kernel, stride (None: = kernel), padding
CASES = {
    "2x2 (stride = kernel)": ((2, 3, 6, 6), 2, None, 0),
    "3x3 stride 2 (overlapping)": ((2, 2, 7, 7), 3, 2, 1),
    "3x3 stride 1 padding 1": ((1, 2, 5, 6), 3, 1, 1),
    "floor: 2x2 on 7x5": ((2, 2, 7, 5), 2, None, 0),
    "rectangular": ((2, 2, 6, 7), (2, 3), (1, 2), (1, 1)),
    "batch of 1": ((1, 1, 4, 4), 2, 1, 0),
    "4x4 padding 2 (the most torch allows)": ((1, 2, 6, 5), 4, 2, 2),
}


@pytest.mark.parametrize("x_shape,k,s,p", CASES.values(), ids=CASES.keys())
def test_maxpool_forward(impl, rng, x_shape, k, s, p):
    x = rng.standard_normal(x_shape)
    y = impl.nn.pool.MaxPool2d(k, s, p).forward(x)
    want, _ = tmax(x, None, k, s, p)
    assert_close(y, want, "MaxPool2d forward")


@pytest.mark.parametrize("x_shape,k,s,p", CASES.values(), ids=CASES.keys())
def test_maxpool_backward(impl, rng, x_shape, k, s, p):
    layer = impl.nn.pool.MaxPool2d(k, s, p)
    x = rng.standard_normal(x_shape)
    y = layer.forward(x)
    dy = rng.standard_normal(np.shape(y))
    _, g = tmax(x, dy, k, s, p)
    assert_close(layer.backward(dy), g["x"], "MaxPool2d dX")


@pytest.mark.parametrize("x_shape,k,s,p", CASES.values(), ids=CASES.keys())
def test_maxpool_ties_go_to_one_maximum(impl, rng, x_shape, k, s, p):
    """Values from {0, 1, 2}: most windows hold several maxima; torch sends the gradient to the first."""
    layer = impl.nn.pool.MaxPool2d(k, s, p)
    x = rng.integers(0, 3, x_shape).astype(np.float64)
    y = layer.forward(x)
    dy = rng.standard_normal(np.shape(y))
    want, g = tmax(x, dy, k, s, p)
    assert_close(y, want, "MaxPool2d forward (repeated values)")
    assert_close(layer.backward(dy), g["x"], "MaxPool2d dX (repeated values)", mistakes={
        "the gradient went to every maximum of a window: send it to ONE, the first in row-major order, as torch":
            every_max(x, dy, k, s, p)})


@pytest.mark.parametrize("x_shape,k,s,p", CASES.values(), ids=CASES.keys())
def test_avgpool_forward(impl, rng, x_shape, k, s, p):
    x = rng.standard_normal(x_shape)
    y = impl.nn.pool.AvgPool2d(k, s, p).forward(x)
    want, _ = tavg(x, None, k, s, p)
    wrong, _ = tavg(x, None, k, s, p, count_include_pad=False)
    mistakes = {} if p == 0 else {"the padded zeros must count in the mean (torch's count_include_pad=True): "
                                  "divide every window by kh*kw": wrong}
    assert_close(y, want, "AvgPool2d forward", mistakes=mistakes)


@pytest.mark.parametrize("x_shape,k,s,p", CASES.values(), ids=CASES.keys())
def test_avgpool_backward(impl, rng, x_shape, k, s, p):
    layer = impl.nn.pool.AvgPool2d(k, s, p)
    x = rng.standard_normal(x_shape)
    y = layer.forward(x)
    dy = rng.standard_normal(np.shape(y))
    _, g = tavg(x, dy, k, s, p)
    assert_close(layer.backward(dy), g["x"], "AvgPool2d dX")


def test_pool_gradients_by_finite_differences(impl, rng):
    x = rng.permutation(2 * 2 * 5 * 5).reshape(2, 2, 5, 5) / 10.0   # distinct values: max is differentiable
    for layer in (impl.nn.pool.MaxPool2d(3, 2, 1), impl.nn.pool.AvgPool2d(3, 2, 1)):
        dy = rng.standard_normal(np.shape(layer.forward(x)))
        dx = layer.backward(dy)
        gradcheck(lambda v, layer=layer, dy=dy: float(np.sum(layer.forward(v) * dy)), x, dx,
                  f"{type(layer).__name__} dX")


@pytest.mark.parametrize("name", ["MaxPool2d", "AvgPool2d"])
def test_keeps_float32(impl, rng, name):
    layer = getattr(impl.nn.pool, name)(3, 2, 1)
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    y = layer.forward(x)
    dy = rng.standard_normal(np.shape(y)).astype(np.float32)
    dx = layer.backward(dy)
    assert_dtype(y, np.float32, f"{name} forward", "float32 input")
    assert_dtype(dx, np.float32, f"{name} dX", "float32 grad_out")
    want, g = (tmax if name == "MaxPool2d" else tavg)(x, dy, 3, 2, 1)
    assert_close(y, want, f"{name} forward (float32)", tol=1e-5)
    assert_close(dx, g["x"], f"{name} dX (float32)", tol=1e-5)


@pytest.mark.parametrize("name", ["MaxPool2d", "AvgPool2d"])
def test_inputs_not_modified(impl, rng, name):
    layer = getattr(impl.nn.pool, name)(2, 1, 1)
    x = rng.standard_normal((2, 2, 4, 4))
    x_before = x.copy()
    y = layer.forward(x)
    dy = rng.standard_normal(np.shape(y))
    dy_before = dy.copy()
    dx = layer.backward(dy)
    assert_close(x, x_before, f"x after {name}.forward(x) (the input must not be modified)")
    assert_close(dy, dy_before, f"grad_out after {name}.backward(grad_out) (the input must not be modified)")
    _, g = (tmax if name == "MaxPool2d" else tavg)(x, dy, 2, 1, 1)
    assert_close(dx, g["x"], f"{name} dX")


@pytest.mark.parametrize("name", ["MaxPool2d", "AvgPool2d"])
def test_on_device(impl, rng, device, name):
    layer = getattr(impl.nn.pool, name)(3, 2, 1)
    x = rng.standard_normal((2, 3, 7, 7))
    y = layer.forward(device.asarray(x))
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(device.asarray(dy))
    assert device.is_array(y) and device.is_array(dx), f"{name} left the {device} device"
    want, g = (tmax if name == "MaxPool2d" else tavg)(x, dy, 3, 2, 1)
    assert_close(y, want, f"{name} forward", tol=device.tol)
    assert_close(dx, g["x"], f"{name} dX", tol=device.tol)
