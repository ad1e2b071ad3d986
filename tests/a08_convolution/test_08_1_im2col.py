"""Task 08.1: conv_output_size, im2col and col2im against direct loops, torch and the adjoint identity."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader import assert_close, assert_dtype

pytestmark = pytest.mark.task("08.1")


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def im2col_loops(x, k, s=1, p=0, d=1, pad_side="both"):
    """cols[(c, i, j), (n, oh, ow)] = x_pad[n, c, oh*sh + i*dh, ow*sw + j*dw], one pixel at a time."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = pair(k), pair(s), pair(p), pair(d)
    N, C, H, W = x.shape
    if pad_side == "both":
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    else:                                           # the mistake: all the padding after the image
        xp = np.pad(x, ((0, 0), (0, 0), (0, 2 * ph), (0, 2 * pw)))
    OH, OW = out_size(H, kh, sh, ph, dh), out_size(W, kw, sw, pw, dw)
    cols = np.zeros((C, kh, kw, N, OH, OW), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            for oh in range(OH):
                for ow in range(OW):
                    cols[:, i, j, :, oh, ow] = xp[:, :, oh * sh + i * dh, ow * sw + j * dw].T
    return cols.reshape(C * kh * kw, N * OH * OW)


def col2im_loops(cols, x_shape, k, s=1, p=0, d=1, overwrite=False):
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = pair(k), pair(s), pair(p), pair(d)
    N, C, H, W = x_shape
    OH, OW = out_size(H, kh, sh, ph, dh), out_size(W, kw, sw, pw, dw)
    c6 = cols.reshape(C, kh, kw, N, OH, OW)  # leak-check: allowed (the test's own oracle)
    dx = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            for oh in range(OH):
                for ow in range(OW):
                    r, c = oh * sh + i * dh, ow * sw + j * dw
                    if overwrite:
                        dx[:, :, r, c] = c6[:, i, j, :, oh, ow].T
                    else:
                        dx[:, :, r, c] += c6[:, i, j, :, oh, ow].T
    return dx[:, :, ph:ph + H, pw:pw + W]  # leak-check: allowed (the test's own oracle)


def im2col_mistakes(x, k, s, p, d):
    """Classic wrong answers, each named."""
    (kh, kw) = pair(k)
    C = x.shape[1]
    right = im2col_loops(x, k, s, p, d)
    out = {}
    kk = right.reshape(C, kh, kw, -1)
    out["the rows of cols are in the order (kh, kw, C); they must be (C, kh, kw), the order of "
        "W.reshape(C_out, -1), or the weights meet the wrong pixels"] = kk.transpose(1, 2, 0, 3).reshape(right.shape)
    if pair(p) != (0, 0):
        out["the padding went on one side only (all after the image): pad p zeros on both sides"] = \
            im2col_loops(x, k, s, p, d, pad_side="one")
    return out


# (x shape, kernel, stride, padding, dilation)
CASES = {
    "3x3": ((2, 3, 5, 5), 3, 1, 0, 1),
    "padding 1": ((2, 2, 5, 6), 3, 1, 1, 1),
    "stride 2": ((2, 2, 7, 7), 3, 2, 0, 1),
    "stride 2, floor": ((1, 2, 6, 8), 3, 2, 1, 1),
    "rectangular kernel": ((2, 2, 6, 7), (2, 3), (1, 2), (1, 0), 1),
    "dilation 2": ((1, 2, 7, 7), 3, 1, 1, 2),
    "1x1": ((3, 4, 3, 2), 1, 1, 0, 1),
    "batch of 1, C=1": ((1, 1, 4, 4), 2, 1, 0, 1),
}


@pytest.mark.parametrize("size,k,s,p,d,want", [
    (5, 3, 1, 0, 1, 3), (5, 3, 1, 1, 1, 5), (7, 3, 2, 0, 1, 3), (6, 3, 2, 0, 1, 2), (6, 3, 2, 1, 1, 3),
    (8, 3, 3, 0, 1, 2), (7, 3, 1, 1, 2, 5), (4, 1, 2, 0, 1, 2), (28, 5, 1, 0, 1, 24),
])
def test_conv_output_size(impl, size, k, s, p, d, want):
    got = impl.nn.im2col.conv_output_size(size, k, s, p, d)
    torch_says = F.conv2d(torch.zeros(1, 1, size, 1), torch.zeros(1, 1, k, 1), stride=(s, 1), padding=(p, 0),
                          dilation=(d, 1)).shape[2]
    assert torch_says == want
    assert isinstance(got, (int, np.integer)), f"conv_output_size returned {type(got).__name__}, an int is expected"
    if got != want:
        hint = ""
        if got == -((-(size + 2 * p - d * (k - 1) - 1)) // s) + 1:
            hint = ("\n  hint: that is the size rounded UP: PyTorch floors, dropping the last window "
                    "that does not fit: (H + 2p - d(k-1) - 1) // s + 1")
        elif got == (size + 2 * p - k) // s + 1:
            hint = "\n  hint: the dilation is missing: a dilated kernel spans d(k-1)+1 pixels"
        raise AssertionError(f"conv_output_size({size}, kernel={k}, stride={s}, padding={p}, dilation={d}) "
                             f"returned {got}, torch gives {want}{hint}")


@pytest.mark.parametrize("x_shape,k,s,p,d", CASES.values(), ids=CASES.keys())
def test_im2col_matches_loops(impl, rng, x_shape, k, s, p, d):
    x = rng.standard_normal(x_shape)
    cols = impl.nn.im2col.im2col(x, k, s, p, d)
    assert_close(cols, im2col_loops(x, k, s, p, d), "cols = im2col(x)", mistakes=im2col_mistakes(x, k, s, p, d))


@pytest.mark.parametrize("x_shape,k,s,p,d", CASES.values(), ids=CASES.keys())
def test_col2im_matches_loops(impl, rng, x_shape, k, s, p, d):
    (kh, kw) = pair(k)
    N, C, H, W = x_shape
    rows = C * kh * kw
    n_cols = N * out_size(H, kh, pair(s)[0], pair(p)[0], pair(d)[0]) * out_size(W, kw, pair(s)[1], pair(p)[1], pair(d)[1])
    cols = rng.standard_normal((rows, n_cols))
    dx = impl.nn.im2col.col2im(cols, x_shape, k, s, p, d)
    want = col2im_loops(cols, x_shape, k, s, p, d)
    wrong = col2im_loops(cols, x_shape, k, s, p, d, overwrite=True)
    mistakes = {} if np.allclose(wrong, want) else {
        "col2im overwrote where windows overlap: it must ADD (+=) every column into its window": wrong}
    assert_close(dx, want, "col2im(cols)", mistakes=mistakes)


@pytest.mark.parametrize("x_shape,k,s,p,d", CASES.values(), ids=CASES.keys())
def test_col2im_is_the_adjoint_of_im2col(impl, rng, x_shape, k, s, p, d):
    """<im2col(x), c> == <x, col2im(c)> for random x and c: col2im is im2col's backward pass."""
    x = rng.standard_normal(x_shape)
    cols = impl.nn.im2col.im2col(x, k, s, p, d)
    c = rng.standard_normal(np.shape(cols))
    dx = impl.nn.im2col.col2im(c, x_shape, k, s, p, d)
    assert tuple(np.shape(dx)) == tuple(x_shape), f"col2im(c) has shape {np.shape(dx)}, expected {x_shape}"
    assert_close(float(np.sum(x * dx)), float(np.sum(np.asarray(cols) * c)), "<x, col2im(c)> vs <im2col(x), c>")


def test_im2col_gives_torch_unfold(impl, rng):
    """torch's F.unfold is im2col for one sample: (N, C*kh*kw, L); ours puts the batch into the columns."""
    x = rng.standard_normal((2, 3, 6, 5))
    cols = impl.nn.im2col.im2col(x, (3, 2), 2, 1, 1)
    u = F.unfold(torch.tensor(x), (3, 2), dilation=1, padding=1, stride=2).numpy()   # (N, C*kh*kw, L)
    assert_close(cols, u.transpose(1, 0, 2).reshape(u.shape[1], -1), "im2col(x) vs torch unfold")


def test_keeps_float32_and_values(impl, rng):
    x = rng.standard_normal((2, 3, 5, 5)).astype(np.float32)
    cols = impl.nn.im2col.im2col(x, 3, 1, 1)
    assert_dtype(cols, np.float32, "im2col(x)", "float32 input")
    assert_close(cols, im2col_loops(x.astype(np.float64), 3, 1, 1), "im2col(x) (float32)", tol=1e-6)
    dx = impl.nn.im2col.col2im(cols, x.shape, 3, 1, 1)
    assert_dtype(dx, np.float32, "col2im(cols)", "float32 columns")
    assert_close(dx, col2im_loops(np.asarray(cols, dtype=np.float64), x.shape, 3, 1, 1), "col2im (float32)", tol=1e-5)


def test_inputs_not_modified(impl, rng):
    x = rng.standard_normal((2, 2, 5, 5))
    before = x.copy()
    cols = impl.nn.im2col.im2col(x, 3, 2, 1)
    assert_close(x, before, "x after im2col(x) (the input must not be modified)")
    assert_close(cols, im2col_loops(x, 3, 2, 1), "im2col(x)")
    c = rng.standard_normal(np.shape(cols))
    c_before = c.copy()
    dx = impl.nn.im2col.col2im(c, x.shape, 3, 2, 1)
    assert_close(c, c_before, "cols after col2im(cols) (the input must not be modified)")
    assert_close(dx, col2im_loops(c, x.shape, 3, 2, 1), "col2im(cols)")


def test_on_device(impl, rng, device):
    x = rng.standard_normal((2, 3, 6, 6))
    cols = impl.nn.im2col.im2col(device.asarray(x), 3, 1, 1)
    assert device.is_array(cols), f"im2col returned {type(cols).__name__} for a {device} input"
    assert_close(cols, im2col_loops(x, 3, 1, 1), "im2col(x)", tol=device.tol)
    c = rng.standard_normal(cols.shape)
    dx = impl.nn.im2col.col2im(device.asarray(c), x.shape, 3, 1, 1)
    assert device.is_array(dx), f"col2im returned {type(dx).__name__} for a {device} input"
    assert_close(dx, col2im_loops(c, x.shape, 3, 1, 1), "col2im(cols)", tol=device.tol)


def test_im2col_into_out(impl, rng):
    """With out=, im2col writes the columns into the given buffer and returns that buffer."""
    x = rng.standard_normal((2, 3, 5, 6))
    want = im2col_loops(x, 3, 1, 1)
    buf = np.full(want.shape, np.nan)
    cols = impl.nn.im2col.im2col(x, 3, 1, 1, out=buf)
    assert cols is buf, "im2col(..., out=buf) must return buf itself"
    assert_close(buf, want, "the buffer passed as out= after im2col(x, out=buf)")
    x2 = rng.standard_normal((2, 3, 5, 6))
    impl.nn.im2col.im2col(x2, 3, 1, 1, out=buf)
    assert_close(buf, im2col_loops(x2, 3, 1, 1), "out= reused for a second input")
