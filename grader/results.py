"""Scored results as types: a test's record, a task's result, an assignment's, a whole run's.

The grader passes these around; they become JSON only at the edge (``--format json``, the
stream between a grading child and its parent, the files ``make check`` reads back) through
:meth:`RunResult.to_dict` and :meth:`RunResult.from_dict`, whose field names are the JSON's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .outcome import State, TestRecord

__all__ = ["TaskResult", "AssignmentResult", "RunResult", "State", "TestRecord"]

_EPS = 1e-9


@dataclass
class TaskResult:
    id: str
    title: str
    points: float
    earned: float
    state: State
    passed: int
    total: int
    reason: str = ""
    tests: list[TestRecord] = field(default_factory=list)
    #: zero-point line: how the task fares on the student's own prerequisites (``uses_reference`` tasks)
    advisory: str = ""

    @property
    def ran(self) -> bool:
        return self.state is not State.NOT_RUN

    @property
    def full(self) -> bool:
        return self.earned >= self.points - _EPS

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "points": self.points, "earned": self.earned,
                "state": self.state.value, "passed": self.passed, "total": self.total, "reason": self.reason,
                "advisory": self.advisory, "tests": [r.to_dict() for r in self.tests]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TaskResult":
        return cls(d["id"], d["title"], float(d["points"]), float(d["earned"]), State(d["state"]),
                   int(d["passed"]), int(d["total"]), d.get("reason", ""),
                   [TestRecord.from_dict(r) for r in d.get("tests", [])], d.get("advisory", ""))


@dataclass
class AssignmentResult:
    assignment: str
    slug: str
    title: str
    impl: str
    score: float
    max_score: float
    tasks: list[TaskResult] = field(default_factory=list)
    #: ``{reason: count}`` of tests skipped here (the CuPy case on a machine without a GPU); they cost no points
    skipped: dict[str, int] = field(default_factory=dict)

    def task(self, task_id: str) -> TaskResult:
        for t in self.tasks:
            if t.id == task_id:
                return t
        raise KeyError(task_id)

    @property
    def ran_max(self) -> float:
        """The points of the tasks that ran (all of them unless the run was limited with ``T=``)."""
        return sum(t.points for t in self.tasks if t.ran)

    @property
    def full(self) -> bool:
        return self.score >= self.max_score - _EPS

    def to_dict(self) -> dict[str, Any]:
        return {"assignment": self.assignment, "slug": self.slug, "title": self.title, "impl": self.impl,
                "score": self.score, "max_score": self.max_score, "tasks": [t.to_dict() for t in self.tasks],
                "skipped": dict(self.skipped)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "AssignmentResult":
        return cls(d["assignment"], d["slug"], d["title"], d.get("impl", ""), float(d["score"]),
                   float(d["max_score"]), [TaskResult.from_dict(t) for t in d.get("tasks", [])],
                   {str(k): int(v) for k, v in d.get("skipped", {}).items()})


@dataclass
class RunResult:
    impl: str
    hidden: bool
    problems: list[str] = field(default_factory=list)
    assignments: list[AssignmentResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"impl": self.impl, "hidden": self.hidden, "problems": list(self.problems),
                "assignments": [a.to_dict() for a in self.assignments]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunResult":
        return cls(d.get("impl", ""), bool(d.get("hidden", False)), list(d.get("problems", [])),
                   [AssignmentResult.from_dict(a) for a in d.get("assignments", [])])

    def records(self) -> list[TestRecord]:
        return [r for a in self.assignments for t in a.tasks for r in t.tests]
