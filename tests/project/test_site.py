"""The course site (``make docs``): generated pages, links, the gallery, and the leak check over its HTML."""
from __future__ import annotations

import dataclasses
import importlib.util
import shutil
from pathlib import Path

import pytest

from grader import manifest
from grader.instructor import leaks
from grader.instructor.site import assignment_pages, gallery, links, readme
from grader.instructor.site.layout import KATEX_NODE_MODULES


def _assignment(aid: str) -> manifest.Assignment:
    return next(a for a in manifest.all_assignments() if a.id == aid)


def test_placeholder_links_resolve_or_read_as_coming() -> None:
    a = _assignment("03")
    text = links.resolve("[x](assignment:03) [y](assignment:99) [lin](lib:nn/linear.py::Linear.forward) "
                         "[z](lib:nn/no_such_file.py)", "concepts/backprop.md")
    assert f"[x](../assignments/{a.slug}.md)" in text
    assert "[y](" not in text and "y" in text
    assert "(../api/nn.md#starter.nn.linear.Linear.forward)" in text
    assert "`z` (coming)" in text


def test_assignment_page_has_the_manifests_table_and_commands() -> None:
    a = _assignment("03")
    page, text = assignment_pages.render(a)
    assert page == f"assignments/{a.slug}.md"
    for t in a.tasks:
        assert f"| {t.id} | {t.title} |" in text
    assert "make test A=03 T=03.1 V=1" in text
    assert "<!-- tasks:begin -->" not in text


def test_handout_links_become_site_links() -> None:
    a = _assignment("03")
    other = _assignment("04")
    text = assignment_pages.rewrite_links(
        f"see [next](../{other.slug}/README.md), [file](../../starter/nn/linear.py), [gone](notes.txt)\n"
        "```\n[kept](../x.md)\n```\n", a, assignment_pages.links.assignment_page(a))
    assert f"[next]({other.slug}.md)" in text
    assert "(../api/nn.md#starter.nn.linear)" in text
    assert "gone" in text and "notes.txt" not in text
    assert "[kept](../x.md)" in text


def test_instructor_guide_is_generated_from_readme_sections() -> None:
    text = "# T\n\nintro\n\n## For students\n\ns\n\n## For instructors\n\n### Layout\n\n```\n## not a heading\n```\n"
    pages = readme.instructor_pages(text)
    assert "instructors/for-instructors.md" in pages
    assert "## Layout" in pages["instructors/for-instructors.md"]
    assert "## not a heading" in pages["instructors/for-instructors.md"]
    assert not any("for-students" in p for p in pages)
    assert readme.introduction(text) == "intro"


def test_gallery_lists_a_missing_model_as_coming() -> None:
    pages = gallery.render({})
    index = pages["architectures/index.md"]
    for m in gallery.MODELS:
        assert f"| {m.title} | | | coming |" in index
    result = {"input": [1, 1, 28, 28], "output": [1, 10], "parameters": 12, "own_parameters": 0,
              "layers": [{"name": "features.0", "type": "Conv2d", "shape": [1, 6, 28, 28], "parameters": 12}]}
    page = gallery.render({"lenet": result})["architectures/lenet.md"]
    assert "| 1 | `features.0` | `Conv2d` | `(N, 6, 28, 28)` | 12 |" in page
    assert "make train MODEL=" in page


def test_site_leak_scan_reads_highlighted_code_as_text(tmp_path: Path) -> None:
    secret = leaks.Secret(leaks.normalise("dW = grad_out.T @ x_flat"), "reference/nn/linear.py:1",
                          "dW = grad_out.T @ x_flat")
    page = tmp_path / "a" / "index.html"
    page.parent.mkdir()
    page.write_text('<pre><code><span class="n">dW</span> <span class="o">=</span> '
                    '<span class="n">grad_out</span><span class="o">.</span>T &#64; x_flat\n</code></pre>')
    (tmp_path / "index.html").write_text("<p>nothing to see</p>")
    found = leaks.scan_site(tmp_path, [secret])
    assert found and found[0].startswith("a/index.html:") and "reference/nn/linear.py:1" in found[0]


needs_mkdocs = pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None
                                  or not (KATEX_NODE_MODULES / "katex").is_dir(),
                                  reason="the docs tools are not installed (make docs installs them)")


@needs_mkdocs
def test_site_leak_check_fails_on_a_planted_solution_line_in_a_handout(tmp_path: Path) -> None:
    from grader.instructor.site.build import build
    secrets = leaks.all_secrets()
    secret = next(s for s in secrets if s.where.startswith("reference/nn/linear.py"))
    a = _assignment("03")
    folder = tmp_path / "handouts" / a.slug
    folder.mkdir(parents=True)
    shutil.copyfile(a.folder / "manifest.toml", folder / "manifest.toml")
    handout = (a.folder / "README.md").read_text(encoding="utf-8")
    (folder / "README.md").write_text(handout + f"\n\nA hint:\n\n```python\n{secret.text}\n```\n", encoding="utf-8")
    planted = dataclasses.replace(a, folder=folder)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\n[03](assignment:03)\n", encoding="utf-8")

    clean = build(tmp_path / "src-clean", tmp_path / "site-clean", assignments=[a], docs=docs,
                  with_api=False, with_gallery=False)
    assert clean.problems == []
    assert leaks.scan_site(clean.site, secrets) == []

    built = build(tmp_path / "src", tmp_path / "site", assignments=[planted], docs=docs,
                  with_api=False, with_gallery=False)
    assert built.problems == []
    found = leaks.scan_site(built.site, secrets)
    page = f"assignments/{a.slug}/index.html"
    assert any(p.startswith(page + ":") and secret.where in p for p in found), found
    assert any(p.startswith("search/search_index.json:") for p in found), found


def test_placeholders_inside_code_are_left_alone() -> None:
    text = "`[t](assignment:03)` and\n```\n[u](lib:nn/linear.py)\n```\n[v](assignment:03)"
    out = links.resolve(text, "index.md")
    assert "`[t](assignment:03)`" in out and "[u](lib:nn/linear.py)" in out
    assert "[v](assignments/" in out
