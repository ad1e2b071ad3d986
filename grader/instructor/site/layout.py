"""Where the site's inputs and outputs live."""
from __future__ import annotations

from ...paths import ROOT

#: the hand-written pages that belong to no assignment (home, concept hub)
DOCS = ROOT / "docs"
#: the generated MkDocs project: ``mkdocs.yml`` and ``docs/`` (build output, git-ignored)
SRC = ROOT / ".grader" / "docs-src"
#: the built static site (build output, git-ignored)
SITE = ROOT / "build" / "site"
#: screenshots the browser test saves
SHOTS = ROOT / "build" / "site-screenshots"
#: the npm package ``katex``, installed by the Makefile
KATEX_NODE_MODULES = ROOT / ".grader" / "tools" / "katex" / "node_modules"
#: the layer tables of the gallery, keyed by a digest of the library's source
GALLERY_CACHE = ROOT / ".grader" / "docs-cache" / "gallery.json"

#: folders of the generated docs
ASSIGNMENTS_DIR = "assignments"
CONCEPTS_DIR = "concepts"
MODELS_DIR = "architectures"
API_DIR = "api"
INSTRUCTORS_DIR = "instructors"
