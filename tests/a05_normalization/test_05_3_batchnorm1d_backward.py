"""Task 05.3: BatchNorm1d.backward against torch autograd (float64) and finite differences."""
import numpy as np
import pytest
import torch

from grader import assert_close, assert_dtype, gradcheck

pytestmark = pytest.mark.task("05.3")

SHAPES = {"N,C": (8, 3), "N,C,L": (4, 3, 5), "N=2": (2, 4), "batch of 1, L=6": (1, 3, 6)}


def make(impl, rng, norm, c, dtype=np.float64):
    layer = impl.nn.batchnorm.BatchNorm1d(c, dtype=dtype)
    gamma, beta = norm.set_affine(layer, rng, dtype)
    return layer, gamma, beta


def dx_mistakes(norm, x, gamma, dy):
    both = norm.bn_backward(x, gamma, dy, drop_mean_term=True, drop_var_term=True)
    return {
        "dX treats the batch mean and variance as constants: the mean-of-gradient terms are missing; "
        "dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / sqrt(var + eps)": both,
        "dX lacks the term - mean(dxhat) (the path through the batch mean)":
            norm.bn_backward(x, gamma, dy, drop_mean_term=True),
        "dX lacks the term - xhat * mean(dxhat * xhat) (the path through the batch variance)":
            norm.bn_backward(x, gamma, dy, drop_var_term=True),
        "dX was not multiplied by gamma: dxhat = gamma * dy":
            norm.bn_backward(x, np.ones_like(gamma), dy),
    }


def param_mistakes(norm, x, dy):
    axes = norm.bn_axes(x.ndim)
    xhat = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-5)
    return {"dgamma = sum(dy * xhat), with xhat the NORMALISED input, not x": (dy * x).sum(axis=axes),
            "dgamma is missing xhat: dgamma = sum(dy * xhat)": dy.sum(axis=axes),
            "dgamma is a mean over the batch: sum over it instead": (dy * xhat).mean(axis=axes)}


def run(impl, rng, norm, shape):
    layer, gamma, beta = make(impl, rng, norm, shape[1])
    x, dy = norm.offset_input(rng, shape), rng.standard_normal(shape)
    layer.forward(x)
    dx = layer.backward(dy)
    _, g = norm.torch_step(norm.torch_bn(x.ndim, gamma, beta), x, dy)
    return layer, gamma, x, dy, dx, g


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_input_gradient_matches_torch(impl, rng, norm, shape):
    layer, gamma, x, dy, dx, g = run(impl, rng, norm, shape)
    assert_close(dx, g["x"], "dX = BatchNorm1d.backward(dY) (training mode)", mistakes=dx_mistakes(norm, x, gamma, dy),
                 axes=("samples", "channels"), quantities=norm.terms(x, gamma, np.zeros_like(gamma), dy)[1],
                 normalised_grad=norm.spec(x, gamma, gamma)[1])


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_parameter_gradients_match_torch(impl, rng, norm, shape):
    layer, gamma, x, dy, dx, g = run(impl, rng, norm, shape)
    per_channel = int(np.prod(shape)) // shape[1]
    assert_close(layer.gamma.grad, g["gamma"], "dgamma (gamma.grad)", batch_size=per_channel,
                 mistakes=param_mistakes(norm, x, dy))
    assert_close(layer.beta.grad, g["beta"], "dbeta (beta.grad)", batch_size=per_channel,
                 reduced_from=dy if x.ndim == 2 else None,
                 mistakes={"dbeta = sum(dy) over every axis but the channel axis 1": dy.sum(axis=0)}
                 if x.ndim == 3 else None)


def test_input_gradient_by_finite_differences(impl, rng, norm):
    layer, _, _ = make(impl, rng, norm, 3)
    x, dy = norm.offset_input(rng, (4, 3)), rng.standard_normal((4, 3))
    layer.forward(x)
    dx = layer.backward(dy)
    gradcheck(lambda v: float(np.sum(layer.forward(v) * dy)), x, dx, "dX of BatchNorm1d (training mode)")


def test_parameter_gradients_by_finite_differences(impl, rng, norm):
    layer, gamma, beta = make(impl, rng, norm, 3)
    x, dy = norm.offset_input(rng, (5, 3, 2)), rng.standard_normal((5, 3, 2))
    layer.forward(x)
    layer.backward(dy)

    def loss_of(name):
        def f(v):
            old = getattr(layer, name).data
            getattr(layer, name).data = v
            out = float(np.sum(layer.forward(x) * dy))
            getattr(layer, name).data = old
            return out
        return f
    gradcheck(loss_of("gamma"), gamma, layer.gamma.grad, "dgamma")
    gradcheck(loss_of("beta"), beta, layer.beta.grad, "dbeta")


def test_backward_in_evaluation_mode(impl, rng, norm):
    layer, gamma, beta = make(impl, rng, norm, 3)
    bn = norm.torch_bn(2, gamma, beta)
    # running statistics as training would leave them (set here, so that this task does not depend on 05.2's)
    rm, rv = 12.0 + rng.standard_normal(3), 25.0 * rng.uniform(0.5, 1.5, 3)
    layer.running_mean, layer.running_var = rm.copy(), rv.copy()
    bn.running_mean.copy_(torch.from_numpy(rm))
    bn.running_var.copy_(torch.from_numpy(rv))
    layer.eval()
    bn.eval()
    x, dy = norm.offset_input(rng, (4, 3)), rng.standard_normal((4, 3))
    layer.forward(x)
    dx = layer.backward(dy)
    _, g = norm.torch_step(bn, x, dy)
    assert_close(dx, g["x"], "dX in evaluation mode", mistakes={
        "evaluation-mode backward used the training formula: with the running statistics fixed, "
        "dx = gamma * dy / sqrt(running_var + eps)": norm.bn_backward(x, gamma, dy),
        "dX used the batch variance: in evaluation mode the forward pass (task 05.2) must normalise with the "
        "running statistics, and backward use them too": dy * gamma / np.sqrt(x.var(axis=0) + 1e-5)},
                 axes=("samples", "channels"))
    assert_close(layer.gamma.grad, g["gamma"], "dgamma in evaluation mode (xhat from the running statistics)")
    assert_close(layer.beta.grad, g["beta"], "dbeta in evaluation mode")


def test_gradients_accumulate_over_two_backward_calls(impl, rng, norm):
    layer, _, _ = make(impl, rng, norm, 3)
    x, dy = norm.offset_input(rng, (5, 3)), rng.standard_normal((5, 3))
    layer.forward(x)
    layer.backward(dy)
    once_g, once_b = layer.gamma.grad.copy(), layer.beta.grad.copy()
    layer.forward(x)
    layer.backward(dy)
    hint = "the second backward overwrote .grad: backward must add into it (+=), as PyTorch does"
    assert_close(layer.gamma.grad, 2 * once_g, "gamma.grad after two backward calls", mistakes={hint: once_g})
    assert_close(layer.beta.grad, 2 * once_b, "beta.grad after two backward calls", mistakes={hint: once_b})


def test_backward_keeps_float32(impl, rng, norm):
    layer, gamma, _ = make(impl, rng, norm, 3, dtype=np.float32)
    x = norm.offset_input(rng, (6, 3)).astype(np.float32)
    dy = rng.standard_normal((6, 3)).astype(np.float32)
    layer.forward(x)
    dx = layer.backward(dy)
    assert_dtype(dx, np.float32, "dX", "float32 input, layer and grad_out")
    assert_dtype(layer.gamma.grad, np.float32, "gamma.grad", "a float32 layer")
    want = norm.bn_backward(x.astype(np.float64), gamma, dy.astype(np.float64))
    assert_close(dx, want, "dX in float32", tol=1e-4)


def test_grad_out_is_not_modified(impl, rng, norm):
    layer, _, _ = make(impl, rng, norm, 3)
    x, dy = norm.offset_input(rng, (5, 3)), rng.standard_normal((5, 3))
    x0, dy0 = x.copy(), dy.copy()
    layer.forward(x)
    layer.backward(dy)
    assert_close(dy, dy0, "grad_out after backward(grad_out) (it must not be modified)")
    assert_close(x, x0, "x after forward and backward (it must not be modified)")


def test_backward_on_device(impl, rng, norm, device):
    layer, gamma, beta = make(impl, rng, norm, 3)
    norm.on_device(layer, device)
    x, dy = norm.offset_input(rng, (6, 3, 2)), rng.standard_normal((6, 3, 2))
    layer.forward(device.asarray(x))
    dx = layer.backward(device.asarray(dy))
    _, g = norm.torch_step(norm.torch_bn(3, gamma, beta), x, dy)
    assert device.is_array(dx), f"backward on {device} returned {type(dx).__name__}: stay on the input's device"
    assert_close(dx, g["x"], f"dX on {device}", tol=device.tol)
    assert_close(layer.gamma.grad, g["gamma"], f"dgamma on {device}", tol=device.tol)
