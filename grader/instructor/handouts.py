"""The task table in each handout (``assignments/NN-topic/README.md``), generated from its manifest.

The table sits between ``<!-- tasks:begin -->`` and ``<!-- tasks:end -->``;
``make handouts`` rewrites it and ``make check`` fails when it is stale.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import UsageError
from ..manifest import Assignment, all_assignments
from ..paths import rel
from ..report import fmt_points

BLOCK = re.compile(r"(<!-- tasks:begin -->\n)(.*?)(<!-- tasks:end -->)", re.S)


def table(a: Assignment) -> str:
    lines = [f"<!-- generated from {a.slug}/manifest.toml by `make handouts`; edit the manifest, not this table -->",
             "", "| task | title | points | you write |", "| --- | --- | ---: | --- |"]
    for t in a.tasks:
        by_file: dict[str, list[str]] = {}
        for c in t.covers:
            by_file.setdefault(c.path, []).append(f"`{c.qualname}`")
        names = "; ".join(f"{', '.join(qs)} in `{path}`" for path, qs in by_file.items())
        lines.append(f"| {t.id} | {t.title} | {fmt_points(t.points)} | {names} |")
    lines.append(f"| | **total** | **{fmt_points(a.max_points)}** | |")
    return "\n".join(lines) + "\n"


def rendered(a: Assignment) -> tuple[Path, str, str]:
    path = a.folder / "README.md"
    if not path.is_file():
        raise UsageError(f"{rel(path)} is missing: every assignment needs a handout")
    text = path.read_text(encoding="utf-8")
    if not BLOCK.search(text):
        raise UsageError(f"{rel(path)} has no '<!-- tasks:begin -->' ... '<!-- tasks:end -->' block for the task table")
    return path, text, BLOCK.sub(lambda m: m.group(1) + table(a) + m.group(3), text, count=1)


def stale() -> list[str]:
    out = []
    for a in all_assignments():
        try:
            path, old, new = rendered(a)
        except UsageError as exc:
            out.append(str(exc))
            continue
        if old != new:
            out.append(f"{rel(path)}: the task table is stale; run `make handouts`")
    return out


def write() -> list[str]:
    """Rewrite every stale table; handouts that cannot be rendered are reported after the others are written."""
    changed, problems = [], []
    for a in all_assignments():
        try:
            path, old, new = rendered(a)
        except UsageError as exc:
            problems.append(str(exc))
            continue
        if old != new:
            path.write_text(new, encoding="utf-8")
            changed.append(rel(path))
    if problems:
        raise UsageError("; ".join(problems) + (f" (wrote {', '.join(changed)})" if changed else ""))
    return changed
