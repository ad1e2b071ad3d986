"""Task 07.2 (hidden): Adam and AdamW over long sequences and odd settings, state against torch's."""
import numpy as np
import pytest
import torch

from grader import assert_close

pytestmark = pytest.mark.task("07.2")

SHAPES = [(6, 5), (3,), (2, 3, 1, 2), (1, 1)]
CONFIGS = {
    "Adam fast betas": ("Adam", dict(lr=0.01, betas=(0.5, 0.6))),
    "Adam beta1 0": ("Adam", dict(lr=0.01, betas=(0.0, 0.99))),
    "Adam decay and eps": ("Adam", dict(lr=0.005, eps=1e-4, weight_decay=0.3)),
    "AdamW strong": ("AdamW", dict(lr=0.02, weight_decay=1.0, betas=(0.7, 0.9))),
    "AdamW no decay": ("AdamW", dict(lr=0.01, weight_decay=0.0)),
}


@pytest.mark.parametrize("cls,cfg", CONFIGS.values(), ids=CONFIGS.keys())
def test_long_trajectory_matches_torch_and_reference(impl, ref, rng, kit, cls, cfg):
    params = kit.params(impl, SHAPES, rng)
    init = [p.data.copy() for p in params]
    grads = kit.grads(rng, SHAPES, 200, scale=0.3)
    mine = kit.run(getattr(impl.optim.adam, cls)(params, **cfg), params, grads)
    theirs_p = [ref.module.Parameter(a.copy()) for a in init]
    theirs = kit.run(getattr(ref.optim.adam, cls)(theirs_p, **cfg), theirs_p, grads)
    assert_close(mine, theirs, f"{cls}: parameters after each of 200 steps (reference)", axes=("step", "parameter"))
    assert_close(mine, kit.run_torch(cls, init, grads, **cfg), f"{cls}: parameters after each of 200 steps (torch)",
                 axes=("step", "parameter"))


@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
def test_state_matches_torch(impl, rng, kit, cls):
    cfg = dict(lr=0.01, weight_decay=0.1, betas=(0.8, 0.95))
    params = kit.params(impl, SHAPES[:2], rng)
    ps = [torch.nn.Parameter(torch.tensor(p.data.copy())) for p in params]
    opt, topt = getattr(impl.optim.adam, cls)(params, **cfg), getattr(torch.optim, cls)(ps, **cfg)
    for gs in kit.grads(rng, SHAPES[:2], 9):
        for p, t, g in zip(params, ps, gs):
            p.grad[...] = g
            t.grad = torch.tensor(g)
        opt.step()
        topt.step()
    for p, t in zip(params, ps):
        st, tst = opt.state_for(p), topt.state[t]
        assert int(st["step"]) == int(tst["step"]) == 9, f"state['step'] is {st['step']} after 9 steps, expected 9"
        assert_close(st["exp_avg"], tst["exp_avg"].numpy(), "state['exp_avg'] (m) after 9 steps")
        assert_close(st["exp_avg_sq"], tst["exp_avg_sq"].numpy(), "state['exp_avg_sq'] (v) after 9 steps")


def test_groups_with_their_own_betas(impl, rng, kit):
    params = kit.params(impl, SHAPES[:3], rng)
    init = [p.data.copy() for p in params]
    grads = kit.grads(rng, SHAPES[:3], 40)
    specs = [dict(betas=(0.5, 0.9)), dict(lr=0.05), dict(weight_decay=0.2, eps=1e-3)]
    mine = kit.run(impl.optim.adam.Adam([{"params": [p], **s} for p, s in zip(params, specs)], lr=0.01), params, grads)
    ps = [torch.nn.Parameter(torch.tensor(a)) for a in init]
    opt = torch.optim.Adam([{"params": [p], **s} for p, s in zip(ps, specs)], lr=0.01)
    expected = []
    for gs in grads:
        for p, g in zip(ps, gs):
            p.grad = torch.tensor(g)
        opt.step()
        expected.append(np.concatenate([p.detach().numpy().ravel() for p in ps]))
    assert_close(mine, np.stack(expected), "parameters with three groups, each with its own settings", axes=("step", "parameter"))


def test_zero_gradient_steps(impl, rng, kit):
    params = kit.params(impl, SHAPES[:2], rng)
    init = [p.data.copy() for p in params]
    grads = kit.grads(rng, SHAPES[:2], 3) + [[np.zeros(s) for s in SHAPES[:2]] for _ in range(5)]
    mine = kit.run(impl.optim.adam.AdamW(params, lr=0.01), params, grads)
    assert_close(mine, kit.run_torch("AdamW", init, grads, lr=0.01), "AdamW parameters (zero gradients after step 3)",
                 axes=("step", "parameter"))


def test_adamw_without_decay_equals_adam(impl, rng, kit):
    a = kit.params(impl, SHAPES[:2], rng)
    b = [impl.module.Parameter(p.data.copy()) for p in a]
    grads = kit.grads(rng, SHAPES[:2], 15)
    ta = kit.run(impl.optim.adam.Adam(a, lr=0.01), a, grads)
    tb = kit.run(impl.optim.adam.AdamW(b, lr=0.01, weight_decay=0.0), b, grads)
    assert_close(tb, ta, "AdamW(weight_decay=0) against Adam")
