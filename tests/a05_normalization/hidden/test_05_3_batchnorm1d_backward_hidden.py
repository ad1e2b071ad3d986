"""Task 05.3 (hidden): the reference as oracle, the gradient's invariants, the cache of the last forward."""
import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("05.3")

SHAPES = {"N=2": (2, 3), "L=1": (4, 2, 1), "wide": (3, 16), "long": (2, 3, 9)}


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_matches_reference_and_torch(impl, ref, rng, norm, shape):
    mine, theirs = impl.nn.batchnorm.BatchNorm1d(shape[1]), ref.nn.batchnorm.BatchNorm1d(shape[1])
    gamma, beta = norm.set_affine(mine, rng)
    theirs.gamma.data, theirs.beta.data = gamma.copy(), beta.copy()
    x, dy = norm.offset_input(rng, shape), rng.standard_normal(shape)
    mine.forward(x)
    theirs.forward(x)
    dx = mine.backward(dy)
    assert_close(dx, theirs.backward(dy), "dX (vs reference)")
    assert_close(mine.gamma.grad, theirs.gamma.grad, "dgamma (vs reference)")
    _, g = norm.torch_step(norm.torch_bn(len(shape), gamma, beta), x, dy)
    assert_close(dx, g["x"], "dX (vs torch)")
    assert_close(mine.beta.grad, g["beta"], "dbeta (vs torch)")


def test_training_gradient_is_orthogonal_to_the_statistics(impl, rng, norm):
    """In training mode the per-channel sums of dx and of dx * xhat are 0: shifting or scaling a channel changes nothing."""
    layer = impl.nn.batchnorm.BatchNorm1d(3, eps=1e-14)   # with eps -> 0 both sums are exactly 0
    norm.set_affine(layer, rng)
    x, dy = norm.offset_input(rng, (7, 3)), rng.standard_normal((7, 3))
    layer.forward(x)
    dx = layer.backward(dy)
    xhat = (x - x.mean(axis=0)) / x.std(axis=0)
    scale = np.abs(dx).max()
    assert np.abs(dx.sum(axis=0)).max() <= 1e-10 * scale * 7, (
        f"the per-channel sums of dX are {dx.sum(axis=0)}, not 0: the term - mean(dxhat) is missing or wrong")
    assert np.abs((dx * xhat).sum(axis=0)).max() <= 1e-9 * scale * 7, (
        "sum(dX * xhat) per channel is not 0: the term - xhat * mean(dxhat * xhat) is missing or wrong")


def test_backward_uses_the_last_forward(impl, rng, norm):
    layer = impl.nn.batchnorm.BatchNorm1d(3)
    gamma, beta = norm.set_affine(layer, rng)
    layer.forward(norm.offset_input(rng, (5, 3)))
    x, dy = norm.offset_input(rng, (4, 3)), rng.standard_normal((4, 3))
    layer.forward(x)
    layer.zero_grad()
    dx = layer.backward(dy)
    _, g = norm.torch_step(norm.torch_bn(2, gamma, beta), x, dy)
    assert_close(dx, g["x"], "dX after two forward calls (use the cache of the second)")
    assert_close(layer.gamma.grad, g["gamma"], "dgamma after two forward calls")


def test_mode_of_the_last_forward_decides(impl, rng, norm):
    """forward in training mode, then .eval(), then backward: the gradient of the pass that ran (training)."""
    layer = impl.nn.batchnorm.BatchNorm1d(3)
    gamma, beta = norm.set_affine(layer, rng)
    x, dy = norm.offset_input(rng, (6, 3)), rng.standard_normal((6, 3))
    layer.forward(x)
    layer.eval()
    dx = layer.backward(dy)
    assert_close(dx, norm.bn_backward(x, gamma, dy), "dX of a training-mode forward, backward called after .eval()")


def test_float32_with_a_large_offset(impl, rng, norm):
    layer = impl.nn.batchnorm.BatchNorm1d(3, dtype=np.float32)
    gamma, _ = norm.set_affine(layer, rng, np.float32)
    x = (100.0 + 3.0 * rng.standard_normal((16, 3))).astype(np.float32)
    dy = rng.standard_normal((16, 3)).astype(np.float32)
    layer.forward(x)
    dx = layer.backward(dy)
    assert dx.dtype == np.float32, f"dX has dtype {dx.dtype}, expected float32"
    want = norm.bn_backward(x.astype(np.float64), gamma, dy.astype(np.float64))
    assert np.abs(dx - want).max() <= 1e-4 * np.abs(want).max(), "dX in float32 with an offset of 100 is inaccurate"
