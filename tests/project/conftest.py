"""Fixtures for the project's own tests (not graded)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.paths import REFERENCE


@pytest.fixture
def reference_copy(tmp_path: Path):
    """A function that copies the reference into ``tmp/<name>/starter`` and applies text edits to it."""
    def make(name: str = "sub", edits: dict[str, list[tuple[str, str]]] | None = None) -> Path:
        root = tmp_path / name
        shutil.copytree(REFERENCE, root / "starter", ignore=shutil.ignore_patterns("__pycache__"))
        for file, pairs in (edits or {}).items():
            path = root / "starter" / file
            text = path.read_text()
            for old, new in pairs:
                assert old in text, f"{old!r} not in {file}"
                text = text.replace(old, new)
            path.write_text(text)
        return root
    return make
