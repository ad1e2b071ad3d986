"""The browser test: serve the built site on 127.0.0.1 and drive headless Chromium over it.

Debian's ``chromium`` and ``chromium-driver`` (installed by the Makefile; a GitHub runner's Google Chrome
and its driver do as well), through Selenium. It

* loads every page and requires no console error (a failed request, a script error);
* follows no link, but checks every internal one: its file exists and its ``#anchor`` is an id of
  the page it points to;
* requires every request to go to the site itself (no CDN, no web font host);
* requires every formula (``.arithmatex``) to be typeset by KaTeX, none as a ``.katex-error``;
* types "im2col" into the search box and requires a result on assignment 08's page (the
  convolution concept page while there is no assignment 08);
* saves screenshots of the home page, of one assignment page (03) and of a concept page with formulas.
"""
from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag

from ... import manifest
from .serve import serving

#: what each page reports about itself once loaded
_PROBE = """
const maths = document.querySelectorAll('.arithmatex');
return {
  links: Array.from(document.querySelectorAll('a[href]'), a => a.href),
  ids: Array.from(document.querySelectorAll('[id]'), e => e.id),
  maths: maths.length,
  typeset: Array.from(maths).filter(e => e.querySelector('.katex')).length,
  errors: document.querySelectorAll('.katex-error').length,
  resources: performance.getEntriesByType('resource').map(r => r.name),
  title: document.title,
};
"""
SEARCH_TERM = "im2col"


@dataclass
class Drive:
    problems: list[str] = field(default_factory=list)
    summary: str = ""
    shots: list[Path] = field(default_factory=list)


def pages(site: Path) -> list[str]:
    """Every page of the site as a path below its root (``assignments/03-linear/``), home first."""
    out = [p.parent.relative_to(site).as_posix() for p in site.rglob("index.html")]
    return sorted(("" if p == "." else p + "/") for p in out)


def _driver() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    binary = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver") or shutil.which("chromedriver", path=os.environ.get("CHROMEWEBDRIVER"))
    if not binary or not driver:
        raise RuntimeError("Chromium is not installed (the Makefile installs it: apt-get install chromium chromium-driver)")
    os.environ.setdefault("SE_AVOID_STATS", "true")
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--hide-scrollbars", "--no-first-run", "--disable-extensions"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=opts, service=Service(executable_path=driver))


def _wait(driver: Any, script: str, timeout: float = 10.0) -> Any:
    end = time.monotonic() + timeout
    while True:
        value = driver.execute_script(script)
        if value or time.monotonic() > end:
            return value
        time.sleep(0.1)


def _target(site: Path, base: str, href: str) -> tuple[str, str] | None:
    """``(page path, anchor)`` of an internal link, or ``None`` for a link to another host."""
    url, anchor = urldefrag(href)
    if not url.startswith(base):
        return None
    path = unquote(url[len(base):].split("?")[0])
    if path == "" or path.endswith("/"):
        path += "index.html"
    return path, anchor


def _search(driver: Any, base: str, expected: str) -> list[str]:
    from selenium.webdriver.common.by import By
    driver.get(base)
    box = driver.find_element(By.CSS_SELECTOR, "input.md-search__input")
    if not box.is_displayed():  # a narrow window: the search opens from a button in the header
        for label in driver.find_elements(By.CSS_SELECTOR, "label[for='__search']"):
            if label.is_displayed():
                label.click()
                break
    box.click()
    box.send_keys(SEARCH_TERM)
    found = _wait(driver, "return Array.from(document.querySelectorAll('.md-search-result__item a'), a => a.href)"
                          ".filter(h => h.includes(arguments[0]));".replace("arguments[0]", repr(expected)), 20.0)
    if not found:
        shown = driver.execute_script("return Array.from(document.querySelectorAll('.md-search-result__item a'),"
                                      " a => a.href).slice(0, 5);")
        return [f"searching {SEARCH_TERM!r} finds no result on {expected} (results: {shown or 'none'})"]
    return []


def drive(site: Path, shots: Path) -> Drive:
    """Run the browser test over the built ``site``; screenshots go to ``shots``."""
    out = Drive()
    t0 = time.perf_counter()
    all_pages = pages(site)
    slugs = {a.id: a.slug for a in manifest.all_assignments()}
    conv = f"assignments/{slugs['08']}/" if "08" in slugs else "concepts/convolution/"
    shot_pages = {"": "home.png", "concepts/normalisation/": "concept-normalisation.png"}
    first = f"assignments/{slugs['03']}/" if "03" in slugs else next((p for p in all_pages if "assignments/" in p), "")
    if first:
        shot_pages[first] = "assignment-" + first.strip("/").split("/")[-1] + ".png"
    try:
        driver = _driver()
    except Exception as exc:  # no browser, or it would not start: say why
        out.problems.append(f"headless Chromium did not start: {exc}")
        return out
    ids: dict[str, set[str]] = {}
    links: list[tuple[str, str, str]] = []
    maths = typeset = 0
    try:
        with serving(site) as base:
            for page in all_pages:
                driver.get(base + page)
                info = driver.execute_script(_PROBE)
                if info["maths"]:
                    _wait(driver, "return Array.from(document.querySelectorAll('.arithmatex'))"
                                  ".every(e => e.querySelector('.katex'));", 5.0)
                    info = driver.execute_script(_PROBE)
                ids[page + "index.html"] = set(info["ids"])
                maths += info["maths"]
                typeset += info["typeset"]
                if info["typeset"] < info["maths"]:
                    out.problems.append(f"{page or '/'}: {info['maths'] - info['typeset']} of {info['maths']} "
                                        "formulas not typeset")
                if info["errors"]:
                    out.problems.append(f"{page or '/'}: {info['errors']} formula(s) KaTeX cannot parse")
                for res in info["resources"]:
                    if not res.startswith(base):
                        out.problems.append(f"{page or '/'}: fetches {res} from another host")
                for entry in driver.get_log("browser"):
                    if entry.get("level") == "SEVERE":
                        out.problems.append(f"{page or '/'}: console error: {entry.get('message', '')[:300]}")
                links += [(page, href, base) for href in info["links"]]
                if page in shot_pages:
                    shots.mkdir(parents=True, exist_ok=True)
                    driver.save_screenshot(str(shots / shot_pages[page]))
                    out.shots.append(shots / shot_pages[page])
            out.problems += _search(driver, base, conv)
    finally:
        driver.quit()
    broken = set()
    checked = 0
    for page, href, base in links:
        target = _target(site, base, href)
        if target is None:
            continue
        checked += 1
        path, anchor = target
        if not (site / path).is_file():
            broken.add(f"{page or '/'}: link to {path}: no such file")
        elif anchor and path in ids and anchor not in ids[path]:
            broken.add(f"{page or '/'}: link to {path}#{anchor}: no such anchor")
    out.problems += sorted(broken)
    if maths == 0:
        out.problems.append("no formula on any page: the maths check has nothing to check")
    errors = sum("console error" in p for p in out.problems)
    out.summary = (f"Chromium loaded {len(all_pages)} pages ({errors} console errors), checked {checked} internal links "
                   f"({len(broken)} broken), "
                   f"{typeset}/{maths} formulas typeset, search {SEARCH_TERM!r} finds {conv}; "
                   f"screenshots in {shots.name}/ ({time.perf_counter() - t0:.1f}s)")
    return out
