"""Task 09.1: ResNet's BasicBlock against a torch twin with the same weights (float64, train and eval)."""
import numpy as np
import pytest

from grader import assert_close, assert_dtype

pytestmark = pytest.mark.task("09.1")

# (C_in, C_out, stride, input shape)
CASES = {"identity": (4, 4, 1, (2, 4, 6, 6)), "stride 2, wider": (4, 6, 2, (2, 4, 7, 7)),
         "wider only": (3, 5, 1, (2, 3, 5, 5)), "stride 2 only": (4, 4, 2, (3, 4, 6, 5)),
         "batch of 1": (4, 4, 1, (1, 4, 5, 5))}
MODES = {"train": True, "eval": False}
MISTAKES = {"the shortcut was added after the final ReLU: add it first, then apply the ReLU, "
            "y = relu(bn2(conv2(...)) + shortcut(x))": "residual after relu",
            "the output has no shortcut: add x (or its projection) before the final ReLU": "no residual"}


def pair(impl, twins, rng, cin, cout, stride):
    twin = twins.randomize(twins.BasicBlock(cin, cout, stride), rng)
    block = impl.nn.blocks.basic_block.BasicBlock(cin, cout, stride, rng=rng)
    twins.load(block, twin, f"BasicBlock({cin}, {cout}, stride={stride})")
    return block, twin


@pytest.mark.parametrize("cin,cout,stride,shape", CASES.values(), ids=CASES.keys())
def test_state_dict_keys_match_torch(impl, twins, rng, cin, cout, stride, shape):
    block, twin = pair(impl, twins, rng, cin, cout, stride)
    for k, v in twin.state_dict().items():
        assert_close(np.asarray(block.state_dict()[k], dtype=float), v.numpy().astype(float), f"state_dict()[{k!r}]")


@pytest.mark.parametrize("mode", MODES.values(), ids=MODES.keys())
@pytest.mark.parametrize("cin,cout,stride,shape", CASES.values(), ids=CASES.keys())
def test_forward(impl, twins, rng, cin, cout, stride, shape, mode):
    block, twin = pair(impl, twins, rng, cin, cout, stride)
    x = rng.standard_normal(shape)
    y, yt, _, cands = twins.forward_pair(block, twin, x, mode, "BasicBlock", MISTAKES)
    assert_close(y, yt.detach().numpy(), f"BasicBlock({cin}, {cout}, stride={stride}) output", mistakes=cands,
                 inputs={"x": x}, quantities={"x": x})


@pytest.mark.parametrize("mode", MODES.values(), ids=MODES.keys())
@pytest.mark.parametrize("cin,cout,stride,shape", CASES.values(), ids=CASES.keys())
def test_backward(impl, twins, rng, cin, cout, stride, shape, mode):
    block, twin = pair(impl, twins, rng, cin, cout, stride)
    x = rng.standard_normal(shape)
    y, yt, xt, _ = twins.forward_pair(block, twin, x, mode, "BasicBlock")
    g = rng.standard_normal(tuple(yt.shape))
    (yt * twins.tensor(g)).sum().backward()
    block.zero_grad()
    dx = block.backward(g)
    where = f"BasicBlock({cin}, {cout}, stride={stride})"
    assert_close(dx, xt.grad.numpy(), f"{where}: dL/dx (returned by backward)", batch_size=shape[0],
                 quantities={"grad_out": g}, inputs={"grad_out": g})
    twins.assert_grads(block, twin, where)


def test_running_statistics_after_a_training_forward(impl, twins, rng):
    block, twin = pair(impl, twins, rng, 4, 6, 2)
    twins.forward_pair(block, twin, rng.standard_normal((2, 4, 6, 6)), True, "BasicBlock")
    for k, v in twin.state_dict().items():
        if "running" in k:
            assert_close(block.state_dict()[k], v.numpy(), f"BasicBlock: {k} after one training forward")


def test_does_not_modify_its_inputs(impl, twins, rng):
    block, twin = pair(impl, twins, rng, 4, 6, 2)
    x = rng.standard_normal((2, 4, 6, 6))
    x0 = x.copy()
    y = block.forward(x)
    g = rng.standard_normal(y.shape)
    g0 = g.copy()
    block.backward(g)
    assert_close(x, x0, "x after forward(x) (the input must not be modified)")
    assert_close(g, g0, "grad_out after backward(grad_out) (it must not be modified)")


def test_gradients_accumulate_over_two_backward_calls(impl, twins, rng):
    block, twin = pair(impl, twins, rng, 4, 6, 2)
    x = rng.standard_normal((2, 4, 6, 6))
    block.zero_grad()
    y = block.forward(x)
    g = rng.standard_normal(y.shape)
    block.backward(g)
    once = [p.grad.copy() for p in block.parameters()]
    block.forward(x)
    block.backward(g)
    for p, o in zip(block.parameters(), once):
        assert_close(p.grad, 2 * o, f"{p.name or 'a parameter'}.grad after two backward calls",
                     mistakes={"the second backward overwrote .grad: the layers add into it": o})


def test_on_device(impl, twins, rng, device):
    block, twin = pair(impl, twins, rng, 4, 6, 2)
    twins.to_device(block, device)
    x = rng.standard_normal((2, 4, 6, 6))
    y, yt, xt, _ = twins.forward_pair(block, twin, x, True, "BasicBlock", device=device)
    assert device.is_array(y), f"forward on {device} returned {type(y).__name__}: stay on the input's device"
    assert_close(y, yt.detach().numpy(), f"BasicBlock output on {device}", tol=device.tol)
    g = rng.standard_normal(tuple(yt.shape))
    (yt * twins.tensor(g)).sum().backward()
    dx = block.backward(device.asarray(g))
    assert_close(dx, xt.grad.numpy(), f"BasicBlock dL/dx on {device}", tol=device.tol)


def test_float32_stays_float32(impl, twins, rng):
    block64, twin = pair(impl, twins, rng, 4, 6, 2)
    block = impl.nn.blocks.basic_block.BasicBlock(4, 6, 2, rng=rng, dtype=np.float32)
    block.load_state_dict({k: np.asarray(v, dtype=np.float32) if np.ndim(v) else v
                           for k, v in block64.state_dict().items()})
    x = rng.standard_normal((2, 4, 6, 6))
    y = block.forward(x.astype(np.float32))
    assert_dtype(y, np.float32, "BasicBlock output", "float32 input and weights")
    twins.assert_close_scaled(y, block64.forward(x), "BasicBlock float32 output vs float64", tol=1e-4)
