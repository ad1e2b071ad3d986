"""Reports for the platforms that collect grades: GitHub Classroom and Gradescope.

Both are rendered from the grader's scored results (see :mod:`grader.scoring`)
and registered in :data:`grader.report.FORMATS`, so ``--format classroom`` and
``--format gradescope`` work wherever ``--format json`` does.

``classroom``
    The runner result that GitHub Classroom's grading reporter reads from a
    step output named ``result`` (base64 of this JSON)::

        {"version": 1, "status": "pass" | "fail" | "error", "max_score": 70,
         "tests": [{"name", "status", "score", "message", "test_code",
                    "filename", "line_no", "duration"}, ...]}

    One test entry per task, its ``score`` the points the task earned. The
    reporter adds up ``score`` over every entry of every runner and
    ``max_score`` over the runners.

``gradescope``
    Gradescope's ``results.json``: ``score`` and ``tests``, each test with
    ``name``, ``score``, ``max_score``, ``status``, ``output`` and
    ``visibility``. A task graded by public and hidden tests becomes two
    entries; the hidden one is ``after_published``, so students see it only
    once the instructor publishes the grades.
"""
from __future__ import annotations

import json
import math
from typing import Any, Iterable, Sequence

from .outcome import CRASH, ERROR, NO_TESTS, NOT_STARTED, PASSED, TIMEOUT, TestRecord
from .report import FORMATS, fmt_points
from .results import AssignmentResult, RunResult, TaskResult

#: Task states that mean the code under test could not be run to an answer.
_ERROR_STATES = {ERROR, TIMEOUT, CRASH, NO_TESTS}
_MESSAGE_LINES = 6


def _num(x: float) -> float | int:
    """Points as JSON likes them: ``10`` rather than ``10.0``, and no float noise."""
    x = round(float(x), 6)
    return int(x) if x.is_integer() else x


def _first_lines(text: str, n: int = _MESSAGE_LINES) -> str:
    lines = [ln.rstrip() for ln in text.strip().splitlines() if ln.strip()]
    return "\n".join(lines[:n] + (["..."] if len(lines) > n else []))


def _where(records: list[TestRecord]) -> tuple[str, int]:
    """File and line to point a student at: the first failing public test, else the first public test."""
    public = [r for r in records if not r.hidden]
    failing = [r for r in public if r.outcome != PASSED]
    picks = failing or public
    return (picks[0].file, int(picks[0].line)) if picks else ("", 0)


# ---------------------------------------------------------------- GitHub Classroom

def classroom_status(task: TaskResult) -> str:
    if task.state == PASSED:
        return "pass"
    return "error" if task.state in _ERROR_STATES else "fail"


def classroom_unit(points: Sequence[float]) -> float:
    """The points of one Classroom entry: the greatest common divisor of the tasks' points (in hundredths)."""
    cents = [round(p * 100) for p in points if p > 0]
    return (math.gcd(*cents) if cents else 100) / 100


def classroom_tests(assignment: AssignmentResult) -> list[dict[str, Any]]:
    """The Classroom test entries of one scored assignment.

    GitHub's grading reporter prints two totals that must tell one story: its notice sums the
    entries' ``score``, and its table scores a runner as (passing entries / entries) x max_score.
    Both agree only when every entry is worth the same and either passes with all of it or
    fails with none. So a task becomes ``points / unit`` entries of :func:`classroom_unit` points
    each, all passing when the task passed in full (as nbgrader gives a task its points only when
    all its tests pass). The partial credit ``make test`` shows stays in each entry's message and in
    the step summary (``--format markdown``).
    """
    unit = classroom_unit([t.points for t in assignment.tasks])
    out = []
    for t in assignment.tasks:
        counts = f"{fmt_points(t.earned)}/{fmt_points(t.points)} points, {t.passed}/{t.total} tests passed"
        message = counts if t.state == PASSED else f"{t.state.value}: {counts}\n{_first_lines(t.reason)}".rstrip()
        filename, line = _where(t.tests)
        parts = max(1, round(t.points / unit))
        for k in range(parts):
            out.append({
                "name": f"{t.id} {t.title}" + (f" (part {k + 1}/{parts})" if parts > 1 else ""),
                "status": classroom_status(t),
                "score": _num(t.points / parts if t.state == PASSED else 0),
                "message": message if k == 0 else f"see part 1 of task {t.id}",
                "test_code": f"make test A={assignment.assignment} T={t.id} V=1",
                "filename": filename,
                "line_no": line,
                "duration": round(sum(r.duration for r in t.tests), 3) if k == 0 else 0.0,
            })
    return out


def render_markdown(results: RunResult) -> str:
    """A per-task table for a CI step summary (``$GITHUB_STEP_SUMMARY``): what ``make test`` says, in Markdown."""
    out = []
    for a in results.assignments:
        out += [f"### Assignment {a.assignment} · {a.title}: {fmt_points(a.score)} / {fmt_points(a.max_score)}", "",
                "| task | title | state | tests | points | Classroom points |", "| --- | --- | --- | ---: | ---: | ---: |"]
        for t in a.tasks:
            classroom = t.points if t.state == PASSED else 0
            out.append(f"| {t.id} | {t.title} | {t.state.value} | {t.passed}/{t.total} | "
                       f"{fmt_points(t.earned)} / {fmt_points(t.points)} | {fmt_points(classroom)} |")
        full = sum(t.points for t in a.tasks if t.state == PASSED)
        out += ["", f"Classroom records {fmt_points(full)} / {fmt_points(a.max_score)}: a task counts there once all of "
                f"its tests pass. `make test A={a.assignment}` shares a task's points among its tests "
                f"({fmt_points(a.score)} here) and says what to fix.", ""]
    return "\n".join(out)


def classroom_result(results: RunResult) -> dict[str, Any]:
    """The runner result of every assignment in ``results`` (normally one per workflow step)."""
    tests = [e for a in results.assignments for e in classroom_tests(a)]
    max_score = sum(a.max_score for a in results.assignments)
    if results.problems or not tests:
        status = "error"
    elif all(e["status"] == "pass" for e in tests):
        status = "pass"
    else:
        status = "fail"
    return {"version": 1, "status": status, "max_score": _num(max_score), "tests": tests}


def render_classroom(results: RunResult) -> str:
    return json.dumps(classroom_result(results), indent=2)


def classroom_error(max_score: float, message: str) -> dict[str, Any]:
    """The runner result when the grader could not run at all: nothing earned, the reason shown."""
    return {"version": 1, "status": "error", "max_score": _num(max_score),
            "tests": [{"name": "grader", "status": "error", "score": 0,
                       "message": message, "test_code": "", "filename": "", "line_no": 0, "duration": 0}]}


# ---------------------------------------------------------------- Gradescope

def _gradescope_entry(a: AssignmentResult, t: TaskResult, records: list[TestRecord], share: float,
                      kind: str, split: bool) -> dict[str, Any]:
    passed = sum(r.outcome == PASSED for r in records)
    failing = [r for r in records if r.outcome != PASSED]
    if not failing:
        output = f"{passed}/{len(records)} {kind} tests passed."
    elif t.state == NOT_STARTED or all(r.outcome == NOT_STARTED for r in failing):
        output = f"{passed}/{len(records)} {kind} tests passed.\n{_first_lines(t.reason)}"
    else:
        first = failing[0]
        output = (f"{passed}/{len(records)} {kind} tests passed. First failure ({first.outcome.value}), "
                  f"{first.name}:\n{_first_lines(first.message)}")
    name = f"{t.id} {t.title}" + (f" ({kind} tests)" if split else "")
    return {
        "name": name,
        "number": t.id,
        "score": _num(share * passed),
        "max_score": _num(share * len(records)),
        "status": "passed" if not failing else "failed",
        "output": output + (f"\nRun locally: make test A={a.assignment} T={t.id} V=1" if kind == "public" else ""),
        "visibility": "visible" if kind == "public" else "after_published",
    }


def gradescope_tests(assignment: AssignmentResult) -> list[dict[str, Any]]:
    """Gradescope entries of one scored assignment: per task, public and (when graded) hidden."""
    out: list[dict[str, Any]] = []
    for t in assignment.tasks:
        recs = t.tests
        if not recs:
            out.append({"name": f"{t.id} {t.title}", "number": t.id, "score": 0,
                        "max_score": _num(t.points), "status": "failed",
                        "output": "no tests ran for this task", "visibility": "visible"})
            continue
        share = t.points / len(recs)
        public = [r for r in recs if not r.hidden]
        hidden = [r for r in recs if r.hidden]
        split = bool(public) and bool(hidden)
        for kind, group in (("public", public), ("hidden", hidden)):
            if group:
                out.append(_gradescope_entry(assignment, t, group, share, kind, split))
    return out


def gradescope_result(results: RunResult) -> dict[str, Any]:
    tests = [e for a in results.assignments for e in gradescope_tests(a)]
    score = sum(a.score for a in results.assignments)
    seconds = sum(r.duration for r in results.records())
    lines = [f"Assignment {a.assignment} · {a.title}: {fmt_points(a.score)} / {fmt_points(a.max_score)}"
             for a in results.assignments]
    lines.append("Graded with the hidden tests too; their results appear once grades are published."
                 if results.hidden else "Graded with the public tests only.")
    lines += [f"Problem with the tests: {p}" for p in results.problems]
    return {"score": _num(score), "execution_time": round(seconds, 3), "output": "\n".join(lines),
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}


def render_gradescope(results: RunResult) -> str:
    return json.dumps(gradescope_result(results), indent=2)


def register(formats: dict[str, Any] = FORMATS, names: Iterable[str] = ("classroom", "gradescope", "markdown")) -> None:
    table = {"classroom": render_classroom, "gradescope": render_gradescope, "markdown": render_markdown}
    for name in names:
        formats.setdefault(name, table[name])


register()
