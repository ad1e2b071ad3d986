"""Task 01.4 (hidden): pairwise_sq_dists and sq_errors on edge cases, against the reference and the direct formula."""
import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("01.4")


def direct(A, B):
    return ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=-1)


def expect(ok, message):
    """Fail with ``message`` alone (no assertion rewriting noise) unless ``ok``."""
    if not ok:
        raise AssertionError(message)


SHAPES = {"1 by 1": (1, 1, 4), "D=20": (5, 3, 20), "tall": (40, 2, 3), "wide": (2, 40, 3)}


@pytest.mark.parametrize("n,m,d", SHAPES.values(), ids=SHAPES.keys())
def test_pairwise_matches_reference_and_direct(impl, ref, rng, n, m, d):
    A, B = rng.standard_normal((n, d)), rng.standard_normal((m, d))
    D = impl.tensors.distances.pairwise_sq_dists(A, B)
    assert_close(D, ref.tensors.distances.pairwise_sq_dists(A, B), f"pairwise_sq_dists(A {A.shape}, B {B.shape}) vs reference")
    assert_close(D, direct(A, B), f"pairwise_sq_dists(A {A.shape}, B {B.shape}) vs the direct formula")


def test_pairwise_with_an_offset_far_from_the_origin(impl, rng):
    A = rng.standard_normal((6, 3)) + 1e3
    B = rng.standard_normal((5, 3)) + 1e3
    D = impl.tensors.distances.pairwise_sq_dists(A, B)
    assert_close(D, direct(A, B), "pairwise_sq_dists for points near (1000, 1000, 1000)", tol=1e-6)


def test_pairwise_with_duplicate_points(impl, rng):
    A = rng.standard_normal((4, 3)) * 30.0
    B = np.concatenate([A[::-1], A])
    D = impl.tensors.distances.pairwise_sq_dists(A, B)
    expect(D.shape == (4, 8), f"pairwise_sq_dists(A (4, 3), B (8, 3)) has shape {D.shape}, expected (4, 8)")
    expect(bool(np.all(D >= 0)), f"pairwise_sq_dists gave a negative entry ({D.min():.3g}) for duplicate points: "
                                 f"clip the result to 0")
    assert_close(D[:, 4:] + np.eye(4), direct(A, A) + np.eye(4), "pairwise_sq_dists(A, [A[::-1], A])[:, 4:] + I")
    assert_close(D[:, :4] + np.eye(4)[::-1], direct(A, A[::-1]) + np.eye(4)[::-1],
                 "pairwise_sq_dists(A, [A[::-1], A])[:, :4] + anti-diagonal")


def test_pairwise_integer_coordinates(impl):
    A = np.array([[0.0, 0.0], [3.0, 4.0]])
    B = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 0.0]])
    expected = np.array([[0.0, 2.0, 9.0], [25.0, 13.0, 16.0]])
    assert_close(impl.tensors.distances.pairwise_sq_dists(A, B), expected, "pairwise_sq_dists on a 3-4-5 triangle")


@pytest.mark.parametrize("n", [1, 2, 9])
def test_sq_errors_column_target_matches_reference(impl, ref, rng, n):
    pred, target = rng.standard_normal(n), rng.standard_normal((n, 1))
    got = impl.tensors.distances.sq_errors(pred, target)
    assert_close(got, ref.tensors.distances.sq_errors(pred, target), f"sq_errors(pred ({n},), target ({n}, 1)) vs reference")
    assert_close(got, (pred - target[:, 0]) ** 2, f"sq_errors(pred ({n},), target ({n}, 1))")


@pytest.mark.parametrize("target_shape", [(1, 5), (5, 2), (4,), (5, 1, 1)], ids=["row (1, N)", "(N, 2)",
                                                                              "too short", "(N, 1, 1)"])
def test_sq_errors_refuses_other_target_shapes(impl, rng, target_shape):
    pred, target = rng.standard_normal(5), rng.standard_normal(target_shape)
    try:
        got = impl.tensors.distances.sq_errors(pred, target)
    except ValueError:
        return
    raise AssertionError(f"sq_errors(pred (5,), target {target_shape}) returned shape {np.shape(got)}; "
                         f"only (5,) or (5, 1) targets are allowed: raise ValueError")


def test_sq_errors_mean_is_the_mse(impl, rng):
    pred, target = rng.standard_normal(7), rng.standard_normal((7, 1))
    mse = float(np.mean(impl.tensors.distances.sq_errors(pred, target)))
    assert_close(mse, np.mean((pred - target[:, 0]) ** 2), "mean of sq_errors (the MSE)")
