"""Task 02.2 (hidden): tanh, relu, sigmoid, exp and log at the edges, and against the reference engine."""
import numpy as np
import pytest
import torch

from grader import assert_close

pytestmark = pytest.mark.task("02.2")


def torch_value_and_grad(name, x):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = getattr(t, name)()
    out.backward()
    return float(out.detach()), float(t.grad)


@pytest.mark.parametrize("x", [-1000.0, -745.0, -50.0, 50.0, 745.0, 1000.0])
def test_sigmoid_does_not_overflow(impl, backprop, x):
    v = impl.scalar.value.Value(x)
    try:
        out = v.sigmoid()
    except OverflowError:
        pytest.fail(f"sigmoid({x:g}) raised OverflowError: math.exp(-x) overflows for x below about -709. "
                    f"For x < 0 use e^x / (1 + e^x), which only ever exponentiates a negative number")
    backprop(out, 1.0)
    value, grad = torch_value_and_grad("sigmoid", x)
    assert_close(out.data, value, f"sigmoid({x:g})")
    assert_close(v.grad, grad, f"sigmoid'({x:g})")


def test_relu_at_exactly_zero(impl, backprop):
    """ReLU's derivative at 0 is taken as 0, as PyTorch does."""
    v = impl.scalar.value.Value(0.0)
    out = v.relu()
    backprop(out, 1.0)
    assert out.data == 0.0
    assert_close(v.grad, 0.0, "relu'(0)",
                 mistakes={"relu passes the gradient only where x > 0 (not x >= 0): at x = 0 the derivative is 0, "
                           "as in PyTorch": 1.0})


@pytest.mark.parametrize("name,x", [("tanh", 25.0), ("tanh", -25.0), ("exp", -700.0), ("exp", 300.0),
                                    ("log", 1e-300), ("log", 1e300), ("relu", -1e-300), ("relu", 1e-300)])
def test_extreme_inputs(impl, backprop, name, x):
    v = impl.scalar.value.Value(x)
    out = getattr(v, name)()
    backprop(out, 1.0)
    value, grad = torch_value_and_grad(name, x)
    assert_close(out.data, value, f"{name}({x:g})")
    assert_close(v.grad, grad, f"{name}'({x:g})")


@pytest.mark.parametrize("seed", range(4))
def test_random_chains_against_reference_and_torch(impl, ref, rng, backprop, programs, seed):
    n_leaves = 3
    program = programs.make(rng, n_leaves, 16, programs.UNARY)
    values = rng.uniform(-2, 2, n_leaves)
    roots = [(i, float(rng.standard_normal())) for i in rng.choice(n_leaves + 16, size=5, replace=False)]
    results = []
    for pkg in (impl, ref):
        leaves = [pkg.scalar.value.Value(float(v)) for v in values]
        slots = programs.run(program, leaves, programs.UNARY)
        backprop([(slots[i], g) for i, g in roots])
        results.append((np.array([s.data for s in slots]), np.array([v.grad for v in leaves])))
    assert_close(results[0][0], results[1][0], "the value of every step (vs the reference)")
    assert_close(results[0][1], results[1][1], "dL/d(leaves) (vs the reference)")
    _, t_grads = programs.torch_grads(program, values, programs.UNARY, roots)
    assert_close(results[0][1], np.array(t_grads), "dL/d(leaves) (vs torch)")


def test_each_function_makes_a_new_node_with_its_operand(impl):
    v = impl.scalar.value.Value(0.7)
    for name in ("tanh", "relu", "sigmoid", "exp", "log"):
        out = getattr(v, name)()
        assert out is not v, f"{name}() must return a new node"
        assert len(out._prev) >= 1, f"{name}(): the new node's _prev is empty, so no gradient can flow back"
    assert v.data == 0.7 and v.grad == 0.0
