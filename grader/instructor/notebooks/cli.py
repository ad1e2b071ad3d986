"""Command line: ``python -m grader notebooks`` and ``python -m grader nbgrader-check``."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ... import manifest
from ...paths import rel
from .course import COURSE, stale, write
from .prove import HOME, nbgrader_check


def _cmd_notebooks(ns: Any) -> int:
    course = Path(ns.out) if ns.out else COURSE
    assignments = [manifest.resolve(x) for x in ns.assignment] or None
    if ns.check:
        problems = stale(course, assignments)
        print("\n".join(problems) or f"{rel(course)} is up to date.")
        return 0 if not problems else 1
    changed = write(course, assignments)
    print("\n".join(f"  wrote {c}" for c in changed) or f"{rel(course)} was already up to date.")
    return 0


def _cmd_nbgrader_check(ns: Any) -> int:
    t0 = time.perf_counter()
    assignments = [manifest.resolve(x) for x in ns.assignment] or None
    problems, summary = nbgrader_check(Path(ns.course) if ns.course else COURSE, HOME, assignments)
    print(f"[{'ok  ' if not problems else 'FAIL'}] nbgrader: {summary}  ({time.perf_counter() - t0:.1f}s)")
    for p in problems:
        print(f"         {p}")
    return 0 if not problems else 1


def register(sub: Any) -> None:
    """Add ``notebooks`` and ``nbgrader-check`` to the instructor's command line."""
    n = sub.add_parser("notebooks", help="generate the nbgrader course folder dist/nbgrader (instructor)")
    n.add_argument("assignment", nargs="*", help="only these assignments (default: all)")
    n.add_argument("--out", default=None, help="the course folder (default: dist/nbgrader)")
    n.add_argument("--check", action="store_true", help="only report whether the course folder is stale")
    n.set_defaults(func=_cmd_notebooks)

    c = sub.add_parser("nbgrader-check", help="prove the nbgrader course with nbgrader's own CLI (instructor)")
    c.add_argument("assignment", nargs="*", help="only these assignments (default: all)")
    c.add_argument("--course", default=None, help="the course folder (default: dist/nbgrader)")
    c.set_defaults(func=_cmd_nbgrader_check)
