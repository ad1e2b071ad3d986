"""Task 03.4: the two-layer network's loss and gradients, by hand, against torch autograd."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader import assert_close, assert_layers_close, gradcheck
from grader.oracles import torch_run

pytestmark = pytest.mark.task("03.4")


def problem(rng, n=5, d=4, h=6, c=3):
    params = {"W1": rng.standard_normal((h, d)), "b1": rng.standard_normal(h),
              "W2": rng.standard_normal((c, h)), "b2": rng.standard_normal(c)}
    return rng.standard_normal((n, d)), rng.standard_normal((n, c)), params


def torch_loss(x, y, W1, b1, W2, b2):
    return F.mse_loss(F.linear(torch.relu(F.linear(x, W1, b1)), W2, b2), y)


def partial_losses(x, y, params):
    """The loss with one term of the forward pass left out, for the diagnosis to name the one that is missing."""
    p = params
    out = {}
    for label, drop in (("without the bias b1", "b1"), ("without the bias b2", "b2"), ("without the ReLU", "relu"),
                        ("without subtracting the targets y", "y")):
        z1 = x @ p["W1"].T + (0 if drop == "b1" else p["b1"])
        a1 = z1 if drop == "relu" else np.maximum(z1, 0)
        z2 = a1 @ p["W2"].T + (0 if drop == "b2" else p["b2"])
        out[label] = float(np.mean((z2 - (0 if drop == "y" else y)) ** 2))
    return out


def test_loss_matches_torch(impl, rng):
    x, y, params = problem(rng)
    loss, _ = impl.nn.two_layer.two_layer_loss(x, y, params)
    expected, _ = torch_run(torch_loss, params, consts={"x": x, "y": y})
    assert isinstance(loss, float), f"the loss should be a Python float, got {type(loss).__name__}"
    assert_close(loss, expected, "loss", mistakes={
        "the loss is summed: the mean is over all N*C entries": expected * y.size,
        "the loss is averaged over N only: the mean is over all N*C entries": expected * y.shape[1],
    }, partials=partial_losses(x, y, params))


@pytest.mark.parametrize("name", ["W1", "b1", "W2", "b2"])
def test_gradients_match_torch(impl, rng, name):
    x, y, params = problem(rng)
    _, grads = impl.nn.two_layer.two_layer_loss(x, y, params)
    _, expected = torch_run(torch_loss, params, consts={"x": x, "y": y})
    assert isinstance(grads, dict) and name in grads, f"grads should be a dict with key {name!r}"
    n, c = y.shape
    assert_close(grads[name], expected[name], f"d{name}", batch_size=n,
                 constants={"C (the number of outputs averaged over)": c, "N·C (the entries averaged over)": n * c},
                 partials=partial_gradients(x, y, params).get(name))


def partial_gradients(x, y, params):
    """dW1 and db1 with the ReLU mask left out of the backward pass (da1 passed through unmasked)."""
    p = params
    z1 = x @ p["W1"].T + p["b1"]
    dz2 = 2.0 * (np.maximum(z1, 0) @ p["W2"].T + p["b2"] - y) / y.size
    da1 = dz2 @ p["W2"]
    label = "without the ReLU mask in the backward pass (da1 * (z1 > 0))"
    return {"W1": {label: da1.T @ x}, "b1": {label: da1.sum(axis=0)}}


def test_where_the_error_enters(impl, rng):
    """All four gradients at once: when the second layer's are right and the first's wrong, say where."""
    x, y, params = problem(rng)
    _, grads = impl.nn.two_layer.two_layer_loss(x, y, params)
    _, expected = torch_run(torch_loss, params, consts={"x": x, "y": y})
    assert isinstance(grads, dict) and {"W1", "b1", "W2", "b2"} <= set(grads), "grads needs W1, b1, W2 and b2"
    n, c = y.shape
    assert_layers_close([("layer 1", {"dW1": (grads["W1"], expected["W1"]), "db1": (grads["b1"], expected["b1"])}),
                         ("layer 2", {"dW2": (grads["W2"], expected["W2"]), "db2": (grads["b2"], expected["b2"])})],
                        between=["the backward through the ReLU (the mask z1 > 0 applied to da1 = dz2 W2)"],
                        batch_size=n, constants={"C (the number of outputs averaged over)": c})


def test_a_pre_activation_of_exactly_zero_passes_no_gradient(impl, rng):
    """ReLU's derivative at 0 is taken as 0 (torch's convention): the mask is z1 > 0, not z1 >= 0. Here W1 is
    zero, so z1 = b1 exactly, and the hidden units whose bias is 0 sit exactly at the kink."""
    x, y, params = problem(rng, n=4, d=3, h=4, c=2)
    params = {**params, "W1": np.zeros((4, 3)), "b1": np.array([0.0, 1.5, 0.0, -0.5])}
    _, grads = impl.nn.two_layer.two_layer_loss(x, y, params)
    _, expected = torch_run(torch_loss, params, consts={"x": x, "y": y})
    _, kink_open = torch_run(torch_loss_kink_open, params, consts={"x": x, "y": y})
    assert isinstance(grads, dict) and {"W1", "b1"} <= set(grads), "grads needs W1 and b1"
    assert_close(grads["b1"], expected["b1"], "db1 with z1 = 0 exactly for hidden units 0 and 2", batch_size=4,
                 mistakes={"the mask lets z1 = 0 through (z1 >= 0): ReLU passes no gradient at 0, use z1 > 0":
                           kink_open["b1"]})


def torch_loss_kink_open(x, y, W1, b1, W2, b2):
    """The same network with a ReLU whose slope at 0 is 1 (the mistake of a mask z1 >= 0)."""
    z1 = F.linear(x, W1, b1)
    return F.mse_loss(F.linear(torch.where(z1 >= 0, z1, torch.zeros_like(z1)), W2, b2), y)


def test_gradient_by_finite_differences(impl, rng):
    x, y, params = problem(rng, n=3, d=2, h=4, c=2)
    _, grads = impl.nn.two_layer.two_layer_loss(x, y, params)

    def f(w1):
        return impl.nn.two_layer.two_layer_loss(x, y, {**params, "W1": w1})[0]
    gradcheck(f, params["W1"], grads["W1"], "dW1")


def test_params_are_not_modified(impl, rng):
    x, y, params = problem(rng)
    before = {k: v.copy() for k, v in params.items()}
    x0, y0 = x.copy(), y.copy()
    loss, _ = impl.nn.two_layer.two_layer_loss(x, y, params)
    for k in params:
        assert_close(params[k], before[k], f"params[{k!r}] after the call (it must not be modified)")
    assert_close(x, x0, "x after the call (it must not be modified)")
    assert_close(y, y0, "y after the call (it must not be modified)")
    assert_close(loss, torch_run(torch_loss, before, consts={"x": x0, "y": y0})[0], "loss")
