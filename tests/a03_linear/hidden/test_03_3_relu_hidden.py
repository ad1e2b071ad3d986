"""Task 03.3 (hidden): ReLU on edge values and against the reference."""
import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("03.3")


def test_edge_values(impl):
    x = np.array([-np.inf, -1e300, -0.0, 0.0, 1e-300, 1e300, np.inf])
    layer = impl.nn.relu.ReLU()
    y = layer.forward(x)
    assert_close(y, np.array([0, 0, 0, 0, 1e-300, 1e300, np.inf]), "relu of edge values")
    assert_close(layer.backward(np.ones_like(x)), np.array([0, 0, 0, 0, 1, 1, 1.0]), "dX at edge values")


@pytest.mark.parametrize("shape", [(1,), (1, 1), (3, 1, 5), (2, 2, 2, 2, 2)])
def test_matches_reference(impl, ref, rng, shape):
    x, dy = rng.standard_normal(shape), rng.standard_normal(shape)
    mine, theirs = impl.nn.relu.ReLU(), ref.nn.relu.ReLU()
    assert_close(mine.forward(x), theirs.forward(x), "relu(x) (vs reference)")
    theirs_dx = theirs.backward(dy)
    assert_close(mine.backward(dy), theirs_dx, "dX (vs reference)")


def test_backward_uses_the_last_forward(impl, rng):
    layer = impl.nn.relu.ReLU()
    layer.forward(rng.standard_normal(6))
    x = rng.standard_normal(6)
    layer.forward(x)
    assert_close(layer.backward(np.ones(6)), (x > 0).astype(float), "dX after two forward calls")
