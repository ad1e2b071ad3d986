"""Task 03.3: ReLU forward and backward against torch (float64)."""
import numpy as np
import pytest
import torch

from grader import assert_close, assert_dtype
from grader.oracles import torch_run

pytestmark = pytest.mark.task("03.3")

SHAPES = {"N,D": (4, 5), "N,T,D": (2, 3, 4), "N,C,H,W": (2, 3, 4, 4), "vector": (7,)}


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_forward_matches_torch(impl, rng, shape):
    x = rng.standard_normal(shape)
    assert_close(impl.nn.relu.ReLU().forward(x), torch.relu(torch.from_numpy(x)).numpy(), "relu(x)",
                 along={"x": x})


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_backward_matches_torch(impl, rng, shape):
    x = rng.standard_normal(shape)
    dy = rng.standard_normal(shape)
    layer = impl.nn.relu.ReLU()
    layer.forward(x)
    _, g = torch_run(torch.relu, {"input": x}, dy)
    assert_close(layer.backward(dy), g["input"], "dX", where={
        "x > 0": x > 0, "x <= 0": x <= 0, "grad_out > 0": dy > 0, "grad_out <= 0": dy <= 0,
    }, mistakes={
        "the gradient was not masked: dX must be zero where the input was not positive": dy,
        "the mask is inverted: pass the gradient where x > 0, block it elsewhere": dy * (x <= 0),
    })


def test_gradient_is_zero_at_exactly_zero(impl):
    x = np.array([-1.0, 0.0, 2.0])
    layer = impl.nn.relu.ReLU()
    layer.forward(x)
    assert_close(layer.backward(np.ones(3)), np.array([0.0, 0.0, 1.0]), "dX at x = [-1, 0, 2]",
                 mistakes={"at x == 0 the gradient must be 0 (use x > 0, not x >= 0)": np.array([0.0, 1.0, 1.0])})


def test_keeps_float32_and_does_not_change_input(impl, rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    before = x.copy()
    layer = impl.nn.relu.ReLU()
    y = layer.forward(x)
    assert_dtype(y, np.float32, "relu(x)", "float32 input")
    assert_close(y, np.maximum(before, 0), "relu(x) in float32")
    assert_close(x, before, "x after forward(x) (compute a new array; do not clip the input in place)")
    dx = layer.backward(np.ones((3, 4), dtype=np.float32))
    assert_dtype(dx, np.float32, "dX", "float32 input")
    assert_close(dx, (before > 0).astype(np.float64), "dX in float32")


def test_backward_does_not_change_grad_out(impl, rng):
    x, dy = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    before = dy.copy()
    layer = impl.nn.relu.ReLU()
    layer.forward(x)
    dx = layer.backward(dy)
    assert_close(dy, before, "grad_out after backward(grad_out) (mask a new array; do not zero grad_out in place)")
    assert_close(dx, before * (x > 0), "dX")
