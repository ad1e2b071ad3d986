"""The worker: the only process in which a student's code runs.

It is started inside the sandbox (see :mod:`.launch`) with two pipe ends, and does nothing but
answer the judge's requests over them: load the student's package, get or set an attribute,
call something, apply an operator. Objects stay here and the judge holds handles to them;
values travel as plain data (:mod:`.protocol`). When student code calls a function the judge
passed in (a callback), the worker asks the judge to run it and serves the judge's nested
requests until the answer comes. Arrays, lists and dicts the judge sent are watched: when student
code changes one in place, the new contents go back with the reply, so the judge's copy changes
as it would have in one process.

This file is copied into the sandbox beside ``protocol.py`` and uses only the standard library
and NumPy. Nothing it does decides a score; the judge only believes the values it returns.
"""
from __future__ import annotations

import builtins
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import math
import operator
import os
import sys
import traceback
from pathlib import Path, PurePath
from types import ModuleType
from typing import Any, Callable

FORBIDDEN = ("torch", "reference", "grader", "tests", "pytest", "hypothesis")

#: the operators the judge may apply, by name: nothing outside this table can be requested
OPS: dict[str, Callable[..., Any]] = {
    name: getattr(operator, name) for name in (
        "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "lshift", "rshift", "and_", "or_",
        "xor", "iadd", "isub", "imul", "itruediv", "ifloordiv", "imod", "ipow", "imatmul", "neg", "pos", "abs",
        "invert", "lt", "le", "gt", "ge", "getitem", "setitem", "delitem", "contains", "index")}
OPS.update({"len": len, "iter": iter, "next": next, "float": float, "int": int, "complex": complex,
            "divmod": divmod, "round": round, "trunc": math.trunc, "floor": math.floor, "ceil": math.ceil,
            "isinstance": isinstance, "issubclass": issubclass, "hasattr": hasattr, "vars": vars})


#: what a test's subclass of a remote class never forwards to the base (the judge's own protocols)
NOT_FORWARDED = frozenset({
    "__class__", "__new__", "__init_subclass__", "__subclasshook__", "__getattribute__", "__getattr__",
    "__setattr__", "__delattr__", "__eq__", "__ne__", "__hash__", "__repr__", "__str__", "__format__", "__dir__",
    "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__", "__sizeof__", "__instancecheck__",
    "__subclasscheck__", "__class_getitem__", "__mro_entries__", "__bool__", "__del__", "__lt__", "__le__",
    "__gt__", "__ge__", "__array__", "__array_ufunc__", "__array_function__", "__init__subclass__"})


class _Guard:
    """Refuses imports of the oracles from the student's modules, as :mod:`grader.impl` does in one process."""

    def __init__(self, prefixes: set[str]) -> None:
        self.prefixes = prefixes
        self._orig = builtins.__import__

    def __call__(self, name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        if level == 0 and globals and name.split(".")[0] in FORBIDDEN:
            importer = str(globals.get("__name__", "") or "")
            if importer.split(".")[0] in self.prefixes:
                who = str(globals.get("__file__", importer))
                raise ImportError(f"{who} imports {name!r}, which code under test may not use. "
                                  f"Write it with NumPy (through the backend's xp); PyTorch is only the tests' oracle.")
        return self._orig(name, globals, locals, fromlist, level)


class _SwapFinder(importlib.abc.MetaPathFinder):
    """Loads ``<alias>.<module>`` from the staged reference file, for a task judged on reference prerequisites."""

    def __init__(self, alias: str, swap_dir: str, files: tuple[str, ...]) -> None:
        self.paths = {f"{alias}." + f[:-3].replace("/", "."): os.path.join(swap_dir, f) for f in files}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        src = self.paths.get(fullname)
        return importlib.util.spec_from_file_location(fullname, src) if src is not None else None


class Loader:
    """The student's package under an import name of its own (one per set of swapped files)."""

    def __init__(self, folder: str, swap_dir: str, guard: _Guard) -> None:
        self.folder, self.swap_dir, self.guard = folder, swap_dir, guard
        self.roots: dict[tuple[str, ...], str] = {}

    def alias(self, swapped: tuple[str, ...]) -> str:
        if swapped not in self.roots:
            import zlib
            alias = "submission" + (f"__on_reference_{zlib.crc32('|'.join(swapped).encode()):08x}" if swapped else "")
            if swapped:
                sys.meta_path.insert(0, _SwapFinder(alias, self.swap_dir, swapped))
            self.guard.prefixes.add(alias)
            self.roots[swapped] = alias
        return self.roots[swapped]

    def module(self, alias: str, dotted: str) -> ModuleType:
        if alias not in sys.modules:
            spec = importlib.util.spec_from_file_location(
                alias, os.path.join(self.folder, "__init__.py"), submodule_search_locations=[self.folder])
            assert spec is not None and spec.loader is not None
            root = importlib.util.module_from_spec(spec)
            sys.modules[alias] = root
            try:
                spec.loader.exec_module(root)
            except BaseException:
                del sys.modules[alias]
                raise
        return importlib.import_module(f"{alias}.{dotted}" if dotted else alias)


class Worker:
    def __init__(self, fd_in: int, fd_out: int, loader: Loader) -> None:
        from . import protocol
        self.P = protocol
        self.fd_in, self.fd_out, self.loader = fd_in, fd_out, loader
        self.objs: dict[int, Any] = {}         # handle -> object (kept alive until the judge's reset)
        self.ids: dict[int, int] = {}          # id(object) -> handle
        self.tracked: dict[int, tuple[Any, Any]] = {}   # token -> (judge's object here, snapshot)
        self.tracked_ids: dict[int, int] = {}  # id(object) -> token
        self.no_track: set[int] = set()        # ids of copies being sent by value (syncs)
        self.mirror: str | None = None         # the test's tmp_path, mirrored here (files.py)
        self.mirror_known: dict[str, tuple[int, int]] = {}
        self.next_token = 0                    # even tokens: the worker's own lists, dicts and arrays
        self.next_handle = 1
        self.next_cb = 1

    # ---- references
    def ref(self, obj: Any) -> Any:
        P = self.P
        token = self.tracked_ids.get(id(obj))
        if token is not None and self.tracked.get(token, (None,))[0] is obj:
            return P.Ref("echo", token)
        if type(obj) is JudgeRef:
            return P.Ref("callback", obj._token)
        if isinstance(obj, PurePath):
            text = str(obj)
            return P.Ref("path", 0, text if type(text) is str else "")
        if isinstance(obj, type) and issubclass(obj, BaseException) and obj.__module__ != "builtins":
            return P.Ref("exc", 0, ";".join(exception_names(obj)))   # a student's exception class
        if type(obj) in (list, dict) or (type(obj).__name__ == "ndarray" and type(obj).__module__ == "numpy"
                                         and obj.dtype.kind not in "OV"):
            if id(obj) in self.no_track or (type(obj) not in (list, dict) and obj.nbytes > P.OWN_SYNC_LIMIT):
                return None   # a copy, by value
            self.next_token += 2   # by value, and tracked: the judge's copy stays in step with this object
            self.tracked[self.next_token] = (obj, _snapshot(obj))
            self.tracked_ids[id(obj)] = self.next_token
            return P.Ref("track", self.next_token)
        h = self.ids.get(id(obj))
        if h is None or self.objs.get(h) is not obj:
            h = self.next_handle
            self.next_handle += 1
            self.objs[h] = obj
            self.ids[id(obj)] = h
        try:
            token = type(obj).__dict__.get("_nnott_judge_token")   # an instance of a test's own subclass
        except Exception:  # noqa: BLE001 - a metaclass with a __dict__ of its own
            token = None
        label = f"judge:{token}:{type(obj).__name__}" if type(token) is int else type(obj).__name__
        return P.Ref("handle", h, label)

    def deref(self, r: Any) -> Any:
        P = self.P
        if r.kind == "path":
            return Path(r.label)
        if r.kind == "handle":
            if r.ident not in self.objs:
                raise P.ProtocolError(f"no object {r.ident} here (it was released)")
            return self.objs[r.ident]
        if r.kind == "callback":
            return JudgeRef(self, r.ident, r.label)
        if r.kind == "echo":
            if r.ident not in self.tracked:
                raise P.ProtocolError(f"no tracked object {r.ident}")
            return self.tracked[r.ident][0]
        if r.kind == "rng":   # the test's generator: a replica here, kept in step with the judge's
            import numpy as np
            name, state = r.value
            if name not in P.BIT_GENERATORS:
                raise P.ProtocolError(f"not a bit generator of NumPy's: {name!r}")
            gen = np.random.Generator(getattr(np.random, name)())
            gen.bit_generator.state = state
            self.tracked[r.ident] = (gen, _snapshot(gen))
            self.tracked_ids[id(gen)] = r.ident
            return gen
        if r.kind == "track":
            self.tracked[r.ident] = (r.value, _snapshot(r.value))
            self.tracked_ids[id(r.value)] = r.ident
            return r.value
        raise P.ProtocolError(f"unknown reference {r.kind}")

    def call_judge(self, token: int, name: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        cid = self.next_cb
        self.next_cb += 1
        self.send(("cb", cid, token, name, args, tuple(kwargs.items()), self.syncs()))
        return self.serve(until=cid)

    def send(self, msg: Any) -> None:
        payload = self.P.encode(msg, self.ref)
        self.no_track.clear()
        self.P.write_frame(self.fd_out, payload)

    def syncs(self) -> tuple[tuple[int, Any], ...]:
        """The judge's objects that student code changed in place since the last reply."""
        out = []
        for token, (obj, snap) in list(self.tracked.items()):
            now = _snapshot(obj)
            if not _same(now, snap):
                self.tracked[token] = (obj, now)
                if type(obj) is list:
                    value: Any = list(obj)
                elif type(obj) is dict:
                    value = dict(obj)
                elif now[0] == "rng":
                    value = now[1]
                else:
                    import numpy as np
                    value = np.array(obj, copy=True)
                self.no_track.add(id(value))
                out.append((token, value))
        return tuple(out)

    def release(self, tokens: Any) -> None:
        """The judge let go of its copies: these objects need no more keeping in step."""
        for token in tokens:
            obj = self.tracked.pop(token, (None,))[0]
            if obj is not None and self.tracked_ids.get(id(obj)) == token:
                del self.tracked_ids[id(obj)]

    def apply_pushes(self, pushes: Any) -> None:
        """The judge changed objects it had sent: change ours in place, as one process would have."""
        for token, value in pushes:
            if token not in self.tracked:
                continue
            obj = self.tracked[token][0]
            try:
                if type(obj) is list:
                    obj[:] = value
                elif type(obj) is dict:
                    obj.clear()
                    obj.update(value)
                elif _is_generator(obj):
                    obj.bit_generator.state = value
                else:
                    if obj.shape != value.shape:
                        obj.shape = value.shape
                    obj[...] = value
            except (ValueError, TypeError, AttributeError):
                pass
            self.tracked[token] = (obj, _snapshot(obj))

    # ---- requests
    def handle(self, req: tuple[Any, ...]) -> Any:
        op = req[0]
        if op == "modattr":
            _, swapped, dotted, name = req
            mod = self.loader.module(self.loader.alias(tuple(swapped)), dotted)
            return getattr(mod, name)
        if op == "getattr":
            return getattr(req[1], req[2])
        if op == "setattr":
            setattr(req[1], req[2], req[3])
            return None
        if op == "delattr":
            delattr(req[1], req[2])
            return None
        if op == "call":
            return req[1](*req[2], **dict(req[3]))
        if op == "op":
            fn = OPS.get(req[1])
            if fn is None:
                raise TypeError(f"no operator {req[1]!r}")
            return fn(*req[2])
        if op == "array":
            import numpy as np
            a = np.asarray(req[1])
            if a.dtype.hasobject:
                raise TypeError(f"{type(req[1]).__name__} does not convert to a numeric array")
            return np.array(a, copy=True)
        if op in ("repr", "str"):
            text = (repr if op == "repr" else str)(req[1])
            return text[:2000] if type(text) is str else "<not a str>"
        if op == "dir":
            cls = req[1]
            return tuple(n for n in dir(cls) if n not in NOT_FORWARDED and callable(getattr(cls, n, None)))
        if op == "supercall":   # super().name(...) in a test's subclass: the base class's own method
            _, base, name, obj, args, kwargs = req
            for klass in base.__mro__:
                if name in vars(klass):
                    raw = vars(klass)[name]
                    if isinstance(raw, (classmethod, staticmethod)):
                        return getattr(base, name)(*args, **dict(kwargs))
                    bound = raw.__get__(obj, base) if hasattr(raw, "__get__") else raw
                    return bound(*args, **dict(kwargs))
            raise AttributeError(f"{base.__name__} has no {name!r}")
        if op == "subclass":
            _, base, name, methods, attrs, token = req
            ns: dict[str, Any] = dict(attrs)
            ns["_nnott_judge_token"] = token
            for mname, kind, fn in methods:
                ns[mname] = {"classmethod": classmethod, "staticmethod": staticmethod}.get(kind, _method)(fn)
            ns["__module__"] = "judge"
            return type(base)(name, (base,), ns)
        if op == "reset":
            if os.getuid() != 0:
                try:
                    os.kill(-1, 9)   # every other process of this sandbox's user: nothing outlives its test
                except OSError:
                    pass
            if self.mirror is not None:
                import shutil
                shutil.rmtree(self.mirror, ignore_errors=True)
                self.mirror, self.mirror_known = None, {}
            self.objs.clear()
            self.ids.clear()
            self.tracked.clear()
            self.tracked_ids.clear()
            self.no_track.clear()
            return os.getpid()   # the judge checks that the worker it started answers, not a forked copy
        raise TypeError(f"unknown request {op!r}")

    def serve(self, until: int | None = None) -> Any:
        """Answer requests; with ``until``, return when the judge answers callback ``until``."""
        P = self.P
        while True:
            try:
                msg = P.decode(P.read_frame(self.fd_in), self.deref)
            except EOFError:
                os._exit(0)
            kind = msg[0]
            if kind == "cbret":
                _, cid, ok, value, pushes, released = msg
                self.apply_pushes(pushes)
                self.release(released)
                if cid != until:
                    raise P.ProtocolError("an answer to a callback nobody waits for")
                if ok:
                    return value
                if value == "StopIteration: the iterator of the tests is exhausted":
                    raise StopIteration
                raise _judge_error(value)
            if kind != "req":
                raise P.ProtocolError(f"unknown message {kind!r}")
            rid, req = msg[1], msg[2]
            self.apply_pushes(msg[3])
            self.release(msg[4])
            self.files_in(msg[5])
            import warnings
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    result = self.handle(req)
                    out: Any = ("ok", rid, result, self.syncs(), _warnings(caught), self.files_out())
                    payload = P.encode(out, self.ref)
                except BaseException as exc:  # noqa: BLE001 - every failure of student code is the judge's to classify
                    payload = P.encode(("err", rid, describe(exc, self.loader.folder), self._syncs_safe(),
                                        _warnings(caught), self._files_out_safe()), self.ref)
            self.no_track.clear()
            P.write_frame(self.fd_out, payload)

    def files_in(self, files: Any) -> None:
        """The judge's changes to the test's tmp_path, written into the mirror here."""
        if files is None:
            return
        from . import files as F
        root, changed, removed = files
        if root != self.mirror:
            self.mirror, self.mirror_known = root, {}
        self.mirror_known.update(F.apply(root, changed, removed))
        for rel in removed:
            self.mirror_known.pop(rel, None)

    def files_out(self) -> Any:
        """What student code changed in the mirror, for the judge to write into tmp_path."""
        if self.mirror is None:
            return None
        from . import files as F
        changed, removed, self.mirror_known = F.changes(self.mirror, self.mirror_known)
        return (changed, removed) if changed or removed else None

    def _files_out_safe(self) -> Any:
        try:
            return self.files_out()
        except Exception:  # noqa: BLE001 - too much written: the judge gets nothing of it
            return None

    def _syncs_safe(self) -> tuple[tuple[int, Any], ...]:
        try:
            return self.syncs()
        except Exception:  # noqa: BLE001
            return ()


class JudgeRef:
    """Something of the judge's that student code received: a function it may call, the test's random
    generator (whose drawing methods it may call), or a reference object a test handed over (whose
    public attributes it may use). The judge decides what is allowed; nothing else of it is reachable."""

    __slots__ = ("_worker", "_token", "_label")

    def __init__(self, worker: Worker, token: int, label: str) -> None:
        object.__setattr__(self, "_worker", worker)
        object.__setattr__(self, "_token", token)
        object.__setattr__(self, "_label", label)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._worker.call_judge(self._token, None, args, kwargs)

    def __iter__(self) -> Any:
        # an iterator of the tests gives itself back; an iterable one (a test's loader) a fresh iterator
        return self._worker.call_judge(self._token, ("iter", ""), (), {})

    def __next__(self) -> Any:
        return self._worker.call_judge(self._token, ("next", ""), (), {})

    def __len__(self) -> int:
        n = self._worker.call_judge(self._token, ("len", ""), (), {})
        if type(n) is not int or n < 0:
            raise TypeError("len() of an object of the tests did not give a non-negative int")
        return n

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name == "shuffle" and self._label == "Generator":
            return self._shuffle
        return self._worker.call_judge(self._token, ("getattr", name), (), {})

    def __setattr__(self, name: str, value: Any) -> None:
        self._worker.call_judge(self._token, ("setattr", name), (value,), {})

    def _shuffle(self, x: Any, axis: int = 0) -> None:
        """``Generator.shuffle`` in place on an array or list here: the same draws as ``permutation(len(x))``."""
        if axis != 0:
            raise ValueError("shuffle: only axis=0 is supported here")
        perm = self._worker.call_judge(self._token, ("getattr", "permutation"), (), {})(len(x))
        if type(x) is list:
            x[:] = [x[int(i)] for i in perm]
        else:
            x[...] = x[perm]

    def __repr__(self) -> str:
        return f"<{self._label or 'function'} of the tests>"


def _warnings(caught: list[Any]) -> tuple[tuple[str, str, str, int], ...]:
    """The warnings student code raised during a request (category, message, file, line), at most 50."""
    out = []
    for w in caught[:50]:
        try:
            out.append((str(w.category.__name__), str(w.message)[:500], str(w.filename), int(w.lineno or 0)))
        except Exception:  # noqa: BLE001
            continue
    return tuple(out)


def _method(fn: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(self, *args, **kwargs)
    method.__name__ = getattr(fn, "__name__", "method")
    return method


def _is_generator(obj: Any) -> bool:
    return type(obj).__name__ == "Generator" and type(obj).__module__.startswith("numpy.random")


def _snapshot(obj: Any) -> Any:
    if _is_generator(obj):
        return ("rng", obj.bit_generator.state)
    if type(obj) is list:
        return ("list", tuple(obj))
    if type(obj) is dict:
        return ("dict", tuple(obj.items()))
    return ("array", obj.shape, obj.dtype.str, obj.tobytes())


def _same(a: Any, b: Any) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] == "array":
        return bool(a[1] == b[1] and a[2] == b[2] and a[3] == b[3])
    if a[0] == "rng":
        return bool(a[1] == b[1])
    x, y = a[1], b[1]
    if len(x) != len(y):
        return False
    if a[0] == "list":
        return all(p is q for p, q in zip(x, y))
    return all(p[0] is q[0] and p[1] is q[1] for p, q in zip(x, y))


class JudgeError(Exception):
    """A function of the judge's, called back by student code, raised."""


#: a judge error of one of these types is raised here as that type too (``getattr(rng, "shape", ())``
#: must fall back to its default, as it does on a generator in one process)
_JUDGE_ERRORS = {name: type("JudgeError", (JudgeError, getattr(builtins, name)), {})
                 for name in ("AttributeError", "TypeError", "ValueError", "KeyError", "IndexError")}


def _judge_error(value: Any) -> BaseException:
    text = str(value)
    err: BaseException = _JUDGE_ERRORS.get(text.split(":", 1)[0], JudgeError)(text)
    return err


def exception_names(cls: type) -> list[str]:
    """An exception class as plain data: its class names, most derived first."""
    names = []
    for c in cls.__mro__:
        mod = getattr(c, "__module__", "")
        names.append(c.__name__ if mod == "builtins" else f"{mod}.{c.__name__}")
    return names


def describe(exc: BaseException, folder: str) -> tuple[Any, ...]:
    """An exception as plain data: its class names (most derived first), message, args, frames."""
    names = exception_names(type(exc))
    try:
        message = str(exc)[:4000]
    except BaseException:  # noqa: BLE001 - a __str__ that raises
        message = "<the exception's message could not be read>"
    args: Any = None
    try:
        if all(type(a) in (str, int, float, bool, type(None)) for a in exc.args):
            args = tuple(a[:4000] if type(a) is str else a for a in exc.args)
    except BaseException:  # noqa: BLE001
        args = None
    frames = []
    try:
        for fs in traceback.extract_tb(exc.__traceback__)[-40:]:
            frames.append((str(fs.filename), int(fs.lineno or 0), str(fs.name), str(fs.line or "")[:300]))
    except BaseException:  # noqa: BLE001
        frames = []
    shapes: dict[str, tuple[int, ...] | int | float] = {}
    try:
        shapes = _line_shapes(exc.__traceback__, folder)
    except BaseException:  # noqa: BLE001 - a property that raises: no shapes, no harm
        shapes = {}
    syntax = None
    if isinstance(exc, SyntaxError):
        syntax = (str(exc.filename or ""), int(exc.lineno or 0), int(exc.offset or 0), str(exc.text or "")[:300],
                  str(exc.msg or "")[:1000])
    return (tuple(names), message, args, tuple(frames), syntax, shapes)


def _line_shapes(tb: Any, folder: str) -> dict[str, tuple[int, ...] | int | float]:
    """The shapes of the arrays (and the values of the plain numbers) named on the failing line of student
    code (``g2`` in ``g2.sum(axis=1)``), so that the judge can say what went wrong there, as it does in one
    process."""
    import linecache
    import re
    frame = None
    while tb is not None:
        if str(tb.tb_frame.f_code.co_filename).startswith(folder + os.sep):
            frame, lineno = tb.tb_frame, tb.tb_lineno
        tb = tb.tb_next
    if frame is None:
        return {}
    line = linecache.getline(frame.f_code.co_filename, lineno)
    out: dict[str, tuple[int, ...] | int | float] = {}
    names: set[str] = set()
    for dotted in re.findall(r"\b[A-Za-z_][A-Za-z0-9_.]*", line):
        parts = dotted.strip(".").split(".")
        names.update(".".join(parts[:k]) for k in range(1, len(parts) + 1))   # g2.sum -> g2, g2.sum
    for expr in sorted(names)[:40]:
        head, *rest = expr.split(".")
        if head not in frame.f_locals:
            continue
        obj = frame.f_locals[head]
        for attr in rest:
            obj = getattr(obj, attr, None)
        if type(obj) in (int, float):
            out[expr] = obj   # a plain number (a count that is 0, a size that is a float)
            continue
        shape = getattr(obj, "shape", None)
        if type(shape) is tuple and all(type(n) is int for n in shape):
            out[expr] = shape
    return out


def _drop_privileges(uid: int, gid: int) -> None:
    if os.getuid() == 0 and uid:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        if os.getuid() == 0 or os.geteuid() == 0:
            os._exit(97)


def _limits(conf: dict[str, Any]) -> None:
    import resource
    mb = 2**20
    for name, value in (("RLIMIT_AS", conf["mem_mb"] * mb), ("RLIMIT_NPROC", conf["nproc"]),
                        ("RLIMIT_FSIZE", conf["fsize_mb"] * mb), ("RLIMIT_NOFILE", conf["nofile"]),
                        ("RLIMIT_CORE", 0), ("RLIMIT_CPU", conf["cpu_s"])):
        resource.setrlimit(getattr(resource, name), (value, value))


def main() -> None:
    conf = json.loads(sys.argv[1])
    _drop_privileges(int(conf.get("uid", 0)), int(conf.get("gid", 0)))
    _limits(conf)
    sys.dont_write_bytecode = True
    os.chdir(conf["scratch"])
    import numpy  # noqa: F401  (loaded before student code, as the judge's package loader would)
    guard = _Guard(set())
    builtins.__import__ = guard
    worker = Worker(int(conf["fd_in"]), int(conf["fd_out"]), Loader(conf["package"], conf["swap"], guard))
    worker.send(("ready", os.getpid()))
    worker.serve()
