"""Task 04.3 (hidden): softmax and log_softmax on odd shapes and axes, masked (-inf) and extreme logits."""
import warnings

import numpy as np
import pytest
import torch

from grader import assert_close, assert_dtype
from grader.oracles import tensor

pytestmark = pytest.mark.task("04.3")

FUNCS = {"softmax": torch.softmax, "log_softmax": torch.log_softmax}
ODD = {  # id -> (shape, axis)
    "one class": ((4, 1), -1), "(1, 1)": ((1, 1), -1), "1-d axis=0": ((6,), 0), "5-d axis=2": ((2, 1, 3, 2, 2), 2),
    "axis=-3": ((3, 2, 4), -3), "1000 classes": ((3, 1000), -1), "empty batch": ((0, 5), -1),
}


def expected(name, x, axis=-1):
    return FUNCS[name](tensor(x), dim=axis).numpy()


@pytest.mark.parametrize("name", FUNCS)
@pytest.mark.parametrize("shape,axis", ODD.values(), ids=ODD.keys())
def test_matches_reference_and_torch(impl, ref, rng, name, shape, axis):
    x = rng.standard_normal(shape) * 4
    got = getattr(impl.nn.softmax, name)(x, axis=axis)
    assert_close(got, getattr(ref.nn.softmax, name)(x, axis=axis), f"{name}(x, axis={axis}) (vs reference)")
    assert_close(got, expected(name, x, axis), f"{name}(x, axis={axis}) (vs torch)")


@pytest.mark.parametrize("name", FUNCS)
def test_masked_logits(impl, name):
    """-inf logits (masked classes) get probability 0 and log-probability -inf; the others share the mass."""
    x = np.array([[0.5, -np.inf, 1.5, -np.inf], [-np.inf, 2.0, -np.inf, -np.inf], [1.0, 2.0, 3.0, 4.0]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = getattr(impl.nn.softmax, name)(x)
    assert_close(got, expected(name, x), f"{name} of rows with -inf (masked) logits",
                 nonfinite_hint="a masked logit is -inf; after subtracting the (finite) row maximum, "
                                "exp(-inf) = 0 and every other entry stays finite")
    noisy = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not noisy, f"{name} of rows with -inf logits raised a warning ({noisy[0]})"


@pytest.mark.parametrize("name", FUNCS)
def test_extreme_logits(impl, name):
    x = np.array([[1e300, -1e300, 0.0], [1e6, 1e6, 1e6 - 1.0], [-1e6, -1e6 - 2.0, -1e6 - 40.0]])
    with np.errstate(all="ignore"):
        got = getattr(impl.nn.softmax, name)(x)
    assert_close(got, expected(name, x), f"{name} of logits up to +-1e300",
                 nonfinite_hint="exp overflowed or underflowed: subtract the row maximum first")


@pytest.mark.parametrize("name", FUNCS)
def test_equal_logits_are_uniform(impl, name):
    x = np.full((3, 8), 123.0)
    want = np.full((3, 8), 1 / 8) if name == "softmax" else np.full((3, 8), -np.log(8))
    assert_close(getattr(impl.nn.softmax, name)(x), want, f"{name} of equal logits (1/C, or -ln C)")


@pytest.mark.parametrize("name", FUNCS)
def test_float32_large_logits(impl, rng, name):
    x = (rng.standard_normal((4, 6)) * 1e4).astype(np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = getattr(impl.nn.softmax, name)(x)
    assert_dtype(got, np.float32, f"{name}(x)", "float32 input")
    assert_close(got, FUNCS[name](torch.from_numpy(x), dim=-1).numpy(), f"{name} of float32 logits near +-1e4",
                 tol=1e-5, nonfinite_hint="exp(x) overflows float32 above x = 88: subtract the row maximum first")
    noisy = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not noisy, f"{name} of float32 logits near 1e4 raised a warning ({noisy[0]}): exp overflowed"


def test_softmax_is_the_exp_of_log_softmax_on_many_axes(impl, rng):
    x = rng.standard_normal((3, 4, 5)) * 5
    for axis in (0, 1, 2, -1):
        p = impl.nn.softmax.softmax(x, axis=axis)
        assert_close(p.sum(axis=axis), np.ones(np.delete(x.shape, axis % 3)), f"sums of softmax(x, axis={axis})")
        assert_close(np.exp(impl.nn.softmax.log_softmax(x, axis=axis)), p, f"exp(log_softmax(x, axis={axis}))")
