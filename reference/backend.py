"""Array backend: NumPy on the CPU, CuPy on an NVIDIA GPU.

This file is given; it holds no task. Library code never imports ``numpy``
or ``cupy`` to do arithmetic directly. It asks for the array module that
matches its input::

    xp = get_array_module(x)      # numpy for a numpy array, cupy for a cupy one
    y = xp.maximum(x, 0)

and new arrays are created on the active backend through ``xp``::

    from .backend import xp
    W = xp.zeros((out_features, in_features))

The active backend is NumPy unless ``NNOTT_BACKEND=cupy`` is set in the
environment or :func:`set_backend` is called.
"""
from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["xp", "set_backend", "backend_name", "get_array_module", "to_device", "to_cpu",
           "cupy_available"]

_active: ModuleType = np


def cupy_available() -> bool:
    """True when CuPy imports *and* a CUDA device can be used."""
    try:
        import cupy  # noqa: F401
        return bool(cupy.cuda.is_available())
    except Exception:  # ImportError, or a CUDA runtime error on a machine without a GPU
        return False


def set_backend(name: str) -> ModuleType:
    """Select ``"numpy"`` or ``"cupy"`` as the module behind :data:`xp`.

    Raises ``ValueError`` for another name and ``RuntimeError`` when CuPy is
    asked for but no GPU can be used.
    """
    global _active
    name = name.lower()
    if name == "numpy":
        _active = np
    elif name == "cupy":
        if not cupy_available():
            raise RuntimeError("backend 'cupy' needs CuPy and a CUDA GPU; neither is usable here. "
                               "Use the NumPy backend, or install the gpu extra on a GPU machine.")
        import cupy
        _active = cupy
    else:
        raise ValueError(f"unknown backend {name!r}: choose 'numpy' or 'cupy'")
    return _active


def backend_name() -> str:
    """``"numpy"`` or ``"cupy"``: the module currently behind :data:`xp`."""
    return "cupy" if _active is not np else "numpy"


class _Backend:
    """Forwards every attribute to the active array module (``xp.zeros`` and so on)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_active, name)

    def __repr__(self) -> str:
        return f"<xp backend: {backend_name()}>"


xp = _Backend()


def get_array_module(*arrays: Any) -> ModuleType:
    """The array module (numpy or cupy) that owns ``arrays``; numpy for plain Python values."""
    for a in arrays:
        if type(a).__module__.startswith("cupy"):
            import cupy
            return cupy
    return np


def to_device(a: Any, dtype: Any = None) -> Any:
    """Move ``a`` onto the active backend (a no-op when it is already there)."""
    if _active is np:
        return np.asarray(a, dtype=dtype) if not isinstance(a, np.ndarray) or dtype is not None else a
    return _active.asarray(a, dtype=dtype)


def to_cpu(a: Any) -> np.ndarray:
    """Bring ``a`` back to a NumPy array (for printing, plotting, saving)."""
    if type(a).__module__.startswith("cupy"):
        return a.get()
    return np.asarray(a)


if os.environ.get("NNOTT_BACKEND"):
    set_backend(os.environ["NNOTT_BACKEND"])
