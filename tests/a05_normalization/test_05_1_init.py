"""Task 05.1: Xavier and Kaiming initialisation: gains and fans against torch.nn.init, samples by bounds and statistics."""
import math

import numpy as np
import pytest
import torch
import torch.nn.init as tinit

from grader import assert_close, assert_dtype

pytestmark = pytest.mark.task("05.1")

CONV = (64, 256, 2, 2)      # a conv weight (out, in, kh, kw): fan_in = 1024, fan_out = 256; 65536 values
LINEAR = (512, 128)         # a Linear weight (out, in): fan_in = 128, fan_out = 512; 65536 values
SHAPES = {"conv (64, 256, 2, 2)": CONV, "linear (512, 128)": LINEAR}

GAINS = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None), ("conv_transpose2d", None),
         ("sigmoid", None), ("tanh", None), ("relu", None), ("selu", None), ("leaky_relu", None),
         ("leaky_relu", 0.2), ("leaky_relu", 0), ("leaky_relu", 1), ("leaky_relu", 3), ("leaky_relu", math.sqrt(5))]


def fans(shape):
    rf = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * rf, shape[0] * rf


def leaky_gain(a):
    return math.sqrt(2.0 / (1.0 + a * a))


# name -> (kwargs, true gain, fan used, mistakes as (label, gain, fan) with the fans of the shape)
def kaiming_cases(shape):
    fi, fo = fans(shape)
    a5 = math.sqrt(5.0)
    fan_out_hint = ("used fan_out where mode='fan_in' (the default): Kaiming scales by the fan of the pass it "
                    "protects, fan_in = in * prod(kernel) for the forward pass")
    return {
        "defaults (a=0, fan_in, leaky_relu)": ({}, leaky_gain(0.0), fi, [
            (fan_out_hint, leaky_gain(0.0), fo),
            ("the gain is missing: with the defaults it is calculate_gain('leaky_relu', 0) = sqrt(2)", 1.0, fi)]),
        "a=sqrt(5) (torch's Linear and Conv default)": ({"a": a5}, leaky_gain(a5), fi, [
            (fan_out_hint, leaky_gain(a5), fo),
            ("a was ignored: the gain is calculate_gain(nonlinearity, a) = sqrt(2 / (1 + a^2))", math.sqrt(2), fi),
            ("a was not squared in the gain: sqrt(2 / (1 + a^2))", math.sqrt(2.0 / (1 + a5)), fi)]),
        "mode=fan_out, relu": ({"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2.0), fo, [
            ("used fan_in although mode='fan_out'", math.sqrt(2.0), fi)]),
        "tanh": ({"nonlinearity": "tanh"}, 5.0 / 3.0, fi, [
            (fan_out_hint, 5.0 / 3.0, fo), ("tanh's gain is 5/3", 1.0, fi)]),
        "leaky_relu, a=0.2": ({"a": 0.2}, leaky_gain(0.2), fi, [
            (fan_out_hint, leaky_gain(0.2), fo),
            ("a was ignored: the gain is calculate_gain('leaky_relu', a)", math.sqrt(2), fi)]),
    }


def xavier_cases(shape):
    fi, fo = fans(shape)
    return {
        "gain=1": (1.0, [("Xavier averages both fans: std = gain * sqrt(2 / (fan_in + fan_out))", 1.0 / math.sqrt(fi)),
                         ("Xavier uses 2 / (fan_in + fan_out), not 1 / (fan_in + fan_out)",
                          math.sqrt(1.0 / (fi + fo)))]),
        "gain=5/3 (tanh)": (5.0 / 3.0, [("the gain was ignored: multiply the std by gain",
                                         math.sqrt(2.0 / (fi + fo))),
                                        ("the gain was applied twice (squared)",
                                         (5.0 / 3.0) ** 2 * math.sqrt(2.0 / (fi + fo)))]),
    }


def check_uniform(w, bound, name, candidates):
    """Every value within +-bound, both ends reached, mean and std those of U(-bound, bound)."""
    w = np.asarray(w, dtype=np.float64)
    n = w.size
    top = float(np.max(np.abs(w)))
    explain = [label for label, b in candidates if b * (1 - 2e-3) <= top <= b * (1 + 1e-6)]
    hints = "".join(f"\n  hint: {h}" for h in explain) or (
        "\n  hint: a uniform initialiser draws U(-bound, bound) with bound = sqrt(3) * std" if
        abs(top * math.sqrt(3) - bound) < 2e-3 * bound else "")
    assert top <= bound * (1 + 1e-12), (
        f"{name}: a value of magnitude {top:.6g} lies outside the bound {bound:.6g}{hints}")
    assert top >= bound * (1 - 2e-3), (
        f"{name}: the largest |value| of {n} samples is {top:.6g}, but U(-bound, bound) with bound = {bound:.6g} "
        f"reaches within 0.2% of it{hints}")
    assert float(w.max()) >= bound * (1 - 2e-3) and float(w.min()) <= -bound * (1 - 2e-3), (
        f"{name}: the samples span [{w.min():.6g}, {w.max():.6g}]; they should fill [-{bound:.6g}, {bound:.6g}] "
        f"(draw from -bound to +bound, centred on 0)")
    std = bound / math.sqrt(3.0)
    assert abs(float(w.mean())) <= 5 * std / math.sqrt(n), (
        f"{name}: the mean of {n} samples is {w.mean():.3g}; it should be 0 within {5 * std / math.sqrt(n):.2g}")
    assert abs(float(w.std()) / std - 1) <= 0.01, (
        f"{name}: the std of the samples is {w.std():.6g}, expected bound / sqrt(3) = {std:.6g}: "
        f"the values are not uniform on [-bound, bound]")


def check_normal(w, std, name, candidates):
    """Mean 0 and the std expected, within 5 standard errors; the shape of a normal distribution."""
    w = np.asarray(w, dtype=np.float64)
    n = w.size
    s = float(w.std())
    explain = [label for label, c in candidates if abs(s / c - 1) <= 0.014]
    if abs(s * math.sqrt(3.0) / std - 1) <= 0.014:
        explain.append("the std came out as bound / sqrt(3): use std itself for the normal variant "
                       "(sqrt(3) belongs to the uniform bound only)")
    hints = "".join(f"\n  hint: {h}" for h in explain)
    assert abs(float(w.mean())) <= 5 * std / math.sqrt(n), (
        f"{name}: the mean of {n} samples is {w.mean():.3g}; it should be 0 within {5 * std / math.sqrt(n):.2g}")
    assert abs(s / std - 1) <= 5 / math.sqrt(2 * n), (
        f"{name}: the std of {n} samples is {s:.6g}, expected {std:.6g} (within {5 / math.sqrt(2 * n):.1%}){hints}")
    inside = float(np.mean(np.abs(w) <= std))
    assert abs(inside - 0.682689) <= 0.01, (
        f"{name}: {inside:.1%} of the samples lie within one std of 0; a normal distribution has 68.3% there "
        f"(a uniform one 57.7%): draw with rng.normal(0, std, shape)")


@pytest.mark.parametrize("nonlinearity,param", GAINS, ids=[f"{n}-{p}" for n, p in GAINS])
def test_calculate_gain_matches_torch(impl, nonlinearity, param):
    got = impl.nn.init.calculate_gain(nonlinearity, param)
    want = tinit.calculate_gain(nonlinearity, param)
    a = 0.01 if param is None else param
    hints = {}
    if nonlinearity == "leaky_relu":
        hints = {"the negative slope (param) was ignored: gain = sqrt(2 / (1 + param^2)), param = 0.01 when None":
                 math.sqrt(2.0 / 1.0001), "the negative slope was not squared: sqrt(2 / (1 + param^2))":
                 math.sqrt(2.0 / (1 + a)), "that is ReLU's gain: leaky_relu's is sqrt(2 / (1 + param^2))": math.sqrt(2)}
        if param is None:
            hints.pop("the negative slope (param) was ignored: gain = sqrt(2 / (1 + param^2)), param = 0.01 when None")
            hints["param None means negative_slope = 0.01, not 0"] = math.sqrt(2)
    elif nonlinearity == "tanh":
        hints = {"tanh's gain is 5/3, not 3/5": 0.6}
    assert_close(got, want, f"calculate_gain({nonlinearity!r}, {param!r})", tol=1e-12, mistakes=hints)


@pytest.mark.parametrize("args", [("softmax", None), ("leaky_relu", True), ("leaky_relu", "0.2")],
                         ids=["unknown name", "bool param", "str param"])
def test_calculate_gain_rejects_bad_arguments(impl, args):
    with pytest.raises(ValueError):
        tinit.calculate_gain(*args)
    with pytest.raises(ValueError):
        impl.nn.init.calculate_gain(*args)


@pytest.mark.parametrize("shape", [(5, 3), (8, 4, 3, 3), (6, 2, 5), (2, 3, 1, 4, 5), (1, 1)],
                         ids=["linear", "conv2d", "conv1d", "conv3d", "(1, 1)"])
def test_fan_in_and_fan_out_match_torch(impl, shape):
    got = impl.nn.init.fan_in_and_fan_out(shape)
    want = tinit._calculate_fan_in_and_fan_out(torch.empty(shape))
    rf = int(np.prod(shape[2:]))
    assert tuple(int(v) for v in got) == tuple(want), (
        f"fan_in_and_fan_out({shape}) returned {tuple(got)}, torch gives (fan_in, fan_out) = {want}"
        + ("\n  hint: fan_in and fan_out are swapped: fan_in = shape[1] * prod(kernel)"
           if tuple(got) == want[::-1] and want[0] != want[1] else "")
        + ("\n  hint: the receptive field (the product of the kernel dimensions shape[2:]) was left out"
           if tuple(got) == (shape[1], shape[0]) and rf != 1 else ""))


@pytest.mark.parametrize("shape", [(5,), ()], ids=["(5,)", "()"])
def test_fans_of_a_vector_raise(impl, shape):
    with pytest.raises(ValueError):
        impl.nn.init.fan_in_and_fan_out(shape)


@pytest.mark.parametrize("case", list(xavier_cases(CONV)))
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_xavier_uniform_bounds_and_statistics(impl, rng, shape, case):
    gain, mistakes = xavier_cases(shape)[case]
    fi, fo = fans(shape)
    bound = gain * math.sqrt(6.0 / (fi + fo))
    w = impl.nn.init.xavier_uniform(shape, gain, rng=rng)
    assert tuple(w.shape) == shape, f"xavier_uniform returned shape {tuple(w.shape)}, expected {shape}"
    assert_dtype(w, np.float64, "xavier_uniform(...)", "the default dtype")
    check_uniform(w, bound, f"xavier_uniform({shape}, gain={gain:.4g})", [(m, math.sqrt(3) * s) for m, s in mistakes])


@pytest.mark.parametrize("case", list(xavier_cases(CONV)))
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_xavier_normal_statistics(impl, rng, shape, case):
    gain, mistakes = xavier_cases(shape)[case]
    fi, fo = fans(shape)
    w = impl.nn.init.xavier_normal(shape, gain, rng=rng)
    assert tuple(w.shape) == shape, f"xavier_normal returned shape {tuple(w.shape)}, expected {shape}"
    check_normal(w, gain * math.sqrt(2.0 / (fi + fo)), f"xavier_normal({shape}, gain={gain:.4g})", mistakes)


@pytest.mark.parametrize("case", list(kaiming_cases(CONV)))
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_kaiming_uniform_bounds_and_statistics(impl, rng, shape, case):
    kwargs, gain, fan, mistakes = kaiming_cases(shape)[case]
    w = impl.nn.init.kaiming_uniform(shape, **kwargs, rng=rng)
    assert tuple(w.shape) == shape, f"kaiming_uniform returned shape {tuple(w.shape)}, expected {shape}"
    check_uniform(w, math.sqrt(3.0) * gain / math.sqrt(fan), f"kaiming_uniform({shape}, {kwargs})",
                  [(m, math.sqrt(3.0) * g / math.sqrt(f)) for m, g, f in mistakes])


@pytest.mark.parametrize("case", list(kaiming_cases(CONV)))
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_kaiming_normal_statistics(impl, rng, shape, case):
    kwargs, gain, fan, mistakes = kaiming_cases(shape)[case]
    w = impl.nn.init.kaiming_normal(shape, **kwargs, rng=rng)
    assert tuple(w.shape) == shape, f"kaiming_normal returned shape {tuple(w.shape)}, expected {shape}"
    check_normal(w, gain / math.sqrt(fan), f"kaiming_normal({shape}, {kwargs})",
                 [(m, g / math.sqrt(f)) for m, g, f in mistakes])


def test_torch_default_linear_bound(impl, rng):
    """kaiming_uniform with a = sqrt(5) is torch's Linear/Conv default: bound = 1 / sqrt(fan_in)."""
    w = impl.nn.init.kaiming_uniform((300, 200), a=math.sqrt(5), rng=rng)
    check_uniform(w, 1.0 / math.sqrt(200), "kaiming_uniform((300, 200), a=sqrt(5))", [])


@pytest.mark.parametrize("fn", ["xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal"])
def test_draws_come_from_the_generator(impl, fn):
    f = getattr(impl.nn.init, fn)
    a = f((40, 30), rng=np.random.default_rng(7))
    b = f((40, 30), rng=np.random.default_rng(7))
    c = f((40, 30), rng=np.random.default_rng(8))
    assert_close(a, b, f"{fn} twice with generators of the same seed (draw from rng, not np.random)")
    assert float(np.std(np.asarray(a))) > 0, f"{fn} returned a constant array"
    assert not np.allclose(np.asarray(a), np.asarray(c)), (
        f"{fn} gave the same values for generators of different seeds: draw from the rng you are given")


@pytest.mark.parametrize("fn", ["xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal"])
def test_float32_requested(impl, rng, fn):
    w = getattr(impl.nn.init, fn)((256, 64), rng=rng, dtype=np.float32)
    assert_dtype(w, np.float32, f"{fn}(..., dtype=np.float32)", "dtype=np.float32 was asked for")
    fi, fo = 64, 256
    std = math.sqrt(2.0 / (fi + fo)) if fn.startswith("xavier") else math.sqrt(2.0 / fi)
    if fn.endswith("uniform"):
        check_uniform(w, math.sqrt(3.0) * std * (1 + 1e-7), f"{fn} in float32", [])
    else:
        check_normal(w, std, f"{fn} in float32", [])


def test_kaiming_rejects_an_unknown_mode(impl, rng):
    with pytest.raises(ValueError):
        impl.nn.init.kaiming_uniform((4, 3), mode="fan_avg", rng=rng)
    with pytest.raises(ValueError):
        impl.nn.init.kaiming_normal((4, 3), mode="fan_avg", rng=rng)
