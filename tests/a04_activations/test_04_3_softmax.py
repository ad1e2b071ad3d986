"""Task 04.3: stable softmax and log_softmax, against torch (float64), with logits large enough to overflow exp."""
import numpy as np
import pytest
import torch

from grader import assert_close, assert_dtype
from grader.oracles import tensor

pytestmark = pytest.mark.task("04.3")

FUNCS = {"softmax": torch.softmax, "log_softmax": torch.log_softmax}

CASES = {  # id -> (shape, axis)
    "N,C": ((4, 5), -1), "batch of 1": ((1, 6), -1), "vector": ((7,), -1), "N,T,C": ((2, 3, 4), -1),
    "axis=0": ((5, 3), 0), "N,C,H,W axis=1": ((2, 3, 2, 2), 1), "axis=-2": ((2, 4, 3), -2),
}

OVERFLOW_HINT = ("exp overflowed (exp(710) is already inf in float64), or a sum of exps underflowed to 0. "
                 "Subtract the row maximum first: softmax(x) = softmax(x - max(x)), so every exponent is <= 0 "
                 "and the largest term is exp(0) = 1.")
LOG_HINT = ("log(softmax(x)) is log(0) = -inf once a probability underflows. Subtract the row maximum m and use "
            "the log-sum-exp trick: log_softmax(x) = (x - m) - log(sum(exp(x - m))).")


def run(impl, name, x, axis=None):
    fn = getattr(impl.nn.softmax, name)
    return fn(x) if axis is None else fn(x, axis=axis)


def expected(name, x, axis=-1):
    return FUNCS[name](tensor(x), dim=axis).numpy()


def mistakes(name, x, axis):
    """Values of the classic slips: normalising over the wrong axis, and log_softmax with the log of the max."""
    out = {}
    for other in range(x.ndim):
        if other != axis % x.ndim:
            out[f"{name} was normalised over axis {other}; it must be over axis={axis}"] = expected(name, x, other)
    if name == "log_softmax":
        out["log_softmax is x - m - log(sum(exp(x - m))): the max m must be subtracted from x as well"] = \
            np.log(np.sum(np.exp(x - x.max(axis=axis, keepdims=True)), axis=axis, keepdims=True)) * -1 + x
    return out


@pytest.mark.parametrize("name", FUNCS)
@pytest.mark.parametrize("shape,axis", CASES.values(), ids=CASES.keys())
def test_matches_torch(impl, rng, name, shape, axis):
    x = rng.standard_normal(shape) * 3
    got = run(impl, name, x, axis)
    assert_close(got, expected(name, x, axis), f"{name}(x, axis={axis})", mistakes=mistakes(name, x, axis))


@pytest.mark.parametrize("name", FUNCS)
def test_default_axis_is_the_last(impl, rng, name):
    x = rng.standard_normal((3, 4, 5))
    assert_close(run(impl, name, x), expected(name, x, -1), f"{name}(x) with the default axis",
                 mistakes=mistakes(name, x, -1))


@pytest.mark.parametrize("name", FUNCS)
def test_keepdims_on_a_square_input(impl, rng, name):
    """On a square (N, N) input a max or sum without keepdims broadcasts silently along the wrong axis."""
    x = rng.standard_normal((5, 5)) * 3
    good = x - x.max(axis=1, keepdims=True)
    bad = x - x.max(axis=1)  # row maxima subtracted from the columns
    hint = ("a max or sum over axis 1 without keepdims=True has shape (N,), which broadcasts across the COLUMNS "
            "of an (N, N) array: keep the reduced axis with keepdims=True")
    if name == "softmax":
        wrong = {"max": np.exp(bad) / np.exp(bad).sum(axis=1, keepdims=True),
                 "sum": np.exp(good) / np.exp(good).sum(axis=1),
                 "max and sum": np.exp(bad) / np.exp(bad).sum(axis=1)}
    else:
        wrong = {"max": bad - np.log(np.exp(bad).sum(axis=1, keepdims=True)),
                 "sum": good - np.log(np.exp(good).sum(axis=1)),
                 "max and sum": bad - np.log(np.exp(bad).sum(axis=1))}
    got = run(impl, name, x, -1)
    assert_close(got, expected(name, x, -1), f"{name} of a (5, 5) input",
                 mistakes={f"{hint} (this matches the {which} without it)": v for which, v in wrong.items()})


@pytest.mark.parametrize("scale", [1e4, -1e4], ids=["+1e4", "-1e4"])
@pytest.mark.parametrize("name", FUNCS)
def test_large_logits_do_not_overflow(impl, rng, name, scale):
    x = scale + rng.standard_normal((3, 5)) * 5  # every logit near +1e4 (exp overflows) or -1e4 (exp underflows)
    x[0] = [1e4, -1e4, 0.0, 5e3, -5e3]
    with np.errstate(all="ignore"):
        got = run(impl, name, x, -1)
    hint = OVERFLOW_HINT if name == "softmax" else LOG_HINT
    assert_close(got, expected(name, x, -1), f"{name} of logits near {scale:+g}", nonfinite_hint=hint)


def test_rows_sum_to_one_and_shift_invariance(impl, rng):
    x = rng.standard_normal((6, 4)) * 3
    p = impl.nn.softmax.softmax(x)
    assert_close(p.sum(axis=-1), np.ones(6), "the row sums of softmax(x)")
    shifted = impl.nn.softmax.softmax(x + rng.standard_normal((6, 1)) * 50)
    assert_close(shifted, p, "softmax(x + c) with c constant along each row (it must equal softmax(x))")
    assert_close(np.exp(impl.nn.softmax.log_softmax(x)), p, "exp(log_softmax(x)) (it must equal softmax(x))")


@pytest.mark.parametrize("name", FUNCS)
def test_float32_in_float32_out(impl, rng, name):
    x = rng.standard_normal((4, 6)).astype(np.float32)
    got = run(impl, name, x, -1)
    assert_dtype(got, np.float32, f"{name}(x)", "float32 input")
    assert_close(got, FUNCS[name](torch.from_numpy(x), dim=-1).numpy(), f"{name}(x) in float32", tol=1e-5)


@pytest.mark.parametrize("name", FUNCS)
def test_input_is_not_modified(impl, rng, name):
    x = rng.standard_normal((3, 4)) * 3
    before = x.copy()
    got = run(impl, name, x, -1)
    assert_close(got, expected(name, before, -1), f"{name}(x)")
    assert_close(x, before, f"x after {name}(x) (x -= x.max(...) changes the caller's array: "
                            f"compute x - x.max(...) into a new array)")
