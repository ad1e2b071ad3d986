"""Task 09.4 (hidden): the ConvNeXt block on a 1x1 map, without layer scale, and against the reference."""
import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("09.4")


@pytest.mark.parametrize("c,shape,ls", [(4, (2, 4, 1, 1), 1e-6), (3, (2, 3, 8, 9), 1e-6), (4, (2, 4, 3, 3), 0.0)])
def test_forward_and_backward(impl, twins, rng, c, shape, ls):
    twin = twins.randomize(twins.ConvNeXtBlock(c, ls), rng)
    block = impl.nn.blocks.convnext_block.ConvNeXtBlock(c, ls, rng=rng)
    twins.load(block, twin, f"ConvNeXtBlock({c}, layer_scale_init={ls})")
    y, yt, xt, _ = twins.forward_pair(block, twin, rng.standard_normal(shape), True, "ConvNeXtBlock")
    assert_close(y, yt.detach().numpy(), "ConvNeXtBlock output")
    g = rng.standard_normal(tuple(yt.shape))
    (yt * twins.tensor(g)).sum().backward()
    block.zero_grad()
    assert_close(block.backward(g), xt.grad.numpy(), "ConvNeXtBlock dL/dx")
    twins.assert_grads(block, twin, "ConvNeXtBlock")


def test_matches_the_reference(impl, ref, rng):
    x = rng.standard_normal((2, 4, 4, 4))
    mine = impl.nn.blocks.convnext_block.ConvNeXtBlock(4, 0.5, rng=np.random.default_rng(9))
    theirs = ref.nn.blocks.convnext_block.ConvNeXtBlock(4, 0.5, rng=np.random.default_rng(9))
    y = mine.forward(x)
    assert_close(y, theirs.forward(x), "ConvNeXtBlock output vs the reference")
    g = rng.standard_normal(y.shape)
    assert_close(mine.backward(g), theirs.backward(g), "ConvNeXtBlock dL/dx vs the reference")
