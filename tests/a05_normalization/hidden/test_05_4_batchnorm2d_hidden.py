"""Task 05.4 (hidden): long sequences over changing image sizes, momentum None, views as input, the reference."""
import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("05.4")


def test_long_sequence_matches_torch_and_reference(impl, ref, rng, norm):
    mine, theirs = impl.nn.batchnorm.BatchNorm2d(3), ref.nn.batchnorm.BatchNorm2d(3)
    gamma, beta = norm.set_affine(mine, rng)
    theirs.gamma.data, theirs.beta.data = gamma.copy(), beta.copy()
    bn = norm.torch_bn(4, gamma, beta)
    for step in range(12):
        train = step % 3 != 2
        mine.train(train)
        theirs.train(train)
        bn.train(train)
        shape = (int(rng.integers(1, 4)), 3, int(rng.integers(1, 5)), int(rng.integers(2, 5)))
        x, dy = norm.offset_input(rng, shape), rng.standard_normal(shape)
        mine.zero_grad()
        theirs.zero_grad()
        y = mine.forward(x)
        dx = mine.backward(dy)
        want, g = norm.torch_step(bn, x, dy)
        what = f"step {step} ({'train' if train else 'eval'}, input {shape})"
        assert_close(y, want, f"forward at {what}")
        assert_close(dx, g["x"], f"dX at {what}")
        assert_close(mine.gamma.grad, g["gamma"], f"dgamma at {what}")
        assert_close(mine.running_var, bn.running_var.numpy(), f"running_var after {what}")
        assert_close(y, theirs.forward(x), f"forward at {what} (vs reference)")
        assert_close(dx, theirs.backward(dy), f"dX at {what} (vs reference)")


def test_cumulative_average_with_momentum_none(impl, rng, norm):
    layer = impl.nn.batchnorm.BatchNorm2d(2, momentum=None)
    gamma, beta = norm.set_affine(layer, rng)
    bn = norm.torch_bn(4, gamma, beta, momentum=None)
    for _step in range(4):
        x = norm.offset_input(rng, (2, 2, 3, 3))
        layer.forward(x)
        norm.torch_step(bn, x)
    assert_close(layer.running_mean, bn.running_mean.numpy(), "running_mean with momentum=None (a plain average)")
    assert_close(layer.running_var, bn.running_var.numpy(), "running_var with momentum=None (a plain average)")


def test_non_contiguous_input(impl, rng, norm):
    layer = impl.nn.batchnorm.BatchNorm2d(3)
    gamma, beta = norm.set_affine(layer, rng)
    base = norm.offset_input(rng, (2, 3, 5, 4))
    x = base.transpose(0, 1, 3, 2)             # a view, (2, 3, 4, 5)
    dy = rng.standard_normal((2, 3, 5, 4)).transpose(0, 1, 3, 2)
    y = layer.forward(x)
    dx = layer.backward(dy)
    want, g = norm.torch_step(norm.torch_bn(4, gamma, beta), np.ascontiguousarray(x), np.ascontiguousarray(dy))
    assert_close(y, want, "forward of a transposed view")
    assert_close(dx, g["x"], "dX for a transposed view")


def test_many_channels_one_pixel_each(impl, rng, norm):
    layer = impl.nn.batchnorm.BatchNorm2d(32)
    gamma, beta = norm.set_affine(layer, rng)
    x, dy = norm.offset_input(rng, (3, 32, 1, 1)), rng.standard_normal((3, 32, 1, 1))
    y = layer.forward(x)
    dx = layer.backward(dy)
    want, g = norm.torch_step(norm.torch_bn(4, gamma, beta), x, dy)
    assert_close(y, want, "forward of (3, 32, 1, 1)")
    assert_close(dx, g["x"], "dX of (3, 32, 1, 1)")
    assert_close(layer.running_var, norm.running_stats([x])[1], "running_var of (3, 32, 1, 1)")
