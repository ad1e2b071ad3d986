"""CuPy everywhere: nothing in reference/ calls NumPy directly on an array that may be a CuPy array.

Library code asks ``xp = get_array_module(x)`` for the module that owns its input. A direct
``np.<function>(...)`` call is fine only where its arguments can never be a GPU array: dtypes,
generators, Python numbers and shapes, files read from disk, or a branch taken only for NumPy input.
This audit reads every file of reference/ with ``ast`` and lists each direct NumPy call (and every
``from numpy import`` and ``isinstance(..., np.ndarray)``); each must be in :data:`REVIEWED` with the
reason it is safe. A new call fails the test until someone has looked at it, so the list stays true.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from grader.paths import REFERENCE

#: calls that never touch array data: dtypes, type queries, random generators
ALLOWED = {
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "bool_", "dtype", "iinfo", "finfo", "issubdtype", "result_type", "promote_types", "can_cast",
    "random.default_rng", "random.Generator", "random.SeedSequence", "random.PCG64",
}

#: ``file::function::call`` -> why it cannot receive a CuPy array (reviewed by hand)
REVIEWED = {
    "backend.py::to_device::np.asarray": "only taken when the active backend is NumPy (`if _active is np`)",
    "backend.py::to_cpu::np.asarray": "after the CuPy case returned `a.get()`: a NumPy array or a Python value",
    "data/cifar.py::load_batch::np.asarray": "unpickled CIFAR batch from disk: host bytes and lists",
    "data/cifar.py::load_cifar10::np.concatenate": "batches just read from disk: host arrays",
    "data/idx.py::read_idx::np.frombuffer": "bytes of an IDX file",
    "data/idx.py::read_idx::np.prod": "the header's dimensions (Python ints)",
    "data/idx.py::write_idx::np.asarray": "writes a file from a host array (tests make small IDX files with it)",
    "data/idx.py::write_idx::np.ascontiguousarray": "the same host array, as bytes for the file",
    "data/loader.py::DataLoader.__iter__::np.arange": "the index order of the samples (host ints); CuPy indexes "
                                                       "with a NumPy index array too",
    "nn/activations.py::<module>::np.frompyfunc": "builds the element-wise math.erf once, at import",
    "nn/activations.py::erf::np.asarray": "the NumPy branch: CuPy input returned through cupyx's erf before",
    "nn/conv.py::Conv2d.__init__::np.sqrt": "of a Python int (fan-in) for the init bound",
    "nn/depthwise.py::DepthwiseConv2d.__init__::np.sqrt": "of a Python int (kernel area) for the init bound",
    "nn/linear.py::Linear.__init__::np.sqrt": "of a Python int (in_features) for the init bound",
    "nn/gradient_check.py::numerical_gradient::np.ndindex": "iterates over the shape tuple (Python ints)",
    "backend.py::to_device::isinstance(..., np.ndarray)": "the NumPy branch of to_device: telling a host array "
                                                          "from a list",
    "data/idx.py::parse_idx::np.frombuffer": "bytes of an IDX file",
    "data/idx.py::parse_idx::np.prod": "the header's dimensions (Python ints)",
    "train/cli.py::load_data::np.pad": "images just loaded from disk (host), before any batch is moved",
    "train/cli.py::build_model::np.prod": "of a shape tuple",
    "train/cli.py::run_scalar::np.prod": "of a shape tuple (the scalar tier is pure Python anyway)",
    "train/plots.py::confusion_matrix::np.zeros": "host counts; labels come from Trainer.predict (to_cpu) and the "
                                                 "host test set",
    "train/plots.py::confusion_matrix::np.asarray": "the same host labels",
    "train/plots.py::confusion_matrix::np.add.at": "into the host count matrix",
    "train/plots.py::plot_confusion::np.trace": "of the host count matrix",
    "train/plots.py::plot_curves::np.arange": "epoch numbers",
    "train/plots.py::plot_curves::np.all": "of the history (Python floats)",
    "train/plots.py::plot_curves::np.isnan": "of the history (Python floats)",
    "train/plots.py::plot_lr::np.arange": "step numbers",
    "train/plots.py::plot_misclassified::np.asarray": "host test images and predictions (the caller passes the data "
                                                      "set as loaded and Trainer.predict's NumPy output)",
    "train/plots.py::plot_misclassified::np.flatnonzero": "of host labels",
    "train/plots.py::plot_misclassified::np.clip": "of a host image",
    "train/plots.py::plot_misclassified::np.sum": "of host labels",
    "train/trainer.py::_copy_state::np.array": "of to_cpu(state): brought to the host first",
    "train/trainer.py::Trainer.predict::np.concatenate": "of to_cpu(...) predictions",
    "train/trainer.py::Trainer.predict::np.zeros": "a dummy host label batch / an empty host result",
}


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    function: str
    call: str

    @property
    def key(self) -> str:
        return f"{self.file}::{self.function}::{self.call}"

    def __str__(self) -> str:
        return f"reference/{self.file}:{self.line} in {self.function}: {self.call}(...)"


def _dotted(node: ast.AST) -> tuple[str, list[str]] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return (node.id, parts[::-1]) if isinstance(node, ast.Name) else None


def audit(root: Path = REFERENCE) -> list[Finding]:
    """Every direct NumPy use in ``root`` that could meet a CuPy array (see the module docstring)."""
    found: list[Finding] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.Import)
                   for a in n.names if a.name == "numpy"}

        def visit(node: ast.AST, where: str, rel: str = rel, aliases: set[str] = aliases) -> None:
            for child in ast.iter_child_nodes(node):
                name = where
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    name = child.name if where == "<module>" else f"{where}.{child.name}"
                if isinstance(child, ast.ImportFrom) and child.module and child.module.split(".")[0] == "numpy":
                    for a in child.names:
                        found.append(Finding(rel, child.lineno, where, f"from numpy import {a.name}"))
                if isinstance(child, ast.Call):
                    d = _dotted(child.func)
                    if d and d[0] in aliases and d[1]:
                        attr = ".".join(d[1])
                        if attr not in ALLOWED:
                            found.append(Finding(rel, child.lineno, where, f"{d[0]}.{attr}"))
                    if isinstance(child.func, ast.Name) and child.func.id == "isinstance" and len(child.args) == 2:
                        for t in ast.walk(child.args[1]):
                            td = _dotted(t)
                            if td and td[0] in aliases and td[1] == ["ndarray"]:
                                found.append(Finding(rel, child.lineno, where, "isinstance(..., np.ndarray)"))
                visit(child, name)
        visit(tree, "<module>")
    return found


def test_no_unreviewed_numpy_call_on_what_may_be_a_cupy_array():
    fresh = [f for f in audit() if f.key not in REVIEWED]
    assert not fresh, ("direct NumPy calls in the library that may receive a CuPy array; use "
                       "`xp = get_array_module(x)` (or add the call to REVIEWED with the reason it is safe):\n  "
                       + "\n  ".join(map(str, fresh)))


def test_the_audit_finds_what_it_is_meant_to(tmp_path):
    (tmp_path / "bad.py").write_text(
        "import numpy as np\nfrom numpy import exp\n\n"
        "def relu(x):\n    return np.maximum(x, 0)\n\n"
        "class L:\n    def f(self, x):\n        if isinstance(x, np.ndarray):\n            return np.add.at(x, 0, 1)\n"
        "        return np.zeros(3, dtype=np.float32), np.random.default_rng(0), np.float64(1)\n")
    got = {(f.function, f.call) for f in audit(tmp_path)}
    assert got == {("<module>", "from numpy import exp"), ("relu", "np.maximum"),
                   ("L.f", "isinstance(..., np.ndarray)"), ("L.f", "np.add.at"), ("L.f", "np.zeros")}
