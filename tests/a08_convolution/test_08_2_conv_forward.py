"""Task 08.2: Conv2d.forward (im2col and one matrix product) against torch.nn.functional.conv2d (float64)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader import assert_close, assert_dtype

pytestmark = pytest.mark.task("08.2")


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def tconv(x, W, b=None, s=1, p=0, d=1):
    t = lambda a: None if a is None else torch.tensor(np.array(a, dtype=np.float64))  # noqa: E731
    return F.conv2d(t(x), t(W), t(b), stride=s, padding=p, dilation=d).numpy()


def make(impl, rng, c_in, c_out, k, s=1, p=0, d=1, bias=True, dtype=np.float64):
    layer = impl.nn.conv.Conv2d(c_in, c_out, k, s, p, d, bias=bias, rng=rng, dtype=dtype)
    kh, kw = pair(k)
    layer.W.data = rng.standard_normal((c_out, c_in, kh, kw)).astype(dtype)
    if bias:
        layer.b.data = rng.standard_normal(c_out).astype(dtype)
    return layer


def mistakes(x, W, b, s, p, d):
    """What the classic slips compute, so the failure names the slip."""
    c_out, c_in, kh, kw = W.shape
    out = {
        "the im2col row order (kh, kw, C) does not match W.reshape(C_out, -1), whose order is (C, kh, kw)":
            tconv(x, W.reshape(c_out, kh, kw, c_in).transpose(0, 3, 1, 2), b, s, p, d),
        "the kernel is flipped: PyTorch's conv2d is a cross-correlation (no flip)":
            tconv(x, W[:, :, ::-1, ::-1], b, s, p, d),
    }
    ph, pw = pair(p)
    if (ph, pw) != (0, 0):
        xpad = np.pad(x, ((0, 0), (0, 0), (0, 2 * ph), (0, 2 * pw)))
        out["the padding went on one side only (all after the image): pad p zeros on both sides"] = \
            tconv(xpad, W, b, s, 0, d)
    if b is not None:
        out["the bias is missing"] = tconv(x, W, None, s, p, d)
    return out


# (N, C_in, H, W), C_out, kernel, stride, padding, dilation
CASES = {
    "3x3": ((2, 3, 6, 6), 4, 3, 1, 0, 1),
    "3x3 padding 1": ((2, 3, 5, 5), 2, 3, 1, 1, 1),
    "stride 2, floor": ((2, 2, 8, 7), 3, 3, 2, 1, 1),
    "5x5 rectangular input": ((2, 1, 9, 7), 2, 5, 1, 0, 1),
    "rectangular kernel": ((2, 2, 6, 7), 3, (3, 2), (2, 1), (1, 0), 1),
    "dilation 2": ((1, 2, 7, 8), 2, 3, 1, 2, 2),
    "1x1": ((2, 4, 3, 3), 5, 1, 1, 0, 1),
    "batch of 1": ((1, 3, 5, 4), 2, 3, 1, 1, 1),
}


@pytest.mark.parametrize("x_shape,c_out,k,s,p,d", CASES.values(), ids=CASES.keys())
def test_forward_matches_torch(impl, rng, x_shape, c_out, k, s, p, d):
    layer = make(impl, rng, x_shape[1], c_out, k, s, p, d)
    x = rng.standard_normal(x_shape)
    y = layer.forward(x)
    assert_close(y, tconv(x, layer.W.data, layer.b.data, s, p, d), "y = conv(x)",
                 mistakes=mistakes(x, layer.W.data, layer.b.data, s, p, d))


def test_forward_without_bias(impl, rng):
    layer = make(impl, rng, 2, 3, 3, 1, 1, bias=False)
    assert layer.b is None
    x = rng.standard_normal((2, 2, 5, 5))
    assert_close(layer.forward(x), tconv(x, layer.W.data, None, 1, 1), "y = conv(x) (bias=False)",
                 mistakes=mistakes(x, layer.W.data, None, 1, 1, 1))


def test_forward_with_default_init(impl, rng):
    layer = impl.nn.conv.Conv2d(3, 4, 3, padding=1, rng=rng)
    x = rng.standard_normal((2, 3, 4, 4))
    assert_close(layer.forward(x), tconv(x, layer.W.data, layer.b.data, 1, 1), "y = conv(x) (default weights)")


def test_forward_keeps_float32(impl, rng):
    layer = make(impl, rng, 3, 2, 3, 1, 1, dtype=np.float32)
    x = rng.standard_normal((2, 3, 5, 5)).astype(np.float32)
    y = layer.forward(x)
    assert_dtype(y, np.float32, "y", "float32 input and weights")
    assert_close(y, tconv(x, layer.W.data, layer.b.data, 1, 1), "y (float32)", tol=1e-4)


def test_forward_does_not_change_x(impl, rng):
    layer = make(impl, rng, 2, 2, 3, 1, 1)
    x = rng.standard_normal((2, 2, 4, 4))
    before = x.copy()
    y = layer.forward(x)
    assert_close(x, before, "x after forward(x) (the input must not be modified)")
    assert_close(y, tconv(x, layer.W.data, layer.b.data, 1, 1), "y = conv(x)")


def test_forward_on_device(impl, rng, device):
    layer = make(impl, rng, 3, 4, 3, 2, 1)
    W, b = layer.W.data, layer.b.data
    layer.W.data, layer.b.data = device.asarray(W), device.asarray(b)
    x = rng.standard_normal((2, 3, 7, 7))
    y = layer.forward(device.asarray(x))
    assert device.is_array(y), f"forward returned {type(y).__name__} for a {device} input"
    assert_close(y, tconv(x, W, b, 2, 1), "y = conv(x)", tol=device.tol)
