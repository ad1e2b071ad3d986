"""Checkpoints: a trainer's whole state in one file, written atomically, checked before it is loaded.

File layout: the 8 bytes ``NNOTTCK1``, the payload's length (8 bytes, big-endian), its SHA-256
(32 bytes), then the payload: a pickled dict ``{"model_class", "shapes" ({key: shape} of the
model's state_dict), "meta" (e.g. the command-line options), "trainer" (``Trainer.state_dict()``)}``.

* Saving writes a temporary file in the same folder and renames it over the target
  (``os.replace``): an interrupted save leaves the previous checkpoint intact.
* Loading checks the magic, the length and the hash (a truncated or damaged file is refused),
  then that the model's class and every key and shape match, and only then touches the
  trainer: a checkpoint that does not fit overwrites nothing.

A checkpoint is a pickle: load only files you made yourself.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["CheckpointError", "save_checkpoint", "read_checkpoint", "load_checkpoint"]

MAGIC = b"NNOTTCK1"


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded: damaged, truncated, or made for another model."""


def _shapes(model: Any) -> dict[str, tuple[int, ...]]:
    return {k: tuple(getattr(v, "shape", ())) for k, v in model.state_dict().items()}


def save_checkpoint(path: str | Path, trainer: Any, meta: dict[str, Any] | None = None) -> Path:
    """Write ``trainer.state_dict()`` (and ``meta``) to ``path`` atomically; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = pickle.dumps({"model_class": type(trainer.model).__name__, "shapes": _shapes(trainer.model),
                            "meta": dict(meta or {}), "trainer": trainer.state_dict()}, protocol=4)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC + len(payload).to_bytes(8, "big") + hashlib.sha256(payload).digest() + payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The verified content of a checkpoint file (no trainer is touched).

    Raises:
        CheckpointError: a missing, foreign, truncated or damaged file, the path in the message.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read the checkpoint ({exc})") from exc
    if raw[:8] != MAGIC:
        raise CheckpointError(f"{path}: not an NNOTT checkpoint (it does not start with {MAGIC!r})")
    size = int.from_bytes(raw[8:16], "big")
    payload = raw[48:]
    if len(raw) < 48 or len(payload) != size:
        raise CheckpointError(f"{path}: truncated checkpoint ({len(payload)} of {size} payload bytes); "
                              "was the save interrupted? Nothing was loaded")
    if hashlib.sha256(payload).digest() != raw[16:48]:
        raise CheckpointError(f"{path}: damaged checkpoint (its SHA-256 does not match); nothing was loaded")
    return pickle.loads(payload)  # noqa: S301 - the student's own file


def load_checkpoint(path: str | Path, trainer: Any) -> dict[str, Any]:
    """Verify ``path`` fits ``trainer`` and load it into it; returns the saved ``meta``.

    Raises:
        CheckpointError: damaged or truncated, another model class, or keys or shapes that differ
            (the message names them); the trainer is then left exactly as it was.
    """
    ck = read_checkpoint(path)
    mine, theirs = _shapes(trainer.model), ck["shapes"]
    name = type(trainer.model).__name__
    if ck["model_class"] != name:
        raise CheckpointError(f"{path}: this checkpoint is of a {ck['model_class']}, not of a {name}; nothing was loaded")
    missing = [k for k in mine if k not in theirs]
    extra = [k for k in theirs if k not in mine]
    wrong = [f"{k} {tuple(theirs[k])} vs {mine[k]}" for k in mine if k in theirs and tuple(theirs[k]) != mine[k]]
    if missing or extra or wrong:
        raise CheckpointError(f"{path}: the checkpoint does not fit this {name} (other options?): missing {missing[:5]}, "
                              f"unexpected {extra[:5]}, shapes {wrong[:5]}; nothing was loaded")
    state = ck["trainer"]
    if len(state["rng"]) != len(trainer.generators()):
        raise CheckpointError(f"{path}: the checkpoint has {len(state['rng'])} random generators, this run "
                              f"{len(trainer.generators())} (other dropout/shuffle/augment options?); nothing was loaded")
    before = trainer.state_dict()
    try:
        trainer.load_state_dict(state)
    except Exception as exc:
        trainer.load_state_dict(before)
        raise CheckpointError(f"{path}: could not load the checkpoint ({exc}); nothing was changed") from exc
    return dict(ck["meta"])
