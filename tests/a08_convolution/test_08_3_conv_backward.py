"""Task 08.3: Conv2d.backward (dW, db, dX) against torch autograd and finite differences (float64)."""
import numpy as np
import pytest
import torch.nn.functional as F

from grader import assert_close, assert_dtype, gradcheck
from grader.oracles import torch_run

pytestmark = pytest.mark.task("08.3")


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def make(impl, rng, c_in, c_out, k, s=1, p=0, d=1, bias=True, dtype=np.float64):
    layer = impl.nn.conv.Conv2d(c_in, c_out, k, s, p, d, bias=bias, rng=rng, dtype=dtype)
    kh, kw = pair(k)
    layer.W.data = rng.standard_normal((c_out, c_in, kh, kw)).astype(dtype)
    layer.zero_grad()
    if bias:
        layer.b.data = rng.standard_normal(c_out).astype(dtype)
    return layer


def torch_grads(x, layer, dy, s, p, d):
    inputs = {"x": x, "W": layer.W.data}
    if layer.b is not None:
        inputs["b"] = layer.b.data
    fn = lambda x, W, b=None: F.conv2d(x, W, b, stride=s, padding=p, dilation=d)  # noqa: E731
    return torch_run(fn, inputs, dy)


# (N, C_in, H, W), C_out, kernel, stride, padding, dilation
CASES = {
    "3x3 padding 1": ((2, 3, 5, 5), 4, 3, 1, 1, 1),
    "1x1": ((2, 4, 3, 3), 3, 1, 1, 0, 1),
    "C_in=1": ((3, 1, 6, 6), 2, 3, 1, 0, 1),
    "C_out=1": ((2, 3, 6, 5), 1, 3, 1, 1, 1),
    "stride 2, padding 0": ((2, 2, 7, 7), 3, 3, 2, 0, 1),
    "padding 3": ((2, 2, 4, 4), 2, 3, 1, 3, 1),
    "17x17, stride 2": ((2, 2, 17, 17), 3, 5, 2, 2, 1),
    "rectangular": ((2, 2, 6, 9), 2, (2, 3), (1, 2), (1, 0), 1),
    "dilation 2": ((2, 2, 7, 7), 2, 3, 1, 1, 2),
    "batch of 1": ((1, 3, 5, 5), 2, 3, 2, 1, 1),
}


def run(impl, rng, x_shape, c_out, k, s, p, d):
    layer = make(impl, rng, x_shape[1], c_out, k, s, p, d)
    x = rng.standard_normal(x_shape)
    y = layer.forward(x)
    dy = rng.standard_normal(np.shape(y))
    dx = layer.backward(dy)
    _, g = torch_grads(x, layer, dy, s, p, d)
    return layer, x, dy, dx, g


@pytest.mark.parametrize("x_shape,c_out,k,s,p,d", CASES.values(), ids=CASES.keys())
def test_weight_gradient(impl, rng, x_shape, c_out, k, s, p, d):
    layer, x, dy, dx, g = run(impl, rng, x_shape, c_out, k, s, p, d)
    _, first = torch_grads(x[:1], layer, dy[:1], s, p, d)
    _, last = torch_grads(x[-1:], layer, dy[-1:], s, p, d)
    hint = "dW holds one sample's contribution only: it must be summed over the whole batch (every n, oh, ow)"
    mistakes = {} if x_shape[0] == 1 else {hint: first["W"], hint + " ": last["W"]}
    assert_close(layer.W.grad, g["W"], "dW (W.grad)", batch_size=x_shape[0], mistakes=mistakes)


@pytest.mark.parametrize("x_shape,c_out,k,s,p,d", CASES.values(), ids=CASES.keys())
def test_bias_gradient(impl, rng, x_shape, c_out, k, s, p, d):
    layer, x, dy, dx, g = run(impl, rng, x_shape, c_out, k, s, p, d)
    mistakes = {"db is a mean: it is the SUM of grad_out over n, oh and ow": dy.mean(axis=(0, 2, 3))}
    if x_shape[0] > 1:
        mistakes["db is summed over oh and ow only: sum over the batch too"] = dy.sum(axis=(2, 3))[0]
    assert_close(layer.b.grad, g["b"], "db (b.grad)", batch_size=x_shape[0], mistakes=mistakes)


@pytest.mark.parametrize("x_shape,c_out,k,s,p,d", CASES.values(), ids=CASES.keys())
def test_input_gradient(impl, rng, x_shape, c_out, k, s, p, d):
    layer, x, dy, dx, g = run(impl, rng, x_shape, c_out, k, s, p, d)
    assert_close(dx, g["x"], "dX (returned by backward)", batch_size=x_shape[0])


def test_gradients_by_finite_differences(impl, rng):
    layer = make(impl, rng, 2, 2, 3, 2, 1)
    x = rng.standard_normal((2, 2, 5, 5))
    dy = rng.standard_normal(np.shape(layer.forward(x)))
    dx = layer.backward(dy)
    W = layer.W.data.copy()
    gradcheck(lambda v: float(np.sum(layer.forward(v) * dy)), x, dx, "dX")

    def loss_of_w(v):
        layer.W.data = v
        return float(np.sum(layer.forward(x) * dy))
    gradcheck(loss_of_w, W, layer.W.grad, "dW", batch_size=2)
    layer.W.data = W


def test_backward_without_bias(impl, rng):
    layer = make(impl, rng, 2, 3, 3, 1, 1, bias=False)
    x = rng.standard_normal((2, 2, 4, 4))
    dy = rng.standard_normal(np.shape(layer.forward(x)))
    dx = layer.backward(dy)
    _, g = torch_grads(x, layer, dy, 1, 1, 1)
    assert_close(layer.W.grad, g["W"], "dW (bias=False)")
    assert_close(dx, g["x"], "dX (bias=False)")


def test_gradients_accumulate_over_two_backward_calls(impl, rng):
    layer = make(impl, rng, 2, 2, 3, 1, 1)
    x = rng.standard_normal((2, 2, 4, 4))
    dy = rng.standard_normal((2, 2, 4, 4))
    layer.forward(x)
    layer.backward(dy)
    once_W, once_b = layer.W.grad.copy(), layer.b.grad.copy()
    layer.forward(x)
    layer.backward(dy)
    hint = "the second backward overwrote .grad: backward must add into it (+=), as PyTorch does"
    assert_close(layer.W.grad, 2 * once_W, "W.grad after two backward calls", mistakes={hint: once_W})
    assert_close(layer.b.grad, 2 * once_b, "b.grad after two backward calls", mistakes={hint: once_b})
    _, g = torch_grads(x, layer, dy, 1, 1, 1)
    assert_close(layer.W.grad, 2 * g["W"], "W.grad after two backward calls (vs torch)")


def test_backward_keeps_float32(impl, rng):
    layer = make(impl, rng, 3, 2, 3, 1, 1, dtype=np.float32)
    x = rng.standard_normal((2, 3, 5, 5)).astype(np.float32)
    layer.forward(x)
    dy = rng.standard_normal((2, 2, 5, 5)).astype(np.float32)
    dx = layer.backward(dy)
    assert_dtype(dx, np.float32, "dX", "float32 input and weights")
    assert_dtype(layer.W.grad, np.float32, "dW", "float32 weights")
    _, g = torch_grads(x, layer, dy, 1, 1, 1)
    assert_close(dx, g["x"], "dX (float32)", tol=1e-4)
    assert_close(layer.W.grad, g["W"], "dW (float32)", tol=1e-4)


def test_backward_does_not_change_grad_out(impl, rng):
    layer = make(impl, rng, 2, 2, 3, 1, 1)
    x = rng.standard_normal((2, 2, 4, 4))
    layer.forward(x)
    dy = rng.standard_normal((2, 2, 4, 4))
    before = dy.copy()
    dx = layer.backward(dy)
    assert_close(dy, before, "grad_out after backward(grad_out) (the input must not be modified)")
    _, g = torch_grads(x, layer, dy, 1, 1, 1)
    assert_close(dx, g["x"], "dX")


def test_backward_on_device(impl, rng, device):
    layer = make(impl, rng, 3, 2, 3, 2, 1)
    W, b = layer.W.data, layer.b.data
    layer.W.data, layer.b.data = device.asarray(W), device.asarray(b)
    layer.W.grad, layer.b.grad = device.asarray(np.zeros_like(W)), device.asarray(np.zeros_like(b))
    x = rng.standard_normal((2, 3, 6, 6))
    y = layer.forward(device.asarray(x))
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(device.asarray(dy))
    assert device.is_array(dx), f"backward returned {type(dx).__name__} for a {device} input"
    layer.W.data, layer.b.data = W, b
    _, g = torch_grads(x, layer, dy, 2, 1, 1)
    assert_close(dx, g["x"], "dX", tol=device.tol)
    assert_close(layer.W.grad, g["W"], "dW", tol=device.tol)
    assert_close(layer.b.grad, g["b"], "db", tol=device.tol)
