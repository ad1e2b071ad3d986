"""``make leak-check``: the student release gives nothing away.

A release (a folder such as ``dist/student``) leaks when it holds

* a hidden test: a ``hidden/`` folder, a ``*_hidden.py`` file, or any file whose text is that of a
  hidden test under another name;
* a reference module: a ``reference/`` package, a ``### BEGIN SOLUTION`` marker, or a file whose text
  is that of a reference module with solution regions;
* an instructor-only file: ``mutants.toml`` (its ``find`` strings are solution lines), ``grader/instructor/``,
  ``tests/project/``;
* a line from inside a solution region, anywhere (a test, a handout, the grader, a workflow...).

Lines are compared with all whitespace removed, and a solution line counts only when it says
something: trivial lines (``return x``, ``else:``, ``pass``, a lone bracket, a bare name, a comment, the
header of a loop or a branch, a bare call such as ``layer.zero_grad()``) are ignored, and so are lines
that the starter itself shows (given code outside the regions). A solution line counts
when it appears inside a released line too, so a handout quoting it in backticks is caught.

:func:`check` builds a fresh release in a temporary folder and scans it, returning
``(problems, summary)`` for ``make check``; :func:`scan` scans a folder that already exists, and
:func:`scan_site` a built course site (``make docs``), with the same rules over each page's text.
"""
from __future__ import annotations

import hashlib
import json
import re
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from .. import manifest
from ..paths import REFERENCE, STARTER, TESTS, rel
from . import mutants, release, strip

#: A solution line shorter than this (whitespace removed) is too generic to be evidence of a leak.
MIN_CHARS = 12
_TRIVIAL = [re.compile(p) for p in (
    r"^(else|try|finally|pass|break|continue|return|raise|yield|none|true|false)[:]?$",
    r"^return[A-Za-z_][A-Za-z_0-9.]*$",          # return x, return self.out
    r"^[A-Za-z_][A-Za-z_0-9.]*$",                  # a bare name
    r"^[\[\](){},:;]+$",                           # lone brackets
    r"^#.*$",                                      # a comment says nothing a handout may not
    r"^[A-Za-z_][\w.]*\(([\w.]+(,[\w.]+)*)?\)$",    # a bare call on names, e.g. layer.zero_grad(): using the API
    r'^("""|\'\'\'|""|\'\')$',
)]
#: Tested on the line with its spaces: the header of a loop or a branch alone gives no answer away.
_HEADER = re.compile(r"^\s*(for|if|elif|while|with|except)\b.*:\s*(#.*)?$")
_SKIP_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".pyc", ".npz", ".npy", ".pt", ".gz", ".zip"}


def normalise(line: str) -> str:
    """The line with every whitespace character removed."""
    return re.sub(r"\s+", "", line)


def trivial(norm: str, raw: str = "") -> bool:
    return len(norm) < MIN_CHARS or any(p.match(norm) for p in _TRIVIAL) or bool(_HEADER.match(raw))


@dataclass(frozen=True)
class Secret:
    norm: str        # whitespace removed
    where: str       # reference/linear.py:63
    text: str        # the line as written


def _digest(data: bytes) -> str:
    return hashlib.sha256(normalise(data.decode("utf-8", errors="replace")).encode()).hexdigest()


def _given_blob() -> str:
    """Every line the generated starter shows, normalised, one per line (given code is public)."""
    given: list[str] = []
    for text in strip.generate().values():
        given += [n for n in (normalise(ln) for ln in text.splitlines()) if n]
    return "\n".join(given)


def all_secrets() -> list[Secret]:
    """What must never appear in a release: solution lines and the mutants' ``find`` strings."""
    given = _given_blob()
    out: dict[str, Secret] = {}
    for s in solution_lines(given) + _mutant_finds():
        if s.norm not in out and s.norm not in given:
            out[s.norm] = s
    return list(out.values())


def solution_lines(given_blob: str | None = None) -> list[Secret]:
    """Every non-trivial line inside a solution region of reference/ that the starter does not show."""
    index = strip.covers_index()
    given_blob = _given_blob() if given_blob is None else given_blob
    out: dict[str, Secret] = {}
    for src in strip.sources(REFERENCE):
        lines = src.read_text(encoding="utf-8").splitlines()
        for r in strip.regions(src, index):
            for no in range(r.start + 1, r.end):
                norm = normalise(lines[no - 1])
                if trivial(norm, lines[no - 1]) or norm in out or norm in given_blob:
                    continue
                out[norm] = Secret(norm, f"{rel(src)}:{no}", lines[no - 1].strip())
    return list(out.values())


def _mutant_finds() -> list[Secret]:
    """The ``find`` strings of every ``mutants.toml``: solution text by construction."""
    out = []
    for a in manifest.all_assignments():
        for m in mutants.load(a):
            for line in m.find.splitlines():
                norm = normalise(line)
                if not trivial(norm, line):
                    out.append(Secret(norm, f"{rel(a.folder / 'mutants.toml')} ({m.name})", line.strip()))
    return out


def _fingerprints() -> dict[str, str]:
    """Digest of each hidden test file and each reference module with solution regions -> its name."""
    prints: dict[str, str] = {}
    for path in sorted(TESTS.rglob("*.py")):
        if "hidden" in path.relative_to(TESTS).parts[:-1] or path.name.endswith("_hidden.py"):
            prints[_digest(path.read_bytes())] = f"the hidden test {rel(path)}"
    index = strip.covers_index()
    for src in strip.sources(REFERENCE):
        if strip.regions(src, index):
            prints[_digest(src.read_bytes())] = f"the reference module {rel(src)}"
    return prints


def _text_files(folder: Path) -> list[Path]:
    out = []
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if parts and parts[0] == ".git":
            continue
        if path.is_file() and path.suffix.lower() not in _SKIP_SUFFIXES:
            out.append(path)
    return out


def _path_problems(folder: Path) -> list[str]:
    problems = []
    for path in sorted(folder.rglob("*")):
        relp = path.relative_to(folder)
        parts = relp.parts
        if parts and parts[0] == ".git":
            continue
        name = relp.as_posix()
        if path.is_dir() and path.name == "hidden":
            problems.append(f"{name}/: a hidden-tests folder is in the release")
        elif path.is_dir() and path.name == "reference":
            problems.append(f"{name}/: the reference package is in the release")
        elif path.is_dir() and parts[:2] == ("grader", "instructor"):
            problems.append(f"{name}/: the instructor grader is in the release")
        elif path.is_dir() and parts[:2] == ("tests", "project"):
            problems.append(f"{name}/: the project's own tests are in the release")
        elif path.is_file() and path.name.endswith("_hidden.py"):
            problems.append(f"{name}: a hidden test file is in the release")
        elif path.is_file() and path.name == "mutants.toml":
            problems.append(f"{name}: mutants.toml (its `find` strings are solution lines) is in the release")
    return problems


def scan(folder: Path, known: list[Secret] | None = None) -> list[str]:
    """Every leak in the release at ``folder`` (empty when it is clean)."""
    folder = Path(folder)
    if not folder.is_dir():
        return [f"{folder}: no release there (run `make release`)"]
    secrets = all_secrets() if known is None else known
    prints = _fingerprints()
    problems = _path_problems(folder)
    expected_starter = {"starter/" + p.relative_to(STARTER).as_posix(): t for p, t in strip.generate().items()}
    for path in _text_files(folder):
        name = path.relative_to(folder).as_posix()
        data = path.read_bytes()
        if b"\0" in data[:4096]:
            continue
        text = data.decode("utf-8", errors="replace")
        digest = _digest(data)
        if digest in prints:
            problems.append(f"{name}: is {prints[digest]} under another name")
            continue
        if name.startswith("starter/") and name.endswith(".py") and name in expected_starter \
                and text != expected_starter[name]:
            problems.append(f"{name}: differs from the stubs `make starter` generates")
        problems += _text_leaks(name, text, secrets)
    return problems


#: An instructor's explicit word that a line in a released file may repeat a solution line: a torch twin
#: in a test that must be built the same way as the layer it checks, or a shape unpacking anyone writes.
ALLOWED = "# leak-check: allowed"


def _text_leaks(name: str, text: str, secrets: list[Secret]) -> list[str]:
    """The solution markers and solution lines in ``text``, the content of the file ``name``."""
    problems = []
    if re.search(r"^\s*### (BEGIN|END) SOLUTION\s*$", text, re.M):
        problems.append(f"{name}: holds a '### BEGIN/END SOLUTION' marker")
    for no, line in enumerate(text.splitlines(), 1):
        norm = normalise(line)
        if len(norm) < MIN_CHARS or ALLOWED in line:
            continue
        for s in secrets:
            if s.norm in norm:
                problems.append(f"{name}:{no}: solution line from {s.where}: {s.text}")
                break
    return problems


class _HTMLText(HTMLParser):
    """The text of an HTML page as a reader (or a search engine) gets it: tags dropped, entities decoded,
    line breaks kept; and the text of each ``<pre>`` block on its own, to fingerprint whole files."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.blocks: list[str] = []
        self._pre: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre":
            self._pre = []
        if tag in ("br", "p", "div", "li", "tr", "pre", "h1", "h2", "h3", "h4", "td", "th"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre" and self._pre is not None:
            self.blocks.append("".join(self._pre))
            self._pre = None

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        if self._pre is not None:
            self._pre.append(data)


def html_text(html: str) -> tuple[str, list[str]]:
    """``(text, pre blocks)`` of an HTML page (see :class:`_HTMLText`)."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts), parser.blocks


def _json_strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v)]
    return []


#: a built site's folders that hold only the theme's and KaTeX's own files, copied unchanged from their packages
_VENDORED = ("assets/javascripts/", "assets/stylesheets/", "assets/katex/", "assets/images/")


def scan_site(folder: Path, known: list[Secret] | None = None) -> list[str]:
    """Every leak in a built course site (``make docs``'s ``build/site``), by the release's rules.

    Each page is read as its text (tags dropped, entities decoded, so a highlighted code line split
    into spans reads whole), and the search index as the text of its entries; both are held against
    the solution lines and markers of :func:`scan`. Each code block is also fingerprinted: a whole
    hidden test or reference module shown on a page is caught as in a release.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return [f"{folder}: no built site there (run `make docs`)"]
    secrets = all_secrets() if known is None else known
    prints = _fingerprints()
    problems = _path_problems(folder)
    for path in _text_files(folder):
        name = path.relative_to(folder).as_posix()
        data = path.read_bytes()
        if name.startswith(_VENDORED) or b"\0" in data[:4096]:
            continue
        raw = data.decode("utf-8", errors="replace")
        blocks: list[str] = []
        if path.suffix == ".html":
            text, blocks = html_text(raw)
        elif path.suffix == ".json":
            try:
                text = "\n".join(html_text(s)[0] for s in _json_strings(json.loads(raw)))
            except ValueError:
                text = raw
        else:
            text = raw
        for block in [raw, *blocks]:
            digest = _digest(block.encode())
            if digest in prints:
                problems.append(f"{name}: shows {prints[digest]}")
        problems += _text_leaks(name, text, secrets)
    return problems


def check(folder: Path | None = None) -> tuple[list[str], str]:
    """``(problems, summary)``: scan ``folder``, or a fresh release built in a temporary folder."""
    secrets = all_secrets()
    if folder is not None:
        problems = scan(folder, secrets)
        where = rel(folder)
        n = len(_text_files(Path(folder))) if Path(folder).is_dir() else 0
    else:
        with tempfile.TemporaryDirectory(prefix="nnott-leak-") as tmp:
            out = Path(tmp) / "student"
            p = release.plan()
            release.materialise(p, out)
            problems = scan(out, secrets)
            n = len(_text_files(out))
        where = "a fresh release"
    summary = (f"{where}: {n} files scanned against {len(secrets)} solution lines, "
               f"the hidden tests and the reference modules; " + ("no leak" if not problems else f"{len(problems)} leak(s)"))
    return problems, summary
