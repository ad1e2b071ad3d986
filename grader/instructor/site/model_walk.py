"""Walk a reference model: its layers in ``state_dict`` order, each with its output shape and parameters.

Run as ``python -m grader.instructor.site.model_walk FILE CLASS CLASSES CHANNELS SIZE`` in a child
process (a model being written may hang or crash; the site must build all the same). The
layers are the model's sub-modules with ``Sequential`` s and lists opened, so a stage of
blocks shows one row per block. Output shapes come from one forward pass in evaluation mode on
a single zero image in float32: each row's ``forward`` is wrapped on the instance for that pass
and restored after. Prints one JSON object.
"""
from __future__ import annotations

import importlib
import json
import sys
from typing import Any, Iterator


def rows(model: Any, sequential: type, module: type, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(state_dict prefix, module)`` for every row of the layer table, in definition order."""
    for key, value in model._named_entries():
        if isinstance(value, module):
            if isinstance(value, sequential):
                yield from rows(value, sequential, module, f"{prefix}{key}.")
            else:
                yield f"{prefix}{key}", value


def walk(file: str, cls: str, num_classes: int, channels: int, size: int) -> dict[str, Any]:
    import numpy as np
    mod = importlib.import_module("reference.models." + file)
    base = importlib.import_module("reference.module")
    model = getattr(mod, cls)(num_classes, channels, size, rng=np.random.default_rng(0), dtype=np.float32)
    table = list(rows(model, base.Sequential, base.Module))
    shapes: dict[str, list[int]] = {}
    for name, layer in table:
        original = layer.forward

        def recorder(*args: Any, _f: Any = original, _n: str = name, **kwargs: Any) -> Any:
            out = _f(*args, **kwargs)
            shapes[_n] = [int(d) for d in out.shape]
            return out
        layer.forward = recorder
    model.eval()
    logits = model(np.zeros((1, channels, size, size), dtype=np.float32))
    for _, layer in table:
        vars(layer).pop("forward", None)
    in_rows = sum(layer.num_parameters() for _, layer in table)
    return {
        "input": [1, channels, size, size],
        "output": [int(d) for d in logits.shape],
        "parameters": model.num_parameters(),
        "own_parameters": model.num_parameters() - in_rows,
        "layers": [{"name": n, "type": type(layer).__name__, "shape": shapes.get(n),
                    "parameters": layer.num_parameters()} for n, layer in table],
    }


def main(argv: list[str]) -> int:
    file, cls, nc, ch, size = argv
    try:
        result = walk(file, cls, int(nc), int(ch), int(size))
    except Exception as exc:  # a model being written: report why, the site lists it as coming
        result = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
