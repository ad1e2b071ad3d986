"""Run the public and hidden tests on each automatic mutant, in parallel child processes.

Each child grades a list of mutants in one process (PyTorch is imported once), one JSON line per
mutant as it finishes; a child that dies (a mutant that crashes the interpreter or exhausts
memory) is replaced, and the mutant it was running counts as killed. A mutant is graded with
the tests of the assignment whose task covers the mutated function only, and of those only the
tasks whose code imports the mutated file (:func:`~grader.instructor.mutants.tasks_reaching`).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ... import manifest
from ...outcome import PASSED, says_what_is_wrong
from ...paths import REFERENCE, ROOT
from ...results import RunResult, TaskResult
from ..mutants import tasks_reaching
from ..strip import covers_index, regions, sources
from .operators import Mutant, mutants_of

PER_TEST_TIMEOUT = 4.0


@dataclass
class Outcome:
    """What the tests made of one mutant."""

    id: str
    assignment: str
    diff: str
    killed: bool
    killed_public: bool
    lost: list[str] = field(default_factory=list)
    headline: str = ""          # the first line of the reason a student would read
    informative: bool = False   # that line says more than "does not match"


def assignment_of_mutants(package: Path = REFERENCE) -> dict[str, list[Mutant]]:
    """``{assignment id: its mutants}``: a mutant belongs to the task whose region holds it."""
    index = covers_index()
    out: dict[str, list[Mutant]] = {a.id: [] for a in manifest.all_assignments()}
    for src in sources(package):
        spans = [(r.start, r.end, r.task) for r in regions(src, index, package)]
        for m in mutants_of(src, package):
            task = next((t for s, e, t in spans if s < m.line <= e), None)
            if task is not None:
                out[task.id.split(".")[0]].append(m)
    return out


def sample(mutants: list[Mutant], k: int | None, seed: int) -> list[Mutant]:
    if k is None or k >= len(mutants):
        return list(mutants)
    return sorted(random.Random(seed).sample(mutants, k), key=lambda m: (m.file, m.line, m.col))


def _informative(task: TaskResult) -> tuple[str, bool]:
    """The reason's first line (without the test name) and whether it says more than the numbers."""
    first = (task.reason.splitlines() or [""])[0]
    head = first.split(": ", 1)[1] if ": " in first else first
    return head, says_what_is_wrong(head, task.state)


def judge(m: Mutant, aid: str, results: RunResult) -> Outcome:
    a = results.assignments[0] if results.assignments else None
    # the run stops at the first failing test (public tests run first): a task lost is one with a failure
    lost = [t for t in (a.tasks if a else []) if any(r.outcome != PASSED for r in t.tests)]
    public_fail = any(not r.hidden and r.outcome != PASSED for t in lost for r in t.tests)
    head, informative = ("", False)
    for t in lost:   # the most telling reason among the tasks that lost points
        h, inf = _informative(t)
        if inf or not head:
            head, informative = h, inf
        if inf:
            break
    return Outcome(m.id, aid, m.diff(), bool(lost) or bool(results.problems), public_fail,
                   [t.id for t in lost], head, informative)


def _materialise(m: Mutant, into: Path) -> Path:
    pkg = into / "starter"
    shutil.copytree(REFERENCE, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    target = pkg / m.file
    target.write_text(m.apply(target.read_text(encoding="utf-8")), encoding="utf-8")
    return into


def child_main(assignment: str, ids: list[str], out: Path) -> int:
    """Grade the mutants ``ids`` of ``assignment`` in this process, appending one JSON line each to ``out``."""
    from ...cli import run_pytest
    a = manifest.resolve(assignment)
    by_id = {m.id: m for m in assignment_of_mutants()[a.id]}
    with tempfile.TemporaryDirectory(prefix="nnott-mutation-") as tmp, open(out, "a", encoding="utf-8") as fh:
        for i, mid in enumerate(ids):
            m = by_id[mid]
            fh.write(json.dumps({"start": mid}) + "\n")
            fh.flush()
            sub = _materialise(m, Path(tmp) / f"m{i}")   # a folder of its own: modules load afresh
            reach = tasks_reaching(a, m.file)   # the other tasks' tests cannot see this edit
            with contextlib.redirect_stderr(io.StringIO()):
                res = run_pytest([a], str(sub), hidden=True, timeout=PER_TEST_TIMEOUT, extra=["-x"], tasks=reach)
            fh.write(json.dumps({"done": asdict(judge(m, a.id, res))}) + "\n")
            fh.flush()
    return 0


def _run_chunk(aid: str, chunk: list[Mutant], diffs: dict[str, str]) -> list[Outcome]:
    outcomes: dict[str, Outcome] = {}
    todo = [m.id for m in chunk]
    with tempfile.TemporaryDirectory(prefix="nnott-mutation-run-") as tmp:
        while todo:
            log = Path(tmp) / f"log{len(outcomes)}.jsonl"
            ids = Path(tmp) / "ids.json"
            ids.write_text(json.dumps(todo), encoding="utf-8")
            cmd = [sys.executable, "-m", "grader", "mutation", "--child", aid, str(ids), str(log)]
            env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1"}
            try:
                subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=120 + 60 * len(todo))
            except subprocess.TimeoutExpired:
                pass
            running = None
            if log.is_file():
                for line in log.read_text(encoding="utf-8").splitlines():
                    try:
                        ev = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    if "start" in ev:
                        running = ev["start"]
                    elif "done" in ev:
                        outcomes[ev["done"]["id"]] = Outcome(**ev["done"])
                        running = None
            if running is None and all(i in outcomes for i in todo):
                break
            crashed = running or next(i for i in todo if i not in outcomes)
            outcomes[crashed] = Outcome(crashed, aid, diffs[crashed], True, True, ["crash"],
                                        "the tests' process died on this mutant", False)
            todo = [i for i in todo if i not in outcomes]
    return [outcomes[m.id] for m in chunk]


def run(chosen: dict[str, list[Mutant]], jobs: int = 2) -> list[Outcome]:
    """Grade every mutant of ``chosen`` (``{assignment: mutants}``), ``jobs`` children at a time."""
    diffs = {m.id: m.diff() for ms in chosen.values() for m in ms}
    chunks: list[tuple[str, list[Mutant]]] = []
    for aid, ms in chosen.items():
        size = max(1, -(-len(ms) // max(1, jobs)))
        chunks += [(aid, ms[i:i + size]) for i in range(0, len(ms), size)]
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        parts = list(pool.map(lambda c: _run_chunk(c[0], c[1], diffs), chunks))
    return [o for part in parts for o in part]
