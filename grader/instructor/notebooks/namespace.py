"""One namespace for a notebook's modules: the names each module binds, and what to do when two bind one.

A notebook runs every module of the assignment in one namespace (its ``globals()``), so two modules
that bind the same top-level name would overwrite each other. :func:`plan` decides, per name:

* bound the same way by each module (the same import, or the very same definition): nothing to do;
* defined differently by several modules, and written by no student in this notebook: every definer
  but one keeps its code under a name of its own (``_pair`` in ``nn/im2col.py`` becomes
  ``_pair__nn_im2col``), renamed throughout that module and in the modules that import it from there;
  ``impl.nn.im2col._pair`` still reaches it, through the setup cell's listing;
* otherwise (a student writes code that uses it, it is a name a task covers, or it is bound by
  different imports): refused, with the modules that clash.
"""
from __future__ import annotations

import ast
import dataclasses
import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Sequence

from ...errors import UsageError
from ...manifest import Assignment
from .cells import module_file
from .reference import ModuleInfo, resolve_import
from .rewrite import RESERVED


@dataclass
class Namespace:
    """``listing``: ``{module: [names]}`` or, where a module's names were renamed, ``{module: {name: in the
    notebook}}``, for the setup cell; ``renames``: ``{module: {name: new name}}``; ``names``: every name bound."""

    listing: dict[str, object] = field(default_factory=dict)
    renames: dict[str, dict[str, str]] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)


def _dunder(n: str) -> bool:
    return n.startswith("__") and n.endswith("__")


def _definitions(mod: ModuleInfo, name: str) -> list[str]:
    """The top-level statements of ``mod`` that define ``name``, as text (to tell equal definitions apart)."""
    out = []
    for stmt in mod.tree.body:
        bound = {t.id for t in ast.walk(stmt) if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)}
        if getattr(stmt, "name", None) == name or name in bound:
            out.append(ast.dump(stmt, include_attributes=False))
    return out


def _used_in_own_regions(mod: ModuleInfo, name: str, own: set[str]) -> str | None:
    """The task whose solution region in ``mod`` uses ``name`` (the student writes that code), if any."""
    for r in mod.regions:
        if r.task is not None and r.task.id in own:
            text = "\n".join(mod.lines[r.start - 1:r.end])
            if re.search(rf"(?<![\w.]){re.escape(name)}\b", text):
                return str(r.task.id)
    return None


def rename_tokens(text: str, renames: dict[str, str]) -> str:
    """``text`` with every use of the names in ``renames`` renamed: names, not attributes (``x._pair``),
    keyword arguments (``f(_pair=1)``), strings or comments. Line numbers stay as they were."""
    if not renames:
        return text
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []
    toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    depth = 0
    for k, tok in enumerate(toks):
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        if tok.type != tokenize.NAME or tok.string not in renames:
            continue
        prev = next((t for t in reversed(toks[:k]) if t.type not in (tokenize.NL, tokenize.COMMENT)), None)
        nxt = next((t for t in toks[k + 1:] if t.type not in (tokenize.NL, tokenize.COMMENT)), None)
        if prev is not None and prev.string == ".":
            continue
        if depth and nxt is not None and nxt.string == "=" and prev is not None and prev.string in ("(", ","):
            continue   # a keyword argument or a parameter's default
        (row, col), (_, end) = tok.start, tok.end
        edits.append((row, col, end, renames[tok.string]))
    for row, col, end, new in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + new + line[end:]
    return "".join(lines)


def _clash(a: Assignment, n: str, who: Sequence[tuple[str, str] | str], mods: dict[str, ModuleInfo]) -> str:
    first, second = (w[0] if isinstance(w, tuple) else w for w in who[:2])
    return f"{a.slug}: {n!r} is defined by both {module_file(first, mods)} and {module_file(second, mods)}"


def _loads(mod: ModuleInfo, name: str) -> set[str]:
    """The names that the statements defining ``name`` in ``mod`` read."""
    out: set[str] = set()
    for stmt in mod.tree.body:
        bound = {t.id for t in ast.walk(stmt) if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)}
        if getattr(stmt, "name", None) == name or name in bound:
            out |= {t.id for t in ast.walk(stmt) if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Load)}
    return out


def _namespace(a: Assignment, n: str, who: list[str], mods: dict[str, ModuleInfo], own: set[str],
               covered: set[str], renames: dict[str, dict[str, str]]) -> None:
    """Give ``n`` a name of its own in every module of ``who`` but one, or refuse when a student would meet it."""
    users = {m: t for m in who if (t := _used_in_own_regions(mods[m], n, own))}
    if n in covered or len(users) > 1:
        raise UsageError(f"{_clash(a, n, who, mods)}; the notebook holds both in one namespace and students write "
                         f"code that uses it, so rename one of them")
    keep = next(iter(users), who[0])
    for m in who:
        if m != keep:
            renames.setdefault(m, {})[n] = f"{n}__{m.replace('.', '_')}"


def _follow_imports(modules: list[str], mods: dict[str, ModuleInfo], own: set[str], listing: dict[str, list[str]],
                    renames: dict[str, dict[str, str]]) -> bool:
    """A module that imports a renamed name from its definer uses the new name too; whether any was added."""
    added = False
    for m in modules:
        for node in ast.walk(mods[m].tree):
            if not (isinstance(node, ast.ImportFrom) and node.level and node.module):
                continue
            src = resolve_import(m, mods[m].is_package, node.level, node.module)
            for alias in node.names:
                new = renames.get(src, {}).get(alias.name)
                if not new or renames.get(m, {}).get(alias.name) == new:
                    continue
                task = _used_in_own_regions(mods[m], alias.name, own) if not alias.asname else None
                if task or alias.name in listing.get(m, []):
                    raise UsageError(f"{module_file(m, mods)} imports {alias.name!r} from {module_file(src, mods)}, "
                                     f"which the notebook renames to {new!r} (another module defines "
                                     f"{alias.name!r} too): rename one of them")
                renames.setdefault(m, {})[alias.name] = new
                added = True
    return added


def plan(a: Assignment, modules: list[str], mods: dict[str, ModuleInfo]) -> Namespace:
    """How the ``modules`` of ``a``'s notebook share one namespace (see the module's docstring)."""
    own = {t.id for t in a.tasks}
    covered = {c.owner for t in a.tasks for c in t.covers}
    definers: dict[str, list[tuple[str, str]]] = {}
    listing: dict[str, list[str]] = {}
    for m in modules:
        listing[m] = []
        for n, how in mods[m].names:
            if how.startswith(("from .", "from __future__")):
                continue
            listing[m].append(n)
            if n in ("__all__", "__doc__") or _dunder(n):
                continue
            if n in RESERVED:
                raise UsageError(f"{module_file(m, mods)} defines {n!r}, a name the notebook's setup cell uses")
            if all(d != m for d, _ in definers.get(n, [])):
                definers.setdefault(n, []).append((m, how))
    renames: dict[str, dict[str, str]] = {}
    same: dict[str, list[str]] = {}    # names whose definers all define them the same way
    for n, who in definers.items():
        if len(who) < 2:
            continue
        hows = {how for _, how in who}
        if hows != {"def"}:
            if len(hows) > 1:
                raise UsageError(f"{_clash(a, n, who, mods)}, differently; the notebook holds both in one namespace, "
                                 f"so rename one of them")
            continue       # the same import in each module
        if len({tuple(_definitions(mods[m], n)) for m, _ in who}) == 1:
            same[n] = [m for m, _ in who]
        else:
            _namespace(a, n, [m for m, _ in who], mods, own, covered, renames)
    changed = True
    while changed:         # a definition the same as another's is not, once a name it uses is renamed
        changed = _follow_imports(modules, mods, own, listing, renames)
        for n, same_who in list(same.items()):
            if any(_loads(mods[m], n) & set(renames.get(m, {})) for m in same_who):
                del same[n]
                _namespace(a, n, same_who, mods, own, covered, renames)
                changed = True
    out = Namespace(renames=renames)
    for m, names in listing.items():
        own_renames = {n: r for n, r in renames.get(m, {}).items() if n in names}
        out.listing[m] = {n: own_renames.get(n, n) for n in names} if own_renames else names
        out.names |= {own_renames.get(n, n) for n in names if n not in ("__all__", "__doc__") and not _dunder(n)}
    return out


def renamed(mod: ModuleInfo, renames: dict[str, str]) -> ModuleInfo:
    """``mod`` with the names in ``renames`` renamed throughout its text (the same lines, so its regions hold)."""
    if not renames:
        return mod
    text = rename_tokens(mod.text, renames)
    tree = ast.parse(text, filename=str(mod.path))
    names = [(renames.get(n, n) if how == "def" else n, how) for n, how in mod.names]
    return dataclasses.replace(mod, text=text, tree=tree, names=names)
