"""Building cells: the notebook's cell types and the text of its handout, setup and check cells.

A check cell embeds its task's test files (hidden ones between the hidden-test markers, with the
reference sources the hidden tests use as ``ref``) and runs them with
:class:`grader.in_notebook.Checks`.
"""
from __future__ import annotations

import ast
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from ...errors import UsageError
from ...manifest import Assignment, Task
from ...paths import ROOT
from ...report import fmt_points
from .reference import ModuleInfo, reference_sources
from .testfiles import TestFile, literal

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
DELIMITERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
              "BEGIN MARK SCHEME", "END MARK SCHEME", "AUTOTEST")
NBGRADER_META = {"schema_version": 3, "task": False}
#: The module a notebook imports its checker from (shipped next to it as ``grader/in_notebook.py``).
CHECKER = "grader.in_notebook"


@dataclass
class Cell:
    kind: str                  # markdown | setup | given | solution | checks
    source: str
    grade_id: str = ""
    task: Task | None = None
    points: float = 0.0

    def to_json(self) -> dict[str, Any]:
        cid = hashlib.sha1(f"{self.kind}:{self.grade_id}:{self.source}".encode()).hexdigest()[:12]
        cell: dict[str, Any] = {"cell_type": "markdown" if self.kind == "markdown" else "code", "id": cid,
                                "metadata": {}, "source": self.source}
        if self.kind == "markdown":
            if self.grade_id:
                cell["metadata"]["nbgrader"] = {**NBGRADER_META, "grade": False, "solution": False, "locked": True,
                                                "grade_id": self.grade_id}
                cell["metadata"].update({"deletable": False, "editable": False})
            return cell
        cell.update({"execution_count": None, "outputs": []})
        nb = {**NBGRADER_META, "grade": self.kind == "checks", "solution": self.kind == "solution",
              "locked": self.kind != "solution", "grade_id": self.grade_id}
        if self.kind == "checks":
            nb["points"] = self.points
        cell["metadata"]["nbgrader"] = nb
        if self.kind != "solution":
            cell["metadata"].update({"deletable": False, "editable": False})
        return cell


def slug_id(task: Task) -> str:
    return task.id.replace(".", "_")


def module_file(m: str, mods: dict[str, ModuleInfo]) -> str:
    """``scalar.neuron`` -> ``scalar/neuron.py`` (a package's own module: ``scalar/__init__.py``)."""
    return m.replace(".", "/") + ("/__init__.py" if mods[m].is_package else ".py")


def grade_id_part(m: str) -> str:
    return m.replace(".", "_")


def handout_cells(a: Assignment) -> list[Cell]:
    path = a.folder / "README.md"
    if not path.is_file():
        from ..handouts import table
        text = f"# {a.id} · {a.title}\n\n{a.summary}\n\n## Your tasks\n\n{table(a)}"
    else:
        text = path.read_text(encoding="utf-8")
    sections: list[str] = []
    current: list[str] = []
    fence = False
    for line in text.splitlines():
        if line.startswith("```"):
            fence = not fence
        if not fence and line.startswith("## ") and current:
            sections.append("\n".join(current).strip())
            current = []
        current.append(line)
    sections.append("\n".join(current).strip())
    keep = [s for s in sections if s and not re.match(r"## +running", s, re.I)]
    keep = [re.sub(r"<!-- generated from .*? -->\n*", "", s) for s in keep]
    keep = [s.replace("<!-- tasks:begin -->\n", "").replace("<!-- tasks:end -->\n", "").replace("<!-- tasks:end -->", "")
            for s in keep]
    return [Cell("markdown", s, f"handout_{i}") for i, s in enumerate(keep)]


GUIDE = """## Working in this notebook

The code of this assignment sits in the cells below, in the order the modules
need each other. Read-only cells hold given code and the checks. In each task,
replace `raise NotImplementedError()` under `# YOUR CODE HERE` with your code,
run the cell, then run the task's check cell right after it.

A check cell runs the course's public tests of that task on the code in this
notebook, the same tests `make test` runs, against PyTorch in float64, finite
differences and properties. When every test passes it prints a one-line
verdict; otherwise it fails with the grader's messages: the quantity, the
shapes, the worst element and, where it recognises one, the classic mistake.
In this notebook a task earns its points when all its checks pass. When your
work is graded, hidden tests (more shapes, edge cases) join the public ones.

After editing a cell that others depend on, use *Kernel → Restart & Run All*:
cells run out of order are the most common source of confusing results. Keep
the names and signatures as given, and use NumPy (the backend's `xp`, or
`get_array_module(x)`); PyTorch is for the checks only."""


def setup_source(a: Assignment, names: dict[str, Any]) -> str:
    """The setup cell: the checker, and ``impl`` over ``{module: [names]}`` (``{name: renamed}`` where renamed)."""
    listing = ",\n".join(f"    {m!r}: {dict(sorted(n.items())) if isinstance(n, dict) else sorted(set(n))!r}"
                         for m, n in names.items())
    return (f"from __future__ import annotations\n"
            f"# Setup (read-only): run this cell first. It loads the checker (the grader/ folder next to this\n"
            f"# notebook) and builds `impl`, through which the checks reach the code this notebook defines.\n"
            f"from {CHECKER} import Checks, NotebookImpl\n\n"
            f"impl = NotebookImpl(globals(), {{\n{listing},\n}})")


def pyproject_timeout() -> float:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    m = re.search(r"^timeout\s*=\s*([\d.]+)", text, re.M)
    return float(m.group(1)) if m else 10.0


def checks_source(task: Task, tests: list[TestFile], conftests: list[TestFile],
                   mods: dict[str, ModuleInfo], timeout: float, modules: list[str]) -> str:
    names = ", ".join(f"`{c.qualname}`" for c in task.covers)
    head = [f"# Checks of task {task.id} ({task.title}, {fmt_points(task.points)} points). Read-only: run it after "
            f"the cells above.",
            f"checks = Checks({task.id!r}, {task.title!r}, impl, timeout={timeout:g}, names={names!r})"]
    public = [t for t in tests if not t.hidden]
    hidden = [t for t in tests if t.hidden]
    secret: list[str] = []
    refs = [m for t in tests for m in t.ref_modules]
    if any(re.search(r"\bref\b", t.source) for t in tests + conftests):
        refs += modules   # tests may reach the reference indirectly (``for pkg in (impl, ref)``)
    if refs:
        srcs = reference_sources(refs, mods)
        body = "".join(f"    {k!r}: {literal(v)},\n" for k, v in srcs.items())
        secret.append("checks.reference({\n" + body + "})")
    for c in conftests:
        if c.hidden:
            secret.append(f"checks.conftest({c.name!r}, {literal(c.source)})")
    for t in hidden:
        secret.append(f"checks.add({t.name!r}, {literal(t.source)}, hidden=True)")
    # The hidden part comes first: a failing cell's traceback shows the lines just above checks.run(),
    # and those must be public ones, or the feedback would quote hidden tests.
    visible = [f"checks.conftest({c.name!r}, {literal(c.source)})" for c in conftests if not c.hidden]
    visible += [f"checks.add({t.name!r}, {literal(t.source)})" for t in public]
    if not public:
        visible += ["# This task has no public checks: its hidden checks run when the notebook is graded,",
                    "# and a failing one is reported here, by name and message, in the feedback.",
                    "#",
                    "#"]
    lines = head + ([HIDDEN_BEGIN] + secret + [HIDDEN_END] if secret else []) + visible
    lines += ["# Run every check added above: one line when all pass, else an AssertionError saying what is off.",
              "checks.run()"]
    return "\n".join(lines)


def close_expr(text: str) -> str:
    """Keep a cell from echoing a value: a cell whose last statement is an expression gets ``pass`` after it."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        return text + "\npass"
    return text


@dataclass
class Notebook:
    assignment: Assignment
    cells: list[Cell]
    modules: list[str]
    own_modules: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "cells": [c.to_json() for c in self.cells],
            "metadata": {
                "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                "language_info": {"name": "python"},
            },
            "nbformat": 4, "nbformat_minor": 5,
        }

    def text(self) -> str:
        return json.dumps(self.to_json(), indent=1, ensure_ascii=False) + "\n"

    @property
    def filename(self) -> str:
        return f"{self.assignment.slug}.ipynb"


def check_delimiters(a: Assignment, cells: list[Cell]) -> None:
    for c in cells:
        if c.kind != "checks":
            continue
        visible, hidden = split_hidden(c.source)
        for d in DELIMITERS:
            if d in visible.replace(HIDDEN_BEGIN, "").replace(HIDDEN_END, "") or d in hidden:
                raise UsageError(f"{a.slug}: the tests embedded in {c.grade_id} contain {d!r}, an nbgrader delimiter")


def split_hidden(source: str) -> tuple[str, str]:
    """``(visible, hidden)`` parts of a check cell's source."""
    vis: list[str] = []
    hid: list[str] = []
    inside = False
    for line in source.split("\n"):
        if HIDDEN_BEGIN.strip("# ") in line:
            inside = True
        elif HIDDEN_END.strip("# ") in line:
            inside = False
        elif inside:
            hid.append(line)
        else:
            vis.append(line)
    return "\n".join(vis), "\n".join(hid)


def cell_source(cell: dict[str, Any]) -> str:
    """A notebook JSON cell's source as one string (nbformat allows a list of lines)."""
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s
