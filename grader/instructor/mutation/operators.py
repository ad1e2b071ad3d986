"""Automatic mutants of the reference's solution regions: one small AST edit each.

The operators are the slips students make: an arithmetic or comparison operator changed, a
constant off by one, a reduction over another axis, a transpose dropped, a slice bound moved,
a term dropped, two arguments swapped, a sign lost. Only nodes that lie wholly inside a
``### BEGIN SOLUTION`` region are mutated, and each mutant replaces the source text of one node,
so the rest of the file (comments, markers, formatting) is untouched.

No maintained mutation tool fits: mutmut and cosmic-ray mutate a package in place and run its
test command, while the course must mutate only solution regions, load each mutant through the
grader's ``impl`` (a submission folder) and read per-task scores, not a pass/fail exit code.
"""
from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..strip import regions

_BINOP_SWAPS: dict[type[ast.operator], list[type[ast.operator]]] = {
    ast.Add: [ast.Sub], ast.Sub: [ast.Add], ast.Mult: [ast.Div], ast.Div: [ast.Mult],
    ast.Pow: [ast.Mult], ast.MatMult: [ast.Mult], ast.FloorDiv: [ast.Div], ast.Mod: [ast.FloorDiv],
}
_CMP_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
}
_REDUCTIONS = {"sum", "mean", "max", "min", "argmax", "argmin", "var", "std", "prod", "cumsum"}


@dataclass(frozen=True)
class Mutant:
    """One edit: ``file`` (below the package root), the span it replaces, the text before and after."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int
    operator: str
    before: str
    after: str

    @property
    def id(self) -> str:
        """Stable across runs while the region's code does not change: file, operator and the texts."""
        key = f"{self.file}|{self.operator}|{self.before}|{self.after}|{self.line}|{self.col}"
        digest = hashlib.sha1(key.encode()).hexdigest()
        return f"{self.file}:{self.line}:{self.operator}:{digest[:8]}"

    def apply(self, text: str) -> str:
        lines = text.splitlines(keepends=True)
        start = sum(len(ln) for ln in lines[: self.line - 1]) + _byte_col(lines[self.line - 1], self.col)
        end = sum(len(ln) for ln in lines[: self.end_line - 1]) + _byte_col(lines[self.end_line - 1], self.end_col)
        return text[:start] + self.after + text[end:]

    def diff(self) -> str:
        return f"{self.file}:{self.line}: {self.before}  ->  {self.after}"


def _byte_col(line: str, col: int) -> int:
    """ast's col_offset counts UTF-8 bytes; turn it into a character index."""
    return len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))


#: functions whose two arguments can be swapped without a change (value and dtype): no mutant
_SYMMETRIC = frozenset({"maximum", "minimum", "fmax", "fmin", "hypot", "logaddexp", "add", "multiply", "min", "max",
                        "swapaxes", "result_type", "get_array_module"})


def _replacements(node: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """``(operator name, new node)`` for every mutation of ``node`` itself."""
    if isinstance(node, ast.BinOp):
        for op in _BINOP_SWAPS.get(type(node.op), []):
            yield f"{type(node.op).__name__}->{op.__name__}", ast.BinOp(node.left, op(), node.right)
        if isinstance(node.op, (ast.Add, ast.Sub)):
            yield "drop right term", node.left
            if isinstance(node.op, ast.Add):
                yield "drop left term", node.right
        if isinstance(node.op, (ast.Mult, ast.Div)) and not isinstance(node.right, ast.Constant):
            yield "drop factor", node.left
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _CMP_SWAPS:
        new_op = _CMP_SWAPS[type(node.ops[0])]
        yield f"{type(node.ops[0]).__name__}->{new_op.__name__}", ast.Compare(node.left, [new_op()], node.comparators)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield "drop minus", node.operand
    elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        v = node.value
        new: float = {0: 1, 1: 2, 2: 1}.get(v, v + 1) if isinstance(v, int) else (v * 2 if v else 1.0)
        yield f"constant {v!r}->{new!r}", ast.Constant(new)
    elif isinstance(node, ast.Attribute) and node.attr == "T":
        yield "drop transpose", node.value
    elif isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        for i, kw in enumerate(node.keywords):
            if kw.arg in ("axis", "axes") and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, int):
                k = kw.value.value
                for new_axis in (k + 1, k - 1) if k > 0 else (k + 1,):
                    kws = list(node.keywords)
                    kws[i] = ast.keyword(kw.arg, ast.Constant(new_axis))
                    yield f"axis {k}->{new_axis}", ast.Call(node.func, node.args, kws)
            if kw.arg == "keepdims":
                kws = [k2 for j, k2 in enumerate(node.keywords) if j != i]
                yield "drop keepdims", ast.Call(node.func, node.args, kws)
        if name in _REDUCTIONS and not node.keywords and not node.args and isinstance(func, ast.Attribute):
            yield f"{name} over axis 0", ast.Call(func, [], [ast.keyword("axis", ast.Constant(0))])
        if len(node.args) == 2 and not any(isinstance(a, ast.Starred) for a in node.args) and name not in _SYMMETRIC:
            yield "swap arguments", ast.Call(node.func, [node.args[1], node.args[0]], node.keywords)
    elif isinstance(node, ast.Slice):
        for attr in ("lower", "upper"):
            bound = getattr(node, attr)
            if bound is not None:
                moved = ast.BinOp(bound, ast.Add(), ast.Constant(1))
                lower, upper = (moved, node.upper) if attr == "lower" else (node.lower, moved)
                yield f"slice {attr} +1", ast.Slice(lower, upper, node.step)


def _not_mutated(tree: ast.AST) -> set[int]:
    """Nodes left alone. The ``1`` of each ``-1`` passed to a ``reshape``: NumPy infers a size from any
    negative one, so ``-1 -> -2`` is always equivalent (``drop minus``, ``-1 -> 1``, is still made).
    Everything inside an f-string: a message's wording is the student's own, and no test grades it."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            out.update(id(inner) for inner in ast.walk(node))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "reshape":
            for arg in node.args:
                items = arg.elts if isinstance(arg, ast.Tuple) else [arg]
                for a in items:
                    if isinstance(a, ast.UnaryOp) and isinstance(a.op, ast.USub) and isinstance(a.operand, ast.Constant):
                        out.add(id(a.operand))
    return out


def mutants_of(path: Path, package: Path) -> list[Mutant]:
    """Every mutant of the solution regions of one reference file, in source order."""
    text = path.read_text(encoding="utf-8")
    spans = [(r.start, r.end) for r in regions(path, package=package)]
    if not spans:
        return []
    rel = path.relative_to(package).as_posix()
    out: list[Mutant] = []
    seen: set[tuple[int, int, str]] = set()
    tree = ast.parse(text, filename=str(path))
    skip = _not_mutated(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.expr) or id(node) in skip:   # ast.Slice is an expression too (Python 3.9+)
            continue
        line, end = node.lineno, node.end_lineno
        if end is None or not any(s < line and end < e for s, e in spans):
            continue
        before = ast.get_source_segment(text, node)
        if before is None:
            continue
        for op, new in _replacements(node):
            after = ast.unparse(ast.fix_missing_locations(new))
            if isinstance(new, ast.BinOp | ast.Compare | ast.UnaryOp) and "\n" not in after:
                after = f"({after})"
            key = (line, getattr(node, "col_offset", 0), after)
            if after == before or key in seen:
                continue
            seen.add(key)
            out.append(Mutant(rel, line, node.col_offset, end, node.end_col_offset or 0, op, before, after))
    return sorted(out, key=lambda m: (m.line, m.col, m.operator, m.after))
