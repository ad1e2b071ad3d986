"""The one resolver between a task's covered names and the library's files.

A manifest names what a task covers by file and qualified name, in one form
that cannot be misread::

    covers = ["scalar/neuron.py::Neuron.forward"]

The path is relative to the package root (``starter/`` or ``reference/``), so
``starter/scalar/neuron.py`` is the file a student edits. Every place that
turns a task into a file (not-started messages, handout tables, the release,
Gradescope uploads, notebooks, planted mistakes) goes through :class:`Covered`
and :func:`place_uploads`; none of them splits a dotted name by itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable

__all__ = ["Covered", "parse", "library_files", "place_uploads", "UploadProblem"]

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_SPEC = re.compile(rf"^((?:{_IDENT}/)*{_IDENT}\.py)::({_IDENT}(?:\.{_IDENT})*)$")
MAX_DEPTH = 3   # at most three levels below the package root: nn/blocks/basic_block.py


@dataclass(frozen=True, order=True)
class Covered:
    """One covered name: ``path`` (``scalar/neuron.py``) and ``qualname`` (``Neuron.forward``)."""

    path: str
    qualname: str

    @property
    def module(self) -> str:
        """The dotted module below the package root: ``scalar.neuron`` (``scalar`` for ``scalar/__init__.py``)."""
        parts = list(PurePosixPath(self.path).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts)

    @property
    def dotted(self) -> str:
        """``scalar.neuron.Neuron.forward``: the name as Python sees it below the package."""
        return f"{self.module}.{self.qualname}"

    @property
    def owner(self) -> str:
        """The top-level function or class: ``Neuron`` for ``Neuron.forward``."""
        return self.qualname.split(".")[0]

    def file_in(self, package: Path) -> Path:
        """This name's file inside a package folder (``starter/``, ``reference/``, a submission)."""
        return Path(package).joinpath(*PurePosixPath(self.path).parts)

    def where(self, label: str = "starter") -> str:
        """``Neuron.forward (starter/scalar/neuron.py)``: how a student is told where to look."""
        return f"{self.qualname} ({label.rstrip('/')}/{self.path})"

    def __str__(self) -> str:
        return f"{self.path}::{self.qualname}"


def parse(spec: str) -> Covered:
    """``"scalar/neuron.py::Neuron.forward"`` -> :class:`Covered`; ``ValueError`` says what is wrong."""
    m = _SPEC.match(spec.strip())
    if not m:
        hint = ""
        if "::" not in spec and "." in spec:
            hint = f" (a dotted name such as {spec!r} no longer says its file: write e.g. 'nn/linear.py::Linear.forward')"
        raise ValueError(f"{spec!r} is not 'path/file.py::Qualified.name'{hint}")
    path, qual = m.group(1), m.group(2)
    if len(PurePosixPath(path).parts) > MAX_DEPTH:
        raise ValueError(f"{spec!r}: the library is at most {MAX_DEPTH} levels deep (e.g. nn/blocks/mbconv.py)")
    return Covered(path, qual)


def library_files(package: Path) -> list[str]:
    """Every module of a package, as paths relative to it (``nn/linear.py``), sorted."""
    package = Path(package)
    return sorted(p.relative_to(package).as_posix() for p in package.rglob("*.py")
                  if "__pycache__" not in p.parts)


@dataclass(frozen=True)
class UploadProblem:
    """An uploaded file that cannot be placed without guessing; ``message`` says what to do."""

    upload: str
    message: str


def place_uploads(uploads: Iterable[str], known: Iterable[str]) -> tuple[dict[str, str], list[UploadProblem]]:
    """Where each uploaded file goes in the package: ``({upload: library path}, problems)``.

    ``uploads`` are paths as uploaded (``neuron.py``, ``starter/scalar/neuron.py``,
    ``submission/nn/linear.py``); ``known`` the library's files (:func:`library_files`).
    An upload is placed by the longest tail of its path that names exactly one
    library file. A bare name that two library files share (``nn/norm.py`` and
    ``data/norm.py``) is never guessed: it is reported with the paths to choose
    from. Two uploads placed on the same file are reported too.
    """
    known = sorted(set(known))
    by_tail: dict[tuple[str, ...], list[str]] = {}
    for k in known:
        parts = PurePosixPath(k).parts
        for i in range(len(parts)):
            by_tail.setdefault(parts[i:], []).append(k)
    placed: dict[str, str] = {}
    problems: list[UploadProblem] = []
    for up in sorted(set(uploads)):
        parts = PurePosixPath(up.replace("\\", "/")).parts
        target: str | None = None
        ambiguous: list[str] = []
        for i in range(len(parts)):          # longest tail first
            hits = by_tail.get(parts[i:], [])
            if len(hits) == 1:
                target = hits[0]
                break
            if len(hits) > 1:
                ambiguous = hits
                break
        if target is None:
            if ambiguous:
                problems.append(UploadProblem(up, f"{up}: several library files are called {parts[-1]} "
                                              f"({', '.join(ambiguous)}); upload it inside its folder, e.g. "
                                              f"{ambiguous[0]}, so it can be placed without a guess"))
            elif up.endswith(".py"):
                problems.append(UploadProblem(up, f"{up}: no file of the library has this name; keep the "
                                              f"starter's file names (e.g. {known[0] if known else 'nn/linear.py'})"))
            continue
        placed[up] = target
    seen: dict[str, str] = {}
    clashing: set[str] = set()
    for up, target in sorted(placed.items()):
        if target in seen:
            problems.append(UploadProblem(up, f"{up} and {seen[target]} both land on {target}; upload one of them"))
            clashing |= {up, seen[target]}
        else:
            seen[target] = up
    return {u: t for u, t in placed.items() if u not in clashing}, problems
