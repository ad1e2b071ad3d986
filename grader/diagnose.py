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
  swapped), one of ``partials`` (the oracle's answer with one term left out: "without the bias b1"),
  a simple expression of the ``inputs``, an input passed back unchanged, or zero;
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

from typing import Callable

import numpy as np

from .diagnose_kinds import along_input, as_normalisation, candidates, over_steps
from .evidence import SEQUENCE_AXES, Context, fits, fmt, named_constant

__all__ = ["diagnose", "Context"]


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
                                           fits(ctx.a, ctx.e, ~mask)):
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
    sequence = bool(ctx.axes) and ctx.axes[0] in SEQUENCE_AXES
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
        if k < 3 or ctx.a.size // k < 2 or (axis == 0 and ctx.axes and ctx.axes[0] in SEQUENCE_AXES):
            continue
        bad = np.flatnonzero(np.moveaxis(wrong, axis, 0).reshape(k, -1).any(axis=1))
        if 0 < len(bad) < k:
            shown = ", ".join(str(int(i)) for i in bad[:8]) + (", ..." if len(bad) > 8 else "")
            which = f"index {shown}" if len(bad) == 1 else f"indices {shown}"
            return (f"{n} is wrong only at {which} of {ctx.axis_name(axis)} (of {k}) and right at the others: "
                    f"look at what those slices have in common that the others do not (a condition, a parameter "
                    f"drawn for each).")
    return None


def _ratio(ctx: Context) -> str | None:
    a, e, n = ctx.a, ctx.e, ctx.name
    sig = np.abs(e) > 1e-9 * max(float(np.max(np.abs(e), initial=0.0)), 1e-300)
    if sig.sum() < (1 if ctx.quantities or ctx.constants else 2):   # one number: only a named ratio is evidence
        return None
    r = np.where(sig, a / np.where(sig, e, 1.0), np.nan)
    for label, q in ctx.quantities.items():
        if fits(r, q, sig):
            return f"{n} / expected = {label}: your result has an extra factor of {label}."
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / q
        if np.all(np.isfinite(inv[sig])) and fits(r, inv, sig):
            return f"{n} / expected = 1 / ({label}): a factor of {label} is missing."
    rs = r[sig]
    c = float(np.median(rs))
    if rs.size == 1 and not named_constant(ctx, c):
        return None
    if np.all(np.abs(rs - c) <= 1e-6 * max(abs(c), 1e-12)) and abs(c - 1) > 1e-6 and abs(c) > 1e-12:
        named = named_constant(ctx, c)
        if abs(c + 1) <= 1e-6:
            return f"{n} has the opposite sign everywhere (ratio -1): a sign is flipped somewhere."
        if named:
            return f"{n} is the expected value times {named} (= {fmt(c)}): a factor of {named} is extra or missing."
        return None   # a bare constant factor is named by the older hints (batch size, factor c)
    if rs.size >= 3 and abs(c - 1) > 0.01 and abs(c) > 1e-12 and np.all(np.abs(rs - c) <= 1e-3 * abs(c)):
        named = named_constant(ctx, c, rel=1e-3)
        what = f"{named} (= {c:.4g})" if named else f"{c:.4g}"
        return (f"{n} is about {what} times the expected value in every element (to within 0.1%, not exactly): a "
                f"factor of about {c:.4g} is extra or missing, on top of a small error.")
    return None


def _difference(ctx: Context) -> str | None:
    d = ctx.a - ctx.e
    n = ctx.name
    if not np.all(np.isfinite(d)):
        return None
    if ctx.a.size < 2:   # one number: only a difference the test can name is evidence
        c = float(d.flat[0]) if d.size else 0.0
        label = named_constant(ctx, abs(c)) if c else None
        if label:
            return (f"{n} - expected = {'-' if c < 0 else ''}{label} (= {fmt(c)}): a term {label} is "
                    f"{'extra' if c > 0 else 'missing'} (or counted once too often).")
        return None
    scale = max(float(np.max(np.abs(ctx.e), initial=0.0)), 1e-12)
    spread = float(np.ptp(d))
    c = float(np.mean(d))
    if abs(c) > 1e-9 * scale and spread <= 1e-6 * abs(c):
        label = named_constant(ctx, abs(c))
        named = f" (= {'-' if c < 0 else ''}{label})" if label else ""
        return (f"every element of {n} is off by the same constant {fmt(c)}{named}: something added (or left "
                f"in place) once too often, or not undone.")
    for label, q in ctx.quantities.items():
        if np.any(q != 0) and fits(d, q):
            return f"{n} - expected = {label}: an extra term {label} is added."
        if np.any(q != 0) and fits(-d, q):
            return f"expected - {n} = {label}: the term {label} is missing."
    for label, q in ctx.quantities.items():
        qq = float(np.sum(q * q))
        if qq == 0 or (q.size > 1 and np.allclose(q, q.flat[0])):
            continue
        c = float(np.sum(d * q)) / qq
        if abs(c) > 1e-9 and fits(d, c * q):
            cname = named_constant(ctx, abs(c))
            k = f"{'-' if c < 0 else ''}{cname}" if cname else fmt(c)
            return (f"{n} - expected = {k} * {label}: the error is proportional to {label}, so a term in {label} "
                    f"has the wrong coefficient (or is missing).")
    return None


def _instead(ctx: Context) -> str | None:
    n = ctx.name
    for label, q in ctx.partials.items():
        if fits(ctx.a, q) and not fits(ctx.e, q):
            return f"{n} equals the expected value {label}: that part of the computation is missing."
    if ctx.inputs and ctx.a.size <= 64:
        for expr, v in candidates(ctx.inputs):
            if fits(ctx.a, np.broadcast_to(v, ctx.a.shape)) and not fits(ctx.e, np.broadcast_to(v, ctx.a.shape)):
                if expr in ctx.inputs:
                    break   # said below: the input passed back unchanged
                return (f"{n} equals {expr} (with {', '.join(ctx.inputs)} as in the test), not the expected value: "
                        f"check which operands and which operation your code uses.")
    for label, q in ctx.others.items():
        if fits(ctx.a, q) and not fits(ctx.e, q):
            return f"{n} equals the expected {label}: two results are swapped."
    for label, q in ctx.inputs.items():
        if fits(ctx.a, q) and not fits(ctx.e, q):
            return f"{n} equals the input {label}, unchanged: it was passed through without being transformed."
    if np.all(ctx.a == 0) and np.any(ctx.e != 0):
        return (f"{n} is all zeros: nothing was computed or accumulated into it." if ctx.a.size > 1 else
                f"{n} is 0 where {fmt(float(ctx.e.flat[0]))} is expected: nothing reached it, or a factor is 0.")
    a0 = float(ctx.a.flat[0]) if ctx.a.size else 0.0
    if (ctx.a.size > 2 and np.isfinite(a0) and float(np.ptp(ctx.a)) <= 1e-9 * max(abs(a0), 1e-300)
            and float(np.ptp(ctx.e)) > 1e-6 * max(float(np.max(np.abs(ctx.e))), 1e-300)):
        return (f"{n} has the same value, {fmt(a0)}, in every element, where the expected values differ: the part "
                f"that depends on the element (its index, its own input, its own nudge) is lost.")
    return None


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
                what = (f"shifted by a constant of its own (from {fmt(sh.min())} to {fmt(sh.max())}): a per-slice "
                        f"offset, such as a mean, is wrong")
            elif shift_ok:
                what = (f"scaled by a constant of its own (from {fmt(sc.min())} to {fmt(sc.max())}): a per-slice "
                        f"scale, such as a standard deviation or a count, is wrong")
            else:
                what = ("an affine map of the expected one, with a scale and a shift of its own: the per-slice "
                        "statistics (a mean, a variance) are wrong, or are taken over the wrong axes")
            return f"in each slice along {where}, {n} is {what}."
    return None


_ANALYSES: tuple[Callable[[Context], str | None], ...] = (_instead, as_normalisation, _where, over_steps, _ratio,
                                                           _difference, along_input, _per_slice, _subset)


def diagnose(ctx: Context) -> str | None:
    """The one sentence that best says how ``ctx.a`` is wrong, or ``None`` when nothing fits."""
    for analysis in _ANALYSES:
        found = analysis(ctx)
        if found:
            return found
    return None
