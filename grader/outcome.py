"""What happened in one test, in a student's words: passed, failed, not started, error, timeout.

``not started``: the stub still raises ``NotImplementedError``.
``failed``: an assertion of the test (a wrong answer).
``error``: any other exception, shown by its last frame in the code under test.
``timeout``: the per-test time limit ran out (pytest-timeout).
``crash``: the process running the test died (only under ``grade``).
"""
from __future__ import annotations

import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .paths import rel

PASSED, FAILED, NOT_STARTED, ERROR, TIMEOUT, CRASH, SKIPPED = (
    "passed", "failed", "not started", "error", "timeout", "crash", "skipped")
#: Worst first: a task's state is the worst state among its tests (passed only if all passed).
SEVERITY = (TIMEOUT, CRASH, ERROR, FAILED, NOT_STARTED, PASSED)


class TaskTimedOut(Exception):
    """Raised instead of running a test whose task already timed out once."""


@dataclass
class TestRecord:
    nodeid: str
    name: str
    task: str
    hidden: bool
    outcome: str
    message: str = ""
    duration: float = 0.0
    file: str = ""
    line: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def classify(excinfo: Any, impl_folder: Path | None) -> tuple[str, str]:
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
    if isinstance(exc, AssertionError) and frame is None:
        return FAILED, str(exc).strip() or "assertion failed"
    head = f"{type(exc).__name__}: {exc}".strip()
    if frame is not None:
        head += f"\n    at {rel(frame.filename)}:{frame.lineno} in {frame.name}" + (
            f": {frame.line.strip()}" if frame.line else "")
    elif excinfo.typename == "Failed":
        return FAILED, str(exc).strip()
    return ERROR, head
