"""What went wrong when student code raised, read from the exception, the failing line and its locals.

:func:`code_error_hint` turns a Python or NumPy error raised inside student code into one sentence
that names the operation and what was wrong with its operands, in the student's terms. It knows
exceptions by kind, not by mistake: a reduction over an axis that leaves the wrong shape, an axis
that does not exist, a reshape that changes the size, an axis listed twice in a transpose, an
index one past the end, a float where a size must be an int, a division by a zero count, an
unpacking of the wrong number of values, two shapes that do not broadcast or multiply, and a
check of the student's own that rejects an input the test treats as valid.

``local_vars`` maps the names on the failing line to their values: in one process, the frame's
locals; under the sandbox judge, stand-ins that carry only ``.shape`` (and plain numbers).
"""
from __future__ import annotations

import math
import re
from typing import Any, Callable, Mapping

__all__ = ["code_error_hint", "shape_error_hint", "generic_error_hint", "BLAND_BROADCAST", "BLAND_MATMUL"]

_NAME = r"[A-Za-z_][A-Za-z0-9_.]*"
_REDUCE = re.compile(rf"\b({_NAME})\s*\.\s*(sum|mean|max|min)\s*\(\s*(?:axis\s*=\s*)?(-?\d+)")
_SHAPES = re.compile(r"\(([\d, ]*)\)")
_INPLACE = re.compile(r"non-broadcastable output operand with shape \(([\d, ]*)\) doesn't match the broadcast "
                      r"shape \(([\d, ]*)\)")
_MATMUL = re.compile(r"matmul: Input operand \d has a mismatch in its core dimension")
_BROADCAST = re.compile(r"operands could not be broadcast together")
#: What is left to say of a broadcast error when the line names no arrays: true, but not yet a diagnosis.
BLAND_BROADCAST = "two shapes do not broadcast: print them and line them up from the right."
BLAND_MATMUL = "the inner sizes of a matrix product disagree: print both shapes; one operand may need a transpose."


def _shape(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.replace(" ", "").split(",") if p.lstrip("-").isdigit())


def _lookup(expr: str, local_vars: Mapping[str, Any]) -> Any:
    head, *rest = expr.split(".")
    obj = local_vars.get(head)
    for attr in rest:
        obj = getattr(obj, attr, None)
    return obj


def _arrays_on(line: str, local_vars: Mapping[str, Any]) -> dict[str, tuple[int, ...]]:
    """``{expression: shape}`` for the arrays named on ``line``, longest expression first, no duplicates."""
    found: dict[str, tuple[int, ...]] = {}
    for dotted in re.findall(rf"\b{_NAME}", line):
        parts = dotted.strip(".").split(".")
        for k in range(len(parts), 0, -1):
            expr = ".".join(parts[:k])
            shape = getattr(_lookup(expr, local_vars), "shape", None)
            if type(shape) is tuple and all(type(n) is int for n in shape):
                if expr not in found and not any(e.startswith(expr + ".") for e in found):
                    found[expr] = shape
                break
    return found


def _numbers_on(line: str, local_vars: Mapping[str, Any]) -> dict[str, int | float]:
    """``{expression: value}`` for the plain numbers named on ``line``."""
    out: dict[str, int | float] = {}
    for expr in re.findall(rf"\b{_NAME}", line):
        v = _lookup(expr.strip("."), local_vars)
        if type(v) in (int, float):
            out[expr.strip(".")] = v
    return out


def shape_error_hint(exc: BaseException, line: str | None, local_vars: Mapping[str, Any] | None) -> str:
    """Name the reduction and axis of a shape error raised in student code, where the line allows.

    ``self.b.grad += g.sum(axis=1)`` with ``g`` of shape (4, 3) and ``b.grad`` of shape (3,) gives:
    "you took the sum of g over axis 1 (shape (4, 3) -> (4,)), but the result must have shape (3,):
    reduce over axis 0 instead."
    """
    if not line or local_vars is None or "broadcast" not in str(exc) and "shape" not in str(exc):
        return ""
    m = _REDUCE.search(line)
    if not m:
        return ""
    shape = getattr(_lookup(m.group(1), local_vars), "shape", None)
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


def generic_error_hint(exc: BaseException) -> str:
    """A hint for the NumPy shape errors students meet most, from the message alone."""
    text = str(exc)
    m = _INPLACE.search(text)
    if m:
        have, got = _shape(m.group(1)), _shape(m.group(2))
        if len(have) >= 2 and got == have[:-2] + have[-2:][::-1]:
            return (f"the array added into the {have} buffer has shape {got}: it looks transposed "
                    f"(check the order of the matrix product).")
        return f"an in-place update (+=) mixes a {have} buffer with a {got} result: the shapes must match."
    if _MATMUL.search(text):
        return BLAND_MATMUL
    if _BROADCAST.search(text):
        shapes = [_shape(g) for g in _SHAPES.findall(text)]
        for a in shapes:
            for b in shapes:
                if len(a) >= 2 and a != b and b == a[:-2] + a[-2:][::-1]:
                    return (f"shapes {a} and {b} meet here: one of them looks transposed "
                            f"(check the order of the matrix product).")
        return BLAND_BROADCAST
    return ""


def _listing(arrays: Mapping[str, tuple[int, ...]], want: Callable[[tuple[int, ...]], bool]) -> str:
    names = [f"{e} {s}" for e, s in arrays.items() if want(s)]
    return f" (on this line: {', '.join(names[:3])})" if names else ""


def _axis(exc: BaseException, line: str, arrays: Mapping[str, tuple[int, ...]], _: Any) -> str:
    m = re.search(r"axis (-?\d+) is out of bounds for array of dimension (\d+)", str(exc))
    if not m:
        return ""
    k, d = int(m.group(1)), int(m.group(2))
    valid = f"0..{d - 1} (or -{d}..-1)" if d else "none (it is a single number)"
    return (f"you asked for axis {k} of an array with {d} axes{_listing(arrays, lambda s: len(s) == d)}: its "
            f"axes are {valid}. Count the axes of this layout again (an axis meant for another layout?).")


def _reshape(exc: BaseException, line: str, arrays: Mapping[str, tuple[int, ...]], _: Any) -> str:
    m = re.search(r"cannot reshape array of size (\d+) into shape \(([^)]*)\)", str(exc))
    if not m:
        return ""
    size, parts = int(m.group(1)), [p.strip() for p in m.group(2).split(",") if p.strip()]
    shown = "(" + ", ".join("-1" if p == "newaxis" else p for p in parts) + ("," if len(parts) == 1 else "") + ")"
    fixed = [int(p) for p in parts if p.isdigit()]
    need = math.prod(fixed)
    src = _listing(arrays, lambda s: math.prod(s) == size)
    if len(fixed) == len(parts):
        return (f"you reshaped an array of {size} elements{src} into {shown}, which holds {need}: a reshape keeps "
                f"the number of elements, so one of the sizes in {shown} is wrong.")
    return (f"you reshaped an array of {size} elements{src} into {shown}: the fixed sizes multiply to {need}, "
            f"which does not divide {size}, so one of them is wrong.")


def _transpose(exc: BaseException, line: str, arrays: Mapping[str, tuple[int, ...]], _: Any) -> str:
    text = str(exc)
    if "repeated axis in transpose" not in text and "axes don't match array" not in text:
        return ""
    call = re.search(r"(transpose|permute)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)", line)
    what = f" {call.group(1)}({call.group(2)})" if call else ""
    if "repeated" in text:
        return (f"you listed an axis twice in{what or ' a transpose'}: a transpose names every axis exactly once, "
                f"each in its new position.")
    return f"you gave{what or ' a transpose'} a different number of axes than the array has{_listing(arrays, bool)}."


def _index(exc: BaseException, line: str, arrays: Mapping[str, tuple[int, ...]], _: Any) -> str:
    text = str(exc)
    m = re.search(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)", text)
    if m:
        i, ax, n = (int(g) for g in m.groups())
        off = "exactly one past the end" if i == n else ("before the start" if i < -n else "past the end")
        return (f"you indexed position {i} of axis {ax}, which has size {n} (positions 0..{n - 1}): that is {off}"
                f"{_listing(arrays, lambda s: len(s) > ax and s[ax] == n)}. A loop bound or an offset is off.")
    if "list index out of range" in text:
        return ("you indexed past the end of a list on this line: it has fewer entries than the loop or the index "
                "expects (a list built too short, or a range one too long?).")
    if "tuple index out of range" in text:
        m2 = re.search(rf"({_NAME})\.shape\[(-?\d+)\]", line)
        if m2:
            shape = arrays.get(m2.group(1))
            axes = "1 axis" if shape is not None and len(shape) == 1 else f"{len(shape or ())} axes"
            has = f", but {m2.group(1)} has shape {shape} ({axes})" if shape is not None else ""
            return (f"you read {m2.group(1)}.shape[{m2.group(2)}]{has}: the array has fewer axes than this line "
                    f"expects (the wrong layout, or an axis dropped earlier?).")
        return "you read past the end of a tuple on this line (a shape with fewer entries than expected?)."
    return ""


def _integer(exc: BaseException, line: str, arrays: Mapping[str, tuple[int, ...]], nums: Mapping[str, float]) -> str:
    text = str(exc)
    if not ("cannot be interpreted as an integer" in text or "slice indices must be integers" in text
            or "must be of integral type" in text or "integer argument expected" in text
            or "only integers" in text):
        return ""
    floats = [f"{e} = {v!r}" for e, v in nums.items() if type(v) is float]
    division = " `/` always gives a float in Python 3; use `//` for sizes and indices." if "/" in line else ""
    where = f" ({', '.join(floats[:3])})" if floats else ""
    return (f"you passed a float where a whole number (a size, an index or a count) is needed{where}.{division}"
            f" Sizes and indices must be ints.").replace("..", ".")


def _zero(exc: BaseException, line: str, arrays: Mapping[str, tuple[int, ...]], nums: Mapping[str, float]) -> str:
    if not isinstance(exc, ZeroDivisionError):
        return ""
    zeros = [e for e, v in nums.items() if v == 0]
    named = f": {', '.join(zeros[:3])} {'is' if len(zeros) == 1 else 'are'} 0 here" if zeros else ""
    return (f"you divided by zero{named}. A count or size that should be positive came out 0: check how it is "
            f"computed (an integer division that rounds down, a range that is empty?).")


def _unpack(exc: BaseException, line: str, arrays: Mapping[str, tuple[int, ...]], _: Any) -> str:
    single = re.search(r"cannot unpack non-iterable (\w+) object", str(exc))
    if single:
        return (f"you unpacked a single {single.group(1)} into several names: the value on the right should be a "
                f"tuple (a pair of sizes, a shape) and is one number (computed with `/` where `//` was meant, or "
                f"an argument given as one int where a pair is expected?).")
    m = re.search(r"(too many|not enough) values to unpack \(expected (\d+)(?:, got (\d+))?\)", str(exc))
    if not m:
        return ""
    shapes = re.search(rf"=\s*({_NAME})\.shape\b", line)
    src = shapes.group(1) if shapes else None
    got = f" {src}.shape is {arrays[src]}" if src and src in arrays else ""
    return (f"you unpacked {'more' if m.group(1) == 'too many' else 'fewer'} values than the {m.group(2)} names "
            f"on the left{(':' + got) if got else ''}: the value has a different number of entries (axes) than "
            f"this line expects.")


def _domain(exc: BaseException, line: str, arrays: Mapping[str, tuple[int, ...]], nums: Mapping[str, float]) -> str:
    if "math domain error" not in str(exc):
        return ""
    neg = [f"{e} = {v:g}" for e, v in nums.items() if v <= 0]
    return (f"you took a math function outside its domain (the square root or log of a number <= 0"
            f"{': ' + ', '.join(neg[:3]) if neg else ''}): the value going into it is wrong.")


def _operands(exc: BaseException, line: str, arrays: Mapping[str, tuple[int, ...]], _: Any) -> str:
    text = str(exc)
    m = re.search(r"unsupported operand type\(s\) for (\S+): '(\w+)' and '(\w+)'", text)
    if m:
        return (f"you applied {m.group(1)} to {_a(m.group(2))} and {_a(m.group(3))}: one of them should be an array "
                f"or a number here (a shape tuple, or a list, used as a value?).")
    m = re.search(r"'(\w+)' object (?:has no attribute '(\w+)'|is not subscriptable|is not iterable)", text)
    if m and m.group(1) in ("float", "int", "NoneType", "tuple", "list"):
        what = f"used .{m.group(2)} on" if m.group(2) else "indexed or iterated over"
        return (f"you {what} a {m.group(1)}: a value that should be an array is a {m.group(1)} on this line "
                f"(a function returned the wrong thing, or the wrong variable is used).")
    if _MATMUL.search(text) or _BROADCAST.search(text) or _INPLACE.search(text):
        base = generic_error_hint(exc)
        if arrays and "transposed" not in base and not _INPLACE.search(text):
            listed = ", ".join(f"{e} {s}" for e, s in list(arrays.items())[:4])
            met = [s for s in _SHAPES.findall(text) if "," in s]
            shapes = f" (shapes {' and '.join('(' + m + ')' for m in met[:3])} met here)" if met else ""
            what = "multiply" if _MATMUL.search(text) else "broadcast"
            return (f"you combined arrays whose shapes do not {what}{shapes}; on this line: {listed}. One of them "
                    f"has the wrong shape (a slice or an index that drops or keeps an axis?), or needs a transpose "
                    f"or a reshape.")
        return base
    return ""


def _own_check(exc: BaseException, line: str, arrays: Mapping[str, tuple[int, ...]], _: Any) -> str:
    if not line.lstrip().startswith("raise "):
        return ""
    return (f"your own check raised {type(exc).__name__} on an input this test treats as valid: the condition "
            f"guarding this `raise` is wrong, or a value computed before it is.")


_HANDLERS = (_axis, _reshape, _transpose, _index, _integer, _zero, _unpack, _domain, _operands, _own_check)


def code_error_hint(exc: BaseException, line: str | None, local_vars: Mapping[str, Any] | None) -> str:
    """One sentence naming what went wrong on the failing line of student code, or ``""``."""
    named = shape_error_hint(exc, line, local_vars)
    if named:
        return named
    text_line, scope = line or "", local_vars or {}
    try:
        arrays, nums = _arrays_on(text_line, scope), _numbers_on(text_line, scope)
    except Exception:  # noqa: BLE001 - a property that raises: no names, no harm
        arrays, nums = {}, {}
    for handler in _HANDLERS:
        try:
            found = handler(exc, text_line, arrays, nums)
        except Exception:  # noqa: BLE001 - an odd value on the line (a number too large to format)
            found = ""
        if found:
            return found
    return ""


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word
