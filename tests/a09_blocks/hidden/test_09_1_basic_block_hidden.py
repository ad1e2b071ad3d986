"""Task 09.1 (hidden): BasicBlock on odd sizes, over a sequence of steps, and against the reference."""
import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("09.1")

CASES = {"odd size, stride 2": (3, 8, 2, (2, 3, 9, 7)), "1x1 map": (4, 4, 1, (4, 4, 1, 1)),
         "stride 2 to 1x1": (2, 4, 2, (3, 2, 2, 2))}


def pair(impl, twins, rng, cin, cout, stride):
    twin = twins.randomize(twins.BasicBlock(cin, cout, stride), rng)
    block = impl.nn.blocks.basic_block.BasicBlock(cin, cout, stride, rng=rng)
    twins.load(block, twin, f"BasicBlock({cin}, {cout}, stride={stride})")
    return block, twin


@pytest.mark.parametrize("cin,cout,stride,shape", CASES.values(), ids=CASES.keys())
def test_forward_and_backward_on_odd_shapes(impl, twins, rng, cin, cout, stride, shape):
    block, twin = pair(impl, twins, rng, cin, cout, stride)
    y, yt, xt, _ = twins.forward_pair(block, twin, rng.standard_normal(shape), True, "BasicBlock")
    assert_close(y, yt.detach().numpy(), "BasicBlock output")
    g = rng.standard_normal(tuple(yt.shape))
    (yt * twins.tensor(g)).sum().backward()
    block.zero_grad()
    assert_close(block.backward(g), xt.grad.numpy(), "BasicBlock dL/dx")
    twins.assert_grads(block, twin, "BasicBlock")


def test_three_training_steps_then_eval(impl, twins, rng):
    block, twin = pair(impl, twins, rng, 4, 6, 2)
    block.zero_grad()
    for _step in range(3):
        y, yt, xt, _ = twins.forward_pair(block, twin, rng.standard_normal((2, 4, 6, 6)), True, "BasicBlock")
        g = rng.standard_normal(tuple(yt.shape))
        (yt * twins.tensor(g)).sum().backward()
        block.backward(g)
    twins.assert_grads(block, twin, "BasicBlock after three backward calls (accumulated)")
    y, yt, _, _ = twins.forward_pair(block, twin, rng.standard_normal((2, 4, 6, 6)), False, "BasicBlock")
    assert_close(y, yt.detach().numpy(), "BasicBlock eval output after three training steps (running statistics)")


def test_matches_the_reference(impl, ref, rng):
    x = rng.standard_normal((2, 4, 5, 5))
    mine = impl.nn.blocks.basic_block.BasicBlock(4, 8, 2, rng=np.random.default_rng(7))
    theirs = ref.nn.blocks.basic_block.BasicBlock(4, 8, 2, rng=np.random.default_rng(7))
    mine.load_state_dict(theirs.state_dict())
    y = mine.forward(x)
    assert_close(y, theirs.forward(x), "BasicBlock output vs the reference")
    g = rng.standard_normal(y.shape)
    assert_close(mine.backward(g), theirs.backward(g), "BasicBlock dL/dx vs the reference")
