"""Task 09.2: SqueezeExcite against a torch twin with the same weights (float64)."""
import numpy as np
import pytest

from grader import assert_close, assert_dtype

pytestmark = pytest.mark.task("09.2")

# (C, C_sq, activation, input shape)
CASES = {"relu": (6, 2, "relu", (2, 6, 5, 4)), "silu": (8, 3, "silu", (3, 8, 4, 4)),
         "1x1 map": (5, 2, "relu", (4, 5, 1, 1)), "batch of 1": (6, 3, "relu", (1, 6, 3, 5))}
MISTAKES = {"the gate is a softmax over the channels: SE gates every channel on its own with a sigmoid, "
            "g = sigmoid(fc2(act(fc1(mean_hw(x)))))": "softmax",
            "the output is the gate itself: multiply x by the gate, y = x * g[:, :, None, None]": "gate only"}


def pair(impl, twins, rng, c, sq, act):
    twin = twins.SqueezeExcite(c, sq, act)
    se = impl.nn.blocks.squeeze_excite.SqueezeExcite(c, sq, act, rng=rng)
    twins.load(se, twin, f"SqueezeExcite({c}, {sq}, {act!r})")
    return se, twin


@pytest.mark.parametrize("c,sq,act,shape", CASES.values(), ids=CASES.keys())
def test_forward(impl, twins, rng, c, sq, act, shape):
    se, twin = pair(impl, twins, rng, c, sq, act)
    x = rng.standard_normal(shape)
    y, yt, _, cands = twins.forward_pair(se, twin, x, True, "SqueezeExcite", MISTAKES)
    assert_close(y, yt.detach().numpy(), f"SqueezeExcite({c}, {sq}, {act!r}) output", mistakes=cands,
                 inputs={"x": x}, quantities={"x": x})


@pytest.mark.parametrize("c,sq,act,shape", CASES.values(), ids=CASES.keys())
def test_backward(impl, twins, rng, c, sq, act, shape):
    se, twin = pair(impl, twins, rng, c, sq, act)
    x = rng.standard_normal(shape)
    y, yt, xt, _ = twins.forward_pair(se, twin, x, True, "SqueezeExcite")
    g = rng.standard_normal(tuple(yt.shape))
    (yt * twins.tensor(g)).sum().backward()
    se.zero_grad()
    dx = se.backward(g)
    x_only = g * twin(xt.detach()).detach().numpy() / np.where(x == 0, 1, x)
    assert_close(dx, xt.grad.numpy(), f"SqueezeExcite({c}, {sq}): dL/dx (returned by backward)",
                 mistakes={"dL/dx has only the grad_out * gate term: x also feeds the gate, so add the gradient "
                           "that comes back through fc2, fc1 and the pooling": x_only},
                 quantities={"grad_out": g}, inputs={"grad_out": g})
    twins.assert_grads(se, twin, "SqueezeExcite")


def test_does_not_modify_its_inputs(impl, twins, rng):
    se, _ = pair(impl, twins, rng, 6, 2, "relu")
    x = rng.standard_normal((2, 6, 3, 3))
    x0 = x.copy()
    y = se.forward(x)
    g = rng.standard_normal(y.shape)
    g0 = g.copy()
    se.backward(g)
    assert_close(x, x0, "x after forward(x) (the input must not be modified)")
    assert_close(g, g0, "grad_out after backward(grad_out) (it must not be modified)")


def test_gradients_accumulate_over_two_backward_calls(impl, twins, rng):
    se, _ = pair(impl, twins, rng, 6, 2, "relu")
    x = rng.standard_normal((2, 6, 3, 3))
    se.zero_grad()
    g = rng.standard_normal(x.shape)
    se.forward(x)
    se.backward(g)
    once = [p.grad.copy() for p in se.parameters()]
    se.forward(x)
    se.backward(g)
    for p, o in zip(se.parameters(), once):
        assert_close(p.grad, 2 * o, "a parameter's .grad after two backward calls",
                     mistakes={"the second backward overwrote .grad: the layers add into it": o})


def test_on_device(impl, twins, rng, device):
    se, twin = pair(impl, twins, rng, 6, 2, "silu")
    twins.to_device(se, device)
    x = rng.standard_normal((2, 6, 4, 3))
    y, yt, xt, _ = twins.forward_pair(se, twin, x, True, "SqueezeExcite", device=device)
    assert device.is_array(y), f"forward on {device} returned {type(y).__name__}: stay on the input's device"
    assert_close(y, yt.detach().numpy(), f"SqueezeExcite output on {device}", tol=device.tol)
    g = rng.standard_normal(tuple(yt.shape))
    (yt * twins.tensor(g)).sum().backward()
    assert_close(se.backward(device.asarray(g)), xt.grad.numpy(), f"SqueezeExcite dL/dx on {device}", tol=device.tol)


def test_float32_stays_float32(impl, twins, rng):
    se64, _ = pair(impl, twins, rng, 6, 2, "relu")
    se = impl.nn.blocks.squeeze_excite.SqueezeExcite(6, 2, rng=rng, dtype=np.float32)
    se.load_state_dict({k: np.asarray(v, dtype=np.float32) for k, v in se64.state_dict().items()})
    x = rng.standard_normal((2, 6, 3, 3))
    y = se.forward(x.astype(np.float32))
    assert_dtype(y, np.float32, "SqueezeExcite output", "float32 input and weights")
    twins.assert_close_scaled(y, se64.forward(x), "SqueezeExcite float32 output vs float64", tol=1e-4)
