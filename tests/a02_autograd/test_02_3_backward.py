"""Task 02.3: backward(), topological_order() and zero_grad(), against the Week 1 cases and torch (float64).

The graphs here are built with ``V``: your ``Value`` class with the course's own
operations and local rules. Only your ``topological_order``, ``backward`` and
``zero_grad`` are under test, so a slip in tasks 02.1/02.2 costs nothing here.
"""
import numpy as np
import pytest
import torch

from grader import assert_close

pytestmark = pytest.mark.task("02.3")

WRONG_ORDER = ("the pass visited the nodes in the wrong order: a node may pass its gradient down only once it "
               "is complete, so walk the topological order in reverse (the output first, the leaves last)")
NO_RESET = ("the second backward() pushed the interior nodes' old gradients down again: at the start of "
            "backward(), reset every non-leaf node's grad to 0 (leaves keep theirs and accumulate, as in torch)")


def order_hints(build, mistaken):
    """{hint: the leaf gradients a backward() walking leaves-first would give} for the graph ``build`` makes."""
    leaves, root = build()
    mistaken(root, reverse=False)
    return {WRONG_ORDER: np.array([v.grad for v in leaves])}


def case_chain(V):
    x = V(1.0)
    return [x], (3 * x + 4) ** 2


def case_vector(V):
    xs = [V(1.0), V(2.0)]
    return xs, xs[0] ** 2 + xs[1] ** 2


def case_branching(V):
    x = V(2.0)
    return [x], x ** 2 + 3 * x


def case_relu_gate(V):
    xs = [V(-1.0), V(2.0)]
    return xs, xs[0].relu() + xs[1].relu()


WEEK1 = {
    "chain rule: (3x + 4)^2 at x = 1": (case_chain, [42.0], 49.0),
    "vector: sum(x^2) at x = [1, 2]": (case_vector, [2.0, 4.0], 5.0),
    "branching: x^2 + 3x at x = 2": (case_branching, [7.0], 10.0),
    "ReLU gate: sum(relu(x)) at x = [-1, 2]": (case_relu_gate, [0.0, 1.0], 2.0),
}


@pytest.mark.parametrize("case", WEEK1)
def test_week1_worked_cases(V, mistaken, case):
    make, expected, value = WEEK1[case]
    leaves, root = make(V)
    assert root.data == value
    root.backward()
    assert_close(np.array([v.grad for v in leaves]), np.array(expected), f"the gradient for {case}",
                 mistakes=order_hints(lambda: make(V), mistaken))
    assert root.grad == 1.0, f"after backward() the output's own grad must be dL/dL = 1, got {root.grad}"


def build_random(V, programs, rng, n_leaves=3, n_steps=14):
    program = programs.make(rng, n_leaves, n_steps, programs.MIXED)
    values = rng.uniform(-1.5, 1.5, n_leaves)

    def build():
        leaves = [V(float(v)) for v in values]
        return leaves, programs.run(program, leaves, programs.MIXED)[-1]
    return program, values, build


@pytest.mark.parametrize("seed", range(4))
def test_random_graphs_against_torch(V, programs, mistaken, rng, seed):
    program, values, build = build_random(V, programs, rng)
    leaves, root = build()
    root.backward()
    _, expected = programs.torch_grads(program, values, programs.MIXED, [(len(values) + len(program) - 1, 1.0)])
    assert_close(np.array([v.grad for v in leaves]), np.array(expected), "dL/d(leaves) of a random graph",
                 mistakes=order_hints(build, mistaken))


def test_topological_order(V, programs, rng):
    _, _, build = build_random(V, programs, rng, n_steps=20)
    leaves, root = build()
    order = root.topological_order()
    assert isinstance(order, list), f"topological_order() must return a list, got {type(order).__name__}"
    reachable = programs.nodes([root])
    ids = [id(v) for v in order]
    assert len(set(ids)) == len(ids), "a node appears more than once in topological_order(): visit each node once"
    assert set(ids) == {id(v) for v in reachable}, (
        f"topological_order() holds {len(ids)} nodes, but {len(reachable)} nodes are reachable from the output "
        f"through _prev: it must hold each of them exactly once")
    assert order[-1] is root, "the output itself must come last in topological_order()"
    place = {id(v): i for i, v in enumerate(order)}
    for v in order:
        for child in v._prev:
            assert place[id(child)] < place[id(v)], (
                f"a node made by {v._op!r} comes before one of its inputs: every node must come after all of its _prev")


def test_order_of_a_lone_leaf(V):
    x = V(3.0)
    order = x.topological_order()
    assert len(order) == 1 and order[0] is x, "the topological order of a leaf is [the leaf]"


def test_backward_twice_doubles_the_leaf_gradients(V, programs, mistaken, rng):
    """As in torch: a second backward() without zero_grad() adds the same gradients to the leaves again."""
    program, values, build = build_random(V, programs, rng)
    leaves, root = build()
    root.backward()
    once = np.array([v.grad for v in leaves])
    root.backward()
    t_leaves = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in values]
    t_root = programs.run(program, t_leaves, programs.MIXED)[-1]
    t_root.backward(retain_graph=True)
    t_root.backward()
    hints = {}
    for seed in ("add", "set"):
        m_leaves, m_root = build()
        mistaken(m_root, seed=seed)
        mistaken(m_root, seed=seed, reset_interior=False)
        how = "1 was added to the output's grad" if seed == "add" else "the output's grad was set to 1"
        hints[f"{NO_RESET} ({how})"] = np.array([v.grad for v in m_leaves])
    hints["the second backward() did not add to the leaves' gradients: a leaf's grad is never reset by "
          "backward(), only by zero_grad()"] = once
    assert_close(np.array([v.grad for v in leaves]), np.array([0.0 if t.grad is None else float(t.grad) for t in t_leaves]),
                 "leaf gradients after backward() twice (torch: twice the gradients of one call)", mistakes=hints)


def test_interior_gradients_restart_on_each_backward(V, programs, rng):
    _, _, build = build_random(V, programs, rng)
    leaves, root = build()
    root.backward()
    inner = [v for v in programs.nodes([root]) if v._prev]
    once = np.array([v.grad for v in inner])
    root.backward()
    assert_close(np.array([v.grad for v in inner]), once,
                 "the grads of the non-leaf nodes after a second backward() (they must equal those of the first: "
                 "backward() resets every non-leaf node's grad to 0 before it starts)",
                 mistakes={NO_RESET: 2 * once})


def test_zero_grad_clears_every_node(V, programs, rng):
    _, _, build = build_random(V, programs, rng)
    leaves, root = build()
    root.backward()
    first = np.array([v.grad for v in leaves])
    root.zero_grad()
    nodes = programs.nodes([root])
    left = [v for v in nodes if v.grad != 0.0]
    assert not left, (f"after zero_grad(), {len(left)} of the {len(nodes)} nodes still have a non-zero grad "
                      f"(leaves: {sum(not v._prev for v in left)}): clear the output and every node it depends on")
    root.backward()
    assert_close(np.array([v.grad for v in leaves]), first, "leaf gradients after backward(), zero_grad(), backward()")


def test_a_deep_chain(V):
    """A chain of 300 operations: the order must cover every node without running out of stack."""
    x = V(0.5)
    y = x
    for k in range(300):
        y = y * 0.99 + 0.001 * k
    y.backward()
    assert_close(x.grad, 0.99 ** 300, "dL/dx through 300 steps of y = 0.99 y + c")
