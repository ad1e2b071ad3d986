"""The architecture gallery: the seven models of ``reference/models/``, each with two lines of
history, a layer table generated from the model itself, and its ``make train`` command.

A model whose file is not there yet (or does not build yet) is listed as "coming", so the site
builds at every stage of the course. The tables are computed by :mod:`.model_walk` in child
processes, two at a time (10-30 s for all seven on two cores), once per version of the library:
they are cached under ``.grader/docs-cache/``, keyed by a digest of ``reference/`` and of the
walker itself, so a rebuild reads them back in well under a second.
"""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...paths import REFERENCE, ROOT
from . import model_walk
from .layout import GALLERY_CACHE, MODELS_DIR

MNIST = (10, 1, 28, "MNIST-sized: one 28x28 channel, 10 classes")
CIFAR = (10, 3, 32, "CIFAR-10-sized: three 32x32 channels, 10 classes")


@dataclass(frozen=True)
class Model:
    file: str           # reference/models/<file>.py
    cls: str
    title: str
    history: str        # two lines, in the course's words
    config: tuple[int, int, int, str]

    @property
    def page(self) -> str:
        return f"{MODELS_DIR}/{self.file}.md"

    @property
    def exists(self) -> bool:
        return (REFERENCE / "models" / f"{self.file}.py").is_file()


MODELS = (
    Model("lenet", "LeNet5", "LeNet-5",
          "Yann LeCun's 1998 network read handwritten cheque digits: two convolutions with subsampling, then three "
          "dense layers.\nIt fixed the pattern every CNN since has followed: local filters, shared weights, shrinking "
          "maps, a classifier on top.", MNIST),
    Model("baseline_cnn", "BaselineCNN", "BaselineCNN",
          "The course's own small network, after the seed sandbox's MNIST baseline: three 3x3 convolutions with "
          "batch normalisation and dropout.\nIt is the first model to train end to end on a laptop in minutes, "
          "and the yardstick for the others.", MNIST),
    Model("alexnet", "AlexNet", "AlexNet",
          "Krizhevsky, Sutskever and Hinton won ImageNet 2012 by a wide margin with large early kernels, ReLU, "
          "dropout and two GPUs.\nIts win started the deep-learning era in computer vision.", CIFAR),
    Model("vgg", "VGG16", "VGG16",
          "Simonyan and Zisserman (2014) showed that depth alone, thirteen 3x3 convolutions in five stages, "
          "beats larger kernels.\nMost of its 138 million ImageNet parameters sit in the first dense layer.", CIFAR),
    Model("resnet", "ResNet18", "ResNet18",
          "He, Zhang, Ren and Sun (2015) added an identity shortcut around every pair of convolutions, so a "
          "block learns a residual.\nGradients flow through the shortcuts, and networks of a hundred layers "
          "became trainable.", CIFAR),
    Model("efficientnet", "EfficientNetLite0", "EfficientNet-Lite0",
          "Tan and Le (2019) scaled depth, width and resolution together; the Lite variant drops squeeze-excite "
          "and uses ReLU6 for mobile accelerators.\nIts MBConv blocks expand, filter depthwise and project back, "
          "for few parameters and few operations.", CIFAR),
    Model("convnext", "ConvNeXtTiny", "ConvNeXt-Tiny",
          "Liu et al. (2022) modernised ResNet step by step with the recipes of vision transformers: patchify stem, "
          "7x7 depthwise filters, LayerNorm, GELU.\nThe result matched transformers of its size with nothing but "
          "convolutions.", CIFAR),
)


def train_name(m: Model) -> str:
    """The name ``make train MODEL=...`` takes: its key in a ``MODELS = {"lenet": LeNet5, ...}`` registry of
    ``reference/models/__init__.py`` when there is one, else the model's file name."""
    init = REFERENCE / "models" / "__init__.py"
    text = init.read_text(encoding="utf-8") if init.is_file() else ""
    hit = re.search(rf"[\"']([\w-]+)[\"']\s*:\s*(?:[\w.]+\.)?{m.cls}\b", text)
    return hit.group(1) if hit else m.file


def digest() -> str:
    h = hashlib.sha256()
    for path in sorted(REFERENCE.rglob("*.py")):
        h.update(path.relative_to(REFERENCE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    h.update(Path(model_walk.__file__).read_bytes())
    h.update(repr([(m.file, m.cls, m.config[:3]) for m in MODELS]).encode())
    return h.hexdigest()


def tables(timeout: float = 180.0) -> dict[str, dict[str, Any]]:
    """``{file: walk result}`` for every model whose file exists (a result with ``error`` when it fails)."""
    key = digest()
    if GALLERY_CACHE.is_file():
        cached = json.loads(GALLERY_CACHE.read_text(encoding="utf-8"))
        if cached.get("digest") == key:
            return dict(cached["models"])
    def one(m: Model) -> dict[str, Any]:
        nc, ch, size, _ = m.config
        try:
            proc = subprocess.run([sys.executable, "-m", "grader.instructor.site.model_walk", m.file, m.cls,
                                   str(nc), str(ch), str(size)], cwd=ROOT, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"the forward pass took over {timeout:g}s"}
        lines = proc.stdout.strip().splitlines()
        result: dict[str, Any] = json.loads(lines[-1]) if lines else {"error": proc.stderr.strip()[-300:]}
        return result

    present = [m for m in MODELS if m.exists]
    with ThreadPoolExecutor(2) as pool:
        out = dict(zip([m.file for m in present], pool.map(one, present)))
    GALLERY_CACHE.parent.mkdir(parents=True, exist_ok=True)
    GALLERY_CACHE.write_text(json.dumps({"digest": key, "models": out}, indent=1), encoding="utf-8")
    return out


def _shape(shape: list[int] | None) -> str:
    return "not called" if shape is None else "(" + ", ".join(["N", *map(str, shape[1:])]) + ")"


def render_model(m: Model, result: dict[str, Any]) -> str:
    nc, ch, size, described = m.config
    lines = [f"# {m.title}", "", *[ln + "  " for ln in m.history.splitlines()], "",
             f"Library file: [models/{m.file}.py](lib:models/{m.file}.py). Assignment: "
             "[models, training, capstone](assignment:10).", "",
             "## Layers", "",
             f"Generated from the reference model itself, built for an input of shape "
             f"`{_shape(result['input'])}` ({described}) and run once on it. Each row is a sub-module in "
             "`state_dict` order (a `Sequential` is opened, a block is one row).", "",
             "| # | layer | type | output shape | parameters |", "| ---: | --- | --- | --- | ---: |"]
    for i, row in enumerate(result["layers"], 1):
        lines.append(f"| {i} | `{row['name']}` | `{row['type']}` | `{_shape(row['shape'])}` | {row['parameters']:,} |")
    if result.get("own_parameters"):
        lines.append(f"| | (the model's own parameters) | | | {result['own_parameters']:,} |")
    lines += [f"| | **total** | | `{_shape(result['output'])}` | **{result['parameters']:,}** |", "",
              "## Train it", "", "```", f"make train MODEL={train_name(m)}", "```", ""]
    return "\n".join(lines)


def render(results: dict[str, dict[str, Any]] | None = None) -> dict[str, str]:
    """``{page path: Markdown}``: the gallery's index and one page per model that builds."""
    results = tables() if results is None else results
    pages: dict[str, str] = {}
    index = ["# Architecture gallery", "",
             "Seven networks, from 1998 to 2022, each built from the layers and blocks you write. "
             "Every table below is generated from the reference model itself.", "",
             "| model | input | parameters | train it |", "| --- | --- | ---: | --- |"]
    for m in MODELS:
        r = results.get(m.file)
        if r is None or "error" in r:
            index.append(f"| {m.title} | | | coming |")
            continue
        pages[m.page] = render_model(m, r)
        index.append(f"| [{m.title}]({m.file}.md) | `{_shape(r['input'])}` | {r['parameters']:,} | "
                     f"`make train MODEL={train_name(m)}` |")
    pages[f"{MODELS_DIR}/index.md"] = "\n".join(index) + "\n"
    return pages


def problems(results: dict[str, dict[str, Any]]) -> list[str]:
    """Models whose file exists but which do not build or run (listed as coming; worth a look)."""
    return [f"reference/models/{f}.py: {r['error']}" for f, r in results.items() if "error" in r]
