"""Torch twins of the models of assignment 10 (and of the blocks they use), and the helpers their tests share.

Each twin is a float64 torch module with the same attribute names and layer order as the
library's model, so their ``state_dict`` keys and shapes agree one to one (AlexNet, VGG16 and
ResNet18 have torchvision's keys; ConvNeXt-Tiny the original ConvNeXt code's). The fixture
``twins`` gives the model twins by name, ``twins.build(name, **kw)``, and the helpers.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as F

from grader import assert_close


def _act(name: str) -> tnn.Module:
    return {"relu": tnn.ReLU, "relu6": tnn.ReLU6, "silu": tnn.SiLU}[name]()


class TDepthwise(tnn.Module):
    """``nn.Conv2d(C, C, k, stride, padding, groups=C)``: the same parameters (``weight`` (C, 1, k, k),
    ``bias``), computed from ``F.unfold`` (a product and a sum over the k*k window), because torch's own
    grouped convolution in float64 on a CPU is slow (seconds for a small EfficientNet)."""

    def __init__(self, channels: int, k: int, stride: int = 1, padding: int = 0, bias: bool = True) -> None:
        super().__init__()
        self.weight = tnn.Parameter(torch.empty(channels, 1, k, k))
        self.bias = tnn.Parameter(torch.zeros(channels)) if bias else None
        if self.weight.device.type != "meta":
            tnn.init.kaiming_uniform_(self.weight, a=5 ** 0.5)
        self.k, self.stride, self.padding = k, stride, padding

    def forward(self, x: Any) -> Any:
        k, s, p = self.k, self.stride, self.padding
        n, c, h, w = x.shape  # leak-check: allowed (torch twin)
        oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        cols = F.unfold(x, k, padding=p, stride=s).view(n, c, k * k, oh * ow)
        y = (cols * self.weight.view(1, c, k * k, 1)).sum(dim=2).view(n, c, oh, ow)
        return y if self.bias is None else y + self.bias[None, :, None, None]


class TBasicBlock(tnn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = tnn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(cout)
        self.conv2 = tnn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(cout)
        self.downsample = (tnn.Sequential(tnn.Conv2d(cin, cout, 1, stride, bias=False), tnn.BatchNorm2d(cout))
                           if stride != 1 or cin != cout else None)
        self.double()

    def forward(self, x: Any, mistake: str | None = None) -> Any:
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        short = x if self.downsample is None else self.downsample(x)
        if mistake == "shortcut without BN" and self.downsample is not None:
            short = self.downsample[0](x)
        if mistake == "residual after relu":
            return F.relu(out) + short
        if mistake == "no residual":
            return F.relu(out)
        return F.relu(out + short)


class TSqueezeExcite(tnn.Module):
    def __init__(self, channels: int, squeeze: int, activation: str = "relu") -> None:
        super().__init__()
        self.fc1 = tnn.Linear(channels, squeeze)
        self.act = _act(activation)
        self.fc2 = tnn.Linear(squeeze, channels)
        self.double()

    def forward(self, x: Any, mistake: str | None = None) -> Any:
        z = self.fc2(self.act(self.fc1(x.mean(dim=(2, 3)))))
        g = torch.softmax(z, dim=1) if mistake == "softmax" else torch.sigmoid(z)
        if mistake == "gate only":
            return g[:, :, None, None].expand_as(x)
        return x * g[:, :, None, None]  # leak-check: allowed (torch twin)


class TMBConv(tnn.Module):
    def __init__(self, cin: int, cout: int, k: int = 3, stride: int = 1, e: int = 6, se_ratio: float = 0.0,
                 activation: str = "relu6") -> None:
        super().__init__()
        hidden = cin * e
        self.activation = activation
        if e != 1:
            self.expand_conv = tnn.Conv2d(cin, hidden, 1, bias=False)
            self.expand_bn = tnn.BatchNorm2d(hidden)
        else:
            self.expand_conv = self.expand_bn = None
        self.dw_conv = TDepthwise(hidden, k, stride, k // 2, bias=False)
        self.dw_bn = tnn.BatchNorm2d(hidden)
        self.se = TSqueezeExcite(hidden, max(1, int(cin * se_ratio)), activation) if se_ratio > 0 else None
        self.project_conv = tnn.Conv2d(hidden, cout, 1, bias=False)
        self.project_bn = tnn.BatchNorm2d(cout)
        self.use_residual = stride == 1 and cin == cout
        self.double()

    def forward(self, x: Any, mistake: str | None = None) -> Any:
        act = _act(self.activation)
        h = x if self.expand_conv is None else act(self.expand_bn(self.expand_conv(x)))
        h = act(self.dw_bn(self.dw_conv(h)))
        if self.se is not None and mistake != "no SE":
            h = self.se(h)  # leak-check: allowed (torch twin)
        h = self.project_bn(self.project_conv(h))  # leak-check: allowed (torch twin)
        if mistake == "activation after project":
            h = act(h)
        if mistake == "no residual":
            return h
        return h + x if self.use_residual else h  # leak-check: allowed (torch twin)


class TLayerNorm2d(tnn.Module):
    """ConvNeXt's channels-first LayerNorm: over axis 1 of (N, C, H, W)."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = tnn.Parameter(torch.ones(channels))
        self.bias = tnn.Parameter(torch.zeros(channels))
        self.eps = eps
        self.double()

    def forward(self, x: Any, axis: int = 1) -> Any:
        u = x.mean(axis, keepdim=True)
        v = ((x - u) ** 2).mean(axis, keepdim=True)
        return (x - u) / torch.sqrt(v + self.eps) * self.weight[:, None, None] + self.bias[:, None, None]


class TConvNeXtBlock(tnn.Module):
    def __init__(self, dim: int, layer_scale_init: float = 1e-6) -> None:
        super().__init__()
        self.dwconv = TDepthwise(dim, 7, 1, 3)
        self.norm = TLayerNorm2d(dim)
        self.pwconv1 = tnn.Linear(dim, 4 * dim)
        self.pwconv2 = tnn.Linear(4 * dim, dim)
        self.gamma = tnn.Parameter(torch.full((dim,), layer_scale_init)) if layer_scale_init > 0 else None
        self.double()

    def forward(self, x: Any, mistake: str | None = None) -> Any:
        h = self.dwconv(x)
        if mistake == "norm over H":   # LayerNorm2d applied after moving channels last: it normalises H
            h = self.norm(h.permute(0, 2, 3, 1))
        else:
            h = self.norm(h).permute(0, 2, 3, 1).contiguous()
        act = (lambda t: F.gelu(t, approximate="tanh")) if mistake == "tanh gelu" else F.gelu
        h = self.pwconv2(act(self.pwconv1(h)))
        if self.gamma is not None and mistake != "no layer scale":
            h = h * self.gamma
        if mistake == "no residual":
            return h.permute(0, 3, 1, 2)
        return x + h.permute(0, 3, 1, 2)



# -- model twins -------------------------------------------------------------------------------

def _size(s: int, k: int, st: int = 1, p: int = 0) -> int:
    return (s + 2 * p - k) // st + 1


def _drop(p: float) -> tnn.Module:
    return tnn.Dropout(p) if p > 0 else tnn.Identity()


class TLeNet5(tnn.Module):
    def __init__(self, num_classes: int = 10, in_channels: int = 1, image_size: int = 28) -> None:
        super().__init__()
        s = _size(_size(image_size, 5, 1, 2) // 2, 5) // 2
        self.features = tnn.Sequential(tnn.Conv2d(in_channels, 6, 5, padding=2), tnn.Tanh(), tnn.AvgPool2d(2),
                                       tnn.Conv2d(6, 16, 5), tnn.Tanh(), tnn.AvgPool2d(2))
        self.flatten = tnn.Flatten()
        self.classifier = tnn.Sequential(tnn.Linear(16 * s * s, 120), tnn.Tanh(), tnn.Linear(120, 84), tnn.Tanh(),
                                         tnn.Linear(84, num_classes))
        self.double()

    def forward(self, x: Any) -> Any:
        return self.classifier(self.flatten(self.features(x)))  # leak-check: allowed (torch twin)


class TBaselineCNN(tnn.Module):
    def __init__(self, num_classes: int = 10, in_channels: int = 1, image_size: int = 28, dropout: bool = True) -> None:
        super().__init__()
        d = (lambda p: tnn.Dropout(p)) if dropout else (lambda p: tnn.Identity())
        s = image_size // 4
        self.features = tnn.Sequential(
            tnn.Conv2d(in_channels, 32, 3, padding=1), tnn.BatchNorm2d(32), tnn.ReLU(),
            tnn.Conv2d(32, 64, 3, padding=1), tnn.BatchNorm2d(64), tnn.ReLU(), tnn.MaxPool2d(2), d(0.15),
            tnn.Conv2d(64, 128, 3, padding=1), tnn.BatchNorm2d(128), tnn.LeakyReLU(0.1), tnn.MaxPool2d(2), d(0.25))
        self.flatten = tnn.Flatten()
        self.classifier = tnn.Sequential(tnn.Linear(128 * s * s, 256), tnn.ReLU(), d(0.5), tnn.Linear(256, num_classes))
        self.double()

    def forward(self, x: Any) -> Any:
        return self.classifier(self.flatten(self.features(x)))  # leak-check: allowed (torch twin)


class TAlexNet(tnn.Module):
    def __init__(self, num_classes: int = 1000, in_channels: int = 3, image_size: int = 224, dropout: float = 0.5) -> None:
        super().__init__()
        small = image_size < 64
        k, st, p = (3, 2, 1) if small else (11, 4, 2)
        pk = 2 if small else 3
        s = _size(image_size, k, st, p)
        for _ in range(3):
            s = _size(s, pk, 2)
        self.features = tnn.Sequential(
            tnn.Conv2d(in_channels, 64, k, st, p), tnn.ReLU(), tnn.MaxPool2d(pk, 2),
            tnn.Conv2d(64, 192, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(pk, 2),
            tnn.Conv2d(192, 384, 3, padding=1), tnn.ReLU(), tnn.Conv2d(384, 256, 3, padding=1), tnn.ReLU(),
            tnn.Conv2d(256, 256, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(pk, 2))
        self.flatten = tnn.Flatten()
        self.classifier = tnn.Sequential(_drop(dropout), tnn.Linear(256 * s * s, 4096), tnn.ReLU(), _drop(dropout),
                                         tnn.Linear(4096, 4096), tnn.ReLU(), tnn.Linear(4096, num_classes))
        self.double()

    def forward(self, x: Any) -> Any:
        return self.classifier(self.flatten(self.features(x)))  # leak-check: allowed (torch twin)


VGG16_CONFIG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


class TVGG16(tnn.Module):
    def __init__(self, num_classes: int = 1000, in_channels: int = 3, image_size: int = 224, dropout: float = 0.5) -> None:
        super().__init__()
        layers: list[tnn.Module] = []
        c, s = in_channels, image_size  # leak-check: allowed (torch twin)
        for v in VGG16_CONFIG:
            if v == "M":
                layers.append(tnn.MaxPool2d(2) if s >= 2 else tnn.Identity())
                s = s // 2 if s >= 2 else s  # leak-check: allowed (torch twin)
            else:
                layers += [tnn.Conv2d(c, int(v), 3, padding=1), tnn.ReLU()]
                c = int(v)
        self.features = tnn.Sequential(*layers)
        self.flatten = tnn.Flatten()
        self.classifier = tnn.Sequential(tnn.Linear(512 * s * s, 4096), tnn.ReLU(), _drop(dropout),
                                         tnn.Linear(4096, 4096), tnn.ReLU(), _drop(dropout),
                                         tnn.Linear(4096, num_classes))
        self.double()

    def forward(self, x: Any) -> Any:
        return self.classifier(self.flatten(self.features(x)))  # leak-check: allowed (torch twin)


class TResNet18(tnn.Module):
    def __init__(self, num_classes: int = 1000, in_channels: int = 3, image_size: int = 224) -> None:
        super().__init__()
        small = image_size < 64
        self.conv1 = (tnn.Conv2d(in_channels, 64, 3, 1, 1, bias=False) if small
                      else tnn.Conv2d(in_channels, 64, 7, 2, 3, bias=False))
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU()
        self.maxpool = tnn.Identity() if small else tnn.MaxPool2d(3, 2, 1)
        c = 64
        for i, w in enumerate((64, 128, 256, 512)):
            setattr(self, f"layer{i + 1}", tnn.Sequential(TBasicBlock(c, w, 1 if i == 0 else 2), TBasicBlock(w, w)))
            c = w
        self.fc = tnn.Linear(512, num_classes)
        self.double()

    def forward(self, x: Any) -> Any:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(x.mean(dim=(2, 3)))


EFFNET_STAGES = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
                 (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]


class TEfficientNetLite0(tnn.Module):
    def __init__(self, num_classes: int = 1000, in_channels: int = 3, image_size: int = 224, dropout: float = 0.2) -> None:
        super().__init__()
        self.conv_stem = tnn.Conv2d(in_channels, 32, 3, 2, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(32)
        self.act1 = tnn.ReLU6()
        blocks, c = [], 32
        for e, k, s, out, n in EFFNET_STAGES:
            stage = []
            for i in range(n):
                stage.append(TMBConv(c, out, k, s if i == 0 else 1, e, 0.0, "relu6"))  # leak-check: allowed (torch twin)
                c = out
            blocks.append(tnn.Sequential(*stage))
        self.blocks = tnn.ModuleList(blocks)
        self.conv_head = tnn.Conv2d(c, 1280, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(1280)
        self.act2 = tnn.ReLU6()
        self.dropout = _drop(dropout)
        self.classifier = tnn.Linear(1280, num_classes)
        self.double()

    def forward(self, x: Any) -> Any:
        x = self.act1(self.bn1(self.conv_stem(x)))
        for stage in self.blocks:
            x = stage(x)
        x = self.act2(self.bn2(self.conv_head(x))).mean(dim=(2, 3))
        return self.classifier(self.dropout(x))


CONVNEXT_DEPTHS, CONVNEXT_DIMS = (3, 3, 9, 3), (96, 192, 384, 768)


class TConvNeXtTiny(tnn.Module):
    def __init__(self, num_classes: int = 1000, in_channels: int = 3, image_size: int = 224,
                 layer_scale_init: float = 1e-6) -> None:
        super().__init__()
        pad = 2 if image_size < 64 else 0
        dims = CONVNEXT_DIMS
        downs = [tnn.Sequential(tnn.Conv2d(in_channels, dims[0], 4, 4, pad), TLayerNorm2d(dims[0]))]
        downs += [tnn.Sequential(TLayerNorm2d(dims[i - 1]), tnn.Conv2d(dims[i - 1], dims[i], 2, 2)) for i in range(1, 4)]
        self.downsample_layers = tnn.ModuleList(downs)
        self.stages = tnn.ModuleList(tnn.Sequential(*[TConvNeXtBlock(d, layer_scale_init) for _ in range(n)])
                                     for d, n in zip(dims, CONVNEXT_DEPTHS))
        self.norm = tnn.LayerNorm(dims[-1], eps=1e-6)
        self.head = tnn.Linear(dims[-1], num_classes)
        self.double()

    def forward(self, x: Any) -> Any:
        for down, stage in zip(self.downsample_layers, self.stages):
            x = stage(down(x))
        return self.head(self.norm(x.mean(dim=(2, 3))))


MODELS = {"lenet": ("lenet", "LeNet5", TLeNet5), "baseline": ("baseline_cnn", "BaselineCNN", TBaselineCNN),
          "alexnet": ("alexnet", "AlexNet", TAlexNet), "vgg16": ("vgg", "VGG16", TVGG16),
          "resnet18": ("resnet", "ResNet18", TResNet18),
          "efficientnet": ("efficientnet", "EfficientNetLite0", TEfficientNetLite0),
          "convnext": ("convnext", "ConvNeXtTiny", TConvNeXtTiny)}

#: the published ImageNet parameter counts (1000 classes, 3 x 224 x 224)
PUBLISHED = {"alexnet": 61_100_840, "vgg16": 138_357_544, "resnet18": 11_689_512,
             "efficientnet": 4_652_008, "convnext": 28_589_128}

# -- helpers ---------------------------------------------------------------------------------------

def randomize(twin: tnn.Module, rng: np.random.Generator) -> tnn.Module:
    """Give every norm layer random weights and running statistics, and every layer scale random
    values, so that no term of the answer hides behind a 1, a 0 or a 1e-6."""
    with torch.no_grad():
        for m in twin.modules():
            if isinstance(m, (tnn.BatchNorm2d, tnn.LayerNorm, TLayerNorm2d)):
                m.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, m.weight.shape)))
                m.bias.copy_(torch.tensor(rng.standard_normal(m.bias.shape) * 0.3))
            if isinstance(m, tnn.BatchNorm2d):
                m.running_mean.copy_(torch.tensor(rng.standard_normal(m.running_mean.shape) * 0.3))
                m.running_var.copy_(torch.tensor(rng.uniform(0.5, 2.0, m.running_var.shape)))
                m.num_batches_tracked.fill_(3)
            if isinstance(m, TConvNeXtBlock) and m.gamma is not None:
                m.gamma.copy_(torch.tensor(rng.uniform(0.5, 1.5, m.gamma.shape)))
    return twin


def _any(keys: list[str], part: str) -> bool:
    """Whether some key has a component path starting with ``part`` (``downsample.1.`` in ``layer2.0.downsample.1.weight``)."""
    return any(("." + k).find("." + part) >= 0 for k in keys)


def key_hints(missing: list[str], unexpected: list[str]) -> list[str]:
    """What a difference in the state_dict keys says about the wiring."""
    hints = []
    if _any(missing, "downsample.1.") and not _any(missing, "downsample.0."):
        hints.append("the projection shortcut has no BatchNorm: downsample = Sequential(Conv2d 1x1 with the "
                     "block's stride and no bias, BatchNorm2d)")
    elif _any(missing, "downsample."):
        hints.append("a block that changes the stride or the channels needs a projection shortcut "
                     "(downsample = Sequential(Conv2d 1x1, BatchNorm2d)): the identity no longer fits")
    if _any(unexpected, "downsample.") and not _any(missing, "downsample."):
        hints.append("a block that keeps the shape has the identity as its shortcut (downsample = None)")
    if _any(missing, "expand_"):
        hints.append("expand_ratio != 1 needs the expand stage (expand_conv 1x1, expand_bn)")
    if _any(unexpected, "expand_"):
        hints.append("with expand_ratio 1 there is no expand stage (expand_conv is None)")
    if _any(missing, "se."):
        hints.append("se_ratio > 0 asks for a SqueezeExcite on the expanded channels")
    if _any(unexpected, "se."):
        hints.append("se_ratio = 0 means no SqueezeExcite (se is None)")
    if _any(missing, "gamma"):
        hints.append("the layer scale gamma (a Parameter of shape (C,)) is missing")
    return hints


def load_twin(ours: Any, twin: tnn.Module, where: str) -> None:
    """Copy the twin's weights and buffers into ``ours`` by state_dict key; fail naming any key mismatch."""
    __tracebackhide__ = True
    theirs = {k: v.detach().numpy().copy() for k, v in twin.state_dict().items()}
    mine = ours.state_dict()
    missing = [k for k in theirs if k not in mine]
    unexpected = [k for k in mine if k not in theirs]
    if missing or unexpected:
        msg = (f"{where}: the state_dict keys differ from torch's twin: missing {missing[:6]}"
               f"{' ...' if len(missing) > 6 else ''}, unexpected {unexpected[:6]}{' ...' if len(unexpected) > 6 else ''}"
               f" (the attribute names are listed in the class docstring)")
        raise AssertionError(msg + "".join(f"\n  hint: {h}" for h in key_hints(missing, unexpected)))
    for k, v in theirs.items():
        got = tuple(np.shape(mine[k]))
        if got != v.shape:
            raise AssertionError(f"{where}: {k} has shape {got}, torch's twin has {v.shape}")
    ours.load_state_dict(theirs)


def _np(a: Any) -> np.ndarray:
    return np.asarray(a.get() if hasattr(a, "get") else a, dtype=np.float64)


def assert_close_scaled(actual: Any, expected: Any, name: str, scale: float | None = None, tol: float = 1e-7,
                        **hints: Any) -> None:
    """``max |a - e| <= tol * scale`` (scale: ``max |e|`` unless given), the test for a whole network.

    Through a deep stack of training-mode BatchNorms some gradient entries are differences of
    nearly equal numbers (a BatchNorm's input gradient sums to zero over each channel, so
    whatever feeds only BatchNorms gets gradients that cancel), and their element-wise relative
    error measures round-off, not a mistake. A wiring mistake is off by the size of the
    quantity itself, which this still catches; the message is ``assert_close``'s."""
    __tracebackhide__ = True
    if actual is None or not hasattr(actual, "shape") or tuple(actual.shape) != tuple(np.shape(expected)):
        assert_close(actual, expected, name, tol=tol, **hints)
    a, e = _np(actual), np.asarray(expected, dtype=np.float64)
    s = float(np.max(np.abs(e), initial=0.0)) if scale is None else scale
    if np.all(np.isfinite(a)) and float(np.max(np.abs(a - e), initial=0.0)) <= tol * max(s, 1e-300):
        return
    assert_close(a, e, name, tol=tol, **hints)
    raise AssertionError(f"{name} does not match: max |got - expected| = {float(np.max(np.abs(a - e))):.3g}, "
                         f"more than {tol:g} x the largest expected value {s:.3g}")


def assert_grads(ours: Any, twin: tnn.Module, where: str, tol: float = 1e-7) -> None:
    """Every parameter gradient of ``ours`` against the twin's, by state_dict key, each scaled by its
    own largest entry (or, for one that is zero in exact arithmetic, by the largest gradient of all)."""
    __tracebackhide__ = True
    theirs = {k: (t.grad.numpy() if t.grad is not None else np.zeros(t.shape)) for k, t in twin.named_parameters()}
    overall = max(float(np.max(np.abs(g), initial=0.0)) for g in theirs.values())
    for key, p in ours.named_parameters():
        expected = theirs[key]
        own = float(np.max(np.abs(expected), initial=0.0))
        scale = own if own > 1e-6 * overall else overall
        assert_close_scaled(p.grad, expected, f"{where}: d{key} ({key}.grad)", scale=scale, tol=tol)


def to_torch(a: Any, grad: bool = False) -> Any:
    return torch.tensor(np.array(a, dtype=np.float64)).requires_grad_(grad)


def fmt_shape(shape: Any) -> str:
    """``(N, 64, 16, 16)``: a shape with its batch axis written as N."""
    shape = tuple(shape)
    return "(" + ", ".join(["N"] + [str(d) for d in shape[1:]]) + ")" if shape else "()"


BLOCKS = ("BasicBlock", "MBConv", "ConvNeXtBlock", "SqueezeExcite")


def _named_modules(impl: Any, model: Any) -> list[tuple[str, Any]]:
    """``(state_dict-style name, module)`` for every sub-module of a library model."""
    Module, Sequential = impl.module.Module, impl.module.Sequential
    out: list[tuple[str, Any]] = []

    def walk(m: Any, prefix: str) -> None:
        for key, value in vars(m).items():
            items: list[tuple[str, Any]] = []
            if isinstance(value, Module):
                items = [(key, value)]
            elif isinstance(value, (list, tuple)):
                base = "" if isinstance(m, Sequential) and key == "layers" else key + "."
                items = [(f"{base}{i}", v) for i, v in enumerate(value) if isinstance(v, Module)]
            for name, child in items:
                full = prefix + name
                out.append((full, child))
                if type(child).__name__ not in BLOCKS:   # a block's inside is 09's business
                    walk(child, full + ".")

    walk(model, "")
    return out


class Trace:
    """Records the input and output shape of every named module of a library model during one forward."""

    def __init__(self, impl: Any, model: Any, expected: dict[str, Any] | None = None, where: str = "") -> None:
        self.expected, self.where = expected, where
        self.records: list[dict[str, Any]] = []
        self.failed: str | None = None
        self.kinds: dict[str, str] = {}
        self._patched: list[Any] = []
        for name, m in _named_modules(impl, model):
            self.kinds[name] = type(m).__name__
            self._wrap(name, m)

    def _wrap(self, name: str, m: Any) -> None:
        inner = m.forward
        trace = self

        def forward(x: Any, *args: Any, **kwargs: Any) -> Any:
            rec = {"name": name, "in": tuple(np.shape(x)), "out": None}
            trace.records.append(rec)
            exp = (trace.expected or {}).get(name)
            if exp is not None and rec["in"] != exp[0]:
                check_trace(trace, trace.expected, trace.where)   # stop at once, naming the module
            try:
                y = inner(x, *args, **kwargs)
            except Exception:
                trace.failed = trace.failed or name
                raise
            rec["out"] = tuple(np.shape(y))
            if exp is not None and rec["out"] != exp[1]:
                check_trace(trace, trace.expected, trace.where)   # before a wrong size makes the rest slow
            return y

        m.forward = forward
        self._patched.append(m)

    def close(self) -> None:
        for m in self._patched:
            vars(m).pop("forward", None)


def forward_with_shapes(twin: tnn.Module, x: Any) -> tuple[Any, dict[str, tuple[tuple[int, ...], tuple[int, ...]]]]:
    """The twin's output for ``x``, and ``{name: (input shape, output shape)}`` of each named sub-module (first call)."""
    shapes: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
    handles = []
    for name, m in twin.named_modules():
        if not name:
            continue

        def hook(mod: Any, inp: Any, out: Any, name: str = name) -> None:
            shapes.setdefault(name, (tuple(inp[0].shape), tuple(out.shape)))
        handles.append(m.register_forward_hook(hook))
    try:
        out = twin(x)
    finally:
        for h in handles:
            h.remove()
    return out, shapes


def _shape_hint(name: str, kind: str, got_in: tuple, got: tuple, exp: tuple) -> str:
    hints = []
    if len(got) == 4 and len(exp) == 4:
        if got[1] != exp[1]:
            hints.append(f"it makes {got[1]} channels, torch's twin {exp[1]}")
        if got[2:] != exp[2:]:
            if len(got_in) == 4 and got[2:] == got_in[2:] and exp[2] < got_in[2]:
                hints.append("it keeps the size where torch's halves it: a stride of 2 is missing")
            else:
                hints.append(f"the size is {got[2]}x{got[3]}, torch's {exp[2]}x{exp[3]}: a stride, kernel or padding differs")
        if kind == "BasicBlock" and (got[1] != exp[1] or got[2:] != exp[2:]):
            hints.append("the first block of a stage that widens and halves is BasicBlock(c_in, c_out, stride=2), "
                         "with its projection shortcut")
    return "; ".join(hints)


def check_trace(trace: Trace, expected: dict[str, Any], where: str) -> None:
    """Fail, naming the module, at the first place where the shapes of a forward differ from the twin's."""
    __tracebackhide__ = True
    kinds = trace.kinds
    for rec in trace.records:
        name = rec["name"]
        if name not in expected:
            continue
        exp_in, exp_out = expected[name]
        if rec["in"] != exp_in:
            msg = f"{where} {name}: receives an input of shape {fmt_shape(rec['in'])}, expected {fmt_shape(exp_in)}"
            if len(rec["in"]) > 2 and len(exp_in) == 2 and int(np.prod(rec["in"][1:])) == exp_in[1]:
                msg += ("\n  hint: the features are still 4-d: flatten them to (N, C*H*W) before the classifier "
                        "(self.flatten)")
            else:
                msg += "\n  hint: what runs before it in forward is different (a layer left out, run twice or out of order?)"
            raise AssertionError(msg)
        if rec["out"] is not None and rec["out"] != exp_out:
            # go down to the block (or the layer) where the shape goes wrong
            inner = [r for r in trace.records if r["name"].startswith(name + ".") and r["out"] is not None
                     and r["name"] in expected and r["in"] == expected[r["name"]][0] and r["out"] != expected[r["name"]][1]]
            target = rec
            if kinds.get(name) not in BLOCKS:
                blocks = [r for r in inner if kinds.get(r["name"]) in BLOCKS]
                target = blocks[0] if blocks else (inner[-1] if inner else rec)
            t_in, t_out = expected[target["name"]]
            msg = (f"{where} {target['name']}: output shape {fmt_shape(target['out'])}, expected {fmt_shape(t_out)}")
            hint = _shape_hint(target["name"], kinds.get(target["name"], ""), target["in"], target["out"], t_out)
            raise AssertionError(msg + (f"\n  hint: {hint}" if hint else ""))


def check_keys(ours: Any, twin: tnn.Module, where: str) -> dict[str, Any]:
    """Fail, naming the keys and what they suggest, unless ``ours.state_dict()`` has the twin's keys and shapes."""
    __tracebackhide__ = True
    theirs = twin.state_dict()
    mine = ours.state_dict()
    missing = [k for k in theirs if k not in mine]
    unexpected = [k for k in mine if k not in theirs]
    if missing or unexpected:
        msg = (f"{where}: the state_dict keys differ from torch's twin: missing {missing[:6]}"
               f"{' ...' if len(missing) > 6 else ''}, unexpected {unexpected[:6]}{' ...' if len(unexpected) > 6 else ''}"
               f" (the attribute names and the layer order are listed in the class docstring)")
        raise AssertionError(msg + "".join(f"\n  hint: {h}" for h in key_hints(missing, unexpected)))
    for k, v in theirs.items():
        got = tuple(np.shape(mine[k]))
        if got != tuple(v.shape):
            raise AssertionError(f"{where}: {k} has shape {got}, torch's twin has {tuple(v.shape)}")
    return mine


def build(impl: Any, rng: np.random.Generator, name: str, **kwargs: Any) -> tuple[Any, tnn.Module]:
    """The library's model ``name`` and its torch twin, built with ``kwargs``, holding the same random weights.

    The twin is built on torch's meta device and then takes the library model's parameter arrays
    themselves (no copy: parameters are only read by forward and backward); buffers are copied, and
    every norm layer gets random weights and statistics.
    """
    __tracebackhide__ = True
    file, cls, T = MODELS[name]
    ours = getattr(getattr(impl.models, file), cls)(**kwargs, rng=rng)
    with torch.device("meta"):
        twin = T(**kwargs)
    mine = check_keys(ours, twin, cls)
    params = {k for k, _ in twin.named_parameters()}
    state = {}
    for k, v in mine.items():
        if k in params:
            state[k] = torch.from_numpy(np.ascontiguousarray(np.asarray(v, dtype=np.float64)))
        elif k.endswith("num_batches_tracked"):
            state[k] = torch.tensor(int(v))
        else:
            state[k] = torch.tensor(np.array(v, dtype=np.float64))
    twin.load_state_dict(state, assign=True)
    randomize(twin, rng)
    # the parameters are shared already; bring back the buffers the twin randomised
    ours.load_state_dict({k: v.detach().numpy() for k, v in twin.state_dict().items() if k not in params}, strict=False)
    return ours, twin


def run_model(impl: Any, rng: np.random.Generator, ours: Any, twin: tnn.Module, x: np.ndarray, where: str,
              backward: bool = True) -> None:
    """A forward (shapes module by module, then the logits) and a backward (dL/dx, every parameter
    gradient) of ``ours`` against the twin, in the mode both are in."""
    __tracebackhide__ = True
    xt = to_torch(x, grad=True)
    yt, shapes = forward_with_shapes(twin, xt)
    trace = Trace(impl, ours, shapes, where)
    try:
        y = ours.forward(x)
    except AssertionError:
        trace.close()
        raise
    except Exception:
        trace.close()
        check_trace(trace, shapes, where)
        raise
    trace.close()
    check_trace(trace, shapes, where)
    assert_close(y, yt.detach().numpy(), f"{where} logits", batch_size=x.shape[0])
    if not backward:
        return
    g = rng.standard_normal(tuple(yt.shape))
    (yt * to_torch(g)).sum().backward()
    try:
        dx = ours.backward(g)
    except ValueError as exc:   # a shape error: a layer's backward got a gradient shaped for another layer
        raise AssertionError(f"{where}: backward raised {type(exc).__name__}: {exc}\n  hint: backward runs every "
                             f"layer's backward in the reverse order of forward, the flatten included: one left "
                             f"out hands the next a gradient of the wrong shape") from exc
    assert_close_scaled(dx, xt.grad.numpy(), f"{where} dL/dx (returned by backward)", batch_size=x.shape[0])
    assert_grads(ours, twin, where)


def count(model: Any) -> int:
    return int(sum(int(np.prod(p.shape)) for p in model.parameters()))


def meta_twin(name: str, **kwargs: Any) -> tnn.Module:
    """The torch twin built on torch's meta device: shapes only, no memory, no time."""
    with torch.device("meta"):
        return MODELS[name][2](**kwargs)


def meta_count(name: str, **kwargs: Any) -> int:
    """The parameter count of the torch twin (built on the meta device)."""
    return int(sum(p.numel() for p in meta_twin(name, **kwargs).parameters()))


@pytest.fixture
def twins() -> SimpleNamespace:
    return SimpleNamespace(MODELS=MODELS, PUBLISHED=PUBLISHED, build=build, run=run_model, count=count,
                           meta_count=meta_count, meta_twin=meta_twin, check_keys=check_keys,
                           assert_close_scaled=assert_close_scaled, randomize=randomize, load=load_twin,
                           assert_grads=assert_grads,
                           tensor=to_torch, Trace=Trace, check_trace=check_trace, forward_with_shapes=forward_with_shapes,
                           BasicBlock=TBasicBlock, MBConv=TMBConv, ConvNeXtBlock=TConvNeXtBlock)
