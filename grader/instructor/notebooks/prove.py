"""Proving the course with nbgrader's own command line (``make nbgrader-check``), offline, with its own HOME.

In a scratch copy of the course: ``generate_assignment``; the release gives nothing away; three
submissions per assignment (the source notebook, the untouched release, the release with only task
1 solved) go through ``autograde``, ``generate_feedback`` and ``export``, and the grades must be
full marks, zero and exactly task 1's points, in the CSV and in every graded cell.
"""
from __future__ import annotations

import copy
import csv
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterable

from ... import manifest
from ...manifest import Assignment, Task
from ...paths import ROOT, rel
from ..strip import BEGIN, END
from .cells import cell_source, slug_id
from .course import COURSE, COURSE_ID, grader_support, stale, write
from .secret import feedback_leaks, leaks, secret_lines

HOME = ROOT / ".nbgrader-home"


STUDENTS = {"full": "full-marks", "untouched": "untouched", "first": "first-task-only"}


def _solve_first_task(release: dict[str, Any], source: dict[str, Any], task: Task) -> dict[str, Any]:
    """The release with the solution cells of ``task`` (only) filled in from the source notebook."""
    out = copy.deepcopy(release)
    prefix = f"task_{slug_id(task)}_code"
    by_id = {c["metadata"]["nbgrader"]["grade_id"]: c for c in source["cells"]
             if c.get("metadata", {}).get("nbgrader", {}).get("grade_id", "").startswith(prefix)}
    for c in out["cells"]:
        gid = c.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if gid in by_id:
            c["source"] = "\n".join(ln for ln in cell_source(by_id[gid]).split("\n") if not (BEGIN.match(ln) or END.match(ln)))
    return out


def _run(cmd: list[str], cwd: Path, env: dict[str, str], log: list[str],
         timeout: int = 1800) -> subprocess.CompletedProcess[str]:
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        proc = subprocess.CompletedProcess(cmd, 124, str(exc.stdout or ""), f"timed out after {timeout}s")
    shown = " ".join(cmd[2:] if cmd[0] == sys.executable else [Path(cmd[0]).name] + cmd[1:])
    log.append(f"{shown} ({time.perf_counter() - t0:.1f}s, exit {proc.returncode})")
    return proc


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON", "PYTHONPATH"))}
    bindir = str(Path(sys.executable).parent)
    env.update({"HOME": str(home), "JUPYTER_PLATFORM_DIRS": "1", "PYTHONDONTWRITEBYTECODE": "1",
                "PATH": bindir + os.pathsep + env.get("PATH", ""), "NO_COLOR": "1",
                "XDG_DATA_HOME": str(home / ".local" / "share"), "XDG_CONFIG_HOME": str(home / ".config"),
                "XDG_RUNTIME_DIR": str(home / ".runtime"), "XDG_CACHE_HOME": str(home / ".cache"),
                "MPLBACKEND": "Agg"})
    return env


def _nbgrader() -> list[str]:
    exe = Path(sys.executable).parent / "nbgrader"
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "nbgrader"]


def _tail(proc: subprocess.CompletedProcess[str], n: int = 12) -> str:
    text = (proc.stderr or "") + (proc.stdout or "")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return "\n".join("    " + ln for ln in lines[-n:])


def nbgrader_check(course: Path = COURSE, home: Path = HOME, assignments: Iterable[Assignment] | None = None,
                   fresh: bool = False) -> tuple[list[str], str]:
    """Prove the generated course with nbgrader itself; returns ``(problems, summary)``.

    ``course`` must be what ``make notebooks`` writes (a stale folder is a problem); with
    ``fresh=True`` the course is generated straight into the scratch folder instead.
    In a scratch copy of ``course`` under ``home`` (used as ``HOME``, offline):
    ``nbgrader generate_assignment --force``; the release must hold no solution
    line, no hidden test line and no marker; three submissions per assignment
    (the source notebook, the untouched release, the release with only task 1
    solved) go through ``nbgrader autograde``, ``generate_feedback`` and
    ``export``, and the exported CSV and every graded cell must show full marks,
    zero and exactly task 1's points.
    """
    assignments = list(manifest.all_assignments() if assignments is None else assignments)
    if importlib.util.find_spec("nbgrader") is None:
        return ["nbgrader is not installed: run `make nbgrader-check` (it installs the instructor tools)"], ""
    problems = [] if fresh else stale(course, assignments)
    if problems:
        return problems, "the course folder is not what `make notebooks` writes"
    home = home.resolve()
    if home.exists():
        shutil.rmtree(home)
    work = home / "course"
    if fresh:
        write(work, assignments)
    else:
        shutil.copytree(course, work, ignore=shutil.ignore_patterns(
            "gradebook.db", "release", "submitted", "autograded", "feedback", "*.csv", "__pycache__"))
    env = _env(home)
    log: list[str] = []
    proc = _run([sys.executable, "-m", "ipykernel", "install", "--user", "--name", "python3",
                 "--display-name", "Python 3"], work, env, log)
    if proc.returncode:
        return [f"could not install the python3 kernel spec into {rel(home)}:\n{_tail(proc)}"], ""
    nbg = _nbgrader()
    expected: dict[tuple[str, str], float] = {}
    per_cell: dict[tuple[str, str], dict[str, float]] = {}
    for a in assignments:
        nbname = f"{a.slug}.ipynb"
        proc = _run(nbg + ["generate_assignment", a.slug, "--force"], work, env, log)
        release_path = work / "release" / a.slug / nbname
        if proc.returncode or not release_path.is_file():
            problems.append(f"{a.slug}: nbgrader generate_assignment failed:\n{_tail(proc)}")
            continue
        source = json.loads((work / "source" / a.slug / nbname).read_text(encoding="utf-8"))
        release = json.loads(release_path.read_text(encoding="utf-8"))
        problems += [f"{a.slug}/release: {p}" for p in leaks(a, release)]
        shipped = {q.relative_to(release_path.parent).as_posix() for q in release_path.parent.rglob("*") if q.is_file()}
        extra = sorted(shipped - {nbname} - set(grader_support()))
        if extra:
            problems.append(f"{a.slug}/release: holds files the course does not ship: {', '.join(extra[:5])}")
        first = a.tasks[0]
        nbs = {STUDENTS["full"]: source, STUDENTS["untouched"]: release,
               STUDENTS["first"]: _solve_first_task(release, source, first)}
        for student, nb in nbs.items():
            dest = work / "submitted" / student / a.slug
            shutil.copytree(work / "release" / a.slug, dest, dirs_exist_ok=True)
            (dest / nbname).write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")
        cells = {f"task_{slug_id(t)}_checks": t.points for t in a.tasks}
        expected[(a.slug, STUDENTS["full"])] = a.max_points
        expected[(a.slug, STUDENTS["untouched"])] = 0.0
        expected[(a.slug, STUDENTS["first"])] = first.points
        per_cell[(a.slug, STUDENTS["full"])] = dict(cells)
        per_cell[(a.slug, STUDENTS["untouched"])] = {k: 0.0 for k in cells}
        per_cell[(a.slug, STUDENTS["first"])] = {k: (v if k == f"task_{slug_id(first)}_checks" else 0.0)
                                                for k, v in cells.items()}
        proc = _run(nbg + ["autograde", a.slug, "--force"], work, env, log, timeout=3600)
        if proc.returncode:
            problems.append(f"{a.slug}: nbgrader autograde failed:\n{_tail(proc)}")
            continue
        proc = _run(nbg + ["generate_feedback", a.slug, "--force"], work, env, log)
        if proc.returncode:
            problems.append(f"{a.slug}: nbgrader generate_feedback failed:\n{_tail(proc)}")
        hidden_lines = {k: v for k, v in secret_lines(a).items() if "/hidden/" in v}
        for student in nbs:
            fb = work / "feedback" / student / a.slug / nbname.replace(".ipynb", ".html")
            if not fb.is_file():
                problems.append(f"{a.slug}: no feedback for {student} ({rel(fb)})")
                continue
            problems += [f"{a.slug}: the feedback of {student} {p}" for p in feedback_leaks(fb, hidden_lines)]
        problems += _stderr_in_graded_cells(work / "autograded" / STUDENTS["full"] / a.slug / nbname, a.slug)
    csv_path = work / "grades.csv"
    proc = _run(nbg + ["export", f"--to={csv_path}"], work, env, log)
    if proc.returncode or not csv_path.is_file():
        problems.append(f"nbgrader export failed:\n{_tail(proc)}")
        return problems, "; ".join(log)
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    got = {(r["assignment"], r["student_id"]): r for r in rows}
    lines = []
    for (slug, student), want in expected.items():
        r = got.get((slug, student))
        if r is None:
            problems.append(f"grades.csv has no row for {student} on {slug}")
            continue
        score, max_score = float(r["score"]), float(r["max_score"])
        a = next(x for x in assignments if x.slug == slug)
        if abs(score - want) > 1e-6 or abs(max_score - a.max_points) > 1e-6:
            problems.append(f"grades.csv: {student} on {slug} scored {score:g}/{max_score:g}, "
                            f"expected {want:g}/{a.max_points:g}")
        lines.append(f"{slug} {student} {score:g}/{max_score:g}")
    problems += _cell_scores(work, per_cell)
    extra = sorted(str(k) for k in got if k not in expected)
    if extra:
        problems.append(f"grades.csv has unexpected rows: {extra[:4]}")
    spent: dict[str, float] = {}
    for entry in log:
        m = re.match(r"(\S+) (\S+).* \(([\d.]+)s, exit", entry)
        if m:
            key = m.group(2) if m.group(1) == "nbgrader" else "kernel spec"
            spent[key] = spent.get(key, 0.0) + float(m.group(3))
    timing = ", ".join(f"{k} {v:.0f}s" for k, v in spent.items())
    summary = (f"{len(assignments)} assignment(s) through generate_assignment, autograde (3 submissions each), "
               f"generate_feedback and export [{timing}]; grades.csv: " + ", ".join(lines))
    return problems, summary


def _stderr_in_graded_cells(path: Path, slug: str) -> list[str]:
    if not path.is_file():
        return [f"{slug}: no autograded notebook {rel(path)}"]
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for c in nb["cells"]:
        meta = c.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and any(o.get("output_type") == "stream" and o.get("name") == "stderr"
                                     for o in c.get("outputs", [])):
            out.append(f"{slug}: graded cell {meta.get('grade_id')} wrote to stderr (nbgrader gives it 0)")
    return out


def _cell_scores(work: Path, expected: dict[tuple[str, str], dict[str, float]]) -> list[str]:
    from nbgrader.api import Gradebook, MissingEntry  # type: ignore[import-untyped]
    problems = []
    db = f"sqlite:///{work / 'gradebook.db'}"
    with Gradebook(db, COURSE_ID) as gb:
        for (slug, student), cells in expected.items():
            for gid, want in cells.items():
                try:
                    grade = gb.find_grade(gid, slug, slug, student)
                except MissingEntry:
                    problems.append(f"gradebook: no grade of cell {gid} for {student} on {slug}")
                    continue
                score = grade.auto_score if grade.manual_score is None else grade.manual_score
                if score is None or abs(float(score) - want) > 1e-6:
                    problems.append(f"gradebook: cell {gid} of {student} on {slug} got {score}, expected {want:g}")
    return problems
