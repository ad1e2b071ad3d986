"""Task 09.3 (hidden): MBConv configurations of EfficientNet-B0 (SiLU, SE), steps, and the reference."""
import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("09.3")

CASES = {"B0 first block": (8, 4, 3, 1, 1, 0.25, "silu", (2, 8, 5, 5)),
         "k5 stride 2 SE": (4, 6, 5, 2, 6, 0.25, "silu", (2, 4, 9, 9)),
         "relu": (4, 4, 3, 1, 3, 0.0, "relu", (2, 4, 3, 3))}


@pytest.mark.parametrize("cin,cout,k,s,e,se,act,shape", CASES.values(), ids=CASES.keys())
def test_forward_and_backward(impl, twins, rng, cin, cout, k, s, e, se, act, shape):
    twin = twins.randomize(twins.MBConv(cin, cout, k, s, e, se, act), rng)
    block = impl.nn.blocks.mbconv.MBConv(cin, cout, k, s, e, se, act, rng=rng)
    twins.load(block, twin, "MBConv")
    y, yt, xt, _ = twins.forward_pair(block, twin, rng.standard_normal(shape), True, "MBConv")
    assert_close(y, yt.detach().numpy(), "MBConv output")
    g = rng.standard_normal(tuple(yt.shape))
    (yt * twins.tensor(g)).sum().backward()
    block.zero_grad()
    assert_close(block.backward(g), xt.grad.numpy(), "MBConv dL/dx")
    twins.assert_grads(block, twin, "MBConv")


def test_residual_decision(impl, rng):
    M = impl.nn.blocks.mbconv.MBConv
    for cin, cout, s, want in ((4, 4, 1, True), (4, 4, 2, False), (4, 6, 1, False)):
        got = M(cin, cout, 3, s, 2, rng=rng).use_residual
        assert got == want, f"MBConv({cin}, {cout}, stride={s}).use_residual is {got}, expected {want}"


def test_matches_the_reference(impl, ref, rng):
    x = rng.standard_normal((2, 4, 6, 6))
    mine = impl.nn.blocks.mbconv.MBConv(4, 4, 5, 1, 3, 0.5, "silu", rng=np.random.default_rng(5))
    theirs = ref.nn.blocks.mbconv.MBConv(4, 4, 5, 1, 3, 0.5, "silu", rng=np.random.default_rng(5))
    mine.load_state_dict(theirs.state_dict())
    y = mine.forward(x)
    assert_close(y, theirs.forward(x), "MBConv output vs the reference")
    g = rng.standard_normal(y.shape)
    assert_close(mine.backward(g), theirs.backward(g), "MBConv dL/dx vs the reference")
