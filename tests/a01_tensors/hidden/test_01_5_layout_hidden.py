"""Task 01.5 (hidden): layout helpers on odd shapes, views and empty batches, against the reference and numpy."""
import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("01.5")


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (2, 5, 1, 7), (3, 2, 6, 1)], ids=["all ones", "H=1", "W=1"])
def test_layouts_match_reference_and_numpy(impl, ref, rng, shape):
    x = rng.standard_normal(shape)
    to_nhwc = impl.tensors.layout.nchw_to_nhwc(x)
    assert_close(to_nhwc, ref.tensors.layout.nchw_to_nhwc(x), f"nchw_to_nhwc(x {shape}) vs reference")
    assert_close(to_nhwc, np.moveaxis(x, 1, -1), f"nchw_to_nhwc(x {shape})")
    y = np.moveaxis(x, 1, -1).copy()
    assert_close(impl.tensors.layout.nhwc_to_nchw(y), np.moveaxis(y, -1, 1), f"nhwc_to_nchw(x {y.shape})")


def test_layouts_of_an_empty_batch(impl):
    x = np.zeros((0, 3, 4, 5))
    assert_close(impl.tensors.layout.nchw_to_nhwc(x), np.zeros((0, 4, 5, 3)), "nchw_to_nhwc(x (0, 3, 4, 5))")
    assert_close(impl.tensors.layout.nhwc_to_nchw(x), np.zeros((0, 5, 3, 4)), "nhwc_to_nchw(x (0, 3, 4, 5))")


@pytest.mark.parametrize("shape", [(5,), (2, 1), (2, 3, 1, 4, 2), (1, 1, 1)], ids=["(N,)", "(N, 1)", "5-d", "ones"])
def test_flatten_batch_odd_shapes(impl, ref, rng, shape):
    x = rng.standard_normal(shape)
    got = impl.tensors.layout.flatten_batch(x)
    expected = x.reshape(shape[0], int(np.prod(shape[1:])))
    assert_close(got, ref.tensors.layout.flatten_batch(x), f"flatten_batch(x {shape}) vs reference")
    assert_close(got, expected, f"flatten_batch(x {shape})")


def test_flatten_batch_of_an_empty_batch(impl):
    got = impl.tensors.layout.flatten_batch(np.zeros((0, 3, 4)))
    assert_close(got, np.zeros((0, 12)), "flatten_batch(x (0, 3, 4)) (N = 0 must still give (0, 12))")


def test_flatten_after_a_layout_change(impl, rng):
    # The NHWC array is a transposed view; flattening must read it in its logical (N, H, W, C) order.
    x = rng.standard_normal((2, 3, 4, 5))
    got = impl.tensors.layout.flatten_batch(impl.tensors.layout.nchw_to_nhwc(x))
    assert_close(got, np.ascontiguousarray(x.transpose(0, 2, 3, 1)).reshape(2, 60),
                 "flatten_batch(nchw_to_nhwc(x))")
