"""Task 04.1: Sigmoid, Tanh and LeakyReLU forward and backward, against torch (float64) and finite differences."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader import assert_close, assert_dtype, gradcheck
from grader.oracles import tensor, torch_run

pytestmark = pytest.mark.task("04.1")

SHAPES = {"N,D": (4, 5), "N,T,D": (2, 3, 4), "N,C,H,W": (2, 3, 4, 4), "batch of 1": (1, 6), "vector": (7,)}

# name -> (make the layer from the package under test, the torch function of x)
LAYERS = {
    "Sigmoid": (lambda impl: impl.nn.activations.Sigmoid(), lambda x: torch.sigmoid(x)),
    "Tanh": (lambda impl: impl.nn.activations.Tanh(), lambda x: torch.tanh(x)),
    "LeakyReLU": (lambda impl: impl.nn.activations.LeakyReLU(), lambda x: F.leaky_relu(x, 0.01)),
    "LeakyReLU(0.2)": (lambda impl: impl.nn.activations.LeakyReLU(negative_slope=0.2), lambda x: F.leaky_relu(x, 0.2)),
}


def sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def forward_mistakes(name, x):
    """Classic wrong forward values for each layer, with the hint that names them."""
    if name.startswith("LeakyReLU"):
        slope = 0.2 if "0.2" in name else 0.01
        out = {"negative_slope multiplies the positive side: keep x where x > 0 and use negative_slope * x elsewhere":
               np.where(x > 0, slope * x, x),
               "this is a plain ReLU: the negative side must be negative_slope * x, not 0": np.maximum(x, 0)}
        if slope != 0.01:
            out["negative_slope was ignored (0.01 was used): use the slope the layer was built with"] = \
                np.where(x > 0, x, 0.01 * x)
        return out
    return {}


def backward_mistakes(name, x, dy):
    if name == "Sigmoid":
        return {"the derivative was taken at the input: sigmoid'(x) = y * (1 - y) with y = sigmoid(x), the OUTPUT":
                dy * x * (1 - x),
                "grad_out was not multiplied in: return grad_out * y * (1 - y)": sig(x) * (1 - sig(x))}
    if name == "Tanh":
        return {"the derivative was taken at the input: tanh'(x) = 1 - y^2 with y = tanh(x), the OUTPUT":
                dy * (1 - x ** 2),
                "tanh'(x) is 1 - y^2, not 1 - y": dy * (1 - np.tanh(x)),
                "grad_out was not multiplied in: return grad_out * (1 - y^2)": 1 - np.tanh(x) ** 2}
    slope = 0.2 if "0.2" in name else 0.01
    return {"negative_slope was applied on the positive side: the gradient is 1 where x > 0 and "
            "negative_slope where x <= 0": dy * np.where(x > 0, slope, 1.0),
            "this is ReLU's gradient: where x <= 0 the gradient is negative_slope, not 0": dy * (x > 0)}


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_forward_matches_torch(impl, rng, name, shape):
    make, fn = LAYERS[name]
    x = rng.standard_normal(shape) * 2
    y = make(impl).forward(x)
    assert_close(y, fn(tensor(x)).numpy(), f"{name}.forward(x)", mistakes=forward_mistakes(name, x),
                 along={"x": x})


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_backward_matches_torch(impl, rng, name, shape):
    make, fn = LAYERS[name]
    x = rng.standard_normal(shape) * 2
    dy = rng.standard_normal(shape)
    layer = make(impl)
    layer.forward(x)
    dx = layer.backward(dy)
    y, g = torch_run(fn, {"x": x}, dy)
    assert_close(dx, g["x"], f"{name}: dX = backward(dY)", mistakes=backward_mistakes(name, x, dy), along={"x": x},
                 quantities={"y": y, "1 - y": 1 - y, "1 + y": 1 + y, "x": x},
                 where={"x > 0": x > 0, "x <= 0": x <= 0}, inputs={"grad_out": dy})


@pytest.mark.parametrize("name", LAYERS)
def test_backward_by_finite_differences(impl, rng, name):
    make, _ = LAYERS[name]
    x = rng.standard_normal((3, 4))
    x[np.abs(x) < 1e-3] = 0.5  # keep LeakyReLU's kink away from the central difference
    dy = rng.standard_normal((3, 4))
    layer = make(impl)
    layer.forward(x)
    dx = layer.backward(dy)
    gradcheck(lambda v: float(np.sum(make(impl).forward(v) * dy)), x, dx, f"{name}: dX")


def test_sigmoid_does_not_overflow(impl):
    x = np.array([-1000.0, -745.0, -100.0, 0.0, 100.0, 1000.0])
    layer = impl.nn.activations.Sigmoid()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y = layer.forward(x)
        dx = layer.backward(np.ones_like(x))
    hint = ("exp(-x) overflows for large negative x (exp(1000) is inf). Compute e = exp(-|x|), which lies in (0, 1], "
            "and use 1 / (1 + e) where x >= 0 and e / (1 + e) where x < 0.")
    assert_close(y, torch.sigmoid(tensor(x)).numpy(), "sigmoid([-1000, -745, -100, 0, 100, 1000])",
                 nonfinite_hint=hint)
    _, g = torch_run(torch.sigmoid, {"input": x}, np.ones_like(x))
    assert_close(dx, g["input"], "dX of sigmoid at [-1000, ..., 1000]", nonfinite_hint=hint)
    overflow = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not overflow, (f"sigmoid at x = -1000 raised a warning ({overflow[0]}): the result was saved by "
                          f"1 / (1 + inf) = 0, but the overflow is a bug.\n  hint: {hint}")


@pytest.mark.parametrize("name", LAYERS)
def test_float32_in_float32_out(impl, rng, name):
    make, fn = LAYERS[name]
    x = rng.standard_normal((4, 3)).astype(np.float32)
    layer = make(impl)
    y = layer.forward(x)
    assert_dtype(y, np.float32, f"{name}.forward(x)", "float32 input")
    assert_close(y, fn(torch.from_numpy(x)).numpy(), f"{name}.forward(x) in float32", tol=1e-5, along={"x": x})
    dx = layer.backward(np.ones((4, 3), dtype=np.float32))
    assert_dtype(dx, np.float32, f"{name}: dX", "float32 input and grad_out")
    _, g = torch_run(fn, {"x": x}, np.ones((4, 3)))
    assert_close(dx, g["x"], f"{name}: dX in float32", tol=1e-5, along={"x": x})


@pytest.mark.parametrize("name", LAYERS)
def test_inputs_are_not_modified(impl, rng, name):
    make, fn = LAYERS[name]
    x = rng.standard_normal((3, 5))
    dy = rng.standard_normal((3, 5))
    x0, dy0 = x.copy(), dy.copy()
    layer = make(impl)
    y = layer.forward(x)
    assert_close(x, x0, f"x after {name}.forward(x) (compute a new array; do not change the input in place)")
    dx = layer.backward(dy)
    assert_close(dy, dy0, f"grad_out after {name}.backward(grad_out) (it must not be modified)")
    want_y, g = torch_run(fn, {"x": x0}, dy0)
    assert_close(y, want_y, f"{name}.forward(x)", along={"x": x0})
    assert_close(dx, g["x"], f"{name}: dX", along={"x": x0})
