"""Task 06.1: inverted Dropout (p = probability of dropping), train vs eval, backward through the mask.

The mask is replayed from a copy of the generator the layer was given
(``keep = rng.random(x.shape) >= p``, one draw per training-mode forward); torch
float64 is the oracle for the arithmetic with that mask, for p = 0 and p = 1, and
for eval mode.
"""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader import assert_close, assert_dtype, gradcheck
from grader.oracles import tensor, torch_run

pytestmark = pytest.mark.task("06.1")

SHAPES = {"N,D": (4, 6), "N,C,H,W": (2, 3, 4, 4), "batch of 1": (1, 5), "N,T,D": (2, 3, 5)}


def masks(seed, shape, p, draws=1):
    """The keep-masks a Dropout(p, rng=default_rng(seed)) must use in its first ``draws`` training forwards."""
    g = np.random.default_rng(seed)
    return [g.random(shape) >= p for _ in range(draws)], np.random.default_rng(seed)


def forward_mistakes(x, seed, p):
    u = np.random.default_rng(seed).random(x.shape)
    keep = u >= p
    out = {
        "the kept units were not scaled: inverted dropout multiplies them by 1/(1 - p) in training "
        "(that is what lets eval be the identity)": x * keep,
        "the kept units were multiplied by (1 - p) instead of divided by it: the scale is 1/(1 - p)": x * keep * (1 - p),
    }
    if 0 < p < 1:
        kp = "p was used as the KEEP probability (CS231n's convention): in torch p is the probability of DROPPING; " \
             "keep the units where rng.random(x.shape) >= p and scale by 1/(1 - p)"
        out[kp] = x * (u < p) / p
        out[kp + " "] = x * (u < p) / (1 - p)
    return out


@pytest.mark.parametrize("p", [0.2, 0.5, 0.75])
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_forward_uses_the_generators_mask(impl, rng, shape, p):
    seed = int(rng.integers(2 ** 32))
    x = rng.standard_normal(shape)
    layer = impl.nn.dropout.Dropout(p, rng=np.random.default_rng(seed))
    (keep,), _ = masks(seed, shape, p)
    expected = (tensor(x) * torch.from_numpy(keep) / (1 - p)).numpy()
    assert_close(layer.forward(x), expected, f"Dropout({p}).forward(x) with keep = rng.random(x.shape) >= p",
                 mistakes=forward_mistakes(x, seed, p))


def test_forward_on_device(impl, rng, device):
    seed, p = int(rng.integers(2 ** 32)), 0.4
    x = rng.standard_normal((3, 2, 5, 5))
    layer = impl.nn.dropout.Dropout(p, rng=np.random.default_rng(seed))
    (keep,), _ = masks(seed, x.shape, p)
    y = layer.forward(device.asarray(x))
    assert device.is_array(y), f"Dropout.forward on {device} returned {type(y).__name__}, not an array of that device"
    assert_close(y, x * keep / (1 - p), f"Dropout({p}).forward(x) on {device}", tol=device.tol,
                 mistakes=forward_mistakes(x, seed, p))
    dy = rng.standard_normal(x.shape)
    dx = layer.backward(device.asarray(dy))
    assert device.is_array(dx), f"Dropout.backward on {device} returned {type(dx).__name__}"
    assert_close(dx, dy * keep / (1 - p), f"dX on {device}", tol=device.tol)


def test_a_new_mask_every_forward(impl, rng):
    seed, p = int(rng.integers(2 ** 32)), 0.5
    x = rng.standard_normal((6, 8))
    layer = impl.nn.dropout.Dropout(p, rng=np.random.default_rng(seed))
    (k1, k2, k3), _ = masks(seed, x.shape, p, draws=3)
    for i, keep in enumerate((k1, k2, k3), 1):
        y = layer.forward(x)
        assert_close(y, x * keep / (1 - p), f"forward call {i} (each training forward draws one new "
                     f"rng.random(x.shape))", mistakes={
                         "the first mask was reused: draw a new one in every training-mode forward": x * k1 / (1 - p)})


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_mask_statistics(impl, rng, p):
    x = np.ones((200, 500))
    layer = impl.nn.dropout.Dropout(p, rng=np.random.default_rng(int(rng.integers(2 ** 32))))
    y = layer.forward(x)
    assert y.shape == x.shape, f"Dropout.forward returned shape {y.shape} for an input of shape {x.shape}"
    dropped = float(np.mean(np.asarray(y) == 0))
    sigma = math.sqrt(p * (1 - p) / x.size)
    hint = ""
    if abs(dropped - (1 - p)) < 5 * sigma:
        hint = "\n  hint: a share 1 - p was dropped: p is the probability of DROPPING (torch's convention), not of keeping"
    assert abs(dropped - p) < 5 * sigma, (f"Dropout({p}) zeroed {dropped:.4f} of 100000 units; expected "
                                          f"{p} +- {5 * sigma:.4f}{hint}")
    kept = np.asarray(y)[np.asarray(y) != 0]
    assert_close(kept, np.full(kept.shape, 1 / (1 - p)), f"the kept units of Dropout({p}) applied to ones "
                 f"(should be 1/(1 - p) = {1 / (1 - p):.6g})", mistakes={
                     "the kept units were not scaled: multiply them by 1/(1 - p)": np.ones(kept.shape),
                     "the kept units were scaled by 1/p: the scale is 1/(1 - p), with p the DROP probability":
                     np.full(kept.shape, 1 / p)})
    rows = np.mean(np.asarray(y) == 0, axis=1)
    assert np.ptp(rows) > 0, "every row has the same dropped share: draw one value per element, rng.random(x.shape)"


def test_mean_is_preserved_in_expectation(impl, rng):
    p, seed = 0.3, int(rng.integers(2 ** 32))
    x = np.full((400, 250), 2.0)
    y = impl.nn.dropout.Dropout(p, rng=np.random.default_rng(seed)).forward(x)
    (keep,), _ = masks(seed, x.shape, p)
    assert_close(y, x * keep / (1 - p), f"Dropout({p}).forward of 100000 twos", mistakes=forward_mistakes(x, seed, p))
    sigma = 2.0 * math.sqrt(p / (1 - p) / x.size)
    mean = float(np.mean(np.asarray(y)))
    hint = ""
    if abs(mean - 2.0 * (1 - p)) < 5 * sigma:
        hint = "\n  hint: the mean shrank by (1 - p): the kept units must be scaled by 1/(1 - p) (inverted dropout)"
    assert abs(mean - 2.0) < 5 * sigma, (f"the mean of Dropout({p}).forward(x) over 100000 units equal to 2 is "
                                         f"{mean:.4f}; inverted dropout keeps it at 2 +- {5 * sigma:.4f}{hint}")


@pytest.mark.parametrize("p", [0.25, 0.6])
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_backward_through_the_same_mask(impl, rng, shape, p):
    seed = int(rng.integers(2 ** 32))
    x, dy = rng.standard_normal(shape), rng.standard_normal(shape)
    layer = impl.nn.dropout.Dropout(p, rng=np.random.default_rng(seed))
    (keep, nxt), _ = masks(seed, shape, p, draws=2)
    layer.forward(x)
    dx = layer.backward(dy)
    _, g = torch_run(lambda x: x * torch.from_numpy(keep) / (1 - p), {"x": x}, dy)
    assert_close(dx, g["x"], f"dX = Dropout({p}).backward(dY)", mistakes={
        "backward ignored the mask: dX = grad_out * keep / (1 - p), through the mask of the last forward":
        dy / (1 - p),
        "backward forgot the scale: dX = grad_out * keep / (1 - p)": dy * keep,
        "backward drew a new mask: reuse the mask cached by forward, draw nothing in backward": dy * nxt / (1 - p),
    })


def test_backward_by_finite_differences(impl, rng):
    seed, p = int(rng.integers(2 ** 32)), 0.5
    x, dy = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    layer = impl.nn.dropout.Dropout(p, rng=np.random.default_rng(seed))
    layer.forward(x)
    dx = layer.backward(dy)
    gradcheck(lambda v: float(np.sum(impl.nn.dropout.Dropout(p, rng=np.random.default_rng(seed)).forward(v) * dy)),
              x, dx, "dX of Dropout(0.5) with a fixed mask")


@pytest.mark.parametrize("p", [0.3, 0.5])
def test_eval_is_the_identity(impl, rng, p):
    seed = int(rng.integers(2 ** 32))
    x, dy = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    layer = impl.nn.dropout.Dropout(p, rng=np.random.default_rng(seed))
    layer.eval()
    y = layer.forward(x)
    (keep,), _ = masks(seed, x.shape, p)
    assert_close(y, F.dropout(tensor(x), p, training=False).numpy(), f"Dropout({p}) in eval mode", tol=0.0, mistakes={
        "the output was scaled by (1 - p) at eval time: with INVERTED dropout the scaling happens in training "
        "(1/(1 - p)), so eval returns x unchanged": x * (1 - p),
        "the output was scaled by 1/(1 - p) at eval time: eval returns x unchanged": x / (1 - p),
        "a mask was applied in eval mode: check self.training and return x unchanged when it is False":
        x * keep / (1 - p)})
    assert_close(layer.backward(dy), dy, f"Dropout({p}).backward(dY) after an eval-mode forward", tol=0.0,
                 mistakes={"backward scaled the gradient in eval mode: it is the identity there": dy * (1 - p)})
    layer.train()
    assert_close(layer.forward(x), x * keep / (1 - p), "the first training forward after an eval forward",
                 mistakes={"the eval-mode forward consumed the generator: draw nothing in eval mode":
                           x * masks(seed, x.shape, p, draws=2)[0][1] / (1 - p)})


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_p_zero_and_one_match_torch(impl, rng, p):
    x, dy = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    layer = impl.nn.dropout.Dropout(p, rng=np.random.default_rng(int(rng.integers(2 ** 32))))
    y = layer.forward(x)
    out, g = torch_run(lambda x: F.dropout(x, p, training=True), {"x": x}, dy)
    what = "keeps every unit (the identity)" if p == 0 else "drops every unit (all zeros, as torch)"
    assert_close(y, out, f"Dropout({p}).forward(x) in training: p = {p:g} {what}", nonfinite_hint=
                 "1/(1 - p) is infinite at p = 1: every unit is dropped, so the output is 0 (use a scale of 0)")
    assert_close(layer.backward(dy), g["x"], f"Dropout({p}).backward(dY)",
                 nonfinite_hint="at p = 1 the gradient is 0 everywhere (scale 0, not 1/(1 - p))")


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_invalid_p_raises(impl, p):
    with pytest.raises(ValueError):
        impl.nn.dropout.Dropout(p, rng=np.random.default_rng(0))


def test_keeps_float32(impl, rng):
    seed, p = int(rng.integers(2 ** 32)), 0.4
    x = rng.standard_normal((4, 3, 2)).astype(np.float32)
    dy = rng.standard_normal((4, 3, 2)).astype(np.float32)
    layer = impl.nn.dropout.Dropout(p, rng=np.random.default_rng(seed))
    (keep,), _ = masks(seed, x.shape, p)
    y = layer.forward(x)
    assert_dtype(y, np.float32, "Dropout.forward(x)", "float32 input")
    assert_close(y, x.astype(np.float64) * keep / (1 - p), "Dropout.forward(x) in float32", tol=1e-6)
    dx = layer.backward(dy)
    assert_dtype(dx, np.float32, "dX", "float32 input and grad_out")
    assert_close(dx, dy.astype(np.float64) * keep / (1 - p), "dX in float32", tol=1e-6)
    layer.eval()
    ye = layer.forward(x)
    assert_dtype(ye, np.float32, "Dropout.forward(x) in eval mode", "float32 input")
    assert_close(ye, x, "Dropout.forward(x) in eval mode, float32", tol=0.0)


def test_inputs_are_not_modified(impl, rng):
    seed = int(rng.integers(2 ** 32))
    x, dy = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    x0, dy0 = x.copy(), dy.copy()
    layer = impl.nn.dropout.Dropout(0.5, rng=np.random.default_rng(seed))
    (keep,), _ = masks(seed, x.shape, 0.5)
    y = layer.forward(x)
    assert_close(x, x0, "x after Dropout.forward(x) (compute a new array; do not zero the input in place)", tol=0.0)
    assert_close(y, x0 * keep * 2.0, "Dropout(0.5).forward(x)", mistakes=forward_mistakes(x0, seed, 0.5))
    dx = layer.backward(dy)
    assert_close(dy, dy0, "grad_out after Dropout.backward(grad_out) (it must not be modified)", tol=0.0)
    assert_close(dx, dy0 * keep * 2.0, "dX = Dropout(0.5).backward(dY)")
