"""Task 02.4 (hidden): the hand-written Neuron backward against the reference Value engine and the reference Neuron."""
import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("02.4")

NO_DERIVATIVE = "the activation's derivative is missing: dL/dz = dL/da * f'(z)"


def pair(impl, ref, rng, n, activation):
    """Your neuron and the reference one, with the same random weights and bias."""
    w, b = rng.standard_normal(n), float(rng.standard_normal())
    units = impl.scalar.neuron.Neuron(n, activation, rng), ref.scalar.neuron.Neuron(n, activation, rng)
    for unit in units:
        for p, v in zip(unit.w, w):
            p.data = float(v)
        unit.b.data = b
        unit.zero_grad()
    return units


def engine(ref, unit, x, g):
    """a, dL/dw, dL/db, dL/dx of L = g * f(w . x + b), by the reference Value engine, from the neuron's weights."""
    Value = ref.scalar.value.Value
    ws, b, xs = [Value(p.data) for p in unit.w], Value(unit.b.data), [Value(float(v)) for v in x]
    z = b
    for wv, xv in zip(ws, xs):
        z = z + wv * xv
    a = z if unit.activation == "linear" else getattr(z, unit.activation)()
    loss = a * g
    loss.backward()
    return a.data, np.array([v.grad for v in ws]), b.grad, np.array([v.grad for v in xs])


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
@pytest.mark.parametrize("n", [1, 2, 7, 30])
def test_against_the_reference_engine(impl, ref, rng, activation, n):
    unit, _ = pair(impl, ref, rng, n, activation)
    x = [float(v) for v in rng.standard_normal(n)]
    g = float(rng.standard_normal())
    out = unit.forward(x)
    dx = unit.backward(g)
    a, dw, db, dx_e = engine(ref, unit, x, g)
    assert_close(out, a, "the output a")
    assert_close(np.array([p.grad for p in unit.w]), dw, "dL/dw (vs the Value engine)",
                 mistakes={NO_DERIVATIVE: g * np.array(x)})
    assert_close(unit.b.grad, db, "dL/db (vs the Value engine)", mistakes={NO_DERIVATIVE: g})
    assert_close(np.array(dx), dx_e, "dL/dx (vs the Value engine)")


def test_a_stateful_sequence_against_the_reference_neuron(impl, ref, rng):
    """forward/backward on three samples, zero_grad, then two more: the gradients add up as the reference's do."""
    mine, theirs = pair(impl, ref, rng, 4, "tanh")
    samples = [([float(v) for v in rng.standard_normal(4)], float(rng.standard_normal())) for _ in range(5)]
    for k, (x, g) in enumerate(samples):
        if k == 3:
            mine.zero_grad()
            theirs.zero_grad()
        outs = [unit.forward(x) for unit in (mine, theirs)]
        dxs = [unit.backward(g) for unit in (mine, theirs)]
        assert_close(outs[0], outs[1], f"the output for sample {k}")
        assert_close(np.array(dxs[0]), np.array(dxs[1]), f"dL/dx for sample {k}")
        assert_close(np.array([p.grad for p in mine.parameters()]), np.array([p.grad for p in theirs.parameters()]),
                     f"the accumulated [dL/dw..., dL/db] after sample {k}")
    assert_close(mine.z, theirs.z, "z of the last forward")
    assert_close(np.array(mine.x), np.array(samples[-1][0]), "x of the last forward")


def test_relu_at_exactly_zero(impl, rng):
    """z = 0 exactly: ReLU's derivative is taken as 0, so nothing flows back."""
    unit = impl.scalar.neuron.Neuron(2, "relu", rng)
    unit.w[0].data, unit.w[1].data, unit.b.data = 1.0, -1.0, 0.0
    unit.zero_grad()
    assert unit.forward([2.0, 2.0]) == 0.0
    dx = unit.backward(3.0)
    assert_close(np.array(dx + [p.grad for p in unit.parameters()]), np.zeros(5),
                 "every gradient of a ReLU neuron at z = 0")


def test_saturated_sigmoid(impl, rng):
    unit = impl.scalar.neuron.Neuron(1, "sigmoid", rng)
    unit.w[0].data, unit.b.data = 1.0, -800.0
    unit.zero_grad()
    assert_close(unit.forward([0.0]), 0.0, "sigmoid(-800)")
    dx = unit.backward(1.0)
    assert_close(np.array(dx + [unit.w[0].grad, unit.b.grad]), np.zeros(3), "the gradients of a saturated sigmoid")


def test_tuple_and_integer_inputs(impl, ref, rng):
    mine, theirs = pair(impl, ref, rng, 3, "tanh")
    x = (1, -2, 3)
    out = mine.forward(x)
    assert isinstance(out, float), "forward must return a float even for integer inputs"
    assert_close(out, theirs.forward(list(x)), "the output for the tuple input (1, -2, 3)")
    assert_close(np.array(mine.backward(0.5)), np.array(theirs.backward(0.5)), "dL/dx for the tuple input")
    assert mine.x == [1.0, -2.0, 3.0] and isinstance(mine.x, list), "x must be stored as a list of floats"
