"""Task 03.5 (hidden): numerical_gradient on a non-contiguous view and other step sizes; rel_error on scalars."""
import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("03.5")


def test_numerical_gradient_of_a_quadratic_with_a_larger_step(impl, rng):
    x = rng.standard_normal((4, 2))
    A = rng.standard_normal((2, 2))
    grad = impl.nn.gradient_check.numerical_gradient(lambda: float(np.sum((x @ A) ** 2)), x, 1e-3)
    assert_close(grad, 2 * (x @ A) @ A.T, "numerical gradient of sum((xA)^2), h=1e-3", tol=1e-7)


def test_numerical_gradient_on_a_transposed_view(impl, rng):
    base = rng.standard_normal((3, 4))
    x = base.T  # not C-contiguous
    w = rng.standard_normal(x.shape)
    grad = impl.nn.gradient_check.numerical_gradient(lambda: float(np.sum(np.exp(x) * w)), x)
    assert_close(grad, np.exp(x) * w, "numerical gradient on a transposed view", tol=1e-8)


@pytest.mark.parametrize("a,b", [(3.0, 3.0), (1.0, -1.0), (0.0, 0.0), (2.0, 2.5)])
def test_rel_error_of_scalars(impl, a, b):
    expected = abs(a - b) / max(1e-8, abs(a) + abs(b))
    assert_close(impl.nn.gradient_check.rel_error(np.float64(a), np.float64(b)), expected, f"rel_error({a}, {b})")
