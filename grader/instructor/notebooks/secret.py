"""What a release must not hold: the lines of the solution regions and hidden tests, and nbgrader's markers."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ...manifest import Assignment
from ...paths import REFERENCE, rel
from .cells import cell_source
from .reference import ModuleInfo, reference_modules
from .testfiles import test_files


def _code_lines(text: str) -> set[str]:
    return {ln.strip() for ln in text.split("\n") if ln.strip()}


def secret_lines(a: Assignment, mods: dict[str, ModuleInfo] | None = None) -> dict[str, str]:
    """``{line: where it comes from}``: what a release of ``a`` must not hold, read from the source files.

    The lines of the assignment's solution regions and of its hidden test files, less every line that is
    public anyway: the starter text of every module, the public tests, the handout.
    """
    from ..strip import covers_index, strip_source
    mods = reference_modules() if mods is None else mods
    own = {t.id for t in a.tasks}
    secret: dict[str, str] = {}
    public: set[str] = set()
    index = covers_index()
    for m in mods.values():
        public |= _code_lines(strip_source(m.path, index, REFERENCE))
        for r in m.regions:
            if r.task is not None and r.task.id in own:
                for line in m.lines[r.start:r.end - 1]:
                    if line.strip():
                        secret.setdefault(line.strip(), f"{rel(m.path)} (task {r.task.id})")
    tests, conftests = test_files(a)
    for f in tests + conftests:
        if f.hidden:
            for line in f.source.split("\n"):
                if line.strip():
                    secret.setdefault(line.strip(), f.name)
        else:
            public |= _code_lines(f.source)
    handout = a.folder / "README.md"
    if handout.is_file():
        public |= _code_lines(handout.read_text(encoding="utf-8"))
    return {k: v for k, v in secret.items() if k not in public and len(k) > 3}


def leaks(a: Assignment, release_nb: dict[str, Any], secret: dict[str, str] | None = None) -> list[str]:
    """What a released notebook of ``a`` gives away: solution lines, hidden test lines, nbgrader markers."""
    problems: list[str] = []
    secret = secret_lines(a) if secret is None else secret
    for cell in release_nb["cells"]:
        src = cell_source(cell)
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "?")
        for d in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            if d in src:
                problems.append(f"cell {gid}: still holds the marker {d!r}")
        for line in src.split("\n"):
            s = line.strip()
            if s in secret:
                what = "a hidden test" if "/hidden/" in secret[s] else "a solution"
                problems.append(f"cell {gid}: gives away {what} line (from {secret[s]}): {s[:70]!r}")
    return problems


def feedback_leaks(path: Path, hidden_lines: dict[str, str]) -> list[str]:
    """Hidden test lines (or the hidden-test marker) in a feedback page's text."""
    import html
    text = html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))
    found = [ln.strip() for ln in text.split("\n") if ln.strip() in hidden_lines]
    out = [f"quotes the hidden tests ({hidden_lines[found[0]]}): {found[0][:70]!r}"] if found else []
    if "BEGIN HIDDEN TESTS" in text:
        out.append("holds the hidden-test marker")
    return out
