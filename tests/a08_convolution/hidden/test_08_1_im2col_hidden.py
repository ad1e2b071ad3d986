"""Task 08.1 (hidden): im2col/col2im on random configurations, against direct loops, torch and the reference."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader import assert_close

pytestmark = pytest.mark.task("08.1")


def out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def random_config(rng):
    """A valid (x_shape, kernel, stride, padding, dilation) with independent h and w settings."""
    while True:
        kh, kw = (int(v) for v in rng.integers(1, 5, 2))
        sh, sw = (int(v) for v in rng.integers(1, 4, 2))
        ph, pw = (int(v) for v in rng.integers(0, 3, 2))
        dh, dw = (int(v) for v in rng.integers(1, 3, 2))
        H, W = (int(v) for v in rng.integers(3, 10, 2))
        if out_size(H, kh, sh, ph, dh) >= 1 and out_size(W, kw, sw, pw, dw) >= 1:
            N, C = (int(v) for v in rng.integers(1, 4, 2))
            return (N, C, H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw)


def unfold_cols(x, k, s, p, d):
    u = F.unfold(torch.tensor(x), k, dilation=d, padding=p, stride=s).numpy()   # (N, C*kh*kw, L)
    return u.transpose(1, 0, 2).reshape(u.shape[1], -1)


def fold(cols, x_shape, k, s, p, d):
    N, C, H, W = x_shape
    L = cols.shape[1] // N
    u = cols.reshape(cols.shape[0], N, L).transpose(1, 0, 2)
    return F.fold(torch.tensor(np.ascontiguousarray(u)), (H, W), k, dilation=d, padding=p, stride=s).numpy()


@pytest.mark.parametrize("case", range(12))
def test_im2col_random_configs(impl, ref, rng, case):
    x_shape, k, s, p, d = random_config(rng)
    x = rng.standard_normal(x_shape)
    cols = impl.nn.im2col.im2col(x, k, s, p, d)
    assert_close(cols, unfold_cols(x, k, s, p, d), f"im2col(x) for {x_shape}, k={k}, s={s}, p={p}, d={d}")
    assert_close(cols, ref.nn.im2col.im2col(x, k, s, p, d), "im2col(x) vs the reference")


@pytest.mark.parametrize("case", range(12))
def test_col2im_random_configs(impl, ref, rng, case):
    x_shape, k, s, p, d = random_config(rng)
    n_cols = x_shape[0] * out_size(x_shape[2], k[0], s[0], p[0], d[0]) * out_size(x_shape[3], k[1], s[1], p[1], d[1])
    cols = rng.standard_normal((x_shape[1] * k[0] * k[1], n_cols))
    dx = impl.nn.im2col.col2im(cols, x_shape, k, s, p, d)
    assert_close(dx, fold(cols, x_shape, k, s, p, d), f"col2im(cols) for {x_shape}, k={k}, s={s}, p={p}, d={d}")
    assert_close(dx, ref.nn.im2col.col2im(cols, x_shape, k, s, p, d), "col2im(cols) vs the reference")


@pytest.mark.parametrize("case", range(6))
def test_adjoint_random_configs(impl, rng, case):
    x_shape, k, s, p, d = random_config(rng)
    x = rng.standard_normal(x_shape)
    cols = impl.nn.im2col.im2col(x, k, s, p, d)
    c = rng.standard_normal(np.shape(cols))
    dx = impl.nn.im2col.col2im(c, x_shape, k, s, p, d)
    assert_close(float(np.sum(x * dx)), float(np.sum(np.asarray(cols) * c)), "<x, col2im(c)> vs <im2col(x), c>")


def test_kernel_covers_the_whole_image(impl, rng):
    x = rng.standard_normal((3, 2, 4, 5))
    cols = impl.nn.im2col.im2col(x, (4, 5))
    assert_close(cols, x.transpose(1, 2, 3, 0).reshape(2 * 20, 3), "im2col with a kernel as large as the image")


def test_stride_larger_than_kernel_leaves_gaps(impl, rng):
    """Stride 3 with a 2x2 kernel: pixels in no window get a zero gradient."""
    x_shape = (2, 1, 7, 7)
    cols = rng.standard_normal((4, 2 * 2 * 2))
    dx = impl.nn.im2col.col2im(cols, x_shape, 2, 3)
    assert_close(dx, fold(cols, x_shape, 2, 3, 0, 1), "col2im with stride 3 > kernel 2")
    assert np.all(np.asarray(dx)[:, :, 2] == 0) and np.all(np.asarray(dx)[:, :, :, 5:] == 0), \
        "col2im wrote into pixels that no window covers"


def test_large_padding(impl, rng):
    x = rng.standard_normal((1, 2, 3, 3))
    cols = impl.nn.im2col.im2col(x, 2, 1, 3)
    assert_close(cols, unfold_cols(x, 2, 1, 3, 1), "im2col with padding 3 > kernel 2")
    c = rng.standard_normal(np.shape(cols))
    assert_close(impl.nn.im2col.col2im(c, x.shape, 2, 1, 3), fold(c, x.shape, 2, 1, 3, 1), "col2im with padding 3")


SIZES = [(size, k, s, p, d) for size in (1, 2, 17, 33, 224)
         for k, s, p, d in ((1, 1, 0, 1), (3, 2, 1, 1), (7, 2, 3, 1), (2, 3, 0, 1), (3, 1, 2, 2))
         if size + 2 * p >= d * (k - 1) + 1]


@pytest.mark.parametrize("size,k,s,p,d", SIZES)
def test_conv_output_size_many(impl, size, k, s, p, d):
    want = F.conv2d(torch.zeros(1, 1, size, 1), torch.zeros(1, 1, k, 1), stride=(s, 1), padding=(p, 0),
                    dilation=(d, 1)).shape[2]
    got = impl.nn.im2col.conv_output_size(size, k, s, p, d)
    assert got == want, f"conv_output_size({size}, {k}, {s}, {p}, {d}) returned {got}, torch gives {want}"


def test_non_contiguous_input(impl, rng):
    x = rng.standard_normal((2, 3, 6, 5)).transpose(0, 1, 3, 2)     # a (2, 3, 5, 6) view
    assert_close(impl.nn.im2col.im2col(x, 3, 2, 1), unfold_cols(np.ascontiguousarray(x), 3, 2, 1, 1),
                 "im2col of a transposed (non-contiguous) input")
