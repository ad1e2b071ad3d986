"""Task 10.4 (hidden): the recipe builds the optimiser and schedule the grader trains with, and the
CPU recipes plan no more work than twice the reference's."""
import numpy as np
import pytest

from grader import capstone
from grader.capstone import CAPSTONES

pytestmark = pytest.mark.task("10.4")

PAIRS = sorted({(c.model, c.backend) for c in CAPSTONES.values()})


@pytest.mark.parametrize("model,backend", PAIRS)
def test_the_grader_builds_the_optimiser_and_schedule_of_the_recipe(impl, ref, model, backend):
    r = impl.train.capstone.recipe(model, backend)
    assert set(r) == set(ref.train.capstone.RECIPE_KEYS)
    p = ref.module.Parameter(np.ones(3))
    opt = capstone._optimizer(ref, [p], r)
    capstone._schedule(ref, opt, r)
    assert opt.param_groups[0]["lr"] == pytest.approx(float(r["lr"]))


def test_cpu_recipes_plan_at_most_twice_the_references_work(impl, ref):
    for c in CAPSTONES.values():
        if c.backend != "numpy":
            continue
        mine, theirs = impl.train.capstone.recipe(c.model, "numpy"), ref.train.capstone.recipe(c.model, "numpy")
        assert mine["epochs"] <= 2 * theirs["epochs"], (
            f"recipe({c.model!r}, 'numpy'): {mine['epochs']} epochs; within the {c.budget_s:g} s budget about "
            f"{2 * theirs['epochs']} is the most two cores can train")


def test_unknown_backend_is_refused(impl):
    with pytest.raises(ValueError, match="no capstone"):
        impl.train.capstone.recipe("lenet", "tpu")
