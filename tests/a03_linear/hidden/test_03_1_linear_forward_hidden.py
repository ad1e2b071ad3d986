"""Task 03.1 (hidden): Linear.forward on odd shapes, against the reference and torch."""
import pytest
import torch.nn.functional as F

from grader import assert_close
from grader.oracles import tensor

pytestmark = pytest.mark.task("03.1")

SHAPES = {"D_in=1": ((6, 1), 3), "D_out=1": ((6, 3), 1), "4-d batch": ((2, 3, 2, 5), 4),
          "wide": ((3, 64), 128), "unbatched vector": ((5,), 3)}


@pytest.mark.parametrize("x_shape,d_out", SHAPES.values(), ids=SHAPES.keys())
def test_forward_matches_reference_and_torch(impl, ref, rng, x_shape, d_out):
    W = rng.standard_normal((d_out, x_shape[-1]))
    b = rng.standard_normal(d_out)
    x = rng.standard_normal(x_shape)
    mine, theirs = impl.nn.linear.Linear(x_shape[-1], d_out), ref.nn.linear.Linear(x_shape[-1], d_out)
    for layer in (mine, theirs):
        layer.W.data, layer.b.data = W.copy(), b.copy()
    y = mine.forward(x)
    assert_close(y, theirs.forward(x), "y (vs reference)")
    assert_close(y, F.linear(tensor(x), tensor(W), tensor(b)).numpy(), "y (vs torch)")


def test_forward_with_large_values(impl, rng):
    layer = impl.nn.linear.Linear(3, 2)
    layer.W.data = rng.standard_normal((2, 3)) * 1e6
    layer.b.data = rng.standard_normal(2) * 1e6
    x = rng.standard_normal((4, 3)) * 1e6
    assert_close(layer.forward(x), x @ layer.W.data.T + layer.b.data, "y (values near 1e12)")


def test_forward_is_repeatable(impl, rng):
    layer = impl.nn.linear.Linear(3, 2, rng=rng)
    x = rng.standard_normal((4, 3))
    assert_close(layer.forward(x), layer.forward(x), "y on a second call with the same x")
