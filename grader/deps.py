"""Print the pip requirements of pyproject.toml's dependencies and the named extras, one per line.

Run as a plain script (``python3 grader/deps.py test instructor``) before
anything is installed: it uses the standard library only and does not import
the grader package.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path


def _array(text: str, key: str) -> list[str]:
    m = re.search(rf"^{re.escape(key)}\s*=\s*\[(.*?)\]", text, re.S | re.M)
    if not m:
        raise SystemExit(f"pyproject.toml has no {key} = [...] list")
    return re.findall(r'"([^"]+)"', m.group(1))


def requirements(extras: list[str], pyproject: Path) -> list[str]:
    text = pyproject.read_text(encoding="utf-8")
    reqs = _array(text, "dependencies")
    for extra in extras:
        reqs += _array(text, extra)
    return reqs


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    print("\n".join(requirements(sys.argv[1:], root / "pyproject.toml")))
