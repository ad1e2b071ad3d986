"""How an answer is wrong, read from the structure of the error, not from a list of known mistakes.

:func:`assert_close` calls :func:`diagnose` when a comparison fails. It looks at the
error the way a teaching assistant would, and says the first thing that holds, in one sentence:

* **where** it lives: only where a condition holds that the test knows (``where={"x <= 0": x <= 0}``),
  exactly where two such conditions disagree, in one sample or one channel (one index of one axis),
  on the border of the last two axes (padding), or on the diagonal;
* **what ratio** the answer has to the expected one: a constant (named when it is a number the test
  passes in ``constants``, such as N or C), or one of the arrays the test passes in ``quantities``
  (``y``, ``1 - y``, ``x``), or its reciprocal: "a factor of y is missing";
* **what difference**: a constant (named when it is one of ``constants``, such as the step h), or a
  quantity, or its negative: "an extra term x", "the term x is missing";
* **what it equals instead**: one of ``others`` (another output of the same call: two results
  swapped), an input passed back unchanged, or zero.

Each analysis is generic; a test only passes the context it already holds. :func:`shape_error_hint`
does the same for a shape error raised inside student code, from the failing line and its locals.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .device import to_numpy

__all__ = ["diagnose", "shape_error_hint", "Context"]

_CLOSE = 1e-6          # how close an explanation must fit to count
_AXIS_NAMES = {2: ("rows", "columns"), 4: ("samples", "channels", "rows", "columns")}


def _fits(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> bool:
    """``a`` and ``b`` agree (relative 1e-6) everywhere, or where ``mask`` holds."""
    if a.shape != b.shape:
        return False
    if mask is not None:
        if not mask.any():
            return False
        a, b = a[mask], b[mask]
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))
    return bool(np.all(np.isfinite(err)) and float(np.max(err, initial=0.0)) <= _CLOSE)


def _fmt(x: float) -> str:
    return f"{x:.6g}"


class Context:
    """What a test knows about a comparison, normalised to float64 arrays of the result's shape."""

    def __init__(self, name: str, a: np.ndarray, e: np.ndarray, tol: float, *,
                 where: Mapping[str, Any] | None = None, quantities: Mapping[str, Any] | None = None,
                 constants: Mapping[str, float] | None = None, others: Mapping[str, Any] | None = None,
                 inputs: Mapping[str, Any] | None = None, axes: Sequence[str] | None = None) -> None:
        self.name, self.a, self.e, self.tol = name, a, e, tol
        self.where = {k: m for k, m in ((k, self._bool(v)) for k, v in (where or {}).items()) if m is not None}
        self.quantities = {k: q for k, q in ((k, self._arr(v)) for k, v in (quantities or {}).items()) if q is not None}
        self.constants = {k: float(v) for k, v in (constants or {}).items()}
        self.others = {k: q for k, q in ((k, self._arr(v)) for k, v in (others or {}).items()) if q is not None}
        self.inputs = {k: q for k, q in ((k, self._arr(v)) for k, v in (inputs or {}).items()) if q is not None}
        self.axes = list(axes) if axes else list(_AXIS_NAMES.get(a.ndim, ()))
        with np.errstate(invalid="ignore", over="ignore"):
            err = np.abs(a - e) / np.maximum(1e-8, np.abs(a) + np.abs(e))
        self.wrong = ~(np.nan_to_num(err, nan=np.inf) <= tol)

    def _arr(self, v: Any) -> np.ndarray | None:
        arr = to_numpy(v).astype(np.float64)
        try:
            return np.broadcast_to(arr, self.a.shape)
        except ValueError:
            return None

    def _bool(self, v: Any) -> np.ndarray | None:
        arr = to_numpy(v).astype(bool)
        try:
            return np.broadcast_to(arr, self.a.shape)
        except ValueError:
            return None

    def axis_name(self, axis: int) -> str:
        return f"axis {axis}" + (f" ({self.axes[axis]})" if axis < len(self.axes) else "")


def _complement_label(ctx: Context, label: str, mask: np.ndarray) -> str:
    for other, m in ctx.where.items():
        if other != label and np.array_equal(m, ~mask):
            return other
    return f"not ({label})"


def _where(ctx: Context) -> str | None:
    """The error lives only where a condition holds (and everything else is right)."""
    wrong, n = ctx.wrong, ctx.name
    if not wrong.any() or wrong.all() and ctx.a.size > 1 and not ctx.where:
        return None
    for label, mask in ctx.where.items():
        if mask.all() or not mask.any():
            continue
        if np.array_equal(wrong, mask) or (not (wrong & ~mask).any() and wrong.any() and
                                           _fits(ctx.a, ctx.e, ~mask)):
            right = _complement_label(ctx, label, mask)
            return f"{n} is right where {right} and wrong where {label}."
    labels = list(ctx.where)
    for i, la in enumerate(labels):
        for lb in labels[i + 1:]:
            ma, mb = ctx.where[la], ctx.where[lb]
            differ = ma != mb
            if differ.any() and not differ.all() and np.array_equal(wrong, differ):
                return (f"{n} is wrong exactly where '{la}' and '{lb}' disagree, and right where they agree: "
                        f"one of the two is used where the other belongs.")
    if ctx.a.size < 4:
        return None
    for axis in range(ctx.a.ndim):
        if ctx.a.shape[axis] < 2:
            continue
        moved = np.moveaxis(wrong, axis, 0).reshape(ctx.a.shape[axis], -1)
        bad = np.flatnonzero(moved.any(axis=1))
        if len(bad) == 1 and moved[bad[0]].all():
            return (f"{n} is wrong only at index {int(bad[0])} of {ctx.axis_name(axis)} and right everywhere else: "
                    f"look at what is special about that slice (the first or last one, an off-by-one in a loop?).")
    if ctx.a.ndim >= 2 and min(ctx.a.shape[-2:]) >= 3:
        border = np.zeros(ctx.a.shape[-2:], dtype=bool)
        border[0, :] = border[-1, :] = border[:, 0] = border[:, -1] = True
        border = np.broadcast_to(border, ctx.a.shape)
        if wrong.any() and not (wrong & ~border).any():
            return (f"{n} is right in the interior and wrong only on the border (the first and last rows and "
                    f"columns): check the padding and the window ranges at the edges.")
    if ctx.a.ndim == 2 and ctx.a.shape[0] == ctx.a.shape[1] and ctx.a.shape[0] > 1:
        diag = np.eye(ctx.a.shape[0], dtype=bool)
        if np.array_equal(wrong, diag):
            return f"{n} is wrong only on the diagonal: the i == j terms need their own care."
        if np.array_equal(wrong, ~diag):
            return f"{n} is right on the diagonal and wrong off it: the i != j terms need their own care."
    return None


def _named_constant(ctx: Context, c: float) -> str | None:
    for label, v in ctx.constants.items():
        if v and abs(c - v) <= 1e-6 * abs(v):
            return label
        if v and abs(c * v - 1) <= 1e-6:
            return f"1/{label}"
    return None


def _ratio(ctx: Context) -> str | None:
    a, e, n = ctx.a, ctx.e, ctx.name
    sig = np.abs(e) > 1e-9 * max(float(np.max(np.abs(e), initial=0.0)), 1e-300)
    if sig.sum() < 2:
        return None
    r = np.where(sig, a / np.where(sig, e, 1.0), np.nan)
    for label, q in ctx.quantities.items():
        if _fits(r, q, sig):
            return f"{n} / expected = {label}: your result has an extra factor of {label}."
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / q
        if np.all(np.isfinite(inv[sig])) and _fits(r, inv, sig):
            return f"{n} / expected = 1 / ({label}): a factor of {label} is missing."
    rs = r[sig]
    c = float(np.median(rs))
    if np.all(np.abs(rs - c) <= 1e-6 * max(abs(c), 1e-12)) and abs(c - 1) > 1e-6 and abs(c) > 1e-12:
        named = _named_constant(ctx, c)
        if abs(c + 1) <= 1e-6:
            return f"{n} has the opposite sign everywhere (ratio -1): a sign is flipped somewhere."
        if named:
            return f"{n} is the expected value times {named} (= {_fmt(c)}): a factor of {named} is extra or missing."
        return None   # a bare constant factor is named by the older hints (batch size, factor c)
    return None


def _difference(ctx: Context) -> str | None:
    d = ctx.a - ctx.e
    n = ctx.name
    if not np.all(np.isfinite(d)) or ctx.a.size < 2:
        return None
    scale = max(float(np.max(np.abs(ctx.e), initial=0.0)), 1e-12)
    spread = float(np.ptp(d))
    c = float(np.mean(d))
    if abs(c) > 1e-9 * scale and spread <= 1e-6 * abs(c):
        label = _named_constant(ctx, abs(c))
        named = f" (= {'-' if c < 0 else ''}{label})" if label else ""
        return (f"every element of {n} is off by the same constant {_fmt(c)}{named}: something added (or left "
                f"in place) once too often, or not undone.")
    for label, q in ctx.quantities.items():
        if np.any(q != 0) and _fits(d, q):
            return f"{n} - expected = {label}: an extra term {label} is added."
        if np.any(q != 0) and _fits(-d, q):
            return f"expected - {n} = {label}: the term {label} is missing."
    return None


def _instead(ctx: Context) -> str | None:
    n = ctx.name
    for label, q in ctx.others.items():
        if _fits(ctx.a, q) and not _fits(ctx.e, q):
            return f"{n} equals the expected {label}: two results are swapped."
    for label, q in ctx.inputs.items():
        if _fits(ctx.a, q) and not _fits(ctx.e, q):
            return f"{n} equals the input {label}, unchanged: it was passed through without being transformed."
    if ctx.a.size > 1 and np.all(ctx.a == 0) and np.any(ctx.e != 0):
        return f"{n} is all zeros: nothing was computed or accumulated into it."
    return None


_ANALYSES: tuple[Callable[[Context], str | None], ...] = (_instead, _where, _ratio, _difference)


def diagnose(ctx: Context) -> str | None:
    """The one sentence that best says how ``ctx.a`` is wrong, or ``None`` when nothing fits."""
    for analysis in _ANALYSES:
        found = analysis(ctx)
        if found:
            return found
    return None


# ------------------------------------------------------------------ shape errors in student code

_REDUCE = re.compile(r"\b([A-Za-z_][A-Za-z0-9_.]*)\s*\.\s*(sum|mean|max|min)\s*\(\s*(?:axis\s*=\s*)?(-?\d+)")
_SHAPES = re.compile(r"\(([\d, ]*)\)")


def _shape(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.replace(" ", "").split(",") if p)


def _lookup(expr: str, local_vars: Mapping[str, Any]) -> Any:
    head, *rest = expr.split(".")
    obj = local_vars.get(head)
    for attr in rest:
        obj = getattr(obj, attr, None)
    return obj


def shape_error_hint(exc: BaseException, line: str | None, local_vars: Mapping[str, Any] | None) -> str:
    """Name the operation and axis of a shape error raised in student code, where the line allows.

    ``self.b.grad += g.sum(axis=1)`` with ``g`` of shape (4, 3) and ``b.grad`` of shape (3,) gives:
    "you reduced g over axis 1 (shape (4, 3) -> (4,)), but the result must have shape (3,): reduce over
    axis 0 instead".
    """
    if not line or local_vars is None or "broadcast" not in str(exc) and "shape" not in str(exc):
        return ""
    m = _REDUCE.search(line)
    if not m:
        return ""
    arr = _lookup(m.group(1), local_vars)
    shape = getattr(arr, "shape", None)
    if shape is None:
        return ""
    axis = int(m.group(3)) % max(len(shape), 1)
    got = tuple(s for i, s in enumerate(shape) if i != axis)
    others = [_shape(s) for s in _SHAPES.findall(str(exc))]
    target = next((s for s in others if s and s != got), None)
    if target is None:
        return ""
    fits = [ax for ax in range(len(shape)) if tuple(s for i, s in enumerate(shape) if i != ax) == target]
    advice = (f": reduce over axis {fits[0]} instead" if fits else
              f": the target has shape {target}; reduce over the axes that are not in it")
    return (f"you took the {m.group(2)} of {m.group(1)} over axis {axis} (shape {tuple(shape)} -> {got}), but the "
            f"result must have shape {target}{advice}.")
