"""The general diagnosis: each analysis on a mistake no detector was written for."""
import numpy as np
import pytest

from grader import assert_close
from grader.code_errors import shape_error_hint


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


def test_a_sequence_right_for_k_steps_then_wrong():
    e = np.cumsum(np.ones((6, 3)), axis=0)
    a = e.copy()
    a[3:] += 0.5
    line = first_line(lambda: assert_close(a, e, "theta", axes=("step", "parameter")))
    assert line.startswith("theta is right for the first 3 steps and wrong from step 4 on")
    line = first_line(lambda: assert_close(e * 1.01 + 0.1, e, "theta", axes=("step", "parameter")))
    assert "wrong from the very first step on" in line


def test_an_elementwise_function_wrong_for_large_inputs():
    x = np.linspace(-3, 3, 40).reshape(4, 10)
    e = np.tanh(x)
    a = np.tanh(x + 0.01 * x ** 5)     # a higher-order term no detector knows
    line = first_line(lambda: assert_close(a, e, "y", along={"x": x}))
    assert "grows with |x|" in line or "wrong beyond" in line
    b = np.where(x > 0, e * 1.1, e)
    assert "right for x <= 0 and wrong for x > 0" in first_line(lambda: assert_close(b, e, "y", along={"x": x}))


def test_per_sample_statistics_wrong():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 6))
    mu, sd = x.mean(axis=1, keepdims=True), x.std(axis=1, keepdims=True)
    e = (x - mu) / sd
    a = (x - mu) / np.sqrt(sd ** 2 + 0.3)    # an eps far too big: each row scaled by its own factor
    line = first_line(lambda: assert_close(a, e, "y", axes=("samples", "features")))
    assert line.startswith("in each slice along axis 0 (samples), y is scaled by a constant of its own")


def test_a_difference_proportional_to_a_quantity():
    rng = np.random.default_rng(6)
    var = rng.uniform(0.5, 2.0, 5)
    e = 0.9 + 0.1 * var * 8 / 7        # torch's running variance: the unbiased batch variance
    a = 0.9 + 0.1 * var                # the biased one
    line = first_line(lambda: assert_close(a, e, "running_var", quantities={"the batch variance": var}))
    assert "proportional to the batch variance" in line


def test_a_named_ratio_on_one_number():
    line = first_line(lambda: assert_close(0.3 * 2.5, 2.5, "dL/dx", quantities={"y = sigmoid(x)": 0.3}))
    assert "extra factor of y = sigmoid(x)" in line


def test_what_it_equals_instead_from_the_inputs():
    a, b = 0.37, -1.9
    line = first_line(lambda: assert_close(a - b, a + b, "(a + b).data", inputs={"a": a, "b": b}))
    assert line.startswith("(a + b).data equals a - b (with a, b as in the test)")
    x, g = 0.77, 0.21
    s = 1 / (1 + np.exp(-x))
    line = first_line(lambda: assert_close(g * (1 + np.exp(-x)), g * s * (1 - s), "dL/dx", inputs={"x": x, "g": g}))
    assert "equals (1 + exp(-x)) * g" in line


def test_a_normalisation_checked_by_its_statistics():
    rng = np.random.default_rng(7)
    x = 5 * rng.standard_normal((4, 3, 2, 2)) + 12
    g, b = rng.uniform(0.5, 2, (1, 3, 1, 1)), rng.standard_normal((1, 3, 1, 1))
    axes = (0, 2, 3)
    mu, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    e = g * (x - mu) / np.sqrt(var + 1e-5) + b
    wrong_mean = g * (x - x.mean(axis=(0, 1), keepdims=True)) / np.sqrt(var + 1e-5) + b
    line = first_line(lambda: assert_close(wrong_mean, e, "y", normalised=(axes, g, b)))
    assert line.startswith("with beta subtracted and gamma divided out, y should have mean 0 over axes (0, 2, 3)")
    wrong_var = g * (x - mu) / (var + 1e-5) + b
    assert "what you divide by is wrong" in first_line(lambda: assert_close(wrong_var, e, "y", normalised=(axes, g, b)))
    xhat = (x - mu) / np.sqrt(var + 1e-5)
    d = rng.standard_normal(x.shape) * g
    dx = (d - d.mean(axis=axes, keepdims=True) - xhat * (d * xhat).mean(axis=axes, keepdims=True)) / np.sqrt(var + 1e-5)
    no_mean = (d - xhat * (d * xhat).mean(axis=axes, keepdims=True)) / np.sqrt(var + 1e-5)
    line = first_line(lambda: assert_close(no_mean, dx, "dX", normalised_grad=(axes, xhat)))
    assert "should sum to 0 over axes (0, 2, 3)" in line
    no_proj = (d - d.mean(axis=axes, keepdims=True)) / np.sqrt(var + 1e-5)
    assert "not orthogonal to xhat" in first_line(lambda: assert_close(no_proj, dx, "dX", normalised_grad=(axes, xhat)))


def test_a_partial_answer_offered_by_the_test():
    line = first_line(lambda: assert_close(1.5, 2.0, "loss", partials={"without the bias b1": 1.5}))
    assert line == "loss equals the expected value without the bias b1: that part of the computation is missing."


def test_one_number_off_by_a_named_term():
    line = first_line(lambda: assert_close(2.15, 2.0, "penalty", constants={"lambda": 0.3, "2": 2.0}))
    assert line.startswith("penalty - expected = (lambda) / (2) (= 0.15): a term (lambda) / (2) is extra")


def test_a_threshold_at_the_wrong_place():
    x = np.linspace(-2, 2, 24).reshape(4, 6)
    line = first_line(lambda: assert_close(np.maximum(x, 0.5), np.maximum(x, 0.0), "relu(x)", along={"x": x}))
    assert line.startswith("relu(x) is right for x > ") and "wrong for x < " in line
