"""The README's sample output, generated from a real run so that it is always true.

The sample is assignment 03 as a student meets it halfway: ``Linear`` written, with the weight
gradient transposed (the classic slip), and the other tasks not started. :func:`render` builds
that copy of the starter, runs ``python -m grader test 03`` on it, and returns the table exactly
as printed; :func:`write` puts it between ``<!-- sample:begin -->`` and ``<!-- sample:end -->``
in README.md, and :func:`stale` tells ``make check`` when the README no longer shows what a run prints.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import UsageError
from ..paths import REFERENCE, ROOT, STARTER

README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- sample:begin[^\n]*-->\n)(.*?)(<!-- sample:end -->)", re.S)
#: the student's half-done work: the file filled from the reference, then one classic slip applied
FILLED = "nn/linear.py"
SLIP = ("self.W.grad += g2.T @ x2", "self.W.grad += x2.T @ g2")


def render() -> str:
    """The table ``make test A=03`` prints for the sample copy (colour off, labelled ``starter``)."""
    with tempfile.TemporaryDirectory(prefix="nnott-sample-") as tmp:
        pkg = Path(tmp) / "starter"
        shutil.copytree(STARTER, pkg, ignore=shutil.ignore_patterns("__pycache__"))
        text = (REFERENCE / FILLED).read_text(encoding="utf-8")
        if text.count(SLIP[0]) != 1:
            raise UsageError(f"the README sample plants {SLIP[0]!r} in reference/{FILLED}, which no longer has it once")
        (pkg / FILLED).write_text(text.replace(*SLIP), encoding="utf-8")
        proc = subprocess.run([sys.executable, "-m", "grader", "test", "03", "--impl", str(pkg)], cwd=ROOT,
                              capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=600)
        if proc.returncode not in (0, 1) or "Assignment 03" not in proc.stdout:
            raise UsageError(f"the README sample run failed: {(proc.stderr or proc.stdout).strip()[-400:]}")
        out = proc.stdout.replace(str(pkg), "starter").replace(os.path.relpath(pkg, ROOT), "starter")
        return "\n".join(line.rstrip() for line in out.strip().splitlines()) + "\n"


def _block(text: str) -> re.Match[str]:
    m = BLOCK.search(text)
    if not m:
        raise UsageError("README.md has no '<!-- sample:begin -->' ... '<!-- sample:end -->' block")
    return m


def expected_readme(sample: str | None = None) -> str:
    text = README.read_text(encoding="utf-8")
    m = _block(text)
    body = "```\n" + (render() if sample is None else sample) + "```\n"
    return text[: m.start(2)] + body + text[m.end(2):]


def stale() -> list[str]:
    return [] if README.read_text(encoding="utf-8") == expected_readme() else \
        ["README.md: the sample output is not what `make test A=03` prints for it: run `python -m grader readme-sample`"]


def write() -> bool:
    new = expected_readme()
    if new == README.read_text(encoding="utf-8"):
        return False
    README.write_text(new, encoding="utf-8")
    return True
