"""The wire format between the judge and a worker: length-prefixed frames of plain data.

A frame is a 4-byte big-endian length and that many bytes of one encoded value. Values are
plain data only, tagged byte by byte: ``None``, ``bool``, ``int``, ``float``, ``complex``, ``str``,
``bytes``, tuples, lists and dicts of those, NumPy arrays and scalars (``np.save`` /
``np.load(allow_pickle=False)``), and references: an object handle (an object that stays on the
other side), a callback token (a judge function the worker may call back) or an echo (an object
the judge sent earlier, given back). Nothing here imports, pickles or executes what it decodes.

This module is copied into the worker's sandbox, so it uses only the standard library and NumPy.
Only exact types are plain data: a subclass of ``float`` or ``tuple`` (whose ``__eq__`` may lie)
travels as the plain value of its contents, read with the base type's own methods.
"""
from __future__ import annotations

import io
import math
import os
import struct
from typing import Any, Callable

import numpy as np

MAX_FRAME = 2**30           # a bigger frame is a protocol violation (a worker flooding the judge); an
                            # ImageNet AlexNet's first linear layer is 300 MB in float64
MAX_DEPTH = 64              # nesting deeper than this is refused (a recursion bomb in a return value)
#: arrays up to this size are kept in step both ways (a change in place on one side reaches the other);
#: bigger ones (a model's weight matrices) travel as plain copies, since checking them for changes on
#: every message would cost more than the test. The tests check in-place changes on small arrays.
SYNC_LIMIT = 16 * 2**20
#: the bit generators a test's generator may use to cross as a replica (NumPy's own, nothing else)
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
#: the same for the worker's own arrays (a model's weights, its outputs) that the tests hold: they are
#: checked on every message as long as a test holds them, so only small ones are kept in step
OWN_SYNC_LIMIT = 64 * 2**10

#: an .npy header is far shorter than this (NumPy writes it padded to 64 or so bytes)
_NPY_HEADER_MAX = 4096

_LEN = struct.Struct(">I")
_I64 = struct.Struct(">q")
_U64 = struct.Struct(">Q")
_F64 = struct.Struct(">d")
_C128 = struct.Struct(">dd")


#: builtin types that travel by name (``dtype=float``, ``isinstance(x, (int, float))``)
_BUILTIN_TYPES = {"float": float, "int": int, "bool": bool, "complex": complex, "str": str, "bytes": bytes,
                  "list": list, "tuple": tuple, "dict": dict, "object": object, "type(None)": type(None)}


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed frame of plain data."""


class Ref:
    """A reference that is not plain data: ``kind`` is ``handle``, ``callback`` or ``echo``; ``ident``
    the number the owning side gave it; ``label`` a short description (a type name), for messages."""

    __slots__ = ("kind", "ident", "label", "value")

    def __init__(self, kind: str, ident: int, label: str = "", value: Any = None) -> None:
        self.kind, self.ident, self.label, self.value = kind, ident, label, value

    def __repr__(self) -> str:
        return f"Ref({self.kind}, {self.ident}, {self.label!r})"


_BUILTIN_TYPES_BY_TYPE: dict[Any, str] = {}
#: and b"X": a tracked list, dict or array; b"R": a replica of a test's generator
_REF_TAGS = {"handle": b"H", "callback": b"K", "echo": b"E", "path": b"P", "exc": b"C"}
_REF_KINDS = {v: k for k, v in _REF_TAGS.items()}


def _npy(a: np.ndarray) -> memoryview:
    if not _BUILTIN_TYPES_BY_TYPE:
        _BUILTIN_TYPES_BY_TYPE.update({v: k for k, v in _BUILTIN_TYPES.items()})
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getbuffer()   # a view: joined into the frame without a copy


def encode(value: Any, ref: Callable[[Any], Ref | None]) -> bytes:
    """``value`` as bytes. ``ref(obj)`` says how to send what is not plain data (or ``None``: refuse)."""
    if not _BUILTIN_TYPES_BY_TYPE:
        _BUILTIN_TYPES_BY_TYPE.update({v: k for k, v in _BUILTIN_TYPES.items()})
    out: list[bytes | memoryview] = []
    _enc(value, ref, out, 0)
    return b"".join(out)


def _enc(v: Any, ref: Callable[[Any], Ref | None], out: list[bytes | memoryview], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ProtocolError(f"a value nested more than {MAX_DEPTH} deep")
    t = type(v)
    if v is None:
        out.append(b"N")
    elif t is bool:
        out.append(b"T" if v else b"F")
    elif t is int:
        if -2**63 <= v < 2**63:
            out += [b"i", _I64.pack(v)]
        else:
            s = str(v).encode()
            out += [b"I", _LEN.pack(len(s)), s]
    elif t is float:
        out += [b"f", _F64.pack(v)]
    elif t is complex:
        out += [b"c", _C128.pack(v.real, v.imag)]
    elif t is str:
        if len(v) > MAX_FRAME:
            raise ProtocolError(f"a string of {len(v)} characters (the limit is {MAX_FRAME})")
        s = v.encode("utf-8", "surrogatepass")
        out += [b"s", _LEN.pack(len(s)), s]
    elif t is bytes:
        if len(v) > MAX_FRAME:
            raise ProtocolError(f"{len(v)} bytes (the limit is {MAX_FRAME})")
        out += [b"b", _LEN.pack(len(v)), v]
    elif t is tuple or t is list:
        if t is list and _by_ref(ref(v), out):   # a list the judge sent is echoed, so `is` still holds
            return
        out += [b"t" if t is tuple else b"l", _LEN.pack(len(v))]
        for item in v:
            _enc(item, ref, out, depth + 1)
    elif t is dict:
        if _by_ref(ref(v), out):
            return
        out += [b"d", _LEN.pack(len(v))]
        for k, item in v.items():
            _enc(k, ref, out, depth + 1)
            _enc(item, ref, out, depth + 1)
    elif t is np.ndarray and not v.dtype.hasobject and v.dtype.kind not in "OV":
        if _by_ref(ref(v), out):
            return
        if v.nbytes > MAX_FRAME:
            raise ProtocolError(f"an array of {v.nbytes} bytes (the limit is {MAX_FRAME})")
        data = _npy(v)
        out += [b"a", _LEN.pack(len(data)), data]
    elif t is slice:
        out.append(b"S")
        for part in (v.start, v.stop, v.step):
            _enc(part, ref, out, depth + 1)
    elif v is Ellipsis:
        out.append(b".")
    elif t is type and v in _BUILTIN_TYPES_BY_TYPE:
        name = _BUILTIN_TYPES_BY_TYPE[v].encode()
        out += [b"B", _LEN.pack(len(name)), name]
    elif t is type and issubclass(v, np.generic) and v.__module__ == "numpy" and np.dtype(v).kind not in "OV":
        s = np.dtype(v).str.encode()
        out += [b"y", _LEN.pack(len(s)), s]
    elif isinstance(v, np.dtype) and v.kind not in "OV" and v.fields is None:
        s = v.str.encode()
        out += [b"Y", _LEN.pack(len(s)), s]
    elif isinstance(v, np.generic) and type(v).__module__ == "numpy" and v.dtype.kind not in "OV":
        data = _npy(np.asarray(v))
        out += [b"g", _LEN.pack(len(data)), data]
    elif isinstance(v, (tuple, list, dict, float, int, complex, str, bytes)):
        _enc(_base_value(v), ref, out, depth + 1)   # a subclass: its contents, read with the base type's methods
    else:
        r = ref(v)
        if r is None:
            raise ProtocolError(f"a {t.__name__} is not plain data")
        if r.kind == "rng":   # a generator of the tests: its token, then (bit generator name, state)
            out += [b"R", _U64.pack(r.ident)]
            _enc(r.value, ref, out, depth + 1)
            return
        _enc_ref(r, out)


def _base_value(v: Any) -> Any:
    """A subclass of a builtin as the builtin itself, read through the base type's own methods, so that
    its overridden ``__eq__``, ``__iter__`` or ``__float__`` say nothing: a tuple subclass whose ``__eq__``
    lies travels as the plain tuple of its items."""
    if isinstance(v, tuple):
        return tuple(tuple.__getitem__(v, i) for i in range(tuple.__len__(v)))
    if isinstance(v, list):
        return [list.__getitem__(v, i) for i in range(list.__len__(v))]
    if isinstance(v, dict):
        return {k: dict.__getitem__(v, k) for k in dict.keys(v)}
    if isinstance(v, float):
        return float.__float__(v)
    if isinstance(v, bool):
        return bool(int.__index__(v))
    if isinstance(v, int):
        return int.__index__(v)
    if isinstance(v, complex):
        return complex.__complex__(v)
    if isinstance(v, str):
        return str.__str__(v)
    return bytes.__add__(b"", v)


def _by_ref(r: Ref | None, out: list[bytes | memoryview]) -> bool:
    """For a list, dict or array: ``True`` when ``r`` sent it by reference; a ``track`` reference
    only announces the token, and the value follows."""
    if r is None:
        return False
    if r.kind == "track":
        out += [b"X", _U64.pack(r.ident)]
        return False
    _enc_ref(r, out)
    return True


def _enc_ref(r: Ref, out: list[bytes | memoryview]) -> None:
    label = r.label.encode("utf-8", "replace")[:4096 if r.kind in ("path", "exc") else 200]
    out += [_REF_TAGS[r.kind], _U64.pack(r.ident), _LEN.pack(len(label)), label]


class _Reader:
    def __init__(self, data: bytes | bytearray) -> None:
        self.data, self.pos = memoryview(data), 0

    def view(self, n: int) -> memoryview:
        """The next ``n`` bytes, not copied."""
        if n < 0 or self.pos + n > len(self.data):
            raise ProtocolError("a frame ends in the middle of a value")
        v = self.data[self.pos:self.pos + n]
        self.pos += n
        return v

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ProtocolError("a frame ends in the middle of a value")
        b = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return b

    def length(self) -> int:
        n: int = _LEN.unpack(self.take(4))[0]
        return n


def decode(data: bytes | bytearray, deref: Callable[[Ref], Any]) -> Any:
    """The value in ``data``; ``deref(ref)`` turns a reference into an object of this side."""
    r = _Reader(data)
    v = _dec(r, deref, 0)
    if r.pos != len(r.data):
        raise ProtocolError("trailing bytes after a value")
    return v


def _load_npy(raw: memoryview) -> np.ndarray:
    """The array in ``raw`` (``.npy`` bytes), read with one copy: the header parsed by NumPy's own
    format reader (no pickle, no object dtypes), the data taken straight from the frame."""
    fmt = np.lib.format
    try:
        head = io.BytesIO(bytes(raw[:_NPY_HEADER_MAX]))
        version = fmt.read_magic(head)
        read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        shape, fortran, dtype = read(head)
        if dtype.hasobject or dtype.kind in "OV":
            raise ProtocolError("not a plain array")
        count, offset = math.prod(shape), head.tell()
        if len(raw) != offset + count * dtype.itemsize:
            raise ProtocolError("an array whose data does not match its header")
        flat = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
        a = flat.reshape(shape[::-1]).transpose() if fortran else flat.reshape(shape)
        return np.array(a, copy=True, order="F" if fortran else "C")   # its own, writable memory
    except ProtocolError:
        raise
    except Exception as exc:  # noqa: BLE001 - any malformed array is a protocol violation
        raise ProtocolError(f"not an array: {exc}") from None


def _dec(r: _Reader, deref: Callable[[Ref], Any], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ProtocolError(f"a value nested more than {MAX_DEPTH} deep")
    tag = r.take(1)
    if tag == b"N":
        return None
    if tag == b"T":
        return True
    if tag == b"F":
        return False
    if tag == b"i":
        return _I64.unpack(r.take(8))[0]
    if tag == b"I":
        s = r.take(r.length())
        if len(s) > 5000 or not s.lstrip(b"-").isdigit():
            raise ProtocolError("a malformed integer")
        return int(s)
    if tag == b"f":
        return _F64.unpack(r.take(8))[0]
    if tag == b"c":
        re_, im = _C128.unpack(r.take(16))
        return complex(re_, im)
    if tag == b"s":
        return r.take(r.length()).decode("utf-8", "surrogatepass")
    if tag == b"b":
        return r.take(r.length())
    if tag in (b"t", b"l"):
        items = [_dec(r, deref, depth + 1) for _ in range(r.length())]
        return tuple(items) if tag == b"t" else items
    if tag == b"d":
        n = r.length()
        out: dict[Any, Any] = {}
        for _ in range(n):
            k = _dec(r, deref, depth + 1)
            try:
                out[k] = _dec(r, deref, depth + 1)
            except TypeError:
                raise ProtocolError("an unhashable dict key") from None
        return out
    if tag == b"a":
        return _load_npy(r.view(r.length()))
    if tag == b"g":
        a = _load_npy(r.view(r.length()))
        if a.ndim != 0:
            raise ProtocolError("a NumPy scalar that is not 0-d")
        return a[()]
    if tag == b"S":
        parts = [_dec(r, deref, depth + 1) for _ in range(3)]
        if any(p is not None and type(p) is not int for p in parts):
            raise ProtocolError("a slice of something other than ints")
        return slice(*parts)
    if tag == b".":
        return Ellipsis
    if tag == b"B":
        name = r.take(r.length()).decode("utf-8", "replace")
        if name not in _BUILTIN_TYPES:
            raise ProtocolError(f"no builtin type {name!r}")
        return _BUILTIN_TYPES[name]
    if tag in (b"y", b"Y"):
        spec = r.take(r.length()).decode("ascii", "replace")
        try:
            dt = np.dtype(spec)
        except TypeError:
            raise ProtocolError(f"not a dtype: {spec!r}") from None
        if dt.hasobject or dt.kind == "V":
            raise ProtocolError("only numeric dtypes travel")
        return dt.type if tag == b"y" else dt
    if tag == b"X":
        ident = _U64.unpack(r.take(8))[0]
        if r.take(1) not in (b"l", b"d", b"a") or not r.pos:
            raise ProtocolError("only a list, dict or array can be tracked")
        r.pos -= 1
        return deref(Ref("track", ident, value=_dec(r, deref, depth + 1)))
    if tag == b"R":
        ident = _U64.unpack(r.take(8))[0]
        value = _dec(r, deref, depth + 1)
        if type(value) is not tuple or len(value) != 2 or type(value[0]) is not str or type(value[1]) is not dict:
            raise ProtocolError("a generator that is not (name, state)")
        return deref(Ref("rng", ident, value=value))
    if tag in _REF_KINDS:
        ident = _U64.unpack(r.take(8))[0]
        label = r.take(r.length()).decode("utf-8", "replace")
        return deref(Ref(_REF_KINDS[tag], ident, label))
    raise ProtocolError(f"unknown tag {tag!r}")


# ---- frames over file descriptors

def write_frame(fd: int, payload: bytes) -> None:
    header = _LEN.pack(len(payload))
    while header:
        header = header[os.write(fd, header):]
    view = memoryview(payload)   # no copy of a payload that may be hundreds of MB
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_exact(fd: int, n: int) -> bytes:
    """``n`` bytes from ``fd``; ``EOFError`` when the other end closed first."""
    chunks: list[bytes] = []
    while n:
        b = os.read(fd, min(n, 1 << 20))
        if not b:
            raise EOFError("the other end closed the pipe")
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def read_frame(fd: int) -> bytes:
    n = _LEN.unpack(read_exact(fd, 4))[0]
    if n > MAX_FRAME:
        raise ProtocolError(f"a frame of {n} bytes (the limit is {MAX_FRAME})")
    return read_exact(fd, n)
