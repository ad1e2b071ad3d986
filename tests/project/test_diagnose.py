"""The general diagnosis: each analysis on a mistake no detector was written for."""
import numpy as np
import pytest

from grader import assert_close
from grader.diagnose import shape_error_hint


def first_line(fn) -> str:
    with pytest.raises(AssertionError) as info:
        fn()
    return str(info.value).splitlines()[0]


def test_where_a_condition_holds():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 6))
    e = np.where(x > 0, x, 0.0)
    a = np.where(x > 0, x, 0.3)           # wrong only where x <= 0
    line = first_line(lambda: assert_close(a, e, "dX", where={"x > 0": x > 0, "x <= 0": x <= 0}))
    assert line == "dX is right where x > 0 and wrong where x <= 0."


def test_exactly_where_two_conditions_disagree():
    rng = np.random.default_rng(1)
    x, g = rng.standard_normal((2, 6, 7))
    line = first_line(lambda: assert_close(g * (g > 0), g * (x > 0), "dX",
                                           where={"x > 0": x > 0, "grad_out > 0": g > 0}))
    assert "wrong exactly where 'x > 0' and 'grad_out > 0' disagree" in line


def test_one_slice_of_one_axis():
    e = np.arange(24.0).reshape(2, 3, 4) + 1
    a = e.copy()
    a[:, 1, :] *= 1.5
    line = first_line(lambda: assert_close(a, e, "Y", axes=("samples", "channels", "positions")))
    assert "wrong only at index 1 of axis 1 (channels)" in line


def test_the_border():
    e = np.ones((2, 5, 5))
    a = e.copy()
    a[:, 0, :] = a[:, -1, :] = 2.0
    assert "wrong only on the border" in first_line(lambda: assert_close(a, e, "dX"))


def test_ratio_equal_to_a_quantity_and_its_reciprocal():
    rng = np.random.default_rng(2)
    y = rng.uniform(0.1, 0.9, (4, 5))
    g = rng.standard_normal((4, 5))
    e = g * y * (1 - y)
    assert "a factor of y is missing" in first_line(lambda: assert_close(g * (1 - y), e, "dX", quantities={"y": y}))
    assert "extra factor of y" in first_line(lambda: assert_close(e * y, e, "dX", quantities={"y": y}))


def test_a_named_constant_factor():
    e = np.arange(1.0, 7.0).reshape(2, 3)
    line = first_line(lambda: assert_close(3 * e, e, "dz2", constants={"C (the number of outputs averaged over)": 3}))
    assert "times C (the number of outputs averaged over)" in line


def test_a_constant_difference_names_the_constant():
    e = np.arange(1.0, 7.0).reshape(2, 3)
    line = first_line(lambda: assert_close(e + 1e-5, e, "x after numerical_gradient", tol=1e-12,
                                           constants={"h, the step": 1e-5}))
    assert "off by the same constant 1e-05 (= h, the step)" in line


def test_a_missing_term():
    rng = np.random.default_rng(3)
    e, b = rng.standard_normal((2, 4, 3))
    line = first_line(lambda: assert_close(e - b, e, "Y", quantities={"the bias b": b}))
    assert "the term the bias b is missing" in line


def test_swapped_outputs_and_an_input_passed_through():
    rng = np.random.default_rng(4)
    dw, db, g = rng.standard_normal((3, 3, 3))
    assert "equals the expected db: two results are swapped" in first_line(
        lambda: assert_close(db, dw, "dW", others={"db": db}))
    assert "equals the input grad_out, unchanged" in first_line(
        lambda: assert_close(g, dw, "dX", inputs={"grad_out": g}))


def test_nothing_fits_keeps_the_numbers_first():
    rng = np.random.default_rng(5)
    a, e = rng.standard_normal((2, 4, 4))
    assert first_line(lambda: assert_close(a, e, "Y")).startswith("Y does not match: relative error")


def test_a_reduction_over_the_wrong_axis_inside_student_code():
    g2 = np.ones((4, 3))
    try:
        b = np.zeros(3)
        b += g2.sum(axis=1)
    except ValueError as exc:
        hint = shape_error_hint(exc, "self.b.grad += g2.sum(axis=1)", {"g2": g2})
    assert hint == ("you took the sum of g2 over axis 1 (shape (4, 3) -> (4,)), but the result must have shape (3,): "
                    "reduce over axis 0 instead.")
