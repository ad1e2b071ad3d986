"""Authoritative grading: a judge that never runs student code, and a sandboxed worker that does.

``make grade`` (one submission or a folder of them) and Gradescope's ``run_autograder`` both come
here, to :func:`grade_submission`. The design, one concept per module:

``protocol``  the wire format: length-prefixed frames of plain data (no pickle, nothing executed);
              arrays up to ``SYNC_LIMIT`` (16 MiB) from the tests, and up to ``OWN_SYNC_LIMIT``
              (64 KiB) of the worker's own, are kept in step both ways; bigger ones travel as copies
``files``     a test's ``tmp_path``, mirrored into the worker as plain data (never shared)
``worker``    the only process where student code runs; answers requests, holds the objects
``proxy``     the judge's remote objects (``impl.nn.linear.Linear(...)`` becomes requests)
``launch``    the sandbox: bubblewrap namespaces and rlimits, or an unprivileged user, or none
``judge``     pytest with the unchanged tests, torch and the reference; deadlines from outside

A judge process grades one submission after another (it keeps torch and the test modules loaded);
:class:`JudgePool` keeps as many as ``--jobs`` asks for. Nothing a worker writes, prints, or exits
with reaches a score: the judge decides every pass and fail from the plain values it received.
"""
from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

from ...errors import UsageError
from ...impl import resolve_impl
from ...manifest import Assignment
from ...paths import ROOT, rel
from ...results import RunResult
from . import launch

__all__ = ["grade_submission", "JudgePool", "not_authoritative", "BUDGET_S", "MEM_LIMIT_MB"]

MEM_LIMIT_MB = launch.MEM_LIMIT_MB
BUDGET_S = float(os.environ.get("NNOTT_GRADE_BUDGET_S", "300"))
#: beyond the submission's budget, how long the judge may take before it is killed itself
JUDGE_MARGIN_S = 120.0
UNSAFE_NOTE = "NOT AUTHORITATIVE (--unsafe): "


def not_authoritative() -> str:
    """Why this machine cannot grade authoritatively ('' when it can)."""
    return launch.problem()


class Judge:
    """One judge process (``python -m grader.instructor.sandbox.judge``) and its two pipes."""

    def __init__(self) -> None:
        self.home = tempfile.mkdtemp(prefix="nnott-judge-")   # cwd: pytest and hypothesis write nothing in the course
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "NNOTT_GRADE_"))}
        env.update(PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", NO_COLOR="1")
        self.log: IO[bytes] = open(Path(self.home) / "judge.log", "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "grader.instructor.sandbox.judge"], cwd=self.home,
                                     env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     text=True, start_new_session=True)

    def grade(self, job: dict[str, Any], wall_s: float) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        result: list[str] = []

        def read() -> None:
            assert self.proc.stdout is not None
            result.append(self.proc.stdout.readline())
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(wall_s)
        if not result or not result[0]:
            self.close()
            tail = self.log_tail()
            raise RuntimeError(f"the judge did not answer within {wall_s:g}s" if reader.is_alive()
                               else f"the judge stopped: {tail}")
        data = json.loads(result[0])
        if not isinstance(data, dict):
            raise RuntimeError("the judge answered something that is not a result")
        return data

    def log_tail(self) -> str:
        try:
            return (Path(self.home) / "judge.log").read_text(encoding="utf-8", errors="replace").strip()[-500:]
        except OSError:
            return ""

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        import shutil
        import signal
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()
        self.log.close()
        shutil.rmtree(self.home, ignore_errors=True)


class JudgePool:
    """Idle judge processes, shared by the threads of a bulk run (one judge per thread at a time)."""

    def __init__(self) -> None:
        self.idle: list[Judge] = []
        self.lock = threading.Lock()
        atexit.register(self.close)

    def grade(self, job: dict[str, Any], wall_s: float) -> dict[str, Any]:
        with self.lock:
            judge = self.idle.pop() if self.idle else None
        if judge is None or not judge.alive:
            judge = Judge()
        try:
            result = judge.grade(job, wall_s)
        except BaseException:
            judge.close()
            raise
        with self.lock:
            self.idle.append(judge)
        return result

    def close(self) -> None:
        with self.lock:
            judges, self.idle = self.idle, []
        for j in judges:
            j.close()


POOL = JudgePool()


def grade_submission(assignment: Assignment, submission: str | Path, *, hidden: bool = True,
                     timeout: float | None = None, mem_mb: int = MEM_LIMIT_MB, budget_s: float | None = None,
                     unsafe: bool = False) -> RunResult:
    """Grade ``submission`` (a folder holding ``starter/``) on ``assignment``: the judge runs the tests,
    the student's code runs in a sandboxed worker. Refuses where no sandbox works, unless ``unsafe``."""
    pkg = resolve_impl(str(submission))
    if budget_s is None:   # the assignment's own (10's seven models need more), else the default
        budget_s = assignment.grade_budget_s or BUDGET_S
    why = not_authoritative()
    if why and not unsafe:
        raise UsageError(why)
    job = {"assignment": assignment.id, "package": str(pkg), "hidden": hidden, "timeout": timeout,
           "budget": budget_s, "mem_mb": mem_mb}
    try:
        data = POOL.grade(job, budget_s + JUDGE_MARGIN_S)
    except (RuntimeError, OSError, ValueError) as exc:
        raise RuntimeError(f"the judge failed on {rel(pkg)}: {exc}") from None
    if "error" in data:
        raise RuntimeError(f"the judge failed on {rel(pkg)}: {data['error']}")
    results = RunResult.from_dict(data)
    if why:
        results.problems.insert(0, UNSAFE_NOTE + why)
    return results
