"""Task 01.2 (hidden): unbroadcast on odd shapes, size 0, three operands, against the reference and torch."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.extra import numpy as hnp

from grader import assert_close
from grader.oracles import torch_run

pytestmark = pytest.mark.task("01.2")

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    report_multiple_bugs=False, suppress_health_check=list(HealthCheck))


def torch_grad(shape, grad):
    _, g = torch_run(lambda a, b: a + b, {"a": np.zeros(shape), "b": np.zeros(grad.shape)}, grad)
    return g["a"]


def expect(ok, message):
    """Fail with ``message`` alone (no assertion rewriting noise) unless ``ok``."""
    if not ok:
        raise AssertionError(message)


CASES = {
    "5-d to scalar": ((2, 1, 3, 2, 2), ()),
    "5-d to (1,)": ((2, 1, 3, 2, 2), (1,)),
    "5-d to middle axes": ((2, 4, 3, 2, 2), (4, 1, 2, 1)),
    "already 1 in grad": ((3, 1, 4), (1, 1, 4)),
    "vector to (1,)": ((6,), (1,)),
    "(N,T,D) to per-time (T,1)": ((3, 5, 4), (5, 1)),
    "unchanged 3-d": ((2, 3, 4), (2, 3, 4)),
}


@pytest.mark.parametrize("grad_shape,shape", CASES.values(), ids=CASES.keys())
def test_matches_reference_and_torch(impl, ref, rng, grad_shape, shape):
    grad = rng.standard_normal(grad_shape)
    got = impl.tensors.broadcasting.unbroadcast(grad, shape)
    assert_close(got, ref.tensors.broadcasting.unbroadcast(grad, shape), f"unbroadcast(grad {grad_shape}, {shape}) vs reference")
    assert_close(got, torch_grad(shape, grad), f"unbroadcast(grad {grad_shape}, {shape}) vs torch")


def test_zero_size_batch_gives_zeros(impl):
    grad = np.zeros((0, 3))
    assert_close(impl.tensors.broadcasting.unbroadcast(grad, (3,)), np.zeros(3), "unbroadcast(grad (0, 3), (3,))")
    assert_close(impl.tensors.broadcasting.unbroadcast(grad, (1, 3)), np.zeros((1, 3)), "unbroadcast(grad (0, 3), (1, 3))")


def test_shape_given_as_a_list(impl, rng):
    grad = rng.standard_normal((4, 3))
    assert_close(impl.tensors.broadcasting.unbroadcast(grad, [1, 3]), grad.sum(axis=0, keepdims=True),
                 "unbroadcast(grad (4, 3), [1, 3])")


def test_integer_gradient_sums_exactly(impl):
    grad = np.arange(12).reshape(3, 4)
    got = impl.tensors.broadcasting.unbroadcast(grad, (3, 1))
    expect(np.asarray(got).shape == (3, 1) and np.array_equal(np.asarray(got), grad.sum(axis=1, keepdims=True)),
           f"unbroadcast(arange(12).reshape(3, 4), (3, 1)) gave {got!r}, expected [[6], [22], [38]]")


@SETTINGS
@given(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, min_side=1, max_side=3))
def test_three_operand_sum_matches_torch(impl, rng, case):
    grad = rng.standard_normal(case.result_shape)
    inputs = {name: np.zeros(s) for name, s in zip("abc", case.input_shapes)}
    _, g = torch_run(lambda a, b, c: a + b + c, inputs, grad)
    for name, s in zip("abc", case.input_shapes):
        assert_close(impl.tensors.broadcasting.unbroadcast(grad, s), g[name],
                     f"unbroadcast(grad {case.result_shape}, {s}) for operand {name} of a + b + c")
