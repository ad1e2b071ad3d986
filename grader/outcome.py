"""What happened in one test, in a student's words: passed, failed, not started, error, timeout.

``not started``: the stub still raises ``NotImplementedError``.
``failed``: an assertion of the test (a wrong answer).
``error``: any other exception, shown by its last frame in the code under test.
``timeout``: the per-test time limit ran out (pytest-timeout).
``crash``: the process running the test died (only under ``grade``).
"""
from __future__ import annotations

import re
import traceback
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from .code_errors import BLAND_BROADCAST, BLAND_MATMUL, code_error_hint
from .paths import rel


class State(str, Enum):
    """The state of a test, or of a task (the worst state among its tests). Values are what students read."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_STARTED = "not started"
    ERROR = "error"
    TIMEOUT = "timeout"
    CRASH = "crash"
    SKIPPED = "skipped"
    NO_TESTS = "no tests"      # a task with no test collected (a defect of the course, not of the student)
    NOT_RUN = "not run"        # a task left out of this run (``T=03.2`` runs one task)

    def __str__(self) -> str:
        return self.value


PASSED, FAILED, NOT_STARTED, ERROR, TIMEOUT, CRASH, SKIPPED = (
    State.PASSED, State.FAILED, State.NOT_STARTED, State.ERROR, State.TIMEOUT, State.CRASH, State.SKIPPED)
NO_TESTS, NOT_RUN = State.NO_TESTS, State.NOT_RUN
#: Worst first: a task's state is the worst state among its tests (passed only if all passed).
SEVERITY = (TIMEOUT, CRASH, ERROR, FAILED, NOT_STARTED, PASSED)


_RAW_ERROR = re.compile(r"^[A-Za-z_][\w.]*(?: \(>[\d.]+s\))?: |^Timeout\b")


def says_what_is_wrong(first_line: str, state: State) -> bool:
    """Whether a reason's first line says more than the numbers: not "... does not match: relative error ..."
    alone, not an assertion without a message, and not an error as Python printed it (or a hint that only says
    to print the shapes)."""
    head = first_line.strip()
    if state in (ERROR, CRASH, TIMEOUT):
        return bool(head) and not _RAW_ERROR.match(head) and head not in (BLAND_BROADCAST, BLAND_MATMUL)
    return not (" does not match: relative error" in head or head.startswith(("AssertionError", "assertion failed")))


class TaskTimedOut(Exception):
    """Raised instead of running a test whose task already timed out once."""


@dataclass
class TestRecord:
    nodeid: str
    name: str
    task: str
    hidden: bool
    outcome: State
    message: str = ""
    duration: float = 0.0
    file: str = ""
    line: int = 0

    def __post_init__(self) -> None:
        self.outcome = State(self.outcome)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["outcome"] = self.outcome.value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TestRecord":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def _frame_in(tb: Any, folder: Path | None) -> traceback.FrameSummary | None:
    """The last frame of ``tb`` whose file lies inside ``folder``."""
    if folder is None:
        return None
    found = None
    for fs in traceback.extract_tb(tb):
        try:
            Path(fs.filename).resolve().relative_to(folder)
        except ValueError:
            continue
        found = fs
    return found


def _raised_in(tb: Any, folder: Path | None) -> bool:
    """Whether the innermost frame of ``tb`` (where the exception was raised) lies inside ``folder``."""
    last = traceback.extract_tb(tb)[-1:] if tb is not None else []
    if folder is None or not last:
        return False
    try:
        Path(last[0].filename).resolve().relative_to(folder)
        return True
    except ValueError:
        return False


def _locals_in(tb: Any, folder: Path | None) -> dict[str, Any] | None:
    """The local variables of the last frame of ``tb`` inside ``folder`` (for naming the array in a shape error)."""
    found = None
    while folder is not None and tb is not None:
        try:
            Path(tb.tb_frame.f_code.co_filename).resolve().relative_to(folder)
            found = tb.tb_frame.f_locals
        except ValueError:
            pass
        tb = tb.tb_next
    return found


def classify(excinfo: Any, impl_folder: Path | None) -> tuple[State, str]:
    """``(outcome, message)`` for a test that raised ``excinfo`` (a pytest ``ExceptionInfo``)."""
    exc = excinfo.value
    if isinstance(exc, TaskTimedOut):
        return TIMEOUT, str(exc)
    if isinstance(exc, NotImplementedError):
        return NOT_STARTED, str(exc) or "NotImplementedError"
    if excinfo.typename == "Failed" and "Timeout" in str(exc):
        return TIMEOUT, str(exc).strip().splitlines()[0]
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f"{rel(exc.filename)}:{exc.lineno}"
        return ERROR, f"SyntaxError in {where}: {exc.msg}" + (f"\n    {exc.text.strip()}" if exc.text else "")
    frame = _frame_in(excinfo.tb, impl_folder)
    if isinstance(exc, AssertionError) and (frame is None or not _raised_in(excinfo.tb, impl_folder)):
        return FAILED, str(exc).strip() or "assertion failed"   # the test's own assertion (maybe from a hook)
    head = f"{type(exc).__name__}: {exc}".strip()
    if frame is not None:
        head += f"\n    at {rel(frame.filename)}:{frame.lineno} in {frame.name}" + (
            f": {frame.line.strip()}" if frame.line else "")
    line = frame.line if frame is not None else None
    named = code_error_hint(exc, line, _locals_in(excinfo.tb, impl_folder))
    if named:   # what went wrong on that line, first; then the error as Python said it
        return ERROR, f"{named}\n    {head}"
    if excinfo.typename == "Failed":
        return FAILED, str(exc).strip()
    return ERROR, head
