"""Run a task's tests inside a Jupyter notebook, the way the pytest grader runs them.

A course notebook (see ``make notebooks``) defines the library in its cells
instead of in ``starter/``. Its setup cell builds ``impl``, a
:class:`NotebookImpl` that reads the notebook's own definitions, so the
unchanged test files (``impl.nn.linear.Linear``) work in the notebook too. Each
task's test cell embeds that task's test files and runs them with
:class:`Checks`::

    checks = Checks("03.1", "Linear forward", impl)
    checks.add("tests/a03_linear/test_03_1_linear_forward.py", r'''...test source...''')
    checks.run()

``run`` supplies the fixtures the pytest plugin supplies (``impl``; ``rng``
seeded from the test's name exactly as the plugin seeds it; ``ref``, the
reference, where the hidden part of the cell provides it), expands
``pytest.mark.parametrize`` with pytest's ids, runs only the tests marked
with the cell's task, and raises ``AssertionError`` with the grader's
messages when any test does not pass. Nothing is written to stderr (nbgrader
gives no points to a cell that writes there): warnings and output of the code
under test are captured.
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import enum
import importlib
import importlib.abc
import importlib.util
import inspect
import io
import linecache
import os
import re
import signal
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from .impl import GUARD
from .outcome import ERROR, FAILED, NOT_STARTED, PASSED, SEVERITY, SKIPPED, TIMEOUT, TestRecord, error_hint
from .seeds import seed_for

__all__ = ["NotebookImpl", "SourcePackage", "Checks", "seed_for", "collected_names", "collect"]

#: Seconds per test unless a test says otherwise (``pytest.mark.timeout``); the course's pytest default.
DEFAULT_TIMEOUT = 10.0
#: Where ``ref`` is loaded from when a test cell provides the reference sources.
REFERENCE_ALIAS = "nnott_reference"
_MAX_SHOWN = 6


# --------------------------------------------------------------------------------------------
# impl: the notebook's own definitions, reached as impl.<module>.<name>
# --------------------------------------------------------------------------------------------



class _NotebookView:
    """``impl.nn.linear`` or ``impl.scalar.neuron``: a module's names, read from the notebook's namespace."""

    def __init__(self, impl: "NotebookImpl", dotted: str) -> None:
        self._impl = impl
        self._dotted = dotted

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_impl", "_dotted", "_namespace", "_modules"):
            raise AttributeError(name)
        modules = self._impl._modules
        sub = f"{self._dotted}.{name}" if self._dotted else name
        if sub in modules or any(k.startswith(sub + ".") for k in modules):
            return _NotebookView(self._impl, sub)
        if self._dotted in modules and name in modules[self._dotted]:
            try:
                return self._impl._namespace[name]
            except KeyError:
                raise AttributeError(f"{name!r} ({self._path()}) is not defined yet: run the notebook's cells "
                                     f"from the top, down to this one.") from None
        if not self._dotted:
            raise AttributeError(f"this notebook holds no module {name!r} (it holds {', '.join(sorted(modules))}).")
        raise AttributeError(f"{self._path()} has no {name!r}: keep the names the notebook gave you.")

    def _path(self) -> str:
        return self._dotted.replace(".", "/") + ".py"

    def __repr__(self) -> str:
        return f"<{self._dotted or 'package'} in {self._impl.label}>"


class NotebookImpl(_NotebookView):
    """The package under test when the package is a notebook: ``impl.nn.linear.Linear`` is the notebook's ``Linear``.

    Args:
        namespace: the notebook's ``globals()``.
        modules: ``{module: [names it defines]}`` for every module the notebook holds
            (dotted names for sub-packages: ``"scalar.neuron"``).
        guard: refuse imports of torch, pytest and the like from the notebook's cells.
    """

    label = "this notebook"
    is_reference = False
    folder = None

    def __init__(self, namespace: dict[str, Any], modules: Mapping[str, Any], guard: bool = True) -> None:
        self._namespace = namespace
        self._modules = {m: frozenset(names) for m, names in modules.items()}
        super().__init__(self, "")
        if guard:
            GUARD.install_namespace(namespace)

    def __repr__(self) -> str:
        return "NotebookImpl(" + ", ".join(sorted(self._modules)) + ")"


# --------------------------------------------------------------------------------------------
# ref: a package built from source text (the reference, embedded in a cell's hidden part)
# --------------------------------------------------------------------------------------------

class _SourceLoader(importlib.abc.MetaPathFinder, importlib.abc.InspectLoader):
    """Imports ``alias.<module>`` from ``{"linear": source, "scalar.neuron": source, "scalar.__init__": ...}``."""

    def __init__(self, alias: str, sources: Mapping[str, str]) -> None:
        self.alias = alias
        self.sources = dict(sources)

    def _key(self, fullname: str) -> str | None:
        if fullname == self.alias:
            return ""
        if fullname.startswith(self.alias + "."):
            key = fullname[len(self.alias) + 1:]
            return key if key in self.sources or self._is_pkg(key) else None
        return None

    def _is_pkg(self, key: str) -> bool:
        return key == "" or any(k.startswith(key + ".") for k in self.sources)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        key = self._key(fullname)
        if key is None:
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=self._filename(key),
                                               is_package=self._is_pkg(key))

    def _filename(self, key: str) -> str:
        base = key.replace(".", "/")
        return f"<{self.alias}>/{base + '/__init__' if self._is_pkg(key) and base else base or '__init__'}.py"

    def is_package(self, fullname: str) -> bool:
        key = self._key(fullname)
        return key is not None and self._is_pkg(key)

    def get_source(self, fullname: str) -> str:
        key = self._key(fullname)
        if key is None:
            raise ImportError(fullname)
        if self._is_pkg(key):
            return self.sources.get(f"{key}.__init__" if key else "__init__", "")
        return self.sources[key]

    def get_code(self, fullname: str) -> Any:
        key = self._key(fullname)
        filename = self._filename(key or "")
        source = self.get_source(fullname)
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        return compile(source, filename, "exec", dont_inherit=True)


class _SourceView:
    def __init__(self, alias: str, sources: Mapping[str, str], dotted: str) -> None:
        self._alias, self._sources, self._dotted = alias, sources, dotted

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_alias", "_sources", "_dotted"):
            raise AttributeError(name)
        sub = f"{self._dotted}.{name}" if self._dotted else name
        if any(k.startswith(sub + ".") for k in self._sources):
            return _SourceView(self._alias, self._sources, sub)
        if sub in self._sources:
            return importlib.import_module(f"{self._alias}.{sub}")
        base = importlib.import_module(f"{self._alias}.{self._dotted}" if self._dotted else self._alias)
        if hasattr(base, name):
            return getattr(base, name)
        raise AttributeError(f"the reference given to this cell has no {sub!r}")


class SourcePackage(_SourceView):
    """A package made from ``{module: source}``, imported under ``alias``; reached as ``ref.nn.linear.Linear``."""

    label = "the reference"
    is_reference = True
    folder = None

    def __init__(self, sources: Mapping[str, str], alias: str = REFERENCE_ALIAS) -> None:
        for finder in [f for f in sys.meta_path if isinstance(f, _SourceLoader) and f.alias == alias]:
            sys.meta_path.remove(finder)
        for key in [k for k in sys.modules if k == alias or k.startswith(alias + ".")]:
            del sys.modules[key]
        sys.meta_path.insert(0, _SourceLoader(alias, dict(sources)))
        super().__init__(alias, dict(sources), "")

    def __repr__(self) -> str:
        return f"SourcePackage({', '.join(sorted(self._sources))})"


# --------------------------------------------------------------------------------------------
# Collection: test functions, marks, parametrize ids (pytest's rules), fixtures
# --------------------------------------------------------------------------------------------

_NON_PRINTABLE = {i: f"\\x{i:02x}" for i in range(128) if i not in range(32, 127)}
_NON_PRINTABLE.update({ord("\t"): "\\t", ord("\r"): "\\r", ord("\n"): "\\n"})


def _ascii_escaped(val: str | bytes) -> str:
    ret = val.decode("ascii", "backslashreplace") if isinstance(val, bytes) else val.encode("unicode_escape").decode("ascii")
    return ret.translate(_NON_PRINTABLE)


def _idval_from_value(val: Any) -> str | None:
    if isinstance(val, (str, bytes)):
        return _ascii_escaped(val)
    if val is None or isinstance(val, (float, int, bool, complex)):
        return str(val)
    if isinstance(val, re.Pattern):
        return _ascii_escaped(val.pattern)
    if isinstance(val, enum.Enum) and type(val).__name__ != "NotSetType":
        return str(val)
    name = getattr(val, "__name__", None)
    if isinstance(name, str):
        return name
    return None


def _marks_of(obj: Any) -> list[Any]:
    """The marks stored on a function, class or module namespace (``pytestmark``), as ``Mark`` objects."""
    raw = obj.get("pytestmark", []) if isinstance(obj, dict) else getattr(obj, "pytestmark", [])
    if raw is None:
        return []
    if not isinstance(raw, (list, tuple)):
        raw = [raw]
    return [getattr(m, "mark", m) for m in raw]


@dataclass
class _Param:
    values: tuple[Any, ...]
    marks: tuple[Any, ...]
    id: Any


def _parameter_sets(argnames: Any, argvalues: Any) -> tuple[list[str], list[_Param]]:
    if isinstance(argnames, str):
        names = [n.strip() for n in argnames.split(",") if n.strip()]
        force_tuple = len(names) == 1
    else:
        names = list(argnames)
        force_tuple = False
    params = []
    for v in argvalues:
        if type(v).__name__ == "ParameterSet" and hasattr(v, "values") and hasattr(v, "marks"):
            params.append(_Param(tuple(v.values), tuple(getattr(m, "mark", m) for m in v.marks), v.id))
        else:
            params.append(_Param((v,) if force_tuple else tuple(v), (), None))
    return names, params


def _make_ids(names: list[str], params: list[_Param], ids: Any) -> list[str]:
    """pytest's ids for one ``parametrize`` call (explicit ids, values, or argname+index; duplicates numbered)."""
    idfn = ids if callable(ids) else None
    id_list = None if callable(ids) or ids is None else list(ids)
    out: list[str] = []
    for idx, p in enumerate(params):
        if p.id is not None:
            out.append(_ascii_escaped(p.id) if isinstance(p.id, (str, bytes)) else str(p.id))
            continue
        if id_list is not None and idx < len(id_list) and id_list[idx] is not None:
            got = _idval_from_value(id_list[idx])
            if got is None:
                raise ValueError(f"ids contains an unsupported value {id_list[idx]!r} at index {idx}")
            out.append(got)
            continue
        parts = []
        for val, argname in zip(p.values, names):
            got = None
            if idfn is not None:
                made = idfn(val)
                got = None if made is None else _idval_from_value(made)
            if got is None:
                if isinstance(val, (str, bytes)):
                    got = _ascii_escaped(val) if len(val) <= 100 else None
                else:
                    got = _idval_from_value(val)
            parts.append(got if got is not None else f"{argname}{idx}")
        out.append("-".join(parts))
    if len(out) != len(set(out)):
        counts = Counter(out)
        suffixes: dict[str, int] = defaultdict(int)
        for i, one in enumerate(out):
            if counts[one] > 1:
                sep = "_" if one and one[-1].isdigit() else ""
                new = f"{one}{sep}{suffixes[one]}"
                while new in set(out):
                    suffixes[one] += 1
                    new = f"{one}{sep}{suffixes[one]}"
                out[i] = new
                suffixes[one] += 1
    return out


@dataclass
class CollectedTest:
    """One collected test: ``name`` is what follows ``::`` in pytest's node id (``test_x[N,D]``)."""

    name: str
    func: Callable[..., Any]
    kwargs: dict[str, Any]
    fixtures: list[str]
    marks: list[Any]
    module: "_TestModule"
    cls: type | None = None

    @property
    def task(self) -> str | None:
        for m in self.marks:
            if m.name == "task" and m.args:
                return str(m.args[0])
        return None

    def mark(self, name: str) -> Any:
        return next((m for m in self.marks if m.name == name), None)


def _is_fixture(obj: Any) -> bool:
    return hasattr(obj, "_fixture_function_marker") or hasattr(obj, "_pytestfixturefunction")


def _fixture_parts(obj: Any) -> tuple[Callable[..., Any], Any]:
    marker = getattr(obj, "_fixture_function_marker", None) or getattr(obj, "_pytestfixturefunction")
    func = getattr(obj, "_fixture_function", None)
    if func is None:
        func = inspect.unwrap(obj)
    return func, marker


def _argnames(func: Callable[..., Any], skip_first: bool = False) -> list[str]:
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return []
    names = [n for n, p in sig.parameters.items()
             if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return names[1:] if skip_first else names


@dataclass
class _TestModule:
    filename: str
    source: str
    hidden: bool
    namespace: dict[str, Any] = field(default_factory=dict)
    fixtures: dict[str, Any] = field(default_factory=dict)
    module_cache: dict[str, Any] = field(default_factory=dict)


def _compile_test(source: str, filename: str) -> Any:
    """Compile a test module, with pytest's assertion rewriting where pytest offers it."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    tree = ast.parse(source, filename)
    try:
        from _pytest.assertion.rewrite import rewrite_asserts
        rewrite_asserts(tree, source.encode("utf-8"), filename, None)
    except Exception:  # an older/newer pytest without this private API: plain asserts still work
        tree = ast.parse(source, filename)
    return compile(tree, filename, "exec", dont_inherit=True)


def _load_module(mod: _TestModule, shared: Mapping[str, Any]) -> None:
    stem = re.sub(r"\W", "_", os.path.splitext(os.path.basename(mod.filename))[0])
    ns: dict[str, Any] = {"__name__": f"nnott_tests.{stem}", "__file__": mod.filename, "__builtins__": builtins}
    exec(_compile_test(mod.source, mod.filename), ns)
    mod.namespace = ns
    mod.fixtures = dict(shared)
    for name, obj in ns.items():
        if _is_fixture(obj):
            func, marker = _fixture_parts(obj)
            mod.fixtures[getattr(marker, "name", None) or name] = obj


def _expand(func: Callable[..., Any], name: str, marks: list[Any], mod: _TestModule,
            cls: type | None) -> Iterator[CollectedTest]:
    calls: list[tuple[list[str], dict[str, Any], list[Any]]] = [([], {}, [])]
    for m in marks:
        if m.name != "parametrize":
            continue
        args = list(m.args)
        kwargs = dict(m.kwargs)
        argnames = args[0] if args else kwargs.pop("argnames")
        argvalues = args[1] if len(args) > 1 else kwargs.pop("argvalues")
        ids = args[3] if len(args) > 3 else kwargs.get("ids")
        if kwargs.get("indirect"):
            raise ValueError(f"{name}: parametrize(indirect=...) is not supported in notebooks")
        names, params = _parameter_sets(argnames, argvalues)
        if not params:
            yield CollectedTest(name + "[NOTSET]", func, {}, [], marks + [_SkipMark("got empty parameter set")], mod, cls)
            return
        made = _make_ids(names, params, ids)
        calls = [(old_ids + [pid], {**old_kw, **dict(zip(names, p.values))}, old_marks + list(p.marks))
                 for old_ids, old_kw, old_marks in calls for pid, p in zip(made, params)]
    argnames = _argnames(func, skip_first=cls is not None)
    for ids, kw, extra in calls:
        full = name + (f"[{'-'.join(ids)}]" if ids else "")
        fixtures = [a for a in argnames if a not in kw]
        for m in marks + extra:
            if m.name == "usefixtures":
                fixtures += [a for a in m.args if a not in fixtures]
        yield CollectedTest(full, func, kw, fixtures, list(extra) + marks, mod, cls)


@dataclass
class _SkipMark:
    reason: str
    name: str = "skip"

    @property
    def args(self) -> tuple[Any, ...]:
        return ()

    @property
    def kwargs(self) -> dict[str, Any]:
        return {"reason": self.reason}


def collect(mod: _TestModule) -> list[CollectedTest]:
    """Every test in a loaded module, expanded over its parameters, in pytest's order and with pytest's names."""
    ns = mod.namespace
    module_marks = _marks_of(ns)
    out: list[CollectedTest] = []
    for name, obj in list(ns.items()):
        if name.startswith("test") and inspect.isfunction(obj) and getattr(obj, "__test__", True):
            out += _expand(obj, name, _marks_of(obj) + module_marks, mod, None)
        elif name.startswith("Test") and inspect.isclass(obj) and getattr(obj, "__test__", True) \
                and "__init__" not in vars(obj):
            class_marks = [m for klass in reversed(obj.__mro__) for m in _marks_of(vars(klass))]
            for attr, meth in [(k, v) for klass in obj.__mro__[::-1] for k, v in vars(klass).items()]:
                if attr.startswith("test") and inspect.isfunction(meth):
                    out += _expand(meth, f"{name}::{attr}", _marks_of(meth) + class_marks + module_marks, mod, obj)
    seen: dict[str, CollectedTest] = {}
    for t in out:
        seen[t.name] = t  # a method redefined in a subclass is collected once, like pytest
    return list(seen.values())


def collected_names(filename: str, source: str) -> list[tuple[str, str | None]]:
    """``[(name, task)]`` of every test in a test module's source (imports the module's own imports, e.g. torch)."""
    mod = _TestModule(filename, source, hidden=False)
    _load_module(mod, {})
    return [(t.name, t.task) for t in collect(mod)]


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------

class _Timeout(BaseException):
    pass


class _FixtureError(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    usable = (seconds and seconds > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise _Timeout(f"Timeout (>{seconds:.1f}s): the test ran past its time limit")
    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@contextlib.contextmanager
def _quiet() -> Iterator[io.StringIO]:
    """Capture stdout, stderr (Python's and the process's file descriptors) and warnings."""
    buf = io.StringIO()
    saved_fds: list[tuple[int, int]] = []
    tmp = tempfile.TemporaryFile(mode="w+b")
    for fd in (1, 2):
        try:
            for stream in (sys.__stdout__, sys.__stderr__):
                if stream is not None:
                    stream.flush()
            saved_fds.append((fd, os.dup(fd)))
            os.dup2(tmp.fileno(), fd)
        except OSError:
            pass
    try:
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf), warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            yield buf
    finally:
        for fd, saved in saved_fds:
            try:
                os.dup2(saved, fd)
                os.close(saved)
            except OSError:
                pass
        tmp.seek(0)
        buf.write(tmp.read().decode("utf-8", "replace"))
        tmp.close()


def _user_frame(tb: Any, namespaces: list[dict[str, Any]]) -> Any:
    """The last traceback frame that runs the notebook's own code."""
    found = None
    while tb is not None:
        if any(tb.tb_frame.f_globals is ns for ns in namespaces):
            found = tb
        tb = tb.tb_next
    return found


def _outcome_name(exc: BaseException) -> str:
    """``Skipped``, ``Failed``, ``XFailed``... for pytest's outcome exceptions, else ``""``."""
    for klass in type(exc).__mro__:
        if klass.__name__ == "OutcomeException" and klass.__module__.startswith("_pytest"):
            return type(exc).__name__
    return ""


def _is_skip(exc: BaseException) -> bool:
    return _outcome_name(exc) in ("Skipped", "XFailed")


def _is_failed(exc: BaseException) -> bool:
    return _outcome_name(exc) == "Failed"


def _assert_line(tb: Any, filename: str) -> str:
    last = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            last = tb
        tb = tb.tb_next
    if last is None:
        return ""
    return linecache.getline(filename, last.tb_lineno).strip()


def classify(exc: BaseException, namespaces: list[dict[str, Any]], test_file: str = "") -> tuple[str, str]:
    """``(outcome, message)`` for an exception a test raised: the grader's words, with notebook locations."""
    tb = exc.__traceback__
    if isinstance(exc, _Timeout):
        return TIMEOUT, str(exc)
    if _is_skip(exc):
        return SKIPPED, str(exc) or "skipped"
    if isinstance(exc, NotImplementedError):
        return NOT_STARTED, str(exc) or "NotImplementedError"
    if isinstance(exc, SyntaxError):
        return ERROR, f"SyntaxError in {exc.filename}:{exc.lineno}: {exc.msg}" + (
            f"\n    {exc.text.strip()}" if exc.text else "")
    frame = _user_frame(tb, namespaces)
    if isinstance(exc, AssertionError) and frame is None:
        return FAILED, str(exc).strip() or ("assertion failed: " + _assert_line(tb, test_file)).strip()
    if _is_failed(exc) and frame is None:
        return FAILED, str(exc).strip()
    head = f"{type(exc).__name__}: {exc}".strip()
    if frame is not None:
        code = frame.tb_frame.f_code
        where = getattr(code, "co_qualname", code.co_name)
        text = linecache.getline(code.co_filename, frame.tb_lineno).strip()
        head += f"\n    at {where}, line {frame.tb_lineno} of its cell" + (f": {text}" if text else "")
    hint = error_hint(exc)
    if hint:
        head += f"\n    hint: {hint}"
    return ERROR, head


class Checks:
    """One task's tests in a notebook's test cell: add the test files, then :meth:`run`.

    Args:
        task: the task id, e.g. ``"03.1"``; only tests marked with it run.
        title: the task's title, for messages.
        impl: the notebook's :class:`NotebookImpl`.
        timeout: seconds per test unless a test's ``pytest.mark.timeout`` says otherwise.
    """

    def __init__(self, task: str, title: str, impl: Any, timeout: float | None = DEFAULT_TIMEOUT,
                 names: str = "") -> None:
        self.task = task
        self.title = title
        self.impl = impl
        self.timeout = timeout
        self.names = names
        self.modules: list[_TestModule] = []
        self.shared: list[tuple[str, str]] = []
        self.ref: Any = None
        self.results: list[TestRecord] = []

    def add(self, filename: str, source: str, hidden: bool = False) -> "Checks":
        """A test module (its file name and source) holding tests of this task."""
        self.modules.append(_TestModule(filename, source, hidden))
        return self

    def conftest(self, filename: str, source: str) -> "Checks":
        """A ``conftest.py`` whose fixtures the test modules may use."""
        self.shared.append((filename, source))
        return self

    def reference(self, sources: Mapping[str, str]) -> "Checks":
        """The reference modules' sources, for the ``ref`` fixture (hidden tests only)."""
        self.ref = SourcePackage(sources)
        return self

    # -- running -------------------------------------------------------------------------

    def _namespaces(self) -> list[dict[str, Any]]:
        ns = getattr(self.impl, "_namespace", None)
        return [ns] if isinstance(ns, dict) else []

    def _builtin_fixture(self, name: str, test: CollectedTest) -> Any:
        if name == "impl":
            return self.impl
        if name == "ref":
            if self.ref is None:
                import pytest
                pytest.skip("the reference is not available here")
            return self.ref
        if name == "rng":
            return np.random.default_rng(seed_for(test.name))
        if name == "tmp_path":
            from pathlib import Path
            return Path(tempfile.mkdtemp(prefix="nnott-"))
        raise _FixtureError(f"fixture {name!r} not found")

    def _fixture(self, name: str, test: CollectedTest, cache: dict[str, Any], teardown: list[Any]) -> Any:
        if name in cache:
            return cache[name]
        fixtures = test.module.fixtures
        if name in fixtures:
            func, marker = _fixture_parts(fixtures[name])
            if getattr(marker, "params", None):
                raise _FixtureError(f"fixture {name!r} has params, which notebooks do not support")
            scope = getattr(marker, "scope", "function")
            if scope in ("module", "session", "package") and name in test.module.module_cache:
                value = test.module.module_cache[name]
            else:
                kwargs = {a: self._fixture(a, test, cache, teardown) for a in _argnames(func)}
                value = func(**kwargs)
                if inspect.isgenerator(value):
                    gen = value
                    value = next(gen)
                    teardown.append(gen)
                if scope in ("module", "session", "package"):
                    test.module.module_cache[name] = value
        else:
            value = self._builtin_fixture(name, test)
        cache[name] = value
        return value

    def _run_one(self, test: CollectedTest, timed_out: bool) -> TestRecord:
        rec = TestRecord(test.name, test.name, self.task, test.module.hidden, PASSED, file=test.module.filename)
        t0 = time.perf_counter()
        for m in test.marks:
            if m.name == "skip":
                rec.outcome, rec.message = SKIPPED, str(m.kwargs.get("reason", m.args[0] if m.args else "skipped"))
                return rec
            if m.name == "skipif":
                cond = m.args[0] if m.args else m.kwargs.get("condition", True)
                if isinstance(cond, str):
                    cond = eval(cond, {"os": os, "sys": sys, "platform": __import__("platform"), **test.module.namespace})
                if cond:
                    rec.outcome, rec.message = SKIPPED, str(m.kwargs.get("reason", "skipped"))
                    return rec
        if timed_out:
            rec.outcome, rec.message = TIMEOUT, f"not run: an earlier test of task {self.task} timed out"
            return rec
        limit = self.timeout
        tm = test.mark("timeout")
        if tm is not None:
            limit = float(tm.args[0] if tm.args else tm.kwargs.get("timeout", limit or 0)) or None
        cache: dict[str, Any] = {}
        teardown: list[Any] = []
        try:
            with _time_limit(limit):
                kwargs = {name: self._fixture(name, test, cache, teardown) for name in test.fixtures}
                kwargs.update(test.kwargs)
                func = test.func
                if test.cls is not None:
                    func = getattr(test.cls(), test.func.__name__)
                func(**kwargs)
                for gen in reversed(teardown):
                    with contextlib.suppress(StopIteration):
                        next(gen)
        except (KeyboardInterrupt, SystemExit):
            raise
        except _FixtureError as exc:
            rec.outcome, rec.message = ERROR, str(exc)
        except BaseException as exc:  # noqa: BLE001 - pytest's outcomes derive from BaseException
            rec.outcome, rec.message = classify(exc, self._namespaces(), test.module.filename)
        if test.mark("xfail") is not None and rec.outcome not in (PASSED, SKIPPED):
            rec.outcome, rec.message = SKIPPED, "xfail"
        rec.duration = round(time.perf_counter() - t0, 4)
        return rec

    def collect(self) -> list[CollectedTest]:
        """Load the modules and return this task's tests (errors in loading are reported by :meth:`run`)."""
        shared: dict[str, Any] = {}
        # a deeper conftest.py overrides a shallower one's fixtures, as in pytest
        for filename, source in sorted(self.shared, key=lambda fs: fs[0].count("/")):
            ns: dict[str, Any] = {"__name__": "nnott_tests.conftest", "__file__": filename, "__builtins__": builtins}
            exec(_compile_test(source, filename), ns)
            shared.update({(getattr(_fixture_parts(o)[1], "name", None) or k): o for k, o in ns.items() if _is_fixture(o)})
        tests: list[CollectedTest] = []
        for mod in sorted(self.modules, key=lambda m: m.hidden):   # public tests first
            _load_module(mod, shared)
            tests += [t for t in collect(mod) if t.task == self.task]
        return tests

    def results_by_running(self) -> list[TestRecord]:
        """Run this task's tests and return one result per test (also kept in ``self.results``)."""
        self.results = []
        with _quiet():
            if any("hypothesis" in text for text in [m.source for m in self.modules] + [s for _, s in self.shared]):
                _quiet_hypothesis()
            try:
                tests = self.collect()
            except BaseException as exc:  # noqa: BLE001
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
                at = f" ({where[0].filename}:{where[0].lineno})" if where else ""
                self.results = [TestRecord("(loading the tests)", "(loading the tests)", self.task, False, ERROR,
                                           f"the tests could not be loaded{at}: {type(exc).__name__}: {exc}")]
                return self.results
            timed_out = False
            for test in tests:
                rec = self._run_one(test, timed_out)
                timed_out = timed_out or rec.outcome == TIMEOUT
                self.results.append(rec)
        return self.results

    def run(self) -> None:
        """Run this task's tests; return quietly when all pass, else raise ``AssertionError`` saying why."""
        __tracebackhide__ = True
        if not self.modules:
            print(f"Task {self.task} ({self.title}): no checks here yet; they run when the notebook is graded.")
            return
        results = [r for r in self.results_by_running() if r.outcome != SKIPPED]
        report = self.report(results)
        if results and all(r.outcome == PASSED for r in results):
            print(report)
            return
        raise AssertionError(report) from None

    def report(self, results: list[TestRecord]) -> str:
        """The text a student reads: a one-line verdict, then the most informative failures."""
        head = f"Task {self.task} ({self.title})"
        if not results:
            return f"{head}: no checks ran."
        passed = sum(r.outcome == PASSED for r in results)
        hidden = sum(r.hidden for r in results)
        count = f"{len(results)} checks" + (f", {hidden} of them hidden" if hidden else "")
        if passed == len(results):
            return f"{head}: all {len(results)} checks passed" + (f" ({hidden} of them hidden)." if hidden else ".")
        states = [r.outcome for r in results]
        state = next(s for s in SEVERITY if s in states)
        failing = sorted((r for r in results if r.outcome != PASSED),
                         key=lambda r: (r.message.startswith("not run:"), "hint:" not in r.message, r.hidden))
        if state == NOT_STARTED:
            what = f"fill in {self.names}" if self.names else "fill in this task's code cells"
            lines = [f"{head}: not started: {what} (the blocks marked YOUR CODE HERE), run those cells, then this one."]
            others = sorted({m.group(1) for r in failing if (m := re.match(r"Task (\d\d\.\d+):", r.message))}
                            - {self.task})
            if others:
                lines.append(f"  its checks also need task {', '.join(others)}")
            return "\n".join(lines)
        lines = [f"{head}: {state}: {passed} of {count} passed; every check must pass for this task's points."]
        for r in failing[:_MAX_SHOWN]:
            label = r.name + (" (hidden)" if r.hidden else "")
            msg = r.message.strip().replace("\n", "\n    ")
            lines.append(f"- {label}: [{r.outcome}] {msg}")
        if len(failing) > _MAX_SHOWN:
            lines.append(f"- ... and {len(failing) - _MAX_SHOWN} more")
        return "\n".join(lines)


def _quiet_hypothesis() -> None:
    """No example database next to the notebook (and no files written by the checks)."""
    try:
        import hypothesis
    except ImportError:  # pragma: no cover - hypothesis is a test dependency
        return
    name = "nnott-notebook"
    if name not in getattr(hypothesis.settings, "_profiles", {}):
        hypothesis.settings.register_profile(name, database=None)
    hypothesis.settings.load_profile(name)
