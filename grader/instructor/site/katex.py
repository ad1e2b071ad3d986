r"""KaTeX, served from the built site itself (no CDN): the npm package's files and a small starter script.

``pymdownx.arithmatex`` (generic mode) leaves each formula in a ``span.arithmatex`` (inline,
``\( ... \)``) or ``div.arithmatex`` (display, ``\[ ... \]``); :data:`RENDER` typesets each
one with ``katex.render`` when the page loads. A formula KaTeX cannot parse shows as a red
``.katex-error``, which the browser test looks for.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from ...errors import UsageError
from .layout import KATEX_NODE_MODULES

ASSETS = "assets/katex"
#: what the pages load, in this order (relative to the docs folder)
JAVASCRIPT = (f"{ASSETS}/katex.min.js", "javascripts/render-math.js")
CSS = (f"{ASSETS}/katex.min.css",)

RENDER = r"""// Typeset every formula that pymdownx.arithmatex left on the page, with the KaTeX served by this site.
(function () {
  function typeset(root) {
    root.querySelectorAll(".arithmatex").forEach(function (el) {
      if (el.querySelector(".katex")) { return; }
      var tex = el.textContent.trim();
      var display = tex.startsWith("\\[");
      tex = tex.replace(/^\\[\[(]/, "").replace(/\\[\])]$/, "");
      katex.render(tex, el, { displayMode: display, throwOnError: false });
    });
  }
  if (typeof document$ !== "undefined") {
    document$.subscribe(function () { typeset(document.body); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { typeset(document.body); });
  }
})();
"""


def install(docs: Path, node_modules: Path = KATEX_NODE_MODULES) -> None:
    """Copy KaTeX's script, style sheet and fonts into ``docs/assets/katex``, and the starter script."""
    dist = node_modules / "katex" / "dist"
    if not (dist / "katex.min.js").is_file():
        raise UsageError(f"KaTeX is not installed in {node_modules} (the Makefile's `make docs` installs it: "
                         f"npm install --prefix {node_modules.parent} katex)")
    target = docs / ASSETS
    target.mkdir(parents=True, exist_ok=True)
    for name in ("katex.min.js", "katex.min.css"):
        shutil.copyfile(dist / name, target / name)
    shutil.copytree(dist / "fonts", target / "fonts", dirs_exist_ok=True)
    (docs / "javascripts").mkdir(parents=True, exist_ok=True)
    (docs / "javascripts" / "render-math.js").write_text(RENDER, encoding="utf-8")
