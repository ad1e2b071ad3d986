"""Reading the reference: every module of ``reference/``, its relative imports, solution regions and names.

A notebook is built from these :class:`ModuleInfo` records; nothing here knows about cells.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ...errors import UsageError
from ...manifest import Task
from ...paths import REFERENCE, rel
from ..strip import BEGIN, END, covers_index, module_name, regions, sources


def task_rank(task: Task) -> tuple[int, int]:
    a, k = task.id.split(".")
    return int(a), int(k)


def _bound_names(stmt: ast.stmt) -> list[tuple[str, str]]:
    """``[(name, how)]`` a top-level statement binds; ``how`` is ``def`` or the import it comes from."""
    out: list[tuple[str, str]] = []
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        out.append((stmt.name, "def"))
    elif isinstance(stmt, ast.Import):
        for a in stmt.names:
            out.append((a.asname or a.name.split(".")[0], f"import {a.name}"))
    elif isinstance(stmt, ast.ImportFrom):
        for a in stmt.names:
            out.append((a.asname or a.name, f"from {'.' * stmt.level}{stmt.module or ''} import {a.name}"))
    elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for t in targets:
            for node in ast.walk(t):
                if isinstance(node, ast.Name):
                    out.append((node.id, "def"))
    elif isinstance(stmt, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
        for field_name in ("body", "orelse", "finalbody", "handlers"):
            for child in getattr(stmt, field_name, []) or []:
                if isinstance(child, ast.ExceptHandler):
                    for c in child.body:
                        out += _bound_names(c)
                else:
                    out += _bound_names(child)
    return out


def is_main_guard(stmt: ast.stmt) -> bool:
    return (isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Compare)
            and isinstance(stmt.test.left, ast.Name) and stmt.test.left.id == "__name__")


@dataclass
class ModuleInfo:
    name: str
    path: Path
    text: str
    tree: ast.Module
    deps: list[str]
    regions: list[Any]
    names: list[tuple[str, str]]
    is_package: bool = False

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def tasks(self) -> set[str]:
        return {r.task.id for r in self.regions if r.task is not None}


def resolve_import(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The dotted module a relative import names (``from ..value import Value`` in ``scalar.train`` -> ``value``)."""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    if level - 1 > len(parts):
        raise UsageError(f"{module}: a relative import goes above the package")
    base = parts[:len(parts) - (level - 1)]
    return ".".join(base + (target.split(".") if target else []))


def _module_key(path: Path, package: Path) -> tuple[str, bool]:
    name = module_name(path, package)
    if name == "__init__" or name.endswith(".__init__"):
        return name[:-len(".__init__")] if "." in name else "", True
    return name, False


def reference_modules(package: Path = REFERENCE) -> dict[str, ModuleInfo]:
    """Every reference module (dotted names for sub-packages), with its relative imports, regions and names.

    A package's ``__init__.py`` counts as the module of the package's name when it binds any name.
    """
    index = covers_index()
    out: dict[str, ModuleInfo] = {}
    for path in sources(package):
        name, is_pkg = _module_key(path, package)
        if not name:
            continue
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(path))
        names = [n for stmt in tree.body if not is_main_guard(stmt) for n in _bound_names(stmt)]
        if is_pkg and not [n for n, _ in names if n not in ("__all__", "annotations")]:
            continue
        deps: list[str] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                if node.module:
                    deps.append(resolve_import(name, is_pkg, node.level, node.module))
                else:
                    deps += [resolve_import(name, is_pkg, node.level, a.name) for a in node.names]
        info = ModuleInfo(name, path, text, tree, list(dict.fromkeys(deps)), regions(path, index, package), names)
        info.is_package = is_pkg
        out[name] = info
    for m in out.values():
        m.deps = [d for d in m.deps if d in out or not _is_package_dir(d, package)]
        missing = [d for d in m.deps if d not in out]
        if missing:
            raise UsageError(f"{rel(m.path)} imports {missing[0]}, which is not a reference module")
    return out


def _is_package_dir(dotted: str, package: Path) -> bool:
    return (package.joinpath(*dotted.split(".")) / "__init__.py").is_file()


def closure(start: Iterable[str], mods: dict[str, ModuleInfo]) -> list[str]:
    """``start`` and everything it imports, dependencies first (a stable topological order)."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(n: str, chain: tuple[str, ...]) -> None:
        if state.get(n) == 2:
            return
        if state.get(n) == 1:
            raise UsageError("circular relative imports in reference/: " + " -> ".join(chain + (n,)))
        state[n] = 1
        for d in mods[n].deps:
            visit(d, chain + (n,))
        state[n] = 2
        order.append(n)
    for s in start:
        visit(s, ())
    return order


def strip_markers(text: str) -> str:
    return "\n".join(ln for ln in text.split("\n") if not (BEGIN.match(ln) or END.match(ln)))


def reference_sources(names: Iterable[str], mods: dict[str, ModuleInfo]) -> dict[str, str]:
    """The reference modules ``names`` and their imports, markers removed, for a hidden ``ref``."""
    out = {n: strip_markers(mods[n].text) for n in closure([n for n in names if n in mods], mods)}
    init = REFERENCE / "__init__.py"
    if init.is_file():
        out["__init__"] = init.read_text(encoding="utf-8")
    return out
