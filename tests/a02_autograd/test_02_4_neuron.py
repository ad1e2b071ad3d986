"""Task 02.4: Neuron.forward and its hand-written backward, against torch (float64) and finite differences."""
import numpy as np
import pytest
import torch

from grader import assert_close, gradcheck

pytestmark = pytest.mark.task("02.4")

ACTIVATIONS = ["tanh", "sigmoid", "relu", "linear"]
NO_DERIVATIVE = ("the activation's derivative is missing: first dL/dz = dL/da * f'(z) "
                 "(activation_derivative gives f'), then dL/dw[i] = dL/dz * x[i], dL/db = dL/dz, dL/dx[i] = dL/dz * w[i]")


def make(impl, rng, n_inputs, activation):
    """A neuron with random weights and a random bias (plain Python floats)."""
    unit = impl.scalar.neuron.Neuron(n_inputs, activation, rng)
    for p in unit.w:
        p.data = float(rng.standard_normal())
    unit.b.data = float(rng.standard_normal())
    return unit


def weights(unit):
    return np.array([p.data for p in unit.w]), unit.b.data


def torch_neuron(w, b, x, activation, g):
    """(a, z, dL/dw, dL/db, dL/dx) of L = g * f(w . x + b), in torch float64."""
    tw, tb, tx = (torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in (w, b, x))
    z = (tw * tx).sum() + tb
    a = z if activation == "linear" else getattr(torch, activation)(z)
    (g * a).backward()
    return float(a.detach()), float(z.detach()), tw.grad.numpy(), float(tb.grad), tx.grad.numpy()


def random_input(rng, n):
    return [float(v) for v in rng.standard_normal(n)]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_forward_stores_x_z_and_a(impl, rng, activation):
    unit = make(impl, rng, 4, activation)
    x = random_input(rng, 4)
    out = unit.forward(x)
    a, z, *_ = torch_neuron(*weights(unit), x, activation, 1.0)
    assert isinstance(out, float), f"forward must return a Python float, got {type(out).__name__}"
    assert_close(unit.z, z, "unit.z, the stored weighted sum w . x + b",
                 mistakes={"z must include the bias b": z - unit.b.data})
    assert_close(out, a, f"the output a = {activation}(w . x + b)")
    assert_close(unit.a, a, "unit.a, the stored output")
    assert isinstance(unit.x, list) and unit.x is not x, "unit.x must be a new list: a copy of the input"
    assert_close(np.array(unit.x), np.array(x), "unit.x, the stored input")


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backward_against_torch(impl, rng, activation):
    unit = make(impl, rng, 5, activation)
    unit.zero_grad()
    x = random_input(rng, 5)
    g = float(rng.standard_normal())
    unit.forward(x)
    dx = unit.backward(g)
    w, b = weights(unit)
    _, _, dw, db, dx_t = torch_neuron(w, b, x, activation, g)
    dz = db
    xs = np.array(x)
    assert isinstance(dx, list) and len(dx) == 5, f"backward must return dL/dx as a list of 5 floats, got {dx!r}"
    assert_close(np.array([p.grad for p in unit.w]), dw, "dL/dw (the w[i].grad)",
                 mistakes={NO_DERIVATIVE: g * xs, "dL/dw[i] = dL/dz * x[i]; it looks like w[i] was used": dz * w},
                 inputs={"dL/dz": dz, "x": xs, "w": w})
    assert_close(unit.b.grad, db, "dL/db (b.grad)", mistakes={NO_DERIVATIVE: g})
    assert_close(np.array(dx), dx_t, "dL/dx (returned by backward)",
                 mistakes={NO_DERIVATIVE: g * w, "dL/dx[i] = dL/dz * w[i]; it looks like x[i] was used": dz * xs},
                 inputs={"dL/dz": dz, "x": xs, "w": w})


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_backward_by_finite_differences(impl, rng, activation):
    unit = make(impl, rng, 3, activation)
    unit.zero_grad()
    x = np.array(random_input(rng, 3))
    g = float(rng.standard_normal())
    unit.forward(list(x))
    dx = unit.backward(g)
    dw = np.array([p.grad for p in unit.w])
    gradcheck(lambda v: g * unit.forward(list(v)), x, np.array(dx), "dL/dx")

    w0 = np.array([p.data for p in unit.w])

    def loss_of_w(wv):
        for p, v in zip(unit.w, wv):
            p.data = float(v)
        return g * unit.forward(list(x))
    gradcheck(loss_of_w, w0, dw, "dL/dw")


def test_relu_blocks_the_gradient_when_z_is_negative(impl, rng):
    unit = make(impl, rng, 3, "relu")
    unit.zero_grad()
    x = random_input(rng, 3)
    unit.b.data = -10.0 - sum(abs(p.data * xi) for p, xi in zip(unit.w, x))
    assert unit.forward(x) == 0.0
    dx = unit.backward(1.5)
    assert_close(np.array(dx + [p.grad for p in unit.w] + [unit.b.grad]), np.zeros(7),
                 "every gradient of a ReLU neuron whose z < 0", mistakes={NO_DERIVATIVE: np.array(
                     [1.5 * p.data for p in unit.w] + [1.5 * xi for xi in x] + [1.5])})


def test_gradients_accumulate_over_two_backward_calls(impl, rng):
    unit = make(impl, rng, 4, "tanh")
    unit.zero_grad()
    x = random_input(rng, 4)
    unit.forward(x)
    unit.backward(0.7)
    once = np.array([p.grad for p in unit.parameters()])
    unit.backward(0.7)
    assert_close(np.array([p.grad for p in unit.parameters()]), 2 * once,
                 "[dL/dw..., dL/db] after backward() twice",
                 mistakes={"the second backward overwrote the gradients: add into w[i].grad and b.grad (+=), "
                           "gradients accumulate": once})


def test_backward_uses_the_last_forward(impl, rng):
    unit = make(impl, rng, 3, "sigmoid")
    unit.zero_grad()
    x1, x2 = random_input(rng, 3), random_input(rng, 3)
    unit.forward(x1)
    unit.forward(x2)
    dx = unit.backward(1.0)
    _, _, dw, db, dx_t = torch_neuron(*weights(unit), x2, "sigmoid", 1.0)
    assert_close(np.array([p.grad for p in unit.w]), dw, "dL/dw after forward(x1), forward(x2), backward(1)")
    assert_close(np.array(dx), dx_t, "dL/dx after forward(x1), forward(x2), backward(1)")


def test_a_neuron_with_one_input(impl, rng):
    unit = make(impl, rng, 1, "tanh")
    unit.zero_grad()
    out = unit.forward([0.3])
    dx = unit.backward(2.0)
    a, _, dw, db, dx_t = torch_neuron(*weights(unit), [0.3], "tanh", 2.0)
    assert_close(out, a, "the output of a one-input neuron")
    assert_close(np.array(dx + [unit.w[0].grad, unit.b.grad]), np.array([dx_t[0], dw[0], db]),
                 "[dL/dx, dL/dw, dL/db] of a one-input neuron")


def test_inputs_are_left_unchanged(impl, rng):
    unit = make(impl, rng, 4, "tanh")
    unit.zero_grad()
    x = random_input(rng, 4)
    before = list(x)
    w_before = [p.data for p in unit.w]
    out = unit.forward(x)
    dx = unit.backward(1.0)
    assert x == before, "forward/backward modified the input list x"
    assert [p.data for p in unit.w] == w_before, "forward/backward changed the weights (only their .grad may change)"
    assert dx is not x and dx is not unit.x, "backward must return a new list"
    a, _, _, _, dx_t = torch_neuron(*weights(unit), before, "tanh", 1.0)
    assert_close(out, a, "the output a = tanh(w . x + b)")
    assert_close(np.array(dx), dx_t, "dL/dx (returned by backward)")
