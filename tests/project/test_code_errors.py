"""Errors raised in student code: each kind gets a sentence that names the operation, from its line and locals."""
import numpy as np
import pytest

from grader.code_errors import code_error_hint


def raised(fn):
    with pytest.raises(Exception) as info:
        fn()
    return info.value


def test_an_axis_that_does_not_exist():
    x = np.ones((4, 3))
    exc = raised(lambda: x.sum(axis=2))
    hint = code_error_hint(exc, "return x.sum(axis=2)", {"x": x})
    assert hint.startswith("you asked for axis 2 of an array with 2 axes (on this line: x (4, 3))")


def test_a_reshape_that_changes_the_size():
    x = np.ones((2, 3, 4))
    exc = raised(lambda: x.reshape(2, 5))
    hint = code_error_hint(exc, "y = x.reshape(2, 5)", {"x": x})
    assert "reshaped an array of 24 elements (on this line: x (2, 3, 4)) into (2, 5), which holds 10" in hint


def test_an_axis_twice_in_a_transpose():
    x = np.ones((2, 3, 4, 5))
    exc = raised(lambda: x.transpose(0, 2, 2, 1))
    assert "listed an axis twice in transpose(0, 2, 2, 1)" in code_error_hint(exc, "x.transpose(0, 2, 2, 1)", {"x": x})


def test_an_index_one_past_the_end():
    x = np.ones((3, 4))
    exc = raised(lambda: x[3])
    hint = code_error_hint(exc, "row = x[i + 1]", {"x": x, "i": 2})
    assert "position 3 of axis 0, which has size 3" in hint and "exactly one past the end" in hint


def test_a_float_where_a_size_belongs():
    n = 6 / 2
    exc = raised(lambda: np.zeros((int(n), 2))[: n])
    hint = code_error_hint(exc, "out = buf[: n]", {"n": n, "buf": np.zeros(3)})
    assert "a float where a whole number" in hint and "n = 3.0" in hint


def test_a_division_by_a_zero_count():
    count = 0
    exc = raised(lambda: 1 / count)
    assert "you divided by zero: count is 0 here" in code_error_hint(exc, "mean = total / count", {"count": 0})


def test_an_own_check_that_fires_on_valid_input():
    exc = ValueError("x has shape (4, 3) but W has shape (3, 5)")
    hint = code_error_hint(exc, '    raise ValueError(f"x has shape {x.shape} ...")', {})
    assert hint.startswith("your own check raised ValueError on an input this test treats as valid")


def test_shapes_that_do_not_broadcast_are_named():
    a, b = np.ones((4, 3)), np.ones((4,))
    exc = raised(lambda: a + b)
    hint = code_error_hint(exc, "out = a + b", {"a": a, "b": b})
    assert hint.startswith("you combined arrays whose shapes do not broadcast (shapes (4,3) and (4,) met here); "
                           "on this line: a (4, 3), b (4,)")


def test_a_single_number_unpacked():
    exc = raised(lambda: [a for a, b in [1.5]])
    assert "you unpacked a single float into several names" in code_error_hint(exc, "ph, pw = pad", {"pad": 1.5})


def test_nothing_to_say_gives_nothing():
    assert code_error_hint(KeyError("w"), "d['w']", {}) == ""
