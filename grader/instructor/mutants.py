"""Planted mistakes: proof that the tests discriminate and the hints fire.

``assignments/NN-topic/mutants.toml`` lists classic mistakes as one-line
edits of the reference::

    [[mutants]]
    name = "dW transposed"
    file = "linear.py"                      # inside reference/
    find = "self.W.grad += g2.T @ x2"       # must occur exactly once
    replace = "self.W.grad += x2.T @ g2"
    fails = ["03.2"]                        # exactly these tasks must lose points
    hint = "transposed"                     # ...and say this in their messages

``make check`` grades a copy of the reference with each edit applied.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..manifest import Assignment, tomllib
from ..outcome import PASSED
from ..paths import REFERENCE
from ..results import AssignmentResult


@dataclass(frozen=True)
class Mutant:
    assignment: Assignment
    name: str
    file: str
    find: str
    replace: str
    fails: tuple[str, ...]
    hint: str
    #: the hint must be in the first line of a failing test's reason, not only further down
    headline: bool = False


def load(assignment: Assignment) -> list[Mutant]:
    path = assignment.folder / "mutants.toml"
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    out = []
    task_ids = {t.id for t in assignment.tasks}
    for i, raw in enumerate(data.get("mutants", []), 1):
        try:
            m = Mutant(assignment, raw["name"], raw["file"], raw["find"], raw["replace"],
                       tuple(raw["fails"]), raw.get("hint", ""), bool(raw.get("headline", False)))
        except KeyError as exc:
            raise UsageError(f"{path}: mutant #{i} needs {exc.args[0]!r}") from None
        bad = set(m.fails) - task_ids
        if bad or not m.fails:
            raise UsageError(f"{path}: mutant {m.name!r}: fails must list tasks of {assignment.slug}, got {list(m.fails)}")
        out.append(m)
    return out


def materialise(m: Mutant, into: Path) -> Path:
    """Copy the reference into ``into/starter`` and apply the edit; returns the submission folder."""
    pkg = into / "starter"
    shutil.copytree(REFERENCE, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    target = pkg / m.file
    if not target.is_file():
        raise UsageError(f"mutant {m.name!r}: reference/{m.file} does not exist")
    text = target.read_text(encoding="utf-8")
    if text.count(m.find) != 1:
        raise UsageError(f"mutant {m.name!r}: {m.find!r} occurs {text.count(m.find)} times in reference/{m.file}; "
                         f"it must occur exactly once")
    target.write_text(text.replace(m.find, m.replace), encoding="utf-8")
    return into


def tasks_reaching(assignment: Assignment, file: str, also: tuple[str, ...] = ()) -> list[str]:
    """The tasks of ``assignment`` whose code a change in ``file`` (below the package root) can reach:
    ``also``, and every task whose covered files import ``file`` (directly or not) without judging it on
    the reference (``uses_reference``). The tests of the other tasks cannot see the change."""
    from ..impl import reference_closure
    out = []
    for t in assignment.tasks:
        mine = set(reference_closure(t.files))
        swapped = set(reference_closure(t.uses_reference))
        if t.id in also or (file in mine and file not in swapped):
            out.append(t.id)
    return out


def reachable_tasks(m: Mutant) -> list[str]:
    """The tasks a planted mistake can reach: its ``fails``, and every task importing its file."""
    return tasks_reaching(m.assignment, m.file, tuple(m.fails))


def verdict(m: Mutant, result: AssignmentResult) -> list[str]:
    """What is wrong with the grading of a mutant (empty when it was caught as it should be)."""
    problems = []
    lost = {t.id for t in result.tasks if t.ran and not t.full}
    if lost != set(m.fails):
        problems.append(f"mutant {m.name!r}: expected exactly {sorted(m.fails)} to lose points, got {sorted(lost)}")
    if m.hint:
        msgs = [r.message for t in result.tasks if t.id in m.fails for r in t.tests if r.outcome != PASSED]
        text = "\n".join(msgs)
        if m.hint.lower() not in text.lower():
            problems.append(f"mutant {m.name!r}: no message of {sorted(m.fails)} says {m.hint!r}")
        elif m.headline and not any(m.hint.lower() in (msg.splitlines() or [""])[0].lower() for msg in msgs):
            problems.append(f"mutant {m.name!r}: {m.hint!r} is said, but not in the first line of any reason")
    return problems


def scratch() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="nnott-mutant-")
