"""Task 02.1: Value arithmetic and its local gradients, against torch scalars (float64).

The backward pass here is the course's own (the ``backprop`` fixture), so these
tests grade your operations and their ``_backward`` rules, not your ``backward()``.
"""
import re

import numpy as np
import pytest
import torch

from grader import assert_close

pytestmark = pytest.mark.task("02.1")

ACCUMULATE = ("gradients must accumulate over every path: a local backward rule must add into .grad (+=), "
              "never assign (=), because a node used twice (x * x, or x in two operations) gets one "
              "contribution per path")

# name: a function of two operands (Values, numbers or torch scalars alike)
BINARY = {
    "a + b": lambda a, b: a + b,
    "a - b": lambda a, b: a - b,
    "a * b": lambda a, b: a * b,
    "a / b": lambda a, b: a / b,
}
# name: function of one operand (numbers on either side, powers, negation)
UNARY = {
    "a ** 2": lambda a: a ** 2,
    "a ** 3": lambda a: a ** 3,
    "a ** 0.5": lambda a: a ** 0.5,
    "a ** -1": lambda a: a ** -1,
    "a ** -2.5": lambda a: a ** -2.5,
    "-a": lambda a: -a,
    "a + 2": lambda a: a + 2,
    "2 + a": lambda a: 2 + a,
    "a - 0.5": lambda a: a - 0.5,
    "1 - a": lambda a: 1 - a,
    "a * 3": lambda a: a * 3,
    "2 * a": lambda a: 2 * a,
    "a / 4": lambda a: a / 4,
    "2 / a": lambda a: 2 / a,
}


def numbers_in(name):
    """The constants of an expression such as "a ** -2.5" or "2 / a", by their own names ({"-2.5": -2.5})."""
    return {m: float(m) for m in re.findall(r"-?\d+(?:\.\d+)?", name)}


def positive(rng):
    return float(rng.uniform(0.5, 2.0))


def torch_scalar(x):
    return torch.tensor(float(x), dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("name", BINARY)
def test_binary_forward(impl, rng, name):
    Value = impl.scalar.value.Value
    xa, xb = float(rng.standard_normal()), positive(rng) * rng.choice([-1, 1])
    a, b = Value(xa), Value(xb)
    out = BINARY[name](a, b)
    assert isinstance(out, Value), f"{name} returned {type(out).__name__}, not a Value"
    assert_close(out.data, BINARY[name](xa, xb), f"({name}).data", inputs={"a": xa, "b": xb})
    assert (a.data, b.data) == (xa, xb), f"{name} changed the data of an operand"
    assert (a.grad, b.grad) == (0.0, 0.0), (f"{name} changed an operand's grad on the way forward: the local rule "
                                            f"must only run later, when the backward pass calls _backward()")


@pytest.mark.parametrize("name", UNARY)
def test_unary_forward(impl, rng, name):
    Value = impl.scalar.value.Value
    xa = positive(rng)
    a = Value(xa)
    out = UNARY[name](a)
    assert isinstance(out, Value), f"{name} returned {type(out).__name__}, not a Value"
    assert_close(out.data, UNARY[name](xa), f"({name}).data", inputs={"a": xa, **numbers_in(name)})
    assert a.data == xa and a.grad == 0.0, f"{name} changed its operand (data or grad) on the way forward"


@pytest.mark.parametrize("name", BINARY)
def test_binary_local_gradients(impl, rng, backprop, name):
    xa, xb = float(rng.standard_normal()), positive(rng) * rng.choice([-1, 1])
    g = float(rng.standard_normal())
    a, b = impl.scalar.value.Value(xa), impl.scalar.value.Value(xb)
    out = BINARY[name](a, b)
    reached = _reachable(out)
    assert any(n is a for n in reached) and any(n is b for n in reached), (
        f"{name}: the result's _prev does not lead back to both operands, so no gradient can reach them")
    backprop(out, g)
    ta, tb = torch_scalar(xa), torch_scalar(xb)
    (BINARY[name](ta, tb) * g).backward()
    upstream = "must be multiplied by the upstream gradient out.grad"
    mistakes_b = {f"dL/db {upstream}": float(tb.grad) / g}
    if name == "a / b":
        mistakes_b["d(a/b)/db is -a / b**2: it looks like 1/b was used"] = g / xb
        mistakes_b["d(a/b)/db is -a / b**2: it looks like -1 / b**2 (without a) was used"] = -g / xb ** 2
    assert_close(a.grad, float(ta.grad), f"dL/da for {name} (upstream gradient {g:.3g})",
                 mistakes={f"dL/da {upstream}": float(ta.grad) / g}, inputs={"a": xa, "b": xb, "g": g})
    assert_close(b.grad, float(tb.grad), f"dL/db for {name} (upstream gradient {g:.3g})", mistakes=mistakes_b,
                 inputs={"a": xa, "b": xb, "g": g})


@pytest.mark.parametrize("name", UNARY)
def test_unary_local_gradients(impl, rng, backprop, name):
    xa = positive(rng)
    g = float(rng.standard_normal())
    a = impl.scalar.value.Value(xa)
    out = UNARY[name](a)
    backprop(out, g)
    ta = torch_scalar(xa)
    (UNARY[name](ta) * g).backward()
    mistakes = {"dL/da must be multiplied by the upstream gradient out.grad": float(ta.grad) / g}
    if name.startswith("a **"):
        k = float(name.split("**")[1])
        mistakes["d(x**k)/dx is k * x**(k-1): it looks like x**(k-1) without the factor k"] = g * xa ** (k - 1)
        mistakes["d(x**k)/dx is k * x**(k-1): it looks like k * x**k (the exponent not lowered)"] = g * k * xa ** k
    assert_close(a.grad, float(ta.grad), f"dL/da for {name} at a = {xa:.3g}", mistakes=mistakes,
                 inputs={"a": xa, "g": g, **numbers_in(name)})


def _reachable(root):
    seen, todo = [], [root]
    while todo:
        n = todo.pop()
        if not any(n is s for s in seen):
            seen.append(n)
            todo.extend(n._prev)
    return seen


@pytest.mark.parametrize("name", BINARY)
def test_the_same_operand_twice_accumulates(impl, rng, backprop, name):
    """x + x, x - x, x * x, x / x: both paths must reach x."""
    x0 = positive(rng)
    g = float(rng.standard_normal())
    x = impl.scalar.value.Value(x0)
    backprop(BINARY[name](x, x), g)
    tx = torch_scalar(x0)
    (BINARY[name](tx, tx) * g).backward()
    d_left, d_right = {"a + b": (1.0, 1.0), "a - b": (1.0, -1.0), "a * b": (x0, x0), "a / b": (1 / x0, -1 / x0)}[name]
    assert_close(x.grad, float(tx.grad), f"dL/dx for {name.replace('a', 'x').replace('b', 'x')}",
                 mistakes={ACCUMULATE + " (only the left operand's contribution arrived)": d_left * g,
                           ACCUMULATE + " (only the right operand's contribution arrived)": d_right * g})


@pytest.mark.parametrize("name", BINARY)
def test_a_value_used_by_two_operations_accumulates(impl, rng, backprop, name):
    """x feeds two results, as the left operand of one and the right of the other."""
    Value = impl.scalar.value.Value
    x0, a0, b0 = positive(rng), positive(rng), positive(rng)
    g1, g2 = float(rng.standard_normal()), float(rng.standard_normal())
    x, a, b = Value(x0), Value(a0), Value(b0)
    op = BINARY[name]
    y1, y2 = op(x, a), op(b, x)
    backprop([(y1, g1), (y2, g2)])
    tx = torch_scalar(x0)
    (g1 * op(tx, a0) + g2 * op(b0, tx)).backward()
    tx1, tx2 = torch_scalar(x0), torch_scalar(x0)
    (g1 * op(tx1, a0)).backward()
    (g2 * op(b0, tx2)).backward()
    assert_close(x.grad, float(tx.grad), f"dL/dx where x is used by {name.replace('b', 'x')} and {name.replace('a', 'x')}",
                 mistakes={ACCUMULATE + " (only the path where x is the left operand arrived)": float(tx1.grad),
                           ACCUMULATE + " (only the path where x is the right operand arrived)": float(tx2.grad)})


@pytest.mark.parametrize("seed", range(4))
def test_random_expressions_against_torch(impl, rng, backprop, programs, seed):
    n_leaves = 3
    program = programs.make(rng, n_leaves, 12, programs.ARITHMETIC)
    values = rng.uniform(-1.5, 1.5, n_leaves)
    leaves = [impl.scalar.value.Value(float(v)) for v in values]
    slots = programs.run(program, leaves, programs.ARITHMETIC)
    g = float(rng.standard_normal())
    backprop(slots[-1], g)
    t_slots, t_grads = programs.torch_grads(program, values, programs.ARITHMETIC, [(len(slots) - 1, g)])
    steps = " ; ".join(f"{name}{args}" for name, args in program)
    assert_close(np.array([s.data for s in slots]), np.array(t_slots), f"the value of every step of [{steps}]")
    assert_close(np.array([v.grad for v in leaves]), np.array(t_grads), f"dL/d(leaves) of [{steps}]")
