"""Two ways to shrink the weights: an L2 penalty on the loss, and decoupled weight decay.

* **L2 penalty.** Add ``(lambda / 2) * sum(theta^2)`` to the loss. Its gradient is
  ``lambda * theta``, so the optimiser sees ``g + lambda * theta``: this is what
  ``weight_decay=`` means in ``torch.optim.SGD`` and ``torch.optim.Adam``.
* **Decoupled weight decay.** Leave the gradient alone and shrink the weights
  directly, ``theta <- theta - lr * lambda * theta``, before the optimiser's own
  update: ``torch.optim.AdamW``'s form.

For plain SGD the two are the same step. For Adam they are not: the L2 term goes
through Adam's division by ``sqrt(v_hat)``, decoupled decay does not.

``params`` is any iterable of :class:`..module.Parameter` (``model.parameters()``).
"""
from __future__ import annotations

from typing import Any, Iterable

from ..backend import get_array_module

__all__ = ["l2_penalty", "add_l2_gradient", "decoupled_weight_decay"]


def l2_penalty(params: Iterable[Any], weight_decay: float) -> float:
    """The penalty ``(weight_decay / 2) * sum over every parameter of sum(theta^2)``, a Python float.

    Args:
        params: Parameters, each ``.data`` of any shape.
        weight_decay: ``lambda >= 0``.

    Its gradient with respect to each ``theta`` is ``weight_decay * theta`` (see
    :func:`add_l2_gradient`). Nothing is modified.
    """
    ### BEGIN SOLUTION
    total = 0.0
    for p in params:
        xp = get_array_module(p.data)
        total += float(xp.sum(p.data.astype(xp.float64) ** 2))
    return 0.5 * weight_decay * total
    ### END SOLUTION


def add_l2_gradient(params: Iterable[Any], weight_decay: float) -> None:
    """Add the L2 penalty's gradient into each gradient: ``p.grad += weight_decay * p.data``.

    Args:
        params: Parameters; ``p.grad`` has the shape and dtype of ``p.data``.
        weight_decay: ``lambda >= 0``.

    The gradient already in ``p.grad`` (from the loss) is kept and ``lambda * theta``
    added to it, exactly what ``torch.optim.SGD(..., weight_decay=lambda)`` and
    ``torch.optim.Adam`` do before their update. ``p.data`` is not modified;
    ``p.grad`` keeps its dtype.
    """
    ### BEGIN SOLUTION
    for p in params:
        p.grad += weight_decay * p.data
    ### END SOLUTION


def decoupled_weight_decay(params: Iterable[Any], lr: float, weight_decay: float) -> None:
    """Shrink each parameter in place: ``theta <- theta - lr * weight_decay * theta``.

    Args:
        params: Parameters, each ``.data`` of any shape.
        lr: the learning rate ``gamma`` of the step this decay belongs to.
        weight_decay: ``lambda >= 0``.

    This is the first half of a ``torch.optim.AdamW`` step (``theta *= 1 - lr * lambda``);
    the Adam update follows with the plain gradient. ``p.grad`` is not touched;
    ``p.data`` keeps its dtype.
    """
    ### BEGIN SOLUTION
    for p in params:
        p.data *= 1.0 - lr * weight_decay
    ### END SOLUTION
