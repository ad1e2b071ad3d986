"""Task 01.2: unbroadcast against torch autograd of a broadcast add (float64), finite differences and properties."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.extra import numpy as hnp

from grader import assert_close, assert_dtype, gradcheck
from grader.oracles import torch_run

pytestmark = pytest.mark.task("01.2")

SETTINGS = settings(max_examples=50, deadline=None, derandomize=True, database=None,
                    report_multiple_bugs=False, suppress_health_check=list(HealthCheck))


def torch_grad(shape, grad):
    """dL/da for out = a + b, with a of ``shape`` broadcast up to grad.shape and L = sum(out * grad)."""
    a, b = np.zeros(shape), np.zeros(grad.shape)
    _, g = torch_run(lambda a, b: a + b, {"a": a, "b": b}, grad)
    return g["a"]


def check(impl, grad, shape):
    got = impl.tensors.broadcasting.unbroadcast(grad, shape)
    # Only a plain 2-d gradient summed over a prepended axis can say "the sum over axis k" sensibly.
    hints = {"reduced_from": grad} if grad.ndim == 2 and len(shape) == 1 else {}
    assert_close(got, torch_grad(shape, grad), f"unbroadcast(grad of shape {grad.shape}, {shape})", **hints)


CASES = {
    "(4,3) to (3,)": ((4, 3), (3,)),
    "(3,3) to (3,)": ((3, 3), (3,)),
    "(4,3) to (1,3)": ((4, 3), (1, 3)),
    "(4,3) to (4,1)": ((4, 3), (4, 1)),
    "(4,3) to (1,1)": ((4, 3), (1, 1)),
    "(4,3) to ()": ((4, 3), ()),
    "(4,3) unchanged": ((4, 3), (4, 3)),
    "(2,4,3) to (4,3)": ((2, 4, 3), (4, 3)),
    "(2,4,3) to (4,1)": ((2, 4, 3), (4, 1)),
    "(2,4,3) to (2,1,3)": ((2, 4, 3), (2, 1, 3)),
    "(N,C,H,W) to per-channel (1,C,1,1)": ((2, 3, 4, 5), (1, 3, 1, 1)),
    "(N,C,H,W) to (C,1,1)": ((2, 3, 4, 5), (3, 1, 1)),
}


@pytest.mark.parametrize("grad_shape,shape", CASES.values(), ids=CASES.keys())
def test_matches_torch_autograd(impl, rng, grad_shape, shape):
    check(impl, rng.standard_normal(grad_shape), shape)


@SETTINGS
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=1, max_side=3))
def test_both_operands_of_a_broadcast_add_match_torch(impl, rng, case):
    grad = rng.standard_normal(case.result_shape)
    for shape in case.input_shapes:
        check(impl, grad, shape)


def test_matches_finite_differences(impl, rng):
    a = rng.standard_normal((1, 3, 1))
    B = rng.standard_normal((2, 4, 3, 5))
    G = rng.standard_normal((2, 4, 3, 5))
    got = impl.tensors.broadcasting.unbroadcast(G, a.shape)
    gradcheck(lambda v: float(np.sum((v + B) * G)), a, got,
              "unbroadcast(G, (1, 3, 1)) as dL/da for L = sum((a + B) * G)")


def test_total_is_preserved(impl, rng):
    grad = rng.standard_normal((3, 4, 5))
    got = impl.tensors.broadcasting.unbroadcast(grad, (4, 1))
    assert_close(np.sum(got), np.sum(grad), "sum of unbroadcast(grad, (4, 1)) (summing never loses gradient)")


def test_keeps_float32(impl, rng):
    grad = rng.standard_normal((4, 3)).astype(np.float32)
    got = impl.tensors.broadcasting.unbroadcast(grad, (1, 3))
    assert_dtype(got, np.float32, "unbroadcast(grad, (1, 3))", "float32 grad")
    assert_close(got, grad.sum(axis=0, keepdims=True), "unbroadcast(grad, (1, 3)) in float32", tol=1e-5)


def test_does_not_change_grad(impl, rng):
    grad = rng.standard_normal((2, 4, 3))
    before = grad.copy()
    got = impl.tensors.broadcasting.unbroadcast(grad, (4, 1))
    assert_close(grad, before, "grad after unbroadcast(grad, shape) (the input must not be modified)")
    assert_close(got, torch_grad((4, 1), before), "unbroadcast(grad of shape (2, 4, 3), (4, 1))")
