"""Assignment manifests: ``assignments/NN-topic/manifest.toml``.

A manifest is the one table of tasks and points::

    id = "03"
    title = "Linear layers and manual backprop"

    [[tasks]]
    id = "03.1"
    title = "Linear forward"
    points = 10
    covers = ["nn/linear.py::Linear.forward"]   # file (below the package root) :: qualified name

Everything that shows points (score tables, handouts, Classroom, Gradescope,
nbgrader) reads them from here.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import UsageError
from .names import Covered, parse
from .paths import ASSIGNMENTS, TESTS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Assignment", "Task", "ManifestError", "load", "folders", "all_assignments", "resolve", "task_owner",
           "tests_dir_name", "tomllib"]

FOLDER_RE = re.compile(r"^(\d\d)-([a-z0-9_]+)$")
TASK_RE = re.compile(r"^(\d\d)\.(\d+)$")


def tests_dir_name(slug: str) -> str:
    """``03-linear`` -> ``a03_linear``, the folder of an assignment's tests."""
    return "a" + slug.replace("-", "_")


class ManifestError(UsageError):
    """A manifest that cannot be read or breaks a rule; the message names the file and the key."""


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    points: float
    covers: tuple[Covered, ...]
    #: library files graded from the reference while this task is judged (principle 4: a block's
    #: wiring is judged on reference layers), e.g. ``("nn/conv.py", "nn/batchnorm.py")``
    uses_reference: tuple[str, ...] = ()

    @property
    def files(self) -> tuple[str, ...]:
        """The library files this task's names live in (``nn/linear.py``), in manifest order."""
        return tuple(dict.fromkeys(c.path for c in self.covers))

    @property
    def modules(self) -> tuple[str, ...]:
        """The dotted modules of :attr:`files` (``nn.linear``)."""
        return tuple(dict.fromkeys(c.module for c in self.covers))


@dataclass(frozen=True)
class Assignment:
    id: str
    slug: str
    title: str
    summary: str
    folder: Path
    tasks: tuple[Task, ...] = field(default_factory=tuple)
    #: seconds ``make grade`` allows one submission in all (``grade_budget_s``; the judge's default otherwise)
    grade_budget_s: float | None = None

    @property
    def tests_dir(self) -> Path:
        """``tests/aNN_topic``: the public tests (``hidden/`` inside holds the hidden ones)."""
        return TESTS / tests_dir_name(self.slug)

    @property
    def max_points(self) -> float:
        return sum(t.points for t in self.tasks)

    def task(self, task_id: str) -> Task:
        for t in self.tasks:
            if t.id == task_id:
                return t
        raise KeyError(task_id)


def _fail(path: Path, msg: str) -> ManifestError:
    return ManifestError(f"{path}: {msg}")


def load(folder: Path) -> Assignment:
    """Read and validate one assignment's manifest."""
    path = folder / "manifest.toml"
    m = FOLDER_RE.match(folder.name)
    if not m:
        raise _fail(folder, "assignment folders are named NN-topic, e.g. 03-linear")
    if not path.is_file():
        raise _fail(path, "missing: every assignment folder needs a manifest.toml listing its tasks")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _fail(path, f"is not valid TOML: {exc}") from None
    for key, typ in (("id", str), ("title", str), ("tasks", list)):
        if not isinstance(data.get(key), typ):
            raise _fail(path, f"needs a top-level {key!r} ({typ.__name__})")
    if data["id"] != m.group(1):
        raise _fail(path, f"id = {data['id']!r} but the folder says {m.group(1)!r}")
    tasks: list[Task] = []
    seen_names: dict[str, str] = {}
    for i, raw in enumerate(data["tasks"], 1):
        where = f"task #{i}"
        if not isinstance(raw, dict):
            raise _fail(path, f"{where} must be a table ([[tasks]])")
        tid = raw.get("id")
        if not isinstance(tid, str) or not TASK_RE.match(tid) or not tid.startswith(data["id"] + "."):
            raise _fail(path, f"{where}: id {tid!r} must look like '{data['id']}.{i}'")
        where = f"task {tid}"
        if any(t.id == tid for t in tasks):
            raise _fail(path, f"{where} is listed twice")
        title = raw.get("title")
        if not isinstance(title, str) or not title.strip():
            raise _fail(path, f"{where} needs a non-empty title")
        points = raw.get("points")
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
            raise _fail(path, f"{where}: points must be a positive number, got {points!r}")
        covers = raw.get("covers")
        if not isinstance(covers, list) or not covers or not all(isinstance(c, str) for c in covers):
            raise _fail(path, f"{where}: covers must be a non-empty list of names like 'nn/linear.py::Linear.forward'")
        parsed: list[Covered] = []
        for name in covers:
            try:
                c = parse(name)
            except ValueError as exc:
                raise _fail(path, f"{where}: {exc}") from None
            if c.dotted in seen_names:
                raise _fail(path, f"{where}: {name!r} is already covered by task {seen_names[c.dotted]}")
            seen_names[c.dotted] = tid
            parsed.append(c)
        uses = raw.get("uses_reference", [])
        if not isinstance(uses, list) or not all(isinstance(u, str) and u.endswith(".py") for u in uses):
            raise _fail(path, f"{where}: uses_reference must be a list of library files like 'nn/conv.py'")
        own = set(c.path for c in parsed) & set(uses)
        if own:
            raise _fail(path, f"{where}: uses_reference lists {sorted(own)}, which this task covers itself")
        unknown = set(raw) - {"id", "title", "points", "covers", "uses_reference"}
        if unknown:
            raise _fail(path, f"{where}: unknown key(s) {sorted(unknown)}")
        tasks.append(Task(tid, title.strip(), float(points), tuple(parsed), tuple(uses)))
    if not tasks:
        raise _fail(path, "lists no tasks")
    budget = data.get("grade_budget_s")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, float)) or budget <= 0):
        raise _fail(path, f"grade_budget_s must be a positive number of seconds, got {budget!r}")
    unknown_top = set(data) - {"id", "title", "summary", "tasks", "grade_budget_s"}
    if unknown_top:
        raise _fail(path, f"unknown top-level key(s) {sorted(unknown_top)}")
    return Assignment(data["id"], folder.name, data["title"], data.get("summary", ""), folder, tuple(tasks),
                      float(budget) if budget is not None else None)


def folders() -> list[Path]:
    """Every ``assignments/NN-topic`` folder, in order."""
    if not ASSIGNMENTS.is_dir():
        return []
    return sorted(p for p in ASSIGNMENTS.iterdir() if p.is_dir() and FOLDER_RE.match(p.name))


@lru_cache(maxsize=None)
def all_assignments() -> tuple[Assignment, ...]:
    return tuple(load(f) for f in folders())


def resolve(spec: str) -> Assignment:
    """``"3"``, ``"03"`` and ``"03-linear"`` all name assignment 03."""
    spec = str(spec).strip().rstrip("/")
    spec = Path(spec).name if "/" in spec else spec
    names = ", ".join(f.name for f in folders()) or "(none)"
    if not spec:
        raise UsageError(f"no assignment given: say which one, e.g. A=03. Assignments: {names}")
    for f in folders():
        if spec == f.name or (spec.isdigit() and int(spec) == int(f.name[:2])):
            return load(f)
    raise UsageError(f"no assignment {spec!r}. Assignments: {names}")


def task_owner(task_id: str) -> Assignment:
    """The assignment a task id such as ``03.2`` belongs to."""
    m = TASK_RE.match(task_id)
    if not m:
        raise UsageError(f"{task_id!r} is not a task id like 03.2")
    return resolve(m.group(1))
