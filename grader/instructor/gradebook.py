"""Bulk grading: ``make grade A=NN SUBMISSION=folder`` where the folder holds one subfolder per student.

Each subfolder is graded on its own with :func:`grader.instructor.sandbox.grade_submission` (public
and hidden tests, run by a judge process that never runs student code, against a sandboxed worker
that does; ``--jobs N`` keeps N judges busy). The result is a CSV gradebook with one row per
student (student, assignment, the points of each task, total, max, status, reason) and a short
table on the terminal. A subfolder that is missing its work (empty, no ``starter/`` package, a
broken link), cannot be read, or makes the grader itself fail gets a row with 0 points and the
reason; it never stops the run.
"""
from __future__ import annotations

import csv
import io
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import UsageError
from ..manifest import Assignment
from ..outcome import PASSED
from ..paths import rel
from ..report import fmt_points
from ..results import AssignmentResult, RunResult

GRADED, MISSING, EMPTY, UNREADABLE, ERROR = "graded", "missing", "empty", "unreadable", "error"


@dataclass
class Row:
    student: str
    assignment: str
    points: dict[str, float] = field(default_factory=dict)   # task id -> points earned
    total: float = 0.0
    max_score: float = 0.0
    status: str = GRADED
    reason: str = ""
    results: RunResult | None = None

    def as_csv(self, task_ids: list[str]) -> list[str]:
        return ([self.student, self.assignment] + [fmt_points(self.points.get(t, 0.0)) for t in task_ids]
                + [fmt_points(self.total), fmt_points(self.max_score), self.status, self.reason])


def is_single(path: Path) -> bool:
    """A folder that is itself one submission: it holds ``starter/__init__.py`` (or is the package)."""
    return (path / "starter" / "__init__.py").is_file() or (path / "__init__.py").is_file()


def is_batch(path: Path) -> bool:
    """A folder of submissions: not a submission itself, and holding at least one subfolder."""
    if not path.is_dir() or is_single(path):
        return False
    try:
        return any(e.is_dir() or e.is_symlink() for e in path.iterdir() if not e.name.startswith("."))
    except OSError:
        return False


def student_folders(folder: Path) -> list[Path]:
    """The subfolders of ``folder`` (and broken links, which become 'missing' rows), by name."""
    return sorted((e for e in folder.iterdir()
                   if not e.name.startswith(".") and (e.is_dir() or (e.is_symlink() and not e.exists()))),
                  key=lambda p: p.name)


def _zero(assignment: Assignment, student: str, status: str, reason: str) -> Row:
    return Row(student, assignment.id, {t.id: 0.0 for t in assignment.tasks}, 0.0, assignment.max_points,
               status, reason)


def _lost(result: AssignmentResult) -> str:
    parts = [f"{t.id} {t.state.value}" for t in result.tasks if t.state != PASSED]
    return "; ".join(parts)


def grade_one(assignment: Assignment, path: Path, grade: Callable[..., RunResult], *,
              hidden: bool = True, timeout: float | None = None) -> Row:
    """One student's row. Never raises: every failure becomes a 0-point row with its reason."""
    student = path.name
    if path.is_symlink() and not path.exists():
        return _zero(assignment, student, MISSING, f"missing: {path.name} is a link to {os.readlink(path)}, which is not there")
    try:
        entries = [e for e in path.iterdir() if e.name not in {".git", ".DS_Store"}]
    except OSError as exc:
        return _zero(assignment, student, UNREADABLE, f"unreadable: {exc.strerror or exc}")
    if not entries:
        return _zero(assignment, student, EMPTY, "empty: the submission folder holds nothing")
    if not is_single(path):
        return _zero(assignment, student, MISSING, "missing: no starter/ package (expected starter/__init__.py)")
    try:
        results = grade(assignment, path, hidden=hidden, timeout=timeout)
        result = results.assignments[0]
    except UsageError as exc:
        return _zero(assignment, student, ERROR, f"not graded: {exc}")
    except Exception as exc:  # noqa: BLE001 - one submission must never stop the run
        return _zero(assignment, student, ERROR, f"not graded: {type(exc).__name__}: {exc}")
    row = Row(student, assignment.id, {t.id: float(t.earned) for t in result.tasks},
              float(result.score), float(result.max_score), GRADED, _lost(result), results)
    if results.problems:
        row.reason = "; ".join([row.reason] + results.problems).strip("; ")
    return row


def grade_folder(assignment: Assignment, folder: Path, *, hidden: bool = True, timeout: float | None = None,
                 jobs: int = 1, grade: Callable[..., RunResult] | None = None,
                 roster: list[str] | None = None, progress: bool = True) -> list[Row]:
    """A row per subfolder of ``folder`` (and per roster name without one), in name order."""
    if grade is None:
        from .sandbox import grade_submission
        grade = grade_submission
    try:
        paths = student_folders(folder)
    except OSError as exc:
        raise UsageError(f"cannot read the submissions folder {folder}: {exc}") from None
    done = [0]

    def one(path: Path) -> Row:
        t0 = time.perf_counter()
        row = grade_one(assignment, path, grade, hidden=hidden, timeout=timeout)
        done[0] += 1
        if progress:
            print(f"  [{done[0]}/{len(paths)}] {row.student}: {fmt_points(row.total)}/{fmt_points(row.max_score)} "
                  f"{row.status}  ({time.perf_counter() - t0:.1f}s)", file=sys.stderr, flush=True)
        return row

    with ThreadPoolExecutor(max(1, jobs)) as pool:
        rows = list(pool.map(one, paths))
    have = {r.student for r in rows}
    for name in roster or []:
        if name and name not in have:
            rows.append(_zero(assignment, name, MISSING, "missing: no folder for this student"))
    return sorted(rows, key=lambda r: r.student)


def to_csv(assignment: Assignment, rows: list[Row]) -> str:
    ids = [t.id for t in assignment.tasks]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "assignment"] + ids + ["total", "max_score", "status", "reason"])
    for r in rows:
        w.writerow(r.as_csv(ids))
    return buf.getvalue()


def table(assignment: Assignment, rows: list[Row], csv_path: Path | None = None) -> str:
    ids = [t.id for t in assignment.tasks]
    sw = max([len("student")] + [len(r.student) for r in rows])
    head = f"  {'student':<{sw}}  " + "  ".join(f"{i:>6}" for i in ids) + f"  {'total':>13}  status"
    lines = [f"Assignment {assignment.id} · {assignment.title} · {len(rows)} submissions", "", head,
             "  " + "-" * (len(head) - 2)]
    for r in rows:
        cells = "  ".join(f"{fmt_points(r.points.get(i, 0.0)):>6}" for i in ids)
        total = f"{fmt_points(r.total)} / {fmt_points(r.max_score)}"
        note = r.status if r.status == GRADED else f"{r.status}: {r.reason.split(': ', 1)[-1]}"
        lines.append(f"  {r.student:<{sw}}  {cells}  {total:>13}  {note}")
    graded = [r for r in rows if r.status == GRADED]
    if graded:
        mean = sum(r.total for r in graded) / len(graded)
        lines += ["", f"  {len(graded)} graded, {len(rows) - len(graded)} not; mean of the graded "
                      f"{fmt_points(round(mean, 2))} / {fmt_points(assignment.max_points)}"]
    if csv_path is not None:
        lines.append(f"  gradebook: {csv_path}")
    return "\n".join(lines)


def to_json(assignment: Assignment, rows: list[Row]) -> str:
    return json.dumps({"assignment": assignment.id, "submissions": [
        {"student": r.student, "status": r.status, "reason": r.reason, "points": r.points, "total": r.total,
         "max_score": r.max_score, "results": r.results.to_dict() if r.results else None} for r in rows]}, indent=2)


def default_csv_path(folder: Path, assignment: Assignment) -> Path:
    return folder / f"gradebook-{assignment.id}.csv"


def run(assignment: Assignment, folder: Path, *, fmt: str = "table", out: str | None = None,
        csv_path: str | None = None, hidden: bool = True, timeout: float | None = None, jobs: int = 1,
        roster: str | None = None, unsafe: bool = False) -> int:
    """``grade`` on a folder of submissions: write the CSV, print (or write) the report."""
    if fmt not in ("table", "json", "csv"):
        raise UsageError(f"--format {fmt} grades one submission; a folder of submissions gives table, json or csv")
    from .sandbox import grade_submission, not_authoritative
    why = not_authoritative()
    if why and not unsafe:
        raise UsageError(why)
    if why:
        print(f"warning: NOT AUTHORITATIVE (--unsafe): {why}", file=sys.stderr, flush=True)
    names = None
    if roster:
        try:
            names = [ln.strip() for ln in Path(roster).read_text(encoding="utf-8").splitlines()
                     if ln.strip() and not ln.startswith("#")]
        except OSError as exc:
            raise UsageError(f"cannot read the roster {roster}: {exc}") from None
    paths = student_folders(folder)
    print(f"Grading {len(paths)} submissions of assignment {assignment.id} in {rel(folder)} "
          f"({'public and hidden' if hidden else 'public'} tests)...", file=sys.stderr, flush=True)
    def grade(a: Assignment, path: Path, **kw: Any) -> RunResult:
        return grade_submission(a, path, unsafe=unsafe, **kw)
    rows = grade_folder(assignment, folder, hidden=hidden, timeout=timeout, jobs=jobs, roster=names, grade=grade)
    target = Path(csv_path) if csv_path else default_csv_path(folder, assignment)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(to_csv(assignment, rows), encoding="utf-8")
        written: Path | None = target
    except OSError as exc:
        print(f"error: could not write the gradebook {target}: {exc}", file=sys.stderr)
        written = None
    text = {"table": lambda: table(assignment, rows, written), "json": lambda: to_json(assignment, rows),
            "csv": lambda: to_csv(assignment, rows).rstrip("\n")}[fmt]()
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0 if written is not None else 1   # every row, graded or not, is in the gradebook
