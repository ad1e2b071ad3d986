"""Write the whole MkDocs project, ``.grader/docs-src/``: configuration, every page, KaTeX."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ... import manifest
from . import api, assignment_pages, config, gallery, handwritten, katex, links, readme
from .layout import DOCS, SITE, SRC


@dataclass
class Sources:
    config: Path
    pages: dict[str, str]
    #: things worth a look that do not stop the build (a model file that does not build yet)
    notes: list[str] = field(default_factory=list)


def generate(src: Path = SRC, site_dir: Path = SITE, *,
             assignments: Sequence[manifest.Assignment] | None = None, docs: Path = DOCS,
             with_api: bool = True, with_gallery: bool = True) -> Sources:
    """Write the project under ``src`` (emptied first). ``assignments`` defaults to every one;
    a project test passes its own (a planted handout) and leaves out the slow parts."""
    chosen = manifest.all_assignments() if assignments is None else assignments
    pages: dict[str, str] = {}
    pages.update(handwritten.pages(docs))
    for a in chosen:
        path, text = assignment_pages.render(a)
        pages[path] = text
    notes: list[str] = []
    if with_gallery:
        results = gallery.tables()
        pages.update(gallery.render(results))
        notes += gallery.problems(results)
    if with_api:
        found = api.groups()
        pages["api/index.md"] = api.index(found)
        for group, files in found.items():
            path, text = api.render(group, files)
            pages[path] = text
    pages.update(readme.instructor_pages())
    pages = {page: links.resolve(text, page) for page, text in pages.items()}
    if not with_api:
        pages = {page: links.unlink_api(text) for page, text in pages.items()}
    if src.exists():
        shutil.rmtree(src)
    out = src / "docs"
    for page, text in pages.items():
        target = out / page
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    katex.install(out)
    return Sources(config.write(src, pages, site_dir), pages, notes)
