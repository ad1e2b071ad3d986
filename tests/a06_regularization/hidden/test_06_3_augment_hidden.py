"""Task 06.3 (hidden): shifts and flips against the reference, shifts as large as the image, long pipelines."""
import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("06.3")


@pytest.mark.parametrize("mode", ["pad", "roll"])
@pytest.mark.parametrize("shape,k", [((1, 1, 1, 1), 1), ((2, 3, 2, 7), 1), ((5, 1, 3, 3), 3), ((3, 2, 4, 2), 6),
                                     ((16, 3, 8, 8), 4), ((2, 1, 9, 4), 0)])
def test_matches_reference(impl, ref, rng, shape, k, mode):
    seed = int(rng.integers(2 ** 32))
    x = rng.standard_normal(shape)
    mine = impl.data.augment.random_shift(x, k, rng=np.random.default_rng(seed), mode=mode)
    theirs = ref.data.augment.random_shift(x, k, rng=np.random.default_rng(seed), mode=mode)
    assert_close(mine, theirs, f"random_shift(x of shape {shape}, {k}, mode={mode!r}) (vs reference)")


def test_default_mode_is_pad(impl, ref, rng):
    seed = int(rng.integers(2 ** 32))
    x = rng.standard_normal((6, 2, 5, 5))
    assert_close(impl.data.augment.random_shift(x, 2, rng=np.random.default_rng(seed)),
                 ref.data.augment.random_shift(x, 2, rng=np.random.default_rng(seed), mode="pad"),
                 "random_shift(x, 2) without mode (the default is 'pad')")


def test_shift_larger_than_the_image_pads_to_zeros(impl, rng):
    x = rng.standard_normal((1, 2, 3, 3))

    class Fixed:
        def integers(self, low, high, size=None):
            return np.array([[5, -4]])

    out = impl.data.augment.random_shift(x, 5, rng=Fixed(), mode="pad")
    assert_close(out, np.zeros_like(x), "random_shift by (5, -4) of a 3x3 image, pad (everything leaves the image)")
    out = impl.data.augment.random_shift(x, 5, rng=Fixed(), mode="roll")
    assert_close(out, np.roll(x, (5, -4), axis=(2, 3)), "random_shift by (5, -4) of a 3x3 image, roll")


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (1, 3, 2, 5), (20, 2, 3, 3)])
def test_flip_matches_reference(impl, ref, rng, shape, p):
    seed = int(rng.integers(2 ** 32))
    x = rng.standard_normal(shape)
    assert_close(impl.data.augment.horizontal_flip(x, p, rng=np.random.default_rng(seed)),
                 ref.data.augment.horizontal_flip(x, p, rng=np.random.default_rng(seed)),
                 f"horizontal_flip(x of shape {shape}, p={p}) (vs reference)")


def test_flip_default_p(impl, ref, rng):
    seed = int(rng.integers(2 ** 32))
    x = rng.standard_normal((12, 1, 2, 3))
    assert_close(impl.data.augment.horizontal_flip(x, rng=np.random.default_rng(seed)),
                 ref.data.augment.horizontal_flip(x, 0.5, rng=np.random.default_rng(seed)),
                 "horizontal_flip(x) without p (0.5 by default)")


def test_a_pipeline_sharing_one_generator(impl, ref, rng):
    seed = int(rng.integers(2 ** 32))
    g_mine, g_ref = np.random.default_rng(seed), np.random.default_rng(seed)
    for step in range(12):
        x = rng.standard_normal((4 + step % 3, 3, 6, 6))
        mode = "pad" if step % 2 else "roll"
        mine = impl.data.augment.horizontal_flip(impl.data.augment.random_shift(x, 2, rng=g_mine, mode=mode),
                                                 rng=g_mine)
        theirs = ref.data.augment.horizontal_flip(ref.data.augment.random_shift(x, 2, rng=g_ref, mode=mode),
                                                  rng=g_ref)
        assert_close(mine, theirs, f"batch {step}: shift ({mode}) then flip, one generator (vs reference)")


def test_flip_draws_one_coin_per_sample(impl, rng):
    seed = int(rng.integers(2 ** 32))
    mine, replay = np.random.default_rng(seed), np.random.default_rng(seed)
    x = rng.standard_normal((7, 1, 2, 2))
    out = impl.data.augment.horizontal_flip(x, 0.5, rng=mine)
    flip = replay.random(7) < 0.5
    assert_close(out, np.where(flip[:, None, None, None], x[..., ::-1], x), "horizontal_flip(x, 0.5)")
    assert mine.random() == replay.random(), "horizontal_flip drew something other than exactly rng.random(N)"


def test_output_is_a_new_array(impl, rng):
    x = rng.standard_normal((2, 1, 3, 3))
    x0 = x.copy()
    for out in (impl.data.augment.random_shift(x, 0, rng=np.random.default_rng(1)),
                impl.data.augment.horizontal_flip(x, 0.0, rng=np.random.default_rng(1))):
        out[...] = 7.0
        assert_close(x, x0, "x after writing into the augmented batch (return a new array, not x itself)", tol=0.0)


@pytest.mark.parametrize("fn", ["random_shift", "horizontal_flip"])
def test_rejects_a_batch_that_is_not_4d(impl, rng, fn):
    x = rng.standard_normal((3, 4, 4))
    with pytest.raises(ValueError):
        if fn == "random_shift":
            impl.data.augment.random_shift(x, 1, rng=np.random.default_rng(0))
        else:
            impl.data.augment.horizontal_flip(x, 0.5, rng=np.random.default_rng(0))
