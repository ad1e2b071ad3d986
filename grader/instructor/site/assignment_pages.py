"""One page per assignment: its handout, the task table from its manifest, the exact commands.

The handout's ``<!-- tasks:begin -->`` block is replaced by a richer table (each name linked to
its API entry, each task with its public test files) and a section of commands; an
assignment whose handout is not written yet gets a page from its manifest alone. Links in a
handout to another handout or to a library file are rewritten to the site's pages.
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath

from ... import manifest
from ...paths import TESTS
from ...report import fmt_points
from ..handouts import BLOCK
from . import links

_FENCE = re.compile(r"^(```|~~~)", re.M)
_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(([^)\s]+)\)")
_H1 = re.compile(r"^# +(.+?)\s*$", re.M)


def public_tests(a: manifest.Assignment, task: manifest.Task) -> list[str]:
    """The public test files of ``task`` (``tests/a03_linear/test_03_2_*.py``), relative to the root."""
    stem = "test_" + task.id.replace(".", "_") + "_"
    return sorted(p.relative_to(TESTS.parent).as_posix() for p in a.tests_dir.glob(stem + "*.py"))


def task_table(a: manifest.Assignment, page: str) -> str:
    rows = ["| task | title | points | you write | public tests |", "| --- | --- | ---: | --- | --- |"]
    for t in a.tasks:
        names = "; ".join(", ".join(links.lib_link(c.qualname, str(c), page) for c in t.covers if c.path == f)
                          + f" in `{f}`" for f in t.files)
        tests = "<br>".join(f"`{PurePosixPath(p).name}`" for p in public_tests(a, t)) or "(none yet)"
        rows.append(f"| {t.id} | {t.title} | {fmt_points(t.points)} | {names} | {tests} |")
    rows.append(f"| | **total** | **{fmt_points(a.max_points)}** | | |")
    return "\n".join(rows) + "\n"


def commands(a: manifest.Assignment) -> str:
    first = a.tasks[0].id
    files = sorted({f"starter/{f}" for t in a.tasks for f in t.files})
    return "\n".join([
        "## Commands", "",
        f"Fill in every block that raises `NotImplementedError` in {', '.join(f'`{f}`' for f in files)}, then:", "",
        "```",
        f"make test A={a.id}              # every task of this assignment, on your starter/",
        f"make test A={a.id} T={first} V=1   # one task, with pytest's full output",
        "make list                   # every assignment, task and point",
        "```", ""])


def _rewrite_link(label: str, target: str, a: manifest.Assignment, page: str) -> str:
    """A handout's relative link as a link on the site (or plain text where the site has no such page)."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
        return f"[{label}]({target})"
    path = PurePosixPath(target.split("#")[0])
    parts = [p for p in path.parts if p not in (".", "..")]
    by_slug = {x.slug: x for x in manifest.all_assignments()}
    if len(parts) >= 1 and parts[0] in by_slug:
        return f"[{label}]({links.relative(page, links.assignment_page(by_slug[parts[0]]))})"
    if parts and parts[0] in ("starter", "reference") and path.suffix == ".py":
        return links.lib_link(label.strip("`"), "/".join(parts[1:]), page)
    return label


def rewrite_links(text: str, a: manifest.Assignment, page: str) -> str:
    """Rewrite the handout's links outside code fences (see :func:`_rewrite_link`)."""
    out: list[str] = []
    inside = False
    for chunk in _FENCE.split(text):
        if chunk in ("```", "~~~"):
            inside = not inside
        elif not inside:
            chunk = _LINK.sub(lambda m: _rewrite_link(m.group(1), m.group(2), a, page), chunk)
        out.append(chunk)
    return "".join(out)


def render(a: manifest.Assignment) -> tuple[str, str]:
    """``(page path, Markdown)`` for assignment ``a``."""
    page = links.assignment_page(a)
    handout = a.folder / "README.md"
    table = task_table(a, page)
    if handout.is_file():
        text = rewrite_links(handout.read_text(encoding="utf-8"), a, page)
        if not _H1.search(text):
            text = f"# {a.id} · {a.title}\n\n" + text
        if BLOCK.search(text):
            text = BLOCK.sub(lambda m: table, text, count=1)
        else:
            text = text.rstrip("\n") + "\n\n## Tasks\n\n" + table
    else:
        text = (f"# {a.id} · {a.title}\n\n{a.summary}\n\n"
                "!!! note \"The handout is being written\"\n"
                "    Until it is here, the docstrings of the files below (see the API reference) give every shape.\n\n"
                "## Tasks\n\n" + table)
    return page, text.rstrip("\n") + "\n\n" + commands(a)
