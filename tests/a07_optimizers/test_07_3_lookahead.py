"""Task 07.3: Lookahead(k, alpha) against a trajectory computed here by hand, and its state_dict."""
import copy

import numpy as np
import pytest

from grader import assert_close, assert_dtype

pytestmark = pytest.mark.task("07.3")

SHAPES = [(3, 2), (4,)]


def inner_class(impl):
    """A momentum SGD written here (not your 07.1), so Lookahead is graded on its own."""
    class Momentum(impl.optim.optimizer.Optimizer):
        def __init__(self, params, lr=0.1, momentum=0.5):
            super().__init__(params, {"lr": lr, "momentum": momentum})

        def step(self):
            for group in self.param_groups:
                for p in group["params"]:
                    state = self.state_for(p)
                    if "buf" not in state:
                        state["buf"] = p.grad.copy()
                    else:
                        state["buf"] = group["momentum"] * state["buf"] + p.grad
                    p.data -= group["lr"] * state["buf"]
    return Momentum


def by_hand(init, grads, k, alpha, lr=0.1, momentum=0.5, mistake=""):
    """The Lookahead trajectory in plain NumPy: theta after each step, flattened."""
    theta = [np.array(a, dtype=np.float64) for a in init]
    slow = [a.copy() for a in theta]
    bufs = [None] * len(theta)
    out = []
    for t, gs in enumerate(grads, start=1):
        for i, g in enumerate(gs):
            bufs[i] = g.copy() if bufs[i] is None else momentum * bufs[i] + g
            theta[i] = theta[i] - lr * bufs[i]
        sync = (t % k == 0) if mistake != "off by one" else (t % k == 1 % k)
        if mistake == "every step":
            sync = True
        if sync:
            for i in range(len(theta)):
                if mistake == "alpha reversed":
                    slow[i] = theta[i] + alpha * (slow[i] - theta[i])
                else:
                    slow[i] = slow[i] + alpha * (theta[i] - slow[i])
                if mistake != "no reset":
                    theta[i] = slow[i].copy()
        out.append(np.concatenate([a.ravel() for a in theta]))
    return np.stack(out)


MISTAKES = {
    "every step": "the weights were synchronised after every step: only after every k-th inner step",
    "off by one": "the synchronisations are one step off: after inner steps k, 2k, 3k, ... (count the step first)",
    "alpha reversed": "alpha moved the slow weights the wrong way: phi <- phi + alpha (theta - phi)",
    "no reset": "the fast weights were not reset: after phi moves, set theta <- phi (in place, p.data[...] = phi)",
}


def hints(init, grads, k, alpha):
    return {label: by_hand(init, grads, k, alpha, mistake=key) for key, label in MISTAKES.items()}


@pytest.mark.parametrize("k,alpha", [(5, 0.5), (3, 0.8), (1, 0.3), (4, 1.0)],
                         ids=["k=5,a=0.5", "k=3,a=0.8", "k=1", "alpha=1"])
def test_trajectory_by_hand(impl, rng, kit, k, alpha):
    params = kit.params(impl, SHAPES, rng)
    init = [p.data.copy() for p in params]
    grads = kit.grads(rng, SHAPES, 23)
    opt = impl.optim.lookahead.Lookahead(inner_class(impl)(params), k=k, alpha=alpha)
    mine = kit.run(opt, params, grads)
    assert_close(mine, by_hand(init, grads, k, alpha), f"parameters after each step (k={k}, alpha={alpha})",
                 mistakes=hints(init, grads, k, alpha), axes=("step", "parameter"))


def test_alpha_zero_stays_at_the_start_every_k_steps(impl, rng, kit):
    params = kit.params(impl, SHAPES, rng)
    start = kit.flat([p.data for p in params])
    traj = kit.run(impl.optim.lookahead.Lookahead(inner_class(impl)(params), k=4, alpha=0.0), params,
                   kit.grads(rng, SHAPES, 12))
    assert_close(traj[3::4], np.stack([start] * 3), "parameters after steps 4, 8, 12 with alpha = 0 (back at the start)")
    assert not np.allclose(traj[0], start), "the inner optimiser must still move theta between synchronisations"


def test_does_not_modify_grad(impl, rng, kit):
    params = kit.params(impl, SHAPES, rng)
    init = [p.data.copy() for p in params]
    grads = kit.grads(rng, SHAPES, 6)
    opt = impl.optim.lookahead.Lookahead(inner_class(impl)(params), k=2, alpha=0.5)
    mine = kit.run(opt, params, grads)
    assert_close(kit.flat([p.grad for p in params]), kit.flat(grads[-1]), "p.grad after step() (read it, never write it)")
    assert_close(mine, by_hand(init, grads, 2, 0.5), "parameters after each step", axes=("step", "parameter"))


def test_state_dict_resumes_the_same_trajectory(impl, rng, kit):
    Lookahead = impl.optim.lookahead.Lookahead
    params = kit.params(impl, SHAPES, rng)
    grads = kit.grads(rng, SHAPES, 20)
    opt = Lookahead(inner_class(impl)(params), k=5, alpha=0.6)
    kit.run(opt, params, grads[:7])                     # mid-way between two synchronisations
    saved = opt.state_dict()
    snapshot = copy.deepcopy(saved)
    at_7 = [p.data.copy() for p in params]
    straight = kit.run(opt, params, grads[7:])
    assert_close(kit.flat(saved["slow_weights"]), kit.flat(snapshot["slow_weights"]),
                 "the saved slow weights after stepping on (state_dict() must return copies)")
    fresh = [impl.module.Parameter(a.copy()) for a in at_7]
    opt2 = Lookahead(inner_class(impl)(fresh), k=2, alpha=0.1)
    opt2.load_state_dict(saved)
    resumed = kit.run(opt2, fresh, grads[7:])
    assert_close(resumed, straight, "parameters after resuming from state_dict() at step 7 (save the slow weights, "
                 "the inner step count, k, alpha and the inner optimiser's state_dict)", axes=("step", "parameter"))


def test_float32_stays_float32(impl, rng, kit):
    params = kit.params(impl, SHAPES, rng, dtype=np.float32)
    init = [p.data.astype(np.float64) for p in params]
    grads = [[g.astype(np.float32) for g in gs] for gs in kit.grads(rng, SHAPES, 10)]
    opt = impl.optim.lookahead.Lookahead(inner_class(impl)(params), k=3, alpha=0.5)
    traj = kit.run(opt, params, grads)
    for p in params:
        assert_dtype(p.data, np.float32, "p.data after a synchronisation", "float32 parameters")
    assert_close(traj, by_hand(init, grads, 3, 0.5), "float32 parameters after each step", tol=1e-5, axes=("step", "parameter"))


def test_on_device(impl, rng, kit, device):
    init = [rng.standard_normal(s) for s in SHAPES]
    params = [impl.module.Parameter(device.asarray(a.copy())) for a in init]
    grads = kit.grads(rng, SHAPES, 9)
    traj = kit.run(impl.optim.lookahead.Lookahead(inner_class(impl)(params), k=3, alpha=0.5), params, grads,
                   to_device=device.asarray)
    assert all(device.is_array(p.data) for p in params), f"the parameters left the {device} backend"
    assert_close(traj, by_hand(init, grads, 3, 0.5), f"parameters after each step on {device}", tol=device.tol,
                 axes=("step", "parameter"))
