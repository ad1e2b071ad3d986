"""The package under test: ``starter`` (default), ``reference``, or a submitted folder.

Tests never import the code under test; they receive an :class:`Impl` from
the ``impl`` fixture and write ``impl.nn.linear.Linear``. Modules load on first
use, so a syntax error in ``relu.py`` costs only the tasks that use ReLU.

Code under test may not import the oracles: ``torch``, the ``reference``
package, the grader or the tests. The guard is installed on ``__import__``
and checks which module the import comes from.
"""
from __future__ import annotations

import ast
import builtins
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import zlib
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable

from .errors import UsageError
from .paths import REFERENCE, STARTER, rel

__all__ = ["Impl", "resolve_impl", "reference_closure", "FORBIDDEN", "GUARD"]

FORBIDDEN = ("torch", "reference", "grader", "tests", "pytest", "hypothesis")


def resolve_impl(spec: str | Path | None) -> Path:
    """The package folder that ``--impl`` names.

    ``starter`` and ``reference`` are the repository's own; anything else is a
    path to a submission: a folder holding ``starter/``, or the package folder itself.
    """
    spec = "starter" if spec in (None, "") else str(spec)
    if spec == "starter":
        pkg = STARTER
    elif spec == "reference":
        pkg = REFERENCE
        if not pkg.is_dir():
            raise UsageError("there is no reference/ here: this is a student copy. Use --impl starter (the default).")
    else:
        path = Path(spec).expanduser()
        if not path.exists():
            raise UsageError(f"submission folder {spec!r} does not exist. Give the folder that holds the "
                             f"submitted starter/ (or the package folder itself).")
        if not path.is_dir():
            raise UsageError(f"submission {spec!r} is a file; give the folder that holds starter/.")
        if (path / "starter" / "__init__.py").is_file():
            pkg = path / "starter"
        elif (path / "__init__.py").is_file():
            pkg = path
        else:
            raise UsageError(f"{spec!r} holds no starter package: expected {path / 'starter' / '__init__.py'}. "
                             f"Give the root of the student's repository (the folder with starter/ in it).")
    return pkg.resolve()


class _Guard:
    """Refuses imports of the oracles from code under test.

    Code under test is a package loaded under one of ``prefixes`` (:class:`Impl`), or the cells of a
    notebook whose namespace is one of ``namespaces`` (:class:`grader.in_notebook.NotebookImpl`).
    """

    def __init__(self) -> None:
        self.prefixes: set[str] = set()
        self.namespaces: list[dict[str, Any]] = []
        self._orig = builtins.__import__
        self._bound = self._import  # one bound method, so that ``is`` can tell whether it is installed

    def _hook(self) -> None:
        if builtins.__import__ is not self._bound:
            self._orig = builtins.__import__
            builtins.__import__ = self._bound

    def install(self, prefix: str) -> None:
        self.prefixes.add(prefix)
        self._hook()

    def install_namespace(self, namespace: dict[str, Any]) -> None:
        """Guard a notebook's cells (the last eight namespaces: a rerun setup cell may bring a new one)."""
        self.namespaces = [ns for ns in self.namespaces if ns is not namespace][-7:] + [namespace]
        self._hook()

    def _importer(self, globals: dict[str, Any], name: str) -> str | None:
        """Who is importing, when it is code under test (``None`` otherwise)."""
        if any(globals is ns for ns in self.namespaces):
            return None if name == "grader.in_notebook" else "this notebook"
        importer = globals.get("__name__", "") or ""
        return str(globals.get("__file__", importer)) if importer.split(".")[0] in self.prefixes else None

    def _import(self, name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        if level == 0 and globals and name.split(".")[0] in FORBIDDEN:
            who = self._importer(globals, name)
            if who is not None:
                raise ImportError(f"{who} imports {name!r}, which code under test may not use. "
                                  f"Write it with NumPy (through the backend's xp); PyTorch is only the tests' oracle.")
        return self._orig(name, globals, locals, fromlist, level)


GUARD = _Guard()


class _ModuleView:
    """Attribute access on a package that imports sub-modules on first use."""

    def __init__(self, impl: "Impl", dotted: str) -> None:
        self._impl = impl
        self._dotted = dotted

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        mod = self._impl._import(self._dotted)
        sub = f"{self._dotted}.{name}"
        if hasattr(mod, name) and not isinstance(getattr(mod, name), ModuleType):
            return getattr(mod, name)
        if self._impl._has_module(sub):   # a sub-module or sub-package: a view that imports on first use
            return _ModuleView(self._impl, sub)
        if hasattr(mod, name):
            return getattr(mod, name)
        raise AttributeError(f"{self._impl.label}/{self._dotted.replace('.', '/')}.py has no {name!r}: "
                             f"keep the names the starter gave you.")


def _relative_imports(path: Path, package: Path) -> set[str]:
    """The package's own modules (``nn/im2col.py``) that ``path`` imports relatively, read with :mod:`ast`."""
    parts = path.relative_to(package).with_suffix("").parts
    here = parts[:-1]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[: len(here) - (node.level - 1)]
            names = [base + tuple(node.module.split("."))] if node.module else [base + (a.name,) for a in node.names]
            if node.module:   # ``from .pkg import mod`` may name a module too
                names += [names[0] + (a.name,) for a in node.names]
            for n in names:
                f = package.joinpath(*n)
                if f.with_suffix(".py").is_file():
                    out.add("/".join(n) + ".py")
    return out


def reference_closure(files: Iterable[str], package: Path = REFERENCE) -> list[str]:
    """``files`` and every module of the package they import, directly or not (``nn/conv.py`` brings
    ``nn/im2col.py``), so that a swapped prerequisite runs entirely on the reference."""
    todo, seen = list(files), set()
    while todo:
        f = todo.pop()
        if f in seen or not (package / f).is_file():
            continue
        seen.add(f)
        todo += sorted(_relative_imports(package / f, package) - seen)
    return sorted(seen)


class _SwapFinder(importlib.abc.MetaPathFinder):
    """Loads ``<alias>.<module>`` from the reference's file for the modules a task judges on the reference."""

    def __init__(self, alias: str, files: Iterable[str]) -> None:
        self.alias = alias
        self.paths = {f"{alias}." + f[:-3].replace("/", "."): REFERENCE / f for f in files}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        src = self.paths.get(fullname)
        return importlib.util.spec_from_file_location(fullname, src) if src is not None else None


class Impl:
    """A package under test, loaded from ``folder`` under an import name of its own.

    ``uses_reference``: library files (``nn/conv.py``) loaded from the reference instead, with
    everything they import, so that a task is judged alone (a student's block on reference layers).
    The swap happens here, in the grader: the student's code neither names nor sees the reference.
    """

    def __init__(self, folder: Path, alias: str | None = None, uses_reference: Iterable[str] = ()) -> None:
        self.folder = Path(folder).resolve()
        if alias is None:
            own = {STARTER.resolve(): "starter", REFERENCE.resolve(): "reference"}
            alias = own.get(self.folder, "submission")
        self.swapped = tuple(reference_closure(uses_reference)) if REFERENCE.is_dir() and \
            self.folder != REFERENCE.resolve() else ()
        if self.swapped:
            alias = f"{alias}__on_reference_{zlib.crc32('|'.join(self.swapped).encode()):08x}"
        self.alias = alias
        self.label = rel(self.folder)
        self._root: ModuleType | None = None
        self._finder = _SwapFinder(alias, self.swapped) if self.swapped else None

    @property
    def is_reference(self) -> bool:
        return self.folder == REFERENCE.resolve()

    def _load_root(self) -> ModuleType:
        if self._root is None:
            existing = sys.modules.get(self.alias)
            if existing is not None and Path(getattr(existing, "__file__", "") or "").resolve().parent == self.folder:
                self._root = existing
            else:
                for key in [k for k in sys.modules if k == self.alias or k.startswith(self.alias + ".")]:
                    del sys.modules[key]
                if self._finder is not None and self._finder not in sys.meta_path:
                    sys.meta_path.insert(0, self._finder)
                spec = importlib.util.spec_from_file_location(
                    self.alias, self.folder / "__init__.py", submodule_search_locations=[str(self.folder)])
                assert spec is not None and spec.loader is not None
                root = importlib.util.module_from_spec(spec)
                sys.modules[self.alias] = root
                spec.loader.exec_module(root)
                self._root = root
            GUARD.install(self.alias)
        return self._root

    def _has_module(self, dotted: str) -> bool:
        base = self.folder.joinpath(*dotted.split("."))
        return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()

    def _import(self, dotted: str) -> ModuleType:
        """Import ``<package>.<dotted>`` (e.g. ``"linear"``) and return it."""
        self._load_root()
        return importlib.import_module(f"{self.alias}.{dotted}")

    def _path_of(self, dotted: str) -> Path:
        base = self.folder.joinpath(*dotted.split("."))
        return base / "__init__.py" if (base / "__init__.py").is_file() else base.with_suffix(".py")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._has_module(name):
            return _ModuleView(self, name)
        raise AttributeError(f"{self.label} has no module {name!r} ({self.label}/{name}.py is missing).")

    def __repr__(self) -> str:
        return f"Impl({self.label})"
