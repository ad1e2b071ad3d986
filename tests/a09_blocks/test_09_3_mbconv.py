"""Task 09.3: MBConv against a torch twin with the same weights (float64, train and eval)."""
import numpy as np
import pytest

from grader import assert_close, assert_dtype

pytestmark = pytest.mark.task("09.3")

# (C_in, C_out, kernel, stride, expand ratio, se ratio, activation, input shape)
CASES = {"residual": (4, 4, 3, 1, 6, 0.0, "relu6", (2, 4, 6, 6)),
         "stride 2, same width": (4, 4, 3, 2, 6, 0.0, "relu6", (2, 4, 7, 7)),
         "stride 2, k5, wider": (4, 6, 5, 2, 4, 0.0, "relu6", (2, 4, 8, 8)),
         "no expansion": (6, 4, 3, 1, 1, 0.0, "relu6", (2, 6, 5, 5)),
         "SE and SiLU": (4, 4, 3, 1, 4, 0.25, "silu", (2, 4, 5, 6)),
         "batch of 1": (4, 4, 3, 1, 2, 0.0, "relu6", (1, 4, 4, 4))}
MODES = {"train": True, "eval": False}
MISTAKES = {"the residual is missing: add x when the stride is 1 and C_in == C_out": "no residual",
            "the project stage has an activation: it is linear, conv 1x1 and BatchNorm only": "activation after project",
            "the SqueezeExcite was skipped: apply it after the depthwise stage": "no SE"}
NO_RESIDUAL = ("this block has no residual: with stride 2 or a change of width the output's shape differs from x's "
               "(add x only when stride is 1 and C_in == C_out)")


def pair(impl, twins, rng, cin, cout, k, s, e, se, act):
    twin = twins.randomize(twins.MBConv(cin, cout, k, s, e, se, act), rng)
    block = impl.nn.blocks.mbconv.MBConv(cin, cout, k, s, e, se, act, rng=rng)
    twins.load(block, twin, f"MBConv({cin}, {cout}, k={k}, stride={s}, expand={e}, se={se})")
    return block, twin


def hint(cin, cout, s):
    return None if (s == 1 and cin == cout) else NO_RESIDUAL


@pytest.mark.parametrize("mode", MODES.values(), ids=MODES.keys())
@pytest.mark.parametrize("cin,cout,k,s,e,se,act,shape", CASES.values(), ids=CASES.keys())
def test_forward(impl, twins, rng, cin, cout, k, s, e, se, act, shape, mode):
    block, twin = pair(impl, twins, rng, cin, cout, k, s, e, se, act)
    x = rng.standard_normal(shape)
    where = f"MBConv({cin}, {cout}, k={k}, stride={s}, expand={e})"
    y, yt, _, cands = twins.forward_pair(block, twin, x, mode, where, MISTAKES, hint(cin, cout, s))
    assert_close(y, yt.detach().numpy(), f"{where} output", mistakes=cands, inputs={"x": x}, quantities={"x": x})


@pytest.mark.parametrize("mode", MODES.values(), ids=MODES.keys())
@pytest.mark.parametrize("cin,cout,k,s,e,se,act,shape", CASES.values(), ids=CASES.keys())
def test_backward(impl, twins, rng, cin, cout, k, s, e, se, act, shape, mode):
    block, twin = pair(impl, twins, rng, cin, cout, k, s, e, se, act)
    x = rng.standard_normal(shape)
    where = f"MBConv({cin}, {cout}, k={k}, stride={s}, expand={e})"
    y, yt, xt, _ = twins.forward_pair(block, twin, x, mode, where, None, hint(cin, cout, s))
    g = rng.standard_normal(tuple(yt.shape))
    (yt * twins.tensor(g)).sum().backward()
    block.zero_grad()
    dx = block.backward(g)
    assert_close(dx, xt.grad.numpy(), f"{where}: dL/dx (returned by backward)", batch_size=shape[0],
                 quantities={"grad_out": g}, inputs={"grad_out": g})
    twins.assert_grads(block, twin, where)


def test_does_not_modify_its_inputs(impl, twins, rng):
    block, _ = pair(impl, twins, rng, 4, 4, 3, 1, 6, 0.25, "silu")
    x = rng.standard_normal((2, 4, 5, 5))
    x0 = x.copy()
    y = block.forward(x)
    g = rng.standard_normal(y.shape)
    g0 = g.copy()
    block.backward(g)
    assert_close(x, x0, "x after forward(x) (the input must not be modified)")
    assert_close(g, g0, "grad_out after backward(grad_out) (it must not be modified)")


def test_gradients_accumulate_over_two_backward_calls(impl, twins, rng):
    block, _ = pair(impl, twins, rng, 4, 4, 3, 1, 6, 0.0, "relu6")
    x = rng.standard_normal((2, 4, 5, 5))
    block.zero_grad()
    g = rng.standard_normal(x.shape)
    block.forward(x)
    block.backward(g)
    once = [p.grad.copy() for p in block.parameters()]
    block.forward(x)
    block.backward(g)
    for p, o in zip(block.parameters(), once):
        assert_close(p.grad, 2 * o, "a parameter's .grad after two backward calls",
                     mistakes={"the second backward overwrote .grad: the layers add into it": o})


def test_on_device(impl, twins, rng, device):
    block, twin = pair(impl, twins, rng, 4, 4, 3, 1, 6, 0.0, "relu6")
    twins.to_device(block, device)
    x = rng.standard_normal((2, 4, 5, 5))
    y, yt, xt, _ = twins.forward_pair(block, twin, x, True, "MBConv", device=device)
    assert device.is_array(y), f"forward on {device} returned {type(y).__name__}: stay on the input's device"
    assert_close(y, yt.detach().numpy(), f"MBConv output on {device}", tol=device.tol)
    g = rng.standard_normal(tuple(yt.shape))
    (yt * twins.tensor(g)).sum().backward()
    assert_close(block.backward(device.asarray(g)), xt.grad.numpy(), f"MBConv dL/dx on {device}", tol=device.tol)


def test_float32_stays_float32(impl, twins, rng):
    b64, _ = pair(impl, twins, rng, 4, 6, 3, 2, 6, 0.0, "relu6")
    block = impl.nn.blocks.mbconv.MBConv(4, 6, 3, 2, 6, rng=rng, dtype=np.float32)
    block.load_state_dict({k: np.asarray(v, dtype=np.float32) if np.ndim(v) else v for k, v in b64.state_dict().items()})
    x = rng.standard_normal((2, 4, 6, 6))
    y = block.forward(x.astype(np.float32))
    assert_dtype(y, np.float32, "MBConv output", "float32 input and weights")
    twins.assert_close_scaled(y, b64.forward(x), "MBConv float32 output vs float64", tol=1e-4)
