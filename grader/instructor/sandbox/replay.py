"""Large draws from the test's random generator, made in the worker with the judge's numbers.

Student code that initialises a model calls the test's ``rng`` (a callback into the judge). For a
VGG16 that is 100 M normals: sent as data they would cross the pipe as an 800 MB frame. Instead,
for an element-by-element draw (``standard_normal``, ``normal``, ``uniform``, ``random``, float64,
scalar parameters) above :data:`LIMIT` bytes, the judge

1. notes its generator's state,
2. advances its own generator by the same draw, in chunks of :data:`CHUNK` values (an element-wise
   draw in chunks gives the same numbers and the same final state as one draw), and
3. answers with a :class:`Replay`: the state before, the method and its arguments.

The worker makes the same draw from a fresh bit generator set to that state, so student code gets
exactly the array one process would have given it, and the judge's generator ends where one
process would have left it. The judge never takes a state from the worker.

This module is copied into the worker's sandbox: the standard library and NumPy only.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .protocol import SYNC_LIMIT

#: draws bigger than this many bytes are replayed in the worker (smaller ones travel as data)
LIMIT = SYNC_LIMIT
CHUNK = 1 << 20

#: the element-wise methods, with their positional parameters in order
METHODS: dict[str, tuple[str, ...]] = {
    "standard_normal": ("size", "dtype", "out"),
    "random": ("size", "dtype", "out"),
    "normal": ("loc", "scale", "size"),
    "uniform": ("low", "high", "size"),
}
#: bit generators a replay may name (the worker builds one of these, nothing else)
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


@dataclass(frozen=True)
class Replay:
    """``getattr(Generator(bit_generator(state)), method)(**kwargs)``, made in the worker."""

    bit_generator: str
    state: dict[str, Any]
    method: str
    kwargs: tuple[tuple[str, Any], ...]

    def as_data(self) -> tuple[Any, ...]:
        return (self.bit_generator, self.state, self.method, self.kwargs)


def _size(size: Any) -> tuple[int, ...] | None:
    if type(size) is int and size >= 0:
        return (size,)
    if type(size) is tuple and all(type(d) is int and d >= 0 for d in size):
        return size
    return None


def plan(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Replay | None:
    """The replay of ``fn(*args, **kwargs)`` (a bound drawing method of a Generator) when it is big and
    element-wise; ``None`` when it should simply be called. Advances ``fn``'s generator as the call would."""
    gen, name = getattr(fn, "__self__", None), getattr(fn, "__name__", "")
    if not isinstance(gen, np.random.Generator) or name not in METHODS:
        return None
    params = METHODS[name]
    if len(args) > len(params) or any(k not in params for k in kwargs):
        return None
    bound = dict(zip(params, args))
    if any(k in bound for k in kwargs):
        return None
    bound.update(kwargs)
    if bound.pop("out", None) is not None:
        return None
    dtype = bound.pop("dtype", None)
    if dtype is not None and np.dtype(dtype) != np.float64:
        return None
    shape = _size(bound.pop("size", None))
    if shape is None or any(type(v) not in (int, float) for v in bound.values()):
        return None
    total = math.prod(shape)
    bits = type(gen.bit_generator).__name__
    if total * 8 <= LIMIT or bits not in BIT_GENERATORS:
        return None
    state = dict(copy.deepcopy(gen.bit_generator.state))
    draw = getattr(gen, name)
    for start in range(0, total, CHUNK):
        draw(**bound, size=min(CHUNK, total - start))
    return Replay(bits, state, name, tuple(sorted(bound.items())) + (("size", shape),))


def make(data: Any) -> np.ndarray:
    """The worker's side: the draw a :meth:`Replay.as_data` describes."""
    bits, state, method, kwargs = data
    if bits not in BIT_GENERATORS or method not in METHODS or type(kwargs) is not tuple:
        raise ValueError("a replay the worker does not make")
    bg = getattr(np.random, bits)()
    bg.state = state
    out: np.ndarray = getattr(np.random.Generator(bg), method)(**dict(kwargs))
    return out
