"""Broadcasting: the shape rule, and the summation rule that undoes it for gradients.

The rule NumPy and PyTorch follow when two arrays of different shapes meet in
an element-wise operation:

1. line the shapes up on the **right** (the last dimensions face each other);
2. pad the shorter shape with 1s on the **left** until both have the same length;
3. in each position the sizes must be equal, or one of them must be 1; the
   result takes the larger size (a size-1 axis is stretched to fit).

Example: with ``(32, 128)``, the shape ``(128,)`` is padded to ``(1, 128)`` and
the result is ``(32, 128)``. ``(4, 3)`` and ``(4,)`` do not broadcast: their
last dimensions are 3 and 4.

Gradients flow the other way. An operand that was stretched was *reused* along
the stretched axes, so its gradient is the **sum** of the incoming gradient over
them: over the axes that were prepended, and (keeping the axis) over every axis
where the operand had size 1.
"""
from __future__ import annotations

from typing import Any, Sequence

__all__ = ["broadcast_shape", "unbroadcast"]


def broadcast_shape(*shapes: Sequence[int]) -> tuple[int, ...]:
    """The shape that ``shapes`` broadcast to, by NumPy's rule.

    Align the shapes on the right, pad the shorter ones with 1s on the left,
    and in every position take the common size, where a size of 1 gives way to
    any other size (0 included). With no shapes at all the result is ``()``.

    Args:
        *shapes: any number of shapes, each a tuple (or list) of non-negative
            ints, e.g. ``(32, 128)``, ``(128,)``, ``()``.

    Returns:
        The broadcast shape, a tuple of Python ints. Examples::

            broadcast_shape((32, 128), (128,))    == (32, 128)
            broadcast_shape((3, 1), (1, 3))       == (3, 3)
            broadcast_shape((8, 1, 6), (7, 1), ()) == (8, 7, 6)

    Raises:
        ValueError: when two sizes in one position differ and neither is 1.
            The message names both sizes and the dimension, counted from the
            right as a negative index (``-1`` is the last dimension), e.g. for
            ``(4, 3)`` and ``(4,)``::

                shapes do not broadcast: size 3 vs size 4 at dimension -1
    """
    ### BEGIN SOLUTION
    ndim = max((len(s) for s in shapes), default=0)
    result = [1] * ndim
    for shape in shapes:
        padded = (1,) * (ndim - len(shape)) + tuple(int(n) for n in shape)
        for i, (have, new) in enumerate(zip(result, padded)):
            if new == have or new == 1:
                continue
            if have == 1:
                result[i] = new
                continue
            raise ValueError(f"shapes do not broadcast: size {have} vs size {new} at dimension {i - ndim}")
    return tuple(result)
    ### END SOLUTION


def unbroadcast(grad: Any, shape: Sequence[int]) -> Any:
    """Sum a gradient back to the shape of an operand that was broadcast.

    If ``out = a + b`` broadcast ``a`` from ``shape`` up to ``grad.shape``, then
    ``dL/da = unbroadcast(dL/dout, a.shape)``: every element of ``a`` was used
    once per position along the stretched axes, so its gradient adds up those
    positions. Sum over the leading axes that broadcasting prepended, then sum,
    keeping the axis, over every axis where ``shape`` has size 1.

    Args:
        grad: ``dL/dout``, an array whose shape is a broadcast of ``shape``,
            e.g. ``(N, C)`` for an operand of shape ``(C,)``, ``(1, C)`` or ``(N, 1)``.
        shape: the operand's shape, a tuple of ints with at most ``grad.ndim`` entries.

    Returns:
        An array of exactly ``shape`` with ``grad``'s dtype (for ``shape == ()``,
        a 0-d array or a NumPy scalar). ``grad`` itself is left unchanged. Examples, for
        ``grad`` of shape ``(N, C)``::

            unbroadcast(grad, (C,))    == grad.sum(axis=0)                  # (C,)
            unbroadcast(grad, (1, C))  == grad.sum(axis=0, keepdims=True)   # (1, C)
            unbroadcast(grad, (N, 1))  == grad.sum(axis=1, keepdims=True)   # (N, 1)
    """
    ### BEGIN SOLUTION
    shape = tuple(int(n) for n in shape)
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad
    ### END SOLUTION
