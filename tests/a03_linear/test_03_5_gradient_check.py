"""Task 03.5: numerical_gradient (central differences) and rel_error."""
import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("03.5")


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2)], ids=["vector", "matrix", "3-d"])
def test_numerical_gradient_of_a_known_function(impl, rng, shape):
    x = rng.standard_normal(shape)
    w = rng.standard_normal(shape)
    h = 1e-5

    def f():
        return float(np.sum(np.sin(x) * w))
    grad = impl.nn.gradient_check.numerical_gradient(f, x, h)
    one_sided = (np.sin(x + h) - np.sin(x)) * w / h
    assert_close(grad, np.cos(x) * w, "numerical gradient", tol=1e-8, mistakes={
        "this is a one-sided difference (f(x+h) - f(x)) / h; use the central difference "
        "(f(x+h) - f(x-h)) / (2h)": one_sided})


def test_numerical_gradient_leaves_x_unchanged(impl, rng):
    x = rng.standard_normal((3, 3))
    before = x.copy()
    h = 1e-5
    grad = impl.nn.gradient_check.numerical_gradient(lambda: float(np.sum(x ** 2)), x, h)
    assert_close(x, before, "x after numerical_gradient (restore every element after nudging it)",
                 constants={"h, the step": h})
    assert_close(grad, 2 * before, "the numerical gradient of sum(x**2)", tol=1e-8)


@pytest.mark.parametrize("a,b", [
    ([1.0, 2.0], [1.0, 2.0]),
    ([1.0, 2.0, 3.0], [1.1, 2.0, 3.0]),
    ([[1e-3, 5.0], [2.0, -1.0]], [[2e-3, 5.0], [2.0, -1.0]]),
    ([0.0, 0.0], [0.0, 1e-12]),
], ids=["equal", "one off", "small element", "near zero"])
def test_rel_error(impl, a, b):
    a, b = np.array(a), np.array(b)
    expected = np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))
    got = impl.nn.gradient_check.rel_error(a, b)
    assert isinstance(got, float), f"rel_error should return a Python float, got {type(got).__name__}"
    assert_close(got, expected, "rel_error(a, b)", mistakes={
        "this is a global ratio max|a-b| / max(|a|+|b|); take the element-wise ratio, then its maximum":
            np.max(np.abs(a - b)) / max(1e-8, float(np.max(np.abs(a) + np.abs(b))))},
        partials=partial_rel_errors(a, b))


def partial_rel_errors(a, b):
    """rel_error with one term left out, for the diagnosis to name the one that is missing."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"without the denominator (max |a - b|)": float(np.max(np.abs(a - b))),
                "without |b| in the denominator": float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a)))),
                "without |a| in the denominator": float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(b)))),
                "without b in the numerator": float(np.max(np.abs(a) / np.maximum(1e-8, np.abs(a) + np.abs(b))))}
