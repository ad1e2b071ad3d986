"""The ``make check`` item: build the site, scan it for leaks, drive it in headless Chromium."""
from __future__ import annotations

from pathlib import Path

from ...errors import UsageError
from .. import leaks
from . import browser
from .build import build
from .layout import SHOTS


def check(shots: Path = SHOTS) -> tuple[list[str], str]:
    """``(problems, summary)``; anything that goes wrong on the way is a problem, never a crash of the checklist."""
    try:
        return _check(shots)
    except UsageError:
        raise
    except Exception as exc:  # a browser that dies, a page generator that trips: report it as the item's failure
        return [f"{type(exc).__name__}: {exc}".splitlines()[0][:500]], ""


def _check(shots: Path) -> tuple[list[str], str]:
    built = build()
    if built.problems:
        return [f"mkdocs build --strict: {p}" for p in built.problems], ""
    problems = leaks.scan_site(built.site)
    leaked = f"{len(problems)} leak(s) in the HTML" if problems else "no leak in the HTML"
    seen = browser.drive(built.site, shots)
    problems += seen.problems
    return problems, f"{len(built.sources.pages)} pages built in {built.seconds:.1f}s, {leaked}; {seen.summary}"
