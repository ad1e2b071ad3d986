"""Imports flow downward: the library's tiers, and a grader without circles.

The library (``reference/``, mirrored by ``starter/``) is layered::

    train/  ->  models/  ->  nn/blocks/  ->  nn/  ->  module.py  ->  backend.py
    optim/, data/, tensors/, scalar/  ->  module.py / backend.py

A module may import only from its own area and the areas below it (:data:`ALLOWED`), read from
its ``import`` statements with :mod:`ast`, relative or absolute. The grader's own modules must
form no import cycle (``grader.cli`` reaches the instructor commands only by a lazy import, and
nothing in ``grader/`` outside ``grader/instructor/`` imports it at module level).
"""
from __future__ import annotations

import ast
from pathlib import Path

from ..paths import GRADER, REFERENCE, rel

#: area -> the areas its modules may import. An area is the first one or two path parts.
ALLOWED: dict[str, set[str]] = {
    "backend": set(),
    "module": {"backend"},
    "__init__": set(),
    "tensors": {"backend", "module", "tensors"},
    "scalar": {"backend", "module", "scalar"},
    "nn": {"backend", "module", "nn"},
    "nn/blocks": {"backend", "module", "nn", "nn/blocks"},
    "optim": {"backend", "module", "optim"},
    "data": {"backend", "data"},
    "models": {"backend", "module", "nn", "nn/blocks", "models"},
    "train": {"backend", "module", "tensors", "scalar", "nn", "nn/blocks", "models", "optim", "data", "train"},
}


def area(parts: tuple[str, ...]) -> str:
    """The area of a module given as path parts below the package (``("nn", "blocks", "mbconv")``)."""
    if len(parts) >= 2 and "/".join(parts[:2]) in ALLOWED:
        return "/".join(parts[:2])
    return parts[0]


def _targets(path: Path, package: Path) -> list[tuple[int, tuple[str, ...]]]:
    """``(line, module parts)`` of every import of the package's own modules in ``path``."""
    mod_parts = path.relative_to(package).with_suffix("").parts
    is_pkg = mod_parts[-1] == "__init__"
    here = mod_parts[:-1] if not is_pkg else mod_parts[:-1]
    out: list[tuple[int, tuple[str, ...]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)] if node.level - 1 <= len(here) else ()
                mod = base + tuple((node.module or "").split(".")) if node.module else base
                if node.module is None:   # from . import a, b
                    out += [(node.lineno, base + (a.name,)) for a in node.names]
                else:
                    out.append((node.lineno, tuple(p for p in mod if p)))
            elif node.module and node.module.split(".")[0] == package.name:
                out.append((node.lineno, tuple(node.module.split(".")[1:])))
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == package.name:
                    out.append((node.lineno, tuple(a.name.split(".")[1:])))
    return [(ln, t) for ln, t in out if t]


def library_problems(package: Path = REFERENCE) -> tuple[list[str], int]:
    """Imports that go up or sideways in the tiers; and the number of imports checked."""
    problems: list[str] = []
    n = 0
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = path.relative_to(package).with_suffix("").parts
        mine = area(parts)
        allowed = ALLOWED.get(mine)
        if allowed is None:
            problems.append(f"{rel(path)}: area {mine!r} is not in the layering table (grader/instructor/layering.py)")
            continue
        for line, target in _targets(path, package):
            n += 1
            theirs = area(target)
            if theirs != mine and theirs not in allowed and theirs != "__init__":
                problems.append(f"{rel(path)}:{line} imports {'/'.join(target)} ({theirs}/), but {mine}/ may "
                                f"import only {', '.join(sorted(allowed)) or 'nothing of the library'}")
    return problems, n


def _grader_graph(folder: Path = GRADER) -> dict[str, set[str]]:
    """Module-level imports between the grader's modules (imports inside functions are lazy: not edges)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        if "__pycache__" in path.parts or "templates" in path.parent.name:
            continue
        parts = ("grader",) + path.relative_to(folder).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        pkg = parts[:-1]
        edges: set[str] = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            stmts = [node]
            if isinstance(node, ast.If):   # TYPE_CHECKING / version switches at module level
                stmts = list(node.body) + list(node.orelse)
            for s in stmts:
                if isinstance(s, ast.ImportFrom):
                    if s.level:
                        base = pkg[: len(pkg) - (s.level - 1)]
                        mods = [".".join(base + tuple(s.module.split(".")))] if s.module else \
                            [".".join(base + (a.name,)) for a in s.names]
                    else:
                        mods = [s.module or ""]
                    if s.module:
                        mods += [f"{mods[0]}.{a.name}" for a in s.names]
                    edges |= {m for m in mods if m.startswith("grader")}
                elif isinstance(s, ast.Import):
                    edges |= {a.name for a in s.names if a.name.startswith("grader")}
        graph[name] = edges
    known = set(graph)
    return {k: {e for e in v if e in known and e != k} for k, v in graph.items()}


def grader_cycles(folder: Path = GRADER) -> list[list[str]]:
    """Every import cycle among the grader's modules, each once (shortest rotation first)."""
    graph = _grader_graph(folder)
    cycles: set[tuple[str, ...]] = set()

    def walk(node: str, stack: list[str], on: set[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in on:
                cyc = stack[stack.index(nxt):]
                i = cyc.index(min(cyc))
                cycles.add(tuple(cyc[i:] + cyc[:i]))
            elif len(stack) < 12:
                walk(nxt, stack + [nxt], on | {nxt})
    for start in sorted(graph):
        walk(start, [start], {start})
    return [list(c) for c in sorted(cycles)]


def check() -> tuple[list[str], str]:
    """The ``make check`` item."""
    problems, n = library_problems()
    cycles = grader_cycles()
    problems += [f"grader import cycle: {' -> '.join(c + [c[0]])}" for c in cycles]
    return problems, f"{n} library imports flow downward; grader: {len(_grader_graph())} modules, no cycle" \
        if not problems else f"{len(problems)} problem(s)"
