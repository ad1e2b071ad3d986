"""Task 03.2: Linear.backward against torch autograd and finite differences (float64)."""
import numpy as np
import pytest
import torch.nn.functional as F

from grader import assert_close, assert_dtype, gradcheck
from grader.oracles import torch_run

pytestmark = pytest.mark.task("03.2")

SHAPES = {"N,D": ((4, 3), 5), "N,T,D": ((2, 6, 3), 4), "batch of 1": ((1, 7), 2), "square W": ((5, 4), 4)}


def make(impl, rng, d_in, d_out, dtype=np.float64):
    layer = impl.nn.linear.Linear(d_in, d_out, rng=rng, dtype=dtype)
    layer.W.data = rng.standard_normal((d_out, d_in)).astype(dtype)
    layer.b.data = rng.standard_normal(d_out).astype(dtype)
    return layer


def run(impl, rng, x_shape, d_out):
    layer = make(impl, rng, x_shape[-1], d_out)
    x = rng.standard_normal(x_shape)
    dy = rng.standard_normal(x_shape[:-1] + (d_out,))
    layer.forward(x)
    dx = layer.backward(dy)
    _, g = torch_run(lambda x, W, b: F.linear(x, W, b), {"x": x, "W": layer.W.data, "b": layer.b.data}, dy)
    return layer, x, dy, dx, g


@pytest.mark.parametrize("x_shape,d_out", SHAPES.values(), ids=SHAPES.keys())
def test_weight_gradient(impl, rng, x_shape, d_out):
    layer, x, dy, dx, g = run(impl, rng, x_shape, d_out)
    rows = int(np.prod(x_shape[:-1]))
    assert_close(layer.W.grad, g["W"], "dW (W.grad)", batch_size=rows)


@pytest.mark.parametrize("x_shape,d_out", SHAPES.values(), ids=SHAPES.keys())
def test_bias_gradient(impl, rng, x_shape, d_out):
    layer, x, dy, dx, g = run(impl, rng, x_shape, d_out)
    rows = int(np.prod(x_shape[:-1]))
    assert_close(layer.b.grad, g["b"], "db (b.grad)", batch_size=rows, reduced_from=dy.reshape(rows, d_out))


@pytest.mark.parametrize("x_shape,d_out", SHAPES.values(), ids=SHAPES.keys())
def test_input_gradient(impl, rng, x_shape, d_out):
    layer, x, dy, dx, g = run(impl, rng, x_shape, d_out)
    assert_close(dx, g["x"], "dX (returned by backward)", batch_size=int(np.prod(x_shape[:-1])))


def test_input_gradient_by_finite_differences(impl, rng):
    layer = make(impl, rng, 3, 4)
    x = rng.standard_normal((2, 3))
    dy = rng.standard_normal((2, 4))
    layer.forward(x)
    dx = layer.backward(dy)
    gradcheck(lambda v: float(np.sum(layer.forward(v) * dy)), x, dx, "dX")


def test_backward_keeps_float32(impl, rng):
    layer = make(impl, rng, 3, 2, dtype=np.float32)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    layer.forward(x)
    dy = np.ones((4, 2), dtype=np.float32)
    dx = layer.backward(dy)
    assert_dtype(dx, np.float32, "dX", "float32 input and weights")
    assert_dtype(layer.W.grad, np.float32, "dW", "float32 weights")
    _, g = torch_run(lambda x, W, b: F.linear(x, W, b), {"x": x, "W": layer.W.data, "b": layer.b.data}, dy)
    assert_close(dx, g["x"], "dX in float32", tol=1e-5)
    assert_close(layer.W.grad, g["W"], "dW in float32", tol=1e-5)


def test_backward_does_not_change_grad_out(impl, rng):
    layer = make(impl, rng, 3, 2)
    x = rng.standard_normal((4, 3))
    layer.forward(x)
    dy = rng.standard_normal((4, 2))
    before = dy.copy()
    dx = layer.backward(dy)
    assert_close(dy, before, "grad_out after backward(grad_out) (the input must not be modified)")
    _, g = torch_run(lambda x, W, b: F.linear(x, W, b), {"x": x, "W": layer.W.data, "b": layer.b.data}, before)
    assert_close(dx, g["x"], "dX (returned by backward)")


def test_gradients_are_added_over_two_backward_calls(impl, rng):
    """backward adds into .grad (as PyTorch does): two calls without zero_grad give twice the gradient."""
    layer = make(impl, rng, 3, 2)
    x, dy = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    for _ in range(2):
        layer.forward(x)
        layer.backward(dy)
    once_W, once_b = dy.T @ x, dy.sum(axis=0)
    overwrote = "the second backward overwrote .grad: backward must add into it (+=), as PyTorch does"
    assert_close(layer.W.grad, 2 * once_W, "W.grad after two backward calls", mistakes={overwrote: once_W})
    assert_close(layer.b.grad, 2 * once_b, "b.grad after two backward calls", mistakes={overwrote: once_b})
