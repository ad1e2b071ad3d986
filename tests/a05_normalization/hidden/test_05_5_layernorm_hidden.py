"""Task 05.5 (hidden): odd shapes, D = 1, custom eps, views as input, the cache of the last forward, the reference."""
import numpy as np
import pytest
import torch.nn.functional as F

from grader import assert_close
from grader.oracles import torch_run

pytestmark = pytest.mark.task("05.5")


def ln(x, gamma, beta, eps):
    return F.layer_norm(x, (x.shape[-1],), gamma, beta, eps)


def ln2d(x, gamma, beta, eps):
    return F.layer_norm(x.permute(0, 2, 3, 1), (x.shape[1],), gamma, beta, eps).permute(0, 3, 1, 2)


CASES = {
    "LayerNorm 5-d": ("LayerNorm", (2, 1, 3, 2, 6), 1e-5),
    "LayerNorm D=2": ("LayerNorm", (4, 2), 1e-5),
    "LayerNorm eps=0.1": ("LayerNorm", (3, 5), 0.1),
    "LayerNorm2d eps=1e-3": ("LayerNorm2d", (2, 6, 2, 3), 1e-3),
    "LayerNorm2d wide": ("LayerNorm2d", (1, 24, 2, 2), 1e-6),
}


@pytest.mark.parametrize("case", CASES)
def test_matches_torch_and_reference(impl, ref, rng, norm, case):
    which, shape, eps = CASES[case]
    size = shape[-1] if which == "LayerNorm" else shape[1]
    mine, theirs = getattr(impl.nn.layernorm, which)(size, eps=eps), getattr(ref.nn.layernorm, which)(size, eps=eps)
    gamma, beta = norm.set_affine(mine, rng)
    theirs.gamma.data, theirs.beta.data = gamma.copy(), beta.copy()
    x, dy = norm.offset_input(rng, shape), rng.standard_normal(shape)
    y = mine.forward(x)
    dx = mine.backward(dy)
    want, g = torch_run(ln if which == "LayerNorm" else ln2d, {"x": x, "gamma": gamma, "beta": beta}, dy,
                        consts={"eps": eps})
    assert_close(y, want, f"{case}: forward")
    assert_close(dx, g["x"], f"{case}: dX")
    assert_close(mine.gamma.grad, g["gamma"], f"{case}: dgamma")
    assert_close(mine.beta.grad, g["beta"], f"{case}: dbeta")
    assert_close(y, theirs.forward(x), f"{case}: forward (vs reference)")
    assert_close(dx, theirs.backward(dy), f"{case}: dX (vs reference)")


def test_layernorm2d_of_a_view(impl, rng, norm):
    layer = impl.nn.layernorm.LayerNorm2d(4)
    gamma, beta = norm.set_affine(layer, rng)
    x = norm.offset_input(rng, (2, 3, 3, 4)).transpose(0, 3, 1, 2)   # NHWC data seen as NCHW
    dy = rng.standard_normal((2, 4, 3, 3))
    y = layer.forward(x)
    dx = layer.backward(dy)
    want, g = torch_run(ln2d, {"x": np.ascontiguousarray(x), "gamma": gamma, "beta": beta}, dy, consts={"eps": 1e-6})
    assert_close(y, want, "LayerNorm2d.forward of a transposed view")
    assert_close(dx, g["x"], "LayerNorm2d: dX of a transposed view")


@pytest.mark.parametrize("which", ["LayerNorm", "LayerNorm2d"])
def test_backward_uses_the_last_forward(impl, rng, norm, which):
    shape = (3, 5) if which == "LayerNorm" else (2, 3, 2, 2)
    size = shape[-1] if which == "LayerNorm" else shape[1]
    layer = getattr(impl.nn.layernorm, which)(size)
    gamma, beta = norm.set_affine(layer, rng)
    layer.forward(norm.offset_input(rng, shape))
    x, dy = norm.offset_input(rng, shape), rng.standard_normal(shape)
    layer.forward(x)
    dx = layer.backward(dy)
    eps = 1e-5 if which == "LayerNorm" else 1e-6
    _, g = torch_run(ln if which == "LayerNorm" else ln2d, {"x": x, "gamma": gamma, "beta": beta}, dy,
                     consts={"eps": eps})
    assert_close(dx, g["x"], f"{which}: dX after two forward calls (use the second one's cache)")


@pytest.mark.parametrize("which", ["LayerNorm", "LayerNorm2d"])
def test_a_single_normalised_value_gives_beta_and_no_gradient(impl, rng, norm, which):
    shape = (4, 1) if which == "LayerNorm" else (2, 1, 3, 3)
    layer = getattr(impl.nn.layernorm, which)(1)
    gamma, beta = norm.set_affine(layer, rng)
    x, dy = norm.offset_input(rng, shape), rng.standard_normal(shape)
    y = layer.forward(x)
    dx = layer.backward(dy)
    assert_close(y, np.broadcast_to(beta.reshape((1,) * (len(shape) - 1) + (1,)), shape),
                 f"{which} over a single value: x - mean = 0, so y = beta")
    assert_close(dx, np.zeros(shape), f"{which} over a single value: dX is 0 (the output does not depend on x)")
