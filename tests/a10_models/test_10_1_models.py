"""Task 10.1: the seven models against torch twins with the same weights (float64): state_dict keys and
shapes, parameter counts (ImageNet: the published figures), output shapes module by module, logits,
dL/dx and every parameter gradient."""
import numpy as np
import pytest

from grader import assert_close, assert_dtype

pytestmark = pytest.mark.task("10.1")

ALL = ["lenet", "baseline", "alexnet", "vgg16", "resnet18", "efficientnet", "convnext"]
LARGE = ["alexnet", "vgg16", "resnet18", "efficientnet", "convnext"]
WITH_BN = ["baseline", "resnet18", "efficientnet"]
SIZES = {"MNIST 1x28x28": (1, 28), "CIFAR 3x32x32": (3, 32)}
NO_DROPOUT = {"baseline": {"dropout": False}, "alexnet": {"dropout": 0.0}, "vgg16": {"dropout": 0.0},
              "efficientnet": {"dropout": 0.0}}
# the batch of the forward/backward tests: 1 where the model has no BatchNorm (cheaper), 4 for EfficientNet,
# whose last maps are 1x1 at 32 pixels (a training-mode BatchNorm needs several values per channel)
# the large models get a longer limit as a safety net: idle, they take a second or two on 2 cores, but a
# loaded machine can stretch that past 10 s, and one timeout costs every later test of the task
HEAVY = ("alexnet", "vgg16", "resnet18", "efficientnet", "convnext")
BATCH = {"lenet": 2, "baseline": 2, "alexnet": 1, "vgg16": 1, "resnet18": 2, "efficientnet": 4, "convnext": 1}


def models(names):
    return [pytest.param(n, marks=pytest.mark.timeout(30)) if n in HEAVY else n for n in names]


def kwargs(name, cin, size, num_classes=10):
    return dict(num_classes=num_classes, in_channels=cin, image_size=size, **NO_DROPOUT.get(name, {}))


@pytest.mark.parametrize("name", models(ALL))
def test_keys_shapes_and_parameter_count(impl, twins, rng, name):
    """CIFAR-sized (the forward tests check the MNIST-sized build's keys and shapes too)."""
    file, cls, _ = twins.MODELS[name]
    kw = kwargs(name, 3, 32)
    ours = getattr(getattr(impl.models, file), cls)(**kw, rng=rng, dtype=np.float32)
    twins.check_keys(ours, twins.meta_twin(name, **kw), cls)
    assert twins.count(ours) == twins.meta_count(name, **kw), (
        f"{cls}({kw}): {twins.count(ours):,} parameters, torch's twin has {twins.meta_count(name, **kw):,}")


@pytest.mark.parametrize("cin,size", SIZES.values(), ids=SIZES.keys())
@pytest.mark.parametrize("name", models(ALL))
def test_forward_shapes_and_logits(impl, twins, rng, name, cin, size):
    ours, twin = twins.build(impl, rng, name, **kwargs(name, cin, size))
    x = rng.standard_normal((BATCH[name], cin, size, size))
    twins.run(impl, rng, ours, twin, x, twins.MODELS[name][1], backward=False)


@pytest.mark.parametrize("name", models(ALL))
def test_backward_cifar(impl, twins, rng, name):
    ours, twin = twins.build(impl, rng, name, **kwargs(name, 3, 32))
    x = rng.standard_normal((BATCH[name], 3, 32, 32))
    twins.run(impl, rng, ours, twin, x, twins.MODELS[name][1])


@pytest.mark.parametrize("name", WITH_BN)
def test_eval_mode_cifar(impl, twins, rng, name):
    ours, twin = twins.build(impl, rng, name, **kwargs(name, 3, 32))
    ours.eval()
    twin.eval()
    x = rng.standard_normal((2, 3, 32, 32))
    twins.run(impl, rng, ours, twin, x, twins.MODELS[name][1] + " (eval mode)")


@pytest.mark.parametrize("name", models(LARGE))
def test_imagenet_parameter_count(impl, twins, rng, name):
    """1000 classes, 3 x 224 x 224: built in float32 to halve the memory; no forward."""
    file, cls, _ = twins.MODELS[name]
    kw = dict(num_classes=1000, in_channels=3, image_size=224)
    ours = getattr(getattr(impl.models, file), cls)(**kw, rng=rng, dtype=np.float32)
    twins.check_keys(ours, twins.meta_twin(name, **kw), cls)
    published = twins.PUBLISHED[name]
    assert twins.meta_count(name, **kw) == published, "the torch twin itself is wrong (a defect of the test)"
    assert twins.count(ours) == published, (
        f"{cls} for ImageNet has {twins.count(ours):,} parameters; the published figure is {published:,}")


IMAGENET_RUNS = {"alexnet": 224, "resnet18": 224, "efficientnet": 224, "convnext": 64}


@pytest.mark.parametrize("name", models(IMAGENET_RUNS))
def test_imagenet_forward_batch_of_1(impl, twins, rng, name):
    """The ImageNet model on one image, in eval mode (ConvNeXt-Tiny: its 224 build on a 64 x 64 image, the
    cheaper size that still goes through the 4x4 stem and every stage)."""
    ours, twin = twins.build(impl, rng, name, **kwargs(name, 3, 224, num_classes=1000))
    ours.eval()
    twin.eval()
    s = IMAGENET_RUNS[name]
    twins.run(impl, rng, ours, twin, rng.standard_normal((1, 3, s, s)), twins.MODELS[name][1] + " (ImageNet)",
              backward=False)


@pytest.mark.parametrize("name", models(["lenet", "resnet18"]))
def test_state_dict_loads_torch_weights(impl, twins, rng, name):
    """torch's state_dict into ours (load_state_dict) gives the same logits, and ours back into torch."""
    import torch
    file, cls, T = twins.MODELS[name]
    kw = kwargs(name, 3, 32)
    torch.manual_seed(int(rng.integers(2**31)))
    twin = twins.randomize(T(**kw), rng).eval()
    ours = getattr(getattr(impl.models, file), cls)(**kw, rng=rng)
    ours.load_state_dict({k: v.detach().numpy() for k, v in twin.state_dict().items()})
    ours.eval()
    x = rng.standard_normal((2, 3, 32, 32))
    with torch.no_grad():
        want = twin(twins.tensor(x)).numpy()
    assert_close(ours.forward(x), want, f"{cls} logits after load_state_dict(torch's state_dict)")
    back = T(**kw).eval()
    back.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in ours.state_dict().items()})
    with torch.no_grad():
        assert_close(back(twins.tensor(x)).numpy(), want, f"torch {cls} logits after loading ours.state_dict()")


@pytest.mark.timeout(30)
def test_does_not_modify_its_inputs(impl, twins, rng):
    ours, _ = twins.build(impl, rng, "resnet18", **kwargs("resnet18", 3, 32))
    x = rng.standard_normal((2, 3, 32, 32))
    x0 = x.copy()
    y = ours.forward(x)
    g = rng.standard_normal(y.shape)
    g0 = g.copy()
    ours.backward(g)
    assert_close(x, x0, "x after ResNet18.forward(x) (the input must not be modified)")
    assert_close(g, g0, "grad_out after ResNet18.backward(grad_out) (it must not be modified)")


def test_gradients_accumulate_over_two_backward_calls(impl, twins, rng):
    ours, _ = twins.build(impl, rng, "lenet", **kwargs("lenet", 1, 28))
    x = rng.standard_normal((2, 1, 28, 28))
    ours.zero_grad()
    g = rng.standard_normal((2, 10))
    ours.forward(x)
    ours.backward(g)
    once = [p.grad.copy() for p in ours.parameters()]
    ours.forward(x)
    ours.backward(g)
    for p, o in zip(ours.parameters(), once):
        assert_close(p.grad, 2 * o, "a LeNet5 parameter's .grad after two backward calls",
                     mistakes={"the second backward overwrote .grad: the layers add into it": o})


def test_on_device(impl, twins, rng, device):
    ours, twin = twins.build(impl, rng, "lenet", **kwargs("lenet", 1, 28))
    for p in ours.parameters():
        p.data, p.grad = device.asarray(p.data), device.asarray(p.grad)
    x = rng.standard_normal((2, 1, 28, 28))
    xt = twins.tensor(x, grad=True)
    yt = twin(xt)
    y = ours.forward(device.asarray(x))
    assert device.is_array(y), f"LeNet5.forward on {device} returned {type(y).__name__}: stay on the input's device"
    assert_close(y, yt.detach().numpy(), f"LeNet5 logits on {device}", tol=device.tol)
    g = rng.standard_normal((2, 10))
    (yt * twins.tensor(g)).sum().backward()
    assert_close(ours.backward(device.asarray(g)), xt.grad.numpy(), f"LeNet5 dL/dx on {device}", tol=device.tol)


def test_float32_stays_float32(impl, twins, rng):
    ours64, _ = twins.build(impl, rng, "lenet", **kwargs("lenet", 1, 28))
    ours = impl.models.lenet.LeNet5(rng=rng, dtype=np.float32)
    ours.load_state_dict({k: np.asarray(v, dtype=np.float32) for k, v in ours64.state_dict().items()})
    x = rng.standard_normal((2, 1, 28, 28))
    y = ours.forward(x.astype(np.float32))
    assert_dtype(y, np.float32, "LeNet5 logits", "float32 input and weights")
    twins.assert_close_scaled(y, ours64.forward(x), "LeNet5 float32 logits vs float64", tol=1e-4)
