"""assert_close: what it accepts, what it rejects, and the hint it gives for each classic mistake."""
import numpy as np
import pytest

from grader import assert_close, assert_dtype, rel_error


def fails(actual, expected, **kw) -> str:
    with pytest.raises(AssertionError) as info:
        assert_close(actual, expected, "dW", **kw)
    return str(info.value)


@pytest.fixture
def g():
    return np.random.default_rng(0)


def test_passes_within_tolerance(g):
    e = g.standard_normal((3, 4))
    assert_close(e * (1 + 1e-9), e, "x")
    assert_close(np.float64(2.0), 2.0, "x")
    assert_close(2.0, np.array(2.0), "x")


def test_rel_error_is_elementwise_with_floor():
    assert rel_error(np.array([1.0, 0.0]), np.array([1.0, 1e-12])) == pytest.approx(1e-12 / 1e-8)
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0


def test_message_names_quantity_shape_worst_index(g):
    e = g.standard_normal((3, 4))
    a = e.copy()
    a[2, 1] += 1.0
    msg = fails(a, e)
    assert "dW does not match" in msg and "(3, 4)" in msg and "index (2, 1)" in msg and "relative error" in msg


def test_transposed_shape(g):
    e = g.standard_normal((3, 5))
    msg = fails(e.T.copy(), e)
    assert "shape (5, 3)" in msg and "(3, 5)" in msg and "transposed" in msg


def test_transposed_square(g):
    e = g.standard_normal((4, 4))
    assert "transposed" in fails(e.T.copy(), e)


@pytest.mark.parametrize("factor,words", [(8, "scaled by N = 8"), (1 / 8, "scaled by 1/N = 1/8"), (3.0, "constant factor")])
def test_scaled(g, factor, words):
    e = g.standard_normal(5)
    assert words in fails(e * factor, e, batch_size=8)


def test_sign_flipped(g):
    e = g.standard_normal((2, 3))
    assert "opposite sign" in fails(-e, e)


def test_wrong_axis(g):
    dy = g.standard_normal((6, 6))
    assert "sum over axis 1" in fails(dy.sum(axis=1), dy.sum(axis=0), reduced_from=dy)
    dy = g.standard_normal((6, 4))
    assert "sum over axis 1" in fails(dy.sum(axis=1), dy.sum(axis=0), reduced_from=dy)


def test_broadcast_dimension(g):
    e = g.standard_normal((5, 3))
    a = e + g.standard_normal(3)  # the same error in every row
    assert "identical along axis 0" in fails(a, e)


def test_column_vector_trap(g):
    pred, target = g.standard_normal(5), g.standard_normal((5, 1))
    assert "column-vector trap" in fails((pred - target) ** 2, (pred - target[:, 0]) ** 2)


def test_nonfinite_with_hint():
    msg = fails(np.array([np.nan, 1.0]), np.array([0.5, 1.0]), nonfinite_hint="subtract the row maximum")
    assert "NaN/inf" in msg and "subtract the row maximum" in msg


def test_named_mistake(g):
    e = g.standard_normal(4)
    assert "overwrote" in fails(e / 2, e, mistakes={"you overwrote instead of adding": e / 2})


@pytest.mark.parametrize("actual,words", [(None, "is None"), ([1.0, 2.0], "should be an array"),
                                          (np.array([1, 2]), "floating-point")])
def test_type_and_dtype(actual, words):
    assert words in fails(actual, np.array([1.0, 2.0]))


def test_assert_dtype():
    assert_dtype(np.zeros(2, np.float32), np.float32)
    with pytest.raises(AssertionError, match="float64, expected float32"):
        assert_dtype(np.zeros(2), np.float32, "y")
