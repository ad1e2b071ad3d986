"""Task 05.4: BatchNorm2d forward and backward on NCHW, training and evaluation, against torch (float64)."""
import numpy as np
import pytest

from grader import assert_close, assert_dtype, gradcheck

pytestmark = pytest.mark.task("05.4")

# "two values a channel": N * H * W = 2 is the smallest batch training accepts (torch's rule: more than 1)
SHAPES = {"N,C,H,W": (3, 4, 5, 6), "square": (2, 3, 4, 4), "batch of 1": (1, 3, 4, 5), "1x1 images": (6, 2, 1, 1),
          "two values a channel": (1, 3, 1, 2)}


def make(impl, rng, norm, c, dtype=np.float64, **kw):
    layer = impl.nn.batchnorm.BatchNorm2d(c, dtype=dtype, **kw)
    gamma, beta = norm.set_affine(layer, rng, dtype)
    return layer, gamma, beta


def forward_mistakes(norm, x, gamma, beta):
    return {
        "the statistics were taken over axis 0 only (per pixel): BatchNorm2d takes each channel's over "
        "axes (0, 2, 3), N * H * W values": norm.bn_forward(x, gamma, beta, axes=(0,)),
        "the statistics were taken per sample over (C, H, W): take them per channel, over axes (0, 2, 3)":
            norm.bn_forward(x, gamma, beta, axes=(1, 2, 3)),
        "the batch mean was not subtracted": norm.bn_forward(x, gamma, beta, centre=False),
        "normalised with the UNBIASED variance: the forward pass divides by M = N * H * W":
            norm.bn_forward(x, gamma, beta, unbiased=True),
    }


def var_mistakes(norm, xs, momentum=0.1):
    out = {"running_var holds the BIASED batch variance: store var * M / (M - 1)":
           norm.running_stats(xs, momentum, unbiased=False)[1],
           "momentum convention reversed: running = (1 - momentum) * running + momentum * batch":
           norm.running_stats(xs, momentum, reversed_momentum=True)[1]}
    if xs[0].shape[0] > 1:
        out["running_var's unbiased factor used N; for BatchNorm2d M = N * H * W, so store "
            "var * M / (M - 1)"] = norm.running_stats(xs, momentum, count="N")[1]
    return out


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_training_forward_and_running_statistics(impl, rng, norm, shape):
    layer, gamma, beta = make(impl, rng, norm, shape[1])
    bn = norm.torch_bn(4, gamma, beta)
    xs = []
    for step in range(1, 4):
        x = norm.offset_input(rng, shape)
        xs.append(x)
        y = layer.forward(x)
        before = {"the previous running_mean": bn.running_mean.numpy().copy(),
                  "the previous running_var": bn.running_var.numpy().copy()}
        want, _ = norm.torch_step(bn, x)
        assert_close(y, want, f"y = BatchNorm2d.forward(x), training step {step}",
                     mistakes=forward_mistakes(norm, x, gamma, beta), quantities=norm.terms(x, gamma, beta)[0],
                     normalised=norm.spec(x, gamma, beta)[0])
        assert_close(layer.running_mean, bn.running_mean.numpy(), f"running_mean after {step} step(s)", mistakes={
            "momentum convention reversed: running = (1 - momentum) * running + momentum * batch":
            norm.running_stats(xs, reversed_momentum=True)[0]}, quantities={**norm.batch_quantities(x), **before})
        assert_close(layer.running_var, bn.running_var.numpy(), f"running_var after {step} step(s)",
                     mistakes=var_mistakes(norm, xs), quantities={**norm.batch_quantities(x), **before})
    assert layer.num_batches_tracked == 3, f"num_batches_tracked is {layer.num_batches_tracked} after 3 training steps"


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_training_backward_matches_torch(impl, rng, norm, shape):
    layer, gamma, beta = make(impl, rng, norm, shape[1])
    x, dy = norm.offset_input(rng, shape), rng.standard_normal(shape)
    layer.forward(x)
    dx = layer.backward(dy)
    _, g = norm.torch_step(norm.torch_bn(4, gamma, beta), x, dy)
    assert_close(dx, g["x"], "dX = BatchNorm2d.backward(dY)", mistakes={
        "dX treats the batch mean and variance as constants: the mean-of-gradient terms are missing":
            norm.bn_backward(x, gamma, dy, drop_mean_term=True, drop_var_term=True),
        "dX lacks the term - mean(dxhat) (the path through the batch mean)":
            norm.bn_backward(x, gamma, dy, drop_mean_term=True),
        "dX lacks the term - xhat * mean(dxhat * xhat) (the path through the batch variance)":
            norm.bn_backward(x, gamma, dy, drop_var_term=True)}, quantities=norm.terms(x, gamma, beta, dy)[1],
                 normalised_grad=norm.spec(x, gamma, beta)[1])
    per_channel = int(np.prod(shape)) // shape[1]
    assert_close(layer.gamma.grad, g["gamma"], "dgamma (gamma.grad)", batch_size=per_channel)
    assert_close(layer.beta.grad, g["beta"], "dbeta (beta.grad)", batch_size=per_channel, mistakes={
        "dbeta summed over axis 0 only: sum over axes (0, 2, 3)": dy.sum(axis=0)})


def test_input_gradient_by_finite_differences(impl, rng, norm):
    layer, _, _ = make(impl, rng, norm, 2)
    x, dy = norm.offset_input(rng, (2, 2, 3, 2)), rng.standard_normal((2, 2, 3, 2))
    layer.forward(x)
    dx = layer.backward(dy)
    gradcheck(lambda v: float(np.sum(layer.forward(v) * dy)), x, dx, "dX of BatchNorm2d")


def test_evaluation_forward_and_backward(impl, rng, norm):
    layer, gamma, beta = make(impl, rng, norm, 3)
    bn = norm.torch_bn(4, gamma, beta)
    for _ in range(3):
        x = norm.offset_input(rng, (2, 3, 4, 4))
        layer.forward(x)
        norm.torch_step(bn, x)
    layer.eval()
    bn.eval()
    layer.zero_grad()
    rm, rv = layer.running_mean.copy(), layer.running_var.copy()
    x, dy = norm.offset_input(rng, (2, 3, 4, 4)), rng.standard_normal((2, 3, 4, 4))
    y = layer.forward(x)
    dx = layer.backward(dy)
    want, g = norm.torch_step(bn, x, dy)
    assert_close(y, want, "y = forward(x) in evaluation mode", mistakes={
        "eval mode used the batch statistics: in evaluation mode normalise with running_mean and running_var":
        norm.bn_forward(x, gamma, beta)})
    assert_close(layer.running_var, rv, "running_var after an evaluation-mode forward (it must not change)")
    assert_close(layer.running_mean, rm, "running_mean after an evaluation-mode forward (it must not change)")
    assert_close(dx, g["x"], "dX in evaluation mode (dx = gamma * dy / sqrt(running_var + eps))")
    assert_close(layer.gamma.grad, g["gamma"], "dgamma in evaluation mode")


def test_one_value_per_channel_in_training_raises(impl, rng, norm):
    layer, _, _ = make(impl, rng, norm, 3)
    x = rng.standard_normal((1, 3, 1, 1))
    with pytest.raises(ValueError) as info:
        layer.forward(x)
    text = str(info.value)
    assert "eval" in text or "batch" in text, (
        f"the ValueError should say what to do (a larger batch, or .eval()); it said: {text!r}")
    layer.eval()
    assert_close(layer.forward(x), norm.bn_forward(x, layer.gamma.data, layer.beta.data, mean=np.zeros(3),
                                                   var=np.ones(3)), "forward of (1, C, 1, 1) in evaluation mode")


def test_gradients_accumulate_over_two_backward_calls(impl, rng, norm):
    layer, _, _ = make(impl, rng, norm, 3)
    x, dy = norm.offset_input(rng, (2, 3, 3, 3)), rng.standard_normal((2, 3, 3, 3))
    layer.forward(x)
    layer.backward(dy)
    once_g, once_b = layer.gamma.grad.copy(), layer.beta.grad.copy()
    layer.forward(x)
    layer.backward(dy)
    hint = "the second backward overwrote .grad: backward must add into it (+=), as PyTorch does"
    assert_close(layer.gamma.grad, 2 * once_g, "gamma.grad after two backward calls", mistakes={hint: once_g})
    assert_close(layer.beta.grad, 2 * once_b, "beta.grad after two backward calls", mistakes={hint: once_b})


def test_float32_in_float32_out(impl, rng, norm):
    layer, gamma, beta = make(impl, rng, norm, 3, dtype=np.float32)
    x = norm.offset_input(rng, (2, 3, 4, 4)).astype(np.float32)
    dy = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    y = layer.forward(x)
    dx = layer.backward(dy)
    assert_dtype(y, np.float32, "BatchNorm2d.forward(x)", "float32 input and layer")
    assert_dtype(dx, np.float32, "dX", "float32 input, layer and grad_out")
    assert_dtype(layer.running_var, np.float32, "running_var", "a float32 layer")
    x64 = x.astype(np.float64)
    assert_close(y, norm.bn_forward(x64, gamma, beta), "forward(x) in float32", tol=1e-4)
    assert_close(dx, norm.bn_backward(x64, gamma, dy.astype(np.float64)), "dX in float32", tol=1e-4)


def test_inputs_are_not_modified(impl, rng, norm):
    layer, _, _ = make(impl, rng, norm, 3)
    x, dy = norm.offset_input(rng, (2, 3, 4, 4)), rng.standard_normal((2, 3, 4, 4))
    x0, dy0 = x.copy(), dy.copy()
    layer.forward(x)
    assert_close(x, x0, "x after BatchNorm2d.forward(x) (do not change the input in place)")
    layer.backward(dy)
    assert_close(dy, dy0, "grad_out after backward(grad_out) (it must not be modified)")
    layer.eval()
    layer.forward(x)
    layer.backward(dy)
    assert_close(x, x0, "x after an evaluation-mode forward and backward")
    assert_close(dy, dy0, "grad_out after an evaluation-mode backward")


def test_forward_and_backward_on_device(impl, rng, norm, device):
    layer, gamma, beta = make(impl, rng, norm, 3)
    norm.on_device(layer, device)
    x, dy = norm.offset_input(rng, (2, 3, 4, 5)), rng.standard_normal((2, 3, 4, 5))
    y = layer.forward(device.asarray(x))
    dx = layer.backward(device.asarray(dy))
    want, g = norm.torch_step(norm.torch_bn(4, gamma, beta), x, dy)
    assert device.is_array(y) and device.is_array(dx), f"BatchNorm2d on {device} left the device"
    assert_close(y, want, f"forward on {device}", tol=device.tol)
    assert_close(dx, g["x"], f"dX on {device}", tol=device.tol)
    assert_close(layer.running_var, norm.running_stats([x])[1], f"running_var on {device}", tol=device.tol)
