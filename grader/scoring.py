"""Points: a task's points are shared equally among its tests; the manifest is the only table."""
from __future__ import annotations

import re
from typing import Any, Iterable

from .manifest import Assignment
from .outcome import NOT_STARTED, PASSED, SEVERITY, SKIPPED, TestRecord


def task_state(outcomes: list[str]) -> str:
    """The worst outcome among a task's tests; ``passed`` only when every test passed."""
    if not outcomes:
        return "no tests"
    if all(o == PASSED for o in outcomes):
        return PASSED
    for state in SEVERITY:
        if state in outcomes:
            return state
    return NOT_STARTED


def _informative(r: TestRecord) -> tuple[bool, bool, bool]:
    """Sort key: the failure a student learns most from first (one that ran, with a hint, public)."""
    return (r.message.startswith("not run:"), "hint:" not in r.message, r.hidden)


def _not_started_reason(task: Any, failing: list[TestRecord], impl_label: str) -> str:
    """"fill in X in starter/m.py", noting another task whose stub its tests reach first."""
    where = ", ".join(c.where(impl_label or "starter") for c in task.covers)
    others = sorted({m.group(1) for r in failing if (m := re.match(r"Task (\d\d\.\d+):", r.message))} - {task.id})
    also = f"; its tests also need task {', '.join(others)}" if others else ""
    return f"not started: fill in {where}{also}"


def score(assignment: Assignment, records: Iterable[TestRecord], impl_label: str = "") -> dict[str, Any]:
    """The result of one assignment: tasks with state and points earned, and the total."""
    by_task: dict[str, list[TestRecord]] = {t.id: [] for t in assignment.tasks}
    for r in records:
        if r.task in by_task and r.outcome != SKIPPED:
            by_task[r.task].append(r)
    tasks = []
    for t in assignment.tasks:
        recs = by_task[t.id]
        share = t.points / len(recs) if recs else 0.0
        earned = round(sum(share for r in recs if r.outcome == PASSED), 6)
        state = task_state([r.outcome for r in recs])
        failing = sorted((r for r in recs if r.outcome != PASSED), key=_informative)
        first = failing[0] if failing else None
        reason = f"{first.name}: {first.message}" if first else ""
        if state == NOT_STARTED:
            reason = _not_started_reason(t, failing, impl_label)
        tasks.append({
            "id": t.id, "title": t.title, "points": t.points, "earned": earned, "state": state,
            "passed": sum(r.outcome == PASSED for r in recs), "total": len(recs),
            "reason": reason,
            "tests": [r.to_dict() for r in recs],
        })
    earned_total = round(sum(t["earned"] for t in tasks), 6)
    return {"assignment": assignment.id, "slug": assignment.slug, "title": assignment.title, "impl": impl_label,
            "score": earned_total, "max_score": assignment.max_points, "tasks": tasks}
