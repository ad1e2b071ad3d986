"""Optimiser rows of ``bench/kernels.py``: one Adam step over a ResNet18's parameters.

The parameter shapes are those of torchvision's ResNet18 (ImageNet head, 1000
classes): 62 tensors, 11,689,512 float32 scalars. Each side gets random values
and gradients once and then times ``step()``; torch runs ``torch.optim.Adam``
with its defaults (on the CPU that is the per-tensor loop; ``foreach`` left to torch).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import Case, Step


def resnet18_shapes() -> list[tuple[int, ...]]:
    """The shapes of ResNet18's 62 parameter tensors, in definition order."""
    shapes: list[tuple[int, ...]] = [(64, 3, 7, 7), (64,), (64,)]               # stem conv, bn
    cin = 64
    for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        for block in range(2):
            first_in = cin if block == 0 else cout
            shapes += [(cout, first_in, 3, 3), (cout,), (cout,), (cout, cout, 3, 3), (cout,), (cout,)]
            if block == 0 and (stride != 1 or cin != cout):
                shapes += [(cout, cin, 1, 1), (cout,), (cout,)]                 # projection shortcut
        cin = cout
    shapes += [(1000, 512), (1000,)]                                            # fc
    return shapes


def _data() -> tuple[list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(0)
    shapes = resnet18_shapes()
    values = [rng.standard_normal(s, dtype=np.float32) * np.float32(0.05) for s in shapes]
    grads = [rng.standard_normal(s, dtype=np.float32) * np.float32(1e-3) for s in shapes]
    return values, grads


def _adam_nnott(lib: Any) -> Step:
    from importlib import import_module
    adam_mod = import_module(lib.__name__ + ".optim.adam")
    Parameter = import_module(lib.__name__ + ".module").Parameter
    values, grads = _data()
    params = [Parameter(v) for v in values]
    for p, g in zip(params, grads):
        p.grad[...] = g
    opt = adam_mod.Adam(params, lr=1e-3)
    return opt.step


def _adam_torch() -> Step:
    import torch
    values, grads = _data()
    params = [torch.nn.Parameter(torch.from_numpy(v)) for v in values]
    for p, g in zip(params, grads):
        p.grad = torch.from_numpy(g)
    opt = torch.optim.Adam(params, lr=1e-3)
    return opt.step


assert sum(int(np.prod(s)) for s in resnet18_shapes()) == 11_689_512 and len(resnet18_shapes()) == 62

CASES = {
    "adam step 11.7M params (resnet18-sized)": Case(2.0, _adam_nnott, _adam_torch,
                                                   "Adam.step over ResNet18's 62 float32 tensors"),
}
