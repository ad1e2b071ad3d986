"""Task 02.1 (hidden): Value arithmetic on larger graphs and odd cases, with the reference engine as a third oracle."""
import numpy as np
import pytest
import torch

from grader import assert_close

pytestmark = pytest.mark.task("02.1")

ACCUMULATE = "gradients must accumulate over every path (+=, never =)"


def run_both(impl, ref, backprop, programs, program, values, ops, g):
    """Leaf gradients of the last slot under your operations and under the reference's (same course reverse pass)."""
    out = []
    for pkg in (impl, ref):
        leaves = [pkg.scalar.value.Value(float(v)) for v in values]
        slots = programs.run(program, leaves, ops)
        backprop(slots[-1], g)
        out.append((np.array([s.data for s in slots]), np.array([v.grad for v in leaves])))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_large_random_expressions_against_reference_and_torch(impl, ref, rng, backprop, programs, seed):
    n_leaves = int(rng.integers(2, 6))
    program = programs.make(rng, n_leaves, 30, programs.ARITHMETIC)
    values = rng.uniform(-1.2, 1.2, n_leaves)
    g = float(rng.standard_normal())
    (mine_v, mine_g), (ref_v, ref_g) = run_both(impl, ref, backprop, programs, program, values, programs.ARITHMETIC, g)
    assert_close(mine_v, ref_v, "the value of every step (vs the reference)")
    assert_close(mine_g, ref_g, "dL/d(leaves) (vs the reference)")
    _, t_grads = programs.torch_grads(program, values, programs.ARITHMETIC, [(n_leaves + len(program) - 1, g)])
    assert_close(mine_g, np.array(t_grads), "dL/d(leaves) (vs torch)")


@pytest.mark.parametrize("k", [1, 0, 2, 3, -1, -3])
def test_integer_powers_of_negative_numbers(impl, backprop, k):
    x0 = -1.7
    x = impl.scalar.value.Value(x0)
    out = x ** k
    backprop(out, 1.0)
    assert_close(out.data, x0 ** k, f"(-1.7) ** {k}")
    assert_close(x.grad, k * x0 ** (k - 1), f"d(x**{k})/dx at x = -1.7",
                 mistakes={"d(x**k)/dx is k * x**(k-1)": x0 ** (k - 1)})


def test_sum_of_values_starts_from_zero(impl, rng, backprop):
    """Python's sum() computes 0 + v0 + v1 + ...: the first addition is a reflected one."""
    values = rng.standard_normal(5)
    xs = [impl.scalar.value.Value(float(v)) for v in values]
    total = sum(x * x for x in xs)
    assert isinstance(total, impl.scalar.value.Value), "sum() of Values must give a Value (0 + v needs __radd__)"
    backprop(total, 1.0)
    assert_close(total.data, float(np.sum(values ** 2)), "sum(x * x)")
    assert_close(np.array([x.grad for x in xs]), 2 * values, "d sum(x_i^2)/dx_i")


def test_integer_operands_give_float_data(impl, backprop):
    Value = impl.scalar.value.Value
    x = Value(3)
    y = (x * 2 + 1 - x / 2) ** 2
    assert isinstance(y.data, float)
    backprop(y, 1.0)
    inner = 3 * 2 + 1 - 3 / 2
    assert_close(y.data, inner ** 2, "(2x + 1 - x/2)^2 at x = 3")
    assert_close(x.grad, 2 * inner * 1.5, "d/dx (2x + 1 - x/2)^2 at x = 3")


def test_division_by_a_negative_value_and_by_itself(impl, rng, backprop):
    Value = impl.scalar.value.Value
    a0, b0 = float(rng.uniform(0.5, 2)), -float(rng.uniform(0.5, 2))
    a, b = Value(a0), Value(b0)
    backprop([(a / b, 1.0), (b / b, 1.0)])
    assert_close(a.grad, 1 / b0, "d(a/b)/da")
    assert_close(b.grad, -a0 / b0 ** 2 + 0.0, "d(a/b + b/b)/db",
                 mistakes={ACCUMULATE + " (b / b must give 0)": -a0 / b0 ** 2 + 1 / b0})


def test_a_shared_subexpression(impl, rng, backprop):
    """u = a * b is used three times; every use sends a contribution back to a and b."""
    Value = impl.scalar.value.Value
    a0, b0 = float(rng.uniform(0.5, 1.5)), float(rng.uniform(0.5, 1.5))
    a, b = Value(a0), Value(b0)
    u = a * b
    y = u * u + u / (1 + u) - 2 * u
    backprop(y, 1.0)
    ta, tb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a0, b0))
    tu = ta * tb
    (tu * tu + tu / (1 + tu) - 2 * tu).backward()
    assert_close(np.array([a.grad, b.grad]), np.array([float(ta.grad), float(tb.grad)]), "[dy/da, dy/db]")


def test_operations_leave_their_operands_alone(impl, rng):
    Value = impl.scalar.value.Value
    a, b = Value(1.5), Value(-0.5)
    prev_a, prev_b = a._prev, b._prev
    for out in (a + b, a - b, a * b, a / b, a ** 2, -a, 2 - a, 3 / b, 2 * a, 1 + b):
        assert out is not a and out is not b, "an operation must return a new node, not one of its operands"
    assert (a.data, b.data, a.grad, b.grad) == (1.5, -0.5, 0.0, 0.0), "an operation changed an operand"
    assert a._prev is prev_a and b._prev is prev_b, "an operation changed an operand's _prev"
