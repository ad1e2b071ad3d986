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


def pinned(reqs: list[str], constraints: Path | None = None) -> list[str]:
    """``reqs`` with each package pinned to its version in ``constraints.txt`` (markers kept)."""
    path = constraints or Path(__file__).resolve().parent.parent / "constraints.txt"
    pins: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            name, sep, version = line.strip().partition("==")
            if sep and not name.startswith("#"):
                pins[_key(name)] = version
    out = []
    for req in reqs:
        spec, semi, marker = req.partition(";")
        pkg = re.split(r"[<>=!~\[ ]", spec.strip(), maxsplit=1)[0]
        pin = pins.get(_key(pkg))
        out.append(f"{pkg}=={pin}{semi}{marker}" if pin else req)
    return out


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    print("\n".join(requirements(sys.argv[1:], root / "pyproject.toml")))
