"""Task 07.1 (hidden): SGD over long sequences, odd settings and shapes, with the reference as a third oracle."""
import numpy as np
import pytest
import torch

from grader import assert_close

pytestmark = pytest.mark.task("07.1")

SHAPES = [(8, 5), (3,), (2, 1, 3, 2), (1, 1), (17,)]
CONFIGS = {
    "heavy momentum": dict(lr=0.01, momentum=0.99),
    "dampening only": dict(lr=0.02, momentum=0.5, dampening=0.9),
    "dampening 1": dict(lr=0.02, momentum=0.5, dampening=1.0),
    "nesterov heavy": dict(lr=0.01, momentum=0.95, nesterov=True, weight_decay=0.3),
    "decay without momentum": dict(lr=0.1, weight_decay=0.5),
    "dampening without momentum": dict(lr=0.1, dampening=0.5),
}


@pytest.mark.parametrize("cfg", CONFIGS.values(), ids=CONFIGS.keys())
def test_long_trajectory_matches_torch_and_reference(impl, ref, rng, kit, cfg):
    params = kit.params(impl, SHAPES, rng)
    init = [p.data.copy() for p in params]
    grads = kit.grads(rng, SHAPES, 200, scale=0.5)
    mine = kit.run(impl.optim.sgd.SGD(params, **cfg), params, grads)
    theirs_p = [ref.module.Parameter(a.copy()) for a in init]
    theirs = kit.run(ref.optim.sgd.SGD(theirs_p, **cfg), theirs_p, grads)
    assert_close(mine, theirs, "parameters after each of 200 steps (reference)", axes=("step", "parameter"))
    assert_close(mine, kit.run_torch("SGD", init, grads, **cfg), "parameters after each of 200 steps (torch)",
                 axes=("step", "parameter"))


def test_zero_gradients_and_zero_lr(impl, rng, kit):
    params = kit.params(impl, SHAPES[:2], rng)
    init = [p.data.copy() for p in params]
    grads = [[np.zeros(s) for s in SHAPES[:2]] for _ in range(5)] + kit.grads(rng, SHAPES[:2], 5)
    lrs = [0.1] * 5 + [0.0] * 2 + [0.1] * 3
    cfg = dict(lr=0.1, momentum=0.9, weight_decay=0.1)
    mine = kit.run(impl.optim.sgd.SGD(params, **cfg), params, grads, lrs=lrs)
    assert_close(mine, kit.run_torch("SGD", init, grads, lrs=lrs, **cfg), "parameters (zero gradients, then lr = 0)",
                 axes=("step", "parameter"))


def test_many_groups_with_their_own_settings(impl, rng, kit):
    params = kit.params(impl, SHAPES, rng)
    init = [p.data.copy() for p in params]
    grads = kit.grads(rng, SHAPES, 40)
    specs = [dict(lr=0.3), dict(momentum=0.0), dict(nesterov=True, weight_decay=0.2), dict(dampening=0.4), {}]
    groups = [{"params": [p], **s} for p, s in zip(params, specs)]
    mine = kit.run(impl.optim.sgd.SGD(groups, lr=0.05, momentum=0.8), params, grads)
    ps = [torch.nn.Parameter(torch.tensor(a)) for a in init]
    opt = torch.optim.SGD([{"params": [p], **s} for p, s in zip(ps, specs)], lr=0.05, momentum=0.8)
    expected = []
    for gs in grads:
        for p, g in zip(ps, gs):
            p.grad = torch.tensor(g)
        opt.step()
        expected.append(np.concatenate([p.detach().numpy().ravel() for p in ps]))
    assert_close(mine, np.stack(expected), "parameters with five groups, each with its own settings", axes=("step", "parameter"))


def test_buffer_matches_torch(impl, rng, kit):
    cfg = dict(lr=0.05, momentum=0.9, dampening=0.25, weight_decay=0.1)
    params = kit.params(impl, SHAPES[:2], rng)
    ps = [torch.nn.Parameter(torch.tensor(p.data.copy())) for p in params]
    opt, topt = impl.optim.sgd.SGD(params, **cfg), torch.optim.SGD(ps, **cfg)
    for gs in kit.grads(rng, SHAPES[:2], 12):
        for p, t, g in zip(params, ps, gs):
            p.grad[...] = g
            t.grad = torch.tensor(g)
        opt.step()
        topt.step()
    for p, t in zip(params, ps):
        assert_close(opt.state_for(p)["momentum_buffer"], topt.state[t]["momentum_buffer"].numpy(),
                     "state['momentum_buffer'] after 12 steps")


def test_resume_twice_and_saved_dict_is_a_copy(impl, rng, kit):
    cfg = dict(lr=0.05, momentum=0.9, nesterov=True)
    params = kit.params(impl, SHAPES, rng)
    grads = kit.grads(rng, SHAPES, 30)
    opt = impl.optim.sgd.SGD(params, **cfg)
    kit.run(opt, params, grads[:10])
    saved = opt.state_dict()
    buf_before = kit.flat([saved["state"][i]["momentum_buffer"] for i in range(len(params))])
    at_10 = [p.data.copy() for p in params]
    straight = kit.run(opt, params, grads[10:])
    assert_close(kit.flat([saved["state"][i]["momentum_buffer"] for i in range(len(params))]), buf_before,
                 "a saved momentum buffer after stepping on (it must be a copy)")
    fresh = [impl.module.Parameter(a.copy()) for a in at_10]
    opt2 = impl.optim.sgd.SGD(fresh, lr=0.05, momentum=0.9, nesterov=True)
    opt2.load_state_dict(saved)
    part = kit.run(opt2, fresh, grads[10:20])
    saved2 = opt2.state_dict()
    at_20 = [p.data.copy() for p in fresh]
    fresh2 = [impl.module.Parameter(a.copy()) for a in at_20]
    opt3 = impl.optim.sgd.SGD(fresh2, lr=0.05, momentum=0.9, nesterov=True)
    opt3.load_state_dict(saved2)
    rest = kit.run(opt3, fresh2, grads[20:])
    assert_close(np.concatenate([part, rest]), straight, "parameters after saving and resuming twice", axes=("step", "parameter"))
