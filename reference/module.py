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

__all__ = ["Parameter", "Module", "Sequential"]


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
