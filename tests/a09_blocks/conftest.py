"""Torch twins of the blocks of assignment 09, and the helpers their tests share (fixture ``twins``).

Each twin is a float64 torch module with the same attribute names as the library's block, so
their ``state_dict`` keys and shapes agree one to one. A twin's ``forward`` takes ``mistake=``,
the name of a classic wiring mistake, and then computes what that mistake would give: the tests
pass these to ``assert_close(mistakes=...)`` so that a wrong answer is named.
"""
from __future__ import annotations

import copy
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
    """Every parameter gradient of ``ours`` against the twin's, by state_dict key."""
    __tracebackhide__ = True
    theirs = dict(twin.named_parameters())
    for key, p in ours.named_parameters():
        t = theirs[key]
        expected = t.grad.numpy() if t.grad is not None else np.zeros(t.shape)
        if np.max(np.abs(expected), initial=0.0) < 1e-10:
            # zero in exact arithmetic (a bias just before a training-mode BatchNorm): both are round-off
            got = float(np.max(np.abs(np.asarray(p.grad.get() if hasattr(p.grad, "get") else p.grad)), initial=0.0))
            assert got < 1e-8, f"{where}: d{key} ({key}.grad) should be 0 (to round-off), got max |.| = {got:.3g}"
            continue
        assert_close(p.grad, expected, f"{where}: d{key} ({key}.grad)", tol=tol)


def to_torch(a: Any, grad: bool = False) -> Any:
    return torch.tensor(np.array(a, dtype=np.float64)).requires_grad_(grad)


def call(fn: Any, x: Any, where: str, shape_hint: str | None = None) -> Any:
    """``fn(x)``; a shape error (``ValueError``) is reported with ``shape_hint``, the likely wiring mistake."""
    __tracebackhide__ = True
    try:
        return fn(x)
    except ValueError as exc:
        if shape_hint is None:
            raise
        raise AssertionError(f"{where}: {type(exc).__name__}: {exc}\n  hint: {shape_hint}") from exc


def forward_pair(ours: Any, twin: tnn.Module, x: np.ndarray, train: bool, where: str,
                 mistakes: dict[str, str] | None = None, shape_hint: str | None = None,
                 device: Any = None) -> tuple[Any, Any, Any, dict[str, np.ndarray]]:
    """Run both in the given mode: ``(ours' output, twin's output, the twin's input tensor, {hint: what the
    mistake would give})``. The mistakes are computed on copies of the twin, so its statistics move once."""
    __tracebackhide__ = True
    ours.train(train)
    twin.train(train)
    xt = to_torch(x, grad=True)
    cands = {}
    for label, m in (mistakes or {}).items():
        try:
            with torch.no_grad():
                cands[label] = copy.deepcopy(twin)(xt.detach(), mistake=m).numpy()
        except RuntimeError:   # a mistake that cannot run at this shape (ours would raise as well)
            pass
    yt = twin(xt)
    xin = x if device is None else device.asarray(x)
    y = call(ours.forward, xin, where, shape_hint)
    return y, yt, xt, cands


def to_device(block: Any, device: Any) -> Any:
    """Move every parameter, gradient and BatchNorm buffer of ``block`` to ``device`` (NumPy: no change)."""
    for m in block.modules():
        for key, value in list(vars(m).items()):
            if key in ("running_mean", "running_var") and value is not None:
                setattr(m, key, device.asarray(value))
    for p in block.parameters():
        p.data, p.grad = device.asarray(p.data), device.asarray(p.grad)
    return block


@pytest.fixture
def twins() -> SimpleNamespace:
    return SimpleNamespace(BasicBlock=TBasicBlock, SqueezeExcite=TSqueezeExcite, MBConv=TMBConv,
                           ConvNeXtBlock=TConvNeXtBlock, LayerNorm2d=TLayerNorm2d, randomize=randomize,
                           load=load_twin, assert_grads=assert_grads, tensor=to_torch, call=call,
                           forward_pair=forward_pair, to_device=to_device,
                           assert_close_scaled=assert_close_scaled)
