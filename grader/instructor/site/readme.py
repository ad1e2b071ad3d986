"""README.md's sections, for the pages written nowhere else: the home page's introduction and
the student section, and the instructor guide (every other top-level section, one page each).

A section is a ``## `` heading and everything up to the next one (headings inside code fences
do not count); the text before the first heading is the introduction.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ...errors import UsageError
from ...paths import ROOT
from .layout import INSTRUCTORS_DIR

README = ROOT / "README.md"
#: the sections that are not part of the instructor guide (the home page shows them)
STUDENT_SECTIONS = ("For students",)


@dataclass(frozen=True)
class Section:
    title: str      # "" for the introduction
    body: str       # the Markdown below the heading

    @property
    def slug(self) -> str:
        words = re.findall(r"[a-z0-9]+", self.title.lower())
        return "-".join(words[:4]) or "introduction"


def sections(text: str | None = None) -> list[Section]:
    text = README.read_text(encoding="utf-8") if text is None else text
    out: list[Section] = []
    title, fenced = "", False
    body: list[str] = []
    for line in text.splitlines():
        if line.startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            out.append(Section(title, "\n".join(body).strip("\n")))
            title, body = line[3:].strip(), []
        else:
            body.append(line)
    out.append(Section(title, "\n".join(body).strip("\n")))
    return out


def section(title: str, text: str | None = None) -> Section:
    for s in sections(text):
        if s.title == title:
            return s
    raise UsageError(f"README.md has no section '## {title}' (a page of docs/ asks for it)")


def introduction(text: str | None = None) -> str:
    """The introduction without the README's own ``# `` title."""
    body = sections(text)[0].body
    return re.sub(r"\A# .*\n+", "", body)


def _demote(body: str) -> str:
    """``### x`` -> ``## x`` outside code fences (a section becomes a page with its own ``# `` title)."""
    out, fenced = [], False
    for line in body.splitlines():
        if line.startswith(("```", "~~~")):
            fenced = not fenced
        out.append(line[1:] if not fenced and re.match(r"^#{3,6} ", line) else line)
    return "\n".join(out)


def instructor_pages(text: str | None = None) -> dict[str, str]:
    """``{page path: Markdown}``: one page per instructor section of README.md, and an index."""
    pages: dict[str, str] = {}
    index = ["# Instructor guide", "",
             "These pages are README.md's instructor sections, generated from it at every build.", ""]
    for s in sections(text)[1:]:
        if s.title in STUDENT_SECTIONS:
            continue
        pages[f"{INSTRUCTORS_DIR}/{s.slug}.md"] = f"# {s.title}\n\n{_demote(s.body)}\n"
        index.append(f"* [{s.title}]({s.slug}.md)")
    pages[f"{INSTRUCTORS_DIR}/index.md"] = "\n".join(index) + "\n"
    return pages
