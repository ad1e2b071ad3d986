"""Task 05.2: BatchNorm1d.forward, training and evaluation, and the running statistics, against torch (float64)."""
import numpy as np
import pytest
import torch

from grader import assert_close, assert_dtype

pytestmark = pytest.mark.task("05.2")

SHAPES = {"N,C": (8, 3), "N,C,L": (4, 3, 5), "N=2": (2, 4), "batch of 1, L=6": (1, 3, 6)}


def make(impl, rng, norm, c, dtype=np.float64, **kw):
    layer = impl.nn.batchnorm.BatchNorm1d(c, dtype=dtype, **kw)
    gamma, beta = norm.set_affine(layer, rng, dtype)
    return layer, gamma, beta


def forward_mistakes(norm, x, gamma, beta):
    ndim = x.ndim
    return {
        "the batch mean was not subtracted: xhat = (x - mean) / sqrt(var + eps)":
            norm.bn_forward(x, gamma, beta, centre=False),
        "normalised with the UNBIASED variance: the forward pass divides by M (biased, like torch); "
        "only running_var stores the unbiased one": norm.bn_forward(x, gamma, beta, unbiased=True),
        "eps was added after the square root: divide by sqrt(var + eps)":
            norm.bn_forward(x, gamma, beta, eps_outside=True),
        "gamma and beta are swapped: y = gamma * xhat + beta": norm.bn_forward(x, beta, gamma),
        "the statistics were taken per sample (over the features, like LayerNorm): batch norm takes "
        "them per channel, over the batch (axis 0" + (" and 2" if ndim == 3 else "") + ")":
            norm.bn_forward(x, gamma, beta, axes=tuple(range(1, ndim))),
    }


def running_mistakes(norm, xs, momentum):
    rm, rv = norm.running_stats(xs, momentum, reversed_momentum=True)
    _, biased = norm.running_stats(xs, momentum, unbiased=False)
    reversed_hint = ("momentum convention reversed: PyTorch's is running = (1 - momentum) * running + "
                     "momentum * batch (the NEW batch gets weight momentum = 0.1)")
    return ({reversed_hint: rm},
            {reversed_hint: rv,
             "running_var holds the BIASED batch variance: store the unbiased one, var * M / (M - 1)": biased})


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_training_forward_matches_torch(impl, rng, norm, shape):
    layer, gamma, beta = make(impl, rng, norm, shape[1])
    x = norm.offset_input(rng, shape)
    y = layer.forward(x)
    want, _ = norm.torch_step(norm.torch_bn(x.ndim, gamma, beta), x)
    assert_close(y, want, "y = BatchNorm1d.forward(x) in training mode", mistakes=forward_mistakes(norm, x, gamma, beta),
                 axes=("samples", "channels"), quantities=norm.terms(x, gamma, beta)[0],
                 normalised=norm.spec(x, gamma, beta)[0])


@pytest.mark.parametrize("momentum", [0.1, 0.3], ids=["momentum=0.1", "momentum=0.3"])
@pytest.mark.parametrize("shape", [(6, 3), (3, 2, 4)], ids=["N,C", "N,C,L"])
def test_running_statistics_over_five_steps(impl, rng, norm, momentum, shape):
    layer, gamma, beta = make(impl, rng, norm, shape[1], momentum=momentum)
    bn = norm.torch_bn(len(shape), gamma, beta, momentum=momentum)
    xs = []
    for step in range(1, 6):
        x = norm.offset_input(rng, shape)
        xs.append(x)
        layer.forward(x)
        before = {"the previous running_mean": bn.running_mean.numpy().copy(),
                  "the previous running_var": bn.running_var.numpy().copy()}
        norm.torch_step(bn, x)
        mean_hints, var_hints = running_mistakes(norm, xs, momentum)
        assert_close(layer.running_mean, bn.running_mean.numpy(), f"running_mean after {step} training step(s)",
                     mistakes=mean_hints, quantities={**norm.batch_quantities(x), **before})
        assert_close(layer.running_var, bn.running_var.numpy(), f"running_var after {step} training step(s)",
                     mistakes=var_hints, quantities={**norm.batch_quantities(x), **before})
        assert layer.num_batches_tracked == step, (
            f"num_batches_tracked is {layer.num_batches_tracked} after {step} training forward pass(es): "
            f"add 1 at every training-mode forward")


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (1, 3)], ids=["N,C", "N,C,L", "batch of 1"])
def test_eval_uses_the_running_statistics(impl, rng, norm, shape):
    c = shape[1]
    layer, gamma, beta = make(impl, rng, norm, c)
    bn = norm.torch_bn(len(shape), gamma, beta)
    train_shape = (5,) + shape[1:]
    for _ in range(3):
        x = norm.offset_input(rng, train_shape)
        layer.forward(x)
        norm.torch_step(bn, x)
    layer.eval()
    bn.eval()
    rm, rv, count = layer.running_mean.copy(), layer.running_var.copy(), layer.num_batches_tracked
    x = norm.offset_input(rng, shape)
    y = layer.forward(x)
    want, _ = norm.torch_step(bn, x)
    hints = {"evaluation mode used running_var without eps: divide by sqrt(running_var + eps)":
             norm.bn_forward(x, gamma, beta, mean=rm, var=rv - 1e-5)}
    if shape[0] > 1:
        hints["eval mode used the batch statistics: in evaluation mode normalise with running_mean and "
              "running_var"] = norm.bn_forward(x, gamma, beta)
    assert_close(y, want, "y = forward(x) in evaluation mode", mistakes=hints, axes=("samples", "channels"))
    assert_close(layer.running_mean, rm, "running_mean after an evaluation-mode forward (it must not change)")
    assert_close(layer.running_var, rv, "running_var after an evaluation-mode forward (it must not change)")
    assert layer.num_batches_tracked == count, "num_batches_tracked changed in evaluation mode: count training passes only"


@pytest.mark.parametrize("shape", [(1, 4), (1, 4, 1)], ids=["(1, C)", "(1, C, 1)"])
def test_one_value_per_channel_in_training_raises(impl, rng, norm, shape):
    layer, _, _ = make(impl, rng, norm, 4)
    x = rng.standard_normal(shape)
    with pytest.raises(ValueError) as info:
        layer.forward(x)
    text = str(info.value)
    assert "eval" in text or "batch" in text, (
        f"the ValueError should say what to do (use a batch of at least 2, or call .eval()); it said: {text!r}")
    assert_close(layer.running_mean, np.zeros(4), "running_mean after the refused batch (it must not change)")
    layer.eval()
    want = norm.bn_forward(x, layer.gamma.data, layer.beta.data, mean=np.zeros(4), var=np.ones(4))
    assert_close(layer.forward(x), want, "forward of a (1, C) batch in evaluation mode (legal there)",
                 axes=("samples", "channels"))


def test_a_new_layer_has_torch_defaults(impl):
    layer = impl.nn.batchnorm.BatchNorm1d(3)
    bn = torch.nn.BatchNorm1d(3).double()
    x = np.array([[1.0, -2.0, 3.0], [4.0, 0.5, -1.0], [0.0, 2.0, 2.5]])
    want = bn(torch.from_numpy(x)).detach().numpy()
    assert_close(layer.forward(x), want, "forward of a fresh BatchNorm1d(3) (gamma = 1, beta = 0, eps = 1e-5)")
    assert_close(layer.running_var, bn.running_var.numpy(), "running_var after one step from the initial ones")


def test_float32_in_float32_out(impl, rng, norm):
    layer, gamma, beta = make(impl, rng, norm, 3, dtype=np.float32)
    x = norm.offset_input(rng, (6, 3)).astype(np.float32)
    y = layer.forward(x)
    assert_dtype(y, np.float32, "BatchNorm1d.forward(x)", "float32 input and layer")
    assert_close(y, norm.bn_forward(x.astype(np.float64), gamma, beta), "forward(x) in float32", tol=1e-4)
    assert_dtype(layer.running_var, np.float32, "running_var", "a float32 layer")
    assert_close(layer.running_var, norm.running_stats([x.astype(np.float64)])[1], "running_var in float32", tol=1e-4)


def test_input_is_not_modified(impl, rng, norm):
    layer, _, _ = make(impl, rng, norm, 3)
    x = norm.offset_input(rng, (5, 3))
    x0 = x.copy()
    layer.forward(x)
    assert_close(x, x0, "x after BatchNorm1d.forward(x) (compute new arrays; do not change the input in place)")
    layer.eval()
    layer.forward(x)
    assert_close(x, x0, "x after an evaluation-mode forward(x)")


def test_train_and_eval_on_device(impl, rng, norm, device):
    layer, gamma, beta = make(impl, rng, norm, 3)
    norm.on_device(layer, device)
    bn = norm.torch_bn(2, gamma, beta)
    x = norm.offset_input(rng, (6, 3))
    y = layer.forward(device.asarray(x))
    want, _ = norm.torch_step(bn, x)
    assert device.is_array(y), f"forward on {device} returned {type(y).__name__}: stay on the input's device"
    assert_close(y, want, f"training forward on {device}", tol=device.tol)
    layer.eval()
    bn.eval()
    y = layer.forward(device.asarray(x))
    assert_close(y, norm.torch_step(bn, x)[0], f"evaluation forward on {device}", tol=device.tol)
