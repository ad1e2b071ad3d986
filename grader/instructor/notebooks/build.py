"""Assembling one notebook from the reference, the tests and the manifest, and proving it in step.

:func:`build` orders the cells: the handout, the guide, the setup cell, the given modules, and per
task its heading, its code cells and its check cell. :func:`consistency` says how a built notebook
departs from the source (the check of ``make check``, with :func:`generation_check`).
"""
from __future__ import annotations

from typing import Iterable

from ... import manifest
from ...errors import UsageError
from ...manifest import Assignment, Task
from ...paths import rel
from ...report import fmt_points
from .cells import (
    DELIMITERS,
    GUIDE,
    Cell,
    Notebook,
    check_delimiters,
    checks_source,
    close_expr,
    grade_id_part,
    handout_cells,
    module_file,
    pyproject_timeout,
    setup_source,
    slug_id,
    split_hidden,
)
from .namespace import plan, renamed
from .reference import ModuleInfo, closure, reference_modules
from .rewrite import Rewriter, Unit
from .testfiles import literal, test_files, used_modules


def build(a: Assignment, mods: dict[str, ModuleInfo] | None = None) -> Notebook:
    """The source notebook of one assignment."""
    mods = reference_modules() if mods is None else mods
    own_ids = {t.id for t in a.tasks}
    order = {t.id: i for i, t in enumerate(a.tasks)}
    for t in a.tasks:
        for c in t.covers:
            if c.module not in mods:
                raise UsageError(f"{c}: no reference module holds it")
    own = sorted((m for m in mods if mods[m].tasks() & own_ids),
                 key=lambda m: (min(order[t] for t in mods[m].tasks() & own_ids), m))
    own = [m for m in closure(own, mods) if m in own]   # a module after the modules it imports
    tests, conftests = test_files(a)
    if not tests:
        raise UsageError(f"{a.slug}: no test files in {rel(a.tests_dir)}")
    for tf in tests:
        if not tf.tasks:
            raise UsageError(f"{tf.name}: no @pytest.mark.task('{a.id}.N') marker")
        unknown = [x for x in tf.tasks if x not in own_ids]
        if unknown:
            raise UsageError(f"{tf.name}: task {unknown[0]!r} is not in {a.slug}/manifest.toml")
        tf.impl_modules = used_modules(tf.impl_modules, mods, tf.name)
        tf.ref_modules = used_modules(tf.ref_modules, mods, tf.name)
    used = [m for tf in tests for m in tf.impl_modules]
    modules = closure(own + used, mods)
    given_modules = [m for m in modules if m not in own]

    # one namespace: names two modules define differently are namespaced, or refused
    space = plan(a, modules, mods)
    units: dict[str, list[Unit]] = {m: Rewriter(renamed(mods[m], space.renames.get(m, {})), a, space.names).units()
                                    for m in modules}
    cells: list[Cell] = handout_cells(a)
    cells.append(Cell("markdown", GUIDE, "guide"))
    cells.append(Cell("setup", setup_source(a, space.listing), "setup"))
    if given_modules:
        listing = ", ".join(f"`{module_file(m, mods)}`" for m in given_modules)
        cells.append(Cell("markdown", f"## Given code\n\nRead-only: {listing}. Read them; your code builds on them.",
                          "given_heading"))
        for m in given_modules:
            text = units[m][0].text
            cells.append(Cell("given", close_expr(f"# {module_file(m, mods)} (given, read-only)\n{text}"),
                              f"given_{grade_id_part(m)}"))

    emitted: set[int] = set()
    flat = [(m, i, u) for m in own for i, u in enumerate(units[m])]
    tests_by_task = {t.id: [f for f in tests if t.id in f.tasks] for t in a.tasks}
    timeout = pyproject_timeout()
    n_solution: dict[str, int] = {}
    for task in a.tasks:
        need: set[int] = set()
        mods_needed = closure([m for f in tests_by_task[task.id] for m in f.impl_modules] + [
            u.module for _, _, u in flat if u.task is not None and u.task.id == task.id], mods)
        for k, (m, _i, u) in enumerate(flat):
            if u.task is not None and u.task.id == task.id:
                need.add(k)
            if m in mods_needed and u.kind == "given":
                need.add(k)
        # every needed unit brings the units before it in its module (attach units only their class)
        for k in sorted(need):
            m, i, u = flat[k]
            for j, (m2, i2, u2) in enumerate(flat):
                if m2 == m and i2 < i and u2.kind != "attach":
                    need.add(j)
        points = fmt_points(task.points)
        you_write = ", ".join(f"`{c.qualname}` (`{c.path}`)" for c in task.covers)
        cells.append(Cell("markdown", f"## Task {task.id} · {task.title} ({points} points)\n\nYou write {you_write}.",
                          f"task_{slug_id(task)}_heading"))
        pending: Cell | None = None
        seq = sorted(need - emitted)
        for pos, k in enumerate(seq):
            m, i, u = flat[k]
            emitted.add(k)
            if u.kind == "given":
                if pending is not None and _more_of(task, [flat[j][2] for j in seq[pos + 1:]]):
                    # given code between two pieces of this task's code joins its cell: one code cell per task
                    pending.source += f"\n\n\n# {module_file(m, mods)} (given)\n{u.text}"
                    continue
                if pending is not None:
                    cells.append(pending)
                    pending = None
                cells.append(Cell("given", close_expr(f"# {module_file(m, mods)} (given, read-only)\n{u.text}"),
                                  f"given_{grade_id_part(m)}_{i}"))
                continue
            assert u.task is not None
            label = f"# {module_file(m, mods)}: task {u.task.id} ({u.task.title})"
            if pending is not None and pending.task is not None and u.task is not None and pending.task.id == u.task.id:
                pending.source += f"\n\n\n{label}\n{u.text}"
                continue
            if pending is not None:
                cells.append(pending)
            assert u.task is not None
            n_solution[u.task.id] = n_solution.get(u.task.id, 0) + 1
            suffix = "" if n_solution[u.task.id] == 1 else f"_{n_solution[u.task.id]}"
            pending = Cell("solution", f"{label}\n{u.text}", f"task_{slug_id(u.task)}_code{suffix}", u.task)
        if pending is not None:
            cells.append(pending)
        cells.append(Cell("checks", checks_source(task, tests_by_task[task.id], conftests, mods, timeout, modules),
                          f"task_{slug_id(task)}_checks", task, task.points))
    rest = [k for k in range(len(flat)) if k not in emitted]
    if rest:
        raise UsageError(f"{a.slug}: code in {', '.join(sorted({module_file(flat[k][0], mods) for k in rest}))} "
                         f"is needed by no task")
    for cell in cells:
        if cell.kind in ("solution", "given", "setup"):
            cell.source = close_expr(cell.source)
        if cell.kind != "checks":
            for d in DELIMITERS:
                if d in cell.source and not (cell.kind == "solution" and d in ("BEGIN SOLUTION", "END SOLUTION")):
                    raise UsageError(f"{a.slug}: cell {cell.grade_id} contains {d!r}, an nbgrader delimiter")
    check_delimiters(a, cells)
    return Notebook(a, cells, modules, own)


def _more_of(task: Task, rest: list[Unit]) -> bool:
    """Whether ``rest`` holds more of ``task``'s code after nothing but given code."""
    for u in rest:
        if u.kind != "given":
            return u.task is not None and u.task.id == task.id
    return False


def generation_check(assignments: Iterable[Assignment] | None = None) -> tuple[list[str], str]:
    """Every assignment's notebook builds, and matches the one source; returns ``(problems, summary)``.

    Each task has one check cell worth its points that embeds exactly its current test files (hidden ones
    inside the hidden-test markers) and code cells holding every solution region of the task, verbatim.
    No nbgrader or kernel is needed.
    """
    assignments = list(manifest.all_assignments() if assignments is None else assignments)
    mods = reference_modules()
    problems: list[str] = []
    cells = 0
    for a in assignments:
        try:
            nb = build(a, mods)
        except UsageError as exc:
            problems.append(str(exc))
            continue
        cells += len(nb.cells)
        problems += [f"{a.slug}: {p}" for p in consistency(a, nb, mods)]
    return problems, f"{len(assignments)} notebook(s), {cells} cells, in step with reference/, tests/ and the manifests"


def consistency(a: Assignment, nb: Notebook, mods: dict[str, ModuleInfo]) -> list[str]:
    """How a built notebook departs from the source (empty when it does not)."""
    problems: list[str] = []
    tests, conftests = test_files(a)
    by_gid = {c.grade_id: c for c in nb.cells}
    if len(by_gid) != len(nb.cells):
        problems.append("duplicate grade ids")
    for t in a.tasks:
        check = by_gid.get(f"task_{slug_id(t)}_checks")
        if check is None or check.kind != "checks":
            problems.append(f"task {t.id} has no check cell")
            continue
        if not any(t.id in f.tasks for f in tests):
            problems.append(f"task {t.id} has no tests: its check cell could never pass")
        if abs(check.points - t.points) > 1e-9:
            problems.append(f"task {t.id}: the check cell is worth {check.points:g}, the manifest says {t.points:g}")
        visible, hidden = split_hidden(check.source)
        for f in tests:
            want = t.id in f.tasks
            part = hidden if f.hidden else visible
            embedded = f"checks.add({f.name!r}, {literal(f.source)}"
            if want and embedded not in part:
                problems.append(f"task {t.id}: the check cell does not embed the current {f.name}")
            if not want and f.name in check.source:
                problems.append(f"task {t.id}: the check cell embeds {f.name}, which has no test of the task")
            if f.hidden and f.name in visible:
                problems.append(f"task {t.id}: {f.name} is outside the hidden-test markers")
        code = "\n".join(c.source for c in nb.cells if c.kind == "solution" and c.task is not None and c.task.id == t.id)
        if not code:
            problems.append(f"task {t.id} has no code cell")
        flat_code = _unindented(code)
        for m in {c.module for c in t.covers}:
            lines = mods[m].lines
            for r in mods[m].regions:
                if r.task is None or r.task.id != t.id:
                    continue
                region = _unindented("\n".join(lines[r.start - 1:r.end]))
                if region not in flat_code:
                    problems.append(f"task {t.id}: the solution region of {r.qualname} ({rel(r.path)}:{r.start}) "
                                    f"is not in the task's code cells as written")
    for c in nb.cells:
        if c.kind == "solution" and (c.task is None or "### BEGIN SOLUTION" not in c.source):
            problems.append(f"code cell {c.grade_id} holds no solution region")
    return problems


def _unindented(code: str) -> str:
    """The code with each line's indentation removed, to find a region whatever its depth."""
    return "\n".join(ln.strip() for ln in code.split("\n"))
