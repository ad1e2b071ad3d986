"""The ``Optimizer`` base class: parameter groups, per-parameter state and checkpoints.

This file is given; it holds no task. It mirrors ``torch.optim.Optimizer``:

* ``param_groups`` is a list of dicts, each with ``"params"`` (a list of
  ``Parameter``) and its hyper-parameters (``"lr"`` always, plus whatever the
  subclass's ``defaults`` name). A schedule changes ``group["lr"]`` between steps.
* ``state`` maps a parameter's *index* (its position over all groups, in order)
  to a dict of that parameter's running quantities (momentum buffer, moments,
  step count). ``state_for(p)`` returns it, created empty on first use.
* ``state_dict()`` returns a deep copy of the state and the hyper-parameters
  (parameters replaced by their indices); ``load_state_dict()`` copies such a
  dict back in. Saving, loading into a fresh optimiser over the same parameters
  and stepping on continues exactly the same trajectory.

A subclass implements ``step()``: it reads each ``p.grad`` (never writing to it)
and updates ``p.data`` in place.
"""
from __future__ import annotations

import copy
from typing import Any, Iterable

from ..backend import get_array_module
from ..module import Parameter

__all__ = ["Optimizer"]


def _copy_value(v: Any) -> Any:
    """A deep copy that keeps arrays on their device (NumPy or CuPy)."""
    if hasattr(v, "shape") and hasattr(v, "dtype") and not isinstance(v, (int, float)):
        return get_array_module(v).array(v, copy=True)
    if isinstance(v, dict):
        return {k: _copy_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_copy_value(x) for x in v)
    return copy.deepcopy(v)


def _is_parameter(p: Any) -> bool:
    """A ``Parameter``, or anything shaped like one (``.data`` and ``.grad``): the library may be
    loaded under several names, each with its own ``Parameter`` class."""
    return isinstance(p, Parameter) or (hasattr(p, "data") and hasattr(p, "grad") and not isinstance(p, dict))


class Optimizer:
    """Base class of every optimiser.

    Args:
        params: an iterable of ``Parameter``, or of dicts ``{"params": [...], "lr": ...}``
            (parameter groups, each overriding some of the defaults).
        defaults: the hyper-parameters every group gets unless it sets its own.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}
        items = list(params)
        if not items:
            raise ValueError("optimizer got an empty parameter list")
        groups = items if isinstance(items[0], dict) else [{"params": items}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group ``{"params": [...], hyper-parameters...}``; missing hyper-parameters come from ``defaults``."""
        params = group["params"]
        params = [params] if _is_parameter(params) else list(params)
        for p in params:
            if not _is_parameter(p):
                raise TypeError(f"optimizer params must be Parameter objects (with .data and .grad), "
                                f"got {type(p).__name__}")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        full = {**self.defaults, **{k: v for k, v in group.items() if k != "params"}, "params": params}
        if "lr" not in full:
            raise ValueError("every parameter group needs an 'lr'")
        self.param_groups.append(full)
        self._reindex()

    def _reindex(self) -> None:
        self._index = {id(p): i for i, p in enumerate(p for g in self.param_groups for p in g["params"])}

    def state_for(self, p: Parameter) -> dict[str, Any]:
        """The state dict of parameter ``p`` (empty on the first step)."""
        return self.state.setdefault(self._index[id(p)], {})

    def zero_grad(self) -> None:
        """Reset every parameter's ``.grad`` to zeros (in place)."""
        for g in self.param_groups:
            for p in g["params"]:
                p.zero_grad()

    def step(self) -> None:
        """Update every parameter from its ``.grad`` (subclasses implement this)."""
        raise NotImplementedError(f"{type(self).__name__}.step is not written")

    def state_dict(self) -> dict[str, Any]:
        """A deep copy: ``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``."""
        groups = []
        for g in self.param_groups:
            d = {k: _copy_value(v) for k, v in g.items() if k != "params"}
            d["params"] = [self._index[id(p)] for p in g["params"]]
            groups.append(d)
        return {"state": {i: _copy_value(s) for i, s in self.state.items()}, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Copy a ``state_dict()`` back in (same number of groups and parameters per group)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"the state dict has {len(groups)} parameter groups, this optimizer "
                             f"{len(self.param_groups)}")
        for mine, saved in zip(self.param_groups, groups):
            if len(mine["params"]) != len(saved["params"]):
                raise ValueError("a parameter group of the state dict has a different number of parameters")
        for mine, saved in zip(self.param_groups, groups):
            mine.update({k: _copy_value(v) for k, v in saved.items() if k != "params"})
        params = [p for g in self.param_groups for p in g["params"]]
        self.state = {}
        for i, s in state_dict["state"].items():
            i = int(i)
            xp = get_array_module(params[i].data)
            self.state[i] = {k: (xp.asarray(v).copy() if hasattr(v, "shape") else _copy_value(v))
                             for k, v in s.items()}

    def __repr__(self) -> str:
        hp = ", ".join(f"{k}={v}" for k, v in self.defaults.items())
        return f"{type(self).__name__}({hp})"
