"""Task 01.4: pairwise_sq_dists against the direct formula, and sq_errors with a column-vector target."""
import numpy as np
import pytest

from grader import assert_close, assert_dtype

pytestmark = pytest.mark.task("01.4")


def direct(A, B):
    """sum_k (A[i, k] - B[j, k])**2 straight from the definition (an (N, M, D) intermediate)."""
    return ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=-1)


def expect(ok, message):
    """Fail with ``message`` alone (no assertion rewriting noise) unless ``ok``."""
    if not ok:
        raise AssertionError(message)


SHAPES = {"N,M,D = 5,4,3": (5, 4, 3), "N=1": (1, 6, 2), "M=1": (6, 1, 2), "D=1": (7, 7, 1), "square": (6, 6, 6)}


@pytest.mark.parametrize("n,m,d", SHAPES.values(), ids=SHAPES.keys())
def test_pairwise_matches_the_direct_formula(impl, rng, n, m, d):
    A, B = rng.standard_normal((n, d)), rng.standard_normal((m, d))
    assert_close(impl.tensors.distances.pairwise_sq_dists(A, B), direct(A, B), f"pairwise_sq_dists(A {A.shape}, B {B.shape})")


def test_pairwise_to_itself_is_symmetric_with_zero_diagonal(impl, rng):
    A = rng.standard_normal((8, 3))
    D = impl.tensors.distances.pairwise_sq_dists(A, A)
    assert_close(D + np.eye(8), direct(A, A) + np.eye(8), "pairwise_sq_dists(A, A) + I (its diagonal must be ~0)")
    assert_close(D, D.T, "pairwise_sq_dists(A, A) vs its transpose (distances are symmetric)")


def test_pairwise_never_negative(impl, rng):
    # Far from the origin, |a|^2 + |a|^2 - 2 a.a rounds to tiny negatives on the diagonal.
    A = rng.standard_normal((200, 4)) * 100.0
    D = impl.tensors.distances.pairwise_sq_dists(A, A)
    neg = D < 0
    expect(not neg.any(),
           f"pairwise_sq_dists(A, A) has {int(neg.sum())} negative entries (the smallest is {D.min():.3g}), but a "
           f"squared distance is never negative.\n  hint: rounding in |a|^2 + |b|^2 - 2 a.b dips below 0 where "
           f"the distance is 0; clip the result to 0 (xp.maximum(D, 0)).")
    worst = float(np.max(np.abs(np.diag(D))))
    expect(worst <= 1e-9 * 100.0 ** 2, f"the distance from a point to itself should be ~0, got up to {worst:.3g}")
    off = ~np.eye(200, dtype=bool)
    assert_close(D[off], direct(A, A)[off], "pairwise_sq_dists(A, A) off the diagonal")


def test_pairwise_keeps_float32(impl, rng):
    A, B = rng.standard_normal((5, 3)).astype(np.float32), rng.standard_normal((4, 3)).astype(np.float32)
    D = impl.tensors.distances.pairwise_sq_dists(A, B)
    assert_dtype(D, np.float32, "D", "float32 A and B")
    assert_close(D, direct(A.astype(np.float64), B.astype(np.float64)), "D in float32", tol=1e-5)


def test_pairwise_does_not_change_its_inputs(impl, rng):
    A, B = rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    a0, b0 = A.copy(), B.copy()
    D = impl.tensors.distances.pairwise_sq_dists(A, B)
    assert_close(A, a0, "A after pairwise_sq_dists (inputs must not be modified)")
    assert_close(B, b0, "B after pairwise_sq_dists (inputs must not be modified)")
    assert_close(D, direct(a0, b0), "D = pairwise_sq_dists(A, B)")


@pytest.mark.parametrize("target_shape", ["(N,)", "(N, 1)"])
def test_sq_errors(impl, rng, target_shape):
    pred, y = rng.standard_normal(6), rng.standard_normal(6)
    target = y if target_shape == "(N,)" else y.reshape(6, 1)
    got = impl.tensors.distances.sq_errors(pred, target)
    assert_close(got, (pred - y) ** 2, f"sq_errors(pred (N,), target {target_shape})")


def test_sq_errors_batch_of_1(impl, rng):
    pred, y = rng.standard_normal(1), rng.standard_normal((1, 1))
    assert_close(impl.tensors.distances.sq_errors(pred, y), (pred - y[:, 0]) ** 2, "sq_errors(pred (1,), target (1, 1))")


def test_sq_errors_keeps_float32_and_inputs(impl, rng):
    pred, y = rng.standard_normal(5).astype(np.float32), rng.standard_normal((5, 1)).astype(np.float32)
    p0, y0 = pred.copy(), y.copy()
    got = impl.tensors.distances.sq_errors(pred, y)
    assert_dtype(got, np.float32, "sq_errors", "float32 pred and target")
    assert_close(got, (pred.astype(np.float64) - y[:, 0]) ** 2, "sq_errors in float32", tol=1e-5)
    assert_close(pred, p0, "pred after sq_errors (inputs must not be modified)")
    assert_close(y, y0, "target after sq_errors (inputs must not be modified)")


@pytest.mark.timeout(3)
def test_pairwise_2000_by_2000_without_python_loops(impl, rng):
    # A loop over pairs in Python takes far longer than the time limit; one matrix product takes well under it.
    A, B = rng.standard_normal((2000, 3)), rng.standard_normal((2000, 3))
    D = impl.tensors.distances.pairwise_sq_dists(A, B)
    expect(getattr(D, "shape", None) == (2000, 2000),
           f"pairwise_sq_dists returned shape {getattr(D, 'shape', None)}, expected (2000, 2000)")
    rows = rng.choice(2000, size=16, replace=False)
    assert_close(D[rows], direct(A[rows], B), "16 sampled rows of pairwise_sq_dists(A, B), N = M = 2000")
