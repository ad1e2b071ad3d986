"""The hand-written pages of ``docs/`` (home, concept hub), with their placeholders filled in.

Besides the ``assignment:`` and ``lib:`` links of :mod:`.links`, a page may hold

* ``<!-- readme: intro -->`` or ``<!-- readme: SECTION -->``: that part of README.md, so the home
  page says what the README says without a second copy;
* ``<!-- assignments -->``: the path through the course, one line per assignment from its manifest.
"""
from __future__ import annotations

import re
from pathlib import Path

from ... import manifest
from ...report import fmt_points
from . import links, readme
from .layout import DOCS

_README = re.compile(r"^<!-- readme: (.+?) -->$", re.M)
_ASSIGNMENTS = "<!-- assignments -->"


def path_through(page: str) -> str:
    lines = ["| assignment | what you build | points |", "| --- | --- | ---: |"]
    for a in manifest.all_assignments():
        lines.append(f"| [{a.id} · {a.title}]({links.relative(page, links.assignment_page(a))}) | "
                     f"{a.summary or a.title} | {fmt_points(a.max_points)} |")
    return "\n".join(lines)


def fill(text: str, page: str) -> str:
    def part(m: re.Match[str]) -> str:
        name = m.group(1).strip()
        return readme.introduction() if name == "intro" else readme.section(name).body
    text = _README.sub(part, text)
    text = text.replace(_ASSIGNMENTS, path_through(page))
    return links.resolve(text, page)


def pages(folder: Path = DOCS) -> dict[str, str]:
    """``{page path: Markdown}`` for every ``.md`` file of ``docs/``."""
    out: dict[str, str] = {}
    for path in sorted(folder.rglob("*.md")):
        page = path.relative_to(folder).as_posix()
        out[page] = fill(path.read_text(encoding="utf-8"), page)
    return out
