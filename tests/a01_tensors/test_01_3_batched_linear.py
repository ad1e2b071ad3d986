"""Task 01.3: batched_linear against torch.nn.functional.linear (float64)."""
import numpy as np
import pytest
import torch.nn.functional as F

from grader import assert_close, assert_dtype
from grader.oracles import tensor

pytestmark = pytest.mark.task("01.3")

SHAPES = {"N,D": ((4, 3), 5), "N,T,D": ((2, 6, 3), 4), "unbatched (D,)": ((3,), 2), "batch of 1": ((1, 7), 2),
          "square W": ((5, 4), 4), "square W, N,T,D": ((2, 3, 4), 4)}


def transposed_hint(x, W, b):
    """On a square W, using W where W.T belongs runs without error: name that mistake."""
    if W.shape[0] != W.shape[1]:
        return {}
    return {"the result matches x @ W + b: W is stored as (D_out, D_in), so the product needs W transposed "
            "(x @ W.T); with a square W the wrong order runs without an error": x @ W + b}


@pytest.mark.parametrize("x_shape,d_out", SHAPES.values(), ids=SHAPES.keys())
def test_matches_torch(impl, rng, x_shape, d_out):
    x = rng.standard_normal(x_shape)
    W = rng.standard_normal((d_out, x_shape[-1]))
    b = rng.standard_normal(d_out)
    y = impl.tensors.batched_linear.batched_linear(x, W, b)
    assert_close(y, F.linear(tensor(x), tensor(W), tensor(b)).numpy(), f"batched_linear(x {x_shape}, W, b)",
                 mistakes=transposed_hint(x, W, b))


def test_without_bias(impl, rng):
    x, W = rng.standard_normal((2, 5, 3)), rng.standard_normal((3, 3))
    y = impl.tensors.batched_linear.batched_linear(x, W, None)
    assert_close(y, F.linear(tensor(x), tensor(W)).numpy(), "batched_linear(x, W, None)",
                 mistakes=transposed_hint(x, W, np.zeros(3)))


def test_keeps_float32(impl, rng):
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    W = rng.standard_normal((5, 3)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    y = impl.tensors.batched_linear.batched_linear(x, W, b)
    assert_dtype(y, np.float32, "y", "float32 x, W and b")
    assert_close(y, F.linear(tensor(x), tensor(W), tensor(b)).numpy(), "y in float32", tol=1e-5)


def test_column_bias_is_refused(impl, rng):
    # (4, 4) + (4, 1) would broadcast silently, adding b[i] along rows instead of b[j] along columns.
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.standard_normal((4, 1))
    with pytest.raises(ValueError):
        impl.tensors.batched_linear.batched_linear(x, W, b)


def test_wrong_input_width_is_refused(impl, rng):
    x, W, b = rng.standard_normal((4, 5)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    with pytest.raises(ValueError):
        impl.tensors.batched_linear.batched_linear(x, W, b)


def test_does_not_change_its_inputs(impl, rng):
    x, W, b = rng.standard_normal((2, 4, 3)), rng.standard_normal((5, 3)), rng.standard_normal(5)
    before = x.copy(), W.copy(), b.copy()
    y = impl.tensors.batched_linear.batched_linear(x, W, b)
    for name, now, then in zip("xWb", (x, W, b), before):
        assert_close(now, then, f"{name} after batched_linear (inputs must not be modified)")
    assert_close(y, F.linear(*(tensor(v) for v in before)).numpy(), "y = batched_linear(x, W, b)")
