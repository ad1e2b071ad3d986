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
  swapped), an input passed back unchanged, or zero;
* **when** it goes wrong, for a result whose first axis is a sequence (``axes=("step", ...)``): right
  for the first k steps and wrong from then on, or wrong from the very first step;
* **for which inputs**, for a result computed element by element from an input (``along={"x": x}``):
  only for x > 0, only for large |x|, or an error that grows (or shrinks) with |x|;
* **as a normalisation**: for the output of a normalisation (``normalised=(axes, gamma, beta)``), whether,
  gamma and beta undone, it has mean 0 and the expected variance over each group; for its gradient
  (``normalised_grad=(axes, xhat)``), whether it sums to 0 and is orthogonal to xhat over each group,
  as the two terms from the statistics make it;
* **per slice**: in each slice along one axis (each sample, each channel), the result is an exact
  affine map of the expected one with its own scale or shift: a per-slice statistic is wrong.

Each analysis is generic; a test only passes the context it already holds.
:mod:`grader.code_errors` does the same for an error raised inside student code.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .device import to_numpy

__all__ = ["diagnose", "Context"]

_CLOSE = 1e-6          # how close an explanation must fit to count
_AXIS_NAMES = {2: ("rows", "columns"), 4: ("samples", "channels", "rows", "columns")}
#: Names of a first axis that is a sequence (``axes=("step", "parameter")``): rows in time order.
_SEQUENCE_AXES = ("step", "steps", "epoch", "epochs", "iteration", "iterations", "call", "calls")


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
                 inputs: Mapping[str, Any] | None = None, axes: Sequence[str] | None = None,
                 along: Mapping[str, Any] | None = None, normalised: Any = None,
                 normalised_grad: Any = None) -> None:
        self.name, self.a, self.e, self.tol = name, a, e, tol
        self.normalised = self._spec(normalised)
        self.normalised_grad = self._spec(normalised_grad)
        self.along = {k: q for k, q in ((k, self._arr(v)) for k, v in (along or {}).items()) if q is not None}
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

    def _spec(self, spec: Any) -> tuple[tuple[int, ...], list[np.ndarray]] | None:
        """``(axes, arrays...)`` with the axes normalised to non-negative ints and the arrays broadcast."""
        if spec is None:
            return None
        axes, *arrays = spec
        axes = tuple(int(ax) % self.a.ndim for ax in np.atleast_1d(axes)) if self.a.ndim else ()
        out = [self._arr(v) for v in arrays]
        if not axes or any(v is None for v in out):
            return None
        return axes, [v for v in out if v is not None]

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
    sequence = bool(ctx.axes) and ctx.axes[0] in _SEQUENCE_AXES
    if ctx.a.ndim >= 2 and min(ctx.a.shape[-2:]) >= 3 and not sequence:
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


def _subset(ctx: Context) -> str | None:
    """The error lives in some slices of one axis (some samples, some channels) and not in the others."""
    wrong, n = ctx.wrong, ctx.name
    if not wrong.any() or ctx.a.size < 4:
        return None
    for axis in range(ctx.a.ndim):
        k = ctx.a.shape[axis]
        if k < 3 or ctx.a.size // k < 2 or (axis == 0 and ctx.axes and ctx.axes[0] in _SEQUENCE_AXES):
            continue
        bad = np.flatnonzero(np.moveaxis(wrong, axis, 0).reshape(k, -1).any(axis=1))
        if 0 < len(bad) < k:
            shown = ", ".join(str(int(i)) for i in bad[:8]) + (", ..." if len(bad) > 8 else "")
            return (f"{n} is wrong only at indices {shown} of {ctx.axis_name(axis)} (of {k}) and right at the others: "
                    f"look at what those slices have in common that the others do not (a condition, a parameter "
                    f"drawn for each).")
    return None


def _named_constant(ctx: Context, c: float, rel: float = 1e-6) -> str | None:
    """The name of ``c`` when it is one of the test's constants, its reciprocal, square, or a product of two."""
    named = [(label, v) for label, v in ctx.constants.items() if v]
    for label, v in named:
        if abs(c - v) <= rel * abs(v):
            return label
        if abs(c * v - 1) <= rel:
            return f"1/{label}"
    for i, (la, va) in enumerate(named):
        for lb, vb in named[i:]:
            p = va * vb
            if abs(c - p) <= rel * abs(p):
                return f"({la})^2" if la == lb else f"({la}) * ({lb})"
            if abs(c * p - 1) <= rel:
                return f"1/({la})^2" if la == lb else f"1/(({la}) * ({lb}))"
    return None


def _ratio(ctx: Context) -> str | None:
    a, e, n = ctx.a, ctx.e, ctx.name
    sig = np.abs(e) > 1e-9 * max(float(np.max(np.abs(e), initial=0.0)), 1e-300)
    if sig.sum() < (1 if ctx.quantities or ctx.constants else 2):   # one number: only a named ratio is evidence
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
    if rs.size == 1 and not _named_constant(ctx, c):
        return None
    if np.all(np.abs(rs - c) <= 1e-6 * max(abs(c), 1e-12)) and abs(c - 1) > 1e-6 and abs(c) > 1e-12:
        named = _named_constant(ctx, c)
        if abs(c + 1) <= 1e-6:
            return f"{n} has the opposite sign everywhere (ratio -1): a sign is flipped somewhere."
        if named:
            return f"{n} is the expected value times {named} (= {_fmt(c)}): a factor of {named} is extra or missing."
        return None   # a bare constant factor is named by the older hints (batch size, factor c)
    if rs.size >= 3 and abs(c - 1) > 0.01 and abs(c) > 1e-12 and np.all(np.abs(rs - c) <= 1e-3 * abs(c)):
        named = _named_constant(ctx, c, rel=1e-3)
        what = f"{named} (= {c:.4g})" if named else f"{c:.4g}"
        return (f"{n} is about {what} times the expected value in every element (to within 0.1%, not exactly): a "
                f"factor of about {c:.4g} is extra or missing, on top of a small error.")
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
    for label, q in ctx.quantities.items():
        qq = float(np.sum(q * q))
        if qq == 0 or (q.size > 1 and np.allclose(q, q.flat[0])):
            continue
        c = float(np.sum(d * q)) / qq
        if abs(c) > 1e-9 and _fits(d, c * q):
            cname = _named_constant(ctx, abs(c))
            k = f"{'-' if c < 0 else ''}{cname}" if cname else _fmt(c)
            return (f"{n} - expected = {k} * {label}: the error is proportional to {label}, so a term in {label} "
                    f"has the wrong coefficient (or is missing).")
    return None


def _candidates(inputs: Mapping[str, np.ndarray]) -> list[tuple[str, np.ndarray]]:
    """Simple expressions of the test's inputs: each one, its negative, reciprocal, square and elementary
    functions, and every sum, difference, product and quotient of two (times a third, for three inputs)."""
    items = list(inputs.items())[:4]
    unary: list[tuple[str, np.ndarray]] = []
    with np.errstate(all="ignore"):
        for k, v in items:
            unary += [(k, v), (f"-{k}", -v), (f"1/{k}", 1.0 / v), (f"{k}^2", v * v), (f"exp({k})", np.exp(v)),
                      (f"exp(-{k})", np.exp(-v)), (f"tanh({k})", np.tanh(v)), (f"sigmoid({k})", 1 / (1 + np.exp(-v)))]
        funcs = [(ku, vu) for ku, vu in unary if "(" in ku]   # exp, tanh, sigmoid of an input
        unary += [(f"1 {op} {ku}", 1 + sign * vu) for ku, vu in list(unary) for op, sign in (("+", 1), ("-", -1))
                  if not ku.startswith(("-", "1/"))]
        for ku, u in funcs:   # the forms their derivatives take, and their near misses
            unary += [(f"{ku}^2", u * u), (f"1 - {ku}^2", 1 - u * u), (f"1 + {ku}^2", 1 + u * u),
                      (f"{ku} * (1 - {ku})", u * (1 - u)), (f"{ku} * (1 + {ku})", u * (1 + u)),
                      (f"{ku} / (1 - {ku})", u / (1 - u))]
        out = list(unary)
        for i, (ka, va) in enumerate(items):
            for kb, vb in items[i + 1:]:
                out += [(f"{ka} + {kb}", va + vb), (f"{ka} - {kb}", va - vb), (f"{kb} - {ka}", vb - va),
                        (f"{ka} * {kb}", va * vb), (f"{ka} / {kb}", va / vb), (f"{kb} / {ka}", vb / va)]
        for ku, vu in unary:
            if ku in inputs or ku.startswith(("-", "1/ ")):
                continue   # the plain pairs are above
            for kb, vb in items:
                if f"({kb})" not in ku and not ku.startswith(kb):
                    term = f"({ku})" if " " in ku else ku
                    out += [(f"{term} * {kb}", vu * vb), (f"{term} / {kb}", vu / vb)]
    return out


def _instead(ctx: Context) -> str | None:
    n = ctx.name
    if ctx.inputs and ctx.a.size <= 64:
        for expr, v in _candidates(ctx.inputs):
            if _fits(ctx.a, np.broadcast_to(v, ctx.a.shape)) and not _fits(ctx.e, np.broadcast_to(v, ctx.a.shape)):
                if expr in ctx.inputs:
                    break   # said below: the input passed back unchanged
                return (f"{n} equals {expr} (with {', '.join(ctx.inputs)} as in the test), not the expected value: "
                        f"check which operands and which operation your code uses.")
    for label, q in ctx.others.items():
        if _fits(ctx.a, q) and not _fits(ctx.e, q):
            return f"{n} equals the expected {label}: two results are swapped."
    for label, q in ctx.inputs.items():
        if _fits(ctx.a, q) and not _fits(ctx.e, q):
            return f"{n} equals the input {label}, unchanged: it was passed through without being transformed."
    if ctx.a.size > 1 and np.all(ctx.a == 0) and np.any(ctx.e != 0):
        return f"{n} is all zeros: nothing was computed or accumulated into it."
    a0 = float(ctx.a.flat[0]) if ctx.a.size else 0.0
    if (ctx.a.size > 2 and np.isfinite(a0) and float(np.ptp(ctx.a)) <= 1e-9 * max(abs(a0), 1e-300)
            and float(np.ptp(ctx.e)) > 1e-6 * max(float(np.max(np.abs(ctx.e))), 1e-300)):
        return (f"{n} has the same value, {_fmt(a0)}, in every element, where the expected values differ: the part "
                f"that depends on the element (its index, its own input, its own nudge) is lost.")
    return None



def _steps(ctx: Context) -> str | None:
    """The first axis is a sequence (steps, epochs): say from when on the result is wrong."""
    if not ctx.axes or ctx.axes[0] not in _SEQUENCE_AXES or ctx.a.ndim < 1 or ctx.a.shape[0] < 2:
        return None
    unit = ctx.axes[0].rstrip("s")
    rows = ctx.wrong.reshape(ctx.a.shape[0], -1).any(axis=1)
    if not rows.any():
        return None
    first = int(np.argmax(rows))
    every_after = bool(rows[first:].all())
    n = ctx.name
    if first == 0:
        tail = "" if every_after else f", then right again at some {unit}s"
        return (f"{n} is wrong from the very first {unit} on{tail}: the mistake is in what one {unit} computes, "
                f"not (only) in what is carried from one {unit} to the next.")
    if every_after:
        return (f"{n} is right for the first {first} {unit}{'s' if first > 1 else ''} and wrong from {unit} "
                f"{first + 1} on (row {first}): look at what changes at that {unit} (state carried from "
                f"{unit} to {unit}, a counter, a milestone or a threshold).")
    bad = [int(i) for i in np.flatnonzero(rows)]
    shown = ", ".join(str(i) for i in bad[:6]) + (", ..." if len(bad) > 6 else "")
    return (f"{n} is right at most {unit}s and wrong only at rows {shown}: look at what is special about those "
            f"{unit}s (a boundary, a milestone, a condition that flips).")


def _bands(ctx: Context) -> str | None:
    """The result is computed element by element from an input: say for which inputs it is wrong."""
    wrong = ctx.wrong
    for label, x in ctx.along.items():
        if x.size < 6 or not wrong.any():
            continue
        n = ctx.name
        for cond, mask in ((f"{label} > 0", x > 0), (f"{label} < 0", x < 0)):
            if mask.any() and (~mask).any() and not (wrong & ~mask).any() and (wrong == mask).mean() > 0.9:
                other = f"{label} <= 0" if ">" in cond else f"{label} >= 0"
                return (f"{n} is right for {other} and wrong for {cond}: the {cond} branch (or the side of the "
                        f"formula that matters there) is wrong.")
        ax = np.abs(x)
        if (~wrong).any():
            right_max, wrong_min = float(ax[~wrong].max()), float(ax[wrong].min())
            if right_max < wrong_min:
                return (f"{n} is right for |{label}| < {_fmt(wrong_min)} and wrong beyond: the mistake is in a "
                        f"term that matters for large |{label}| (a higher power, a scale, an asymptote).")
            right_min, wrong_max = float(ax[~wrong].min()), float(ax[wrong].max())
            if wrong_max < right_min:
                return (f"{n} is wrong only near {label} = 0 (|{label}| < {_fmt(right_min)}) and right beyond: the "
                        f"mistake is in a term that matters near 0 (an offset, the value or slope at 0).")
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            rel = np.abs(ctx.a - ctx.e) / np.maximum(1e-12, np.abs(ctx.a) + np.abs(ctx.e))
        ok = np.isfinite(rel) & (rel > 0) & (ax > 1e-3)
        if ok.sum() < 6:
            continue
        small, large = ax[ok] <= np.median(ax[ok]), ax[ok] > np.median(ax[ok])
        lo, hi = float(np.median(rel[ok][small])), float(np.median(rel[ok][large]))
        if hi > 3 * lo:
            return (f"{n} is wrong almost everywhere, and the error grows with |{label}| (relative error about "
                    f"{lo:.1e} for small |{label}|, {hi:.1e} for large): a term that grows with {label} (a higher "
                    f"power, a scale inside a function) is wrong.")
        if lo > 3 * hi:
            return (f"{n} is wrong almost everywhere, and the error is largest near {label} = 0 (relative error "
                    f"about {lo:.1e} for small |{label}|, {hi:.1e} for large): a term that matters near 0 (an "
                    f"offset, a constant added) is wrong.")
        found = _band_ratios(ctx, label, x)
        if found:
            return found
        pos, neg = ok & (x > 0), ok & (x < 0)
        if pos.sum() >= 3 and neg.sum() >= 3:
            rp, rn = float(np.median(rel[pos])), float(np.median(rel[neg]))
            if rp > 10 * rn or rn > 10 * rp:
                side, other = (">", "<") if rp > rn else ("<", ">")
                return (f"{n} is wrong for both signs of {label}, far more for {label} {side} 0 (median relative "
                        f"error {max(rp, rn):.1e}) than for {label} {other} 0 ({min(rp, rn):.1e}): look at the side "
                        f"of the formula that dominates for {label} {side} 0.")
    return None


def _band_ratios(ctx: Context, label: str, x: np.ndarray) -> str | None:
    """Wrong everywhere: in which bands of the input the answer is a steady multiple of the expected one."""
    a, e, n = ctx.a, ctx.e, ctx.name
    scale = float(np.median(np.abs(x))) or 1.0
    sig = np.isfinite(a) & (np.abs(e) > 1e-9 * max(float(np.max(np.abs(e))), 1e-300))
    bands = ((f"{label} < -{_fmt(scale)}", x < -scale), (f"|{label}| <= {_fmt(scale)}", np.abs(x) <= scale),
             (f"{label} > {_fmt(scale)}", x > scale))
    steady = []
    for band, m in bands:
        m = m & sig
        if m.sum() < 3:
            continue
        r = a[m] / e[m]
        med = float(np.median(r))
        if med != 0 and float(np.median(np.abs(r - med))) <= 0.03 * abs(med) and abs(med - 1) > 0.02:
            steady.append(f"about {med:.3g} x the expected value for {band}")
    if not steady:
        return None
    return (f"{n} is wrong almost everywhere: it is {'; '.join(steady)}. Compare each factor of your formula with "
            f"the expected one where it dominates there.")


def _per_slice(ctx: Context) -> str | None:
    """Within each slice along one axis the result is an affine map of the expected one, slice by slice;
    or, with an additive quantity (a bias) taken off both, a scaled copy of it."""
    found = _per_slice_of(ctx, ctx.a, ctx.e, ctx.name)
    for label, q in ctx.quantities.items():
        if found:
            break
        found = _per_slice_of(ctx, ctx.a - q, ctx.e - q, f"{ctx.name} - {label}", scale_only=True)
    return found


def _per_slice_of(ctx: Context, a: np.ndarray, e: np.ndarray, n: str, scale_only: bool = False) -> str | None:
    if a.ndim < 2 or not ctx.wrong.any():
        return None
    for axis in range(a.ndim):
        k = a.shape[axis]
        if k < 2 or a.size // k < 3:
            continue
        am, em = np.moveaxis(a, axis, 0).reshape(k, -1), np.moveaxis(e, axis, 0).reshape(k, -1)
        scales, shifts = [], []
        for ai, ei in zip(am, em):
            spread = float(np.ptp(ei))
            if spread <= 1e-12 * max(1.0, float(np.max(np.abs(ei)))):
                break
            s_, t_ = np.polyfit(ei, ai, 1)
            if not np.allclose(s_ * ei + t_, ai, rtol=1e-6, atol=1e-9 * max(1.0, float(np.max(np.abs(ai))))):
                break
            scales.append(float(s_))
            shifts.append(float(t_))
        else:
            sc, sh = np.array(scales), np.array(shifts)
            scale_ok = np.allclose(sc, 1.0, rtol=1e-6)
            shift_ok = np.allclose(sh, 0.0, atol=1e-9 * max(1.0, float(np.max(np.abs(em)))))
            if scale_ok and shift_ok or scale_only and not shift_ok:
                continue
            same = np.allclose(sc, sc[0], rtol=1e-6) and np.allclose(sh, sh[0], rtol=1e-6, atol=1e-12)
            if same:
                continue   # one map for the whole result: the global ratio and difference say it
            where = ctx.axis_name(axis)
            if scale_ok:
                what = (f"shifted by a constant of its own (from {_fmt(sh.min())} to {_fmt(sh.max())}): a per-slice "
                        f"offset, such as a mean, is wrong")
            elif shift_ok:
                what = (f"scaled by a constant of its own (from {_fmt(sc.min())} to {_fmt(sc.max())}): a per-slice "
                        f"scale, such as a standard deviation or a count, is wrong")
            else:
                what = ("an affine map of the expected one, with a scale and a shift of its own: the per-slice "
                        "statistics (a mean, a variance) are wrong, or are taken over the wrong axes")
            return f"in each slice along {where}, {n} is {what}."
    return None


def _axes_named(ctx: Context, axes: tuple[int, ...]) -> str:
    names = [ctx.axes[ax] if ax < len(ctx.axes) else str(ax) for ax in axes]
    return f"axis {axes[0]} ({names[0]})" if len(axes) == 1 else f"axes {axes} ({', '.join(names)})"


def _normalised(ctx: Context) -> str | None:
    """A normalisation's output or gradient, checked for the properties its statistics give it."""
    n = ctx.name
    if ctx.normalised is not None and len(ctx.normalised[1]) == 2:
        axes, (gamma, beta) = ctx.normalised
        over = _axes_named(ctx, axes)
        with np.errstate(all="ignore"):
            safe = np.where(gamma == 0, 1.0, gamma)
            z, ze = (ctx.a - beta) / safe, (ctx.e - beta) / safe
        if not np.all(np.isfinite(z)):
            return None
        m, me = z.mean(axis=axes), ze.mean(axis=axes)
        v, ve = z.var(axis=axes), ze.var(axis=axes)
        if not np.allclose(m, me, rtol=0, atol=1e-6):
            return (f"with beta subtracted and gamma divided out, {n} should have mean 0 over {over} in every group; "
                    f"yours has means up to {_fmt(float(np.max(np.abs(m))))}: the mean you subtract is wrong (taken "
                    f"over other axes, or added instead of subtracted).")
        if not np.allclose(v, ve, rtol=1e-9, atol=1e-12):
            return (f"with beta subtracted and gamma divided out, {n} has mean 0 over {over}, as it should, but "
                    f"variance from {float(v.min()):.9g} to {float(v.max()):.9g} where {float(ve.min()):.9g} to "
                    f"{float(ve.max()):.9g} (var / (var + eps)) is expected: what you divide by is wrong (the variance "
                    f"over other axes, eps, or a missing square root).")
        if float(np.max(np.abs(ctx.a - ctx.e))) <= 1e-4 * max(float(np.max(np.abs(ctx.e))), 1e-12):
            return None
        return (f"with beta subtracted and gamma divided out, {n} has mean 0 and the right variance over {over}, but "
                f"the values differ: gamma or beta is applied wrongly (to the wrong axis, or one of them missing).")
    if ctx.normalised_grad is not None and len(ctx.normalised_grad[1]) == 1:
        axes, (xhat,) = ctx.normalised_grad
        over = _axes_named(ctx, axes)
        scale = max(float(np.max(np.abs(ctx.e))), 1e-12)
        s, se = ctx.a.sum(axis=axes), ctx.e.sum(axis=axes)
        if not np.allclose(s, se, rtol=0, atol=1e-6 * scale * ctx.a.size):
            return (f"{n} should sum to 0 over {over} in every group (the mean of x subtracts that out); yours sums to "
                    f"up to {_fmt(float(np.max(np.abs(s))))}: the term through the mean, - mean(dxhat), is missing, "
                    f"or taken over other axes.")
        p, pe = (ctx.a * xhat).sum(axis=axes), (ctx.e * xhat).sum(axis=axes)
        if not np.allclose(p, pe, rtol=0, atol=1e-6 * scale * ctx.a.size):
            return (f"{n} sums to 0 over {over}, as it should, but is not orthogonal to xhat there: the term through "
                    f"the variance, - xhat * mean(dxhat * xhat), is missing or wrong.")
        return (f"{n} sums to 0 and is orthogonal to xhat over {over}, as it should, but the values differ: the "
                f"overall factor (gamma, 1 / std) is wrong.")
    return None


_ANALYSES: tuple[Callable[[Context], str | None], ...] = (_instead, _normalised, _where, _steps, _ratio,
                                                           _difference, _bands, _per_slice, _subset)


def diagnose(ctx: Context) -> str | None:
    """The one sentence that best says how ``ctx.a`` is wrong, or ``None`` when nothing fits."""
    for analysis in _ANALYSES:
        found = analysis(ctx)
        if found:
            return found
    return None
