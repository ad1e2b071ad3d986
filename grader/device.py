"""The ``device`` fixture's value: NumPy always, CuPy where a CUDA device can be used.

A test that takes ``device`` runs once per backend::

    def test_forward(impl, rng, device):
        x = device.asarray(rng.standard_normal((4, 3)))     # a NumPy or CuPy array
        y = layer.forward(x)
        assert device.is_array(y)                            # stayed on the device
        assert_close(y, expected, "Y", tol=device.tol)       # assert_close copies off the GPU

Where CuPy has no GPU the CuPy case is skipped with its reason; a skipped test costs no points.
Tolerances: float64 on the GPU differs from the CPU in summation order only, so ``tol`` is 1e-7
on NumPy (the course's rule) and 1e-6 on CuPy.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["Device", "DEVICES", "cupy_reason", "make", "to_numpy"]

DEVICES = ("numpy", "cupy")


def to_numpy(a: Any) -> np.ndarray:
    """A NumPy array of a NumPy/CuPy array or Python/NumPy scalar (CuPy arrays come off the GPU)."""
    if type(a).__module__.startswith("cupy"):
        a = a.get()
    return np.asarray(a)


def cupy_reason() -> str:
    """Why the CuPy case cannot run here (empty when it can)."""
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken CUDA install
        return f"CuPy is not installed ({type(exc).__name__}); install the gpu extra on a machine with a GPU"
    try:
        if not cupy.cuda.is_available():
            return "no CUDA device: cupy.cuda.is_available() is False on this machine"
    except Exception as exc:
        return f"CUDA cannot be used here: {exc}"
    return ""


@dataclass(frozen=True)
class Device:
    """One array backend: ``name`` (``numpy`` or ``cupy``), its module ``xp`` and the tolerance to use."""

    name: str
    xp: ModuleType
    tol: float

    def asarray(self, a: Any) -> Any:
        """``a`` (a NumPy array or a number) as an array of this backend, same dtype."""
        return self.xp.asarray(a)

    def to_numpy(self, a: Any) -> np.ndarray:
        return to_numpy(a)

    def is_array(self, a: Any) -> bool:
        return isinstance(a, self.xp.ndarray)

    def __str__(self) -> str:
        return self.name


def make(name: str) -> Device:
    """The :class:`Device` called ``name``; ``RuntimeError`` with the reason when CuPy cannot run."""
    if name == "numpy":
        return Device("numpy", np, 1e-7)
    if name == "cupy":
        reason = cupy_reason()
        if reason:
            raise RuntimeError(reason)
        import cupy
        return Device("cupy", cupy, 1e-6)
    raise ValueError(f"unknown device {name!r}; choose from {DEVICES}")
