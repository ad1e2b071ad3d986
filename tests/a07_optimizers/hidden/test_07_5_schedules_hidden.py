"""Task 07.5 (hidden): long schedules, odd periods, random plateau settings, against torch and the reference."""
import numpy as np
import pytest
import torch

from grader import assert_close

pytestmark = pytest.mark.task("07.5")

TOL = 1e-10


def holder(lib, lrs):
    class Holder(lib.optim.optimizer.Optimizer):
        def step(self):
            pass
    return Holder([{"params": [lib.module.Parameter(np.zeros(1))], "lr": lr} for lr in lrs], {})


def run(sched, epochs, metrics=None):
    out = [sched.get_last_lr()]
    for e in range(epochs):
        sched.step() if metrics is None else sched.step(metrics[e])
        out.append(sched.get_last_lr())
    return np.array(out, dtype=np.float64)


def run_torch(make, lrs, epochs, metrics=None):
    opt = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs], lr=lrs[0])
    sched = make(opt)
    out = [[g["lr"] for g in opt.param_groups]]
    for e in range(epochs):
        opt.step()
        sched.step() if metrics is None else sched.step(metrics[e])
        out.append([g["lr"] for g in opt.param_groups])
    return np.array(out, dtype=np.float64)


@pytest.mark.parametrize("T_max", [1, 2, 3, 11, 25])
def test_cosine_long(impl, ref, T_max):
    lrs, epochs = [0.5, 0.01, 1.0], 6 * T_max + 3
    mine = run(impl.optim.schedules.CosineAnnealingLR(holder(impl, lrs), T_max, eta_min=0.001), epochs)
    expected = run_torch(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max, eta_min=0.001), lrs, epochs)
    assert_close(mine, expected, f"cosine rates over {epochs} epochs (T_max={T_max})", tol=TOL, axes=("epoch", "group"))
    theirs = run(ref.optim.schedules.CosineAnnealingLR(holder(ref, lrs), T_max, eta_min=0.001), epochs)
    assert_close(mine, theirs, "cosine rates (reference)", tol=TOL, axes=("epoch", "group"))


@pytest.mark.parametrize("milestones", [[9, 3, 3], [1], [1, 1, 2, 2, 2, 30], [50]], ids=["unsorted", "first", "stacked", "late"])
def test_multistep_odd_milestones(impl, milestones):
    lrs, epochs = [0.2, 0.7], 40
    mine = run(impl.optim.schedules.MultiStepLR(holder(impl, lrs), milestones, gamma=0.3), epochs)
    expected = run_torch(lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones, gamma=0.3), lrs, epochs)
    assert_close(mine, expected, f"MultiStepLR rates, milestones {milestones}", tol=TOL, axes=("epoch", "group"))


def random_cfg(rng):
    return dict(mode=str(rng.choice(["min", "max"])), factor=float(rng.uniform(0.1, 0.9)),
                patience=int(rng.integers(0, 4)), threshold=float(rng.choice([1e-4, 1e-2, 0.05])),
                threshold_mode=str(rng.choice(["rel", "abs"])), cooldown=int(rng.integers(0, 3)),
                min_lr=[float(rng.choice([0.0, 1e-3])), 0.0], eps=float(rng.choice([1e-8, 1e-3])))


@pytest.mark.parametrize("seed", range(6))
def test_plateau_random_settings(impl, ref, rng, seed):
    cfg = random_cfg(rng)
    n = 80
    walk = np.cumsum(rng.standard_normal(n) * 0.05) + np.linspace(1, 0.5, n) * (1 if cfg["mode"] == "min" else -1)
    metrics = list(walk + 3.0)
    lrs = [0.1, 0.05]
    mine = run(impl.optim.schedules.ReduceLROnPlateau(holder(impl, lrs), **cfg), n, metrics)
    expected = run_torch(lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, **cfg), lrs, n, metrics)
    assert_close(mine, expected, f"ReduceLROnPlateau rates over {n} epochs ({cfg})", tol=TOL, axes=("epoch", "group"))
    theirs = run(ref.optim.schedules.ReduceLROnPlateau(holder(ref, lrs), **cfg), n, metrics)
    assert_close(mine, theirs, "ReduceLROnPlateau rates (reference)", tol=TOL, axes=("epoch", "group"))


def test_default_milestones_against_reference(impl, ref):
    for epochs in range(2, 301):
        got = impl.optim.schedules.default_milestones(epochs)
        assert list(got) == ref.optim.schedules.default_milestones(epochs), \
            f"default_milestones({epochs}) = {got}, expected {ref.optim.schedules.default_milestones(epochs)}"


def test_cosine_resume_in_the_rising_half(impl):
    S = impl.optim.schedules
    opt = holder(impl, [0.1])
    sched = S.CosineAnnealingLR(opt, 4)
    run(sched, 6)                                   # past T_max: rising again
    saved, lr = sched.state_dict(), opt.param_groups[0]["lr"]
    straight = run(sched, 10)
    opt2 = holder(impl, [0.1])
    sched2 = S.CosineAnnealingLR(opt2, 4)
    sched2.load_state_dict(saved)
    opt2.param_groups[0]["lr"] = lr
    assert_close(run(sched2, 10), straight, "cosine rates resumed at epoch 6", tol=TOL, axes=("epoch", "group"))
