"""Task 02.5 (hidden): Layer and Network with the reference Neurons inside, against the reference Value engine and torch."""
import numpy as np
import pytest
import torch

from grader import assert_close

pytestmark = pytest.mark.task("02.5")


def with_reference_neurons(impl, ref, rng, sizes, activation, output_activation):
    """Your Network, its neurons swapped for reference ones with random weights."""
    net = impl.scalar.network.Network(sizes, activation, output_activation, rng)
    for k, layer in enumerate(net.layers):
        act = output_activation if k == len(net.layers) - 1 else activation
        units = []
        for _ in range(sizes[k + 1]):
            unit = ref.scalar.neuron.Neuron(sizes[k], act, rng)
            for p in unit.w:
                p.data = float(rng.standard_normal())
            unit.b.data = float(rng.standard_normal()) * 0.5
            units.append(unit)
        layer.neurons = units
    return net


def engine(ref, net, x, g):
    """Output, dL/dx and every parameter gradient (network order) of L = g . net(x), by the reference Value engine."""
    Value = ref.scalar.value.Value
    xs = [Value(float(v)) for v in x]
    h, params = xs, []
    for layer in net.layers:
        nxt = []
        for unit in layer.neurons:
            ws, b = [Value(p.data) for p in unit.w], Value(unit.b.data)
            params += ws + [b]
            z = b
            for wv, hv in zip(ws, h):
                z = z + wv * hv
            nxt.append(z if unit.activation == "linear" else getattr(z, unit.activation)())
        h = nxt
    loss = sum((gi * hi for gi, hi in zip(g, h)), Value(0.0))
    loss.backward()
    return np.array([v.data for v in h]), np.array([v.grad for v in xs]), np.array([v.grad for v in params])


def torch_net(net, x, g):
    tx = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    h, ts = tx, []
    for layer in net.layers:
        W = torch.tensor([[p.data for p in u.w] for u in layer.neurons], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([u.b.data for u in layer.neurons], dtype=torch.float64, requires_grad=True)
        ts.append((W, b))
        h = W @ h + b
        act = layer.neurons[0].activation
        h = h if act == "linear" else getattr(torch, act)(h)
    (h * torch.tensor(g, dtype=torch.float64)).sum().backward()
    grads = np.concatenate([np.concatenate([np.append(W.grad[j].numpy(), b.grad[j].item()) for j in range(len(b))])
                            for W, b in ts])
    return h.detach().numpy(), tx.grad.numpy(), grads


CASES = {"2-5-3 tanh/linear": ([2, 5, 3], "tanh", "linear"),
         "3-4-4-1 relu/sigmoid": ([3, 4, 4, 1], "relu", "sigmoid"),
         "1-1 one neuron": ([1, 1], "tanh", "tanh"),
         "6-2-6 sigmoid/tanh": ([6, 2, 6], "sigmoid", "tanh")}


@pytest.mark.parametrize("case", CASES)
def test_network_against_the_engine_and_torch(impl, ref, rng, case):
    sizes, act, out_act = CASES[case]
    net = with_reference_neurons(impl, ref, rng, sizes, act, out_act)
    x = [float(v) for v in rng.uniform(-1, 1, sizes[0])]
    g = [float(v) for v in rng.standard_normal(sizes[-1])]
    net.zero_grad()
    out = net.forward(x)
    dx = net.backward(g)
    out_e, dx_e, grads_e = engine(ref, net, x, g)
    assert_close(np.array(out), out_e, "the network's output (vs the Value engine)")
    assert_close(np.array(dx), dx_e, "dL/dx (vs the Value engine)")
    grads = np.array([p.grad for p in net.parameters()])
    assert_close(grads, grads_e, "every parameter gradient, in parameters() order (vs the Value engine)")
    _, dx_t, grads_t = torch_net(net, x, g)
    assert_close(grads, grads_t, "every parameter gradient (vs torch)")
    assert_close(np.array(dx), dx_t, "dL/dx (vs torch)")


def test_gradients_of_two_samples_add_up(impl, ref, rng):
    net = with_reference_neurons(impl, ref, rng, [3, 4, 2], "tanh", "linear")
    samples = [([float(v) for v in rng.standard_normal(3)], [float(v) for v in rng.standard_normal(2)])
               for _ in range(2)]
    separate = []
    for x, g in samples:
        net.zero_grad()
        net.forward(x)
        net.backward(g)
        separate.append(np.array([p.grad for p in net.parameters()]))
    net.zero_grad()
    for x, g in samples:
        net.forward(x)
        net.backward(g)
    assert_close(np.array([p.grad for p in net.parameters()]), separate[0] + separate[1],
                 "the gradients after two samples without zero_grad between them (the sum of both)")


def test_parameters_follow_the_reference_order(impl, ref):
    """Built from equal seeds, your Network and the reference's list the same numbers in the same order."""
    mine = impl.scalar.network.Network([3, 5, 2], rng=np.random.default_rng(7))
    theirs = ref.scalar.network.Network([3, 5, 2], rng=np.random.default_rng(7))
    assert_close(np.array([p.data for p in mine.parameters()]), np.array([p.data for p in theirs.parameters()]),
                 "parameters() of Network([3, 5, 2]): layer by layer, neuron by neuron, weights then bias")


def test_layer_with_one_input_and_many_neurons(impl, ref, rng):
    layer = impl.scalar.layer.Layer(1, 6, "tanh", rng)
    theirs = ref.scalar.layer.Layer(1, 6, "tanh", rng)
    units = []
    for their in theirs.neurons:
        unit = ref.scalar.neuron.Neuron(1, "tanh", rng)
        unit.w[0].data, unit.b.data = their.w[0].data, their.b.data
        units.append(unit)
    layer.neurons = units
    g = [float(v) for v in rng.standard_normal(6)]
    assert_close(np.array(layer.forward([0.4])), np.array(theirs.forward([0.4])), "Layer(1 -> 6) output")
    assert_close(np.array(layer.backward(g)), np.array(theirs.backward(g)), "Layer(1 -> 6) dL/dx (a sum of 6 paths)")
