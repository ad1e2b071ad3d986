"""Starting a worker in a sandbox: bubblewrap, or an unprivileged user, or (``--unsafe``) neither.

``bwrap`` (Debian package ``bubblewrap``): new mount, PID, network, IPC and UTS namespaces. The
worker's whole file system is Python's own files (its ``site-packages`` masked), NumPy, the
worker's two modules, a read-only copy of the student's package (and the reference files a task
is judged on, ``uses_reference``) and a small tmpfs at ``/tmp``: no course, tests, reference,
torch, network or other submission. The worker then drops to an unprivileged user of its own and
sets rlimits (memory, processes, file size, open files, CPU) before any student code runs.

``user``: where bwrap cannot run but the judge is root (Gradescope's container), the worker runs
as an unprivileged user of its own, from staged copies, and the course files must be unreadable to
it (``run_autograder`` makes them so); the judge checks that before it calls a grade authoritative.

Everywhere else there is no sandbox: :func:`mode` says so and grading refuses unless ``--unsafe``.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ...paths import REFERENCE, ROOT, TESTS
from .proxy import Connection

HERE = Path(__file__).resolve().parent
MEM_LIMIT_MB = int(os.environ.get("NNOTT_GRADE_MEM_MB", "4096"))
SANDBOX = "/nnott"
PACKAGE = f"{SANDBOX}/pkg"
BOOT = ("import sys; sys.path[:0] = {paths!r}; "
        "from grader.instructor.sandbox.worker import main; main()")


@dataclass(frozen=True)
class Limits:
    mem_mb: int = MEM_LIMIT_MB
    nproc: int = 64          # processes and threads of the worker's own user
    fsize_mb: int = 16
    nofile: int = 64
    cpu_s: int = 600
    tmp_mb: int = 64


def _numpy_dirs() -> list[Path]:
    import numpy
    pkg = Path(numpy.__file__).resolve().parent
    return [p for p in (pkg, pkg.parent / "numpy.libs") if p.is_dir()]


def _python(user_mode: bool = False) -> tuple[Path, str]:
    """The base interpreter's prefix and the interpreter's path inside it. In ``user`` mode it must be
    readable by the worker's user: where it is not (a pyenv under /root), the system's Python of the
    same version."""
    exe = Path(getattr(sys, "_base_executable", sys.executable)).resolve()
    prefix = Path(sys.base_prefix).resolve()
    system = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    if user_mode and not _readable_by_others(prefix / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
                                             / "os.py") and system.is_file():
        return Path("/usr"), f"bin/{system.name}"
    try:
        return prefix, exe.relative_to(prefix).as_posix()
    except ValueError:
        return exe.parent.parent, f"bin/{exe.name}"


_LIB: list[Path] = []


def worker_lib() -> Path:
    """A folder holding ``grader/instructor/sandbox/{protocol,files,worker}.py`` and nothing else of the course."""
    if not _LIB:
        lib = Path(tempfile.mkdtemp(prefix="nnott-worker-lib-"))
        pkg = lib / "grader" / "instructor" / "sandbox"
        pkg.mkdir(parents=True)
        for d in (lib / "grader", lib / "grader" / "instructor", pkg):
            (d / "__init__.py").write_text("", encoding="utf-8")
        for name in ("protocol.py", "files.py", "worker.py"):
            shutil.copyfile(HERE / name, pkg / name)
        _world_readable(lib)
        _LIB.append(lib)
    return _LIB[0]


def _world_readable(root: Path) -> None:
    for dirpath, _dirs, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o644)


# ---- which sandbox this machine gives

_MODE: list[str] = []


def _bwrap_base() -> list[str]:
    cmd = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
           "--new-session", "--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/lib", "/lib64", "/lib32", "/sbin"):
        p = Path(top)
        if p.is_symlink():
            cmd += ["--symlink", os.readlink(p), top]
        elif p.is_dir():
            cmd += ["--ro-bind", top, top]
    for mask in ("/usr/lib/python3", "/usr/local"):   # the system's Python packages (torch could be there)
        if Path(mask).is_dir():
            cmd += ["--tmpfs", mask]
    return cmd


def mode() -> str:
    """``bwrap``, ``user`` or ``none``: the strongest sandbox that works here (probed once)."""
    if not _MODE:
        forced = os.environ.get("NNOTT_SANDBOX", "")
        if forced in ("bwrap", "user", "none"):
            _MODE.append(forced)
        elif shutil.which("bwrap") and subprocess.run(
                _bwrap_base() + ["--proc", "/proc", "--dev", "/dev", "true"], capture_output=True,
                timeout=30).returncode == 0:
            _MODE.append("bwrap")
        elif hasattr(os, "getuid") and os.getuid() == 0:
            _MODE.append("user")
        else:
            _MODE.append("none")
    return _MODE[0]


def _readable_by_others(path: Path) -> bool:
    """Whether a user who is neither owner nor group could read ``path`` (every folder above it searchable)."""
    try:
        p = path.resolve()
        if not p.exists() or not (p.stat().st_mode & stat.S_IROTH):
            return False
        return all(a.stat().st_mode & stat.S_IXOTH for a in p.parents)
    except OSError:
        return False


def course_exposed() -> list[str]:
    """In ``user`` mode: the course files an unprivileged user could read (there must be none)."""
    probes = [REFERENCE / "__init__.py", ROOT / "pyproject.toml"]
    probes += sorted(TESTS.glob("a*/hidden/*.py"))[:1] + sorted(TESTS.glob("a*/test_*.py"))[:1]
    return [str(p) for p in probes if _readable_by_others(p)]


def problem() -> str:
    """Why grading here is not authoritative ('' when it is)."""
    m = mode()
    if m == "none":
        return ("no sandbox: bubblewrap (bwrap) cannot run here and the grader is not root, so student code "
                "could read the hidden tests and the reference. Install bubblewrap (apt-get install bubblewrap) "
                "or grade as root; --unsafe grades anyway and says the result is not authoritative.")
    if m == "user":
        exposed = course_exposed()
        if exposed:
            return (f"sandbox by user only (bwrap cannot run here), and the course files are readable by other "
                    f"users ({exposed[0]}): chmod -R o-rwx the course, or install bubblewrap; --unsafe grades anyway.")
    return ""


def kill_user(uid: int) -> None:
    """Kill every process of the sandbox's own user ``uid`` (``user`` mode has no PID namespace to end)."""
    import signal
    if uid <= 0:
        return
    try:
        pids = [d for d in os.listdir("/proc") if d.isdigit()]
    except OSError:
        return
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
                line = next((ln for ln in fh if ln.startswith("Uid:")), "")
            if line and int(line.split()[1]) == uid:
                os.kill(int(pid), signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            continue


# ---- one submission's staged files

class Staging:
    """A private copy of the student's package (and the reference files its tasks swap in)."""

    MAX_BYTES = 64 * 2**20

    def __init__(self, package: Path, swapped: list[str], uid: int) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="nnott-stage-"))
        self.package, self.uid = package, uid
        self.pkg = self.root / "pkg"
        self.swap = self.root / "swap"
        self.scratch = self.root / "scratch"
        self._copy(package, self.pkg)
        self.swap.mkdir()
        for f in swapped:
            target = self.swap / f
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REFERENCE / f, target)
        self.scratch.mkdir()
        _world_readable(self.root)
        os.chmod(self.root, 0o711)

    def _copy(self, src: Path, dst: Path) -> None:
        """Regular files and folders only (no links), at most :attr:`MAX_BYTES` in all."""
        total = 0
        for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
            rel_dir = Path(dirpath).relative_to(src)
            dirnames[:] = [d for d in dirnames if d != "__pycache__" and not (Path(dirpath) / d).is_symlink()]
            (dst / rel_dir).mkdir(parents=True, exist_ok=True)
            for f in filenames:
                s = Path(dirpath) / f
                if s.is_symlink() or not s.is_file():
                    continue
                total += s.stat().st_size
                if total > self.MAX_BYTES:
                    raise OSError(f"the submission holds more than {self.MAX_BYTES >> 20} MiB")
                shutil.copyfile(s, dst / rel_dir / f)

    def prepare_user_mode(self) -> None:
        """``user`` mode: the scratch folder belongs to the worker's user; nothing else does."""
        os.chown(self.scratch, self.uid, self.uid)
        os.chmod(self.scratch, 0o700)

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


_USER_SITE: list[Path] = []


def _user_mode_site() -> Path:
    """NumPy copied where an unprivileged user can read it (the course's .venv may not be)."""
    if not _USER_SITE:
        site = Path(tempfile.mkdtemp(prefix="nnott-worker-site-"))
        for d in _numpy_dirs():
            shutil.copytree(d, site / d.name, ignore=shutil.ignore_patterns("__pycache__", "tests"))
        _world_readable(site)
        _USER_SITE.append(site)
    return _USER_SITE[0]


def spawn(staging: Staging, deadline: Callable[[], float], limits: Limits = Limits(), sandbox: str = "") -> Connection:
    """Start a worker for ``staging`` and wait for it to say it is ready."""
    sandbox = sandbox or mode()
    to_worker_r, to_worker_w = os.pipe()
    from_worker_r, from_worker_w = os.pipe()
    uid = staging.uid
    conf: dict[str, Any] = {"fd_in": to_worker_r, "fd_out": from_worker_w, "mem_mb": limits.mem_mb,
                            "nproc": limits.nproc, "fsize_mb": limits.fsize_mb, "nofile": limits.nofile,
                            "cpu_s": limits.cpu_s, "uid": uid if os.getuid() == 0 and sandbox != "none" else 0,
                            "gid": uid if os.getuid() == 0 and sandbox != "none" else 0}
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    prefix, exe = _python(user_mode=sandbox == "user")
    if sandbox == "bwrap":
        conf.update(package=PACKAGE, swap=f"{SANDBOX}/swap", scratch="/tmp")
        cmd = _bwrap_base() + ["--perms", "0755", "--dir", SANDBOX, "--perms", "0755", "--dir", f"{SANDBOX}/site",
                               "--ro-bind", str(prefix), f"{SANDBOX}/python"]
        for sp in sorted(prefix.glob("lib/python3*/site-packages")):
            cmd += ["--tmpfs", f"{SANDBOX}/python/{sp.relative_to(prefix).as_posix()}"]
        for d in _numpy_dirs():
            cmd += ["--ro-bind", str(d), f"{SANDBOX}/site/{d.name}"]
        cmd += ["--ro-bind", str(worker_lib()), f"{SANDBOX}/lib", "--ro-bind", str(staging.pkg), PACKAGE,
                "--ro-bind", str(staging.swap), f"{SANDBOX}/swap", "--proc", "/proc", "--dev", "/dev",
                "--perms", "01777", "--size", str(limits.tmp_mb * 2**20), "--tmpfs", "/tmp", "--chdir", "/tmp",
                "--clearenv"]
        for k, v in env.items():
            cmd += ["--setenv", k, v]
        paths = [f"{SANDBOX}/lib", f"{SANDBOX}/site"]
        cmd += [f"{SANDBOX}/python/{exe}", "-I", "-S", "-B", "-c", BOOT.format(paths=paths), json.dumps(conf)]
        sandbox_package = PACKAGE
    else:
        if sandbox == "user":
            staging.prepare_user_mode()
        paths = [str(worker_lib()), str(_user_mode_site() if sandbox == "user" else _numpy_dirs()[0].parent)]
        conf.update(package=str(staging.pkg), swap=str(staging.swap), scratch=str(staging.scratch))
        cmd = [str(prefix / exe), "-I", "-S", "-B", "-c", BOOT.format(paths=paths), json.dumps(conf)]
        sandbox_package = str(staging.pkg)
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                pass_fds=(to_worker_r, from_worker_w), start_new_session=True, env=env,
                                cwd=str(staging.scratch) if sandbox != "bwrap" else "/")
    finally:
        os.close(to_worker_r)
        os.close(from_worker_w)
    conn = Connection(proc, to_worker_w, from_worker_r, staging.package, sandbox_package, deadline)
    conn.scratch = str(conf["scratch"])
    hello = conn._receive()
    if not (type(hello) is tuple and len(hello) == 2 and hello[0] == "ready" and type(hello[1]) is int):
        raise conn._fail("crash", "the worker did not start")
    conn.worker_pid = hello[1]
    return conn
