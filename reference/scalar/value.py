"""A scalar reverse-mode autograd engine: one ``Value`` per number, one node per operation.

Every arithmetic operation on ``Value`` objects does two things at once:

1. it computes the result (the forward pass), and
2. it records the graph: the new node keeps the nodes it was made from in
   ``_prev`` and a small function, ``_backward``, that knows the operation's
   local derivatives.

``loss.backward()`` then visits the graph from ``loss`` back to the leaves
and lets every node pass its gradient down with the chain rule::

    dL/d(child) += dL/d(node) * d(node)/d(child)

The ``+=`` matters: a node used in several places receives one contribution
per path, and the contributions add up.

Example::

    x = Value(2.0)
    y = x ** 2 + 3 * x      # 10.0
    y.backward()
    x.grad                  # 7.0 = 2x + 3

Everything here is a plain Python ``float``: there are no shapes. The tests
compare against PyTorch scalars in float64.
"""
from __future__ import annotations

import math
from typing import Callable, Union

__all__ = ["Value", "as_value"]

Number = Union[int, float]


class Value:
    """One scalar node of a computation graph.

    Attributes:
        data: the number this node holds (a Python ``float``).
        grad: dL/d(this node) for the ``L`` that ``backward()`` was last
            called on; ``0.0`` until then.
        _prev: the nodes this one was computed from, in operand order
            (``(a, b)`` for ``a * b``; ``(x, x)`` for ``x * x``). Empty for a
            leaf: a number the user created directly, such as a weight.
        _op: the operation that made this node (``"+"``, ``"tanh"``, ...;
            ``""`` for a leaf), for printing only.
        _backward: the local backward rule, a function of no arguments. It
            reads ``self.grad`` (dL/d(this node)) and *adds* ``self.grad``
            times the local derivative into the ``grad`` of each node in
            ``_prev``. On a leaf it does nothing.
        label: an optional name, for printing only.
    """

    def __init__(self, data: Number, _children: tuple["Value", ...] = (), _op: str = "", label: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self._prev: tuple[Value, ...] = tuple(_children)
        self._op = _op
        self._backward: Callable[[], None] = lambda: None
        self.label = label

    def __repr__(self) -> str:
        name = f"{self.label}, " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    # ------------------------------------------------------------------
    # Task 02.1: arithmetic. ``other`` may be a Value or a plain number
    # (the given first line turns a number into a leaf).
    #
    # Each operation follows one pattern: make the result node with its
    # number, its operands as children and a short op name; define, inside
    # the method, a function of no arguments that adds out.grad times each
    # local derivative into that operand's grad (+=, never =); store that
    # function on the result as its _backward; return the result. The
    # function can read the operands and the result because it is a
    # closure; the local derivatives are in the handout's table.
    # ------------------------------------------------------------------

    def __add__(self, other: Value | Number) -> Value:
        """``self + other``."""
        other = as_value(other)
        ### BEGIN SOLUTION
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def __sub__(self, other: Value | Number) -> Value:
        """``self - other``."""
        other = as_value(other)
        ### BEGIN SOLUTION
        out = Value(self.data - other.data, (self, other), "-")

        def _backward() -> None:
            self.grad += out.grad
            other.grad -= out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def __mul__(self, other: Value | Number) -> Value:
        """``self * other``."""
        other = as_value(other)
        ### BEGIN SOLUTION
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def __truediv__(self, other: Value | Number) -> Value:
        """``self / other`` (``other`` must not be 0)."""
        other = as_value(other)
        ### BEGIN SOLUTION
        out = Value(self.data / other.data, (self, other), "/")

        def _backward() -> None:
            self.grad += out.grad / other.data
            other.grad -= self.data / (other.data * other.data) * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def __pow__(self, exponent: Number) -> Value:
        """``self ** exponent`` for a plain number ``exponent`` (``x ** 2``, ``x ** -1``, ``x ** 0.5``)."""
        if isinstance(exponent, Value) or not isinstance(exponent, (int, float)):
            raise TypeError("only a plain number may be an exponent here: x ** 2, not x ** y")
        ### BEGIN SOLUTION
        out = Value(self.data ** exponent, (self,), f"**{exponent}")

        def _backward() -> None:
            self.grad += exponent * self.data ** (exponent - 1) * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def __neg__(self) -> Value:
        """``-self``."""
        ### BEGIN SOLUTION
        out = Value(-self.data, (self,), "neg")

        def _backward() -> None:
            self.grad -= out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    # Reflected operations: Python calls these for ``2 + v``, ``1 - v``,
    # ``2 * v`` and ``2 / v``, where the left operand is a plain number.
    # Here ``self`` is the Value on the right and ``other`` the number.

    def __radd__(self, other: Number) -> Value:
        """``other + self``, e.g. ``2 + v`` (and ``sum()`` of Values, which starts from 0)."""
        ### BEGIN SOLUTION
        return self + other
        ### END SOLUTION

    def __rsub__(self, other: Number) -> Value:
        """``other - self``, e.g. ``1 - v``."""
        ### BEGIN SOLUTION
        return as_value(other) - self
        ### END SOLUTION

    def __rmul__(self, other: Number) -> Value:
        """``other * self``, e.g. ``2 * v``."""
        ### BEGIN SOLUTION
        return self * other
        ### END SOLUTION

    def __rtruediv__(self, other: Number) -> Value:
        """``other / self``, e.g. ``2 / v``."""
        ### BEGIN SOLUTION
        return as_value(other) / self
        ### END SOLUTION

    # ------------------------------------------------------------------
    # Task 02.2: functions of one Value.
    # ------------------------------------------------------------------

    def tanh(self) -> Value:
        """The hyperbolic tangent, ``(e^x - e^-x) / (e^x + e^-x)``."""
        ### BEGIN SOLUTION
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1.0 - t * t) * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def relu(self) -> Value:
        """``max(0, x)``. Its derivative is taken as 0 at exactly ``x = 0``, as PyTorch does."""
        ### BEGIN SOLUTION
        positive = self.data > 0
        out = Value(self.data if positive else 0.0, (self,), "relu")

        def _backward() -> None:
            if positive:
                self.grad += out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def sigmoid(self) -> Value:
        """The logistic function ``1 / (1 + e^-x)``; must not overflow for ``x = -1000`` or ``x = 1000``."""
        ### BEGIN SOLUTION
        if self.data >= 0:
            s = 1.0 / (1.0 + math.exp(-self.data))
        else:
            e = math.exp(self.data)
            s = e / (1.0 + e)
        out = Value(s, (self,), "sigmoid")

        def _backward() -> None:
            self.grad += s * (1.0 - s) * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def exp(self) -> Value:
        """``e^x``."""
        ### BEGIN SOLUTION
        e = math.exp(self.data)
        out = Value(e, (self,), "exp")

        def _backward() -> None:
            self.grad += e * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def log(self) -> Value:
        """The natural logarithm (``x`` must be positive)."""
        ### BEGIN SOLUTION
        out = Value(math.log(self.data), (self,), "log")

        def _backward() -> None:
            self.grad += out.grad / self.data
        out._backward = _backward
        return out
        ### END SOLUTION

    # ------------------------------------------------------------------
    # Task 02.3: the reverse pass.
    # ------------------------------------------------------------------

    def topological_order(self) -> list[Value]:
        """Every node this one depends on, each exactly once, ordered so that a node comes after all of its ``_prev``.

        This node itself comes last. Nodes are identified by identity (``is``),
        never by value: two different nodes may hold the same number. The graph
        may be deep (a chain of a thousand additions), so prefer a loop with an
        explicit stack to recursion.
        """
        ### BEGIN SOLUTION
        order: list[Value] = []
        seen: set[int] = {id(self)}
        stack: list[tuple[Value, int]] = [(self, 0)]
        while stack:
            node, i = stack.pop()
            if i < len(node._prev):
                stack.append((node, i + 1))
                child = node._prev[i]
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, 0))
            else:
                order.append(node)
        return order
        ### END SOLUTION

    def backward(self) -> None:
        """Fill in ``grad`` of every node this one depends on, with ``L = self``.

        The rules, which match PyTorch:

        * every non-leaf node (one with ``_prev``) restarts from ``grad = 0``;
        * this node's ``grad`` is increased by 1 (dL/dL = 1);
        * every node's ``_backward`` runs after the ``_backward`` of every node
          that uses it, so its ``grad`` is complete when it is passed down;
        * a leaf's ``grad`` is never reset here: calling ``backward()`` twice
          without ``zero_grad()`` doubles every leaf's gradient.
        """
        ### BEGIN SOLUTION
        order = self.topological_order()
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            node._backward()
        ### END SOLUTION

    def zero_grad(self) -> None:
        """Set ``grad = 0`` on this node and on every node it depends on."""
        ### BEGIN SOLUTION
        for node in self.topological_order():
            node.grad = 0.0
        ### END SOLUTION


def as_value(x: Value | Number) -> Value:
    """``x`` itself if it is a Value, else a new leaf holding the number ``x``."""
    return x if isinstance(x, Value) else Value(x)
