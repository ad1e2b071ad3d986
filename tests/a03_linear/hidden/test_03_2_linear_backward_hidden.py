"""Task 03.2 (hidden): Linear.backward: accumulation, odd shapes, the reference as oracle."""
import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("03.2")

SHAPES = {"D_in=1": ((6, 1), 3), "D_out=1": ((6, 3), 1), "4-d batch": ((2, 3, 2, 5), 4), "N=1,T=1": ((1, 1, 3), 2)}


def pair(impl, ref, rng, d_in, d_out):
    W, b = rng.standard_normal((d_out, d_in)), rng.standard_normal(d_out)
    layers = impl.nn.linear.Linear(d_in, d_out), ref.nn.linear.Linear(d_in, d_out)
    for layer in layers:
        layer.W.data, layer.b.data = W.copy(), b.copy()
        layer.zero_grad()
    return layers


@pytest.mark.parametrize("x_shape,d_out", SHAPES.values(), ids=SHAPES.keys())
def test_backward_matches_reference(impl, ref, rng, x_shape, d_out):
    mine, theirs = pair(impl, ref, rng, x_shape[-1], d_out)
    x = rng.standard_normal(x_shape)
    dy = rng.standard_normal(x_shape[:-1] + (d_out,))
    results = []
    for layer in (mine, theirs):
        layer.forward(x)
        results.append(layer.backward(dy))
    rows = int(np.prod(x_shape[:-1]))
    assert_close(results[0], results[1], "dX", batch_size=rows)
    assert_close(mine.W.grad, theirs.W.grad, "dW", batch_size=rows)
    assert_close(mine.b.grad, theirs.b.grad, "db", batch_size=rows, reduced_from=dy.reshape(rows, d_out))


def test_gradients_accumulate_over_two_backward_calls(impl, rng):
    layer = impl.nn.linear.Linear(3, 2)
    layer.zero_grad()
    x, dy = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    layer.forward(x)
    layer.backward(dy)
    once_W, once_b = layer.W.grad.copy(), layer.b.grad.copy()
    layer.forward(x)
    layer.backward(dy)
    hint = {"the second backward overwrote .grad: backward must add into it (+=), as PyTorch does": once_W}
    assert_close(layer.W.grad, 2 * once_W, "W.grad after two backward calls", mistakes=hint)
    assert_close(layer.b.grad, 2 * once_b, "b.grad after two backward calls",
                 mistakes={"the second backward overwrote .grad: add into it (+=)": once_b})


def test_backward_uses_the_input_of_the_last_forward(impl, rng):
    layer = impl.nn.linear.Linear(3, 2)
    layer.zero_grad()
    x1, x2 = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    layer.forward(x1)
    layer.forward(x2)
    dy = rng.standard_normal((5, 2))
    layer.backward(dy)
    assert_close(layer.W.grad, dy.T @ x2, "dW after forward(x1), forward(x2), backward(dy)")


def test_backward_without_bias(impl, rng):
    layer = impl.nn.linear.Linear(3, 2, bias=False)
    layer.zero_grad()
    x, dy = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    layer.forward(x)
    dx = layer.backward(dy)
    assert_close(dx, dy @ layer.W.data, "dX (bias=False)")
    assert_close(layer.W.grad, dy.T @ x, "dW (bias=False)")


def test_sequential_network_backward(impl, ref, rng):
    """Linear -> ReLU -> Linear through the given Sequential, with the reference ReLU in the middle."""
    l1, l2 = impl.nn.linear.Linear(4, 6, rng=rng), impl.nn.linear.Linear(6, 3, rng=rng)
    net = impl.module.Sequential(l1, ref.nn.relu.ReLU(), l2)
    net.zero_grad()
    x, dy = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    net.forward(x)
    dx = net.backward(dy)
    z1 = x @ l1.W.data.T + l1.b.data
    a1 = np.maximum(z1, 0)
    dz1 = (dy @ l2.W.data) * (z1 > 0)
    assert_close(l2.W.grad, dy.T @ a1, "dW of the second layer")
    assert_close(l1.W.grad, dz1.T @ x, "dW of the first layer")
    assert_close(dx, dz1 @ l1.W.data, "dX of the network")
