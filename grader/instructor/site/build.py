"""``make docs``: generate the sources and run ``mkdocs build --strict``; a warning is a failure."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ... import manifest
from .layout import DOCS, SITE, SRC
from .sources import Sources, generate


@dataclass(frozen=True)
class Built:
    site: Path
    sources: Sources
    problems: list[str]     # mkdocs's warnings and errors (empty: the site is built)
    seconds: float


def mkdocs(args: list[str], config: Path, capture: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mkdocs", *args, "-f", str(config)],
                          cwd=config.parent, capture_output=capture, text=True,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})


def build(src: Path = SRC, site: Path = SITE, *, assignments: Sequence[manifest.Assignment] | None = None,
          docs: Path = DOCS, with_api: bool = True, with_gallery: bool = True) -> Built:
    """Generate the project under ``src`` (see :func:`.sources.generate`) and build it into ``site``."""
    t0 = time.perf_counter()
    sources = generate(src, site, assignments=assignments, docs=docs, with_api=with_api, with_gallery=with_gallery)
    proc = mkdocs(["build", "--strict", "--clean"], sources.config)
    log = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    problems = [ln for ln in log if ln.startswith(("WARNING", "ERROR")) or "Aborted" in ln]
    if proc.returncode != 0 and not problems:
        problems = log[-20:] or [f"mkdocs exited {proc.returncode}"]
    return Built(site, sources, problems, time.perf_counter() - t0)
