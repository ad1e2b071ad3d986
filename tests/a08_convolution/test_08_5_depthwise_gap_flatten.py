"""Task 08.5: DepthwiseConv2d (against F.conv2d with groups=C), GlobalAvgPool2d and Flatten (float64)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader import assert_close, assert_dtype, gradcheck
from grader.oracles import torch_run

pytestmark = pytest.mark.task("08.5")


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def make(impl, rng, c, k, s=1, p=0, d=1, bias=True, dtype=np.float64):
    layer = impl.nn.depthwise.DepthwiseConv2d(c, k, s, p, d, bias=bias, rng=rng, dtype=dtype)
    kh, kw = pair(k)
    layer.W.data = rng.standard_normal((c, 1, kh, kw)).astype(dtype)
    layer.zero_grad()
    if bias:
        layer.b.data = rng.standard_normal(c).astype(dtype)
    return layer


def tdepth(x, layer, dy, s, p, d):
    c = x.shape[1]
    inputs = {"x": x, "W": layer.W.data}
    if layer.b is not None:
        inputs["b"] = layer.b.data
    fn = lambda x, W, b=None: F.conv2d(x, W, b, stride=s, padding=p, dilation=d, groups=c)  # noqa: E731
    if dy is None:
        dy = np.zeros(fn(**{k: torch.tensor(v) for k, v in inputs.items()}).shape)
    return torch_run(fn, inputs, dy)


def full_conv(x, layer, s, p, d):
    """The mistake: a full convolution, every output channel summing over all input channels."""
    c = x.shape[1]
    W = np.repeat(layer.W.data, c, axis=1)                         # (C, C, kh, kw)
    b = None if layer.b is None else torch.tensor(layer.b.data)
    return F.conv2d(torch.tensor(x), torch.tensor(W), b, stride=s, padding=p, dilation=d).numpy()


# (N, C, H, W), kernel, stride, padding, dilation
CASES = {
    "3x3 padding 1": ((2, 3, 5, 5), 3, 1, 1, 1),
    "3x3 stride 2": ((2, 4, 7, 7), 3, 2, 1, 1),
    "5x5 padding 2": ((1, 2, 6, 6), 5, 1, 2, 1),
    "rectangular": ((2, 2, 6, 7), (3, 2), (1, 2), (1, 0), 1),
    "dilation 2": ((2, 2, 7, 7), 3, 1, 2, 2),
    "C=1, batch of 1": ((1, 1, 5, 5), 3, 1, 0, 1),
}


@pytest.mark.parametrize("x_shape,k,s,p,d", CASES.values(), ids=CASES.keys())
def test_depthwise_forward(impl, rng, x_shape, k, s, p, d):
    layer = make(impl, rng, x_shape[1], k, s, p, d)
    x = rng.standard_normal(x_shape)
    want, _ = tdepth(x, layer, None, s, p, d)
    mistakes = {} if x_shape[1] == 1 else {
        "this is a full convolution that sums over the input channels: a depthwise layer (groups = C) "
        "convolves channel c with its own filter W[c, 0] only": full_conv(x, layer, s, p, d)}
    assert_close(layer.forward(x), want, "DepthwiseConv2d forward", mistakes=mistakes)


@pytest.mark.parametrize("x_shape,k,s,p,d", CASES.values(), ids=CASES.keys())
def test_depthwise_backward(impl, rng, x_shape, k, s, p, d):
    layer = make(impl, rng, x_shape[1], k, s, p, d)
    x = rng.standard_normal(x_shape)
    dy = rng.standard_normal(np.shape(layer.forward(x)))
    dx = layer.backward(dy)
    _, g = tdepth(x, layer, dy, s, p, d)
    assert_close(layer.W.grad, g["W"], "DepthwiseConv2d dW (W.grad)", batch_size=x_shape[0])
    assert_close(layer.b.grad, g["b"], "DepthwiseConv2d db (b.grad)", batch_size=x_shape[0])
    assert_close(dx, g["x"], "DepthwiseConv2d dX", batch_size=x_shape[0])


def test_depthwise_without_bias_and_finite_differences(impl, rng):
    layer = make(impl, rng, 2, 3, 2, 1, bias=False)
    x = rng.standard_normal((2, 2, 5, 5))
    dy = rng.standard_normal(np.shape(layer.forward(x)))
    dx = layer.backward(dy)
    want, g = tdepth(x, layer, dy, 2, 1, 1)
    assert_close(layer.forward(x), want, "DepthwiseConv2d forward (bias=False)")
    assert_close(layer.W.grad, g["W"], "dW (bias=False)")
    gradcheck(lambda v: float(np.sum(layer.forward(v) * dy)), x, dx, "DepthwiseConv2d dX")


def test_depthwise_gradients_accumulate(impl, rng):
    layer = make(impl, rng, 2, 3, 1, 1)
    x, dy = rng.standard_normal((2, 2, 4, 4)), rng.standard_normal((2, 2, 4, 4))
    layer.forward(x)
    layer.backward(dy)
    once_W, once_b = layer.W.grad.copy(), layer.b.grad.copy()
    layer.forward(x)
    layer.backward(dy)
    hint = "the second backward overwrote .grad: backward must add into it (+=), as PyTorch does"
    assert_close(layer.W.grad, 2 * once_W, "W.grad after two backward calls", mistakes={hint: once_W})
    assert_close(layer.b.grad, 2 * once_b, "b.grad after two backward calls", mistakes={hint: once_b})
    _, g = tdepth(x, layer, dy, 1, 1, 1)
    assert_close(layer.W.grad, 2 * g["W"], "W.grad after two backward calls (vs torch)")


def test_depthwise_keeps_float32_and_inputs(impl, rng):
    layer = make(impl, rng, 3, 3, 1, 1, dtype=np.float32)
    x = rng.standard_normal((2, 3, 5, 5)).astype(np.float32)
    dy = rng.standard_normal((2, 3, 5, 5)).astype(np.float32)
    x_before, dy_before = x.copy(), dy.copy()
    y = layer.forward(x)
    dx = layer.backward(dy)
    assert_dtype(y, np.float32, "DepthwiseConv2d forward", "float32 input and weights")
    assert_dtype(dx, np.float32, "DepthwiseConv2d dX", "float32 input and weights")
    assert_dtype(layer.W.grad, np.float32, "DepthwiseConv2d dW", "float32 weights")
    want, g = tdepth(x, layer, dy, 1, 1, 1)
    assert_close(y, want, "DepthwiseConv2d forward (float32)", tol=1e-4)
    assert_close(dx, g["x"], "DepthwiseConv2d dX (float32)", tol=1e-4)
    assert_close(x, x_before, "x after forward(x) (the input must not be modified)")
    assert_close(dy, dy_before, "grad_out after backward(grad_out) (the input must not be modified)")


def test_depthwise_on_device(impl, rng, device):
    layer = make(impl, rng, 3, 3, 2, 1)
    W, b = layer.W.data, layer.b.data
    layer.W.data, layer.b.data = device.asarray(W), device.asarray(b)
    layer.W.grad, layer.b.grad = device.asarray(np.zeros_like(W)), device.asarray(np.zeros_like(b))
    x = rng.standard_normal((2, 3, 6, 6))
    y = layer.forward(device.asarray(x))
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(device.asarray(dy))
    assert device.is_array(y) and device.is_array(dx), f"DepthwiseConv2d left the {device} device"
    layer.W.data, layer.b.data = W, b
    want, g = tdepth(x, layer, dy, 2, 1, 1)
    assert_close(y, want, "DepthwiseConv2d forward", tol=device.tol)
    assert_close(dx, g["x"], "DepthwiseConv2d dX", tol=device.tol)
    assert_close(layer.W.grad, g["W"], "DepthwiseConv2d dW", tol=device.tol)


@pytest.mark.parametrize("keepdims", [False, True])
def test_global_avg_pool(impl, rng, keepdims):
    layer = impl.nn.pool.GlobalAvgPool2d(keepdims=keepdims)
    x = rng.standard_normal((3, 4, 5, 6))
    x_before = x.copy()
    fn = (lambda x: F.adaptive_avg_pool2d(x, 1)) if keepdims else (lambda x: F.adaptive_avg_pool2d(x, 1).flatten(1))
    dy = rng.standard_normal((3, 4, 1, 1) if keepdims else (3, 4))
    dy_before = dy.copy()
    want, g = torch_run(fn, {"x": x}, dy)
    y = layer.forward(x)
    assert_close(y, want, f"GlobalAvgPool2d(keepdims={keepdims}) forward",
                 reduced_from=x.reshape(3, 4, 30).transpose(2, 0, 1))
    dx = layer.backward(dy)
    sums = np.broadcast_to(dy.reshape(3, 4, 1, 1), x.shape)
    assert_close(dx, g["x"], "GlobalAvgPool2d dX",
                 mistakes={"dX must be grad_out / (H * W) at every position (the mean's derivative)": sums})
    assert_close(x, x_before, "x after forward(x) (the input must not be modified)")
    assert_close(dy, dy_before, "grad_out after backward(grad_out) (the input must not be modified)")


def test_global_avg_pool_float32_and_batch_of_1(impl, rng):
    layer = impl.nn.pool.GlobalAvgPool2d()
    x = rng.standard_normal((1, 2, 3, 3)).astype(np.float32)
    y = layer.forward(x)
    assert_dtype(y, np.float32, "GlobalAvgPool2d forward", "float32 input")
    assert_close(y, x.astype(np.float64).mean(axis=(2, 3)), "GlobalAvgPool2d forward (float32)", tol=1e-6)
    dx = layer.backward(np.ones((1, 2), dtype=np.float32))
    assert_dtype(dx, np.float32, "GlobalAvgPool2d dX", "float32 grad_out")
    assert_close(dx, np.full((1, 2, 3, 3), 1 / 9), "GlobalAvgPool2d dX (float32)", tol=1e-6)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (1, 6), (3, 2, 5)], ids=["NCHW", "already flat", "3-d"])
def test_flatten(impl, rng, shape, device):
    layer = impl.nn.flatten.Flatten()
    x = rng.standard_normal(shape)
    y = layer.forward(device.asarray(x))
    want = torch.flatten(torch.tensor(x), 1).numpy()
    assert_close(y, want, "Flatten forward")
    dy = rng.standard_normal(want.shape)
    dx = layer.backward(device.asarray(dy))
    assert device.is_array(dx), f"Flatten backward left the {device} device"
    assert_close(dx, dy.reshape(shape), "Flatten dX (grad_out reshaped back)")


def test_flatten_keeps_dtype_and_inputs(impl, rng):
    layer = impl.nn.flatten.Flatten()
    x = rng.standard_normal((2, 3, 2, 2)).astype(np.float32)
    x_before = x.copy()
    y = layer.forward(x)
    assert_dtype(y, np.float32, "Flatten forward", "float32 input")
    assert_close(y, x_before.reshape(2, 12), "Flatten forward (float32)")
    dy = rng.standard_normal((2, 12)).astype(np.float32)
    dy_before = dy.copy()
    dx = layer.backward(dy)
    assert_dtype(dx, np.float32, "Flatten dX", "float32 grad_out")
    assert_close(dx, dy_before.reshape(2, 3, 2, 2), "Flatten dX (float32)")
    assert_close(x, x_before, "x after Flatten.forward(x) (the input must not be modified)")
    assert_close(dy, dy_before, "grad_out after Flatten.backward(grad_out) (the input must not be modified)")


def test_global_avg_pool_on_device(impl, rng, device):
    layer = impl.nn.pool.GlobalAvgPool2d()
    x = rng.standard_normal((2, 3, 4, 5))
    y = layer.forward(device.asarray(x))
    dy = rng.standard_normal((2, 3))
    dx = layer.backward(device.asarray(dy))
    assert device.is_array(y) and device.is_array(dx), f"GlobalAvgPool2d left the {device} device"
    assert_close(y, x.mean(axis=(2, 3)), "GlobalAvgPool2d forward", tol=device.tol)
    assert_close(dx, np.broadcast_to(dy[:, :, None, None] / 20, x.shape), "GlobalAvgPool2d dX", tol=device.tol)
