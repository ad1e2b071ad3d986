"""Task 08.4 (hidden): pooling on random configurations, against torch and the reference; edge cases."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader import assert_close

pytestmark = pytest.mark.task("08.4")


def random_config(rng):
    """(x_shape, kernel, stride, padding) that torch accepts (padding at most half the kernel)."""
    while True:
        k = tuple(int(v) for v in rng.integers(1, 5, 2))
        s = tuple(int(v) for v in rng.integers(1, 4, 2))
        p = tuple(int(rng.integers(0, kk // 2 + 1)) for kk in k)
        H, W = (int(v) for v in rng.integers(3, 10, 2))
        if H + 2 * p[0] >= k[0] and W + 2 * p[1] >= k[1]:
            N, C = (int(v) for v in rng.integers(1, 4, 2))
            return (N, C, H, W), k, s, p


def torch_pool(fn, x, dy, k, s, p):
    xt = torch.tensor(np.array(x), requires_grad=True)
    y = fn(xt, k, s, p)
    if dy is not None:
        y.backward(torch.tensor(np.array(dy)))
    return y.detach().numpy(), None if dy is None else xt.grad.numpy()


@pytest.mark.parametrize("name,fn", [("MaxPool2d", F.max_pool2d), ("AvgPool2d", F.avg_pool2d)])
@pytest.mark.parametrize("case", range(8))
def test_random_configs(impl, ref, rng, name, fn, case):
    x_shape, k, s, p = random_config(rng)
    x = rng.integers(-2, 3, x_shape).astype(np.float64) if case % 2 else rng.standard_normal(x_shape)
    mine, theirs = getattr(impl.nn.pool, name)(k, s, p), getattr(ref.nn.pool, name)(k, s, p)
    y = mine.forward(x)
    dy = rng.standard_normal(np.shape(y))
    ty, tdx = torch_pool(fn, x, dy, k, s, p)
    what = f"{name}({k}, {s}, {p}) on {x_shape}"
    assert_close(y, ty, what + " forward")
    dx = mine.backward(dy)
    assert_close(dx, tdx, what + " dX")
    theirs.forward(x)
    assert_close(dx, theirs.backward(dy), what + " dX vs the reference")


def test_stride_defaults_to_kernel(impl, rng):
    x = rng.standard_normal((2, 2, 6, 6))
    for name, fn in (("MaxPool2d", F.max_pool2d), ("AvgPool2d", F.avg_pool2d)):
        y = getattr(impl.nn.pool, name)(3).forward(x)
        assert_close(y, fn(torch.tensor(x), 3).numpy(), f"{name}(3) forward (stride defaults to the kernel size)")


def test_window_as_large_as_the_image(impl, rng):
    x = rng.standard_normal((2, 3, 4, 5))
    layer = impl.nn.pool.MaxPool2d((4, 5))
    y = layer.forward(x)
    assert_close(y, x.max(axis=(2, 3), keepdims=True), "MaxPool2d((4, 5)) on a 4x5 image")
    dy = rng.standard_normal((2, 3, 1, 1))
    _, tdx = torch_pool(F.max_pool2d, x, dy, (4, 5), (4, 5), 0)
    assert_close(layer.backward(dy), tdx, "MaxPool2d((4, 5)) dX")


def test_negative_values_and_padding(impl, rng):
    """All inputs negative: a zero pad must never win a max window."""
    x = -1.0 - rng.random((2, 2, 5, 5))
    layer = impl.nn.pool.MaxPool2d(3, 2, 1)
    y = layer.forward(x)
    dy = rng.standard_normal(np.shape(y))
    ty, tdx = torch_pool(F.max_pool2d, x, dy, 3, 2, 1)
    assert_close(y, ty, "MaxPool2d forward on negative inputs with padding (pad with -inf, not 0)")
    assert_close(layer.backward(dy), tdx, "MaxPool2d dX on negative inputs with padding")


def test_all_equal_window(impl, rng):
    x = np.ones((1, 1, 4, 4))
    layer = impl.nn.pool.MaxPool2d(2, 1)
    y = layer.forward(x)
    dy = rng.standard_normal(np.shape(y))
    _, tdx = torch_pool(F.max_pool2d, x, dy, 2, 1, 0)
    assert_close(layer.backward(dy), tdx, "MaxPool2d dX when every value ties (overlapping windows)")


def test_repeated_forward_backward(impl, rng):
    layer = impl.nn.pool.MaxPool2d(2)
    for shape in ((2, 2, 4, 4), (1, 3, 6, 8), (3, 1, 5, 5)):
        x = rng.standard_normal(shape)
        y = layer.forward(x)
        dy = rng.standard_normal(np.shape(y))
        _, tdx = torch_pool(F.max_pool2d, x, dy, 2, 2, 0)
        assert_close(layer.backward(dy), tdx, f"MaxPool2d dX for {shape} (after other shapes)")


def test_non_contiguous_input(impl, rng):
    x = rng.standard_normal((2, 3, 7, 6)).transpose(0, 1, 3, 2)
    for name, fn in (("MaxPool2d", F.max_pool2d), ("AvgPool2d", F.avg_pool2d)):
        layer = getattr(impl.nn.pool, name)(3, 2, 1)
        y = layer.forward(x)
        dy = rng.standard_normal(np.shape(y))
        ty, tdx = torch_pool(fn, np.ascontiguousarray(x), dy, 3, 2, 1)
        assert_close(y, ty, f"{name} forward on a transposed input")
        assert_close(layer.backward(dy), tdx, f"{name} dX on a transposed input")
