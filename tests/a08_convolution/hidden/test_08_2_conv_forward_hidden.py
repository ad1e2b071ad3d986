"""Task 08.2 (hidden): Conv2d.forward on random configurations, stale caches, non-contiguous inputs, a stack."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader import assert_close, assert_dtype

pytestmark = pytest.mark.task("08.2")


def out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def tconv(x, W, b=None, s=1, p=0, d=1):
    t = lambda a: None if a is None else torch.tensor(np.array(a, dtype=np.float64))  # noqa: E731
    return F.conv2d(t(x), t(W), t(b), stride=s, padding=p, dilation=d).numpy()


def random_config(rng):
    while True:
        k = tuple(int(v) for v in rng.integers(1, 5, 2))
        s = tuple(int(v) for v in rng.integers(1, 3, 2))
        p = tuple(int(v) for v in rng.integers(0, 3, 2))
        d = tuple(int(v) for v in rng.integers(1, 3, 2))
        H, W = (int(v) for v in rng.integers(4, 10, 2))
        if out_size(H, k[0], s[0], p[0], d[0]) >= 1 and out_size(W, k[1], s[1], p[1], d[1]) >= 1:
            N, C, C_out = (int(v) for v in rng.integers(1, 4, 3))
            return (N, C, H, W), C_out, k, s, p, d


def pair_of_layers(impl, ref, rng, c_in, c_out, k, s, p, d, bias=True):
    W = rng.standard_normal((c_out, c_in) + tuple(k))
    b = rng.standard_normal(c_out)
    layers = impl.nn.conv.Conv2d(c_in, c_out, k, s, p, d, bias=bias), ref.nn.conv.Conv2d(c_in, c_out, k, s, p, d, bias=bias)
    for layer in layers:
        layer.W.data = W.copy()
        if bias:
            layer.b.data = b.copy()
    return layers


@pytest.mark.parametrize("case", range(12))
def test_forward_random_configs(impl, ref, rng, case):
    x_shape, c_out, k, s, p, d = random_config(rng)
    bias = bool(case % 3)
    mine, theirs = pair_of_layers(impl, ref, rng, x_shape[1], c_out, k, s, p, d, bias)
    x = rng.standard_normal(x_shape)
    y = mine.forward(x)
    what = f"y for {x_shape} -> {c_out}, k={k}, s={s}, p={p}, d={d}, bias={bias}"
    assert_close(y, tconv(x, mine.W.data, mine.b.data if bias else None, s, p, d), what)
    assert_close(y, theirs.forward(x), what + " vs the reference")


def test_weights_changed_between_calls(impl, rng):
    layer = impl.nn.conv.Conv2d(2, 3, 3, padding=1, rng=rng)
    x = rng.standard_normal((2, 2, 5, 5))
    layer.forward(x)
    layer.W.data = rng.standard_normal(layer.W.data.shape)
    layer.b.data = rng.standard_normal(3)
    x2 = rng.standard_normal((3, 2, 4, 6))
    assert_close(layer.forward(x2), tconv(x2, layer.W.data, layer.b.data, 1, 1),
                 "y after new weights and a new input shape (nothing stale may be reused)")


def test_non_contiguous_input(impl, rng):
    layer = impl.nn.conv.Conv2d(3, 2, 3, stride=2, padding=1, rng=rng)
    x = rng.standard_normal((2, 3, 7, 4)).transpose(0, 1, 3, 2)[:, :, ::-1]   # a (2, 3, 4, 7) strided view
    assert_close(layer.forward(x), tconv(np.ascontiguousarray(x), layer.W.data, layer.b.data, 2, 1),
                 "y for a non-contiguous (transposed, reversed) input")


def test_stack_of_convolutions(impl, rng):
    c1 = impl.nn.conv.Conv2d(1, 4, 3, padding=1, rng=rng)
    c2 = impl.nn.conv.Conv2d(4, 2, 3, stride=2, rng=rng)
    x = rng.standard_normal((2, 1, 9, 9))
    y = c2.forward(np.maximum(c1.forward(x), 0))
    want = tconv(np.maximum(tconv(x, c1.W.data, c1.b.data, 1, 1), 0), c2.W.data, c2.b.data, 2, 0)
    assert_close(y, want, "conv -> relu -> conv")


def test_float32_large_channel_count(impl, rng):
    layer = impl.nn.conv.Conv2d(16, 8, 3, padding=1, rng=rng, dtype=np.float32)
    x = rng.standard_normal((2, 16, 8, 8)).astype(np.float32)
    y = layer.forward(x)
    assert_dtype(y, np.float32, "y", "float32 input and weights")
    assert_close(y, tconv(x, layer.W.data, layer.b.data, 1, 1), "y (float32, 16 channels)", tol=1e-4)
