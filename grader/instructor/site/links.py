"""Links between the site's pages: to an assignment, to a library file's API entry.

Hand-written pages (``docs/``) and handouts name their targets, never a generated path:

* ``[text](assignment:08)`` links to assignment 08's page, and reads as plain text while no
  assignment 08 exists;
* ``[text](lib:nn/conv.py)`` and ``[text](lib:nn/conv.py::Conv2d.forward)`` link to that file's
  (or that name's) entry in the API reference, and read as ``nn/conv.py`` code, marked "coming",
  while the starter has no such file yet.

So a page written today keeps building while the course grows, and a link never points at a
page that is not there (``mkdocs build --strict`` would refuse it). Inside code (a fence or a
backtick span) such a link is left as written.
"""
from __future__ import annotations

import ast
import posixpath
import re
from functools import lru_cache
from pathlib import Path, PurePosixPath

from ... import manifest
from ...paths import STARTER
from .layout import API_DIR, ASSIGNMENTS_DIR

#: a code fence or an inline code span (left as it is), or a placeholder link
_PLACEHOLDER = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]+`)|\[([^\]]*)\]\((assignment|lib):([^)\s]+)\)", re.S)


def assignment_page(a: manifest.Assignment) -> str:
    """``assignments/08-convolution.md``: the page of an assignment, relative to the docs folder."""
    return f"{ASSIGNMENTS_DIR}/{a.slug}.md"


def api_group(path: str) -> str:
    """The API page a library file is documented on: ``nn`` for ``nn/linear.py``, ``core`` for ``backend.py``."""
    parent = PurePosixPath(path).parent.as_posix()
    return "core" if parent == "." else parent.replace("/", "-")


def api_page(path: str) -> str:
    return f"{API_DIR}/{api_group(path)}.md"


def module_name(path: str) -> str:
    """``starter.nn.linear`` for ``nn/linear.py`` (``starter.nn`` for ``nn/__init__.py``)."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["starter", *parts])


@lru_cache(maxsize=None)
def _qualnames(file: Path, mtime: float) -> frozenset[str]:
    """Every public class, function and method of a starter file, as qualified names."""
    tree = ast.parse(file.read_text(encoding="utf-8"))
    out: set[str] = set()

    def walk(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.name.startswith("_") and not node.name.startswith("__"):
                    continue
                if node.name.startswith("__") and node.name != "__init__":
                    continue
                out.add(prefix + node.name)
                if isinstance(node, ast.ClassDef):
                    walk(node.body, prefix + node.name + ".")
    walk(tree.body, "")
    return frozenset(out)


def documented(path: str, starter: Path = STARTER) -> bool:
    """Whether the starter has ``path`` (so the API reference documents it)."""
    return (starter / path).is_file()


def api_target(path: str, qualname: str = "", starter: Path = STARTER) -> str | None:
    """``api/nn.md#starter.nn.linear.Linear.forward``, or the module's anchor when the name is not
    (yet) in the starter file, or ``None`` when the starter has no such file."""
    file = starter / path
    if not file.is_file():
        return None
    anchor = module_name(path)
    if qualname and qualname in _qualnames(file, file.stat().st_mtime):
        anchor += "." + qualname
    return f"{api_page(path)}#{anchor}"


def relative(from_page: str, target: str) -> str:
    """``target`` (docs-relative, maybe with ``#anchor``) as a link written on ``from_page``."""
    path, sep, anchor = target.partition("#")
    rel = posixpath.relpath(path, posixpath.dirname(from_page) or ".")
    return rel + sep + anchor


def lib_link(text: str, spec: str, page: str) -> str:
    """Markdown for a ``lib:`` link written on ``page``."""
    path, _, qual = spec.partition("::")
    target = api_target(path, qual)
    if target is None:
        return f"`{text}` (coming)" if text else f"`{path}` (coming)"
    return f"[`{text or path}`]({relative(page, target)})"


def resolve(text: str, page: str) -> str:
    """Replace every ``assignment:`` and ``lib:`` link in ``text``, a page at ``page`` (docs-relative)."""
    by_id = {a.id: a for a in manifest.all_assignments()}

    def one(m: re.Match[str]) -> str:
        if m.group(1):
            return m.group(1)
        label, kind, spec = m.group(2), m.group(3), m.group(4)
        if kind == "lib":
            return lib_link(label.strip("`"), spec, page)
        a = by_id.get(spec)
        if a is None:
            return label or f"assignment {spec} (coming)"
        return f"[{label or f'{a.id} · {a.title}'}]({relative(page, assignment_page(a))})"

    return _PLACEHOLDER.sub(one, text)


_API_LINK = re.compile(rf"\[([^\]]*)\]\((?:\.\./)*{API_DIR}/[^)\s]*\)")


def unlink_api(text: str) -> str:
    """``text`` with every link into the API reference reduced to its label (a site built without it)."""
    return _API_LINK.sub(lambda m: m.group(1), text)
