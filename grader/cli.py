"""The grader's command line: ``python -m grader COMMAND``. The Makefile only calls this.

Student commands: ``test``, ``list``. Instructor commands (``grade``,
``starter``, ``check``, ...) come from :mod:`grader.instructor` when it is
present; the student repository ships without it.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from . import (
    formats,  # noqa: F401  (registers the classroom and gradescope formats)
    manifest,
)
from .errors import UsageError
from .exits import EXIT_USAGE, exit_status
from .outcome import PASSED
from .paths import ROOT
from .report import FORMATS, fmt_points
from .results import RunResult


class _Collector:
    """A pytest plugin object that keeps the grader's results when the session ends."""

    results: RunResult | None = None

    def pytest_sessionfinish(self, session: Any, exitstatus: int) -> None:
        from .plugin import RESULTS_KEY
        self.results = session.config.stash.get(RESULTS_KEY, None)


def run_pytest(assignments: Sequence[manifest.Assignment], impl: str, *, hidden: bool = False,
               verbose: bool = False, tasks: Sequence[str] = (), timeout: float | None = None,
               stream: str | None = None, extra: Sequence[str] = ()) -> RunResult:
    """Run the tests of ``assignments`` in this process and return the grader's results."""
    import pytest

    args = [str(a.tests_dir) for a in assignments]
    missing = [a for a in assignments if not a.tests_dir.is_dir()]
    if missing:
        raise UsageError(f"no tests folder {missing[0].tests_dir} for assignment {missing[0].slug}")
    args += ["--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), "--impl", impl]
    if hidden:
        args.append("--grader-hidden")
    for t in tasks:
        args += ["--grader-task", t]
    if timeout:
        args += ["--timeout", str(timeout)]
    if stream:
        args += ["--grader-stream", stream]
    args += ["-v", "--tb=short", "-rfE"] if verbose else ["-qq", "--tb=no", "-p", "no:warnings"]
    args += list(extra)
    collector = _Collector()
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    with contextlib.nullcontext() if verbose else contextlib.redirect_stdout(io.StringIO()):
        code = pytest.main(args, plugins=[collector])
    if collector.results is None or int(code) in (2, 3, 4):
        raise UsageError(f"pytest could not run the tests (exit {int(code)}); run with V=1 to see why.")
    return collector.results


def add_advisory(results: RunResult, assignments: Sequence[manifest.Assignment], impl: str, *,
                 hidden: bool = False, timeout: float | None = None) -> None:
    """The zero-point line of each task judged on reference prerequisites: does it also work on the
    student's own layers? One more run of just those tasks, with ``--grader-own-prereqs``."""
    swapped = {t.id: t for a in assignments for t in a.tasks if t.uses_reference}
    ran = {t.id for a in results.assignments for t in a.tasks if t.ran and t.id in swapped}
    if not ran or impl == "reference":
        return
    own = run_pytest(assignments, impl, hidden=hidden, tasks=sorted(ran), timeout=timeout,
                     extra=["--grader-own-prereqs"])
    by_id = {t.id: t for a in own.assignments for t in a.tasks}
    for a in results.assignments:
        for t in a.tasks:
            mine = by_id.get(t.id)
            if t.id not in ran or mine is None:
                continue
            if mine.state == PASSED:
                t.advisory = "your code also works on your own layers (it was graded on the reference's)."
            elif t.state == PASSED:
                first = (mine.reason.splitlines() or [""])[0]
                layers = ", ".join(swapped[t.id].uses_reference)
                t.advisory = (f"graded on the reference's {layers} it passes, but on your own layers it does not: "
                              f"{first}")


def _emit(text: str, out: str | None) -> None:
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)


def task_ids(specs: Sequence[str], assignments: Sequence[manifest.Assignment]) -> list[str]:
    """``T=`` values as task ids: ``3.2`` and ``03.2`` mean 03.2, ``2`` means task 2 of the one assignment."""
    known = [t.id for a in assignments for t in a.tasks]
    out = []
    for spec in specs:
        s = spec.strip()
        head, dot, tail = s.partition(".")
        if dot and head.isdigit() and tail.isdigit():
            s = f"{int(head):02d}.{int(tail)}"
        elif s.isdigit() and len(assignments) == 1:
            s = f"{assignments[0].id}.{int(s)}"
        if s not in known:
            raise UsageError(f"no task {spec!r} here; the tasks are {', '.join(known)} (e.g. T={known[0]})")
        out.append(s)
    return out


def cmd_test(ns: argparse.Namespace) -> int:
    assignments = (list(manifest.all_assignments()) if ns.assignment == "all"
                   else [manifest.resolve(ns.assignment)])
    extra = [a for nodeid in ns.deselect for a in ("--deselect", nodeid)]
    ns.task = task_ids(ns.task, assignments)
    results = run_pytest(assignments, ns.impl, hidden=ns.hidden, verbose=ns.verbose, tasks=ns.task,
                         timeout=ns.timeout, stream=ns.stream, extra=extra)
    if not ns.stream:
        add_advisory(results, assignments, ns.impl, hidden=ns.hidden, timeout=ns.timeout)
    _emit(FORMATS[ns.format](results), ns.out)
    if ns.summary:
        Path(ns.summary).write_text(FORMATS["markdown"](results) + "\n", encoding="utf-8")
    return exit_status(results)


def cmd_list(ns: argparse.Namespace) -> int:
    for a in manifest.all_assignments():
        print(f"{a.slug:<22} {fmt_points(a.max_points):>4} points  {a.title}")
        for t in a.tasks:
            print(f"    {t.id:<6} {fmt_points(t.points):>4}  {t.title}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m grader", description="NNOTT Lab grader")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    t = sub.add_parser("test", help="run one assignment's tests and print the score table")
    t.add_argument("assignment", help="03, 3 or 03-linear (or 'all')")
    t.add_argument("--impl", default="starter", help="starter (default), reference, or a submission folder")
    t.add_argument("--hidden", action="store_true", help="include the hidden tests (instructor copy only)")
    t.add_argument("--task", action="append", default=[], help="only this task, e.g. 03.2 (repeatable)")
    t.add_argument("--timeout", type=float, default=None, help="seconds per test (default: pyproject's)")
    t.add_argument("--format", choices=sorted(FORMATS), default="table")
    t.add_argument("--out", default=None, help="write the report to this file instead of the terminal")
    t.add_argument("--summary", default=None, help="also write a Markdown per-task table here (a CI step summary)")
    t.add_argument("-v", "--verbose", action="store_true", help="show pytest's full output too")
    t.add_argument("--stream", default=None, help=argparse.SUPPRESS)
    t.add_argument("--deselect", action="append", default=[], help=argparse.SUPPRESS)
    t.set_defaults(func=cmd_test)

    ls = sub.add_parser("list", help="list the assignments, tasks and points")
    ls.set_defaults(func=cmd_list)

    from .capstone import register as register_capstone  # task 10.4: students run it too
    register_capstone(sub)

    try:
        instructor = importlib.util.find_spec("grader.instructor.commands") is not None
    except ModuleNotFoundError:  # the student copy ships without grader/instructor/
        instructor = False
    if instructor:
        from .instructor.commands import register
        register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    ns = parser.parse_args(argv)
    if getattr(ns, "format", None) and ns.format not in FORMATS:
        parser.error(f"unknown format {ns.format!r}")
    try:
        return int(ns.func(ns))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
