"""The judge: runs the unchanged test files with pytest, torch and the reference, in a process the
student's code never runs in; ``impl`` is a :class:`~.proxy.RemoteImpl` to a sandboxed worker.

Run as ``python -m grader.instructor.sandbox.judge``: it reads one JSON job a line on stdin
(assignment, package, hidden, timeout, budget), grades it, and writes one JSON line of results on
stdout, so one judge process grades many submissions (torch and the test modules load once).

Per test, from outside: a deadline (the test's timeout marker, or ``--timeout``, or pyproject's
10 s), enforced by killing the worker's process group; any end of the worker during the test (exit
status 0 included, a signal, a closed pipe, a malformed message) makes that test a ``crash``; the
next test gets a fresh worker. Once a task timed out its remaining tests are not run (the plugin's
rule), and the submission as a whole has a budget (``budget`` seconds) after which nothing more runs.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Generator

import pytest

from ... import manifest
from ...code_errors import code_error_hint
from ...impl import reference_closure
from ...outcome import CRASH, ERROR, FAILED, NOT_STARTED, TIMEOUT, State, TaskTimedOut, classify
from ...paths import REFERENCE, ROOT, rel
from ...results import RunResult
from . import files, launch
from .proxy import Connection, Incident, RemoteImpl, WorkerCrashed, WorkerTimedOut

BUDGET_S = float(os.environ.get("NNOTT_GRADE_BUDGET_S", "300"))
#: a test's deadline in the judge is its timeout times this: every call crosses a pipe, and a test that
#: hands a test-side object to student code (a reference network to train) pays a round trip per use
TIMEOUT_FACTOR = float(os.environ.get("NNOTT_JUDGE_TIMEOUT_FACTOR", "3"))


class Session:
    """One submission in this judge: its staged files, its current worker and the deadlines."""

    count = 0

    def __init__(self, package: Path, swapped: list[str], budget_s: float, limits: launch.Limits,
                 sandbox: str) -> None:
        self.package = package
        self.staging = launch.Staging(package, swapped, uid=self._next_uid())
        self.uids = {self.staging.uid}
        self.limits, self.sandbox = limits, sandbox
        self.conn: Connection | None = None
        self.budget_s = budget_s
        self.budget_end = time.monotonic() + budget_s
        self.test_end = float("inf")
        self.in_test = False
        self.workers = 0
        self.mirror_host: str | None = None

    @staticmethod
    def _next_uid() -> int:
        Session.count += 1
        return 200000 + (os.getpid() % 20000) * 1000 + Session.count % 1000

    def deadline(self) -> float:
        return min(self.test_end, self.budget_end)

    def connection(self) -> Connection:
        if self.conn is not None and (self.conn.incident is not None or self.conn.alive):
            return self.conn            # a worker that died in this test stays dead until the test ends
        self.workers += 1
        if self.workers > 1:   # a user of its own per worker: nothing of a dead worker counts against the next
            self.staging.uid = self._next_uid()
            self.uids.add(self.staging.uid)
        try:
            self.conn = launch.spawn(self.staging, self.deadline, self.limits, self.sandbox)
        except (WorkerCrashed, WorkerTimedOut):
            raise
        except OSError as exc:
            raise WorkerCrashed(f"the worker could not start: {exc}") from None
        self._mirror_into(self.conn)
        return self.conn

    def set_mirror(self, tmp_path: str | None) -> None:
        """The test's ``tmp_path`` (or none): mirrored into the worker for as long as the test runs."""
        self.mirror_host = tmp_path
        if self.conn is not None:
            self._mirror_into(self.conn)

    def _mirror_into(self, conn: Connection) -> None:
        host = self.mirror_host
        if host is None:
            conn.mirror = None
        elif conn.mirror is None or conn.mirror.host != os.path.abspath(host):
            conn.mirror = files.Mirror(host, f"{conn.scratch}/tmp_path/{os.path.basename(host)}")

    def begin_test(self, timeout: float) -> None:
        self.test_end = time.monotonic() + timeout
        self.in_test = True

    def end_test(self) -> Incident | None:
        """Forget the test's objects in the worker; what ended the worker during the test, if anything."""
        if not self.in_test:
            return None
        self.in_test = False
        self.set_mirror(None)
        conn, incident = self.conn, None
        if conn is not None:
            if conn.incident is None:
                self.test_end = min(self.test_end, time.monotonic() + 5.0)
                try:
                    conn.reset()
                except (WorkerCrashed, WorkerTimedOut):
                    pass
                except Exception as exc:  # noqa: BLE001 - a reset that fails is a broken worker
                    conn.kill(Incident("crash", f"the worker broke the protocol: {exc}"))
                if conn.incident is None and conn.proc.poll() is not None:
                    conn.kill(Incident("crash", "the worker exited"))
            incident = conn.incident
            if incident is not None:
                self.conn = None
        self.test_end = float("inf")
        return incident

    def close(self) -> None:
        if self.conn is not None:
            self.conn.kill(Incident("crash", "closed"))
            self.conn = None
        for uid in self.uids:
            launch.kill_user(uid)
        self.staging.cleanup()


def _timeout_of(item: pytest.Item, default: float) -> float:
    m = item.get_closest_marker("timeout")
    if m is not None:
        value = m.args[0] if m.args else m.kwargs.get("timeout")
        if value:
            return float(value)
    return default


class JudgePlugin:
    """Makes ``impl`` remote, measures every test from outside, and classifies what comes back."""

    def __init__(self, session: Session, timeout: float | None) -> None:
        self.session, self.timeout = session, timeout
        self.impls: dict[tuple[str, ...], RemoteImpl] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        from ...plugin import _STATE
        state = config.stash[_STATE]
        state.remote = self
        state.classify = self.classify
        if self.timeout is None:
            try:
                self.timeout = float(config.getini("timeout") or 10)
            except (ValueError, TypeError):
                self.timeout = 10.0

    def impl_for(self, uses: tuple[str, ...]) -> RemoteImpl:
        swapped = tuple(reference_closure(uses)) if uses and REFERENCE.is_dir() else ()
        if swapped not in self.impls:
            self.impls[swapped] = RemoteImpl(self.session, self.session.package, rel(self.session.package), swapped)
        return self.impls[swapped]

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("device", "numpy") != "numpy":
            pytest.skip("the judge grades on NumPy only (the worker has no GPU)")
        if time.monotonic() >= self.session.budget_end:
            raise TaskTimedOut(f"not run: the submission's {self.session.budget_s:g} s budget ran out")
        self.session.begin_test(TIMEOUT_FACTOR * _timeout_of(item, self.timeout or 10.0))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, Any]:
        tmp = getattr(item, "funcargs", {}).get("tmp_path")
        self.session.set_mirror(str(tmp) if tmp is not None else None)
        try:
            result = yield
        except BaseException:
            incident = self.session.end_test()
            if incident is not None:
                raise incident.exception() from None   # whatever the test made of it, the worker died
            raise
        incident = self.session.end_test()
        if incident is not None:
            raise incident.exception()
        return result

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        self.session.end_test()   # a test whose setup failed never reached the call

    def classify(self, excinfo: Any, impl_folder: Path | None) -> tuple[State, str]:
        exc = excinfo.value
        if isinstance(exc, WorkerTimedOut):
            return TIMEOUT, ("Timeout: the test ran past its limit and its worker was stopped from outside"
                             + (f" ({exc})" if str(exc) else ""))
        if isinstance(exc, WorkerCrashed):
            return CRASH, f"the worker running this test died: {exc}"
        shown = getattr(exc, "_nnott_remote", None)
        if shown is None:
            return classify(excinfo, impl_folder)
        if isinstance(exc, NotImplementedError):
            return NOT_STARTED, str(exc) or "NotImplementedError"
        if isinstance(exc, SyntaxError) and exc.filename:
            return classify(excinfo, impl_folder)
        frame = getattr(exc, "_nnott_frame", None)
        if isinstance(exc, AssertionError) and frame is None:
            return FAILED, str(exc).strip() or "assertion failed"
        message = str(exc)
        head = (message if message.startswith(f"{shown}:") else f"{shown}: {message}").strip()
        if frame is not None:
            head += f"\n    at {rel(frame[0])}:{frame[1]} in {frame[2]}" + (f": {frame[3].strip()}" if frame[3] else "")
        named = code_error_hint(exc, frame[3] if frame else None, _namespace(getattr(exc, "_nnott_shapes", {})))
        if named:   # as classify: what went wrong on that line first, then the error as Python said it
            return ERROR, f"{named}\n    {head}"
        return ERROR, head


def _namespace(shapes: dict[str, Any]) -> dict[str, Any]:
    """Local variables that carry only shapes (``{"self.W.grad": (3, 2)}``) or plain numbers, for
    :func:`~grader.code_errors.code_error_hint`."""
    from types import SimpleNamespace
    root: dict[str, Any] = {}
    for expr, shape in shapes.items():
        if type(expr) is not str:
            continue
        head, *rest = expr.split(".")
        if type(shape) in (int, float) and not rest:
            root[head] = shape   # a plain number named on the line
            continue
        if type(shape) is not tuple or not all(type(n) is int for n in shape):
            continue
        if not rest:
            if head not in root:
                root[head] = SimpleNamespace()
            root[head].shape = shape
            continue
        obj = root.setdefault(head, SimpleNamespace())
        for attr in rest:
            if not hasattr(obj, attr):
                setattr(obj, attr, SimpleNamespace())
            obj = getattr(obj, attr)
        obj.shape = shape
    return root


class _Collector:
    results: RunResult | None = None

    def pytest_sessionfinish(self, session: Any, exitstatus: int) -> None:
        from ...plugin import RESULTS_KEY
        self.results = session.config.stash.get(RESULTS_KEY, None)


def judge(job: dict[str, Any]) -> dict[str, Any]:
    """Grade one job; the results as a dict (or ``{"error": ...}``)."""
    assignment = manifest.resolve(str(job["assignment"]))
    package = Path(job["package"])
    swapped = sorted({f for t in assignment.tasks for f in reference_closure(t.uses_reference)}) \
        if REFERENCE.is_dir() else []
    limits = launch.Limits(mem_mb=int(job.get("mem_mb") or launch.MEM_LIMIT_MB))
    session = Session(package, swapped, float(job.get("budget") or BUDGET_S), limits, str(job.get("sandbox") or ""))
    try:
        plugin = JudgePlugin(session, job.get("timeout"))
        collector = _Collector()
        args = [str(assignment.tests_dir), "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"),
                "--impl", str(package), "-p", "no:timeout", "-qq", "--tb=no", "-p", "no:warnings", "-p", "no:randomly"]
        if job.get("hidden", True):
            args.append("--grader-hidden")
        with contextlib.redirect_stdout(io.StringIO()):
            code = pytest.main(args, plugins=[collector, plugin])
        if collector.results is None or int(code) in (2, 3, 4):
            return {"error": f"pytest could not run the tests (exit {int(code)})"}
        out = collector.results.to_dict()
        out["workers"] = session.workers
        return out
    finally:
        session.close()


def _hypothesis_profile() -> None:
    """No example database in the course, and no shrinking: a failing property fails just the same,
    without hundreds more calls over the pipe to find the smallest example."""
    try:
        from hypothesis import Phase, settings
    except ImportError:
        return
    settings.register_profile("nnott-judge", database=None,
                              phases=(Phase.explicit, Phase.reuse, Phase.generate))
    settings.load_profile("nnott-judge")


def main() -> None:
    _hypothesis_profile()
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)   # anything printed while grading goes to the log, never into the results stream
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            result = judge(json.loads(line))
        except Exception as exc:  # noqa: BLE001 - one submission must never stop the judge
            result = {"error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(result) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
