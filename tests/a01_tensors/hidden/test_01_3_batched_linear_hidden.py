"""Task 01.3 (hidden): batched_linear on odd shapes and bad biases, against the reference and torch."""
import numpy as np
import pytest
import torch.nn.functional as F

from grader import assert_close
from grader.oracles import tensor

pytestmark = pytest.mark.task("01.3")

SHAPES = {"5-d batch": ((2, 1, 3, 2, 4), 3), "D_in=1": ((6, 1), 3), "D_out=1": ((6, 3), 1),
          "wide": ((3, 64), 128), "N=D_out square": ((4, 4), 4), "empty batch": ((0, 3), 2)}


@pytest.mark.parametrize("x_shape,d_out", SHAPES.values(), ids=SHAPES.keys())
def test_matches_reference_and_torch(impl, ref, rng, x_shape, d_out):
    x = rng.standard_normal(x_shape)
    W, b = rng.standard_normal((d_out, x_shape[-1])), rng.standard_normal(d_out)
    y = impl.tensors.batched_linear.batched_linear(x, W, b)
    assert_close(y, ref.tensors.batched_linear.batched_linear(x, W, b), f"batched_linear(x {x_shape}) vs reference")
    assert_close(y, F.linear(tensor(x), tensor(W), tensor(b)).numpy(), f"batched_linear(x {x_shape}) vs torch")


def test_unbatched_without_bias(impl, rng):
    x, W = rng.standard_normal(4), rng.standard_normal((4, 4))
    assert_close(impl.tensors.batched_linear.batched_linear(x, W, None), W @ x, "batched_linear(x (4,), W (4, 4), None)")


@pytest.mark.parametrize("b_shape", [(1, 3), (3, 1), (2,), ()], ids=["row (1, D_out)", "column (D_out, 1)",
                                                                     "wrong length", "scalar"])
def test_bias_must_be_exactly_d_out(impl, rng, b_shape):
    x, W, b = rng.standard_normal((3, 2)), rng.standard_normal((3, 2)), rng.standard_normal(b_shape)
    try:
        y = impl.tensors.batched_linear.batched_linear(x, W, b)
    except ValueError:
        return
    raise AssertionError(f"batched_linear accepted a bias of shape {b_shape} (returned shape {np.shape(y)}); "
                         f"b must be exactly (D_out,) = (3,): raise ValueError")


def test_large_values(impl, rng):
    x, W, b = rng.standard_normal((5, 3)) * 1e6, rng.standard_normal((2, 3)) * 1e6, rng.standard_normal(2) * 1e12
    assert_close(impl.tensors.batched_linear.batched_linear(x, W, b), x @ W.T + b, "batched_linear with values near 1e12")


def test_same_result_as_flattening_the_batch(impl, rng):
    x, W, b = rng.standard_normal((3, 4, 5)), rng.standard_normal((2, 5)), rng.standard_normal(2)
    y = impl.tensors.batched_linear.batched_linear(x, W, b)
    flat = impl.tensors.batched_linear.batched_linear(x.reshape(12, 5), W, b)
    assert_close(y.reshape(12, 2), flat, "batched_linear(x (3, 4, 5)) reshaped vs batched_linear(x (12, 5))")
