"""Analyses for kinds of results the test names: a sequence of steps, an element-wise function of an
input, a normalisation and its gradient, and a value that may equal a simple expression of the inputs.

Each takes a :class:`~grader.evidence.Context` and returns one sentence, or ``None``; :mod:`grader.diagnose`
tries them in turn with the general analyses.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from .evidence import SEQUENCE_AXES, Context, fmt

__all__ = ["candidates", "over_steps", "along_input", "as_normalisation"]


def candidates(inputs: Mapping[str, np.ndarray]) -> list[tuple[str, np.ndarray]]:
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
                        (f"{ka} * {kb}", va * vb), (f"{ka} / {kb}", va / vb), (f"{kb} / {ka}", vb / va),
                        (f"-{ka} * {kb}", -va * vb), (f"-{ka} / {kb}", -va / vb), (f"-{kb} / {ka}", -vb / va),
                        (f"-({ka} + {kb})", -(va + vb))]
        for ku, vu in unary:
            if ku in inputs or ku.startswith(("-", "1/ ")):
                continue   # the plain pairs are above
            for kb, vb in items:
                if f"({kb})" not in ku and not ku.startswith(kb):
                    term = f"({ku})" if " " in ku else ku
                    out += [(f"{term} * {kb}", vu * vb), (f"{term} / {kb}", vu / vb)]
    return out


def over_steps(ctx: Context) -> str | None:
    """The first axis is a sequence (steps, epochs): say from when on the result is wrong."""
    if not ctx.axes or ctx.axes[0] not in SEQUENCE_AXES or ctx.a.ndim < 1 or ctx.a.shape[0] < 2:
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


def along_input(ctx: Context) -> str | None:
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
        order = np.argsort(x, axis=None, kind="stable")
        w, xs = wrong.flat[order], x.flat[order]
        k = int(np.argmin(w)) if w[0] else int(np.argmax(w))   # where the run of the first kind ends
        if 0 < k < w.size and w[0] != w[-1] and not (w[k:] == w[0]).any() and xs[k - 1] < xs[k]:
            t = fmt(float(0.5 * (xs[k - 1] + xs[k])))
            low, high = (f"{label} < {t}", f"{label} > {t}")
            bad, good = (low, high) if w[0] else (high, low)
            return (f"{n} is right for {good} and wrong for {bad}: a branch or a threshold sits at the wrong place "
                    f"(it switches near {label} = {t}, not where it should).")
        ax = np.abs(x)
        if (~wrong).any():
            right_max, wrong_min = float(ax[~wrong].max()), float(ax[wrong].min())
            if right_max < wrong_min:
                return (f"{n} is right for |{label}| < {fmt(wrong_min)} and wrong beyond: the mistake is in a "
                        f"term that matters for large |{label}| (a higher power, a scale, an asymptote).")
            right_min, wrong_max = float(ax[~wrong].min()), float(ax[wrong].max())
            if wrong_max < right_min:
                return (f"{n} is wrong only near {label} = 0 (|{label}| < {fmt(right_min)}) and right beyond: the "
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
    bands = ((f"{label} < -{fmt(scale)}", x < -scale), (f"|{label}| <= {fmt(scale)}", np.abs(x) <= scale),
             (f"{label} > {fmt(scale)}", x > scale))
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


def _axes_named(ctx: Context, axes: tuple[int, ...]) -> str:
    if not all(ax < len(ctx.axes) for ax in axes):
        return f"axis {axes[0]}" if len(axes) == 1 else f"axes {axes}"
    names = [ctx.axes[ax] for ax in axes]
    return f"axis {axes[0]} ({names[0]})" if len(axes) == 1 else f"axes {axes} ({', '.join(names)})"


def as_normalisation(ctx: Context) -> str | None:
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
                    f"yours has means up to {fmt(float(np.max(np.abs(m))))}: the mean you subtract is wrong (taken "
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
                    f"up to {fmt(float(np.max(np.abs(s))))}: the term through the mean, - mean(dxhat), is missing, "
                    f"or taken over other axes.")
        p, pe = (ctx.a * xhat).sum(axis=axes), (ctx.e * xhat).sum(axis=axes)
        if not np.allclose(p, pe, rtol=0, atol=1e-6 * scale * ctx.a.size):
            return (f"{n} sums to 0 over {over}, as it should, but is not orthogonal to xhat there: the term through "
                    f"the variance, - xhat * mean(dxhat * xhat), is missing or wrong.")
        return (f"{n} sums to 0 and is orthogonal to xhat over {over}, as it should, but the values differ: the "
                f"overall factor (gamma, 1 / std) is wrong.")
    return None
