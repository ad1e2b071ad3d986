"""Inside the student's notebook: run a task's tests with pytest itself, on the code the notebook defines.

A course notebook (see ``make notebooks``) defines the library in its cells
instead of in ``starter/``. Its setup cell builds ``impl``, a
:class:`NotebookImpl` that reads the notebook's own definitions, so the
unchanged test files (``impl.nn.linear.Linear``) work in the notebook too. Each
task's check cell embeds that task's test files and runs them with
:class:`Checks`::

    checks = Checks("03.1", "Linear forward", impl)
    checks.add("tests/a03_linear/test_03_1_linear_forward.py", r'''...test source...''')
    checks.run()

``run`` writes the embedded files to a temporary folder and runs
``pytest.main`` on them with :class:`NotebookPlugin`, which supplies the
fixtures the grader's pytest plugin supplies (``impl``, the notebook; ``rng``,
seeded by :func:`grader.seeds.seed_for` exactly as under the plugin; ``ref``,
the reference, where the hidden part of the cell provides it), keeps only the
tests marked with the cell's task, limits each test's time, and judges each
outcome with the grader's own :func:`grader.outcome.classify`. It returns
quietly when every test passes and otherwise raises ``AssertionError`` with the
grader's messages. Nothing is written to stderr (nbgrader gives no points to a
cell that writes there): pytest's output, warnings and the output of the code
under test are captured.

This module runs in the student's kernel and ships next to the notebook; it
holds no instructor code (that side is :mod:`grader.instructor.notebooks`).
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.util
import io
import linecache
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
import warnings
from pathlib import Path, PurePosixPath
from typing import Any, Iterator, Mapping

import numpy as np
import pytest

from .device import DEVICES
from .device import make as make_device
from .impl import GUARD
from .outcome import CRASH, ERROR, FAILED, NOT_STARTED, PASSED, SKIPPED, TIMEOUT, State, TaskTimedOut, TestRecord, classify
from .seeds import seed_for

__all__ = ["NotebookImpl", "SourcePackage", "Checks", "NotebookPlugin", "seed_for", "collected_names"]

#: Seconds per test unless a test says otherwise (``pytest.mark.timeout``); the course's pytest default.
DEFAULT_TIMEOUT = 10.0
#: Where ``ref`` is loaded from when a check cell provides the reference sources.
REFERENCE_ALIAS = "nnott_reference"
#: A task's state is the worst state among its tests.
WORST_FIRST = (TIMEOUT, CRASH, ERROR, FAILED, NOT_STARTED, PASSED)
#: pytest's options for a check cell: no cache or other files next to the notebook, no plugin that
#: could kill the kernel (pytest-timeout's thread method, faulthandler), tests imported without sys.path.
PYTEST_ARGS = ("-q", "-p", "no:cacheprovider", "-p", "no:timeout", "-p", "no:faulthandler", "-p", "no:randomly",
               "-p", "no:hypothesispytest", "-p", "no:pastebin", "-p", "no:unraisableexception", "-p", "no:threadexception",
               "--import-mode=importlib", "-o", "console_output_style=classic")
_MAX_SHOWN = 6


def _word(state: Any) -> str:
    """An outcome as the word a student reads (``failed``), whether a plain string or a string enum."""
    return str(getattr(state, "value", state))


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
                return self._impl._namespace[modules[self._dotted][name]]
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
        modules: ``{module: names it defines}`` for every module the notebook holds (dotted names for
            sub-packages: ``"scalar.neuron"``); the names as a list, or as ``{name: name in the notebook}``
            where the notebook renamed a module's private helper to keep it apart from another's.
        guard: refuse imports of torch, pytest and the like from the notebook's cells.
    """

    label = "this notebook"
    is_reference = False
    folder = None

    def __init__(self, namespace: dict[str, Any], modules: Mapping[str, Any], guard: bool = True) -> None:
        self._namespace = namespace
        self._modules = {m: dict(names) if isinstance(names, Mapping) else {n: n for n in names}
                         for m, names in modules.items()}
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
# Running: pytest on the embedded files, with the notebook's fixtures
# --------------------------------------------------------------------------------------------

def _timeout_message(seconds: float) -> str:
    return f"Timeout (>{seconds:.1f}s): the test ran past its time limit"


@contextlib.contextmanager
def _alarm(seconds: float | None, message: str) -> Iterator[None]:
    """Interrupt the code inside after ``seconds`` with ``pytest.fail(message)`` (a ``BaseException`` that
    ``except Exception`` in the code under test cannot swallow). Only a main-thread ``SIGALRM`` can do that
    without killing the kernel; elsewhere the code runs unlimited. A timer already running (an outer
    pytest-timeout) is put back, less the time spent here."""
    usable = (seconds is not None and seconds > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable or seconds is None:
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        pytest.fail(message, pytrace=False)

    t0 = time.monotonic()
    old_handler = signal.signal(signal.SIGALRM, handler)
    old_left, old_interval = signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_left:
            signal.setitimer(signal.ITIMER_REAL, max(old_left - (time.monotonic() - t0), 0.001), old_interval)


def _user_frame(tb: Any, namespaces: list[dict[str, Any]]) -> Any:
    """The last traceback entry that runs the notebook's own code (a function defined in one of its cells)."""
    found = None
    while tb is not None:
        if any(tb.tb_frame.f_globals is ns for ns in namespaces):
            found = tb
        tb = tb.tb_next
    return found


def classify_in_notebook(excinfo: Any, namespaces: list[dict[str, Any]]) -> tuple[State, str]:
    """``(outcome, message)`` for a test that raised: :func:`grader.outcome.classify` itself, the grader's own
    words, with the notebook's cells as the code under test (the folder the kernel compiles them into) and
    the place said as a notebook says it: the function and its line in the cell."""
    frame = _user_frame(excinfo.tb, namespaces)
    if frame is None:
        return classify(excinfo, None)
    code = frame.tb_frame.f_code
    cells = Path(code.co_filename).resolve().parent
    if Path(__file__).resolve().is_relative_to(cells):   # cells named as if in the notebook's own folder
        return classify(excinfo, None)
    outcome, message = classify(excinfo, cells)
    text = linecache.getline(code.co_filename, frame.tb_lineno).strip()
    where = (f"\n    at {getattr(code, 'co_qualname', code.co_name)}, line {frame.tb_lineno} of its cell"
             + (f": {text}" if text else ""))
    return outcome, re.sub(r"\n    at [^\n]*:\d+ in [^\n]*", lambda _: where, message, count=1)


def _task_of(item: Any) -> str | None:
    marks = list(item.iter_markers("task"))
    return str(marks[0].args[0]) if marks and marks[0].args else None


class NotebookPlugin:
    """The pytest plugin of one check cell (the notebook's counterpart of :mod:`grader.plugin`).

    Supplies ``impl``, ``rng``, ``ref`` and ``device``; keeps only the tests of ``task`` (every test when ``task`` is
    ``None``), public ones first; limits each test to ``timeout`` seconds (``pytest.mark.timeout`` says
    otherwise) and, once one test of the task timed out, runs no more; records one :class:`TestRecord`
    per test, named as the embedded file names it (``tests/a03_linear/test_x.py::test_y[N,D]``).
    """

    def __init__(self, checks: "Checks", files: Mapping[str, tuple[str, bool]]) -> None:
        self.checks = checks
        self.files = dict(files)          # written path (posix, relative to the root) -> (embedded name, hidden)
        self.records: list[TestRecord] = []
        self.collected: list[tuple[str, str | None]] = []
        self.load_errors: list[TestRecord] = []
        self.interrupted = False
        self._timed_out = False
        self._deadline: float | None = None
        self._limit: float | None = None

    # -- fixtures --------------------------------------------------------------------------

    @pytest.fixture(scope="session")
    def impl(self) -> Any:
        """The package under test: the notebook's own code (``impl.nn.linear.Linear``)."""
        return self.checks.impl

    @pytest.fixture(scope="session")
    def ref(self) -> Any:
        """The reference, where the hidden part of the check cell gave its sources."""
        if self.checks.ref is None:
            pytest.skip("the reference is not available here")
        return self.checks.ref

    @pytest.fixture
    def rng(self, request: pytest.FixtureRequest) -> np.random.Generator:
        """A NumPy generator seeded from the test's id, exactly as the grader's plugin seeds it."""
        return np.random.default_rng(seed_for(request.node.nodeid.split("::", 1)[-1]))

    @pytest.fixture(params=DEVICES)
    def device(self, request: pytest.FixtureRequest) -> Any:
        """The array backend, as under the grader's plugin: NumPy, and CuPy where it can run (skipped elsewhere)."""
        try:
            return make_device(request.param)
        except RuntimeError as exc:
            pytest.skip(f"{request.param}: {exc}")

    # -- collection ------------------------------------------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "task(id): the manifest task a graded test belongs to")
        config.addinivalue_line("markers", "timeout(seconds): this test's time limit")

    def _embedded(self, nodeid: str) -> tuple[str, bool]:
        path = nodeid.split("::", 1)[0]
        return self.files.get(path, (path, "/hidden/" in path))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if not report.failed:
            return
        name, hidden = self._embedded(report.nodeid)
        crash = getattr(report.longrepr, "reprcrash", None)
        if crash is not None:
            what = f" ({name}:{crash.lineno})" if crash.lineno else f" ({name})"
            detail = crash.message
        else:
            lines = [ln[1:].strip() for ln in str(report.longrepr).splitlines() if ln.startswith("E ")]
            what, detail = f" ({name})", (lines[-1] if lines else str(report.longrepr).strip().splitlines()[-1])
        self.load_errors.append(TestRecord("(loading the tests)", "(loading the tests)", self.checks.task or "?",
                                           hidden, ERROR, f"the tests could not be loaded{what}: {detail}", file=name))

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if self.checks.task is not None:
            drop = [i for i in items if _task_of(i) != self.checks.task]
            if drop:
                config.hook.pytest_deselected(items=drop)
                items[:] = [i for i in items if _task_of(i) == self.checks.task]
        items.sort(key=lambda i: self._embedded(i.nodeid)[1])   # public tests first; stable otherwise
        self.collected = [(i.nodeid.split("::", 1)[1], _task_of(i)) for i in items]

    def pytest_keyboard_interrupt(self, excinfo: Any) -> None:
        # the student interrupted the kernel; pytest's own "Interrupted: errors during collection" is not that
        self.interrupted = not isinstance(excinfo.value, (pytest.Session.Interrupted, pytest.exit.Exception))

    # -- running ---------------------------------------------------------------------------

    def _limit_of(self, item: pytest.Item) -> float | None:
        limit = self.checks.timeout
        mark = item.get_closest_marker("timeout")
        if mark is not None:
            limit = float(mark.args[0] if mark.args else mark.kwargs.get("timeout", limit or 0)) or None
        return limit

    @contextlib.contextmanager
    def _phase(self) -> Iterator[None]:
        """One phase of a test (setup, call, teardown) under what is left of the test's time."""
        if self._limit is None or self._deadline is None:
            yield
            return
        with _alarm(max(self._deadline - time.monotonic(), 0.001), _timeout_message(self._limit)):
            yield

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Any:
        if self._timed_out:
            raise TaskTimedOut(f"not run: an earlier test of task {self.checks.task} timed out")
        self._limit = self._limit_of(item)
        self._deadline = None if self._limit is None else time.monotonic() + self._limit
        with self._phase():
            return (yield)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        with self._phase():
            return (yield)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Any:
        try:
            with self._phase():
                return (yield)
        finally:
            self._deadline = self._limit = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        if report.when == "call" or (report.when == "setup" and not report.passed):
            if report.passed:
                outcome, message = PASSED, ""
            elif report.skipped:
                outcome = SKIPPED
                message = str(call.excinfo.value) if call.excinfo else "skipped"
            else:
                outcome, message = classify_in_notebook(call.excinfo, self.checks.namespaces())
            if outcome == TIMEOUT:
                self._timed_out = True
            file, hidden = self._embedded(item.nodeid)
            name = item.nodeid.split("::", 1)[1]
            _, line, _ = item.location
            self.records.append(TestRecord(f"{file}::{name}", name, _task_of(item) or "?", hidden, outcome, message,
                                           round(report.duration, 4), file, (line or 0) + 1))
        return report


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


@contextlib.contextmanager
def _environment() -> Iterator[None]:
    """A check cell's pytest run on its own: no ``PYTEST_ADDOPTS`` or ``PYTEST_PLUGINS`` of the surroundings,
    and no plugin that merely happens to be installed (one that reorders or parallelises the tests)."""
    keys = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    saved = {k: os.environ.pop(k) for k in keys if k in os.environ}
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        os.environ.update(saved)


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


def _relative(filename: str) -> PurePosixPath:
    """An embedded file's place below the temporary root: its own relative path, never outside."""
    parts = [p for p in PurePosixPath(filename.replace("\\", "/")).parts if p not in ("", ".", "..", "/")]
    return PurePosixPath(*parts) if parts else PurePosixPath("test_embedded.py")


class Checks:
    """One task's tests in a notebook's check cell: add the test files, then :meth:`run`.

    Args:
        task: the task id, e.g. ``"03.1"``; only tests marked with it run.
        title: the task's title, for messages.
        impl: the notebook's :class:`NotebookImpl`.
        timeout: seconds per test unless a test's ``pytest.mark.timeout`` says otherwise.
        names: the names the task covers, for the "not started" message.
    """

    def __init__(self, task: str | None, title: str, impl: Any, timeout: float | None = DEFAULT_TIMEOUT,
                 names: str = "") -> None:
        self.task = task
        self.title = title
        self.impl = impl
        self.timeout = timeout
        self.names = names
        self.modules: list[tuple[str, str, bool]] = []
        self.shared: list[tuple[str, str]] = []
        self.ref: Any = None
        self.results: list[TestRecord] = []
        self.output = ""

    def add(self, filename: str, source: str, hidden: bool = False) -> "Checks":
        """A test module (its file name and source) holding tests of this task."""
        self.modules.append((filename, source, hidden))
        return self

    def conftest(self, filename: str, source: str) -> "Checks":
        """A ``conftest.py`` whose fixtures the test modules may use."""
        self.shared.append((filename, source))
        return self

    def reference(self, sources: Mapping[str, str]) -> "Checks":
        """The reference modules' sources, for the ``ref`` fixture (hidden tests only)."""
        self.ref = SourcePackage(sources)
        return self

    def namespaces(self) -> list[dict[str, Any]]:
        ns = getattr(self.impl, "_namespace", None)
        return [ns] if isinstance(ns, dict) else []

    # -- running -------------------------------------------------------------------------

    def _pytest(self, collect_only: bool = False) -> NotebookPlugin:
        """Write the embedded files to a temporary folder and run pytest on them with a :class:`NotebookPlugin`."""
        root = Path(tempfile.mkdtemp(prefix="nnott-checks-"))
        package = f"nnott_checks_{uuid.uuid4().hex[:12]}"   # the tests' import names: unique, dropped after
        files: dict[str, tuple[str, bool]] = {}
        paths: list[str] = []
        try:
            for filename, _source, hidden in sorted(self.modules, key=lambda m: m[2]):   # public tests first
                rel = PurePosixPath(package) / _relative(filename)
                files[rel.as_posix()] = (filename, hidden)
                paths.append(str(root.joinpath(*rel.parts)))
            for filename, _shared in self.shared:
                files.setdefault((PurePosixPath(package) / _relative(filename)).as_posix(), (filename, False))
            for rel_path, (filename, _) in files.items():
                target = root.joinpath(*PurePosixPath(rel_path).parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                found = next((s for f, s, _ in self.modules if f == filename), None)
                text = found if found is not None else next(s for f, s in self.shared if f == filename)
                target.write_text(text, encoding="utf-8")
            (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
            plugin = NotebookPlugin(self, files)
            args = [*paths, "-c", str(root / "pytest.ini"), "--rootdir", str(root), *PYTEST_ARGS]
            if collect_only:
                args.append("--collect-only")
            sources = [s for _, s, _ in self.modules] + [s for _, s in self.shared]
            with _quiet() as out, _environment():
                if any("hypothesis" in s for s in sources):
                    _quiet_hypothesis()
                code = pytest.main(args, plugins=[plugin])
            self.output = out.getvalue()
            if plugin.interrupted:
                raise KeyboardInterrupt
            if int(code) in (3, 4) and not plugin.load_errors:   # pytest's internal or usage error
                tail = " ".join(self.output.strip().splitlines()[-3:])
                plugin.load_errors.append(TestRecord("(running the tests)", "(running the tests)", self.task or "?",
                                                     False, ERROR, f"pytest could not run the tests (exit {int(code)}): "
                                                                   f"{tail}"))
            return plugin
        finally:
            for key in [k for k in sys.modules if k == package or k.startswith(package + ".")]:
                del sys.modules[key]
            shutil.rmtree(root, ignore_errors=True)

    def collect(self) -> list[tuple[str, str | None]]:
        """``[(name, task)]`` of the tests pytest collects from the added files, in the order they would run."""
        plugin = self._pytest(collect_only=True)
        if plugin.load_errors:
            raise RuntimeError(plugin.load_errors[0].message)
        return plugin.collected

    def results_by_running(self) -> list[TestRecord]:
        """Run this task's tests and return one result per test (also kept in ``self.results``)."""
        plugin = self._pytest()
        self.results = plugin.load_errors or plugin.records
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
        state = next(s for s in WORST_FIRST if s in states)
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
        lines = [f"{head}: {_word(state)}: {passed} of {count} passed; every check must pass for this task's points."]
        for r in failing[:_MAX_SHOWN]:
            label = r.name + (" (hidden)" if r.hidden else "")
            msg = r.message.strip().replace("\n", "\n    ")
            lines.append(f"- {label}: [{_word(r.outcome)}] {msg}")
        if len(failing) > _MAX_SHOWN:
            lines.append(f"- ... and {len(failing) - _MAX_SHOWN} more")
        return "\n".join(lines)


def collected_names(filename: str, source: str) -> list[tuple[str, str | None]]:
    """``[(name, task)]`` of every test pytest collects from one test module's source, as a check cell would."""
    return Checks(None, "collect", impl=None).add(filename, source).collect()
