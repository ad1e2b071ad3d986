"""Where things live in the repository."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ROOT / "assignments"
TESTS = ROOT / "tests"
STARTER = ROOT / "starter"
REFERENCE = ROOT / "reference"
GRADER = ROOT / "grader"


def rel(path: Path | str) -> str:
    """``path`` relative to the repository root when it lies inside it, else as given."""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(ROOT))
    except ValueError:
        return str(path)
