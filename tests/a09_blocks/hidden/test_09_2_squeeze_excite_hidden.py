"""Task 09.2 (hidden): SqueezeExcite with a bottleneck of 1, big activations, and against the reference."""
import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("09.2")


@pytest.mark.parametrize("c,sq,act,shape", [(3, 1, "relu", (2, 3, 4, 4)), (7, 2, "silu", (2, 7, 3, 2))])
def test_forward_and_backward(impl, twins, rng, c, sq, act, shape):
    twin = twins.SqueezeExcite(c, sq, act)
    se = impl.nn.blocks.squeeze_excite.SqueezeExcite(c, sq, act, rng=rng)
    twins.load(se, twin, "SqueezeExcite")
    y, yt, xt, _ = twins.forward_pair(se, twin, 3 * rng.standard_normal(shape), True, "SqueezeExcite")
    assert_close(y, yt.detach().numpy(), "SqueezeExcite output")
    g = rng.standard_normal(tuple(yt.shape))
    (yt * twins.tensor(g)).sum().backward()
    se.zero_grad()
    assert_close(se.backward(g), xt.grad.numpy(), "SqueezeExcite dL/dx")
    twins.assert_grads(se, twin, "SqueezeExcite")


def test_matches_the_reference(impl, ref, rng):
    x = rng.standard_normal((2, 6, 3, 3))
    mine = impl.nn.blocks.squeeze_excite.SqueezeExcite(6, 2, rng=np.random.default_rng(3))
    theirs = ref.nn.blocks.squeeze_excite.SqueezeExcite(6, 2, rng=np.random.default_rng(3))
    y = mine.forward(x)
    assert_close(y, theirs.forward(x), "SqueezeExcite output vs the reference")
    g = rng.standard_normal(y.shape)
    assert_close(mine.backward(g), theirs.backward(g), "SqueezeExcite dL/dx vs the reference")
