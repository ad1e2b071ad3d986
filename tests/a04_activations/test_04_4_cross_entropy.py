"""Task 04.4: cross_entropy from logits (value and gradient), against torch F.cross_entropy (float64)."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader import assert_close, assert_dtype, gradcheck
from grader.oracles import torch_run

pytestmark = pytest.mark.task("04.4")

SHAPES = {"N=4,C=5": (4, 5), "batch of 1": (1, 3), "binary": (8, 2), "N=3,C=10": (3, 10)}
KINDS = ["indices", "one-hot"]


def problem(rng, n, c, kind, scale=2.0):
    logits = rng.standard_normal((n, c)) * scale
    idx = rng.integers(0, c, n)
    targets = idx if kind == "indices" else np.eye(c)[idx]
    return logits, idx, targets


def torch_ce(logits, idx):
    """Loss and dL/dlogits from torch (class-index targets; one-hot gives the same numbers)."""
    loss, g = torch_run(lambda z: F.cross_entropy(z, torch.from_numpy(idx)), {"z": logits})
    return float(loss), g["z"]


def loss_mistakes(loss, n, c):
    return {f"the loss is summed over the batch: cross_entropy is the MEAN over the N = {n} rows": loss * n,
            f"the loss was divided by N*C: average over the N = {n} rows only, not over the C = {c} classes":
                loss / c}


def grad_mistakes(logits, n):
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return {"the one-hot targets were not subtracted: dL/dlogits = (softmax(logits) - onehot) / N": p / n}


def call(impl, logits, targets):
    out = impl.nn.cross_entropy.cross_entropy(logits, targets)
    assert isinstance(out, tuple) and len(out) == 2, \
        f"cross_entropy should return a tuple (loss, dlogits), got {type(out).__name__}"
    return out


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_loss_matches_torch(impl, rng, shape, kind):
    logits, idx, targets = problem(rng, *shape, kind)
    loss, _ = call(impl, logits, targets)
    want, _ = torch_ce(logits, idx)
    assert isinstance(loss, float), f"the loss should be a Python float, got {type(loss).__name__} (use float(...))"
    assert_close(loss, want, f"loss ({kind} targets)", mistakes=loss_mistakes(want, *shape))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_gradient_matches_torch(impl, rng, shape, kind):
    logits, idx, targets = problem(rng, *shape, kind)
    _, dlogits = call(impl, logits, targets)
    _, want = torch_ce(logits, idx)
    assert_close(dlogits, want, f"dlogits ({kind} targets)", batch_size=shape[0],
                 mistakes=grad_mistakes(logits, shape[0]))


@pytest.mark.parametrize("kind", KINDS)
def test_gradient_by_finite_differences(impl, rng, kind):
    logits, idx, targets = problem(rng, 3, 4, kind)
    _, dlogits = call(impl, logits, targets)
    gradcheck(lambda z: call(impl, z, targets)[0], logits, dlogits, "dlogits", batch_size=3)


@pytest.mark.parametrize("value", [0.0, 3.7], ids=["zeros", "constant"])
def test_uniform_logits_give_ln_C(impl, rng, value):
    n, c = 6, 10
    idx = rng.integers(0, c, n)
    loss, dlogits = call(impl, np.full((n, c), value), idx)
    assert_close(loss, math.log(c), f"loss at uniform logits (every class has probability 1/C, so ln(C) = ln({c}))",
                 mistakes=loss_mistakes(math.log(c), n, c))
    assert_close(dlogits, (1.0 / c - np.eye(c)[idx]) / n, "dlogits at uniform logits: (1/C - onehot) / N",
                 batch_size=n)


@pytest.mark.parametrize("kind", KINDS)
def test_large_logits_stay_finite(impl, rng, kind):
    logits, idx, targets = problem(rng, 4, 5, kind)
    logits = logits * 5e3
    logits[0] = [1e4, -1e4, 0.0, 5e3, -5e3]
    idx[0] = 1  # the true class has the smallest logit: the loss is 2e4, not inf
    targets = idx if kind == "indices" else np.eye(5)[idx]
    with np.errstate(all="ignore"):
        loss, dlogits = call(impl, logits, targets)
    want_loss, want_grad = torch_ce(logits, idx)
    hint = ("exp of a logit near 1e4 overflows: subtract each row's maximum m first and use "
            "log softmax(z)_y = (z_y - m) - log(sum_j exp(z_j - m)) (the log-sum-exp trick)")
    assert_close(loss, want_loss, "loss with logits near +-1e4", nonfinite_hint=hint)
    assert_close(dlogits, want_grad, "dlogits with logits near +-1e4", batch_size=4, nonfinite_hint=hint)


def test_float32_logits(impl, rng):
    logits, idx, _ = problem(rng, 5, 4, "indices")
    loss, dlogits = call(impl, logits.astype(np.float32), idx)
    assert isinstance(loss, float), f"the loss should be a Python float, got {type(loss).__name__}"
    assert_dtype(dlogits, np.float32, "dlogits", "float32 logits")
    want_loss, want_grad = torch_ce(logits.astype(np.float32).astype(np.float64), idx)
    assert_close(loss, want_loss, "loss from float32 logits", tol=1e-5)
    assert_close(dlogits, want_grad, "dlogits from float32 logits", tol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_inputs_are_not_modified(impl, rng, kind):
    logits, idx, targets = problem(rng, 4, 3, kind)
    logits0, targets0 = logits.copy(), targets.copy()
    loss, dlogits = call(impl, logits, targets)
    want_loss, want_grad = torch_ce(logits0, idx)
    assert_close(loss, want_loss, "loss")
    assert_close(dlogits, want_grad, "dlogits")
    assert_close(logits, logits0, "logits after cross_entropy (they must not be modified)")
    assert np.array_equal(targets, targets0), "cross_entropy modified the targets it was given"


BAD = {  # id -> (logits shape, targets, text the ValueError must contain)
    "index == C": ((4, 5), np.array([0, 5, 1, 2]), "5"),
    "index > C": ((4, 5), np.array([0, 1, 7, 2]), "7"),
    "negative index": ((4, 5), np.array([0, 1, 2, -1]), "-1"),
    "indices of the wrong length": ((4, 5), np.array([0, 1, 2]), "(3,)"),
    "one-hot of the wrong width": ((4, 5), np.eye(6)[[0, 1, 2, 3]], "(4, 6)"),
    "one-hot row sums to 0.25": ((3, 4), np.array([[1.0, 0, 0, 0], [0, 0.25, 0, 0], [0, 0, 1, 0]]), "0.25"),
    "one-hot row sums to 1.5": ((3, 4), np.array([[0.5, 0.5, 0.5, 0], [0, 1, 0, 0], [0, 0, 1, 0]]), "1.5"),
}


@pytest.mark.parametrize("shape,targets,text", BAD.values(), ids=BAD.keys())
def test_bad_targets_raise_value_error(impl, rng, shape, targets, text):
    logits = rng.standard_normal(shape)
    try:
        impl.nn.cross_entropy.cross_entropy(logits, targets)
    except ValueError as exc:
        assert text in str(exc), (f"the ValueError should name the offending value {text}; "
                                  f"its message was: {exc}")
    else:
        raise AssertionError(f"cross_entropy(logits {shape}, targets {targets.tolist()}) returned without raising "
                             f"ValueError: check the targets before using them (and name the bad value, {text}).")
