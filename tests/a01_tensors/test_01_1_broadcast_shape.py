"""Task 01.1: broadcast_shape against numpy's own rule (np.broadcast_shapes), worked examples and properties."""
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

pytestmark = pytest.mark.task("01.1")

SETTINGS = settings(max_examples=50, deadline=None, derandomize=True, database=None,
                    report_multiple_bugs=False, suppress_health_check=list(HealthCheck))


def call(shapes):
    return "broadcast_shape(" + ", ".join(str(tuple(s)) for s in shapes) + ")"


def left_aligned(shapes):
    """The shape the rule would give with the shapes (wrongly) lined up on the left; None on a clash."""
    out: list[int] = []
    for s in shapes:
        for i, n in enumerate(s):
            if i == len(out):
                out.append(n)
            elif n != out[i] and n != 1:
                if out[i] != 1:
                    return None
                out[i] = n
    return tuple(out)


LEFT = ("the shapes were lined up from the left: line them up from the right (the last dimensions face "
        "each other) and pad the shorter shape with 1s on the left")


def check_shape(impl, shapes):
    """broadcast_shape(*shapes) must equal numpy's answer, as a tuple."""
    expected = np.broadcast_shapes(*shapes)
    try:
        got = impl.tensors.broadcasting.broadcast_shape(*shapes)
    except ValueError as exc:
        hint = f"\n  hint: {LEFT}" if left_aligned(shapes) is None else ""
        raise AssertionError(f"{call(shapes)} raised ValueError({exc}), but these shapes broadcast "
                             f"to {expected}." + hint) from None
    if not isinstance(got, tuple):
        raise AssertionError(f"{call(shapes)} returned a {type(got).__name__} ({got!r}); return a tuple of ints.")
    if got != expected:
        hint = f"\n  hint: {LEFT}" if got == left_aligned(shapes) else ""
        raise AssertionError(f"{call(shapes)} returned {got}, expected {expected}." + hint)


def clashes(a, b):
    """[(dimension from the right, size in a, size in b)] where two shapes do not broadcast."""
    ndim = max(len(a), len(b))
    pa, pb = (1,) * (ndim - len(a)) + tuple(a), (1,) * (ndim - len(b)) + tuple(b)
    return [(i - ndim, x, y) for i, (x, y) in enumerate(zip(pa, pb)) if x != y and 1 not in (x, y)]


def names(message, number, negative=False):
    if negative:
        return re.search(rf"(?<![\d.]){number}(?![\d.])", message) is not None
    return re.search(rf"(?<![\d.\-]){number}(?![\d.])", message) is not None


def check_clash(impl, a, b):
    """broadcast_shape(a, b) must raise ValueError naming both sizes and the dimension of a clash."""
    found = clashes(a, b)
    try:
        got = impl.tensors.broadcasting.broadcast_shape(a, b)
    except ValueError as exc:
        message = str(exc)
    else:
        hint = f"\n  hint: {LEFT}" if got == left_aligned((a, b)) else ""
        dim, x, y = found[-1]
        raise AssertionError(f"{call((a, b))} returned {got!r}, but the shapes do not broadcast "
                             f"(size {x} vs size {y} at dimension {dim}): raise ValueError." + hint)
    for dim, x, y in found:
        if names(message, x) and names(message, y) and names(message, dim, negative=True):
            return
    dim, x, y = found[-1]
    raise AssertionError(f"{call((a, b))} raised ValueError({message!r}); the message must name the two clashing "
                         f"sizes and the dimension counted from the right, e.g. 'size {x} vs size {y} "
                         f"at dimension {dim}'.")


EXAMPLES = {
    "bias add (32,128)+(128,)": [(32, 128), (128,)],
    "outer grid (3,1)+(1,3)": [(3, 1), (1, 3)],
    "three shapes": [(8, 1, 6), (7, 1), ()],
    "per-sample offset (4,3)+(4,1)": [(4, 3), (4, 1)],
    "same shapes": [(2, 5), (2, 5)],
    "scalar and matrix": [(), (3, 2)],
    "rank 1 vs rank 4": [(2, 3, 4, 5), (5,)],
    "one shape": [(6, 1, 2)],
    "size 1 gives way to 0": [(1,), (0,)],
}


@pytest.mark.parametrize("shapes", EXAMPLES.values(), ids=EXAMPLES.keys())
def test_worked_examples(impl, shapes):
    check_shape(impl, shapes)


CLASHES = {
    "(4,3) vs (4,)": [(4, 3), (4,)],
    "middle dimension": [(2, 5, 3), (7, 3)],
    "last of three dims": [(8, 1, 6), (7, 2)],
}


@pytest.mark.parametrize("a,b", CLASHES.values(), ids=CLASHES.keys())
def test_clash_raises_value_error_naming_sizes_and_dimension(impl, a, b):
    check_clash(impl, a, b)


def test_shapes_given_as_lists_are_read_and_left_unchanged(impl):
    a, b = [5, 1, 3], [4, 1]
    check_shape(impl, [a, b])
    if a != [5, 1, 3] or b != [4, 1]:
        raise AssertionError(f"broadcast_shape([5, 1, 3], [4, 1]) changed the lists it was given into {a} and {b}")


@SETTINGS
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=1, max_side=4))
def test_broadcastable_pairs_match_numpy(impl, case):
    check_shape(impl, case.input_shapes)


@SETTINGS
@given(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, min_side=1, max_side=3))
def test_broadcastable_triples_match_numpy(impl, case):
    check_shape(impl, case.input_shapes)


@SETTINGS
@given(st.lists(st.integers(1, 4), max_size=3).map(tuple), st.lists(st.integers(1, 4), max_size=3).map(tuple))
def test_any_pair_broadcasts_or_raises_like_numpy(impl, a, b):
    if clashes(a, b):
        check_clash(impl, a, b)
    else:
        check_shape(impl, [a, b])
