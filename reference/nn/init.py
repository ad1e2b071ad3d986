"""Weight initialisation: Xavier (Glorot) and Kaiming (He), with PyTorch's fan and gain rules.

A layer's output variance is ``fan_in * Var(w) * Var(x)`` (for zero-mean inputs). Choosing
``Var(w)`` so that this stays about ``Var(x)`` keeps activations (and, with ``fan_out``,
gradients) from exploding or vanishing layer after layer:

* Xavier: ``std = gain * sqrt(2 / (fan_in + fan_out))`` (a compromise between both passes);
* Kaiming: ``std = gain / sqrt(fan)``, ``fan = fan_in`` (default) or ``fan_out``.

A uniform ``U(-bound, bound)`` has std ``bound / sqrt(3)``, so the uniform variants use
``bound = sqrt(3) * std``. Fans follow ``torch.nn.init``: for a weight of shape
``(out, in, k1, k2, ...)``, ``fan_in = in * k1 * k2 * ...`` and ``fan_out = out * k1 * k2 * ...``.

Every function returns a NEW array of ``shape`` on the active backend, drawn from the
``numpy.random.Generator`` it is given (so results are reproducible), in ``dtype``.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import xp

__all__ = ["calculate_gain", "fan_in_and_fan_out", "xavier_uniform", "xavier_normal",
           "kaiming_uniform", "kaiming_normal"]

LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def _generator(rng: np.random.Generator | None) -> np.random.Generator:
    """The generator to draw from: ``rng``, or a fresh unseeded one when it is ``None``."""
    return rng if rng is not None else np.random.default_rng()


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a non-linearity, as ``torch.nn.init.calculate_gain``.

    ================================  ==================================
    nonlinearity                      gain
    ================================  ==================================
    ``linear``, ``conv1d`` ... (any   1
    of ``LINEAR_FNS``), ``sigmoid``
    ``tanh``                          5 / 3
    ``relu``                          sqrt(2)
    ``leaky_relu``                    sqrt(2 / (1 + negative_slope^2)), negative_slope = ``param``
                                      (0.01 when ``param`` is None)
    ``selu``                          3 / 4
    ================================  ==================================

    Raises ``ValueError`` for an unknown name, and for a ``leaky_relu`` ``param`` that is not an
    int or float (a bool is not a number here).
    """
    ### BEGIN SOLUTION
    if nonlinearity in LINEAR_FNS or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1.0 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4.0
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")
    ### END SOLUTION


def fan_in_and_fan_out(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape``, as torch computes them.

    ``shape`` is ``(out, in)`` for a Linear weight or ``(out, in, k1, k2, ...)`` for a
    convolution: ``fan_in = in * prod(k)``, ``fan_out = out * prod(k)``.
    Raises ``ValueError`` when ``shape`` has fewer than 2 dimensions.
    """
    ### BEGIN SOLUTION
    shape = tuple(int(s) for s in shape)
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a shape of at least 2 dimensions, got {shape}")
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive, shape[0] * receptive
    ### END SOLUTION


def xavier_uniform(shape: tuple[int, ...], gain: float = 1.0, *, rng: np.random.Generator | None = None,
                   dtype: Any = np.float64) -> Any:
    """``U(-bound, bound)`` of ``shape`` with ``bound = gain * sqrt(6 / (fan_in + fan_out))``.

    Returns a new array of ``shape`` and ``dtype``.
    """
    ### BEGIN SOLUTION
    fan_in, fan_out = fan_in_and_fan_out(shape)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / (fan_in + fan_out))
    return xp.asarray(_generator(rng).uniform(-bound, bound, shape), dtype=dtype)
    ### END SOLUTION


def xavier_normal(shape: tuple[int, ...], gain: float = 1.0, *, rng: np.random.Generator | None = None,
                  dtype: Any = np.float64) -> Any:
    """``N(0, std^2)`` of ``shape`` with ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    Returns a new array of ``shape`` and ``dtype``.
    """
    ### BEGIN SOLUTION
    fan_in, fan_out = fan_in_and_fan_out(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return xp.asarray(_generator(rng).normal(0.0, std, shape), dtype=dtype)
    ### END SOLUTION


def _kaiming_std(shape: tuple[int, ...], a: float, mode: str, nonlinearity: str) -> float:
    """``gain / sqrt(fan)``: the standard deviation both Kaiming variants draw with.

    ``fan`` is ``fan_in`` for ``mode="fan_in"`` and ``fan_out`` for ``mode="fan_out"`` (any
    other mode raises ``ValueError``); ``gain = calculate_gain(nonlinearity, a)``.
    """
    ### BEGIN SOLUTION
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode {mode!r} is not supported: use 'fan_in' or 'fan_out'")
    fan_in, fan_out = fan_in_and_fan_out(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)
    ### END SOLUTION


def kaiming_uniform(shape: tuple[int, ...], a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", *, rng: np.random.Generator | None = None,
                    dtype: Any = np.float64) -> Any:
    """``U(-bound, bound)`` of ``shape`` with ``bound = sqrt(3) * gain / sqrt(fan)``.

    ``a`` is the negative slope passed to ``calculate_gain`` (used by ``leaky_relu`` only:
    with the defaults, ``a = 0``, the gain is sqrt(2), ReLU's). Returns a new array of
    ``shape`` and ``dtype``.
    """
    ### BEGIN SOLUTION
    bound = math.sqrt(3.0) * _kaiming_std(shape, a, mode, nonlinearity)
    return xp.asarray(_generator(rng).uniform(-bound, bound, shape), dtype=dtype)
    ### END SOLUTION


def kaiming_normal(shape: tuple[int, ...], a: float = 0.0, mode: str = "fan_in",
                   nonlinearity: str = "leaky_relu", *, rng: np.random.Generator | None = None,
                   dtype: Any = np.float64) -> Any:
    """``N(0, std^2)`` of ``shape`` with ``std = gain / sqrt(fan)`` (see :func:`kaiming_uniform`).

    Returns a new array of ``shape`` and ``dtype``.
    """
    ### BEGIN SOLUTION
    std = _kaiming_std(shape, a, mode, nonlinearity)
    return xp.asarray(_generator(rng).normal(0.0, std, shape), dtype=dtype)
    ### END SOLUTION
