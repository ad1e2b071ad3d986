"""Rendering scored results: the terminal table and the grader's own JSON.

Other formats (GitHub Classroom, Gradescope, CSV) register themselves in
:data:`FORMATS` from their own modules.
"""
from __future__ import annotations

import json
import os
import re
import sys
import textwrap
from typing import Callable

from .results import AssignmentResult, RunResult, TaskResult

Renderer = Callable[[RunResult], str]

_COLOURS = {"passed": "32", "failed": "31", "error": "31", "timeout": "35", "crash": "35",
            "not started": "33", "no tests": "31", "not run": "90"}


def _use_colour() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _paint(text: str, state: str, colour: bool) -> str:
    code = _COLOURS.get(state)
    return f"\033[{code}m{text}\033[0m" if colour and code else text


def fmt_points(x: float) -> str:
    return f"{x:g}" if float(x).is_integer() else f"{x:.2f}"


_PYTHON_ERROR = re.compile(r"[A-Za-z_][\w.]*(?:Error|Exception): ")   # the error as Python said it, after the hint


def _reason(task: TaskResult, width: int = 110) -> list[str]:
    """The task's reason: its first line and up to three hint/where lines, wrapped (never cut) at ``width``."""
    lines = [ln.rstrip() for ln in task.reason.splitlines() if ln.strip()]
    keep = lines[:1] + [ln.strip() for ln in lines[1:] if ln.strip().startswith(("hint:", "at ", "worst at"))
                        or _PYTHON_ERROR.match(ln.strip())][:3]
    out: list[str] = []
    for i, ln in enumerate(keep):
        wrapped = textwrap.wrap(ln, width, break_long_words=False, break_on_hyphens=False) or [ln]
        out.append(wrapped[0])
        out += ["  " + w for w in wrapped[1:]] if i else wrapped[1:]
    return out


def table(result: AssignmentResult, colour: bool | None = None) -> str:
    """One row per task (id, title, state, points), a total, and one reason per task that lost points."""
    colour = _use_colour() if colour is None else colour
    tasks = result.tasks
    tw = max([len("title")] + [len(t.title) for t in tasks])
    head = f"Assignment {result.assignment} · {result.title} · {result.impl}"
    lines = [head, ""]
    lines.append(f"  {'task':<5} {'title':<{tw}}  {'state':<11}  {'tests':>7}  {'points':>13}")
    lines.append("  " + "-" * (5 + tw + 11 + 7 + 13 + 8))
    for t in tasks:
        pts = f"{fmt_points(t.earned)} / {fmt_points(t.points)}" if t.ran else "-"
        tests = f"{t.passed}/{t.total}" if t.ran else "-"
        state = _paint(f"{t.state.value:<11}", t.state.value, colour)
        lines.append(f"  {t.id:<5} {t.title:<{tw}}  {state}  {tests:>7}  {pts:>13}")
    lines.append("  " + "-" * (5 + tw + 11 + 7 + 13 + 8))
    total = f"{fmt_points(result.score)} / {fmt_points(result.max_score)}"
    label = "total" if all(t.ran for t in tasks) else "total of the tasks run"
    lines.append(f"  {'':<5} {label:<{tw}}  {'':<11}  {'':>7}  {total:>13}")
    lost = [t for t in tasks if t.ran and t.state.value != "passed"]
    if lost:
        lines += ["", "What to look at:"]
        for t in lost:
            reason = _reason(t)
            if not reason:
                continue
            lines.append(f"  {t.id}  {reason[0]}")
            lines += [f"        {ln}" for ln in reason[1:]]
    for why, n in sorted(result.skipped.items()):
        lines.append(f"  skipped, no points lost: {n} test{'s' if n > 1 else ''} ({why})")
    advisory = [t for t in tasks if t.ran and t.advisory]
    if advisory:
        lines += ["", "On your own layers (advisory, no points):"]
        for t in advisory:
            wrapped = textwrap.wrap(t.advisory, 110, break_long_words=False) or [""]
            lines.append(f"  {t.id}  {wrapped[0]}")
            lines += [f"        {w}" for w in wrapped[1:]]
    return "\n".join(lines)


def render_json(results: RunResult) -> str:
    return json.dumps(results.to_dict(), indent=2)


def render_table(results: RunResult) -> str:
    parts = [table(r) for r in results.assignments]
    if results.problems:
        parts.append("Problems with the tests themselves:\n" + "\n".join(f"  {p}" for p in results.problems))
    return "\n\n".join(parts)


FORMATS: dict[str, Renderer] = {"table": render_table, "json": render_json}
