"""Task 01.1 (hidden): broadcast_shape on edge cases, many shapes, size 0, against numpy and the reference."""
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.extra import numpy as hnp

pytestmark = pytest.mark.task("01.1")

SETTINGS = settings(max_examples=50, deadline=None, derandomize=True, database=None,
                    report_multiple_bugs=False, suppress_health_check=list(HealthCheck))


def call(shapes):
    return "broadcast_shape(" + ", ".join(str(tuple(s)) for s in shapes) + ")"


def expect(ok, message):
    """Fail with ``message`` alone (no assertion rewriting noise) unless ``ok``."""
    if not ok:
        raise AssertionError(message)


def check_shape(impl, ref, shapes):
    expected = np.broadcast_shapes(*shapes)
    assert ref.tensors.broadcasting.broadcast_shape(*shapes) == expected
    try:
        got = impl.tensors.broadcasting.broadcast_shape(*shapes)
    except ValueError as exc:
        raise AssertionError(f"{call(shapes)} raised ValueError({exc}), but these shapes broadcast "
                             f"to {expected}.") from None
    expect(isinstance(got, tuple), f"{call(shapes)} returned a {type(got).__name__}; return a tuple of ints.")
    expect(got == expected, f"{call(shapes)} returned {got}, expected {expected}.")
    expect(all(isinstance(n, (int, np.integer)) for n in got), f"{call(shapes)} returned {got!r}: sizes must be ints.")


def names(message, number):
    pre = r"(?<![\d.])" if number < 0 else r"(?<![\d.\-])"
    return re.search(pre + rf"{number}(?![\d.])", message) is not None


def check_clash(impl, shapes, size_a, size_b, dim):
    try:
        got = impl.tensors.broadcasting.broadcast_shape(*shapes)
    except ValueError as exc:
        message = str(exc)
    else:
        raise AssertionError(f"{call(shapes)} returned {got!r}, but the shapes do not broadcast "
                             f"(size {size_a} vs size {size_b} at dimension {dim}): raise ValueError.")
    expect(names(message, size_a) and names(message, size_b) and names(message, dim),
           f"{call(shapes)} raised ValueError({message!r}); the message must name the two clashing sizes and the "
           f"dimension counted from the right, e.g. 'size {size_a} vs size {size_b} at dimension {dim}'.")


EDGES = {
    "no shapes at all": [],
    "only scalars": [(), (), ()],
    "one scalar": [()],
    "zero-size axis with 1": [(0, 3), (1, 3)],
    "zero-size axis prepended": [(5, 0, 1), (4,)],
    "rank 6": [(2, 1, 3, 1, 4, 1), (5, 3, 6, 4, 1)],
    "five shapes": [(1, 1, 4), (3, 1, 1), (2, 1, 1, 1), (1,), (1, 3, 5, 4)],
    "all ones": [(1, 1), (1,), (1, 1, 1)],
    "numpy integer sizes": [(np.int64(3), np.int64(1)), (np.int64(4),)],
}


@pytest.mark.parametrize("shapes", EDGES.values(), ids=EDGES.keys())
def test_edge_cases(impl, ref, shapes):
    check_shape(impl, ref, shapes)


CLASHES = {
    "zero vs two": ([(0,), (2,)], 0, 2, -1),
    "clash with the running result": ([(2, 1), (1, 3), (4, 1)], 2, 4, -2),
    "leading dimension of rank 4": ([(6, 1, 1, 1), (5, 2, 1, 1)], 6, 5, -4),
    "column vs row of another length": ([(3, 1), (5,), (1, 7)], 5, 7, -1),
}


@pytest.mark.parametrize("shapes,size_a,size_b,dim", CLASHES.values(), ids=CLASHES.keys())
def test_clashes(impl, shapes, size_a, size_b, dim):
    check_clash(impl, shapes, size_a, size_b, dim)


def test_repeatable_and_independent_calls(impl):
    first = impl.tensors.broadcasting.broadcast_shape((3, 1), (1, 4))
    try:
        impl.tensors.broadcasting.broadcast_shape((2,), (3,))
    except ValueError:
        pass
    again = impl.tensors.broadcasting.broadcast_shape((3, 1), (1, 4))
    other = impl.tensors.broadcasting.broadcast_shape((5,), (1,))
    expect(first == again == (3, 4) and other == (5,),
           f"broadcast_shape gave {first}, then {again} for (3, 1) and (1, 4), and {other} for (5,) and (1,): "
           f"expected (3, 4) twice and (5,); keep no state between calls")


@SETTINGS
@given(hnp.mutually_broadcastable_shapes(num_shapes=4, min_dims=0, max_dims=5, min_side=0, max_side=3))
def test_four_shapes_with_zero_sizes_match_numpy_and_reference(impl, ref, case):
    check_shape(impl, ref, case.input_shapes)
