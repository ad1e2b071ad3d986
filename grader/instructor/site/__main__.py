"""``python -m grader.instructor.site build|serve|check``: the course site (``make docs``, ``make docs-serve``)."""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ...errors import UsageError
from .. import leaks
from .build import build, mkdocs
from .checkitem import check
from .sources import generate


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m grader.instructor.site", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="generate the pages and run mkdocs build --strict into build/site")
    s = sub.add_parser("serve", help="generate the pages and preview them with mkdocs serve (no leak check)")
    s.add_argument("--addr", default="127.0.0.1:8000")
    sub.add_parser("check", help="build, scan the HTML for leaks, drive the site in headless Chromium")
    ns = p.parse_args(argv)
    if ns.command == "check":
        problems, summary = check()
        print(f"site: {summary}" if summary else "site:")
        for line in problems:
            print(f"  {line}")
        return 1 if problems else 0
    if ns.command == "serve":  # a preview: mkdocs serve builds the generated sources itself
        sources = generate()
        for note in sources.notes:
            print(f"  note: {note} (listed as coming)")
        print(f"docs: {len(sources.pages)} pages generated in {sources.config.parent}; rerun after editing "
              "a handout, a manifest or docs/")
        return mkdocs(["serve", "-a", ns.addr], sources.config, capture=False).returncode
    built = build()
    for note in built.sources.notes:
        print(f"  note: {note} (listed as coming)")
    for line in built.problems:
        print(f"  {line}")
    if built.problems:
        print(f"docs: mkdocs build --strict failed ({len(built.problems)} problem(s))")
        return 1
    try:
        found = leaks.scan_site(built.site)
    except UsageError as exc:  # the leak rules cannot be computed (e.g. a solution region with no task)
        print(f"docs: the leak check cannot run: {exc}")
        return 1
    for line in found:
        print(f"  {line}")
    print(f"docs: {len(built.sources.pages)} pages in {built.site} ({built.seconds:.1f}s), "
          + ("no leak" if not found else f"{len(found)} leak(s)"))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
