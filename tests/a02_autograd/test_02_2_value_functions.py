"""Task 02.2: tanh, relu, sigmoid, exp and log on Value, against torch scalars (float64).

The backward pass here is the course's own (the ``backprop`` fixture): these tests
grade each function's value and its ``_backward`` rule, not your ``backward()``.
"""
import math

import numpy as np
import pytest
import torch

from grader import assert_close

pytestmark = pytest.mark.task("02.2")

NAMES = ["tanh", "relu", "sigmoid", "exp", "log"]


def draw(rng, name):
    """An input where the function is defined and interesting."""
    if name == "log":
        return float(rng.uniform(0.2, 3.0))
    x = float(rng.uniform(0.3, 2.0)) * float(rng.choice([-1, 1]))
    return x


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def classic_mistakes(name, x, g):
    """Wrong local derivatives students often write, times the upstream gradient g."""
    t, s = math.tanh(x), sigmoid(x)
    if name == "tanh":
        return {"d tanh(x)/dx is 1 - tanh(x)**2 (of the output t), not 1 - x**2": g * (1 - x * x),
                "d tanh(x)/dx is 1 - t**2 with t = tanh(x); it looks like 1 - t was used": g * (1 - t)}
    if name == "sigmoid":
        return {"d sigmoid(x)/dx is s(1 - s) with s = sigmoid(x), the output; it looks like x(1 - x) was used":
                g * x * (1 - x),
                "d sigmoid(x)/dx is s(1 - s); it looks like s alone was used": g * s,
                "d sigmoid(x)/dx is s(1 - s); it looks like 1 - s alone was used": g * (1 - s)}
    if name == "exp":
        return {"d exp(x)/dx is exp(x); it looks like x was used": g * x}
    if name == "log":
        return {"d log(x)/dx is 1/x; it looks like log(x) was used": g * math.log(x),
                "d log(x)/dx is 1/x; it looks like x was used": g * x}
    return {}


def torch_grad(name, x, g):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = getattr(t, name)()
    (out * g).backward()
    return float(out.detach()), float(t.grad)


@pytest.mark.parametrize("name", NAMES)
def test_forward_value(impl, rng, programs, name):
    Value = impl.scalar.value.Value
    for _ in range(3):
        x = draw(rng, name)
        v = Value(x)
        out = getattr(v, name)()
        assert isinstance(out, Value), f"{name}() returned {type(out).__name__}, not a Value"
        assert_close(out.data, torch_grad(name, x, 1.0)[0], f"Value({x:.4g}).{name}().data", inputs={"x": x})
        assert v.data == x and v.grad == 0.0, f"{name}() changed its operand (data or grad) on the way forward"
        assert any(p is v for p in programs.nodes([out])), (
            f"{name}(): the result's _prev does not lead back to the operand, so no gradient can reach it")


@pytest.mark.parametrize("name", NAMES)
def test_local_gradient(impl, rng, backprop, name):
    for _ in range(3):
        x, g = draw(rng, name), float(rng.standard_normal())
        v = impl.scalar.value.Value(x)
        backprop(getattr(v, name)(), g)
        mistakes = {f"the local derivative of {name} must be multiplied by the upstream gradient out.grad":
                    torch_grad(name, x, 1.0)[1]}
        mistakes.update(classic_mistakes(name, x, g))
        assert_close(v.grad, torch_grad(name, x, g)[1], f"dL/dx for {name} at x = {x:.4g} (upstream {g:.3g})",
                     mistakes=mistakes, inputs={"x": x, "g": g})


def test_relu_gates_the_gradient(impl, backprop):
    """ReLU passes the gradient where x > 0 and blocks it where x < 0."""
    Value = impl.scalar.value.Value
    xs = [Value(-1.0), Value(2.0)]
    outs = [x.relu() for x in xs]
    assert_close(np.array([o.data for o in outs]), np.array([0.0, 2.0]), "relu([-1, 2])")
    backprop([(o, 1.0) for o in outs])
    assert_close(np.array([x.grad for x in xs]), np.array([0.0, 1.0]), "d sum(relu(x))/dx at x = [-1, 2]",
                 mistakes={"relu's derivative is 1 where x > 0 and 0 elsewhere; it looks like the output "
                           "relu(x) was used as the derivative": np.array([0.0, 2.0])})


def test_the_same_value_through_two_functions_accumulates(impl, rng, backprop):
    """tanh(x) and exp(x) both use x: its gradient is the sum of both paths."""
    x0 = draw(rng, "tanh")
    g1, g2 = float(rng.standard_normal()), float(rng.standard_normal())
    x = impl.scalar.value.Value(x0)
    backprop([(x.tanh(), g1), (x.exp(), g2)])
    one, two = torch_grad("tanh", x0, g1)[1], torch_grad("exp", x0, g2)[1]
    assert_close(x.grad, one + two, "dL/dx for L = g1 tanh(x) + g2 exp(x)",
                 mistakes={"a local rule overwrote x.grad: gradients must accumulate over every path (+=); "
                           "only the tanh path arrived": one,
                           "a local rule overwrote x.grad: gradients must accumulate over every path (+=); "
                           "only the exp path arrived": two})


@pytest.mark.parametrize("seed", range(3))
def test_chains_of_functions_against_torch(impl, rng, backprop, programs, seed):
    """Functions of functions (tanh(sigmoid(x)), log(exp(x)), ...), several outputs at once."""
    n_leaves = 2
    program = programs.make(rng, n_leaves, 8, programs.UNARY)
    values = rng.uniform(-1.5, 1.5, n_leaves)
    leaves = [impl.scalar.value.Value(float(v)) for v in values]
    slots = programs.run(program, leaves, programs.UNARY)
    roots = [(i, float(rng.standard_normal())) for i in range(len(slots) - 3, len(slots))]
    backprop([(slots[i], g) for i, g in roots])
    t_slots, t_grads = programs.torch_grads(program, values, programs.UNARY, roots)
    steps = " ; ".join(f"{name}{args}" for name, args in program)
    assert_close(np.array([s.data for s in slots]), np.array(t_slots), f"the value of every step of [{steps}]")
    assert_close(np.array([v.grad for v in leaves]), np.array(t_grads), f"dL/d(leaves) of [{steps}]")
