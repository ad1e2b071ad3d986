"""Task 06.3: random shifts (pad-and-crop and roll) and horizontal flips of NCHW batches.

The generator is replayed from a copy (``rng.integers(-k, k + 1, size=(N, 2))`` for the
shifts, ``rng.random(N)`` for the coins); each sample is compared with its shifted or
flipped copy computed here with ``np.roll`` and explicit slicing, and with ``torch.flip``.
"""
import numpy as np
import pytest
import torch

from grader import assert_close, assert_dtype

pytestmark = pytest.mark.task("06.3")

SHAPES = {"N,C,H,W": (4, 3, 6, 5), "batch of 1": (1, 2, 5, 5), "one channel": (3, 1, 4, 7)}


class FixedDraws:
    """Stands in for the generator: ``integers`` returns the given shifts, ``random`` the given coins."""

    def __init__(self, shifts=None, coins=None):
        self.shifts, self.coins = shifts, coins

    def integers(self, low, high, size=None):
        assert tuple(np.atleast_1d(size)) == self.shifts.shape, f"rng.integers was asked for size {size}, " \
            f"expected size=(N, 2) = {self.shifts.shape}"
        return self.shifts.copy()

    def random(self, size=None):
        return self.coins.copy()


def shifted(x, shifts, mode):
    """Each sample n moved by shifts[n] = (dy, dx): down/right for positive values."""
    out = np.zeros_like(x)
    h, w = x.shape[2:]
    for n, (dy, dx) in enumerate(shifts):
        if mode == "roll":
            out[n] = np.roll(x[n], (dy, dx), axis=(1, 2))
        else:
            r0, r1 = np.clip(dy, 0, h), np.clip(h + dy, 0, h)
            c0, c1 = np.clip(dx, 0, w), np.clip(w + dx, 0, w)
            out[n, :, r0:r1, c0:c1] = x[n, :, r0 - dy:r1 - dy, c0 - dx:c1 - dx]
    return out


def shift_mistakes(x, shifts, mode, k):
    out = {}
    if mode == "pad":
        out["the image moved by (dy + k, dx + k): the zero padding went on one side only. Pad k zeros on BOTH sides "
            "(top and bottom, left and right), then crop the window starting at (k - dy, k - dx)"] = \
            shifted(x, shifts + k, "pad")
        out["the image moved by (dy - k, dx - k): the zero padding went on one side only. Pad k zeros on BOTH sides, "
            "then crop the window starting at (k - dy, k - dx)"] = shifted(x, shifts - k, "pad")
        out["the image wrapped around (np.roll) where mode='pad' asks for zero padding: pixels pushed over an edge "
            "are lost and the uncovered border is 0"] = shifted(x, shifts, "roll")
    else:
        out["mode='roll' must wrap around (np.roll): pixels pushed over one edge come back on the other, "
            "not zeros"] = shifted(x, shifts, "pad")
    wrong_way = ("moved the wrong way: shifts[n] = (dy, dx) moves an image dy rows DOWN and dx columns RIGHT "
                 "(out[i, j] = x[i - dy, j - dx])")
    out[f"each image {wrong_way}"] = shifted(x, -shifts, mode)
    out[f"the rows {wrong_way}"] = shifted(x, shifts * [-1, 1], mode)
    out[f"the columns {wrong_way}"] = shifted(x, shifts * [1, -1], mode)
    out["the shift pair is swapped: shifts[n, 0] is the row (H) offset dy, shifts[n, 1] the column (W) offset dx"] = \
        shifted(x, shifts[:, ::-1], mode)
    return out


@pytest.mark.parametrize("mode", ["pad", "roll"])
@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_shift_replays_the_generator(impl, rng, shape, k, mode):
    seed = int(rng.integers(2 ** 32))
    x = rng.standard_normal(shape)
    out = impl.data.augment.random_shift(x, k, rng=np.random.default_rng(seed), mode=mode)
    shifts = np.random.default_rng(seed).integers(-k, k + 1, size=(shape[0], 2))
    assert_close(out, shifted(x, shifts, mode), f"random_shift(x, {k}, mode={mode!r}) with shifts = "
                 f"rng.integers(-{k}, {k + 1}, size=(N, 2))", mistakes=shift_mistakes(x, shifts, mode, k))


@pytest.mark.parametrize("mode", ["pad", "roll"])
def test_every_direction(impl, rng, mode):
    shifts = np.array([[1, -2], [-1, 1], [2, 2], [0, 0], [-2, 0], [0, -1]])
    x = rng.standard_normal((6, 2, 5, 4))
    out = impl.data.augment.random_shift(x, 2, rng=FixedDraws(shifts=shifts), mode=mode)
    for n, (dy, dx) in enumerate(shifts):
        assert_close(out[n], shifted(x[n:n + 1], shifts[n:n + 1], mode)[0], f"sample {n} shifted by (dy, dx) = "
                     f"({dy}, {dx}), mode={mode!r}", mistakes={
                         k: v[n] for k, v in shift_mistakes(x, shifts, mode, 2).items()})


def test_pad_worked_example(impl):
    # the handout's example: a 3x3 image 1..9 moved one row down and one column left
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    out = impl.data.augment.random_shift(x, 1, rng=FixedDraws(shifts=np.array([[1, -1]])), mode="pad")
    expected = np.zeros_like(x)
    expected[0, 0, 1:, :2] = x[0, 0, :2, 1:]
    assert_close(out, expected, "random_shift of [[1, 2, 3], [4, 5, 6], [7, 8, 9]] by (dy, dx) = (1, -1), pad",
                 mistakes=shift_mistakes(x, np.array([[1, -1]]), "pad", 1))


@pytest.mark.parametrize("mode", ["pad", "roll"])
def test_shift_zero_is_the_identity(impl, rng, mode):
    x = rng.standard_normal((3, 2, 4, 4))
    out = impl.data.augment.random_shift(x, 0, rng=np.random.default_rng(int(rng.integers(2 ** 32))), mode=mode)
    assert_close(out, x, f"random_shift(x, 0, mode={mode!r}) (a shift of at most 0 pixels changes nothing)", tol=0.0)


@pytest.mark.parametrize("mode", ["pad", "roll"])
def test_shift_consumes_exactly_one_draw(impl, rng, mode):
    seed = int(rng.integers(2 ** 32))
    x = rng.standard_normal((5, 1, 4, 4))
    mine, replay = np.random.default_rng(seed), np.random.default_rng(seed)
    out = impl.data.augment.random_shift(x, 2, rng=mine, mode=mode)
    shifts = replay.integers(-2, 3, size=(5, 2))
    assert_close(out, shifted(x, shifts, mode), f"random_shift(x, 2, mode={mode!r})",
                 mistakes=shift_mistakes(x, shifts, mode, 2))
    assert mine.random() == replay.random(), ("random_shift drew something other than exactly "
                                              "rng.integers(-k, k + 1, size=(N, 2)) from the generator")


@pytest.mark.parametrize("mode", ["pad", "roll"])
def test_shift_keeps_float32_and_the_input(impl, rng, mode):
    seed = int(rng.integers(2 ** 32))
    x = rng.standard_normal((3, 2, 5, 5)).astype(np.float32)
    x0 = x.copy()
    out = impl.data.augment.random_shift(x, 2, rng=np.random.default_rng(seed), mode=mode)
    assert_dtype(out, np.float32, f"random_shift(x, 2, mode={mode!r})", "float32 input")
    shifts = np.random.default_rng(seed).integers(-2, 3, size=(3, 2))
    assert_close(out, shifted(x.astype(np.float64), shifts, mode), f"random_shift of a float32 batch, mode={mode!r}",
                 tol=1e-6)
    assert_close(x, x0, f"x after random_shift(x, mode={mode!r}) (return a new batch; do not shift in place)", tol=0.0)


def test_shift_on_device(impl, rng, device):
    seed = int(rng.integers(2 ** 32))
    x = rng.standard_normal((4, 2, 5, 6))
    shifts = np.random.default_rng(seed).integers(-2, 3, size=(4, 2))
    for mode in ("pad", "roll"):
        out = impl.data.augment.random_shift(device.asarray(x), 2, rng=np.random.default_rng(seed), mode=mode)
        assert device.is_array(out), f"random_shift on {device} returned {type(out).__name__}"
        assert_close(out, shifted(x, shifts, mode), f"random_shift(x, 2, mode={mode!r}) on {device}", tol=device.tol,
                     mistakes=shift_mistakes(x, shifts, mode, 2))


@pytest.mark.parametrize("bad", [{"max_shift": -1}, {"mode": "reflect"}])
def test_shift_rejects_bad_arguments(impl, rng, bad):
    args = {"max_shift": 2, "mode": "pad", **bad}
    with pytest.raises(ValueError):
        impl.data.augment.random_shift(rng.standard_normal((2, 1, 3, 3)), args["max_shift"],
                                       rng=np.random.default_rng(0), mode=args["mode"])


def flipped(x, flip):
    return np.where(flip[:, None, None, None], x[..., ::-1], x)


def flip_mistakes(x, coins, p):
    return {
        "the images were flipped upside down: a horizontal flip reverses the W axis (the last one), x[n, :, :, ::-1]":
        np.where((coins < p)[:, None, None, None], x[..., ::-1, :], x),
        "the samples flipped are those with rng.random(N) >= p: flip sample n where coins[n] < p "
        "(so p is the probability of flipping)": flipped(x, coins >= p),
        "every sample was flipped: flip only those with coins[n] < p, one coin per sample": x[..., ::-1],
    }


@pytest.mark.parametrize("p", [0.5, 0.3, 0.8])
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_flip_replays_the_generator(impl, rng, shape, p):
    seed = int(rng.integers(2 ** 32))
    x = rng.standard_normal((shape[0] * 3,) + shape[1:])
    out = impl.data.augment.horizontal_flip(x, p, rng=np.random.default_rng(seed))
    coins = np.random.default_rng(seed).random(x.shape[0])
    assert_close(out, flipped(x, coins < p), f"horizontal_flip(x, p={p}) with flips where rng.random(N) < p",
                 mistakes=flip_mistakes(x, coins, p))


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_flip_never_and_always_match_torch(impl, rng, p):
    x = rng.standard_normal((3, 2, 4, 5))
    out = impl.data.augment.horizontal_flip(x, p, rng=np.random.default_rng(int(rng.integers(2 ** 32))))
    expected = x if p == 0 else torch.flip(torch.from_numpy(x), dims=[3]).numpy()
    assert_close(out, expected, f"horizontal_flip(x, p={p:g}) ({'never' if p == 0 else 'always'} flips; "
                 f"a flip reverses the W axis)", mistakes=flip_mistakes(x, np.full(3, 0.5), p))


def test_flipping_twice_with_the_same_coins_restores(impl, rng):
    seed = int(rng.integers(2 ** 32))
    x = rng.standard_normal((8, 2, 3, 4))
    once = impl.data.augment.horizontal_flip(x, 0.5, rng=np.random.default_rng(seed))
    coins = np.random.default_rng(seed).random(8)
    assert_close(once, flipped(x, coins < 0.5), "horizontal_flip(x, 0.5)", mistakes=flip_mistakes(x, coins, 0.5))
    twice = impl.data.augment.horizontal_flip(once, 0.5, rng=np.random.default_rng(seed))
    assert_close(twice, x, "horizontal_flip applied twice with the same coins (a flip is its own inverse)", tol=0.0)


def test_flip_keeps_float32_and_the_input(impl, rng):
    seed = int(rng.integers(2 ** 32))
    x = rng.standard_normal((6, 3, 4, 4)).astype(np.float32)
    x0 = x.copy()
    out = impl.data.augment.horizontal_flip(x, 0.5, rng=np.random.default_rng(seed))
    assert_dtype(out, np.float32, "horizontal_flip(x)", "float32 input")
    coins = np.random.default_rng(seed).random(6)
    assert_close(out, flipped(x.astype(np.float64), coins < 0.5), "horizontal_flip of a float32 batch", tol=1e-6)
    assert_close(x, x0, "x after horizontal_flip(x) (return a new batch; do not flip in place)", tol=0.0)


def test_flip_on_device(impl, rng, device):
    seed = int(rng.integers(2 ** 32))
    x = rng.standard_normal((6, 2, 3, 5))
    out = impl.data.augment.horizontal_flip(device.asarray(x), 0.5, rng=np.random.default_rng(seed))
    assert device.is_array(out), f"horizontal_flip on {device} returned {type(out).__name__}"
    coins = np.random.default_rng(seed).random(6)
    assert_close(out, flipped(x, coins < 0.5), f"horizontal_flip on {device}", tol=device.tol,
                 mistakes=flip_mistakes(x, coins, 0.5))


@pytest.mark.parametrize("p", [-0.5, 1.5])
def test_flip_rejects_bad_p(impl, rng, p):
    with pytest.raises(ValueError):
        impl.data.augment.horizontal_flip(rng.standard_normal((2, 1, 3, 3)), p, rng=np.random.default_rng(0))
