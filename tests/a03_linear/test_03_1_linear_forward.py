"""Task 03.1: Linear.forward against torch.nn.functional.linear (float64)."""
import numpy as np
import pytest
import torch.nn.functional as F

from grader import assert_close, assert_dtype
from grader.oracles import tensor

pytestmark = pytest.mark.task("03.1")

SHAPES = {"N,D": ((4, 3), 5), "N,T,D": ((2, 6, 3), 4), "batch of 1": ((1, 7), 2), "square W": ((5, 4), 4)}


def make(impl, rng, d_in, d_out, dtype=np.float64, bias=True):
    layer = impl.nn.linear.Linear(d_in, d_out, bias=bias, rng=rng, dtype=dtype)
    layer.W.data = rng.standard_normal((d_out, d_in)).astype(dtype)
    if bias:
        layer.b.data = rng.standard_normal(d_out).astype(dtype)
    return layer


@pytest.mark.parametrize("x_shape,d_out", SHAPES.values(), ids=SHAPES.keys())
def test_forward_matches_torch(impl, rng, x_shape, d_out):
    layer = make(impl, rng, x_shape[-1], d_out)
    x = rng.standard_normal(x_shape)
    y = layer.forward(x)
    expected = F.linear(tensor(x), tensor(layer.W.data), tensor(layer.b.data)).numpy()
    assert_close(y, expected, "y = forward(x)")


def test_forward_without_bias(impl, rng):
    layer = make(impl, rng, 3, 2, bias=False)
    x = rng.standard_normal((5, 3))
    assert_close(layer.forward(x), F.linear(tensor(x), tensor(layer.W.data)).numpy(), "y (bias=False)")


def test_forward_keeps_float32(impl, rng):
    layer = make(impl, rng, 3, 2, dtype=np.float32)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    y = layer.forward(x)
    assert_dtype(y, np.float32, "y", "float32 input and weights")
    assert_close(y, F.linear(tensor(x), tensor(layer.W.data), tensor(layer.b.data)).numpy(), "y", tol=1e-5)


def test_forward_does_not_change_its_input(impl, rng):
    layer = make(impl, rng, 3, 2)
    x = rng.standard_normal((4, 3))
    before = x.copy()
    y = layer.forward(x)
    assert_close(x, before, "x after forward(x) (the input must not be modified)")
    assert_close(y, F.linear(tensor(before), tensor(layer.W.data), tensor(layer.b.data)).numpy(), "y = forward(x)")
