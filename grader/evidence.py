"""The evidence a test holds about one failed comparison, for :mod:`grader.diagnose` to read.

:class:`Context` normalises what ``assert_close`` was given (the answer, the expected value, and the
context the test passes: conditions, quantities, constants, other outputs, inputs, axis names, ...)
to float64 arrays of the result's shape, and marks the elements that are wrong.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from .device import to_numpy

__all__ = ["Context", "fits", "fmt", "named_constant", "SEQUENCE_AXES"]

_CLOSE = 1e-6          # how close an explanation must fit to count
_AXIS_NAMES = {2: ("rows", "columns"), 4: ("samples", "channels", "rows", "columns")}
#: Names of a first axis that is a sequence (``axes=("step", "parameter")``): rows in time order.
SEQUENCE_AXES = ("step", "steps", "epoch", "epochs", "iteration", "iterations", "call", "calls")


def fits(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> bool:
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


def fmt(x: float) -> str:
    return f"{x:.6g}"


class Context:
    """What a test knows about a comparison, normalised to float64 arrays of the result's shape."""

    def __init__(self, name: str, a: np.ndarray, e: np.ndarray, tol: float, *,
                 where: Mapping[str, Any] | None = None, quantities: Mapping[str, Any] | None = None,
                 constants: Mapping[str, float] | None = None, others: Mapping[str, Any] | None = None,
                 inputs: Mapping[str, Any] | None = None, axes: Sequence[str] | None = None,
                 along: Mapping[str, Any] | None = None, normalised: Any = None,
                 normalised_grad: Any = None, partials: Mapping[str, Any] | None = None) -> None:
        self.name, self.a, self.e, self.tol = name, a, e, tol
        self.partials = {k: q for k, q in ((k, self._arr(v)) for k, v in (partials or {}).items()) if q is not None}
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


def named_constant(ctx: Context, c: float, rel: float = 1e-6) -> str | None:
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
    for la, va in named:
        for lb, vb in named:
            if la != lb and abs(c - va / vb) <= rel * abs(va / vb):
                return f"({la}) / ({lb})"
    return None
