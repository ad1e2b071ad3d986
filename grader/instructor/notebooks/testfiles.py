"""The test files a check cell embeds: each assignment's public and hidden tests and conftests.

The test files are the only copy of the tests: a check cell holds their source as a literal.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from ...errors import UsageError
from ...manifest import Assignment
from ...paths import ROOT
from .reference import ModuleInfo

IMPL_RE = re.compile(r"\bimpl((?:\.[A-Za-z_]\w*)+)")
REF_RE = re.compile(r"\bref((?:\.[A-Za-z_]\w*)+)")


def used_modules(paths: list[str], mods: dict[str, ModuleInfo], where: str) -> list[str]:
    """The modules that ``impl.a.b.c`` paths reach: the longest module prefix, or every module of a package."""
    out: list[str] = []
    for path in paths:
        parts = path.strip(".").split(".")
        hit = next((".".join(parts[:k]) for k in range(len(parts), 0, -1) if ".".join(parts[:k]) in mods), None)
        if hit is None:
            under = [m for m in mods if m.startswith(parts[0] + ".")]
            if not under:
                raise UsageError(f"{where}: uses impl/ref.{parts[0]}, which is not a reference module")
            out += under
        else:
            out.append(hit)
    return list(dict.fromkeys(out))


@dataclass
class TestFile:
    path: Path
    hidden: bool
    source: str
    tasks: list[str]
    impl_modules: list[str]
    ref_modules: list[str]

    @property
    def name(self) -> str:
        return self.path.relative_to(ROOT).as_posix()


def _marked_tasks(tree: ast.AST) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "task"
                and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "mark"
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append(node.args[0].value)
    return list(dict.fromkeys(found))


def _test_paths(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".py"
                  and (p.name.startswith("test_") or p.name.endswith("_test.py")))


def test_files(a: Assignment) -> tuple[list[TestFile], list[TestFile]]:
    """``(test files, conftest files)`` of an assignment, public then hidden."""
    files: list[TestFile] = []
    conftests: list[TestFile] = []
    for folder, hidden in ((a.tests_dir, False), (a.tests_dir / "hidden", True)):
        for p in _test_paths(folder) + ([folder / "conftest.py"] if (folder / "conftest.py").is_file() else []):
            src = p.read_text(encoding="utf-8")
            tf = TestFile(p, hidden, src, _marked_tasks(ast.parse(src, filename=str(p))),
                          list(dict.fromkeys(IMPL_RE.findall(src))), list(dict.fromkeys(REF_RE.findall(src))))
            (conftests if p.name == "conftest.py" else files).append(tf)
    return files, conftests


def literal(text: str) -> str:
    """A Python literal that evaluates to ``text``, as readable as possible (a raw triple-quoted string)."""
    for q in ("'''", '"""'):
        lit = f"r{q}{text}{q}"
        if q not in text and not text.endswith(q[0]):
            try:
                if ast.literal_eval(lit) == text:
                    return lit
            except (SyntaxError, ValueError):
                pass
    return repr(text)
