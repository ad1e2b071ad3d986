"""Fixtures shared by the tests of assignment 02 (not graded themselves).

* ``backprop``: the course's own reverse pass over a graph of *your* Value
  nodes. Tasks 02.1 and 02.2 use it, so your local rules are graded even
  while your ``backward()`` (task 02.3) is unfinished or wrong.
* ``V``: a subclass of *your* ``Value`` whose operations are the course's own.
  Task 02.3 builds its graphs with it, so ``backward()``, ``topological_order()``
  and ``zero_grad()`` are graded on their own, whatever your operations do.
* ``programs``: random expressions that run unchanged on Value nodes and on
  torch scalars, for comparing gradients with PyTorch.
"""
from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any, Sequence

import numpy as np
import pytest


def graph_nodes(roots: Sequence[Any]) -> list[Any]:
    """Every node reachable from ``roots`` through ``_prev``, each once, inputs before the nodes made from them."""
    placed: list[Any] = []
    visited: set[int] = set()
    for start in roots:
        if id(start) in visited:
            continue
        visited.add(id(start))
        todo = [(start, iter(start._prev))]
        while todo:
            current, rest = todo[-1]
            nxt = next(rest, None)
            if nxt is None:
                todo.pop()
                placed.append(current)
            elif id(nxt) not in visited:
                visited.add(id(nxt))
                todo.append((nxt, iter(nxt._prev)))
    return placed


def course_backprop(seeds: Any, grad: float = 1.0) -> None:
    """The reference reverse pass: clear every grad in the graph, seed the roots, run each ``_backward`` once, outputs first.

    ``seeds`` is one root (seeded with ``grad``) or a list of ``(root, grad)`` pairs.
    """
    pairs = [(seeds, grad)] if not isinstance(seeds, (list, tuple)) else list(seeds)
    nodes = graph_nodes([r for r, _ in pairs])
    for v in nodes:
        v.grad = 0.0
    for r, g in pairs:
        r.grad = r.grad + g
    for v in nodes[::-1]:
        v._backward()


def replay(root: Any, *, reverse: bool = True, reset_interior: bool = True, seed: str = "add") -> None:
    """One reverse pass with the course's rules, or with a classic mistake, to name that mistake in a hint.

    ``reverse=False`` visits the nodes leaves first; ``reset_interior=False`` keeps the grads a
    previous pass left in the non-leaf nodes; ``seed="set"`` sets the root's grad to 1 instead of adding 1.
    """
    nodes = graph_nodes([root])
    if reset_interior:
        for v in nodes:
            if v._prev:
                v.grad = 0.0
    root.grad = root.grad + 1.0 if seed == "add" else 1.0
    for v in (nodes[::-1] if reverse else nodes):
        v._backward()


def make_course_value(base: type) -> type:
    """A subclass of ``base`` (a student's ``Value``) with the course's own operations and local rules."""

    def lift(x: Any) -> Any:
        return x if isinstance(x, base) else CourseValue(x)

    class CourseValue(base):  # type: ignore[misc, valid-type]
        @classmethod
        def node(cls, data: float, parents: tuple, partials: tuple, op: str) -> "CourseValue":
            made = cls(data, parents, op)

            def push() -> None:
                for parent, local in zip(parents, partials):
                    parent.grad = parent.grad + local * made.grad
            made._backward = push
            return made

        def __add__(self, o):
            o = lift(o)
            return self.node(self.data + o.data, (self, o), (1.0, 1.0), "+")

        def __sub__(self, o):
            o = lift(o)
            return self.node(self.data - o.data, (self, o), (1.0, -1.0), "-")

        def __mul__(self, o):
            o = lift(o)
            return self.node(self.data * o.data, (self, o), (o.data, self.data), "*")

        def __truediv__(self, o):
            o = lift(o)
            return self.node(self.data / o.data, (self, o), (1.0 / o.data, -self.data / o.data ** 2), "/")

        def __pow__(self, k):
            return self.node(self.data ** k, (self,), (k * self.data ** (k - 1),), f"**{k}")

        def __neg__(self):
            return self.node(-self.data, (self,), (-1.0,), "neg")

        def __radd__(self, o):
            return lift(o).__add__(self)

        def __rsub__(self, o):
            return lift(o).__sub__(self)

        def __rmul__(self, o):
            return lift(o).__mul__(self)

        def __rtruediv__(self, o):
            return lift(o).__truediv__(self)

        def tanh(self):
            th = math.tanh(self.data)
            return self.node(th, (self,), (1.0 - th ** 2,), "tanh")

        def relu(self):
            up = 1.0 if self.data > 0 else 0.0
            return self.node(self.data * up, (self,), (up,), "relu")

        def sigmoid(self):
            sg = 0.5 * (1.0 + math.tanh(0.5 * self.data))
            return self.node(sg, (self,), (sg - sg ** 2,), "sigmoid")

        def exp(self):
            ex = math.exp(self.data)
            return self.node(ex, (self,), (ex,), "exp")

        def log(self):
            return self.node(math.log(self.data), (self,), (1.0 / self.data,), "log")

    CourseValue.__name__ = CourseValue.__qualname__ = "V"
    return CourseValue


# --------------------------------------------------------------------------
# Random expressions: a program is a list of steps, each making a new slot
# from earlier ones; the same program runs on Values and on torch scalars.
# --------------------------------------------------------------------------

ARITHMETIC = {
    "add": (2, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b),
    "div": (2, lambda a, b: a / (1.5 + b * b)),
    "square": (1, lambda a: a ** 2),
    "cube": (1, lambda a: a ** 3),
    "root": (1, lambda a: (a * a + 1) ** 0.5),
    "reciprocal": (1, lambda a: (2.0 + a * a) ** -1),
    "neg": (1, lambda a: -a),
    "const+": (1, lambda a: 0.5 + a),
    "const-": (1, lambda a: 1.5 - a),
    "const*": (1, lambda a: -0.75 * a),
    "const/": (1, lambda a: 2.0 / (1 + a * a)),
    "-const": (1, lambda a: a - 0.25),
    "*const": (1, lambda a: a * 1.25),
    "/const": (1, lambda a: a / 4),
}
FUNCTIONS = {
    "tanh": (1, lambda a: a.tanh()),
    "sigmoid": (1, lambda a: a.sigmoid()),
    "relu": (1, lambda a: a.relu()),
    "exp": (1, lambda a: a.tanh().exp()),
    "log": (1, lambda a: (a * a + 0.5).log()),
}
#: Unary functions only (for task 02.2): every step applies one function to one earlier slot.
UNARY = {
    "tanh": (1, lambda a: a.tanh()),
    "sigmoid": (1, lambda a: a.sigmoid()),
    "relu": (1, lambda a: a.relu()),
    "exp(tanh)": (1, lambda a: a.tanh().exp()),
    "log(exp)": (1, lambda a: a.exp().log()),
    "log(sigmoid)": (1, lambda a: a.sigmoid().log()),
}


def make_program(rng: np.random.Generator, n_leaves: int, n_steps: int, ops: dict) -> list[tuple[str, tuple[int, ...]]]:
    names = sorted(ops)
    steps = []
    for k in range(n_steps):
        name = names[int(rng.integers(len(names)))]
        arity = ops[name][0]
        slots = n_leaves + k
        # favour recent slots so the last one depends on most of the graph; repeats are allowed
        args = tuple(int(slots - 1 - min(slots - 1, rng.geometric(0.35) - 1)) if rng.random() < 0.7
                     else int(rng.integers(slots)) for _ in range(arity))
        steps.append((name, args))
    return steps


def run_program(program: list, leaves: Sequence[Any], ops: dict) -> list[Any]:
    """Every slot: the leaves, then one per step."""
    slots = list(leaves)
    for name, args in program:
        slots.append(ops[name][1](*(slots[i] for i in args)))
    return slots


def torch_grads(program: list, values: Sequence[float], ops: dict,
                roots: Sequence[tuple[int, float]]) -> tuple[list[float], list[float]]:
    """Slot values and d(sum of grad * slot over roots)/d(leaf), in torch float64."""
    import torch
    leaves = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in values]
    slots = run_program(program, leaves, ops)
    total = sum(g * slots[i] for i, g in roots)
    total.backward()
    return ([float(s.detach()) for s in slots], [float(t.grad) if t.grad is not None else 0.0 for t in leaves])


@pytest.fixture
def backprop():
    """``backprop(root)`` or ``backprop([(root, g), ...])``: the course's reverse pass over your nodes."""
    return course_backprop


@pytest.fixture
def mistaken():
    """``mistaken(root, reverse=..., reset_interior=..., seed=...)``: a reverse pass with a classic mistake."""
    return replay


@pytest.fixture
def V(impl):
    """Your ``Value`` class with the course's operations, for grading backward() on its own."""
    return make_course_value(impl.scalar.value.Value)


@pytest.fixture
def programs():
    """Random expressions: ``make``, ``run`` and ``torch_grads``, with the op tables ARITHMETIC, FUNCTIONS, UNARY."""
    return SimpleNamespace(make=make_program, run=run_program, torch_grads=torch_grads, nodes=graph_nodes,
                           ARITHMETIC=ARITHMETIC, FUNCTIONS=FUNCTIONS, UNARY=UNARY,
                           MIXED={**ARITHMETIC, **FUNCTIONS})
