"""Task 08.5 (hidden): depthwise convolution on random configurations; GlobalAvgPool2d and Flatten edge cases."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader import assert_close

pytestmark = pytest.mark.task("08.5")


def out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def random_config(rng):
    while True:
        k = tuple(int(v) for v in rng.integers(1, 6, 2))
        s = tuple(int(v) for v in rng.integers(1, 3, 2))
        p = tuple(int(v) for v in rng.integers(0, 3, 2))
        d = tuple(int(v) for v in rng.integers(1, 3, 2))
        H, W = (int(v) for v in rng.integers(4, 10, 2))
        if out_size(H, k[0], s[0], p[0], d[0]) >= 1 and out_size(W, k[1], s[1], p[1], d[1]) >= 1:
            N, C = (int(v) for v in rng.integers(1, 5, 2))
            return (N, C, H, W), k, s, p, d


@pytest.mark.parametrize("case", range(10))
def test_depthwise_random_configs(impl, ref, rng, case):
    x_shape, k, s, p, d = random_config(rng)
    C = x_shape[1]
    bias = bool(case % 3)
    W, b = rng.standard_normal((C, 1) + k), rng.standard_normal(C)
    x = rng.standard_normal(x_shape)
    layers = [m.nn.depthwise.DepthwiseConv2d(C, k, s, p, d, bias=bias) for m in (impl, ref)]
    outs = []
    for layer in layers:
        layer.W.data = W.copy()
        if bias:
            layer.b.data = b.copy()
        layer.zero_grad()
        y = layer.forward(x)
        dy = np.random.default_rng(case).standard_normal(np.shape(y))
        outs.append((y, layer.backward(dy)))
    xt, Wt = torch.tensor(x, requires_grad=True), torch.tensor(W, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True) if bias else None
    yt = F.conv2d(xt, Wt, bt, stride=s, padding=p, dilation=d, groups=C)
    yt.backward(torch.tensor(dy))
    what = f"DepthwiseConv2d({C}, {k}, {s}, {p}, {d}, bias={bias}) on {x_shape}"
    assert_close(outs[0][0], yt.detach().numpy(), what + " forward")
    assert_close(outs[0][1], xt.grad.numpy(), what + " dX")
    assert_close(layers[0].W.grad, Wt.grad.numpy(), what + " dW", batch_size=x_shape[0])
    if bias:
        assert_close(layers[0].b.grad, bt.grad.numpy(), what + " db", batch_size=x_shape[0])
    assert_close(outs[0][1], outs[1][1], what + " dX vs the reference")


def test_depthwise_non_contiguous(impl, rng):
    layer = impl.nn.depthwise.DepthwiseConv2d(3, 3, 1, 1, rng=rng)
    layer.zero_grad()
    x = rng.standard_normal((2, 3, 6, 5)).transpose(0, 1, 3, 2)
    y = layer.forward(x)
    dy = rng.standard_normal((3, 2, 6, 5)).transpose(1, 0, 3, 2)
    dx = layer.backward(dy)
    xt = torch.tensor(np.ascontiguousarray(x), requires_grad=True)
    Wt = torch.tensor(layer.W.data, requires_grad=True)
    yt = F.conv2d(xt, Wt, torch.tensor(layer.b.data), padding=1, groups=3)
    yt.backward(torch.tensor(np.ascontiguousarray(dy)))
    assert_close(y, yt.detach().numpy(), "DepthwiseConv2d forward on a transposed input")
    assert_close(dx, xt.grad.numpy(), "DepthwiseConv2d dX for a transposed grad_out")
    assert_close(layer.W.grad, Wt.grad.numpy(), "DepthwiseConv2d dW for transposed inputs")


def test_depthwise_one_channel_is_an_ordinary_convolution(impl, ref, rng):
    dw = impl.nn.depthwise.DepthwiseConv2d(1, 3, 2, 1, rng=rng)
    conv = ref.nn.conv.Conv2d(1, 1, 3, 2, 1, rng=rng)
    conv.W.data, conv.b.data = dw.W.data.copy(), dw.b.data.copy()
    x = rng.standard_normal((3, 1, 7, 7))
    assert_close(dw.forward(x), conv.forward(x), "DepthwiseConv2d(1, ...) vs Conv2d(1, 1, ...)")


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (2, 3, 1, 5), (4, 2, 7, 3)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_avg_pool_shapes(impl, ref, rng, shape, keepdims):
    layer, theirs = impl.nn.pool.GlobalAvgPool2d(keepdims), ref.nn.pool.GlobalAvgPool2d(keepdims)
    x = rng.standard_normal(shape)
    y = layer.forward(x)
    assert_close(y, theirs.forward(x), f"GlobalAvgPool2d(keepdims={keepdims}) forward on {shape}")
    dy = rng.standard_normal(np.shape(y))
    assert_close(layer.backward(dy), theirs.backward(dy), f"GlobalAvgPool2d(keepdims={keepdims}) dX on {shape}")


def test_global_avg_pool_non_contiguous_and_repeated(impl, rng):
    layer = impl.nn.pool.GlobalAvgPool2d()
    for shape in ((2, 3, 4, 5), (1, 2, 6, 6)):
        x = rng.standard_normal(shape[:2] + shape[2:][::-1]).transpose(0, 1, 3, 2)
        y = layer.forward(x)
        assert_close(y, np.ascontiguousarray(x).mean(axis=(2, 3)), f"GlobalAvgPool2d forward on a transposed {shape}")
        dy = rng.standard_normal(shape[:2])
        want = np.broadcast_to(dy[:, :, None, None] / (shape[2] * shape[3]), shape)
        assert_close(layer.backward(dy), want, f"GlobalAvgPool2d dX for {shape}")


def test_flatten_non_contiguous_and_chain(impl, ref, rng):
    layer = impl.nn.flatten.Flatten()
    x = rng.standard_normal((2, 4, 3, 5)).transpose(0, 1, 3, 2)    # (2, 4, 5, 3) view
    y = layer.forward(x)
    assert_close(y, torch.flatten(torch.tensor(np.ascontiguousarray(x)), 1).numpy(), "Flatten of a transposed input")
    dy = rng.standard_normal((2, 60))
    dx = layer.backward(dy)
    assert_close(dx, dy.reshape(2, 4, 5, 3), "Flatten dX for a transposed input")
    gap = ref.nn.pool.GlobalAvgPool2d(keepdims=True)
    net = impl.module.Sequential(gap, impl.nn.flatten.Flatten())
    x2 = rng.standard_normal((3, 2, 4, 4))
    assert_close(net.forward(x2), x2.mean(axis=(2, 3)), "GlobalAvgPool2d(keepdims=True) -> Flatten")
    assert_close(net.backward(np.ones((3, 2))), np.full((3, 2, 4, 4), 1 / 16), "dX through Flatten and the pool")
