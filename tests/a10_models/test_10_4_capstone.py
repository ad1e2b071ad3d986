"""Task 10.4: the capstone recipe. `make capstone MODEL=...` trains with it and grades the run (accuracy
threshold, time budget); these tests check that every capstone has a recipe the grader can train with."""
import math

import pytest

from grader.capstone import CAPSTONES

pytestmark = pytest.mark.task("10.4")

PAIRS = sorted({(c.model, c.backend) for c in CAPSTONES.values()})


def check_recipe(cap, r, where):
    assert isinstance(r, dict), f"{where}: recipe returns {type(r).__name__}, not a dict"
    assert set(r) == set(cap.RECIPE_KEYS), f"{where}: keys {sorted(r)}, expected {sorted(cap.RECIPE_KEYS)}"
    assert isinstance(r["epochs"], int) and r["epochs"] >= 1, f"{where}: epochs must be an int >= 1, got {r['epochs']!r}"
    assert isinstance(r["batch_size"], int) and r["batch_size"] >= 1, f"{where}: batch_size {r['batch_size']!r}"
    assert r["optimizer"] in cap.OPTIMIZERS, f"{where}: optimizer {r['optimizer']!r} is not one of {cap.OPTIMIZERS}"
    assert isinstance(r["lr"], (int, float)) and math.isfinite(r["lr"]) and r["lr"] > 0, f"{where}: lr {r['lr']!r}"
    assert 0.0 <= r["momentum"] < 1.0, f"{where}: momentum {r['momentum']!r} must lie in [0, 1)"
    assert r["weight_decay"] >= 0.0, f"{where}: weight_decay {r['weight_decay']!r} must be >= 0"
    assert r["lr_schedule"] in cap.SCHEDULES, f"{where}: lr_schedule {r['lr_schedule']!r} not in {cap.SCHEDULES}"


@pytest.mark.parametrize("model,backend", PAIRS)
def test_every_capstone_has_a_valid_recipe(impl, model, backend):
    cap = impl.train.capstone
    check_recipe(cap, cap.recipe(model, backend), f"recipe({model!r}, {backend!r})")


def test_cpu_recipes_fit_their_time_budget(impl):
    """With one BLAS thread the reference trains LeNet-5 at roughly 600 images/s and BaselineCNN at roughly 40 on a
    busy two-core machine: more than a few epochs of the capstone's subset cannot finish within its budget."""
    cap = impl.train.capstone
    for c in CAPSTONES.values():
        if c.backend == "numpy" and c.train_limit:
            r = cap.recipe(c.model, c.backend)
            assert 1 <= r["epochs"] <= 6, f"recipe({c.model!r}, 'numpy'): {r['epochs']} epochs of {c.train_limit} " \
                                          f"images cannot finish within {c.budget_s:g} s on two cores"


def test_a_model_without_a_capstone_is_refused(impl):
    with pytest.raises(ValueError, match="no capstone"):
        impl.train.capstone.recipe("mlp", "numpy")


def test_each_call_returns_a_new_dict(impl):
    cap = impl.train.capstone
    a = cap.recipe("lenet", "numpy")
    a["lr"] = -1.0
    b = cap.recipe("lenet", "numpy")
    check_recipe(cap, b, "recipe('lenet', 'numpy') after the caller changed an earlier result")
