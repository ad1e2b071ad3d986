"""The package under test: ``starter`` (default), ``reference``, or a submitted folder.

Tests never import the code under test; they receive an :class:`Impl` from
the ``impl`` fixture and write ``impl.nn.linear.Linear``. Modules load on first
use, so a syntax error in ``relu.py`` costs only the tasks that use ReLU.

Code under test may not import the oracles: ``torch``, the ``reference``
package, the grader or the tests. The guard is installed on ``__import__``
and checks which module the import comes from.
"""
from __future__ import annotations

import builtins
import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import UsageError
from .paths import REFERENCE, STARTER, rel

__all__ = ["Impl", "resolve_impl", "FORBIDDEN", "GUARD"]

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
    notebook whose namespace is one of ``namespaces`` (:class:`grader.notebook.NotebookImpl`).
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
            return None if name == "grader.notebook" else "this notebook"
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
        if hasattr(mod, name):
            return getattr(mod, name)
        sub = f"{self._dotted}.{name}"
        if self._impl._has_module(sub):
            return _ModuleView(self._impl, sub)
        raise AttributeError(f"{self._impl.label}/{self._dotted.replace('.', '/')}.py has no {name!r}: "
                             f"keep the names the starter gave you.")


class Impl:
    """A package under test, loaded from ``folder`` under an import name of its own."""

    def __init__(self, folder: Path, alias: str | None = None) -> None:
        self.folder = Path(folder).resolve()
        if alias is None:
            own = {STARTER.resolve(): "starter", REFERENCE.resolve(): "reference"}
            alias = own.get(self.folder, "submission")
        self.alias = alias
        self.label = rel(self.folder)
        self._root: ModuleType | None = None

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
