"""Task 02.5: Layer and Network: forward, backward, parameters() and zero_grad(), against torch (float64).

To grade the wiring on its own, the neurons inside your Layer and Network are
replaced by *probe units*: small test-made units with the same interface
(``forward(x) -> float``, ``backward(g) -> list``, ``parameters()``,
``zero_grad()``) that compute ``u(x) = d + sum_i c[i] * x[i]**2``. A mistake in
your Neuron (task 02.4) therefore costs nothing here.
"""
import numpy as np
import pytest
import torch

from grader import assert_close

pytestmark = pytest.mark.task("02.5")

SUM_PATHS = ("dL/dx must add up the contributions of every neuron in the layer (each input feeds all of them, "
             "one path per neuron); it looks like only one neuron's contribution was kept")


class Probe:
    """u(x) = d + sum_i c[i] * x[i]**2, with Params c and d; it records what it was given."""

    def __init__(self, Param, rng, n):
        self.c = [Param(float(v)) for v in rng.standard_normal(n)]
        self.d = Param(float(rng.standard_normal()))
        self.seen_x, self.seen_g = [], []

    def forward(self, x):
        self.seen_x.append(list(x))
        return self.d.data + sum(ci.data * xi * xi for ci, xi in zip(self.c, x))

    def backward(self, g):
        self.seen_g.append(g)
        x = self.seen_x[-1]
        for ci, xi in zip(self.c, x):
            ci.grad = ci.grad + g * xi * xi
        self.d.grad = self.d.grad + g
        return [2.0 * g * ci.data * xi for ci, xi in zip(self.c, x)]

    def parameters(self):
        return [*self.c, self.d]

    def zero_grad(self):
        for q in self.parameters():
            q.grad = 0.0


def probed_layer(impl, rng, n_in, n_out):
    layer = impl.scalar.layer.Layer(n_in, n_out, "tanh", rng)
    layer.neurons = [Probe(impl.scalar.neuron.Param, rng, n_in) for _ in range(n_out)]
    return layer


def probed_network(impl, rng, sizes):
    net = impl.scalar.network.Network(sizes, "tanh", "linear", rng)
    for k, layer in enumerate(net.layers):
        layer.neurons = [Probe(impl.scalar.neuron.Param, rng, sizes[k]) for _ in range(sizes[k + 1])]
    return net


def torch_probe_net(layers, x, grad_out):
    """Output, dL/dx and the gradients of every layer's C and d, for L = grad_out . net(x), in torch."""
    tx = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    params, h = [], tx
    for units in layers:
        C = torch.tensor([[ci.data for ci in u.c] for u in units], dtype=torch.float64, requires_grad=True)
        d = torch.tensor([u.d.data for u in units], dtype=torch.float64, requires_grad=True)
        params.append((C, d))
        h = C @ (h * h) + d
    (h * torch.tensor(grad_out, dtype=torch.float64)).sum().backward()
    grads = [np.concatenate([np.append(C.grad[j].numpy(), d.grad[j].item()) for j in range(len(d))])
             for C, d in params]
    return h.detach().numpy(), tx.grad.numpy(), np.concatenate(grads)


def param_grads(units):
    return np.array([q.grad for u in units for q in u.parameters()])


def test_layer_forward(impl, rng):
    layer = probed_layer(impl, rng, 3, 4)
    x = [float(v) for v in rng.standard_normal(3)]
    out = layer.forward(x)
    expected, _, _ = torch_probe_net([layer.neurons], x, [0.0] * 4)
    assert isinstance(out, list) and len(out) == 4, f"Layer.forward must return a list of 4 floats, got {out!r}"
    assert_close(np.array(out), expected, "the layer's outputs, output j from neuron j")
    for j, u in enumerate(layer.neurons):
        assert len(u.seen_x) == 1, f"neuron {j} was called {len(u.seen_x)} times in one forward pass (once expected)"
        assert_close(np.array(u.seen_x[0]), np.array(x), f"the input that neuron {j} received")


def test_layer_backward(impl, rng):
    layer = probed_layer(impl, rng, 3, 4)
    x = [float(v) for v in rng.standard_normal(3)]
    g = [float(v) for v in rng.standard_normal(4)]
    layer.zero_grad()
    layer.forward(x)
    dx = layer.backward(g)
    _, dx_t, grads_t = torch_probe_net([layer.neurons], x, g)
    for j, u in enumerate(layer.neurons):
        assert len(u.seen_g) == 1, f"neuron {j}'s backward was called {len(u.seen_g)} times (once expected)"
        assert_close(u.seen_g[0], g[j], f"the gradient passed to neuron {j} (it must get grad_out[{j}])")
    assert_close(param_grads(layer.neurons), grads_t, "the parameter gradients of the layer's neurons")
    per_unit = {f"{SUM_PATHS} (neuron {j})": np.array([2.0 * g[j] * ci.data * xi for ci, xi in zip(u.c, x)])
                for j, u in enumerate(layer.neurons)}
    assert isinstance(dx, list) and len(dx) == 3, f"Layer.backward must return dL/dx as a list of 3 floats, got {dx!r}"
    assert_close(np.array(dx), dx_t, "dL/dx returned by Layer.backward", mistakes=per_unit)


def test_layer_parameters_and_zero_grad(impl, rng):
    layer = probed_layer(impl, rng, 2, 3)
    params = layer.parameters()
    expected = [q for u in layer.neurons for q in u.parameters()]
    assert len(params) == len(expected), f"Layer.parameters() gave {len(params)} Params, expected {len(expected)}"
    assert all(p is q for p, q in zip(params, expected)), (
        "Layer.parameters() must list each neuron's parameters() in turn, neuron by neuron: the Params themselves")
    for q in expected:
        q.grad = 1.0
    layer.zero_grad()
    assert all(q.grad == 0.0 for q in expected), "Layer.zero_grad() left a non-zero grad"


def test_real_layer_parameter_count(impl, rng):
    layer = impl.scalar.layer.Layer(5, 3, "sigmoid", rng)
    params = layer.parameters()
    assert len(params) == 3 * (5 + 1), f"a Layer(5 -> 3) has 18 parameters, parameters() gave {len(params)}"
    assert all(isinstance(p, impl.scalar.neuron.Param) for p in params), "parameters() must hold Params"


@pytest.mark.parametrize("sizes", [[3, 4, 2], [2, 3, 3, 1], [2, 1]], ids=["3-4-2", "2-3-3-1", "one layer"])
def test_network_forward_and_backward(impl, rng, sizes):
    net = probed_network(impl, rng, sizes)
    x = [float(v) for v in rng.uniform(-1, 1, sizes[0])]
    g = [float(v) for v in rng.standard_normal(sizes[-1])]
    net.zero_grad()
    out = net.forward(x)
    layers = [layer.neurons for layer in net.layers]
    out_t, dx_t, grads_t = torch_probe_net(layers, x, g)
    assert isinstance(out, list) and len(out) == sizes[-1], f"Network.forward must return {sizes[-1]} floats, got {out!r}"
    assert_close(np.array(out), out_t, f"the output of the {sizes} network")
    dx = net.backward(g)
    assert_close(param_grads([u for units in layers for u in units]), grads_t,
                 "the parameter gradients, layer by layer")
    assert_close(np.array(dx), dx_t, "dL/dx returned by Network.backward")


def test_network_parameters_and_zero_grad(impl, rng):
    net = probed_network(impl, rng, [2, 3, 2])
    expected = [q for layer in net.layers for u in layer.neurons for q in u.parameters()]
    params = net.parameters()
    assert len(params) == len(expected) and all(p is q for p, q in zip(params, expected)), (
        "Network.parameters() must list every layer's parameters() in turn, from the first layer: the Params themselves")
    for q in expected:
        q.grad = -2.0
    net.zero_grad()
    assert all(q.grad == 0.0 for q in expected), "Network.zero_grad() left a non-zero grad"


def test_real_network_parameter_count(impl, rng):
    net = impl.scalar.network.Network([2, 8, 8, 1], rng=rng)
    params = net.parameters()
    assert len(params) == (2 * 8 + 8) + (8 * 8 + 8) + (8 + 1), (
        f"a Network([2, 8, 8, 1]) has 105 parameters, parameters() gave {len(params)}")
    assert len({id(p) for p in params}) == len(params), "Network.parameters() lists a Param twice"


def test_inputs_are_left_unchanged(impl, rng):
    net = probed_network(impl, rng, [2, 3, 1])
    x, g = [0.5, -0.25], [1.0]
    net.zero_grad()
    out = net.forward(x)
    dx = net.backward(g)
    assert x == [0.5, -0.25] and g == [1.0], "Network.forward/backward modified the input list or grad_out"
    out_t, dx_t, _ = torch_probe_net([layer.neurons for layer in net.layers], x, g)
    assert_close(np.array(out), out_t, "the output of the [2, 3, 1] network")
    assert_close(np.array(dx), dx_t, "dL/dx returned by Network.backward")
