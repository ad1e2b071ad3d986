"""Rewriting one reference module for a notebook: its code as units of given code and of each task's code.

The notebook shares one namespace, so relative imports become notes (the names are defined in an
earlier cell), ``if __name__ == "__main__"`` blocks go, an earlier assignment's solutions are given,
a later one's are stubs, and a class whose methods belong to several tasks is split: its first
task's methods stay in the class, each later task's method is attached to it in that task's cell.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any, Collection

from ...errors import UsageError
from ...manifest import Assignment, Task
from ...paths import rel
from .reference import ModuleInfo, is_main_guard, resolve_import, task_rank

#: Names the notebook itself binds; no module may define them.
RESERVED = {"impl", "Checks", "NotebookImpl", "checks"}


@dataclass
class Unit:
    """A piece of one module's code: given (read-only), or the code of one task."""
    module: str
    kind: str                  # "given" | "solution" | "attach"
    task: Task | None
    text: str
    cls: str | None = None     # for "attach": the class the method goes into


def _indent(line: str) -> str:
    """The leading whitespace of ``line``."""
    return line[: len(line) - len(line.lstrip())]


class Rewriter:
    """Line-level rewriting of one module for a notebook's shared namespace."""

    def __init__(self, mod: ModuleInfo, assignment: Assignment, all_names: set[str]) -> None:
        self.mod = mod
        self.lines = mod.text.splitlines()
        self.own = {t.id for t in assignment.tasks}
        self.assignment = assignment
        self.all_names = all_names
        self.replace: dict[int, list[str]] = {}   # 1-based line -> replacement lines
        self._plan()

    def _plan(self) -> None:
        body_ids = {id(s) for s in self.mod.tree.body}
        for node in ast.walk(self.mod.tree):
            if isinstance(node, ast.ImportFrom) and (node.level or node.module == "__future__"):
                indent = _indent(self.lines[node.lineno - 1])
                top = id(node) in body_ids
                if node.module == "__future__":
                    new = []   # the setup cell turns postponed annotations on for every cell
                else:
                    new = [f"{indent}{a.asname} = {a.name}" for a in node.names if a.asname and a.asname != a.name]
                    if node.module is None:
                        new = [f"{indent}{a.asname or a.name} = impl."
                               f"{resolve_import(self.mod.name, self.mod.is_package, node.level, a.name)}"
                               for a in node.names]
                    shown = ast.get_source_segment(self.mod.text, node) or ""
                    note = f"# {' '.join(shown.split())}: defined in an earlier cell of this notebook"
                    if not new:
                        new = [f"{indent}{note}" if top else f"{indent}pass  {note}"]
                self._set(node.lineno, node.end_lineno or node.lineno, new)
        for stmt in self.mod.tree.body:
            if is_main_guard(stmt):
                self._set(stmt.lineno, stmt.end_lineno or stmt.lineno, [])
        for r in self.mod.regions:
            if r.task is None:
                raise UsageError(f"{rel(self.mod.path)}:{r.start}: the solution region in {r.qualname} belongs to no task")
            if r.task.id in self.own:
                continue
            if task_rank(r.task)[0] < int(self.assignment.id):
                self._set(r.start, r.start, [])      # an earlier assignment's solution: given here
                self._set(r.end, r.end, [])
            else:
                self._set(r.start, r.end, [f'{r.indent}raise NotImplementedError("Task {r.task.id}: {r.task.title}")'])

    def _set(self, start: int, end: int, new: list[str]) -> None:
        self.replace[start] = new
        for no in range(start + 1, end + 1):
            self.replace[no] = []

    def render(self, start: int, end: int, skip: Collection[int] = frozenset(), dedent: str = "") -> str:
        out: list[str] = []
        for no in range(start, end + 1):
            if no in skip:
                continue
            new = self.replace.get(no)
            chunk = [self.lines[no - 1]] if new is None else new
            for line in chunk:
                if dedent and line.strip():
                    if not line.startswith(dedent):
                        raise ValueError("uneven indentation")
                    line = line[len(dedent):]
                out.append(line.rstrip() if not line.strip() else line)
        while out and not out[0].strip():
            out.pop(0)
        while out and not out[-1].strip():
            out.pop()
        text = "\n".join(out)
        return re.sub(r"\n{4,}", "\n\n\n", text)

    # -- spans -------------------------------------------------------------------------------

    def span(self, node: ast.stmt, floor: int) -> tuple[int, int]:
        """Lines of a statement with its decorators and the comment lines right above it."""
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        while start - 1 > floor and self.lines[start - 2].strip().startswith("#"):
            start -= 1
        end = node.end_lineno or node.lineno
        # comment lines indented into the body after its last statement (``### END SOLUTION``) belong to it
        own = len(self.lines[node.lineno - 1]) - len(self.lines[node.lineno - 1].lstrip())
        k = end
        while k < len(self.lines):
            line = self.lines[k]
            if line.strip() and not (line.strip().startswith("#") and len(line) - len(line.lstrip()) > own):
                break
            k += 1
            if line.strip():
                end = k
        return start, end

    def own_tasks_in(self, start: int, end: int) -> list[Task]:
        found = {r.task.id: r.task for r in self.mod.regions
                 if r.task is not None and r.task.id in self.own and start <= r.start <= end}
        return sorted(found.values(), key=task_rank)

    # -- units -------------------------------------------------------------------------------

    def units(self) -> list[Unit]:
        if not self.own_tasks_in(1, len(self.lines) + 1):
            return [Unit(self.mod.name, "given", None, self.render(1, len(self.lines)))]
        out: list[Unit] = []
        body = [s for s in self.mod.tree.body]
        floor = 0
        given_from: int | None = 1
        for stmt in body:
            start, end = self.span(stmt, floor)
            tasks = self.own_tasks_in(start, end)
            if not tasks:
                floor = end
                continue
            if given_from is not None and start > given_from:
                text = self.render(given_from, start - 1)
                if text.strip():
                    out.append(Unit(self.mod.name, "given", None, text))
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if len(tasks) > 1:
                    raise UsageError(f"{rel(self.mod.path)}:{stmt.lineno}: {stmt.name} holds regions of several tasks")
                out.append(Unit(self.mod.name, "solution", tasks[0], self.render(start, end)))
            elif isinstance(stmt, ast.ClassDef):
                out += self._class_units(stmt, start, end, tasks)
            else:
                raise UsageError(f"{rel(self.mod.path)}:{stmt.lineno}: a solution region must sit in a top-level "
                                 f"function or a method of a top-level class to go into a notebook")
            floor = end
            given_from = end + 1
        if given_from is not None and given_from <= len(self.lines):
            text = self.render(given_from, len(self.lines))
            if text.strip():
                out.append(Unit(self.mod.name, "given", None, text))
        return out

    def _class_units(self, cls: ast.ClassDef, start: int, end: int, tasks: list[Task]) -> list[Unit]:
        primary = tasks[0]
        later: list[tuple[ast.stmt, int, int, Task]] = []
        floor = cls.lineno
        for item in cls.body:
            s, e = self.span(item, floor)
            floor = e
            item_tasks = self.own_tasks_in(s, e)
            if len(item_tasks) > 1:
                raise UsageError(f"{rel(self.mod.path)}:{item.lineno}: {cls.name}.{getattr(item, 'name', '?')} "
                                 f"holds regions of several tasks")
            if item_tasks and item_tasks[0].id != primary.id:
                if not isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    raise UsageError(f"{rel(self.mod.path)}:{item.lineno}: only methods of {cls.name} may belong to "
                                     f"a later task than {primary.id}")
                later.append((item, s, e, item_tasks[0]))
        skip: set[int] = set()
        for _item, s, e, _ in later:
            skip.update(range(s, e + 1))
            b = s - 1
            while b > cls.lineno and not self.lines[b - 1].strip():
                skip.add(b)
                b -= 1
        out = [Unit(self.mod.name, "solution", primary, self.render(start, end, skip))]
        body_indent = _indent(self.lines[cls.body[0].lineno - 1])
        for item, s, e, task in later:
            out.append(Unit(self.mod.name, "attach", task, self._attach(cls, item, s, e, body_indent), cls.name))
        return out

    def _attach(self, cls: ast.ClassDef, item: Any, s: int, e: int, indent: str) -> str:
        """A later task's method, defined on its own and attached to the class (or, where that would
        change its meaning, added by a subclass of the same name)."""
        name = item.name
        uses_class_cell = any(isinstance(n, ast.Name) and n.id == "super" for n in ast.walk(item)) or any(
            isinstance(n, ast.Attribute) and n.attr.startswith("__") and not n.attr.endswith("__")
            for n in ast.walk(item))
        if not uses_class_cell and name not in self.all_names and name not in RESERVED:
            try:
                body = self.render(s, e, dedent=indent)
                return f"{body}\n\n\n{cls.name}.{name} = {name}\ndel {name}"
            except ValueError:
                pass
        body = self.render(s, e)
        return f"class {cls.name}({cls.name}):  # adds {name} to the class above\n{body}"
