"""Points: a task's points are shared equally among its tests; the manifest is the only table."""
from __future__ import annotations

import re
from typing import Iterable

from .manifest import Assignment, Task
from .outcome import NO_TESTS, NOT_RUN, NOT_STARTED, PASSED, SEVERITY, SKIPPED, State, TestRecord, says_what_is_wrong
from .results import AssignmentResult, TaskResult


def task_state(outcomes: list[State]) -> State:
    """The worst outcome among a task's tests; ``passed`` only when every test passed."""
    if not outcomes:
        return NO_TESTS
    if all(o == PASSED for o in outcomes):
        return PASSED
    for state in SEVERITY:
        if state in outcomes:
            return state
    return NOT_STARTED


def _informative(r: TestRecord) -> tuple[bool, bool, bool, bool]:
    """Sort key: the failure a student learns most from first: one that ran, whose first line says what is
    wrong (not only "does not match"), with a hint, public."""
    first = (r.message.splitlines() or [""])[0]
    return (r.message.startswith("not run:"), not says_what_is_wrong(first, r.outcome),
            "hint:" not in r.message, r.hidden)


def not_started_reason(task: Task, failing: list[TestRecord], impl_label: str) -> str:
    """"fill in X, Y (starter/nn/m.py)", noting another task whose stub its tests reach first."""
    label = (impl_label or "starter").rstrip("/")
    by_file: dict[str, list[str]] = {}
    for c in task.covers:
        by_file.setdefault(c.path, []).append(c.qualname)
    where = "; ".join(f"{', '.join(names)} ({label}/{path})" for path, names in by_file.items())
    others = sorted({m.group(1) for r in failing if (m := re.match(r"Task (\d\d\.\d+):", r.message))} - {task.id})
    also = f"; its tests also need task {', '.join(others)}" if others else ""
    return f"not started: fill in {where}{also}"


def score(assignment: Assignment, records: Iterable[TestRecord], impl_label: str = "",
          only: Iterable[str] = ()) -> AssignmentResult:
    """The result of one assignment: tasks with state and points earned, and the total.

    ``only``: the tasks this run was limited to (``T=03.2``); the others read "not run" and
    earn nothing, and the total counts only what ran.
    """
    chosen = set(only)
    by_task: dict[str, list[TestRecord]] = {t.id: [] for t in assignment.tasks}
    skipped: dict[str, int] = {}
    for r in records:
        if r.task in by_task and r.outcome == SKIPPED:
            reason = (r.message.splitlines() or ["skipped"])[0].removeprefix("Skipped: ")
            skipped[reason] = skipped.get(reason, 0) + 1
        elif r.task in by_task:
            by_task[r.task].append(r)
    tasks = []
    for t in assignment.tasks:
        if chosen and t.id not in chosen:
            tasks.append(TaskResult(t.id, t.title, t.points, 0.0, NOT_RUN, 0, 0, "not run: left out with T="))
            continue
        recs = by_task[t.id]
        share = t.points / len(recs) if recs else 0.0
        earned = round(sum(share for r in recs if r.outcome == PASSED), 6)
        state = task_state([r.outcome for r in recs])
        failing = sorted((r for r in recs if r.outcome != PASSED), key=_informative)
        first = failing[0] if failing else None
        reason = f"{first.name}: {first.message}" if first else ""
        if state == NOT_STARTED:
            reason = not_started_reason(t, failing, impl_label)
        tasks.append(TaskResult(t.id, t.title, t.points, earned, state,
                                sum(r.outcome == PASSED for r in recs), len(recs), reason, recs))
    earned_total = round(sum(t.earned for t in tasks), 6)
    max_score = sum(t.points for t in tasks if t.ran) if chosen else assignment.max_points
    return AssignmentResult(assignment.id, assignment.slug, assignment.title, impl_label, earned_total,
                            max_score, tasks, skipped)
