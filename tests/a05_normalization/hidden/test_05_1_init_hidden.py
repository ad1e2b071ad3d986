"""Task 05.1 (hidden): more gains and fans, 3-d convolution weights, shapes as lists, the global NumPy state."""
import math

import numpy as np
import pytest
import torch
import torch.nn.init as tinit

from grader import assert_close

pytestmark = pytest.mark.task("05.1")

GAINS = [("conv_transpose1d", None), ("conv_transpose3d", None), ("leaky_relu", -0.5), ("leaky_relu", 10.0),
         ("leaky_relu", 0.0), ("relu", 0.3), ("tanh", 2.0)]
CONV3D = (64, 32, 2, 2, 2)   # fan_in = 256, fan_out = 512; 32768 values


@pytest.mark.parametrize("nonlinearity,param", GAINS, ids=[f"{n}-{p}" for n, p in GAINS])
def test_gain_matches_torch_and_reference(impl, ref, nonlinearity, param):
    got = impl.nn.init.calculate_gain(nonlinearity, param)
    assert_close(got, tinit.calculate_gain(nonlinearity, param), f"calculate_gain({nonlinearity!r}, {param!r})",
                 tol=1e-12)
    assert_close(got, ref.nn.init.calculate_gain(nonlinearity, param), "calculate_gain (vs reference)", tol=1e-12)


@pytest.mark.parametrize("shape", [(7, 5, 1, 1), (2, 3, 4, 5, 6, 7), (1, 9, 3), (4, 1)])
def test_fans_of_more_shapes(impl, shape):
    got = tuple(int(v) for v in impl.nn.init.fan_in_and_fan_out(shape))
    assert got == tinit._calculate_fan_in_and_fan_out(torch.empty(shape)), f"fan_in_and_fan_out({shape}) = {got}"


def test_fans_of_a_list_shape(impl):
    got = tuple(int(v) for v in impl.nn.init.fan_in_and_fan_out([6, 4, 3, 3]))
    assert got == (36, 54), f"fan_in_and_fan_out([6, 4, 3, 3]) = {got}, expected (36, 54)"


@pytest.mark.parametrize("fn,kwargs,std", [
    ("kaiming_uniform", {"mode": "fan_out", "a": 0.1}, math.sqrt(2 / 1.01) / math.sqrt(512)),
    ("kaiming_normal", {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2) / math.sqrt(512)),
    ("kaiming_normal", {"nonlinearity": "selu"}, 0.75 / math.sqrt(256)),
    ("xavier_uniform", {"gain": math.sqrt(2)}, math.sqrt(2) * math.sqrt(2 / 768)),
    ("xavier_normal", {}, math.sqrt(2 / 768)),
], ids=["kaiming_uniform fan_out a=0.1", "kaiming_normal fan_out relu", "kaiming_normal selu",
        "xavier_uniform gain sqrt2", "xavier_normal"])
def test_conv3d_weights(impl, rng, fn, kwargs, std):
    w = np.asarray(getattr(impl.nn.init, fn)(CONV3D, **kwargs, rng=rng), dtype=np.float64)
    assert w.shape == CONV3D, f"{fn} returned shape {w.shape}"
    n = w.size
    assert abs(w.mean()) <= 5 * std / math.sqrt(n), f"{fn}{kwargs}: mean {w.mean():.3g} is not 0"
    if fn.endswith("uniform"):
        bound = math.sqrt(3) * std
        top = float(np.abs(w).max())
        assert bound * (1 - 2e-3) <= top <= bound * (1 + 1e-12), f"{fn}{kwargs}: max |w| = {top:.6g}, bound {bound:.6g}"
    else:
        assert abs(w.std() / std - 1) <= 5 / math.sqrt(2 * n), f"{fn}{kwargs}: std {w.std():.6g}, expected {std:.6g}"


@pytest.mark.parametrize("fn", ["xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal"])
def test_list_shape_and_global_state(impl, rng, fn):
    np.random.seed(1234)
    before = np.random.get_state()[1].copy()
    w = getattr(impl.nn.init, fn)([30, 20], rng=rng)
    assert tuple(w.shape) == (30, 20), f"{fn}([30, 20]) returned shape {tuple(w.shape)}"
    assert isinstance(w, np.ndarray), f"{fn} returned {type(w).__name__}, expected an array of the active backend"
    assert np.array_equal(np.random.get_state()[1], before), (
        f"{fn} drew from NumPy's global generator: draw from the rng argument only")
    assert float(np.std(w)) > 0, f"{fn} returned a constant array"


def test_each_call_returns_a_new_array(impl, rng):
    a = impl.nn.init.kaiming_uniform((8, 4), rng=rng)
    b = impl.nn.init.kaiming_uniform((8, 4), rng=rng)
    assert a is not b and not np.shares_memory(a, b), "two calls returned the same array"
    assert not np.allclose(a, b), "two calls with one generator drew the same values (draw afresh each call)"
