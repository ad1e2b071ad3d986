"""Task 04.2 (hidden): SiLU and GELU on large inputs, known values, odd shapes, with the reference as oracle."""
import math
import warnings

import numpy as np
import pytest
import torch.nn.functional as F

from grader import assert_close, assert_dtype
from grader.oracles import tensor, torch_run

pytestmark = pytest.mark.task("04.2")

LAYERS = {
    "SiLU": (lambda pkg: pkg.nn.activations.SiLU(), lambda x: F.silu(x)),
    "GELU": (lambda pkg: pkg.nn.activations.GELU(), lambda x: F.gelu(x)),
    "GELU(tanh)": (lambda pkg: pkg.nn.activations.GELU(approximate="tanh"), lambda x: F.gelu(x, approximate="tanh")),
}
ODD = {"(1,)": (1,), "(1, 1)": (1, 1), "(3, 1, 5)": (3, 1, 5), "5-d": (2, 2, 2, 2, 2), "empty batch": (0, 4)}
# far from 0 on both sides, and away from the region where tanh is 1 within a rounding error (no ties to break)
LARGE = np.array([-1e4, -1000.0, -60.0, -40.0, 40.0, 60.0, 1000.0, 1e4])


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("shape", ODD.values(), ids=ODD.keys())
def test_matches_reference_and_torch(impl, ref, rng, name, shape):
    make, fn = LAYERS[name]
    x, dy = rng.standard_normal(shape) * 1.5, rng.standard_normal(shape)
    mine, theirs = make(impl), make(ref)
    y = mine.forward(x)
    assert_close(y, theirs.forward(x), f"{name}.forward(x) (vs reference)", along={"x": x})
    assert_close(y, fn(tensor(x)).numpy(), f"{name}.forward(x) (vs torch)", along={"x": x})
    assert_close(mine.backward(dy), theirs.backward(dy), f"{name}: dX (vs reference)", along={"x": x})


@pytest.mark.parametrize("name", LAYERS)
def test_large_inputs_without_warnings(impl, name):
    make, fn = LAYERS[name]
    layer = make(impl)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y = layer.forward(LARGE.copy())
        dx = layer.backward(np.ones_like(LARGE))
    want_y, g = torch_run(fn, {"x": LARGE}, np.ones_like(LARGE))
    hint = "exp overflowed for a large |x|: compute the sigmoid from exp(-|x|), which never overflows"
    assert_close(y, want_y, f"{name} of [-1e4, ..., 1e4]", nonfinite_hint=hint)
    assert_close(dx, g["x"], f"{name}: dX at [-1e4, ..., 1e4]", nonfinite_hint=hint)
    noisy = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not noisy, f"{name} at |x| up to 1e4 raised a warning ({noisy[0]}): some exp overflowed"


@pytest.mark.parametrize("name", LAYERS)
def test_value_and_slope_at_zero_and_one(impl, name):
    make, fn = LAYERS[name]
    x = np.array([0.0, 1.0, -1.0])
    layer = make(impl)
    y = layer.forward(x)
    dx = layer.backward(np.ones(3))
    want_y, g = torch_run(fn, {"x": x}, np.ones(3))
    assert_close(y[0], 0.0, f"{name}(0)")
    assert_close(dx[0], 0.5, f"{name}'(0) (the slope at 0 is 1/2)")
    assert_close(y, want_y, f"{name} at [0, 1, -1]")
    assert_close(dx, g["x"], f"{name}: dX at [0, 1, -1]")


def test_gelu_exact_at_one_is_phi_of_one(impl):
    layer = impl.nn.activations.GELU()
    assert_close(layer.forward(np.array([1.0, 2.0])), np.array([0.5 * (1 + math.erf(1 / math.sqrt(2))),
                                                                 2 * 0.5 * (1 + math.erf(2 / math.sqrt(2)))]),
                 "gelu([1, 2]) = [Phi(1), 2 Phi(2)]")


@pytest.mark.parametrize("name", LAYERS)
def test_backward_uses_the_last_forward(impl, rng, name):
    make, fn = LAYERS[name]
    layer = make(impl)
    layer.forward(rng.standard_normal((3, 4)))
    x, dy = rng.standard_normal((2, 5)), rng.standard_normal((2, 5))
    layer.forward(x)
    _, g = torch_run(fn, {"x": x}, dy)
    assert_close(layer.backward(dy), g["x"], f"{name}: dX after two forward calls (use the second one's cache)")


def test_two_gelus_keep_their_own_form(impl, rng):
    exact, approx = impl.nn.activations.GELU("none"), impl.nn.activations.GELU("tanh")
    x = rng.standard_normal((4, 4)) * 2
    ye, yt = exact.forward(x), approx.forward(x)
    assert_close(ye, F.gelu(tensor(x)).numpy(), "GELU('none') next to a GELU('tanh')")
    assert_close(yt, F.gelu(tensor(x), approximate="tanh").numpy(), "GELU('tanh') next to a GELU('none')")
    assert np.max(np.abs(ye - yt)) > 1e-5, "GELU('none') and GELU('tanh') gave the same values: they differ near |x| = 2"


@pytest.mark.parametrize("name", LAYERS)
def test_float32_large_array(impl, rng, name):
    make, fn = LAYERS[name]
    # above x = -2 the float32 rounding of 1 + erf or 1 + tanh stays well inside the tolerance
    x = rng.uniform(-2.0, 4.0, (8, 16, 8)).astype(np.float32)
    layer = make(impl)
    y = layer.forward(x)
    dx = layer.backward(np.ones_like(x))
    assert_dtype(y, np.float32, f"{name}.forward(x)", "float32 input")
    assert_dtype(dx, np.float32, f"{name}: dX", "float32 input")
    want_y, g = torch_run(fn, {"x": x.astype(np.float64)}, np.ones(x.shape))
    assert_close(y, want_y, f"{name}.forward(x) in float32", tol=1e-5)
    # the derivatives cross zero (near x = -0.75 to -1.3), where float32 keeps no relative accuracy: compare
    # against the largest gradient instead
    err = float(np.max(np.abs(dx.astype(np.float64) - g["x"])) / np.max(np.abs(g["x"])))
    assert err < 1e-5, f"{name}: dX in float32 is off by {err:.2e} of its largest value (allowed 1e-5)"
