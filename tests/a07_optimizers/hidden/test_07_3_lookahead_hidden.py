"""Task 07.3 (hidden): Lookahead over the reference SGD and Adam, long runs, schedules and repeated checkpoints."""
import copy

import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("07.3")

SHAPES = [(4, 3), (5,), (1,)]


def lookahead_by_hand(init, grads, k, alpha, inner_step):
    """``inner_step(theta_list, grads, t)`` updates the fast weights in place; Lookahead on top, in NumPy."""
    theta = [np.array(a, dtype=np.float64) for a in init]
    slow = [a.copy() for a in theta]
    out = []
    for t, gs in enumerate(grads, start=1):
        inner_step(theta, gs, t)
        if t % k == 0:
            for i in range(len(theta)):
                slow[i] = slow[i] + alpha * (theta[i] - slow[i])
                theta[i] = slow[i].copy()
        out.append(np.concatenate([a.ravel() for a in theta]))
    return np.stack(out)


@pytest.mark.parametrize("k,alpha", [(7, 0.5), (2, 0.25), (6, 0.9)])
def test_over_reference_sgd(impl, ref, rng, kit, k, alpha):
    params = kit.params(impl, SHAPES, rng)
    init = [p.data.copy() for p in params]
    grads = kit.grads(rng, SHAPES, 50)
    mine = kit.run(impl.optim.lookahead.Lookahead(ref.optim.sgd.SGD(params, lr=0.05), k=k, alpha=alpha), params, grads)

    def sgd(theta, gs, t):
        for i, g in enumerate(gs):
            theta[i] -= 0.05 * g
    assert_close(mine, lookahead_by_hand(init, grads, k, alpha, sgd), f"parameters (Lookahead k={k} over plain SGD)",
                 axes=("step", "parameter"))


def test_over_reference_adam_keeps_the_inner_state(impl, ref, rng, kit):
    """At a synchronisation only the weights move: Adam's moments and step count go on."""
    params = kit.params(impl, SHAPES, rng)
    init = [p.data.copy() for p in params]
    grads = kit.grads(rng, SHAPES, 30)
    mine = kit.run(impl.optim.lookahead.Lookahead(ref.optim.adam.Adam(params, lr=0.01), k=5, alpha=0.5), params, grads)
    m = [np.zeros_like(a) for a in init]
    v = [np.zeros_like(a) for a in init]

    def adam(theta, gs, t):
        for i, g in enumerate(gs):
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            theta[i] -= 0.01 * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8)
    assert_close(mine, lookahead_by_hand(init, grads, 5, 0.5, adam), "parameters (Lookahead k=5 over Adam)",
                 axes=("step", "parameter"))


def test_param_groups_drive_the_inner_lr(impl, ref, rng, kit):
    params = kit.params(impl, SHAPES, rng)
    init = [p.data.copy() for p in params]
    grads = kit.grads(rng, SHAPES, 20)
    lrs = [0.1 * 0.8 ** t for t in range(20)]
    opt = impl.optim.lookahead.Lookahead(ref.optim.sgd.SGD(params, lr=0.1), k=3, alpha=0.5)
    mine = kit.run(opt, params, grads, lrs=lrs)

    def sgd(theta, gs, t):
        for i, g in enumerate(gs):
            theta[i] -= lrs[t - 1] * g
    assert_close(mine, lookahead_by_hand(init, grads, 3, 0.5, sgd), "parameters, lr changed through lookahead.param_groups")


def test_checkpoint_at_every_step(impl, ref, rng, kit):
    """Save and restore into a fresh Lookahead after every single step: the trajectory must not notice."""
    Lookahead = impl.optim.lookahead.Lookahead
    params = kit.params(impl, SHAPES, rng)
    init = [p.data.copy() for p in params]
    grads = kit.grads(rng, SHAPES, 16)
    straight_p = [impl.module.Parameter(a.copy()) for a in init]
    straight = kit.run(Lookahead(ref.optim.sgd.SGD(straight_p, lr=0.05, momentum=0.9), k=4, alpha=0.5), straight_p, grads)
    current = [impl.module.Parameter(a.copy()) for a in init]
    opt = Lookahead(ref.optim.sgd.SGD(current, lr=0.05, momentum=0.9), k=4, alpha=0.5)
    rows = []
    for t in range(16):
        rows.append(kit.run(opt, current, grads[t:t + 1])[0])
        saved = copy.deepcopy(opt.state_dict())
        current = [impl.module.Parameter(p.data.copy()) for p in current]
        opt = Lookahead(ref.optim.sgd.SGD(current, lr=1.0), k=9, alpha=0.0)
        opt.load_state_dict(saved)
    assert_close(np.stack(rows), straight, "parameters when the optimiser is saved and restored after every step")
    assert int(opt.inner_steps) == 16, f"inner_steps after 16 restored steps is {opt.inner_steps}, expected 16"


def test_load_copies_the_arrays(impl, ref, rng, kit):
    Lookahead = impl.optim.lookahead.Lookahead
    params = kit.params(impl, SHAPES, rng)
    grads = kit.grads(rng, SHAPES, 10)
    opt = Lookahead(ref.optim.sgd.SGD(params, lr=0.05), k=3, alpha=0.5)
    kit.run(opt, params, grads[:4])
    saved = opt.state_dict()
    keep = kit.flat(saved["slow_weights"])
    opt.load_state_dict(saved)
    kit.run(opt, params, grads[4:])
    assert_close(kit.flat(saved["slow_weights"]), keep,
                 "a state dict's slow weights after load_state_dict() and more steps (load must copy them in)")
