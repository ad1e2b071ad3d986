"""The course site: an MkDocs Material portal generated from the one source.

Nothing on the site is written twice. Its pages come from

* the handouts (``assignments/NN-topic/README.md``) and the manifests: one page per assignment,
  with the task table, the files to edit and the exact commands (:mod:`.assignment_pages`);
* the starter's docstrings and signatures: the API reference, rendered by mkdocstrings
  (:mod:`.api`); the starter is the reference with every solution region stubbed, so no
  solution can appear;
* the reference models, walked and run once on a tiny input: the architecture gallery's layer
  tables (:mod:`.gallery`);
* README.md's instructor sections: the instructor guide (:mod:`.instructor`);
* the small hand-written ``docs/`` folder: the home page and the concept hub, whose
  ``lib:`` and ``assignment:`` links are resolved here (:mod:`.links`).

:mod:`.sources` writes all of it, with the MkDocs configuration (:mod:`.config`) and the KaTeX
files (:mod:`.katex`), under ``.grader/docs-src/``; :mod:`.build` runs ``mkdocs build
--strict`` into ``build/site/``. :func:`check` is the ``make check`` item: it builds the site,
scans it for leaks with the release's rules (:func:`grader.instructor.leaks.scan_site`) and
drives headless Chromium over it (:mod:`.browser`).
"""
from __future__ import annotations

from .checkitem import check

__all__ = ["check"]
