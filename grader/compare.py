"""``assert_close``: compare a student's array with an oracle's and say, precisely, what is off.

Checks, in order: the type, the shape, the dtype family, NaN/inf, and then
the element-wise relative error ``|a-b| / max(1e-8, |a|+|b|)`` in float64.
A failure names the quantity, both shapes, the worst element and the error,
and, where the answer matches a classic mistake, says which one:
transposed, scaled by N or 1/N, sign flipped, reduced over the wrong axis,
off only along a broadcast dimension, the (N,) vs (N, 1) column-vector trap,
or any mistake the test names itself through ``mistakes=``.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from .device import to_numpy
from .diagnose import Context, diagnose

__all__ = ["assert_close", "assert_dtype", "assert_layers_close", "rel_error", "to_numpy", "REL_TOL"]

REL_TOL = 1e-7
_MATCH = 1e-6  # how close a candidate explanation must be to count as "matches"


def rel_error(a: Any, b: Any) -> float:
    """``max |a-b| / max(1e-8, |a|+|b|)`` over all elements, in float64."""
    a = to_numpy(a).astype(np.float64)
    b = to_numpy(b).astype(np.float64)
    if a.size == 0 and b.size == 0:
        return 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def _matches(a: np.ndarray, b: Any) -> bool:
    b = np.asarray(b)
    return a.shape == b.shape and bool(np.all(np.isfinite(b))) and rel_error(a, b) <= _MATCH


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _is_array(x: Any) -> bool:
    return isinstance(x, np.ndarray) or type(x).__module__.startswith("cupy")


def _shape_hints(name: str, a: np.ndarray, e: np.ndarray, reduced_from: np.ndarray | None) -> list[str]:
    hints: list[str] = []
    if a.ndim >= 2 and a.shape == e.shape[:-2] + e.shape[-2:][::-1] and _matches(np.swapaxes(a, -1, -2), e):
        hints.append(f"{name} looks transposed: its last two axes are swapped (check the order in the matrix product).")
    if e.ndim == 1 and a.shape == (e.shape[0], e.shape[0]):
        hints.append("an (N,) result came out (N, N): the column-vector trap. Something of shape (N,) was combined "
                     "with something of shape (N, 1), and broadcasting made a grid. Reshape so the shapes match exactly.")
    if a.size == e.size and a.shape != e.shape and _matches(a.reshape(e.shape), e):
        hints.append(f"the values are right but arranged as {a.shape}: reshape to {e.shape} "
                     f"(an extra or missing axis of size 1?).")
    if reduced_from is not None:
        for axis in range(reduced_from.ndim):
            for how in ("sum", "mean"):
                cand = getattr(reduced_from, how)(axis=axis)
                if cand.shape == a.shape and _matches(a, cand) and not _matches(cand, e):
                    hints.append(f"{name} equals the {how} over axis {axis}: reduce over the other axis/axes instead.")
    return hints


def _value_hints(name: str, a: np.ndarray, e: np.ndarray, batch_size: int | None,
                 reduced_from: np.ndarray | None, mistakes: Mapping[str, Any] | None) -> list[str]:
    hints: list[str] = []
    for label, value in (mistakes or {}).items():
        if _matches(a, to_numpy(value).astype(np.float64)):
            hints.append(label)
    if hints:
        return hints
    if _matches(a, -e):
        return [f"{name} has the right size but the opposite sign everywhere: a sign flipped somewhere."]
    if a.ndim == 2 and a.shape[0] == a.shape[1] and not _matches(e, e.T) and _matches(a, e.T):
        return [f"{name} looks transposed: the transpose of your result is right."]
    denom = float(np.sum(e * e))
    if denom > 0:
        c = float(np.sum(a * e)) / denom
        if abs(c - 1) > 1e-3 and abs(c) > 1e-12 and _matches(a, c * e):
            if batch_size and abs(c - batch_size) < 1e-6 * batch_size:
                return [f"{name} is scaled by N = {batch_size} (the batch size): a sum where a mean belongs, "
                        f"or a missing division by N."]
            if batch_size and abs(c * batch_size - 1) < 1e-6:
                return [f"{name} is scaled by 1/N = 1/{batch_size} (the batch size): a mean where a sum belongs, "
                        f"or an extra division by N."]
            if a.size > 1:  # a single number is a multiple of any other: only N or 1/N is evidence there
                return [f"{name} is off by a constant factor of {_fmt(c)}: check scaling constants "
                        f"(a factor 2, 1/N, or a step size)."]
    if reduced_from is not None:
        hints += [h for h in _shape_hints(name, a, e, reduced_from) if "over axis" in h]
        if hints:
            return hints
    if a.ndim >= 2:
        d = a - e
        scale = max(float(np.max(np.abs(e))), 1e-12)
        for axis in range(a.ndim):
            if a.shape[axis] > 1 and np.max(np.ptp(d, axis=axis)) <= 1e-9 * scale and np.max(np.abs(d)) > 1e-6 * scale:
                return [f"the error in {name} is identical along axis {axis} (size {a.shape[axis]}): a term broadcast "
                        f"along that axis, such as a bias, is wrong."]
    return hints


def assert_close(actual: Any, expected: Any, name: str = "value", *, tol: float = REL_TOL,
                 batch_size: int | None = None, reduced_from: Any = None,
                 mistakes: Mapping[str, Any] | None = None, nonfinite_hint: str | None = None,
                 where: Mapping[str, Any] | None = None, quantities: Mapping[str, Any] | None = None,
                 constants: Mapping[str, float] | None = None, others: Mapping[str, Any] | None = None,
                 inputs: Mapping[str, Any] | None = None, axes: Sequence[str] | None = None,
                 along: Mapping[str, Any] | None = None, normalised: Any = None,
                 normalised_grad: Any = None, partials: Mapping[str, Any] | None = None) -> None:
    """Assert that ``actual`` matches ``expected`` to relative error ``tol`` in float64.

    Args:
        actual: the student's result (NumPy/CuPy array or scalar).
        expected: the oracle's result (NumPy array, scalar, or anything ``np.asarray`` takes).
        name: what the quantity is called in messages, e.g. ``"dW"``.
        tol: the largest relative error allowed.
        batch_size: N, so that a result scaled by N or 1/N can be named as such.
        reduced_from: the array ``expected`` was reduced from (e.g. ``dY`` for ``db``),
            so that a reduction over the wrong axis can be named.
        mistakes: ``{message: value}``: classic wrong answers for this quantity; when
            ``actual`` matches one, its message is the hint.
        nonfinite_hint: said when ``actual`` has NaN/inf where ``expected`` is finite.
        where, quantities, constants, others, inputs, axes: the context the test holds, for
            :func:`grader.diagnose.diagnose` to say how the answer is wrong in one sentence before
            the numbers: ``where={"x <= 0": x <= 0}`` (conditions), ``quantities={"y": y}`` (arrays a
            ratio or a difference may equal), ``constants={"C (the number of classes)": 3}``,
            ``others={"dW": expected_dW}`` (other outputs of the same call), ``inputs={"grad_out": g}``,
            ``axes=("samples", "features")`` (names of the axes; ``("step", ...)`` makes the first axis a
            sequence), ``along={"x": x}`` (the input the result is computed from element by element),
            ``normalised=(axes, gamma, beta)`` (the result is a normalisation over ``axes``) and
            ``normalised_grad=(axes, xhat)`` (the result is the input gradient of one), ``partials=
            {"without the bias b1": value}`` (the oracle's answer with one term left out).
    """
    __tracebackhide__ = True
    e = to_numpy(expected)
    if actual is None:
        raise AssertionError(f"{name} is None: the code did not return (or store) it.")
    if e.ndim > 0 and not _is_array(actual):
        raise AssertionError(f"{name} should be an array (numpy.ndarray), got {type(actual).__name__}.")
    if e.ndim == 0 and not (_is_array(actual) or isinstance(actual, (int, float, np.number))):
        raise AssertionError(f"{name} should be a number, got {type(actual).__name__}.")
    a = to_numpy(actual)
    if a.dtype.kind not in "fiub" or (a.dtype.kind in "iub" and e.dtype.kind == "f"):
        raise AssertionError(f"{name} has dtype {a.dtype}, but a floating-point result is expected "
                             f"(integer or boolean arithmetic loses the fractions).")
    a = a.astype(np.float64)
    e = e.astype(np.float64)
    rf = None if reduced_from is None else to_numpy(reduced_from).astype(np.float64)
    if a.shape != e.shape:
        msg = f"{name} has shape {a.shape}, but it should have shape {e.shape}."
        hints = _shape_hints(name, a, e, rf)
        raise AssertionError(msg + "".join(f"\n  hint: {h}" for h in hints))
    bad = ~np.isfinite(a) & np.isfinite(e)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        msg = (f"{name} has {int(bad.sum())} NaN/inf value(s) where the expected values are finite; "
               f"first at index {idx}: got {a[idx]}, expected {_fmt(e[idx])}.")
        if nonfinite_hint:
            msg += f"\n  hint: {nonfinite_hint}"
        raise AssertionError(msg)
    if a.size == 0:
        return
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(a - e) / np.maximum(1e-8, np.abs(a) + np.abs(e))
    same_nonfinite = ~np.isfinite(e) & (a == e)
    err = np.where(same_nonfinite, 0.0, np.nan_to_num(err, nan=np.inf))
    worst = float(err.max())
    if worst <= tol:
        return
    worst_at = tuple(int(i) for i in np.unravel_index(int(np.argmax(err)), err.shape))
    where_worst = f"index {worst_at}" if a.ndim else "the value"
    msg = (f"{name} does not match: relative error {worst:.2e} (allowed {tol:.0e}), shape {a.shape}.\n"
           f"  worst at {where_worst}: got {_fmt(a[worst_at])}, expected {_fmt(e[worst_at])}")
    hints = _value_hints(name, a, e, batch_size, rf, mistakes)
    consts = dict(constants or {})
    if batch_size:
        consts.setdefault(f"N = {batch_size} (the batch size)", float(batch_size))
    diagnosis = None if any(h in (mistakes or {}) for h in hints) else diagnose(Context(
        name, a, e, tol, where=where, quantities=quantities, constants=consts, others=others, inputs=inputs, axes=axes,
        along=along, normalised=normalised, normalised_grad=normalised_grad, partials=partials))
    # the first line says what is wrong: an exact whole-array explanation (transposed, sign flipped) first, then
    # the diagnosis, else the first hint; then the numbers; then the rest
    exact = next((h for h in hints if "looks transposed" in h or "opposite sign" in h), None)
    if exact:
        hints.remove(exact)
    headline = exact or diagnosis or (hints.pop(0) if hints else None)
    if headline:
        msg = f"{headline}\n  {msg}"
    raise AssertionError(msg + "".join(f"\n  hint: {h}" for h in hints))


def assert_layers_close(layers: Sequence[tuple[str, Mapping[str, tuple[Any, Any]]]],
                        between: Sequence[str] = (), **context: Any) -> None:
    """Compare the gradients of a network layer by layer and say where the error enters.

    ``layers`` in forward order: ``[("layer 1", {"dW1": (actual, expected), ...}), ("layer 2", {...})]``;
    ``between[i]`` names what the backward pass goes through from layer ``i + 2`` down to layer ``i + 1``
    (e.g. "the ReLU mask and da1"). When the last layers are right and an earlier one is wrong, the
    first line says that the error enters between them; the numbers of the first wrong quantity follow.
    ``context`` goes to :func:`assert_close` (``constants=``, ``batch_size=``, ...).
    """
    __tracebackhide__ = True
    failures: dict[int, tuple[str, AssertionError]] = {}
    for i, (_, quantities) in enumerate(layers):
        for qname, (actual, expected) in quantities.items():
            try:
                assert_close(actual, expected, qname, **context)
            except AssertionError as exc:
                failures.setdefault(i, (qname, exc))
    if not failures:
        return
    deepest_wrong = max(failures)
    right_above = list(range(deepest_wrong + 1, len(layers)))

    def names(idx: Sequence[int]) -> str:
        return ", ".join(q for i in idx for q in layers[i][1])
    qname, first = failures[min(failures)]
    if right_above and len(failures) == deepest_wrong + 1 - min(failures):
        via = f", in {between[deepest_wrong]}" if deepest_wrong < len(between) else ""
        verb = "is" if len(right_above) == 1 and len(layers[right_above[0]][1]) == 1 else "are"
        head = (f"{names(right_above)} {verb} right and {names(sorted(failures))} wrong: the error enters between "
                f"{layers[deepest_wrong][0]} and {layers[deepest_wrong + 1][0]}{via}.")
        raise AssertionError(f"{head}\n  {qname}: {first}") from None
    raise first


def assert_dtype(actual: Any, dtype: Any, name: str = "value", because: str = "") -> None:
    """Assert that ``actual`` has exactly ``dtype`` (e.g. float32 in gives float32 out)."""
    __tracebackhide__ = True
    got = getattr(actual, "dtype", type(actual))
    if got != np.dtype(dtype):
        raise AssertionError(f"{name} has dtype {got}, expected {np.dtype(dtype)}"
                             + (f" ({because})" if because else "")
                             + ". A float64 constant or array mixed in promotes the result; keep the input's dtype.")
