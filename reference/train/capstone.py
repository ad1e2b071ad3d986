"""The capstone recipe (task 10.4): the training settings that get a model to its threshold in time.

``make capstone MODEL=lenet`` builds the model from your library, trains it with your ``Trainer``
on a data set the grader fixes (a subset of MNIST on the CPU, all of CIFAR-10 on the GPU runner),
and gives the task its points when the test accuracy reaches the capstone's threshold within its
time budget (``grader/capstone.py`` lists every capstone with both). What you choose is the
recipe: how many epochs, the batch size, the optimiser and its learning rate, a schedule. More
epochs learn more but cost time; a faster library (task 08's im2col) buys epochs.
"""
from __future__ import annotations

from typing import Any

__all__ = ["RECIPE_KEYS", "OPTIMIZERS", "SCHEDULES", "recipe"]

#: the keys every recipe has
RECIPE_KEYS = ("epochs", "batch_size", "optimizer", "lr", "momentum", "weight_decay", "lr_schedule")
OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = (None, "cosine", "multistep")


def recipe(model: str, backend: str = "numpy") -> dict[str, Any]:
    """The training settings for the capstone of ``model`` on ``backend`` (``"numpy"`` or ``"cupy"``).

    Returns a new dict with exactly the keys of :data:`RECIPE_KEYS`: ``epochs`` (int >= 1),
    ``batch_size`` (int >= 1), ``optimizer`` (one of :data:`OPTIMIZERS`), ``lr`` (> 0),
    ``momentum`` (in ``[0, 1)``, SGD only), ``weight_decay`` (>= 0) and ``lr_schedule`` (one of
    :data:`SCHEDULES`: none, cosine annealing to 0 over the epochs, or the seed's multistep).

    Capstones: ``lenet`` and ``baseline_cnn`` on NumPy; ``lenet``, ``resnet18``,
    ``efficientnet_lite0`` and ``convnext_tiny`` on CuPy.

    Raises:
        ValueError: a model and backend without a capstone.
    """
    ### BEGIN SOLUTION
    sgd = {"optimizer": "sgd", "momentum": 0.9, "weight_decay": 0.0, "lr_schedule": None}
    table = {
        ("lenet", "numpy"): {**sgd, "epochs": 3, "batch_size": 32, "lr": 0.05, "lr_schedule": "cosine"},
        ("baseline_cnn", "numpy"): {**sgd, "optimizer": "adam", "momentum": 0.0, "epochs": 3, "batch_size": 32,
                                    "lr": 1e-3},
        ("lenet", "cupy"): {**sgd, "epochs": 12, "batch_size": 64, "lr": 0.05, "lr_schedule": "cosine"},
        ("resnet18", "cupy"): {**sgd, "epochs": 30, "batch_size": 128, "lr": 0.1, "weight_decay": 5e-4,
                               "lr_schedule": "cosine"},
        ("efficientnet_lite0", "cupy"): {**sgd, "epochs": 40, "batch_size": 128, "lr": 0.1,
                                         "weight_decay": 1e-4, "lr_schedule": "cosine"},
        ("convnext_tiny", "cupy"): {"optimizer": "adamw", "momentum": 0.0, "epochs": 60, "batch_size": 128,
                                    "lr": 1e-3, "weight_decay": 0.05, "lr_schedule": "cosine"},
    }
    key = (model, backend)
    if key not in table:
        known = ", ".join(f"{m} on {b}" for m, b in table)
        raise ValueError(f"no capstone for {model!r} on {backend!r}; there are: {known}")
    return {k: table[key][k] for k in RECIPE_KEYS}
    ### END SOLUTION
