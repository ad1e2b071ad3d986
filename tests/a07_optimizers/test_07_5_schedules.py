"""Task 07.5: MultiStepLR, CosineAnnealingLR, ReduceLROnPlateau and default_milestones against torch.optim.lr_scheduler."""
import math

import numpy as np
import pytest
import torch

from grader import assert_close

pytestmark = pytest.mark.task("07.5")

TOL = 1e-10


def holder(impl, lrs):
    """An optimiser that only holds parameter groups (the given base class), one group per lr."""
    class Holder(impl.optim.optimizer.Optimizer):
        def step(self):
            pass
    groups = [{"params": [impl.module.Parameter(np.zeros(2))], "lr": lr} for lr in lrs]
    return Holder(groups, {})


def torch_holder(lrs):
    return torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr} for lr in lrs], lr=lrs[0])


def mine_lrs(sched, epochs, metrics=None):
    """``get_last_lr()`` at epoch 0 and after each of ``epochs`` steps: shape (epochs + 1, groups)."""
    out = [sched.get_last_lr()]
    for e in range(epochs):
        sched.step() if metrics is None else sched.step(metrics[e])
        out.append(sched.get_last_lr())
    return np.array(out, dtype=np.float64)


def torch_lrs(sched, opt, epochs, metrics=None):
    out = [[g["lr"] for g in opt.param_groups]]
    for e in range(epochs):
        opt.step()
        sched.step() if metrics is None else sched.step(metrics[e])
        out.append([g["lr"] for g in opt.param_groups])
    return np.array(out, dtype=np.float64)


def multistep_by_formula(base, milestones, gamma, epochs, shift=0, distinct=False):
    ms = sorted(set(milestones)) if distinct else sorted(milestones)
    return np.array([[b * gamma ** sum(1 for m in ms if 0 < m + shift <= e) for b in base] for e in range(epochs + 1)])


MULTI = {"plain": ([3, 7, 12], 0.1), "repeated milestone": ([2, 5, 5, 9], 0.5), "triple": ([4, 4, 4], 0.5)}


@pytest.mark.parametrize("milestones,gamma", MULTI.values(), ids=MULTI.keys())
def test_multistep_matches_torch(impl, milestones, gamma):
    base, epochs = [0.1, 0.03], 15
    mine = mine_lrs(impl.optim.schedules.MultiStepLR(holder(impl, base), milestones, gamma=gamma), epochs)
    opt = torch_holder(base)
    expected = torch_lrs(torch.optim.lr_scheduler.MultiStepLR(opt, milestones, gamma=gamma), opt, epochs)
    assert_close(mine, expected, "get_last_lr() at epochs 0..15 (row = epoch, column = group)", tol=TOL, mistakes={
        "a repeated milestone applied gamma only once: it must apply gamma once per occurrence (count it)":
            multistep_by_formula(base, milestones, gamma, epochs, distinct=True),
        "each drop comes one epoch early: at epoch e the rate has dropped once per milestone m <= e":
            multistep_by_formula(base, milestones, gamma, epochs, shift=-1),
        "each drop comes one epoch late: the drop happens at the step that reaches the milestone (m <= e)":
            multistep_by_formula(base, milestones, gamma, epochs, shift=1)}, axes=("epoch", "group"))


def cosine_by_formula(base, T, eta_min, epochs, shift=0, clamp=False):
    ts = [0 if e == 0 else min(e + shift, T) if clamp else e + shift for e in range(epochs + 1)]
    return np.array([[eta_min + (b - eta_min) * (1 + math.cos(math.pi * t / T)) / 2 for b in base] for t in ts])


@pytest.mark.parametrize("T_max,eta_min", [(5, 0.0), (10, 0.001), (1, 0.0), (7, 0.02)],
                         ids=["T=5", "T=10,eta_min", "T=1", "T=7,eta_min"])
def test_cosine_matches_torch_for_three_periods(impl, T_max, eta_min):
    base, epochs = [0.1, 0.05], 3 * T_max
    mine = mine_lrs(impl.optim.schedules.CosineAnnealingLR(holder(impl, base), T_max, eta_min=eta_min), epochs)
    opt = torch_holder(base)
    expected = torch_lrs(torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max, eta_min=eta_min), opt, epochs)
    assert_close(mine, expected, f"get_last_lr() at epochs 0..{epochs} (row = epoch)", tol=TOL, mistakes={
        "the rate was clamped at eta_min after T_max: torch's cosine rises again (period 2 T_max), do not clamp t":
            cosine_by_formula(base, T_max, eta_min, epochs, clamp=True),
        "the schedule is one epoch ahead: epoch t uses cos(pi t / T_max), with t = last_epoch":
            cosine_by_formula(base, T_max, eta_min, epochs, shift=1),
        "the schedule is one epoch behind: epoch t uses cos(pi t / T_max), with t = last_epoch":
            cosine_by_formula(base, T_max, eta_min, epochs, shift=-1)}, axes=("epoch", "group"))


PLATEAU = {
    "min rel": dict(mode="min", factor=0.5, patience=2),
    "min abs, cooldown": dict(mode="min", factor=0.5, patience=1, threshold=0.05, threshold_mode="abs", cooldown=2),
    "max rel": dict(mode="max", factor=0.3, patience=2, threshold=0.01),
    "max abs, min_lr": dict(mode="max", factor=0.5, patience=0, threshold=0.02, threshold_mode="abs", min_lr=0.02),
    "eps rule": dict(mode="min", factor=0.5, patience=0, eps=1.5e-2),
}


PLATEAU_MISTAKES = {
    "patience": "the rate was reduced after `patience` bad epochs: reduce only when num_bad_epochs > patience",
    "eps": "a reduction smaller than eps was applied: skip it when old_lr - new_lr <= eps",
    "cooldown": "bad epochs were counted during the cooldown: while cooldown_counter > 0, count it down and "
                "set num_bad_epochs = 0",
    "threshold": "the threshold was applied the wrong way: rel min is metric < best * (1 - threshold), "
                 "abs min is metric < best - threshold (max: * (1 + threshold), + threshold)",
}


def plateau_np(base, metrics, cfg, mistake="", counters=False):
    """ReduceLROnPlateau written out here, with a classic mistake switched on."""
    mode, factor, patience = cfg.get("mode", "min"), cfg.get("factor", 0.1), cfg.get("patience", 10)
    th, th_mode, cooldown = cfg.get("threshold", 1e-4), cfg.get("threshold_mode", "rel"), cfg.get("cooldown", 0)
    min_lr, eps = cfg.get("min_lr", 0.0), cfg.get("eps", 1e-8)
    sign = 1.0 if mistake == "threshold" else -1.0
    lrs, best, bad, cool = list(base), (math.inf if mode == "min" else -math.inf), 0, 0
    out = [list(lrs)] if not counters else []
    for a in metrics:
        if mode == "min":
            better = a < (best * (1 + sign * th) if th_mode == "rel" else best + sign * th)
        else:
            better = a > (best * (1 - sign * th) if th_mode == "rel" else best - sign * th)
        if better:
            best, bad = a, 0
        else:
            bad += 1
        if cool > 0:
            cool -= 1
            if mistake != "cooldown":
                bad = 0
        if bad > patience or (mistake == "patience" and bad >= patience):
            for i, lr in enumerate(lrs):
                new = max(lr * factor, min_lr)
                if lr - new > eps or (mistake == "eps" and lr - new > 0):
                    lrs[i] = new
            cool, bad = cooldown, 0
        out.append((lrs[0], bad, best) if counters else list(lrs))
    return np.array(out, dtype=np.float64)


def plateau_metrics(rng, n=40):
    """A noisy curve that improves, stalls, improves a little and wobbles: every rule gets exercised."""
    base = np.concatenate([np.linspace(1.0, 0.6, 8), np.full(10, 0.6), np.linspace(0.6, 0.5, 6), np.full(n - 24, 0.5)])
    return list(base + 0.03 * rng.standard_normal(n))


@pytest.mark.parametrize("cfg", PLATEAU.values(), ids=PLATEAU.keys())
def test_reduce_on_plateau_matches_torch(impl, rng, cfg):
    metrics = plateau_metrics(rng)
    base = [0.1, 0.04]
    mine = mine_lrs(impl.optim.schedules.ReduceLROnPlateau(holder(impl, base), **cfg), len(metrics), metrics)
    opt = torch_holder(base)
    expected = torch_lrs(torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **cfg), opt, len(metrics), metrics)
    assert expected[-1, 0] < base[0], "sanity: the test sequence must trigger reductions"
    assert_close(plateau_np(base, metrics, cfg), expected, "sanity: the test's own ReduceLROnPlateau", tol=TOL)
    assert_close(mine, expected, f"get_last_lr() after each step(metric) ({', '.join(f'{k}={v}' for k, v in cfg.items())})",
                 tol=TOL, mistakes={label: plateau_np(base, metrics, cfg, key) for key, label in PLATEAU_MISTAKES.items()},
                 axes=("epoch", "group"))


#: metrics that land exactly on the threshold (dyadic numbers: best * (1 -+ 0.5) and best -+ 0.5 are exact)
THRESHOLD_EDGES = {
    "min rel": (dict(mode="min", threshold_mode="rel"), [1.0, 0.5, 0.75, 0.4, 0.2, 0.2]),
    "min abs": (dict(mode="min", threshold_mode="abs"), [2.0, 1.5, 1.25, 1.0, 0.25]),
    "max rel": (dict(mode="max", threshold_mode="rel"), [1.0, 1.5, 1.25, 2.0, 3.0]),
    "max abs": (dict(mode="max", threshold_mode="abs"), [1.0, 1.5, 1.25, 2.0, 2.5]),
}


@pytest.mark.parametrize("cfg,metrics", THRESHOLD_EDGES.values(), ids=THRESHOLD_EDGES.keys())
def test_reduce_on_plateau_threshold_edges(impl, cfg, metrics):
    """threshold 0.5: a metric that improves by exactly the threshold, or by less, is a bad epoch."""
    cfg = dict(cfg, factor=0.5, patience=0, threshold=0.5)
    sched = impl.optim.schedules.ReduceLROnPlateau(holder(impl, [1.0]), **cfg)
    opt = torch_holder([1.0])
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **cfg)
    seen, expected = [], []
    for m in metrics:
        sched.step(m)
        ts.step(m)
        seen.append((sched.get_last_lr()[0], sched.num_bad_epochs, sched.best))
        expected.append((opt.param_groups[0]["lr"], ts.num_bad_epochs, ts.best))
    sign = "<" if cfg["mode"] == "min" else ">"
    better = (f"a {sign} best * (1 {'-' if sign == '<' else '+'} threshold)" if cfg["threshold_mode"] == "rel"
              else f"a {sign} best {'-' if sign == '<' else '+'} threshold")
    assert_close(np.array(seen), np.array(expected), f"(lr, num_bad_epochs, best) after each step of {metrics}",
                 tol=TOL, mistakes={f"the threshold was not applied: with mode={cfg['mode']!r}, threshold_mode="
                                    f"{cfg['threshold_mode']!r}, a metric is better only when {better} (strictly)":
                                    plateau_np([1.0], metrics, dict(cfg, threshold=0.0), counters=True)},
                 axes=("step", "quantity"))


def test_reduce_on_plateau_counters(impl):
    """Patience 2: the third bad epoch in a row reduces the rate; an improvement resets the count."""
    metrics = [1.0, 1.0, 1.0, 1.0, 0.5, 0.6, 0.6, 0.6, 0.6, 0.4]
    sched = impl.optim.schedules.ReduceLROnPlateau(holder(impl, [1.0]), mode="min", factor=0.5, patience=2)
    seen = []
    for m in metrics:
        sched.step(m)
        seen.append((sched.get_last_lr()[0], sched.num_bad_epochs, sched.best))
    opt = torch_holder([1.0])
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2)
    expected = []
    for m in metrics:
        ts.step(m)
        expected.append((opt.param_groups[0]["lr"], ts.num_bad_epochs, ts.best))
    cfg = dict(mode="min", factor=0.5, patience=2)
    assert_close(np.array(seen), np.array(expected), "(lr, num_bad_epochs, best) after each step", tol=TOL,
                 mistakes={label: plateau_np([1.0], metrics, cfg, key, counters=True)
                           for key, label in PLATEAU_MISTAKES.items()}, axes=("step", "quantity"))


@pytest.mark.parametrize("epochs", [2, 4, 10, 30, 90, 100, 101, 250])
def test_default_milestones(impl, epochs):
    got = impl.optim.schedules.default_milestones(epochs)
    assert isinstance(got, list) and all(isinstance(m, int) for m in got), \
        f"default_milestones({epochs}) should be a list of ints, got {got!r}"
    assert_close(np.array(got, dtype=float), np.array([round(0.5 * epochs), round(0.75 * epochs)], dtype=float),
                 f"default_milestones({epochs}) (about 50 % and 75 % of the epochs)", tol=0.0)
    base = [0.1]
    mine = mine_lrs(impl.optim.schedules.MultiStepLR(holder(impl, base), got, gamma=0.1), epochs)
    opt = torch_holder(base)
    expected = torch_lrs(torch.optim.lr_scheduler.MultiStepLR(opt, [round(0.5 * epochs), round(0.75 * epochs)],
                                                              gamma=0.1), opt, epochs)
    assert_close(mine, expected, f"MultiStepLR(default_milestones({epochs})) rates", tol=TOL, axes=("epoch", "group"))


@pytest.mark.parametrize("kind", ["multistep", "cosine", "plateau"])
def test_state_dict_resumes_the_same_schedule(impl, rng, kind):
    S = impl.optim.schedules
    metrics = plateau_metrics(rng)
    make = {"multistep": lambda o: S.MultiStepLR(o, [4, 9, 9, 15], gamma=0.5),
            "cosine": lambda o: S.CosineAnnealingLR(o, 6, eta_min=0.01),
            "plateau": lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=1, cooldown=1)}[kind]
    feed = None if kind != "plateau" else metrics
    opt = holder(impl, [0.1, 0.02])
    sched = make(opt)
    first = mine_lrs(sched, 10, feed)
    saved, saved_lrs = sched.state_dict(), [g["lr"] for g in opt.param_groups]
    straight = mine_lrs(sched, 14, None if feed is None else feed[10:])
    opt2 = holder(impl, [0.1, 0.02])
    sched2 = make(opt2)
    sched2.load_state_dict(saved)
    for g, lr in zip(opt2.param_groups, saved_lrs):
        g["lr"] = lr                       # the optimiser's own state_dict restores its lrs
    resumed = mine_lrs(sched2, 14, None if feed is None else feed[10:])
    assert first.shape[0] == 11
    assert_close(resumed, straight, f"{kind}: rates after resuming from state_dict() at epoch 10 (keep the "
                 "schedule's position, last_epoch, and counters in attributes of self)", tol=TOL, axes=("epoch", "group"))
