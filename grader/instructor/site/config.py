"""The MkDocs configuration, written as ``mkdocs.yml`` beside the generated pages (JSON is YAML).

Material with no web fonts (``font: false``: nothing is fetched from another host), search,
mkdocstrings over ``starter/`` for the API reference, pymdownx's arithmatex in generic mode for
the maths (typeset by :mod:`.katex`), and a navigation in the order of the course.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...paths import ROOT
from . import katex

#: the concept hub's pages in reading order; a page of docs/concepts/ not listed here comes after them
CONCEPTS = ("index", "backprop", "activations", "loss-and-softmax", "normalisation", "regularisation",
            "optimisers", "convolution", "backends")

NavItem = dict[str, Any]


def _title(markdown: str, fallback: str) -> str:
    for line in markdown.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return fallback


def nav(pages: dict[str, str]) -> list[NavItem]:
    """The navigation: home, assignments, concepts, architectures, API, instructors; each section's index
    first, then its pages in the order of :data:`CONCEPTS` or else the order they were generated in
    (assignments by number, models by year, API folders by tier, README sections as they come)."""
    def section(title: str, folder: str, order: tuple[str, ...] = ()) -> NavItem | None:
        mine = [p for p in pages if p.startswith(folder + "/")]
        if not mine:
            return None
        rank = {f"{folder}/{name}.md": i for i, name in enumerate(order)}
        made = {p: i for i, p in enumerate(pages)}      # otherwise, the order the pages were generated in
        mine.sort(key=lambda p: (p != f"{folder}/index.md", rank.get(p, len(rank)), made[p]))
        return {title: [{_title(pages[p], p): p} for p in mine]}

    items: list[NavItem | None] = [
        {"Home": "index.md"},
        section("Assignments", "assignments"),
        section("Concepts", "concepts", CONCEPTS),
        section("Architectures", "architectures"),
        section("API reference", "api"),
        section("Instructors", "instructors"),
    ]
    return [i for i in items if i is not None]


def config(pages: dict[str, str], site_dir: Path) -> dict[str, Any]:
    return {
        "site_name": "NNOTT Lab",
        "site_description": "An autograded, fill-in-the-blanks deep-learning course in NumPy/CuPy",
        "docs_dir": "docs",
        "site_dir": str(site_dir),
        "strict": True,
        "use_directory_urls": True,
        "validation": {"nav": {"omitted_files": "info", "not_found": "warn"},
                       "links": {"not_found": "warn", "absolute_links": "warn", "unrecognized_links": "warn"}},
        "theme": {"name": "material", "font": False, "language": "en",
                  "features": ["navigation.sections", "navigation.indexes", "navigation.top", "search.highlight",
                               "content.code.copy"],
                  "palette": {"scheme": "default", "primary": "indigo", "accent": "indigo"}},
        "plugins": [
            "search",
            {"mkdocstrings": {"default_handler": "python", "handlers": {"python": {
                "paths": [str(ROOT)],
                "options": {"docstring_style": "google",
                            "docstring_options": {"warnings": False},
                            "show_source": False, "show_root_heading": True, "show_root_full_path": True,
                            "heading_level": 2, "members_order": "source", "show_if_no_docstring": True,
                            "filters": ["!^_[^_]"], "show_signature_annotations": True,
                            "separate_signature": True, "show_bases": True, "show_submodules": False}}}}},
        ],
        "markdown_extensions": [
            "tables", "admonition", "attr_list", "md_in_html", "def_list",
            {"toc": {"permalink": True}},
            {"pymdownx.arithmatex": {"generic": True}},
            {"pymdownx.highlight": {"anchor_linenums": False}},
            "pymdownx.inlinehilite", "pymdownx.superfences", "pymdownx.details",
        ],
        "extra_javascript": list(katex.JAVASCRIPT),
        "extra_css": list(katex.CSS),
        "nav": nav(pages),
    }


def write(src: Path, pages: dict[str, str], site_dir: Path) -> Path:
    path = src / "mkdocs.yml"
    path.write_text(json.dumps(config(pages, site_dir), indent=1) + "\n", encoding="utf-8")
    return path
