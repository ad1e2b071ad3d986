"""The ``Module`` and ``Parameter`` base classes, and ``Sequential``.

This file is given; it holds no task. Every layer follows the same
"local gradient" contract:

* ``forward(x)`` computes the output and keeps in ``self`` whatever the
  backward pass will need (the cache);
* ``backward(grad_out)`` receives dL/d(output), *adds* dL/d(parameter) into
  each parameter's ``.grad`` (gradients accumulate, as in PyTorch; call
  ``zero_grad()`` between steps) and returns dL/d(input).
"""
from __future__ import annotations

from typing import Any, Iterator

from .backend import get_array_module

__all__ = ["Parameter", "Module", "Sequential", "Identity", "BUFFER_NAMES"]

#: attributes that ``state_dict`` saves as buffers (plain arrays or ints, not ``Parameter`` s), as torch's BatchNorm
BUFFER_NAMES = ("running_mean", "running_var", "num_batches_tracked")


class Parameter:
    """A trainable array and the gradient accumulated for it.

    Attributes:
        data: the values, any shape.
        grad: same shape as ``data``; zeros until a backward pass adds to it.
    """

    def __init__(self, data: Any, name: str = "") -> None:
        self.data = data
        self.grad = get_array_module(data).zeros_like(data)
        self.name = name

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)

    def zero_grad(self) -> None:
        """Reset ``grad`` to zeros (in place)."""
        self.grad[...] = 0

    def __repr__(self) -> str:
        return f"Parameter({self.name or 'unnamed'}, shape={self.shape}, dtype={self.data.dtype})"


class Module:
    """Base class of every layer and model.

    Subclasses implement ``forward`` and ``backward``. Parameters and
    sub-modules stored as attributes (or in lists of them) are found by
    ``parameters()`` and ``modules()``.
    """

    training: bool = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.forward is not written")

    def backward(self, grad_out: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.backward is not written")

    def _children(self) -> Iterator[Any]:
        for value in vars(self).values():
            if isinstance(value, (Parameter, Module)):
                yield value
            elif isinstance(value, (list, tuple)):
                yield from (v for v in value if isinstance(v, (Parameter, Module)))

    def parameters(self) -> list[Parameter]:
        """Every ``Parameter`` of this module and its sub-modules, each once, in definition order."""
        seen: set[int] = set()
        out: list[Parameter] = []
        for child in self._children():
            params = [child] if isinstance(child, Parameter) else child.parameters()
            for p in params:
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append(p)
        return out

    def modules(self) -> list["Module"]:
        """This module followed by every sub-module, depth first."""
        out: list[Module] = [self]
        for child in self._children():
            if isinstance(child, Module):
                out.extend(child.modules())
        return out

    def train(self, mode: bool = True) -> "Module":
        """Switch this module and every sub-module to training (or evaluation) mode."""
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> "Module":
        """Switch to evaluation mode (``train(False)``)."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Reset the gradient of every parameter."""
        for p in self.parameters():
            p.zero_grad()

    def num_parameters(self) -> int:
        """The number of trainable scalars."""
        return int(sum(p.data.size for p in self.parameters()))

    # -- state_dict: torch-style names -------------------------------------------------------------
    def _named_entries(self) -> Iterator[tuple[str, Any]]:
        """``(name, value)`` of this module's own entries, torch's way: parameters and buffers, then children.

        A ``Parameter`` is named after its attribute, with ``W`` and ``b`` read as ``weight`` and
        ``bias``, and ``gamma`` and ``beta`` as ``weight`` and ``bias`` on a module that has both
        (a normalisation layer; a lone ``gamma``, ConvNeXt's layer scale, keeps its name). A
        list or tuple of modules is numbered ``0, 1, ...`` as torch's ``ModuleList``; a
        ``Sequential`` numbers its layers directly (``features.0.weight``, as torch).
        """
        attrs = vars(self)
        norm = isinstance(attrs.get("gamma"), Parameter) and isinstance(attrs.get("beta"), Parameter)
        rename = {"W": "weight", "b": "bias"} | ({"gamma": "weight", "beta": "bias"} if norm else {})
        children: list[tuple[str, Module]] = []
        for key, value in attrs.items():
            if isinstance(value, Parameter):
                yield rename.get(key, key), value
            elif key in BUFFER_NAMES and value is not None:
                yield key, ("buffer", key)
            elif isinstance(value, Module):
                children.append((key, value))
            elif isinstance(value, (list, tuple)) and any(isinstance(v, Module) for v in value):
                prefix = "" if isinstance(self, Sequential) and key == "layers" else key + "."
                children += [(f"{prefix}{i}", v) for i, v in enumerate(value) if isinstance(v, Module)]
        for key, child in children:
            yield key, child

    def _walk(self, prefix: str = "") -> Iterator[tuple[str, "Module", str, Any]]:
        """``(full key, owning module, attribute, value)`` for every parameter and buffer, depth first."""
        for key, value in self._named_entries():
            if isinstance(value, Module):
                yield from value._walk(f"{prefix}{key}.")
            elif isinstance(value, Parameter):
                yield f"{prefix}{key}", self, key, value
            else:
                yield f"{prefix}{key}", self, value[1], getattr(self, value[1])

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """``(torch-style key, Parameter)`` for every parameter, in ``state_dict`` order (buffers left out)."""
        return [(key, value) for key, _, _, value in self._walk() if isinstance(value, Parameter)]

    def state_dict(self) -> dict[str, Any]:
        """Every parameter and buffer by its torch-style key, e.g. ``layer1.0.conv1.weight``.

        Values are the arrays themselves (``Parameter.data``, not copies, as torch shares its
        tensors' storage); ``num_batches_tracked`` is an int. The keys and shapes are those of the
        torch module built the same way (same attribute names, same layer order), so
        ``torch_model.load_state_dict({k: torch.tensor(v) for k, v in sd.items()})`` works, and the
        other way round through :meth:`load_state_dict`.
        """
        return {key: (value.data if isinstance(value, Parameter) else value) for key, _, _, value in self._walk()}

    def load_state_dict(self, state: Any, strict: bool = True) -> None:
        """Copy ``state`` (``{key: array}``, e.g. a torch ``state_dict`` as NumPy arrays) into this module.

        Parameters are overwritten in place (their dtype and device are kept); buffers are
        replaced by copies. With ``strict``, a missing or unexpected key raises ``KeyError``
        naming them; a shape that differs raises ``ValueError`` naming the key and both shapes.
        """
        entries = {key: (owner, attr, value) for key, owner, attr, value in self._walk()}
        state = {k: (v.detach().cpu().numpy() if hasattr(v, "detach") else v) for k, v in dict(state).items()}
        missing = [k for k in entries if k not in state]
        unexpected = [k for k in state if k not in entries]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        for key, (owner, attr, value) in entries.items():
            if key not in state:
                continue
            new = state[key]
            if attr == "num_batches_tracked":
                setattr(owner, attr, int(new))
                continue
            target = value.data if isinstance(value, Parameter) else value
            if tuple(getattr(new, "shape", ())) != tuple(target.shape):
                raise ValueError(f"load_state_dict: {key} has shape {tuple(target.shape)} here, "
                                 f"but the state gives {tuple(getattr(new, 'shape', ()))}")
            xp = get_array_module(target)
            if isinstance(value, Parameter):
                value.data[...] = xp.asarray(new, dtype=target.dtype)
            else:
                setattr(owner, attr, xp.array(new, dtype=target.dtype))


class Sequential(Module):
    """Modules applied in order; ``backward`` visits them in reverse.

    Shapes: whatever the first module takes, whatever the last one returns.
    """

    def __init__(self, *layers: Module) -> None:
        self.layers = list(layers)

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, grad_out: Any) -> Any:
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)


class Identity(Module):
    """``y = x``, and ``backward`` returns ``grad_out``: a placeholder that keeps a ``Sequential``'s
    numbering in step with torch's (e.g. where a ``Dropout`` with ``p = 0`` is left out)."""

    def forward(self, x: Any) -> Any:
        return x

    def backward(self, grad_out: Any) -> Any:
        return grad_out
