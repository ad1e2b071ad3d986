"""The judge's side of the pipe: remote objects that stand for the worker's.

A test receives ``impl`` (a :class:`RemoteImpl`) and writes ``impl.nn.linear.Linear(3, 2)`` as
ever; each attribute, call and operator becomes one request to the worker, and what comes back is
plain data (arrays, numbers, tuples, lists, dicts) or another :class:`Proxy`. A proxy's identity
is the remote object's (one proxy per object, so ``is`` and ``id`` work as the tests expect);
``==``, ``hash`` and truth are the judge's own (identity, and always true), and ``<`` and friends
are refused, so an object whose ``__eq__`` or ``__lt__`` lies decides nothing here: a test's
verdict rests only on plain values. A judge function passed to student code (a lambda for a
gradient check) becomes a callback the worker may call; the test's random generator a callback
whose public drawing methods it may call. A remote class can be subclassed in a test (assignment
02's ``V``): the subclass is built in the worker, its methods calling back into the judge.

Deadlines are the judge's: every wait on the pipe is bounded by the current test's deadline,
and when it passes, or the worker dies, or says anything malformed, the worker's process group is
killed and the test reads ``timeout`` or ``crash``, whatever the worker says or does.
"""
from __future__ import annotations

import builtins
import os
import select
import sys
import time
from pathlib import Path, PurePath, PurePosixPath
from typing import Any, Callable, Iterable, Iterator, Sized

import numpy as np

from ...paths import TESTS as TESTS_DIR
from . import files
from . import protocol as P

#: the exception types a worker's error may come back as; any other becomes the nearest of these
#: along its class's ancestry, or :class:`StudentError`, with its own name kept in the message
ALLOWED = ("ArithmeticError", "AssertionError", "AttributeError", "BufferError", "EOFError", "FloatingPointError",
           "ImportError", "IndexError", "KeyError", "LookupError", "MemoryError", "ModuleNotFoundError", "NameError",
           "NotImplementedError", "OSError", "OverflowError", "RecursionError", "ReferenceError", "RuntimeError",
           "StopIteration", "SyntaxError", "IndentationError", "TabError", "TypeError", "UnboundLocalError",
           "ValueError", "ZeroDivisionError")

#: the methods of the test's ``np.random.Generator`` that student code may call (drawing numbers)
GENERATOR_METHODS = frozenset({
    "random", "standard_normal", "normal", "uniform", "integers", "choice", "permutation", "permuted", "binomial",
    "poisson", "exponential", "standard_exponential", "beta", "gamma", "standard_gamma", "laplace", "logistic",
    "lognormal", "geometric", "multinomial", "multivariate_normal", "bytes", "dirichlet", "triangular"})


#: the answer to a worker's ``next()`` on an iterator of the tests that is exhausted
STOP = "StopIteration: the iterator of the tests is exhausted"


class StudentError(Exception):
    """An exception of student code whose type is none of :data:`ALLOWED`; its name leads the message."""


_STUDENT_EXCEPTIONS: dict[tuple[str, ...], type[BaseException]] = {}


def student_exception_class(names: tuple[str, ...]) -> type[BaseException]:
    """The judge's stand-in for an exception class of student code (``ChecksumError(ValueError)``): named
    like it, deriving from the nearest builtin of :data:`ALLOWED` in its ancestry (else :class:`StudentError`),
    one per class, so ``pytest.raises(impl.data.download.ChecksumError)`` catches what the worker raised."""
    cls = _STUDENT_EXCEPTIONS.get(names)
    if cls is None:
        base_name = next((n for n in names if n in ALLOWED), None)
        base: type[BaseException] = getattr(builtins, base_name) if base_name else StudentError
        label = names[0].rsplit(".", 1)[-1] if names else ""
        cls = type(label if label.isidentifier() else "StudentError", (base,), {"__module__": "submission"})
        _STUDENT_EXCEPTIONS[names] = cls
    return cls


class WorkerCrashed(BaseException):
    """The worker died, closed its pipe or broke the protocol while this test ran."""


class WorkerTimedOut(BaseException):
    """The test's deadline passed while the worker held the answer; the worker was killed."""


class Incident:
    """What ended a worker during a test: ``crash`` or ``timeout``, and why, in words."""

    def __init__(self, kind: str, detail: str) -> None:
        self.kind, self.detail = kind, detail

    def exception(self) -> BaseException:
        return (WorkerTimedOut if self.kind == "timeout" else WorkerCrashed)(self.detail)


class Connection:
    """One live worker: its process, its two pipe ends, and the judge's tables of what was sent."""

    def __init__(self, proc: Any, fd_write: int, fd_read: int, host_package: Path, sandbox_package: str,
                 deadline: Callable[[], float]) -> None:
        self.proc, self.fd_w, self.fd_r = proc, fd_write, fd_read
        self.host_package, self.sandbox_package = host_package, sandbox_package
        self.deadline = deadline
        self.buf = bytearray()
        self.generation = 0
        self.rid = 0
        self.proxies: dict[int, Proxy] = {}
        #: token -> a list, dict or array both sides hold (odd tokens: sent by the judge; even: by the worker),
        #: kept in step both ways; released once the test no longer holds its copy
        self.tracked: dict[int, Any] = {}
        self.tracked_ids: dict[int, int] = {}
        self.released: list[int] = []
        self.no_track: set[int] = set()          # ids of copies being sent by value (pushes)
        self.snaps: dict[int, Any] = {}          # token -> its contents when the two sides last agreed
        self.callbacks: dict[int, Any] = {}      # token -> judge function or generator
        self.callback_ids: dict[int, int] = {}
        self.next_token = 1
        self.callback_errors: list[BaseException] = []
        self.incident: Incident | None = None
        self.worker_pid = 0                      # the worker's pid (in its own namespace), from its "ready"
        self.scratch = ""                        # the worker's scratch folder (its own path for it)
        self.mirror: files.Mirror | None = None  # the current test's tmp_path, mirrored into the worker
        self.subclasses: dict[int, Proxy] = {}   # id(local class) -> remote class, this generation
        self.local_classes: dict[int, type] = {}  # token -> a test's subclass of a remote class

    # ---- lifetime
    @property
    def alive(self) -> bool:
        return self.incident is None and self.proc.poll() is None

    def kill(self, incident: Incident) -> None:
        if self.incident is None:
            self.incident = incident
        kill_process(self.proc)
        for fd in (self.fd_w, self.fd_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.fd_w = self.fd_r = -1

    def _fail(self, kind: str, detail: str) -> BaseException:
        if self.incident is None:
            if kind == "crash":
                status = exit_status(self.proc)
                detail = f"{detail} ({status})" if status else detail
            self.kill(Incident(kind, detail))
        assert self.incident is not None
        return self.incident.exception()

    def reset(self) -> None:
        """The end of a test: the worker forgets every object the judge held; proxies go stale. The answer
        must come from the worker the judge started: a forked copy answering means the test's code forked."""
        pid = self.request(("reset",))
        if pid != self.worker_pid:
            raise self._fail("crash", "a forked copy of the worker answered in its place")
        self.generation += 1
        self.proxies.clear()
        self.tracked.clear()
        self.tracked_ids.clear()
        self.snaps.clear()
        self.released.clear()
        self.callbacks.clear()
        self.callback_ids.clear()
        self.subclasses.clear()
        self.callback_errors.clear()

    # ---- encoding
    def ref(self, obj: Any) -> P.Ref | None:
        t = type(obj)
        if isinstance(obj, PurePath):   # a path into the test's tmp_path: its name in the worker's mirror
            return P.Ref("path", 0, self.mirror.to_worker(str(obj)) if self.mirror else str(obj))
        if isinstance(obj, Proxy):
            conn, handle, gen = _parts(obj)
            if conn is not self or gen != self.generation:
                raise TypeError("a remote object from an earlier test (or another worker) cannot be used here")
            return P.Ref("handle", handle)
        if isinstance(obj, RemoteMeta):
            return P.Ref("handle", _parts(obj._nnott_remote())[1])
        if t is np.random.Generator and type(obj.bit_generator).__name__ in P.BIT_GENERATORS:
            # the test's generator: a replica in the worker, kept in step both ways like an array, so student
            # code draws there, at full speed, and may read and set its bit_generator.state as in one process
            r = self._echo_or_track(obj)
            return r if r.kind == "echo" else \
                P.Ref("rng", r.ident, value=(type(obj.bit_generator).__name__, obj.bit_generator.state))
        if t is list or t is dict or t is np.ndarray:
            if id(obj) in self.no_track or (t is np.ndarray and obj.nbytes > P.SYNC_LIMIT):
                return None
            return self._echo_or_track(obj)
        if isinstance(obj, np.random.Generator) or _is_reference_object(obj) or isinstance(obj, Iterator) or \
                (callable(obj) and not isinstance(obj, type)):
            token = self.callback_ids.get(id(obj))
            if token is None or self.callbacks.get(token) is not obj:
                token = self._token()
                self.callbacks[token], self.callback_ids[id(obj)] = obj, token
            return P.Ref("callback", token, getattr(obj, "__name__", type(obj).__name__))
        return None

    def _echo_or_track(self, obj: Any) -> P.Ref:
        """``echo`` for an object the worker holds already; else a new ``track`` token, its snapshot taken."""
        token = self.tracked_ids.get(id(obj))
        if token is not None and self._tracked(token) is obj:
            return P.Ref("echo", token)
        token = self._token()
        self.tracked[token], self.tracked_ids[id(obj)] = obj, token
        self.snaps[token] = snapshot(obj)
        return P.Ref("track", token)

    def _token(self) -> int:
        self.next_token += 2   # odd: the judge's
        return self.next_token

    def _tracked(self, token: int) -> Any:
        return self.tracked.get(token)

    def deref(self, r: P.Ref) -> Any:
        if r.kind == "exc":   # a student's exception class: a local stand-in, so pytest.raises can catch it
            return student_exception_class(tuple(r.label.split(";")))
        if r.kind == "path":   # back into tmp_path; anywhere else is a name that cannot be opened
            host = self.mirror.to_host(r.label) if self.mirror else None
            return Path(host) if host is not None else PurePosixPath(r.label)
        if r.kind == "handle":
            p = self.proxies.get(r.ident)
            if p is None:
                cls = proxy_class(r.label)
                if r.label.startswith("judge:"):   # an instance of a test's own subclass: its methods run here
                    local = self.local_classes.get(int(r.label.split(":")[1]) if r.label.split(":")[1].isdigit() else -1)
                    if local is not None:
                        cls = combined_class(local)
                p = cls._nnott_make(self, r.ident, self.generation)
                self.proxies[r.ident] = p
            return p
        if r.kind == "echo" and self._tracked(r.ident) is not None:
            return self._tracked(r.ident)
        if r.kind == "track" and r.ident % 2 == 0 and type(r.value) in (list, dict, np.ndarray):
            obj = r.value   # the worker's own list, dict or array: a copy here that stays in step with it
            self.tracked[r.ident] = obj
            self.tracked_ids[id(obj)] = r.ident
            self.snaps[r.ident] = snapshot(obj)
            return obj
        if r.kind == "callback" and r.ident in self.callbacks:
            return self.callbacks[r.ident]
        raise P.ProtocolError(f"the worker sent a reference the judge never gave it ({r.kind} {r.ident})")

    # ---- requests
    def request(self, req: tuple[Any, ...]) -> Any:
        if self.incident is not None:
            raise self.incident.exception()
        self.rid += 1
        rid = self.rid
        try:
            pushes = self._pushes()
            released, self.released = tuple(self.released), []
            sent_files = self.mirror.outgoing() if self.mirror is not None else None
            payload = P.encode(("req", rid, req, pushes, released, sent_files), self.ref)
            self.no_track.clear()
        except (P.ProtocolError, ValueError) as exc:
            raise TypeError(f"cannot pass this to the code under test: {exc}") from None
        try:
            P.write_frame(self.fd_w, payload)
        except OSError:
            raise self._fail("crash", "the worker closed its pipe") from None
        while True:
            msg = self._receive()
            kind = msg[0] if type(msg) is tuple and msg else None
            if kind in ("ok", "err") and len(msg) == 6 and msg[1] != rid and req[0] == "reset":
                continue   # a stray answer of the test that just ended (a forked copy of the worker)
            if kind in ("ok", "err") and len(msg) == 6 and msg[1] == rid:
                self._apply_syncs(msg[3])
                self._rewarn(msg[4])
                if msg[5] is not None and self.mirror is not None:
                    try:
                        self.mirror.incoming(msg[5])
                    except (ValueError, OSError) as exc:
                        raise self._fail("crash", f"the worker sent bad file changes: {str(exc)[:200]}") from None
                if kind == "ok":
                    return msg[2]
                raise self._remote_error(msg[2])
            if kind == "cb" and len(msg) == 7:
                self._serve_callback(msg)
                continue
            raise self._fail("crash", "the worker broke the protocol (an answer to no question)")

    def _receive(self) -> Any:
        try:
            frame = self._read_frame()
            return P.decode(frame, self.deref)
        except (P.ProtocolError, RecursionError, MemoryError, ValueError) as exc:
            raise self._fail("crash", f"the worker broke the protocol: {str(exc)[:200]}") from None

    def _read_exact(self, n: int) -> bytearray:
        """``n`` bytes from the worker, waiting no later than the test's deadline."""
        while len(self.buf) < n:
            left = self.deadline() - time.monotonic()
            if left <= 0:
                raise self._fail("timeout", "")
            try:
                ready, _, _ = select.select([self.fd_r], [], [], min(left, 1.0))
            except (OSError, ValueError):
                raise self._fail("crash", "the worker's pipe is gone") from None
            if not ready:
                if self.proc.poll() is not None:
                    raise self._fail("crash", "the worker exited")
                continue
            try:
                b = os.read(self.fd_r, max(n - len(self.buf), 1 << 16))
            except OSError:
                b = b""
            if not b:
                try:
                    self.proc.wait(timeout=1.0)
                except Exception:  # noqa: BLE001 - still running after closing its pipe: killed below
                    pass
                raise self._fail("crash", "the worker exited")
            self.buf += b
        out, self.buf = self.buf[:n], self.buf[n:]
        return out   # a bytearray: decoded in place, not copied once more

    def _read_frame(self) -> bytearray:
        n = int.from_bytes(self._read_exact(4), "big")
        if n > P.MAX_FRAME:
            raise P.ProtocolError(f"a frame of {n} bytes")
        return self._read_exact(n)

    def _rewarn(self, caught: Any) -> None:
        """Raise here, under the test's own warning filters, the warnings student code raised there."""
        import warnings
        if type(caught) is not tuple:
            return
        for item in caught[:50]:
            if type(item) is not tuple or len(item) != 4:
                continue
            name, message, filename, lineno = (str(item[0]), str(item[1]), str(item[2]), item[3])
            category = getattr(builtins, name, None)
            if not (isinstance(category, type) and issubclass(category, Warning)):
                category, message = UserWarning, f"{name}: {message}"
            warnings.warn_explicit(message, category, self.host_path(filename), int(lineno) if type(lineno) is int else 0)

    def _pushes(self) -> tuple[tuple[int, Any], ...]:
        """The judge's tracked objects the test changed in place since the worker last saw them."""
        out = []
        for token in list(self.tracked):
            obj = self.tracked[token]
            now = snapshot(obj)
            if not same(now, self.snaps[token]):
                self.snaps[token] = now
                copy = np.array(obj, copy=True) if type(obj) is np.ndarray else list(obj) if type(obj) is list \
                    else now[1] if type(obj) is np.random.Generator else dict(obj)
                self.no_track.add(id(copy))
                out.append((token, copy))
            if sys.getrefcount(obj) <= 3:   # only this table (and this loop) holds it: the test let go of it
                del self.tracked[token], self.snaps[token]
                self.tracked_ids.pop(id(obj), None)
                self.released.append(token)
        return tuple(out)   # a tuple: protocol containers are never tracked themselves

    def _apply_syncs(self, syncs: Any) -> None:
        """Write back, in place, the judge's arrays, lists and dicts that student code changed."""
        if type(syncs) is not tuple:
            raise self._fail("crash", "the worker broke the protocol (bad syncs)")
        for item in syncs:
            if type(item) is not tuple or len(item) != 2:
                raise self._fail("crash", "the worker broke the protocol (bad sync)")
            if item[0] not in self.tracked:
                continue   # released here already (the release travels with the next request)
            obj, new = self._tracked(item[0]), item[1]
            if obj is None:
                continue
            if type(obj) is np.random.Generator:
                try:
                    obj.bit_generator.state = new   # NumPy checks it: a state of another kind is refused
                except (TypeError, ValueError, KeyError, OverflowError):
                    raise self._fail("crash", "the worker broke the protocol (a bad generator state)") from None
            elif type(obj) is np.ndarray and type(new) is np.ndarray:
                try:
                    if obj.shape != new.shape:
                        obj.shape = new.shape
                    obj[...] = new
                except (ValueError, TypeError, AttributeError):
                    pass   # a change one process could not have made either (a new shape for a view)
            elif type(obj) is list and type(new) is list:
                obj[:] = new
            elif type(obj) is dict and type(new) is dict:
                obj.clear()
                obj.update(new)
            self.snaps[item[0]] = snapshot(obj)

    def _serve_callback(self, msg: tuple[Any, ...]) -> None:
        _, cid, token, action, args, kwargs, syncs = msg
        self._apply_syncs(syncs)
        target = self.callbacks.get(token)
        ok: bool | str = False
        value: Any = "TypeError: no such object of the tests"
        if target is not None and type(args) is tuple and type(kwargs) is tuple:
            try:
                value, ok = judge_action(target, action, args, dict(kwargs)), True
            except (WorkerCrashed, WorkerTimedOut):
                raise
            except StopIteration:
                value = STOP   # the end of an iterator of the tests: StopIteration there too
            except Exception as exc:  # noqa: BLE001 - told to the worker; re-raised here if it comes back
                self.callback_errors.append(exc)
                value = f"{type(exc).__name__}: {exc}"
        try:
            pushes = self._pushes()
            released, self.released = tuple(self.released), []
            payload = P.encode(("cbret", cid, ok, value, pushes, released), self.ref)
        except P.ProtocolError as exc:
            released, self.released = tuple(self.released), []
            payload = P.encode(("cbret", cid, False, f"TypeError: {exc}", (), released), self.ref)
        self.no_track.clear()
        try:
            P.write_frame(self.fd_w, payload)
        except OSError:
            raise self._fail("crash", "the worker closed its pipe") from None

    def _remote_error(self, info: Any) -> BaseException:
        try:
            names, message, args, frames, syntax, shapes = info
            names = [str(n) for n in names]
            message = str(message)
        except (TypeError, ValueError):
            return self._fail("crash", "the worker broke the protocol (a malformed error)")
        if any(n.endswith("sandbox.worker.JudgeError") for n in names[:1]) and self.callback_errors:
            return self.callback_errors[-1]   # a judge function's own exception, passing back through
        chosen = next((n for n in names if n in ALLOWED), None)
        shown = names[0] if names else "Exception"
        text = message if chosen == shown else f"{shown}: {message}"
        exc: BaseException
        if chosen == "SyntaxError" or chosen in ("IndentationError", "TabError"):
            filename, lineno, offset, line, msg = syntax if syntax and len(syntax) == 5 else ("", 0, 0, "", message)
            exc = getattr(builtins, chosen)(str(msg), (self.host_path(str(filename)), int(lineno), int(offset),
                                                       str(line)))
        elif chosen is not None:
            cls = getattr(builtins, chosen)
            try:
                exc = cls(*args) if chosen == shown and type(args) is tuple else cls(text)
            except Exception:  # noqa: BLE001 - a builtin with a constructor of its own (OSError's)
                exc = cls(text)
        else:
            exc = StudentError(text)
        if names and chosen != shown and "." in shown:   # the student's own class: its stand-in here
            exc = student_exception_class(tuple(names))(text)
        folder = str(self.host_package)
        mapped = [(self.host_path(str(f)), int(ln), str(fn), str(code)) for f, ln, fn, code in frames]
        own = [f for f in mapped if f[0].startswith(folder + os.sep)]
        setattr(exc, "_nnott_frame", own[-1] if own else None)  # noqa: B010  (not an attribute mypy knows)
        setattr(exc, "_nnott_remote", shown)  # noqa: B010
        setattr(exc, "_nnott_shapes", shapes if type(shapes) is dict else {})  # noqa: B010
        tb = "".join(f'  File "{f}", line {ln}, in {fn}\n' + (f"    {code}\n" if code else "") for f, ln, fn, code in mapped)
        if tb and hasattr(exc, "add_note"):
            exc.add_note("Traceback in the worker (most recent call last):\n" + tb.rstrip())
        return exc

    def host_path(self, path: str) -> str:
        """A path inside the sandbox as the submission's path on this machine (for messages)."""
        if path == self.sandbox_package or path.startswith(self.sandbox_package + "/"):
            return str(self.host_package) + path[len(self.sandbox_package):]
        return path


def kill_process(proc: Any) -> None:
    """Kill the worker's whole process group (it was started in a session of its own)."""
    import signal
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass
    try:
        proc.kill()
    except OSError:
        pass
    try:
        proc.wait(timeout=5)
    except Exception:  # noqa: BLE001 - a zombie we cannot reap is still dead
        pass


def exit_status(proc: Any) -> str:
    code = proc.poll()
    if code is None:
        return ""
    if code < 0:
        import signal
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _is_reference_object(obj: Any) -> bool:
    """An instance of a class of the reference package (the ``ref`` fixture's) or of a test file (a
    test's probe layer), handed to student code by a test."""
    if isinstance(obj, type):
        return False
    module = type(obj).__module__ or ""
    if module.split(".")[0] == "reference":
        return True
    mod = sys.modules.get(module)
    path = str(getattr(mod, "__file__", "") or "")
    return bool(path) and Path(path).resolve().is_relative_to(TESTS_DIR)


def _holds_code(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is, or holds, something of the worker's or anything callable (a test's oracle
    object must never end up running student code when the test calls it)."""
    if isinstance(value, Proxy) or callable(value) or depth > 8:
        return True
    if type(value) in (list, tuple):
        return any(_holds_code(v, depth + 1) for v in value)
    if type(value) is dict:
        return any(_holds_code(k, depth + 1) or _holds_code(v, depth + 1) for k, v in value.items())
    return False


def judge_action(target: Any, action: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """What student code may do with something of the tests': call a function; draw from the test's
    generator; use a reference object's public attributes and methods (a test put it in their hands)."""
    is_gen, is_ref = isinstance(target, np.random.Generator), _is_reference_object(target)
    if action is None:
        if is_gen or not callable(target):
            raise TypeError(f"a {type(target).__name__} of the tests cannot be called")
        return target(*args, **kwargs)
    kind, name = action if type(action) is tuple and len(action) == 2 else ("", "")
    if kind == "next" and isinstance(target, Iterator):
        return next(target)
    if kind == "iter" and (isinstance(target, Iterator) or (is_ref and isinstance(target, Iterable))):
        return iter(target)   # a test's loader: a fresh iterator of it, itself a callback
    if kind == "len" and (is_ref and isinstance(target, Sized)):
        return len(target)
    if type(name) is not str or name.startswith("_"):
        raise AttributeError(f"code under test may not use {name!r} of the tests' objects")
    if kind == "getattr" and ((is_gen and name in GENERATOR_METHODS) or is_ref):
        return getattr(target, name)
    if kind == "setattr" and is_ref and len(args) == 1:
        if _holds_code(args[0]) or callable(getattr(target, name, None)):
            raise AttributeError(f"code under test may set only data on the tests' objects, not {name!r}")
        setattr(target, name, args[0])   # p.data = ..., p.grad = 0.0 on a reference Param: plain data only
        return None
    raise AttributeError(f"code under test may not use {name!r} of the tests' {type(target).__name__}")


def snapshot(obj: Any) -> Any:
    """What a change in place would change: an array's bytes, the identities of a list's or dict's items,
    a generator's state."""
    if type(obj) is np.random.Generator:
        return ("rng", obj.bit_generator.state)
    if type(obj) is list:
        return ("list", tuple(obj))
    if type(obj) is dict:
        return ("dict", tuple(obj.items()))
    return ("array", obj.shape, obj.dtype.str, obj.tobytes())


def same(a: Any, b: Any) -> bool:
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


# ---- proxies

def _parts(p: Any) -> tuple[Connection, int, int]:
    return (object.__getattribute__(p, "_nnott_conn"), object.__getattribute__(p, "_nnott_handle"),
            object.__getattribute__(p, "_nnott_gen"))


def _req(p: Any, *req: Any) -> Any:
    conn = object.__getattribute__(p, "_nnott_conn")
    return conn.request(req)


def _op(name: str) -> Callable[..., Any]:
    def binary(self: Any, other: Any) -> Any:
        return _binary(self, name, self, other)
    binary.__name__ = f"__{name.rstrip('_')}__"
    return binary


def _rop(name: str) -> Callable[..., Any]:
    def reflected(self: Any, other: Any) -> Any:
        return _binary(self, name, other, self)
    reflected.__name__ = f"__r{name.rstrip('_')}__"
    return reflected


def _binary(p: Any, name: str, a: Any, b: Any) -> Any:
    other = b if a is p else a
    if not _sendable(p, other):
        return NotImplemented
    return _req(p, "op", name, (a, b))


def _sendable(p: Any, value: Any) -> bool:
    conn = object.__getattribute__(p, "_nnott_conn")
    try:
        P.encode(value, lambda o: _probe_ref(conn, o))
        return True
    except (P.ProtocolError, TypeError):
        return False


def _probe_ref(conn: Connection, obj: Any) -> P.Ref | None:
    if isinstance(obj, (Proxy, RemoteMeta)) or type(obj) in (list, dict, np.ndarray) or \
            isinstance(obj, (np.random.Generator, Iterator)) or (callable(obj) and not isinstance(obj, type)):
        return P.Ref("handle", 0)
    return None


def _unary(name: str) -> Callable[..., Any]:
    def unary(self: Any) -> Any:
        return _req(self, "op", name, (self,))
    unary.__name__ = f"__{name}__"
    return unary


class Proxy:
    """A remote object. Every attribute not starting with two underscores is the remote object's."""

    __slots__ = ("_nnott_conn", "_nnott_handle", "_nnott_gen", "__weakref__")
    __array_ufunc__ = None     # NumPy defers to our reflected operators instead of looping over us

    @classmethod
    def _nnott_make(cls, conn: Connection, handle: int, gen: int) -> "Proxy":
        p = object.__new__(cls)
        object.__setattr__(p, "_nnott_conn", conn)
        object.__setattr__(p, "_nnott_handle", handle)
        object.__setattr__(p, "_nnott_gen", gen)
        return p

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name not in ("__name__", "__qualname__", "__doc__"):
            raise AttributeError(name)   # no remote say in the judge's protocols (__array_interface__, ...)
        return _req(self, "getattr", self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("__"):
            raise AttributeError(f"cannot set {name} on a remote object")
        _req(self, "setattr", self, name, value)

    def __delattr__(self, name: str) -> None:
        _req(self, "delattr", self, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _req(self, "call", self, args, tuple(kwargs.items()))

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        # local: a message about a wrong answer must not wait on (or be written by) the student's __repr__
        return f"<{type(self).__name__} object in the worker>"

    def __str__(self) -> str:
        return repr(self)

    def __len__(self) -> int:
        n = _req(self, "op", "len", (self,))
        if type(n) is not int or n < 0:
            raise TypeError("len() of a remote object did not give a non-negative int")
        return n

    def __iter__(self) -> Iterator[Any]:
        it = _req(self, "op", "iter", (self,))
        if not isinstance(it, Proxy):
            raise TypeError("iter() of a remote object did not give an iterator")
        return it

    def __next__(self) -> Any:
        return _req(self, "op", "next", (self,))

    def __getitem__(self, key: Any) -> Any:
        return _req(self, "op", "getitem", (self, key))

    def __setitem__(self, key: Any, value: Any) -> None:
        _req(self, "op", "setitem", (self, key, value))

    def __delitem__(self, key: Any) -> None:
        _req(self, "op", "delitem", (self, key))

    def __contains__(self, item: Any) -> bool:
        return _req(self, "op", "contains", (self, item)) is True

    def __float__(self) -> float:
        v = _req(self, "op", "float", (self,))
        if type(v) is not float:
            raise TypeError("float() of a remote object did not give a float")
        return v

    def __int__(self) -> int:
        v = _req(self, "op", "int", (self,))
        if type(v) is not int:
            raise TypeError("int() of a remote object did not give an int")
        return v

    def __index__(self) -> int:
        v = _req(self, "op", "index", (self,))
        if type(v) is not int:
            raise TypeError("a remote object is not an index")
        return v

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = _req(self, "array", self)
        if type(a) is not np.ndarray:
            raise TypeError("a remote object did not convert to an array")
        return a if dtype is None else a.astype(dtype)

    def __instancecheck__(self, obj: Any) -> bool:
        if not _sendable(self, obj):
            return False
        return _req(self, "op", "isinstance", (obj, self)) is True

    def __subclasscheck__(self, cls: Any) -> bool:
        if not isinstance(cls, Proxy):
            return False
        return _req(self, "op", "issubclass", (cls, self)) is True

    def __dir__(self) -> list[str]:
        return []

    @property
    def __dict__(self) -> Any:   # type: ignore[override]
        """``vars(obj)``: the remote instance's attributes as a dict kept in step both ways (the worker's
        dicts travel tracked), so ``vars(m).pop("forward")`` in a test removes the remote attribute."""
        d = _req(self, "op", "vars", (self,))
        if type(d) is not dict:
            raise TypeError("vars() of a remote object did not give a dict")
        return d

    __add__, __radd__ = _op("add"), _rop("add")
    __sub__, __rsub__ = _op("sub"), _rop("sub")
    __mul__, __rmul__ = _op("mul"), _rop("mul")
    __truediv__, __rtruediv__ = _op("truediv"), _rop("truediv")
    __floordiv__, __rfloordiv__ = _op("floordiv"), _rop("floordiv")
    __mod__, __rmod__ = _op("mod"), _rop("mod")
    __pow__, __rpow__ = _op("pow"), _rop("pow")
    __matmul__, __rmatmul__ = _op("matmul"), _rop("matmul")
    __and__, __rand__ = _op("and_"), _rop("and_")
    __or__, __ror__ = _op("or_"), _rop("or_")
    __xor__, __rxor__ = _op("xor"), _rop("xor")
    __lshift__, __rlshift__ = _op("lshift"), _rop("lshift")
    __rshift__, __rrshift__ = _op("rshift"), _rop("rshift")
    __iadd__, __isub__, __imul__ = _op("iadd"), _op("isub"), _op("imul")
    __itruediv__, __ipow__, __imatmul__ = _op("itruediv"), _op("ipow"), _op("imatmul")
    __neg__, __pos__, __abs__, __invert__ = _unary("neg"), _unary("pos"), _unary("abs"), _unary("invert")
    __round__, __trunc__, __floor__, __ceil__ = _unary("round"), _unary("trunc"), _unary("floor"), _unary("ceil")


_PROXY_CLASSES: dict[str, type[Proxy]] = {}


def proxy_class(label: str) -> type[Proxy]:
    """A subclass of :class:`Proxy` named like the remote object's type (``type(x).__name__`` reads ``Value``)."""
    name = label if label.isidentifier() and len(label) < 80 else "RemoteObject"
    cls = _PROXY_CLASSES.get(name)
    if cls is None:
        cls = _PROXY_CLASSES[name] = type(name, (Proxy,), {"__slots__": (), "__module__": "remote"})
    return cls


class RemoteMeta(type):
    """The class of a test's subclass of a remote class: instances are made in the worker."""

    def __new__(mcs, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> "RemoteMeta":
        return super().__new__(mcs, name, bases, ns)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls._nnott_remote()(*args, **kwargs)

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Proxy) and cls._nnott_remote().__instancecheck__(obj)

    def _nnott_remote(cls) -> Proxy:
        local = cls.__dict__.get("_nnott_local")
        if isinstance(local, RemoteMeta):   # the proxy type of a test's subclass: that subclass's remote class
            return local._nnott_remote()
        base: Proxy = getattr(cls, "_nnott_base")  # noqa: B009  (set by _mro_entries, unknown to mypy)
        conn: Connection = object.__getattribute__(base, "_nnott_conn")
        made = conn.subclasses.get(id(cls))
        if made is None:
            methods, attrs = [], []
            for klass in reversed(cls.__mro__):
                if "_nnott_base" in vars(klass) or klass is object or issubclass(Proxy, klass) or klass is Proxy:
                    continue
                for key, v in vars(klass).items():
                    if key in ("__module__", "__qualname__", "__dict__", "__weakref__", "__doc__", "__slots__"):
                        continue
                    if isinstance(v, classmethod):
                        methods.append((key, "classmethod", v.__func__))
                    elif isinstance(v, staticmethod):
                        methods.append((key, "staticmethod", v.__func__))
                    elif callable(v):
                        methods.append((key, "function", v))
                    elif not key.startswith("__"):
                        attrs.append((key, v))
            token = conn._token()
            conn.local_classes[token] = cls
            made = conn.request(("subclass", base, cls.__name__, tuple(methods), tuple(attrs), token))
            if not isinstance(made, Proxy):
                raise TypeError("the worker did not make the subclass")
            conn.subclasses[id(cls)] = made
        return made


def _mro_entries(self: Proxy, bases: tuple[Any, ...]) -> tuple[type, ...]:
    """``class V(remote_class)``: a local base whose metaclass makes ``V``'s instances in the worker, with a
    forwarder for each method of the remote class, so that ``super().__init__(...)`` in ``V`` works."""
    ns: dict[str, Any] = {"_nnott_base": self}
    names = _req(self, "dir", self)
    for name in names if type(names) is tuple else ():
        if type(name) is str and name.isidentifier():
            ns[name] = _forwarder(self, name)
    return (RemoteMeta("RemoteBase", (), ns),)


def _forwarder(base: Proxy, name: str) -> Callable[..., Any]:
    def forward(self: Any, *args: Any, **kwargs: Any) -> Any:
        return _req(base, "supercall", base, name, self, args, tuple(kwargs.items()))
    forward.__name__ = name
    return forward


_COMBINED: dict[int, type] = {}


def combined_class(local: type) -> type:
    """The proxy type of instances of a test's subclass ``local``: the test's methods run in the judge
    (``super()`` works, ``self`` being an instance), everything else is the worker's."""
    cls = _COMBINED.get(id(local))
    if cls is None:
        cls = _COMBINED[id(local)] = type(local)(local.__name__, (local, Proxy),
                                                 {"__module__": "remote", "_nnott_local": local})
    return cls


setattr(Proxy, "__mro_entries__", _mro_entries)  # noqa: B010  (mypy: not a method of object)


# ---- the package under test, remotely

class RemoteImpl:
    """What the ``impl`` fixture gives in the judge: ``impl.nn.linear.Linear`` reaches the worker's class.

    ``swapped``: the library files loaded from the reference for this task (``uses_reference``).
    """

    def __init__(self, session: Any, folder: Path, label: str, swapped: tuple[str, ...] = ()) -> None:
        self._session, self.folder, self.label, self.swapped = session, folder, label, swapped

    def _has_module(self, dotted: str) -> bool:
        base = self.folder.joinpath(*dotted.split("."))
        return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._has_module(name):
            return RemoteModule(self, name)
        raise AttributeError(f"{self.label} has no module {name!r} ({self.label}/{name}.py is missing).")

    def __repr__(self) -> str:
        return f"RemoteImpl({self.label})"


class RemoteModule:
    def __init__(self, impl: RemoteImpl, dotted: str) -> None:
        self._impl, self._dotted = impl, dotted

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        sub = f"{self._dotted}.{name}"
        if self._impl._has_module(sub):
            return RemoteModule(self._impl, sub)
        conn = self._impl._session.connection()
        try:
            return conn.request(("modattr", self._impl.swapped, self._dotted, name))
        except AttributeError:
            raise AttributeError(f"{self._impl.label}/{self._dotted.replace('.', '/')}.py has no {name!r}: "
                                 f"keep the names the starter gave you.") from None

    def __repr__(self) -> str:
        return f"RemoteModule({self._dotted})"
