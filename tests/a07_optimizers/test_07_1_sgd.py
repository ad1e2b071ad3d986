"""Task 07.1: SGD (momentum, dampening, Nesterov, weight decay) against torch.optim.SGD, step by step."""
import numpy as np
import pytest
import torch

from grader import assert_close, assert_dtype

pytestmark = pytest.mark.task("07.1")

SHAPES = [(3, 4), (5,), (2, 3, 2), (1,)]
STEPS = 60
CONFIGS = {
    "plain": dict(lr=0.05),
    "momentum": dict(lr=0.05, momentum=0.9),
    "momentum+dampening": dict(lr=0.05, momentum=0.8, dampening=0.3),
    "nesterov": dict(lr=0.05, momentum=0.9, nesterov=True),
    "weight decay": dict(lr=0.05, weight_decay=0.1),
    "momentum+decay": dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.05),
    "nesterov+decay": dict(lr=0.03, momentum=0.7, weight_decay=0.1, nesterov=True),
    "decay of 1": dict(lr=0.01, weight_decay=1.0),   # any non-zero decay applies, 1 included
}


def mistakes_for(kit, init, grads, cfg, lrs=None):
    """Trajectories of the classic mistakes, for the hints."""
    out = {}
    labels = {
        "first dampened": "the first step dampened the gradient: torch starts the buffer as b_1 = g_1 "
                          "(no 1 - dampening on the first step)",
        "no dampening": "dampening is ignored: from the second step on, b_t = momentum b_(t-1) + (1 - dampening) g_t",
        "decay after momentum": "weight decay was added after the momentum buffer: add weight_decay * theta to "
                                "the gradient first, so it enters the buffer",
        "nesterov as plain momentum": "Nesterov gave plain momentum: the textbook look-ahead form needs the gradient "
                                      "at theta + mu v, which the optimiser never sees; torch's form steps along "
                                      "g + momentum * b_t",
        "lr inside the buffer": "the buffer holds lr * g (a velocity, Sutskever's form): torch keeps the buffer in "
                                "gradient units and multiplies by the current lr only in theta -= lr * g",
    }
    for key, label in labels.items():
        out[label] = kit.sgd_np(init, grads, lrs=lrs, mistake=key, **cfg)
    return out


@pytest.mark.parametrize("cfg", CONFIGS.values(), ids=CONFIGS.keys())
def test_trajectory_matches_torch(impl, rng, kit, cfg):
    params = kit.params(impl, SHAPES, rng)
    init = [p.data.copy() for p in params]
    grads = kit.grads(rng, SHAPES, STEPS)
    mine = kit.run(impl.optim.sgd.SGD(params, **cfg), params, grads)
    expected = kit.run_torch("SGD", init, grads, **cfg)
    assert_close(mine, expected, f"parameters after each of {STEPS} steps (row = step)",
                 mistakes=mistakes_for(kit, init, grads, cfg), axes=("step", "parameter"))


@pytest.mark.parametrize("nesterov", [False, True], ids=["momentum", "nesterov"])
def test_changing_learning_rate(impl, rng, kit, nesterov):
    """A schedule changes group['lr'] between steps: only the next step is rescaled, the buffer is not."""
    cfg = dict(lr=0.1, momentum=0.9, nesterov=nesterov)
    params = kit.params(impl, SHAPES[:2], rng)
    init = [p.data.copy() for p in params]
    grads = kit.grads(rng, SHAPES[:2], STEPS)
    lrs = [0.1 * 0.5 ** (t // 10) for t in range(STEPS)]
    mine = kit.run(impl.optim.sgd.SGD(params, **cfg), params, grads, lrs=lrs)
    expected = kit.run_torch("SGD", init, grads, lrs=lrs, **cfg)
    assert_close(mine, expected, "parameters after each step, lr halved every 10 steps",
                 mistakes=mistakes_for(kit, init, grads, cfg, lrs=lrs), axes=("step", "parameter"))


def test_parameter_groups(impl, rng, kit):
    """Two groups with their own lr and momentum, as torch's param groups."""
    params = kit.params(impl, SHAPES[:3], rng)
    init = [p.data.copy() for p in params]
    grads = kit.grads(rng, SHAPES[:3], 30)
    groups = [{"params": params[:1], "lr": 0.2}, {"params": params[1:], "momentum": 0.5}]
    mine = kit.run(impl.optim.sgd.SGD(groups, lr=0.05, momentum=0.9), params, grads)
    ps = [torch.nn.Parameter(torch.tensor(a)) for a in init]
    opt = torch.optim.SGD([{"params": ps[:1], "lr": 0.2}, {"params": ps[1:], "momentum": 0.5}], lr=0.05, momentum=0.9)
    expected = []
    for gs in grads:
        for p, g in zip(ps, gs):
            p.grad = torch.tensor(g)
        opt.step()
        expected.append(np.concatenate([p.detach().numpy().ravel() for p in ps]))
    assert_close(mine, np.stack(expected), "parameters after each step (two groups: use each group's own settings)",
                 axes=("step", "parameter"))


def test_step_does_not_modify_grad(impl, rng, kit):
    cfg = dict(lr=0.05, momentum=0.9, weight_decay=0.1, nesterov=True)
    params = kit.params(impl, SHAPES, rng)
    init = [p.data.copy() for p in params]
    grads = kit.grads(rng, SHAPES, 5)
    opt = impl.optim.sgd.SGD(params, **cfg)
    traj = []
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad[...] = g
        opt.step()
        assert_close(kit.flat([p.grad for p in params]), kit.flat(gs),
                     "p.grad after step() (the optimiser must only read it: g = p.grad + wd * theta makes a new "
                     "array, g += ... writes into .grad, and so does a momentum buffer that is p.grad itself)")
        traj.append(kit.flat([p.data for p in params]))
    assert_close(np.stack(traj), kit.run_torch("SGD", init, grads, **cfg), "parameters after each step",
                 axes=("step", "parameter"))


def test_state_dict_resumes_the_same_trajectory(impl, rng, kit):
    cfg = dict(lr=0.05, momentum=0.9, dampening=0.2, weight_decay=0.01)
    params = kit.params(impl, SHAPES, rng)
    grads = kit.grads(rng, SHAPES, 40)
    opt = impl.optim.sgd.SGD(params, **cfg)
    kit.run(opt, params, grads[:20])
    saved = opt.state_dict()
    at_20 = [p.data.copy() for p in params]
    straight = kit.run(opt, params, grads[20:])
    fresh = [impl.module.Parameter(a.copy()) for a in at_20]
    opt2 = impl.optim.sgd.SGD(fresh, lr=1.0)
    opt2.load_state_dict(saved)
    resumed = kit.run(opt2, fresh, grads[20:])
    assert_close(resumed, straight, "parameters after resuming from state_dict() at step 20 "
                 "(keep the momentum buffer in self.state_for(p), so that it is saved and restored)", axes=("step", "parameter"))
    again = [impl.module.Parameter(a.copy()) for a in at_20]
    restarted = kit.run(impl.optim.sgd.SGD(again, **cfg), again, grads[20:])
    assert not np.allclose(restarted, straight), "sanity: a restart without the buffer must differ"


@pytest.mark.parametrize("cfg", [dict(lr=0.05, momentum=0.9, weight_decay=0.1),
                                 dict(lr=0.05, momentum=0.9, nesterov=True)], ids=["momentum+decay", "nesterov"])
def test_float32_stays_float32(impl, rng, kit, cfg):
    params = kit.params(impl, SHAPES[:2], rng, dtype=np.float32)
    init = [p.data.astype(np.float64) for p in params]
    grads = [[g.astype(np.float32) for g in gs] for gs in kit.grads(rng, SHAPES[:2], 20)]
    opt = impl.optim.sgd.SGD(params, **cfg)
    traj = kit.run(opt, params, grads)
    for p in params:
        assert_dtype(p.data, np.float32, "p.data after step()", "float32 parameters and gradients")
        if cfg.get("momentum"):
            assert_dtype(opt.state_for(p)["momentum_buffer"], np.float32, "the momentum buffer")
    assert_close(traj, kit.run_torch("SGD", init, grads, **cfg), "float32 parameters after each step", tol=1e-4,
                 axes=("step", "parameter"))


def test_on_device(impl, rng, kit, device):
    cfg = dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.05)
    shapes = SHAPES[:2]
    init = [rng.standard_normal(s) for s in shapes]
    params = [impl.module.Parameter(device.asarray(a.copy())) for a in init]
    grads = kit.grads(rng, shapes, 20)
    traj = kit.run(impl.optim.sgd.SGD(params, **cfg), params, grads, to_device=device.asarray)
    assert all(device.is_array(p.data) for p in params), f"the parameters left the {device} backend"
    assert_close(traj, kit.run_torch("SGD", init, grads, **cfg), f"parameters after each step on {device}",
                 tol=device.tol, axes=("step", "parameter"))
