"""The rows of ``bench/kernels.py``: one module per area of the course, each exporting ``CASES``.

A case is a :class:`Case`: a goal (the largest acceptable time ratio library / torch) and two
builders, ``nnott(lib)`` and ``torch()``, each returning a zero-argument callable that runs one
step (e.g. a forward and a backward pass) on data it made beforehand. ``lib`` is the reference
package (``import reference as lib``). Builders run in a fresh child process, so nothing of one
side is loaded in the other's.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable

Step = Callable[[], Any]


@dataclass(frozen=True)
class Case:
    goal: float
    nnott: Callable[[Any], Step]
    torch: Callable[[], Step]
    note: str = ""


def all_cases() -> dict[str, Case]:
    """Every case of every module in this package, by name, in module order."""
    out: dict[str, Case] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        mod = importlib.import_module(f"{__name__}.{info.name}")
        for name, case in getattr(mod, "CASES", {}).items():
            if name in out:
                raise SystemExit(f"bench case {name!r} is defined twice (last in {info.name}.py)")
            out[name] = case
    return out
