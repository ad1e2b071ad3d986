"""Task 02.3 (hidden): backward() on larger graphs, stateful sequences and edge cases; the reference engine as a third oracle."""
import numpy as np
import pytest
import torch

from grader import assert_close

pytestmark = pytest.mark.task("02.3")


def leaf_grads(leaves):
    return np.array([v.grad for v in leaves])


def t_grads(leaves):
    return np.array([0.0 if t.grad is None else float(t.grad) for t in leaves])


@pytest.mark.parametrize("seed", range(5))
def test_large_random_graphs_against_reference_and_torch(V, ref, programs, rng, seed):
    n_leaves = int(rng.integers(2, 7))
    program = programs.make(rng, n_leaves, 40, programs.MIXED)
    values = rng.uniform(-1.5, 1.5, n_leaves)
    leaves = [V(float(v)) for v in values]
    programs.run(program, leaves, programs.MIXED)[-1].backward()
    r_leaves = [ref.scalar.value.Value(float(v)) for v in values]
    programs.run(program, r_leaves, programs.MIXED)[-1].backward()
    assert_close(leaf_grads(leaves), leaf_grads(r_leaves), "dL/d(leaves) (vs the reference engine)")
    _, expected = programs.torch_grads(program, values, programs.MIXED, [(n_leaves + len(program) - 1, 1.0)])
    assert_close(leaf_grads(leaves), np.array(expected), "dL/d(leaves) (vs torch)")


def test_backward_on_a_leaf(V):
    """As in torch: x.backward() on a leaf gives x.grad = 1, and a second call makes it 2."""
    x = V(3.0)
    x.backward()
    assert_close(x.grad, 1.0, "x.grad after x.backward() on a leaf")
    x.backward()
    assert_close(x.grad, 2.0, "x.grad after x.backward() twice on a leaf (a leaf accumulates)")


def test_backward_from_an_interior_node(V):
    """u.backward() reaches only what u depends on; the output built on top of u is left alone."""
    x, w = V(0.5), V(-1.5)
    u = (x * w).tanh()
    y = u * u + x
    y.backward()
    x.zero_grad()
    w.zero_grad()
    u.backward()
    tx, tw = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.5, -1.5))
    torch.tanh(tx * tw).backward()
    assert_close(np.array([x.grad, w.grad]), np.array([float(tx.grad), float(tw.grad)]), "[du/dx, du/dw]")
    assert_close(u.grad, 1.0, "u.grad after u.backward()")


def test_two_outputs_sharing_a_subgraph(V):
    """y1.backward() then y2.backward(): the shared leaves hold the sum, as in torch (retain_graph)."""
    a, b = V(0.3), V(-0.8)
    u = (a * b + a).sigmoid()
    y1 = u * 3 + b
    y2 = (u * u).log() - a
    y1.backward()
    y2.backward()
    ta, tb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.3, -0.8))
    tu = torch.sigmoid(ta * tb + ta)
    (tu * 3 + tb).backward(retain_graph=True)
    (torch.log(tu * tu) - ta).backward()
    assert_close(leaf_grads([a, b]), t_grads([ta, tb]), "[dL/da, dL/db] after y1.backward(); y2.backward()")


def test_a_long_stateful_sequence(V, programs, rng):
    """backward, backward, zero_grad, backward, backward, backward: the leaves count the calls since zero_grad."""
    program = programs.make(rng, 3, 15, programs.MIXED)
    values = rng.uniform(-1, 1, 3)
    leaves = [V(float(v)) for v in values]
    root = programs.run(program, leaves, programs.MIXED)[-1]
    root.backward()
    one = leaf_grads(leaves)
    root.backward()
    assert_close(leaf_grads(leaves), 2 * one, "leaf gradients after 2 calls")
    root.zero_grad()
    for _ in range(3):
        root.backward()
    assert_close(leaf_grads(leaves), 3 * one, "leaf gradients after zero_grad() and 3 calls")
    inner = [v for v in programs.nodes([root]) if v._prev and v is not root]
    root.zero_grad()
    root.backward()
    fresh = np.array([v.grad for v in inner])
    root.backward()
    assert_close(np.array([v.grad for v in inner]), fresh, "interior gradients after another call (no build-up)")


def test_nodes_are_told_apart_by_identity_not_value(V):
    """Two different leaves holding the same number are two nodes."""
    a, b, c = V(1.0), V(1.0), V(1.0)
    y = a * b + c * a + (b + c) * 2
    order = y.topological_order()
    ids = {id(v) for v in order}
    assert {id(a), id(b), id(c)} <= ids, ("topological_order() lost a node that holds the same number as another: "
                                           "tell nodes apart by identity (id(node)), not by their data")
    y.backward()
    assert_close(leaf_grads([a, b, c]), np.array([2.0, 3.0, 3.0]), "[dy/da, dy/db, dy/dc]")


def test_repeated_operand_appears_once_in_the_order(V):
    x = V(1.5)
    u = x * x
    y = u * u + u
    order = y.topological_order()
    assert sum(v is x for v in order) == 1 and sum(v is u for v in order) == 1, (
        "a node used several times must appear exactly once in topological_order()")
    y.backward()
    assert_close(x.grad, 4 * 1.5 ** 3 + 2 * 1.5, "d(x^4 + x^2)/dx at 1.5")


def test_zero_grad_leaves_other_graphs_alone(V):
    a, b = V(2.0), V(5.0)
    y1, y2 = a * a, b * 3
    y1.backward()
    y2.backward()
    y1.zero_grad()
    assert a.grad == 0.0 and y1.grad == 0.0
    assert_close(b.grad, 3.0, "b.grad after zero_grad() of a graph b is not part of (it must be left alone)")


def test_a_chain_of_twelve_hundred_additions(V):
    """Deeper than Python's default recursion limit: the order needs a loop with an explicit stack."""
    x = V(0.25)
    y = x
    for _ in range(1200):
        y = y + x
    try:
        y.backward()
    except RecursionError:
        pytest.fail("backward() hit Python's recursion limit on a chain of 1200 nodes: build the topological "
                    "order with a loop and an explicit stack instead of recursion")
    assert_close(x.grad, 1201.0, "d/dx of x + x + ... + x (1201 terms)")
