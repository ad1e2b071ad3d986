"""Task 01.5: layout helpers against torch permute/flatten and numpy."""
import numpy as np
import pytest
import torch

from grader import assert_close, assert_dtype
from grader.oracles import tensor

pytestmark = pytest.mark.task("01.5")

RESHAPED = ("the values are scrambled the way reshape scrambles them: reshape keeps the memory order and only "
            "relabels the sizes. Changing layout moves axes, which is a transpose")
SWAPPED = "H and W came out swapped: keep the spatial axes in the order H, W"


def to_nhwc_hints(x):
    n, c, h, w = x.shape  # leak-check: allowed (the test's own oracle)
    return {RESHAPED + " (0, 2, 3, 1).": x.reshape(n, h, w, c), SWAPPED + ".": x.transpose(0, 3, 2, 1)}


def to_nchw_hints(x):
    n, h, w, c = x.shape
    return {RESHAPED + " (0, 3, 1, 2).": x.reshape(n, c, h, w), SWAPPED + ".": x.transpose(0, 3, 2, 1)}


IMAGES = {"N,C,H,W = 2,3,4,5": (2, 3, 4, 5), "square images": (2, 3, 4, 4), "batch of 1": (1, 3, 2, 6),
          "one channel": (3, 1, 5, 5)}


@pytest.mark.parametrize("shape", IMAGES.values(), ids=IMAGES.keys())
def test_nchw_to_nhwc_matches_torch_permute(impl, rng, shape):
    x = rng.standard_normal(shape)
    got = impl.tensors.layout.nchw_to_nhwc(x)
    assert_close(got, tensor(x).permute(0, 2, 3, 1).numpy(), f"nchw_to_nhwc(x {shape})", mistakes=to_nhwc_hints(x))


@pytest.mark.parametrize("shape", IMAGES.values(), ids=IMAGES.keys())
def test_nhwc_to_nchw_matches_torch_permute(impl, rng, shape):
    n, c, h, w = shape
    x = rng.standard_normal((n, h, w, c))
    got = impl.tensors.layout.nhwc_to_nchw(x)
    assert_close(got, tensor(x).permute(0, 3, 1, 2).numpy(), f"nhwc_to_nchw(x {x.shape})", mistakes=to_nchw_hints(x))


def test_round_trip_is_the_identity(impl, rng):
    x = rng.standard_normal((2, 3, 4, 5))
    back = impl.tensors.layout.nhwc_to_nchw(impl.tensors.layout.nchw_to_nhwc(x))
    assert_close(back, x, "nhwc_to_nchw(nchw_to_nhwc(x))")


def test_pixel_lands_where_expected(impl, rng):
    x = rng.standard_normal((2, 3, 4, 5))
    got = impl.tensors.layout.nchw_to_nhwc(x)
    assert_close(got[1, 2, 3, 0], x[1, 0, 2, 3], "nchw_to_nhwc(x)[n=1, h=2, w=3, c=0] (should be x[1, 0, 2, 3])")


SHAPES = {"N,C,H,W": (2, 3, 4, 5), "N,T,D": (3, 4, 2), "N,D stays": (4, 6), "batch of 1": (1, 2, 3)}


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_flatten_batch_matches_torch_flatten(impl, rng, shape):
    x = rng.standard_normal(shape)
    got = impl.tensors.layout.flatten_batch(x)
    expected = torch.flatten(tensor(x), start_dim=1).numpy()
    assert_close(got, expected, f"flatten_batch(x {shape})")


def test_float32_and_inputs_kept(impl, rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    before = x.copy()
    t = torch.from_numpy(before)
    wanted = {"nchw_to_nhwc": t.permute(0, 2, 3, 1), "nhwc_to_nchw": t.permute(0, 3, 1, 2),
              "flatten_batch": torch.flatten(t, 1)}
    for name in ("nchw_to_nhwc", "nhwc_to_nchw", "flatten_batch"):
        out = getattr(impl.tensors.layout, name)(x)
        assert_dtype(out, np.float32, name, "float32 input")
        assert_close(out, wanted[name].numpy(), f"{name}(x) in float32")
        assert_close(x, before, f"x after {name}(x) (the input must not be modified)")
