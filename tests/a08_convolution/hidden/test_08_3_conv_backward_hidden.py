"""Task 08.3 (hidden): Conv2d.backward on random configurations, against torch and the reference; stacks, odd layouts."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader import assert_close

pytestmark = pytest.mark.task("08.3")


def out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def random_config(rng):
    while True:
        k = tuple(int(v) for v in rng.integers(1, 5, 2))
        s = tuple(int(v) for v in rng.integers(1, 3, 2))
        p = tuple(int(v) for v in rng.integers(0, 4, 2))
        d = tuple(int(v) for v in rng.integers(1, 3, 2))
        H, W = (int(v) for v in rng.integers(4, 10, 2))
        if out_size(H, k[0], s[0], p[0], d[0]) >= 1 and out_size(W, k[1], s[1], p[1], d[1]) >= 1:
            N, C, C_out = (int(v) for v in rng.integers(1, 4, 3))
            return (N, C, H, W), C_out, k, s, p, d


def torch_conv_grads(x, W, b, dy, s, p, d):
    xt = torch.tensor(np.array(x), requires_grad=True)
    Wt = torch.tensor(np.array(W), requires_grad=True)
    bt = None if b is None else torch.tensor(np.array(b), requires_grad=True)
    F.conv2d(xt, Wt, bt, stride=s, padding=p, dilation=d).backward(torch.tensor(np.array(dy)))
    return xt.grad.numpy(), Wt.grad.numpy(), None if bt is None else bt.grad.numpy()


@pytest.mark.parametrize("case", range(12))
def test_backward_random_configs(impl, ref, rng, case):
    x_shape, c_out, k, s, p, d = random_config(rng)
    bias = bool(case % 3)
    W, b = rng.standard_normal((c_out, x_shape[1]) + k), rng.standard_normal(c_out)
    x = rng.standard_normal(x_shape)
    layers = [m.nn.conv.Conv2d(x_shape[1], c_out, k, s, p, d, bias=bias) for m in (impl, ref)]
    results = []
    for layer in layers:
        layer.W.data = W.copy()
        if bias:
            layer.b.data = b.copy()
        layer.zero_grad()
        y = layer.forward(x)
        dy = np.asarray(np.random.default_rng(case).standard_normal(np.shape(y)))
        results.append(layer.backward(dy))
    dx, dW, db = torch_conv_grads(x, W, b if bias else None, dy, s, p, d)
    what = f"for {x_shape} -> {c_out}, k={k}, s={s}, p={p}, d={d}"
    assert_close(results[0], dx, "dX " + what, batch_size=x_shape[0])
    assert_close(layers[0].W.grad, dW, "dW " + what, batch_size=x_shape[0])
    assert_close(results[0], results[1], "dX vs the reference " + what)
    if bias:
        assert_close(layers[0].b.grad, db, "db " + what, batch_size=x_shape[0])


def test_backward_uses_the_input_of_the_last_forward(impl, rng):
    layer = impl.nn.conv.Conv2d(2, 3, 3, padding=1, rng=rng)
    layer.zero_grad()
    x1, x2 = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 4, 6))
    layer.forward(x1)
    layer.forward(x2)
    dy = rng.standard_normal((3, 3, 4, 6))
    dx = layer.backward(dy)
    tdx, tdW, tdb = torch_conv_grads(x2, layer.W.data, layer.b.data, dy, 1, 1, 1)
    assert_close(dx, tdx, "dX after forward(x1), forward(x2), backward(dy)")
    assert_close(layer.W.grad, tdW, "dW after forward(x1), forward(x2), backward(dy)")


def test_non_contiguous_grad_out(impl, rng):
    layer = impl.nn.conv.Conv2d(2, 3, 3, stride=2, padding=1, rng=rng)
    layer.zero_grad()
    x = rng.standard_normal((2, 2, 7, 7))
    layer.forward(x)
    dy = rng.standard_normal((3, 2, 4, 4)).transpose(1, 0, 3, 2)   # a (2, 3, 4, 4) view
    dx = layer.backward(dy)
    tdx, tdW, tdb = torch_conv_grads(x, layer.W.data, layer.b.data, np.ascontiguousarray(dy), 2, 1, 1)
    assert_close(dx, tdx, "dX for a transposed grad_out")
    assert_close(layer.W.grad, tdW, "dW for a transposed grad_out")
    assert_close(layer.b.grad, tdb, "db for a transposed grad_out")


def test_stack_backward(impl, rng):
    """conv -> conv through the given Sequential against torch autograd."""
    c1 = impl.nn.conv.Conv2d(2, 3, 3, padding=1, rng=rng)
    c2 = impl.nn.conv.Conv2d(3, 2, (2, 3), stride=2, rng=rng)
    net = impl.module.Sequential(c1, c2)
    net.zero_grad()
    x = rng.standard_normal((2, 2, 7, 7))
    dy = rng.standard_normal(np.shape(net.forward(x)))
    dx = net.backward(dy)
    ts = {k: torch.tensor(np.array(v), requires_grad=True)
          for k, v in {"x": x, "W1": c1.W.data, "b1": c1.b.data, "W2": c2.W.data, "b2": c2.b.data}.items()}
    y = F.conv2d(F.conv2d(ts["x"], ts["W1"], ts["b1"], padding=1), ts["W2"], ts["b2"], stride=2)
    y.backward(torch.tensor(dy))
    assert_close(dx, ts["x"].grad.numpy(), "dX of conv -> conv")
    assert_close(c1.W.grad, ts["W1"].grad.numpy(), "dW of the first conv")
    assert_close(c2.W.grad, ts["W2"].grad.numpy(), "dW of the second conv")
    assert_close(c1.b.grad, ts["b1"].grad.numpy(), "db of the first conv")


def test_many_steps_accumulate(impl, rng):
    layer = impl.nn.conv.Conv2d(2, 2, 3, rng=rng)
    layer.zero_grad()
    total_W, total_b = 0.0, 0.0
    for _ in range(4):
        x = rng.standard_normal((2, 2, 5, 5))
        dy = rng.standard_normal((2, 2, 3, 3))
        layer.forward(x)
        layer.backward(dy)
        _, dW, db = torch_conv_grads(x, layer.W.data, layer.b.data, dy, 1, 0, 1)
        total_W, total_b = total_W + dW, total_b + db
    assert_close(layer.W.grad, total_W, "W.grad after four forward/backward steps")
    assert_close(layer.b.grad, total_b, "b.grad after four forward/backward steps")


def test_training_steps_with_changing_shapes(impl, rng):
    """forward/backward with new batch sizes (any buffer reused from step to step must not leak values)."""
    layer = impl.nn.conv.Conv2d(2, 3, 3, padding=1, rng=rng)
    for shape in ((2, 2, 5, 5), (2, 2, 5, 5), (3, 2, 4, 6), (2, 2, 5, 5)):
        layer.zero_grad()
        x = rng.standard_normal(shape)
        y = layer.forward(x)
        dy = rng.standard_normal(np.shape(y))
        dx = layer.backward(dy)
        tdx, tdW, tdb = torch_conv_grads(x, layer.W.data, layer.b.data, dy, 1, 1, 1)
        assert_close(y, F.conv2d(torch.tensor(x), torch.tensor(layer.W.data), torch.tensor(layer.b.data),
                                 padding=1).numpy(), f"y at a step with input {shape}")
        assert_close(dx, tdx, f"dX at a step with input {shape}")
        assert_close(layer.W.grad, tdW, f"dW at a step with input {shape}")
