"""Instructor commands, added to ``python -m grader`` when this package is present."""
from __future__ import annotations

import argparse
from typing import Any

from .. import manifest
from ..cli import EXIT_FULL, EXIT_SHORT, exit_status
from ..report import FORMATS


def cmd_starter(ns: argparse.Namespace) -> int:
    from .strip import stale, write
    if ns.check:
        problems = stale()
        for p in problems:
            print(f"  {p}")
        print("starter/ is in sync with reference/." if not problems else
              "starter/ is out of date: run `make starter`.")
        return EXIT_FULL if not problems else EXIT_SHORT
    changed = write(force=ns.force)
    print("\n".join(f"  wrote {c.split(' ')[0]}" for c in changed) or "starter/ was already up to date.")
    return EXIT_FULL


def cmd_handouts(ns: argparse.Namespace) -> int:
    from .handouts import stale, write
    if ns.check:
        problems = stale()
        print("\n".join(problems) or "every handout's task table is up to date.")
        return EXIT_FULL if not problems else EXIT_SHORT
    print("\n".join(f"  wrote {p}" for p in write()) or "every handout's task table was already up to date.")
    return EXIT_FULL


def cmd_grade(ns: argparse.Namespace) -> int:
    from .sandbox import grade_submission
    assignment = manifest.resolve(ns.assignment)
    results = grade_submission(assignment, ns.submission, hidden=not ns.public_only, timeout=ns.timeout)
    text = FORMATS[ns.format](results)
    if ns.out:
        with open(ns.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        print(text)
    return exit_status(results)


def cmd_check(ns: argparse.Namespace) -> int:
    from .check import run_checks
    return run_checks(skip_own=ns.skip_own_tests)


def register(sub: Any) -> None:
    s = sub.add_parser("starter", help="regenerate starter/ from reference/ (instructor)")
    s.add_argument("--check", action="store_true", help="only report whether starter/ is stale")
    s.add_argument("--force", action="store_true", help="overwrite uncommitted edits in starter/")
    s.set_defaults(func=cmd_starter)

    h = sub.add_parser("handouts", help="regenerate the task table in every handout (instructor)")
    h.add_argument("--check", action="store_true", help="only report stale tables")
    h.set_defaults(func=cmd_handouts)

    g = sub.add_parser("grade", help="grade a submission in a sandboxed child process (instructor)")
    g.add_argument("assignment")
    g.add_argument("submission", help="folder holding the submitted starter/")
    g.add_argument("--format", choices=sorted(FORMATS), default="table")
    g.add_argument("--out", default=None)
    g.add_argument("--timeout", type=float, default=None, help="seconds per test")
    g.add_argument("--public-only", action="store_true", help="grade with the public tests only")
    g.set_defaults(func=cmd_grade)

    c = sub.add_parser("check", help="prove the course is sound (instructor)")
    c.add_argument("--skip-own-tests", action="store_true", help="skip the project's own tests")
    c.set_defaults(func=cmd_check)
