"""Authoritative grading of one submission in child processes with time and memory limits.

The child runs ``python -m grader test`` on the submission and streams one
JSON line as each test starts and ends. When the child dies (a segfault,
``os._exit``, the memory limit), the test that was running is recorded as
``crash`` and a fresh child carries on with the tests not yet run. So a hang,
a crash or a runaway allocation costs only the task it happens in.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..impl import resolve_impl
from ..manifest import Assignment
from ..outcome import CRASH, TestRecord
from ..paths import ROOT, rel
from ..results import RunResult
from ..scoring import score

MEM_LIMIT_MB = int(os.environ.get("NNOTT_GRADE_MEM_MB", "6144"))
WALL_LIMIT_S = int(os.environ.get("NNOTT_GRADE_WALL_S", "1200"))


def _limits(mem_mb: int, cpu_s: int) -> Any:
    def apply() -> None:  # runs in the child before exec
        import resource
        os.setsid()
        resource.setrlimit(resource.RLIMIT_AS, (mem_mb * 2**20, mem_mb * 2**20))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 2**20, 256 * 2**20))
    return apply


def _read_stream(path: Path) -> tuple[dict[str, TestRecord], list[str]]:
    ended: dict[str, TestRecord] = {}
    started: list[str] = []
    if not path.is_file():
        return ended, started
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            ev = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by the crash
        if ev.get("event") == "start":
            started.append(ev["nodeid"])
        elif ev.get("event") == "end":
            ev.pop("event")
            ended[ev["nodeid"]] = TestRecord.from_dict(ev)
    return ended, started


def grade_submission(assignment: Assignment, submission: str | Path, *, hidden: bool = True,
                     timeout: float | None = None, mem_mb: int = MEM_LIMIT_MB,
                     wall_s: int = WALL_LIMIT_S) -> RunResult:
    """Grade ``submission`` (a folder holding ``starter/``) on ``assignment`` in sandboxed children."""
    pkg = resolve_impl(str(submission))
    records: dict[str, TestRecord] = {}
    problems: list[str] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NNOTT_GRADE_", "PYTEST_"))}
    env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", NO_COLOR="1")
    with tempfile.TemporaryDirectory(prefix="nnott-grade-") as tmp:
        for attempt in range(1000):
            stream = Path(tmp) / f"stream{attempt}.jsonl"
            cmd = [sys.executable, "-m", "grader", "test", assignment.id, "--impl", str(pkg),
                   "--format", "json", "--out", str(Path(tmp) / "out.json"), "--stream", str(stream)]
            cmd += ["--hidden"] if hidden else []
            cmd += ["--timeout", str(timeout)] if timeout else []
            for nodeid in records:
                cmd += ["--deselect", nodeid]
            try:
                proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=wall_s,
                                      preexec_fn=_limits(mem_mb, wall_s))
                died = proc.returncode not in (0, 1)
                detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
            except subprocess.TimeoutExpired:
                died, detail = True, [f"the whole run passed {wall_s}s"]
            ended, started = _read_stream(stream)
            records.update(ended)
            if not died:
                break
            running = [n for n in started if n not in ended]
            if not running:
                problems.append(f"{rel(pkg)}: the grading process stopped outside any test: {detail[0]}")
                break
            nodeid = running[-1]
            task = next((r.task for r in ended.values()), "?")
            records[nodeid] = TestRecord(nodeid, nodeid.split("::")[-1], _task_from_ids(nodeid, assignment, task),
                                         "/hidden/" in nodeid, CRASH,
                                         f"the process running this test died ({detail[0]}); "
                                         f"memory limit {mem_mb} MiB")
    return RunResult(rel(pkg), hidden, problems, [score(assignment, records.values(), rel(pkg))])


def _task_from_ids(nodeid: str, assignment: Assignment, fallback: str) -> str:
    """The task of a test that crashed before reporting: read its ``task`` marker from the test file."""
    import ast
    path = ROOT / nodeid.split("::")[0]
    func = nodeid.split("::")[-1].split("[")[0]
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return fallback

    def mark_of(decorators: list[ast.expr]) -> str | None:
        for d in decorators:
            if isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "task" and d.args:
                arg = d.args[0]
                if isinstance(arg, ast.Constant):
                    return str(arg.value)
        return None
    module_mark = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in node.targets):
            module_mark = mark_of([node.value] if isinstance(node.value, ast.Call) else list(getattr(node.value, "elts", [])))
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == func:
            return mark_of(node.decorator_list) or module_mark or fallback
    return module_mark or fallback
