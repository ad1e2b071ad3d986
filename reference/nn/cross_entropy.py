"""Cross-entropy loss from logits, and its gradient with respect to the logits.

For one sample with logits ``z`` (C values) and true class ``y``::

    loss = -log softmax(z)_y = log(sum_j exp(z_j)) - z_y

and over a batch of N samples the loss is the mean. With ``p = softmax(z)``
and ``Y`` the one-hot targets, the gradient of the mean is::

    dL/dz = (p - Y) / N                      shape (N, C)

At uniform logits (all equal) every class gets probability ``1/C`` and the
loss is exactly ``ln(C)``: the value to expect on the first iteration of a
freshly initialised classifier.
"""
from __future__ import annotations

from typing import Any

from ..backend import get_array_module

__all__ = ["cross_entropy"]


def cross_entropy(logits: Any, targets: Any) -> tuple[float, Any]:
    """Mean cross-entropy of ``logits`` against ``targets``, and its gradient.

    Args:
        logits: ``(N, C)``: unnormalised scores, one row per sample. Not modified.
        targets: either class indices ``(N,)`` of an integer dtype, each in
            ``0 .. C-1``; or one-hot rows ``(N, C)`` of any numeric dtype (rows
            of class probabilities that sum to 1, "soft labels", are accepted
            too, as in PyTorch). Not modified.

    Returns:
        ``(loss, dlogits)``: the mean loss over the N rows as a Python float,
        and ``dL/dlogits = (softmax(logits) - onehot) / N``, shape ``(N, C)``,
        the dtype of ``logits``.

    Raises:
        ValueError: for targets that do not fit, with the offending value in
            the message: a class index below 0 or at least C (the message
            holds the index, e.g. ``7`` or ``-1``); targets of the wrong shape
            (the message holds the shape as Python prints it, e.g. ``(3, 5)``);
            class indices that are not integers (the message holds the dtype);
            a row of one-hot targets that does not sum to 1 within 1e-6 (the
            message holds that row's sum, e.g. ``0.25``). Logits that are not
            2-D raise ``ValueError`` with their shape.

    Logits of size ``1e4`` must give a finite loss and gradient.
    """
    ### BEGIN SOLUTION
    xp = get_array_module(logits)
    targets = xp.asarray(targets)
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (N, C); got shape {tuple(logits.shape)}")
    n, c = logits.shape
    if targets.ndim == 1:
        if targets.shape[0] != n:
            raise ValueError(f"class-index targets must have shape ({n},) for {n} rows of logits; "
                             f"got shape {tuple(targets.shape)}")
        if targets.dtype.kind not in "iu":
            raise ValueError(f"class indices must be integers; got dtype {targets.dtype}")
        bad = (targets < 0) | (targets >= c)
        if bool(bad.any()):
            value = int(targets[bad][0])
            raise ValueError(f"target {value} is not a class index: with C = {c} classes they run from 0 to {c - 1}")
        onehot = xp.zeros_like(logits)
        onehot[xp.arange(n), targets] = 1
    elif targets.ndim == 2:
        if tuple(targets.shape) != (n, c):
            raise ValueError(f"one-hot targets must have shape ({n}, {c}) like the logits; "
                             f"got shape {tuple(targets.shape)}")
        sums = targets.sum(axis=1, dtype=xp.float64)
        bad = xp.abs(sums - 1.0) > 1e-6
        if bool(bad.any()):
            row = int(xp.argmax(bad))
            raise ValueError(f"row {row} of the one-hot targets sums to {float(sums[row])}, not 1")
        onehot = targets.astype(logits.dtype)
    else:
        raise ValueError(f"targets must be class indices (N,) or one-hot rows (N, C); "
                         f"got shape {tuple(targets.shape)}")
    shifted = logits - xp.max(logits, axis=1, keepdims=True)
    log_probs = shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))
    loss = -float(xp.sum(onehot * log_probs)) / n
    dlogits = (xp.exp(log_probs) - onehot) / n
    return loss, dlogits
    ### END SOLUTION
