"""The pytest plugin: the ``impl`` and ``rng`` fixtures, the ``task`` marker, and the results.

Loaded for every pytest run of this repository (``-p grader.plugin`` in
``pyproject.toml``). Options:

``--impl``            the package under test: ``starter`` (default), ``reference`` or a submission folder
``--grader-hidden``   also collect ``tests/aNN_*/hidden/``
``--grader-json``     write the scored results there when the run ends
``--grader-stream``   append one JSON line per test as it starts and ends (crash-safe)
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from . import device as device_mod
from . import manifest
from .errors import UsageError
from .impl import Impl, resolve_impl
from .outcome import PASSED, SKIPPED, TIMEOUT, TaskTimedOut, TestRecord, classify
from .paths import REFERENCE, TESTS
from .results import RunResult
from .scoring import score
from .seeds import seed_for

RESULTS_KEY = pytest.StashKey[RunResult]()


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("nnott", "NNOTT Lab grader")
    g.addoption("--impl", default="starter", help="package under test: starter, reference, or a submission folder")
    g.addoption("--grader-hidden", action="store_true", help="also run the hidden tests")
    g.addoption("--grader-json", default=None, help="write the scored results (JSON) to this file")
    g.addoption("--grader-stream", default=None, help="append a JSON line per test start/end to this file")
    g.addoption("--grader-task", action="append", default=[], help="run only this task's tests (repeatable)")
    g.addoption("--grader-own-prereqs", action="store_true",
                help="judge every task on the package's own prerequisites (no uses_reference swap)")


class GraderState:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.impl_folder: Path = resolve_impl(config.getoption("impl"))
        self.impl = Impl(self.impl_folder)
        self.hidden = bool(config.getoption("grader_hidden"))
        self.own_prereqs = bool(config.getoption("grader_own_prereqs"))
        self._swapped: dict[tuple[str, ...], Impl] = {}
        #: set by the sandbox's judge: ``impl`` is then a remote proxy to a worker, and the judge classifies
        self.remote: Any = None
        self.classify = classify
        self.records: dict[str, TestRecord] = {}
        self.timed_out: set[str] = set()
        self.problems: list[str] = []
        self.assignments: dict[Path, manifest.Assignment] = {}
        self._owner: dict[Path, manifest.Assignment | None] = {}
        stream = config.getoption("grader_stream")
        self.stream = open(stream, "a", encoding="utf-8") if stream else None

    def impl_for(self, task_id: str | None, path: Path) -> Impl:
        """The package a test of ``task_id`` is judged on (see the ``impl`` fixture)."""
        a = self.assignment_of(Path(path))
        uses: tuple[str, ...] = ()
        if a is not None and task_id and not self.own_prereqs:
            try:
                uses = a.task(task_id).uses_reference
            except KeyError:
                uses = ()
        if self.remote is not None:
            return self.remote.impl_for(uses)  # type: ignore[no-any-return]
        if not uses:
            return self.impl
        if uses not in self._swapped:
            self._swapped[uses] = Impl(self.impl_folder, uses_reference=uses)
        return self._swapped[uses]

    def emit(self, event: dict[str, Any]) -> None:
        if self.stream:
            self.stream.write(json.dumps(event) + "\n")
            self.stream.flush()

    def assignment_of(self, path: Path) -> manifest.Assignment | None:
        if path not in self._owner:
            self._owner[path] = self._find_owner(path)
        return self._owner[path]

    def _find_owner(self, path: Path) -> manifest.Assignment | None:
        try:
            rel = path.resolve().relative_to(TESTS.resolve())
        except ValueError:
            return None
        for folder in manifest.folders():   # load only the manifest of the assignment that owns the test
            if rel.parts and manifest.tests_dir_name(folder.name) == rel.parts[0]:
                return manifest.load(folder)
        return None


def _state(config: pytest.Config) -> GraderState:
    return config.stash[_STATE]


_STATE = pytest.StashKey[GraderState]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "task(id): the manifest task a graded test belongs to")
    try:
        config.stash[_STATE] = GraderState(config)
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state and state.stream:
        state.stream.close()


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.name == "hidden" and collection_path.is_dir() and not config.getoption("grader_hidden"):
        return True
    return None


def _task_of(item: pytest.Item) -> str | None:
    marks = list(item.iter_markers("task"))
    return str(marks[0].args[0]) if marks and marks[0].args else None


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    state = _state(config)
    only = set(config.getoption("grader_task"))
    if only:
        keep = [i for i in items if _task_of(i) in only]
        config.hook.pytest_deselected(items=[i for i in items if _task_of(i) not in only])
        items[:] = keep
    items.sort(key=lambda i: "/hidden/" in i.nodeid)  # public tests first; stable otherwise
    for item in items:
        a = state.assignment_of(Path(item.path))
        if a is None:
            continue
        state.assignments[a.folder] = a
        tid = _task_of(item)
        if tid is None:
            state.problems.append(f"{item.nodeid}: graded test without @pytest.mark.task('{a.id}.N')")
        elif tid not in {t.id for t in a.tasks}:
            state.problems.append(f"{item.nodeid}: task {tid!r} is not in {a.folder.name}/manifest.toml")


@pytest.fixture
def impl(request: pytest.FixtureRequest) -> Impl:
    """The package under test (``--impl``): reach its code as ``impl.nn.linear.Linear``.

    For a task whose manifest lists ``uses_reference`` (principle 4: grade each task alone), the
    package with those files swapped for the reference's, unless ``--grader-own-prereqs`` asks for
    the student's own layers (the advisory run).
    """
    state = _state(request.config)
    return state.impl_for(_task_of(request.node), request.node.path)


@pytest.fixture(scope="session")
def ref() -> Impl:
    """The reference package, for hidden tests that use it as a third oracle."""
    if not REFERENCE.is_dir():
        pytest.skip("the reference is not available here")
    return Impl(REFERENCE, alias="reference")


@pytest.fixture(params=device_mod.DEVICES)
def device(request: pytest.FixtureRequest) -> device_mod.Device:
    """The array backend: NumPy, and CuPy where ``cupy.cuda.is_available()`` (skipped, with its reason, elsewhere)."""
    try:
        return device_mod.make(request.param)
    except RuntimeError as exc:
        pytest.skip(f"{request.param}: {exc}")


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A NumPy generator seeded from the test's id: the same inputs on every run and machine."""
    return np.random.default_rng(seed_for(request.node.nodeid.split("::", 1)[-1]))


def _is_graded(state: GraderState, item: pytest.Item) -> bool:
    return state.assignment_of(Path(item.path)) is not None


def pytest_runtest_setup(item: pytest.Item) -> None:
    state = _state(item.config)
    tid = _task_of(item)
    if _is_graded(state, item):
        state.emit({"event": "start", "nodeid": item.nodeid})
        if tid in state.timed_out:
            raise TaskTimedOut(f"not run: an earlier test of task {tid} timed out")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    state = _state(item.config)
    if not _is_graded(state, item):
        return report
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if report.passed:
            outcome, message = PASSED, ""
        elif report.skipped:
            outcome = SKIPPED
            message = str(call.excinfo.value) if call.excinfo else "skipped"
        else:
            outcome, message = state.classify(call.excinfo, state.impl_folder)
        tid = _task_of(item) or "?"
        if outcome == TIMEOUT:
            state.timed_out.add(tid)
        path, line, _ = item.location
        rec = TestRecord(item.nodeid, item.name, tid, "/hidden/" in item.nodeid or "\\hidden\\" in item.nodeid,
                         outcome, message, round(report.duration, 4), path, (line or 0) + 1)
        state.records[item.nodeid] = rec
        state.emit({"event": "end", **rec.to_dict()})
    return report


def results(config: pytest.Config) -> RunResult:
    """Scored results of every assignment that had tests collected in this run."""
    state = _state(config)
    out = RunResult(state.impl.label, state.hidden, list(state.problems))
    only = list(config.getoption("grader_task"))
    for a in sorted(state.assignments.values(), key=lambda a: a.id):
        recs = [r for r in state.records.values() if r.task.split(".")[0] == a.id]
        out.assignments.append(score(a, recs, state.impl.label, only=only))
    return out


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = config.stash.get(_STATE, None)
    if state is None:
        return
    res = results(config)
    config.stash[RESULTS_KEY] = res
    path = config.getoption("grader_json")
    if path:
        Path(path).write_text(json.dumps(res.to_dict(), indent=2), encoding="utf-8")
