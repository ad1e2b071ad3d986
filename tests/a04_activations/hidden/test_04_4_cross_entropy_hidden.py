"""Task 04.4 (hidden): cross_entropy on odd sizes, soft labels and integer dtypes, with the reference as oracle."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader import assert_close, assert_dtype
from grader.oracles import torch_run

pytestmark = pytest.mark.task("04.4")

ODD = {"N=1,C=1": (1, 1), "N=1,C=2": (1, 2), "N=7,C=1000": (7, 1000), "N=50,C=3": (50, 3)}


def torch_ce(logits, target):
    """torch's loss and dL/dlogits; ``target`` is int64 indices or float64 probabilities."""
    t = torch.from_numpy(np.asarray(target))
    loss, g = torch_run(lambda z: F.cross_entropy(z, t), {"z": logits})
    return float(loss), g["z"]


@pytest.mark.parametrize("kind", ["indices", "one-hot"])
@pytest.mark.parametrize("shape", ODD.values(), ids=ODD.keys())
def test_matches_reference_and_torch(impl, ref, rng, shape, kind):
    n, c = shape
    logits, idx = rng.standard_normal(shape) * 3, rng.integers(0, c, n)
    targets = idx if kind == "indices" else np.eye(c)[idx]
    loss, dlogits = impl.nn.cross_entropy.cross_entropy(logits, targets)
    ref_loss, ref_grad = ref.nn.cross_entropy.cross_entropy(logits, targets)
    want_loss, want_grad = torch_ce(logits, idx)
    assert_close(loss, ref_loss, f"loss (vs reference, {kind})")
    assert_close(loss, want_loss, f"loss (vs torch, {kind})")
    assert_close(dlogits, ref_grad, f"dlogits (vs reference, {kind})", batch_size=n)
    assert_close(dlogits, want_grad, f"dlogits (vs torch, {kind})", batch_size=n)


def test_soft_labels(impl, rng):
    logits = rng.standard_normal((5, 4)) * 2
    probs = rng.uniform(0.0, 1.0, (5, 4))
    probs /= probs.sum(axis=1, keepdims=True)
    loss, dlogits = impl.nn.cross_entropy.cross_entropy(logits, probs)
    want_loss, want_grad = torch_ce(logits, probs)
    assert_close(loss, want_loss, "loss with soft labels (rows of probabilities)")
    assert_close(dlogits, want_grad, "dlogits with soft labels: (softmax - targets) / N", batch_size=5)


@pytest.mark.parametrize("dtype", [np.int32, np.int16, np.uint8, np.int64])
def test_integer_dtypes_of_class_indices(impl, rng, dtype):
    logits, idx = rng.standard_normal((6, 5)), rng.integers(0, 5, 6)
    loss, dlogits = impl.nn.cross_entropy.cross_entropy(logits, idx.astype(dtype))
    want_loss, want_grad = torch_ce(logits, idx)
    assert_close(loss, want_loss, f"loss with {np.dtype(dtype).name} class indices")
    assert_close(dlogits, want_grad, f"dlogits with {np.dtype(dtype).name} class indices", batch_size=6)


def test_integer_one_hot_and_float32_logits(impl, rng):
    logits, idx = rng.standard_normal((4, 3)).astype(np.float32), rng.integers(0, 3, 4)
    loss, dlogits = impl.nn.cross_entropy.cross_entropy(logits, np.eye(3, dtype=np.int64)[idx])
    assert isinstance(loss, float), f"the loss should be a Python float, got {type(loss).__name__}"
    assert_dtype(dlogits, np.float32, "dlogits", "float32 logits (the targets' dtype must not promote it)")
    want_loss, want_grad = torch_ce(logits.astype(np.float64), idx)
    assert_close(loss, want_loss, "loss (integer one-hot, float32 logits)", tol=1e-5)
    assert_close(dlogits, want_grad, "dlogits (integer one-hot, float32 logits)", tol=1e-5)


def test_gradient_rows_sum_to_zero_and_confident_rows_cost_nothing(impl, rng):
    logits, idx = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    logits[np.arange(6), idx] += 1e4  # every sample predicts its own class with certainty
    loss, dlogits = impl.nn.cross_entropy.cross_entropy(logits, idx)
    assert_close(loss, 0.0, "loss when every true class wins by 1e4")
    assert_close(dlogits, np.zeros((6, 4)), "dlogits when every true class wins by 1e4")
    logits2, idx2 = rng.standard_normal((5, 7)) * 3, rng.integers(0, 7, 5)
    _, d2 = impl.nn.cross_entropy.cross_entropy(logits2, idx2)
    assert_close(d2.sum(axis=1), np.zeros(5), "row sums of dlogits (softmax and one-hot rows both sum to 1)")


def test_uniform_logits_with_many_classes(impl, rng):
    loss, _ = impl.nn.cross_entropy.cross_entropy(np.zeros((3, 1000)), rng.integers(0, 1000, 3))
    assert_close(loss, math.log(1000), "loss at uniform logits with C = 1000 (ln 1000)")


def test_repeated_calls_are_independent(impl, rng):
    a, ia = rng.standard_normal((4, 3)), rng.integers(0, 3, 4)
    b, ib = rng.standard_normal((2, 5)), rng.integers(0, 5, 2)
    first = impl.nn.cross_entropy.cross_entropy(a, ia)
    impl.nn.cross_entropy.cross_entropy(b, ib)
    again = impl.nn.cross_entropy.cross_entropy(a, ia)
    assert_close(again[0], first[0], "loss on a second call with the same inputs")
    assert_close(again[1], first[1], "dlogits on a second call with the same inputs")


BAD = {  # id -> (logits shape, targets, any one of these texts must be in the message)
    "several bad indices": ((3, 4), np.array([0, 9, -3]), ("9", "-3")),
    "index far above C": ((2, 3), np.array([1000, 0]), ("1000",)),
    "int32 negative index": ((2, 3), np.array([0, -2], dtype=np.int32), ("-2",)),
    "too many indices": ((4, 5), np.array([0, 1, 2, 3, 4, 0]), ("(6,)",)),
    "3-d targets": ((2, 2), np.zeros((2, 2, 2)), ("(2, 2, 2)",)),
    "one-hot with too few rows": ((4, 3), np.eye(3), ("(3, 3)",)),
    "float class indices": ((3, 4), np.array([0.0, 1.0, 2.0]), ("float",)),
    "one-hot row sums to 0.75": ((3, 4), np.array([[0.25, 0.5, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]), ("0.75",)),
    "1-d logits": ((5,), np.array([1]), ("(5,)",)),
}


@pytest.mark.parametrize("shape,targets,texts", BAD.values(), ids=BAD.keys())
def test_more_bad_inputs_raise_value_error(impl, rng, shape, targets, texts):
    logits = rng.standard_normal(shape)
    try:
        impl.nn.cross_entropy.cross_entropy(logits, targets)
    except ValueError as exc:
        assert any(t in str(exc) for t in texts), (f"the ValueError should name the offending value "
                                                  f"({' or '.join(texts)}); its message was: {exc}")
    else:
        raise AssertionError(f"cross_entropy(logits {shape}, targets of shape {targets.shape}) returned without "
                             f"raising ValueError")
