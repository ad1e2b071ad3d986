"""Task 05.5: LayerNorm (last axis) and LayerNorm2d (channels of NCHW) forward and backward, against torch (float64)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader import assert_close, assert_dtype, gradcheck
from grader.oracles import torch_run

pytestmark = pytest.mark.task("05.5")

LN_SHAPES = {"N,D": (4, 6), "N,T,D": (2, 3, 5), "batch of 1": (1, 7), "N,H,W,C": (2, 3, 2, 4)}
LN2D_SHAPES = {"N,C,H,W": (2, 4, 3, 5), "batch of 1": (1, 3, 4, 4), "1x1 images": (3, 5, 1, 1), "C=2": (2, 2, 3, 3)}


def make(cls, rng, norm, size, dtype=np.float64):
    layer = cls(size, dtype=dtype)
    gamma, beta = norm.set_affine(layer, rng, dtype)
    return layer, gamma, beta


def torch_ln(x, gamma, beta, eps=1e-5):
    return F.layer_norm(x, (x.shape[-1],), gamma, beta, eps)


def torch_ln2d(x, gamma, beta, eps=1e-6):
    return F.layer_norm(x.permute(0, 2, 3, 1), (x.shape[1],), gamma, beta, eps).permute(0, 3, 1, 2)


def ln_mistakes(norm, x, gamma, beta):
    d = x.shape[-1]
    shape = (1,) * (x.ndim - 1) + (d,)
    return {"normalised over the batch (axis 0) like batch norm: layer norm takes each sample's statistics "
            "over its own last axis": norm.ln_forward(x, gamma, beta, 1e-5, 0, shape),
            "normalised with the UNBIASED variance: layer norm divides by D (biased, as torch)":
            norm.ln_forward(x, gamma, beta, 1e-5, -1, shape, unbiased=True),
            "the mean was not subtracted": (x / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-5)) * gamma + beta}


def ln2d_mistakes(norm, x, gamma, beta):
    shape = (1, -1, 1, 1)
    return {"LayerNorm2d normalised over the last axis (W): normalise over the channel axis 1, at every pixel":
            norm.ln_forward(x, gamma, beta, 1e-6, -1, shape),
            "LayerNorm2d normalised over (C, H, W) together (that is GroupNorm with one group): normalise over "
            "the channel axis 1 alone, separately at every pixel": norm.ln_forward(x, gamma, beta, 1e-6, (1, 2, 3), shape),
            "LayerNorm2d normalised over the batch axis 0: normalise over the channel axis 1":
            norm.ln_forward(x, gamma, beta, 1e-6, 0, shape),
            "LayerNorm2d used eps = 1e-5: its default is 1e-6 (use self.eps)":
            norm.ln_forward(x, gamma, beta, 1e-5, 1, shape)}


def backward_mistakes(x, gamma, dy, axis, gshape, eps):
    inv = 1.0 / np.sqrt(x.var(axis=axis, keepdims=True) + eps)
    return {"dX treats the sample's mean and variance as constants: the mean-of-gradient terms are missing":
            dy * gamma.reshape(gshape) * inv}


@pytest.mark.parametrize("shape", LN_SHAPES.values(), ids=LN_SHAPES.keys())
def test_layernorm_forward_and_backward_match_torch(impl, rng, norm, shape):
    layer, gamma, beta = make(impl.nn.layernorm.LayerNorm, rng, norm, shape[-1])
    x, dy = norm.offset_input(rng, shape), rng.standard_normal(shape)
    y = layer.forward(x)
    dx = layer.backward(dy)
    want, g = torch_run(torch_ln, {"x": x, "gamma": gamma, "beta": beta}, dy)
    fwd, bwd = norm.terms(x, gamma, beta, dy, axes=-1, gamma_shape=(shape[-1],))
    normalised, normalised_grad = norm.spec(x, gamma, beta, axes=-1, gamma_shape=(shape[-1],))
    assert_close(y, want, "y = LayerNorm.forward(x)", mistakes=ln_mistakes(norm, x, gamma, beta), quantities=fwd,
                 normalised=normalised)
    assert_close(dx, g["x"], "dX = LayerNorm.backward(dY)",
                 mistakes=backward_mistakes(x, gamma, dy, -1, (shape[-1],), 1e-5), quantities=bwd,
                 normalised_grad=normalised_grad)
    rows = int(np.prod(shape[:-1]))
    assert_close(layer.gamma.grad, g["gamma"], "dgamma (summed over every leading axis)", batch_size=rows)
    assert_close(layer.beta.grad, g["beta"], "dbeta (summed over every leading axis)", batch_size=rows,
                 reduced_from=dy.reshape(rows, -1))


@pytest.mark.parametrize("shape", LN2D_SHAPES.values(), ids=LN2D_SHAPES.keys())
def test_layernorm2d_forward_and_backward_match_torch(impl, rng, norm, shape):
    layer, gamma, beta = make(impl.nn.layernorm.LayerNorm2d, rng, norm, shape[1])
    x, dy = norm.offset_input(rng, shape), rng.standard_normal(shape)
    y = layer.forward(x)
    dx = layer.backward(dy)
    want, g = torch_run(torch_ln2d, {"x": x, "gamma": gamma, "beta": beta}, dy)
    fwd, bwd = norm.terms(x, gamma, beta, dy, axes=1, gamma_shape=(1, -1, 1, 1), eps=1e-6)
    normalised, normalised_grad = norm.spec(x, gamma, beta, axes=1, gamma_shape=(1, -1, 1, 1), eps=1e-6)
    assert_close(y, want, "y = LayerNorm2d.forward(x) (vs F.layer_norm over x.permute(0, 2, 3, 1))",
                 mistakes=ln2d_mistakes(norm, x, gamma, beta), quantities=fwd, normalised=normalised)
    assert_close(dx, g["x"], "dX = LayerNorm2d.backward(dY)",
                 mistakes=backward_mistakes(x, gamma, dy, 1, (1, -1, 1, 1), 1e-6), quantities=bwd,
                 normalised_grad=normalised_grad)
    assert_close(layer.gamma.grad, g["gamma"], "dgamma (summed over axes 0, 2, 3)",
                 batch_size=shape[0] * shape[2] * shape[3])
    assert_close(layer.beta.grad, g["beta"], "dbeta (summed over axes 0, 2, 3)",
                 batch_size=shape[0] * shape[2] * shape[3])


@pytest.mark.parametrize("which", ["LayerNorm", "LayerNorm2d"])
def test_input_gradient_by_finite_differences(impl, rng, norm, which):
    shape = (3, 4) if which == "LayerNorm" else (2, 3, 2, 2)
    layer, _, _ = make(getattr(impl.nn.layernorm, which), rng, norm, shape[-1] if which == "LayerNorm" else shape[1])
    x, dy = norm.offset_input(rng, shape), rng.standard_normal(shape)
    layer.forward(x)
    dx = layer.backward(dy)
    gradcheck(lambda v: float(np.sum(layer.forward(v) * dy)), x, dx, f"dX of {which}")


@pytest.mark.parametrize("which", ["LayerNorm", "LayerNorm2d"])
def test_parameter_gradients_by_finite_differences(impl, rng, norm, which):
    shape = (3, 4) if which == "LayerNorm" else (2, 3, 2, 2)
    layer, gamma, beta = make(getattr(impl.nn.layernorm, which), rng, norm,
                              shape[-1] if which == "LayerNorm" else shape[1])
    x, dy = norm.offset_input(rng, shape), rng.standard_normal(shape)
    layer.forward(x)
    layer.backward(dy)

    def loss_of(name):
        def f(v):
            p = getattr(layer, name)
            old, p.data = p.data, v
            out = float(np.sum(layer.forward(x) * dy))
            p.data = old
            return out
        return f
    gradcheck(loss_of("gamma"), gamma, layer.gamma.grad, f"dgamma of {which}")
    gradcheck(loss_of("beta"), beta, layer.beta.grad, f"dbeta of {which}")


@pytest.mark.parametrize("which", ["LayerNorm", "LayerNorm2d"])
def test_gradients_accumulate_over_two_backward_calls(impl, rng, norm, which):
    shape = (4, 5) if which == "LayerNorm" else (2, 3, 2, 2)
    layer, _, _ = make(getattr(impl.nn.layernorm, which), rng, norm, shape[-1] if which == "LayerNorm" else shape[1])
    x, dy = norm.offset_input(rng, shape), rng.standard_normal(shape)
    layer.forward(x)
    layer.backward(dy)
    once_g, once_b = layer.gamma.grad.copy(), layer.beta.grad.copy()
    layer.forward(x)
    layer.backward(dy)
    hint = "the second backward overwrote .grad: backward must add into it (+=), as PyTorch does"
    assert_close(layer.gamma.grad, 2 * once_g, f"{which}: gamma.grad after two backward calls", mistakes={hint: once_g})
    assert_close(layer.beta.grad, 2 * once_b, f"{which}: beta.grad after two backward calls", mistakes={hint: once_b})


@pytest.mark.parametrize("which", ["LayerNorm", "LayerNorm2d"])
def test_float32_in_float32_out(impl, rng, norm, which):
    shape = (4, 5) if which == "LayerNorm" else (2, 3, 2, 2)
    size = shape[-1] if which == "LayerNorm" else shape[1]
    layer, gamma, beta = make(getattr(impl.nn.layernorm, which), rng, norm, size, dtype=np.float32)
    x = norm.offset_input(rng, shape).astype(np.float32)
    dy = rng.standard_normal(shape).astype(np.float32)
    y = layer.forward(x)
    dx = layer.backward(dy)
    assert_dtype(y, np.float32, f"{which}.forward(x)", "float32 input and layer")
    assert_dtype(dx, np.float32, f"{which}: dX", "float32 input, layer and grad_out")
    fn = torch_ln if which == "LayerNorm" else torch_ln2d
    want, g = torch_run(fn, {"x": x, "gamma": gamma, "beta": beta}, dy)
    assert_close(y, want, f"{which}.forward(x) in float32", tol=1e-4)
    assert_close(dx, g["x"], f"{which}: dX in float32", tol=1e-4)


@pytest.mark.parametrize("which", ["LayerNorm", "LayerNorm2d"])
def test_inputs_are_not_modified(impl, rng, norm, which):
    shape = (4, 5) if which == "LayerNorm" else (2, 3, 2, 2)
    layer, _, _ = make(getattr(impl.nn.layernorm, which), rng, norm, shape[-1] if which == "LayerNorm" else shape[1])
    x, dy = norm.offset_input(rng, shape), rng.standard_normal(shape)
    x0, dy0 = x.copy(), dy.copy()
    layer.forward(x)
    assert_close(x, x0, f"x after {which}.forward(x) (do not change the input in place)")
    layer.backward(dy)
    assert_close(dy, dy0, f"grad_out after {which}.backward(grad_out) (it must not be modified)")


def test_training_and_evaluation_agree(impl, rng, norm):
    layer, gamma, beta = make(impl.nn.layernorm.LayerNorm2d, rng, norm, 3)
    x = norm.offset_input(rng, (2, 3, 2, 2))
    y_train = layer.forward(x)
    layer.eval()
    assert_close(layer.forward(x), y_train, "LayerNorm2d in evaluation mode (it has no running statistics: "
                                            "the same result as in training mode)")
    want = torch_ln2d(torch.tensor(x), torch.tensor(gamma), torch.tensor(beta)).numpy()
    assert_close(y_train, want, "LayerNorm2d.forward(x)")


@pytest.mark.parametrize("which", ["LayerNorm", "LayerNorm2d"])
def test_forward_and_backward_on_device(impl, rng, norm, which, device):
    shape = (4, 6) if which == "LayerNorm" else (2, 4, 3, 3)
    layer, gamma, beta = make(getattr(impl.nn.layernorm, which), rng, norm,
                              shape[-1] if which == "LayerNorm" else shape[1])
    norm.on_device(layer, device)
    x, dy = norm.offset_input(rng, shape), rng.standard_normal(shape)
    y = layer.forward(device.asarray(x))
    dx = layer.backward(device.asarray(dy))
    fn = torch_ln if which == "LayerNorm" else torch_ln2d
    want, g = torch_run(fn, {"x": x, "gamma": gamma, "beta": beta}, dy)
    assert device.is_array(y) and device.is_array(dx), f"{which} on {device} left the device"
    assert_close(y, want, f"{which}.forward on {device}", tol=device.tol)
    assert_close(dx, g["x"], f"{which}: dX on {device}", tol=device.tol)
    assert_close(layer.gamma.grad, g["gamma"], f"{which}: dgamma on {device}", tol=device.tol)
