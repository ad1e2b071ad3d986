"""Task 04.1 (hidden): Sigmoid, Tanh and LeakyReLU on edge values, odd shapes and slopes, with the reference as oracle."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader import assert_close, assert_dtype
from grader.oracles import tensor, torch_run

pytestmark = pytest.mark.task("04.1")

LAYERS = {
    "Sigmoid": (lambda pkg: pkg.nn.activations.Sigmoid(), lambda x: torch.sigmoid(x)),
    "Tanh": (lambda pkg: pkg.nn.activations.Tanh(), lambda x: torch.tanh(x)),
    "LeakyReLU": (lambda pkg: pkg.nn.activations.LeakyReLU(), lambda x: F.leaky_relu(x, 0.01)),
}
ODD = {"(1,)": (1,), "(1, 1)": (1, 1), "(3, 1, 5)": (3, 1, 5), "5-d": (2, 2, 2, 2, 2), "empty batch": (0, 4)}
EDGES = np.array([-np.inf, -1e4, -1000.0, -30.0, -1e-300, -0.0, 0.0, 1e-300, 30.0, 1000.0, 1e4, np.inf])


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("shape", ODD.values(), ids=ODD.keys())
def test_matches_reference_and_torch(impl, ref, rng, name, shape):
    make, fn = LAYERS[name]
    x, dy = rng.standard_normal(shape) * 3, rng.standard_normal(shape)
    mine, theirs = make(impl), make(ref)
    y = mine.forward(x)
    assert_close(y, theirs.forward(x), f"{name}.forward(x) (vs reference)", along={"x": x})
    assert_close(y, fn(tensor(x)).numpy(), f"{name}.forward(x) (vs torch)", along={"x": x})
    assert_close(mine.backward(dy), theirs.backward(dy), f"{name}: dX (vs reference)", along={"x": x})


@pytest.mark.parametrize("name", LAYERS)
def test_edge_values_without_warnings(impl, name):
    make, fn = LAYERS[name]
    layer = make(impl)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y = layer.forward(EDGES.copy())
        dx = layer.backward(np.ones_like(EDGES))
    want_y, g = torch_run(fn, {"x": EDGES}, np.ones_like(EDGES))
    assert_close(y, want_y, f"{name} of [-inf, -1e4, ..., 0, ..., 1e4, inf]",
                 nonfinite_hint="exp overflowed: for the sigmoid use exp(-|x|), which never overflows")
    assert_close(dx, g["x"], f"{name}: dX at [-inf, -1e4, ..., 0, ..., 1e4, inf]",
                 nonfinite_hint="a saturated unit has gradient 0, not NaN: compute the gradient from the "
                                "cached output (y * (1 - y), 1 - y^2) rather than from exp(x)")
    noisy = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not noisy, f"{name} at extreme inputs raised a warning ({noisy[0]}): some exp overflowed"


def test_sigmoid_float32_near_the_overflow_point(impl):
    x = np.array([-200.0, -104.0, -89.0, -88.0, 0.0, 88.0, 89.0, 200.0], dtype=np.float32)  # exp(89) > float32 max
    layer = impl.nn.activations.Sigmoid()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y = layer.forward(x)
        dx = layer.backward(np.ones_like(x))
    assert_dtype(y, np.float32, "sigmoid(x)", "float32 input")
    assert_close(y, torch.sigmoid(torch.from_numpy(x)).numpy(), "sigmoid of float32 values near +-89", tol=1e-5)
    assert_close(dx, (torch.sigmoid(torch.from_numpy(x)) * torch.sigmoid(-torch.from_numpy(x))).numpy(),
                 "dX of sigmoid at float32 values near +-89", tol=1e-5)
    noisy = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not noisy, (f"sigmoid of float32 input raised a warning ({noisy[0]}): exp(89) overflows float32; "
                       f"use exp(-|x|)")


@pytest.mark.parametrize("slope", [0.0, 0.3, 1.0, 2.5], ids=["0 (ReLU)", "0.3", "1 (identity)", "2.5"])
def test_leaky_relu_slopes(impl, rng, slope):
    x, dy = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    layer = impl.nn.activations.LeakyReLU(negative_slope=slope)
    y = layer.forward(x)
    want_y, g = torch_run(lambda x: F.leaky_relu(x, slope), {"x": x}, dy)
    assert_close(y, want_y, f"LeakyReLU(negative_slope={slope}).forward(x)")
    assert_close(layer.backward(dy), g["x"], f"LeakyReLU(negative_slope={slope}): dX",
                 mistakes={"negative_slope was applied on the positive side": dy * np.where(x > 0, slope, 1.0)})


def test_leaky_relu_gradient_at_exactly_zero_is_the_slope(impl):
    x = np.array([-1.0, -0.0, 0.0, 2.0])
    layer = impl.nn.activations.LeakyReLU(negative_slope=0.1)
    layer.forward(x)
    assert_close(layer.backward(np.ones(4)), np.array([0.1, 0.1, 0.1, 1.0]), "dX of LeakyReLU(0.1) at [-1, -0, 0, 2]",
                 mistakes={"at x == 0 the gradient is negative_slope (use x > 0, not x >= 0, for the positive side)":
                           np.array([0.1, 1.0, 1.0, 1.0])})


@pytest.mark.parametrize("name", LAYERS)
def test_backward_uses_the_last_forward(impl, rng, name):
    make, fn = LAYERS[name]
    layer = make(impl)
    layer.forward(rng.standard_normal((3, 4)))
    x, dy = rng.standard_normal((2, 5)), rng.standard_normal((2, 5))
    layer.forward(x)
    _, g = torch_run(fn, {"x": x}, dy)
    assert_close(layer.backward(dy), g["x"], f"{name}: dX after two forward calls (use the second one's cache)")


def test_the_three_layers_in_a_sequential(impl, ref, rng):
    """Sigmoid -> Linear -> Tanh -> Linear -> LeakyReLU, with the reference Linear layers."""
    act = impl.nn.activations
    l1, l2 = ref.nn.linear.Linear(4, 5, rng=rng), ref.nn.linear.Linear(5, 3, rng=rng)
    net = impl.module.Sequential(act.Sigmoid(), l1, act.Tanh(), l2, act.LeakyReLU(0.05))
    net.zero_grad()
    x, dy = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    y = net.forward(x)
    dx = net.backward(dy)

    def torch_net(x, W1, b1, W2, b2):
        return F.leaky_relu(F.linear(torch.tanh(F.linear(torch.sigmoid(x), W1, b1)), W2, b2), 0.05)
    want, g = torch_run(torch_net, {"x": x, "W1": l1.W.data, "b1": l1.b.data, "W2": l2.W.data, "b2": l2.b.data}, dy)
    assert_close(y, want, "output of the network")
    assert_close(dx, g["x"], "dX of the network")
    assert_close(l1.W.grad, g["W1"], "dW of the first Linear (it depends on Tanh's backward)")
