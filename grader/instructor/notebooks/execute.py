"""Executing a notebook without a kernel (the project's tests; quick feedback while authoring).

:func:`released` makes what ``nbgrader generate_assignment`` makes of a source notebook, and
:func:`execute` runs a notebook's code cells in order in this process, as a kernel would.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Iterable

from ..strip import BEGIN, END
from .cells import HIDDEN_BEGIN, HIDDEN_END, cell_source


def released(source_nb: dict[str, Any], keep_tasks: Iterable[str] = ()) -> dict[str, Any]:
    """What ``generate_assignment`` makes of a source notebook (solution regions -> stubs, hidden tests removed),
    except that the solution cells of ``keep_tasks`` keep their code (a student who solved those tasks)."""
    keep = {f"task_{t.replace('.', '_')}_code" for t in keep_tasks}
    out = copy.deepcopy(source_nb)
    for cell in out["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = meta.get("grade_id", "")
        lines = cell_source(cell).split("\n")
        new: list[str] = []
        skip = False
        for line in lines:
            m = BEGIN.match(line)
            if m and re.sub(r"_\d+$", "", gid) in keep:
                continue
            if m or HIDDEN_BEGIN in line:
                skip = True
                if m:
                    new += [f"{m.group(1)}# YOUR CODE HERE", f"{m.group(1)}raise NotImplementedError()"]
                continue
            if END.match(line) or HIDDEN_END in line:
                skip = False
                continue
            if not skip:
                new.append(line)
        cell["source"] = "\n".join(new)
    return out


@dataclass
class CellRun:
    ok: bool
    output: str
    results: list[Any]      # the check cell's :class:`grader.outcome.TestRecord` list


def execute(nb: dict[str, Any]) -> dict[str, CellRun]:
    """Run a notebook's code cells in order in this process: ``{grade_id of a check cell: CellRun}``."""
    import __future__

    import contextlib
    import io
    import linecache
    flags = __future__.annotations.compiler_flag
    ns: dict[str, Any] = {"__name__": "__notebook__"}
    out: dict[str, CellRun] = {}
    for k, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        buf = io.StringIO()
        ok = True
        name, src = f"<notebook>/cell {k}", cell_source(cell)   # one folder for the cells, as a kernel has
        linecache.cache[name] = (len(src), None, src.splitlines(True), name)
        try:
            with contextlib.redirect_stdout(buf):
                exec(compile(src, name, "exec", flags=flags, dont_inherit=True), ns)
        except Exception as exc:  # noqa: BLE001 - a failing cell is a result
            ok = False
            buf.write(f"{type(exc).__name__}: {exc}")
        if meta.get("grade"):
            checks = ns.pop("checks", None)
            out[meta["grade_id"]] = CellRun(ok, buf.getvalue(), list(getattr(checks, "results", [])))
        elif not ok:
            raise RuntimeError(f"cell {meta.get('grade_id', k)} failed: {buf.getvalue()[-2000:]}")
    return out
