"""Task 09.4: the ConvNeXt block against a torch twin with the same weights (float64)."""
import numpy as np
import pytest

from grader import assert_close, assert_dtype

pytestmark = pytest.mark.task("09.4")

# (C, input shape); "H = C" lets a LayerNorm2d run on the channels-last array, so that mistake shows as values
CASES = {"H = C": (6, (2, 6, 6, 5)), "wide": (8, (2, 8, 5, 4)), "small map": (4, (3, 4, 2, 3)),
         "batch of 1": (5, (1, 5, 4, 4))}
MISTAKES = {"LayerNorm2d ran on the channels-last array, so it normalised the height axis: normalise the (N, C, H, W) "
            "output of dwconv over C, then move the channels last": "norm over H",
            "the layer scale gamma was left out: multiply the MLP's output by gamma before the residual": "no layer scale",
            "GELU in its tanh approximation: ConvNeXt uses the exact GELU": "tanh gelu",
            "the residual is missing: y = x + gamma * mlp(norm(dwconv(x)))": "no residual"}
NORM_AXIS = ("LayerNorm2d received the channels-last array: apply it to the (N, C, H, W) output of dwconv, "
             "before moving the channels last")


def pair(impl, twins, rng, c):
    twin = twins.randomize(twins.ConvNeXtBlock(c), rng)
    block = impl.nn.blocks.convnext_block.ConvNeXtBlock(c, rng=rng)
    twins.load(block, twin, f"ConvNeXtBlock({c})")
    return block, twin


@pytest.mark.parametrize("c,shape", CASES.values(), ids=CASES.keys())
def test_forward(impl, twins, rng, c, shape):
    block, twin = pair(impl, twins, rng, c)
    x = rng.standard_normal(shape)
    y, yt, _, cands = twins.forward_pair(block, twin, x, True, f"ConvNeXtBlock({c})", MISTAKES, NORM_AXIS)
    assert_close(y, yt.detach().numpy(), f"ConvNeXtBlock({c}) output", mistakes=cands, inputs={"x": x}, quantities={"x": x})


@pytest.mark.parametrize("c,shape", CASES.values(), ids=CASES.keys())
def test_backward(impl, twins, rng, c, shape):
    block, twin = pair(impl, twins, rng, c)
    x = rng.standard_normal(shape)
    y, yt, xt, _ = twins.forward_pair(block, twin, x, True, f"ConvNeXtBlock({c})", None, NORM_AXIS)
    g = rng.standard_normal(tuple(yt.shape))
    (yt * twins.tensor(g)).sum().backward()
    block.zero_grad()
    dx = block.backward(g)
    branch_only = dx - g
    assert_close(dx, xt.grad.numpy(), f"ConvNeXtBlock({c}): dL/dx (returned by backward)",
                 mistakes={"dL/dx misses the residual's grad_out: add it to the branch's gradient": xt.grad.numpy() - g,
                           "dL/dx is grad_out alone: add the gradient of the branch": g + 0 * branch_only},
                 quantities={"grad_out": g}, inputs={"grad_out": g})
    twins.assert_grads(block, twin, f"ConvNeXtBlock({c})")


def test_layer_scale_starts_at_1e_6(impl, twins, rng):
    block = impl.nn.blocks.convnext_block.ConvNeXtBlock(4, rng=rng)
    assert_close(block.gamma.data, np.full(4, 1e-6), "ConvNeXtBlock(4).gamma at initialisation")
    x = rng.standard_normal((2, 4, 3, 3))
    twins.assert_close_scaled(block.forward(x), x, "the output of a fresh block (gamma = 1e-6: almost the identity)",
                              tol=1e-4)


def test_does_not_modify_its_inputs(impl, twins, rng):
    block, _ = pair(impl, twins, rng, 4)
    x = rng.standard_normal((2, 4, 3, 3))
    x0 = x.copy()
    y = block.forward(x)
    g = rng.standard_normal(y.shape)
    g0 = g.copy()
    block.backward(g)
    assert_close(x, x0, "x after forward(x) (the input must not be modified)")
    assert_close(g, g0, "grad_out after backward(grad_out) (it must not be modified)")


def test_gradients_accumulate_over_two_backward_calls(impl, twins, rng):
    block, _ = pair(impl, twins, rng, 4)
    x = rng.standard_normal((2, 4, 3, 3))
    block.zero_grad()
    g = rng.standard_normal(x.shape)
    block.forward(x)
    block.backward(g)
    once = [p.grad.copy() for p in block.parameters()]
    block.forward(x)
    block.backward(g)
    for p, o in zip(block.parameters(), once):
        assert_close(p.grad, 2 * o, "a parameter's .grad after two backward calls (gamma's too)",
                     mistakes={"the second backward overwrote .grad: add into it (+=)": o})


def test_on_device(impl, twins, rng, device):
    block, twin = pair(impl, twins, rng, 4)
    twins.to_device(block, device)
    x = rng.standard_normal((2, 4, 4, 3))
    y, yt, xt, _ = twins.forward_pair(block, twin, x, True, "ConvNeXtBlock", device=device)
    assert device.is_array(y), f"forward on {device} returned {type(y).__name__}: stay on the input's device"
    assert_close(y, yt.detach().numpy(), f"ConvNeXtBlock output on {device}", tol=device.tol)
    g = rng.standard_normal(tuple(yt.shape))
    (yt * twins.tensor(g)).sum().backward()
    assert_close(block.backward(device.asarray(g)), xt.grad.numpy(), f"ConvNeXtBlock dL/dx on {device}", tol=device.tol)


def test_float32_stays_float32(impl, twins, rng):
    b64, _ = pair(impl, twins, rng, 4)
    block = impl.nn.blocks.convnext_block.ConvNeXtBlock(4, rng=rng, dtype=np.float32)
    block.load_state_dict({k: np.asarray(v, dtype=np.float32) for k, v in b64.state_dict().items()})
    x = rng.standard_normal((2, 4, 3, 3))
    y = block.forward(x.astype(np.float32))
    assert_dtype(y, np.float32, "ConvNeXtBlock output", "float32 input and weights")
    twins.assert_close_scaled(y, b64.forward(x), "ConvNeXtBlock float32 output vs float64", tol=1e-4)
