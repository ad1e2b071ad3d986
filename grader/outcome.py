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

from .diagnose import shape_error_hint
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


_SHAPE = r"\(([\d, ]*)\)"
_INPLACE = re.compile(rf"non-broadcastable output operand with shape {_SHAPE} doesn't match the broadcast shape {_SHAPE}")
_MATMUL = re.compile(r"matmul: Input operand \d has a mismatch in its core dimension")
_BROADCAST = re.compile(r"operands could not be broadcast together")


def _shape(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.replace(" ", "").split(",") if p)


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


def error_hint(exc: BaseException) -> str:
    """A hint for the NumPy shape errors students meet most (see also :func:`grader.diagnose.shape_error_hint`)."""
    text = str(exc)
    m = _INPLACE.search(text)
    if m:
        have, got = _shape(m.group(1)), _shape(m.group(2))
        if len(have) >= 2 and got == have[:-2] + have[-2:][::-1]:
            return (f"the array added into the {have} buffer has shape {got}: it looks transposed "
                    f"(check the order of the matrix product).")
        return f"an in-place update (+=) mixes a {have} buffer with a {got} result: the shapes must match."
    if _MATMUL.search(text):
        return "the inner sizes of a matrix product disagree: print both shapes; one operand may need a transpose."
    if _BROADCAST.search(text):
        shapes = [_shape(g) for g in re.findall(r"\(([\d,]*)\)", text)]
        for a in shapes:
            for b in shapes:
                if len(a) >= 2 and a != b and b == a[:-2] + a[-2:][::-1]:
                    return f"shapes {a} and {b} meet here: one of them looks transposed (check the order of the matrix product)."
        return "two shapes do not broadcast: print them and line them up from the right."
    return ""


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
    if isinstance(exc, AssertionError) and frame is None:
        return FAILED, str(exc).strip() or "assertion failed"
    head = f"{type(exc).__name__}: {exc}".strip()
    if frame is not None:
        head += f"\n    at {rel(frame.filename)}:{frame.lineno} in {frame.name}" + (
            f": {frame.line.strip()}" if frame.line else "")
    line = frame.line if frame is not None else None
    named = shape_error_hint(exc, line, _locals_in(excinfo.tb, impl_folder))
    if named:   # the operation and axis are known: say that first, then the error as Python said it
        return ERROR, f"{named}\n    {head}"
    hint = error_hint(exc)
    if hint:
        head += f"\n    hint: {hint}"
    elif excinfo.typename == "Failed":
        return FAILED, str(exc).strip()
    return ERROR, head
