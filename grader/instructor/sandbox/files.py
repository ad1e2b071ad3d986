"""A test's ``tmp_path``, mirrored into the worker as plain data.

Tests of files (10.2's checkpoints, 10.3's IDX and CIFAR loaders) write into ``tmp_path`` and hand
the paths to student code, which reads them or writes new files there that the test then reads.
The worker cannot see the judge's disk, and must not: a symlink it left in a folder the judge later
writes to would let it write anywhere. So the folder is mirrored, never shared:

- a path crossing to the worker is translated: ``tmp_path / "a.idx"`` becomes the same name under a
  folder of the worker's scratch; a path coming back is translated back, and one outside that
  folder comes back as a :class:`~pathlib.PurePosixPath`, which cannot be opened;
- before each request the judge sends the files that changed in ``tmp_path`` since the worker last
  saw them (and the names of those removed); after each answer the worker sends its changes back;
- the judge writes only regular files, under relative names with no ``..``, never following a
  link (``O_NOFOLLOW``, each folder checked with ``lstat``), within :data:`MAX_BYTES` a message.

This module is copied into the worker's sandbox: the standard library only.
"""
from __future__ import annotations

import os
import stat
from typing import Any

#: at most this much file content crosses in one message, in at most this many files
MAX_BYTES = 48 * 2**20
MAX_FILES = 512
DIR = (-1, 0)   # the stat key of a folder

Stats = dict[str, tuple[int, int]]


def scan(root: str) -> Stats:
    """``{relative name: (size, mtime_ns)}`` of every regular file and folder under ``root`` (links skipped)."""
    out: Stats = {}
    if not os.path.isdir(root) or os.path.islink(root):
        return out
    for here, dirs, files in os.walk(root, followlinks=False):
        rel_here = os.path.relpath(here, root)
        for name in dirs + files:
            rel = name if rel_here == "." else f"{rel_here}/{name}"
            try:
                st = os.lstat(os.path.join(here, name))
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                out[rel] = DIR
            elif stat.S_ISREG(st.st_mode):
                out[rel] = (st.st_size, st.st_mtime_ns)
        if len(out) > MAX_FILES:
            break
    return out


def changes(root: str, known: Stats) -> tuple[tuple[tuple[str, Any], ...], tuple[str, ...], Stats]:
    """What changed under ``root`` since ``known``: ``(files, removed, now)``; a folder's content is ``None``."""
    now = scan(root)
    files: list[tuple[str, Any]] = []
    total = 0
    for rel in sorted(now):
        if known.get(rel) == now[rel]:
            continue
        if now[rel] == DIR:
            files.append((rel, None))
            continue
        with open(os.path.join(root, rel), "rb") as fh:
            data = fh.read(MAX_BYTES + 1 - total)
        total += len(data)
        if total > MAX_BYTES or len(files) >= MAX_FILES:
            raise ValueError(f"more than {MAX_BYTES // 2**20} MB of files (or {MAX_FILES} files) under {root}")
        files.append((rel, data))
    removed = tuple(sorted(rel for rel in known if rel not in now))
    return tuple(files), removed, now


def safe_name(rel: Any) -> bool:
    """A relative name with no ``..``, no empty part, no NUL: something that stays inside the folder."""
    if type(rel) is not str or not rel or rel.startswith("/") or "\0" in rel or "\\" in rel:
        return False
    return all(part not in ("", ".", "..") for part in rel.split("/"))


def _folder(root: str, rel: str) -> str:
    """``root/rel`` as a folder, made where missing; every part checked not to be a link."""
    path = root
    for part in [p for p in rel.split("/") if p]:
        path = os.path.join(path, part)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            os.mkdir(path, 0o755)
            continue
        if not stat.S_ISDIR(st.st_mode):
            raise ValueError(f"{rel}: a part of the name is not a folder")
    return path


def apply(root: str, files: Any, removed: Any) -> Stats:
    """Write ``files`` and remove ``removed`` under ``root`` (validated as coming from the other side);
    the stats of what was written, so that it is not sent back."""
    if type(files) is not tuple or type(removed) is not tuple or len(files) > MAX_FILES:
        raise ValueError("malformed file changes")
    os.makedirs(root, exist_ok=True)
    written: Stats = {}
    total = 0
    for item in files:
        if type(item) is not tuple or len(item) != 2 or not safe_name(item[0]):
            raise ValueError("a file name that leaves its folder")
        rel, data = item
        if data is None:
            _folder(root, rel)
            written[rel] = DIR
            continue
        if type(data) is not bytes:
            raise ValueError("file content that is not bytes")
        total += len(data)
        if total > MAX_BYTES:
            raise ValueError("too much file content in one message")
        parent, _, name = rel.rpartition("/")
        path = os.path.join(_folder(root, parent), name)
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode):
                raise ValueError(f"{rel}: not a regular file on this side")
        except FileNotFoundError:
            pass
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        st = os.lstat(path)
        written[rel] = (st.st_size, st.st_mtime_ns)
    for rel in removed:
        if not safe_name(rel):
            raise ValueError("a file name that leaves its folder")
        path = os.path.join(root, rel)
        try:
            if stat.S_ISREG(os.lstat(path).st_mode):
                os.unlink(path)
        except FileNotFoundError:
            pass
    return written


class Mirror:
    """The judge's side of one test's mirrored ``tmp_path``: ``host`` here, ``worker`` in the sandbox."""

    def __init__(self, host: str, worker: str) -> None:
        self.host, self.worker = os.path.abspath(host), worker
        self.known: Stats = {}   # what the worker holds, as this side's stats

    @staticmethod
    def _inside(path: str, root: str) -> str | None:
        """``path`` relative to ``root``, or ``None`` when it is not inside it."""
        if path == root:
            return ""
        return path[len(root) + 1:] if path.startswith(root.rstrip("/") + "/") else None

    def to_worker(self, path: str) -> str:
        rel = self._inside(os.path.abspath(path), self.host)
        return path if rel is None else (self.worker if not rel else f"{self.worker}/{rel}")

    def to_host(self, path: str) -> str | None:
        """The host path for a worker path in the mirror; ``None`` for one outside it."""
        rel = self._inside(os.path.normpath(path), self.worker)
        if rel is None or (rel and not safe_name(rel)):
            return None
        return os.path.join(self.host, rel) if rel else self.host

    def outgoing(self) -> tuple[str, tuple[tuple[str, Any], ...], tuple[str, ...]]:
        files, removed, self.known = changes(self.host, self.known)
        return self.worker, files, removed

    def incoming(self, back: Any) -> None:
        if type(back) is not tuple or len(back) != 2:
            raise ValueError("malformed file changes")
        self.known.update(apply(self.host, back[0], back[1]))
        for rel in back[1]:
            self.known.pop(rel, None)
