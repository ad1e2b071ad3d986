"""Task 07.2: Adam and AdamW against torch.optim.Adam / AdamW, step by step, float64."""
import warnings

import numpy as np
import pytest

from grader import assert_close, assert_dtype

pytestmark = pytest.mark.task("07.2")

SHAPES = [(4, 3), (6,), (2, 2, 3), (1,)]
STEPS = 60
T0_HINT = ("bias correction from t = 0: 1 - beta^t is 0 at t = 0 (a division by zero). Count steps from 1: "
           "increment state['step'] before you use it")
ADAM = {
    "default": (dict(lr=1e-2), 1.0),
    "betas": (dict(lr=1e-2, betas=(0.8, 0.99)), 1.0),
    "small gradients": (dict(lr=1e-2), 1e-3),
    "large eps": (dict(lr=1e-2, eps=1e-2), 0.1),
    "L2 weight decay": (dict(lr=1e-2, weight_decay=0.1), 1.0),
    "L2 decay of 1": (dict(lr=1e-3, weight_decay=1.0), 1.0),   # any non-zero decay applies, 1 included
}
ADAMW = {
    "default decay": (dict(lr=1e-2), 1.0),
    "strong decay": (dict(lr=3e-2, weight_decay=0.5, betas=(0.85, 0.995)), 1.0),
    "small gradients": (dict(lr=1e-2, weight_decay=0.1), 1e-3),
}


def labels(decoupled):
    out = {
        "no bias correction": "no bias correction: divide m by (1 - beta1^t) and v by (1 - beta2^t), t = 1, 2, ...",
        "eps inside the root": "eps inside the square root: torch uses sqrt(v_hat) + eps, not sqrt(v_hat + eps)",
        "t from 2": "the bias correction is one step ahead: the first step has t = 1",
    }
    if decoupled:
        out["decay not scaled by lr"] = ("AdamW's decay is not scaled by the learning rate: "
                                         "theta <- theta - lr * weight_decay * theta")
        out["decay as L2"] = "AdamW added weight_decay * theta to the gradient (that is Adam's L2): decay the weights directly"
    else:
        out["decoupled decay"] = ("Adam's weight_decay decayed the weights directly (that is AdamW): "
                                  "add weight_decay * theta to the gradient")
    return out


def mistakes_for(kit, init, grads, cfg, decoupled, lrs=None):
    return {label: kit.adam_np(init, grads, decoupled=decoupled, lrs=lrs, mistake=key, **cfg)
            for key, label in labels(decoupled).items()}


def run_guarded(kit, opt, params, grads, lrs=None, to_device=None):
    """Your trajectory; a division by zero (t counted from 0) becomes a failure that says so."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return kit.run(opt, params, grads, lrs=lrs, to_device=to_device)
    except (ZeroDivisionError, FloatingPointError) as exc:
        raise AssertionError(f"step() raised {type(exc).__name__}: {exc}\n  hint: {T0_HINT}") from None


def check(kit, impl, rng, cls, cfg, scale, decoupled, lrs=None, steps=STEPS):
    params = kit.params(impl, SHAPES, rng)
    init = [p.data.copy() for p in params]
    grads = kit.grads(rng, SHAPES, steps, scale=scale)
    kw = dict(cfg)
    if decoupled:
        kw.setdefault("weight_decay", 1e-2)
    mine = run_guarded(kit, getattr(impl.optim.adam, cls)(params, **cfg), params, grads, lrs=lrs)
    expected = kit.run_torch(cls, init, grads, lrs=lrs, **cfg)
    assert_close(mine, expected, f"{cls}: parameters after each of {steps} steps (row = step)",
                 mistakes=mistakes_for(kit, init, grads, kw, decoupled, lrs=lrs), nonfinite_hint=T0_HINT,
                 axes=("step", "parameter"))


@pytest.mark.parametrize("cfg,scale", ADAM.values(), ids=ADAM.keys())
def test_adam_matches_torch(impl, rng, kit, cfg, scale):
    check(kit, impl, rng, "Adam", cfg, scale, decoupled=False)


@pytest.mark.parametrize("cfg,scale", ADAMW.values(), ids=ADAMW.keys())
def test_adamw_matches_torch(impl, rng, kit, cfg, scale):
    check(kit, impl, rng, "AdamW", cfg, scale, decoupled=True)


@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
def test_changing_learning_rate(impl, rng, kit, cls):
    lrs = [0.02 * 0.5 ** (t // 15) for t in range(STEPS)]
    check(kit, impl, rng, cls, dict(lr=0.02, weight_decay=0.1), 1.0, decoupled=cls == "AdamW", lrs=lrs)


def test_first_step_is_lr_times_sign(impl, rng, kit):
    """After bias correction the first step is lr * g / (|g| + eps): about lr * sign(g) for every element."""
    params = kit.params(impl, SHAPES[:2], rng)
    before = kit.flat([p.data for p in params])
    grads = kit.grads(rng, SHAPES[:2], 1)
    after = run_guarded(kit, impl.optim.adam.Adam(params, lr=0.1, eps=1e-12), params, grads)[0]
    g = kit.flat(grads[0])
    assert_close(before - after, 0.1 * np.sign(g), "the first Adam step theta_0 - theta_1",
                 mistakes={labels(False)["no bias correction"]: 0.1 * (0.1 * g) / np.sqrt(0.001 * g * g)},
                 nonfinite_hint=T0_HINT, tol=1e-6)


@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
def test_step_does_not_modify_grad(impl, rng, kit, cls):
    params = kit.params(impl, SHAPES, rng)
    init = [p.data.copy() for p in params]
    grads = kit.grads(rng, SHAPES, 4)
    opt = getattr(impl.optim.adam, cls)(params, lr=0.01, weight_decay=0.1)
    traj = []
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad[...] = g
        try:
            opt.step()
        except ZeroDivisionError:
            raise AssertionError(f"step() raised ZeroDivisionError\n  hint: {T0_HINT}") from None
        assert_close(kit.flat([p.grad for p in params]), kit.flat(gs),
                     "p.grad after step() (read the gradient, never write into it: no g += ..., no out=p.grad)")
        traj.append(kit.flat([p.data for p in params]))
    assert_close(np.stack(traj), kit.run_torch(cls, init, grads, lr=0.01, weight_decay=0.1), "parameters after each step",
                 axes=("step", "parameter"))


@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
def test_state_dict_resumes_the_same_trajectory(impl, rng, kit, cls):
    make = getattr(impl.optim.adam, cls)
    params = kit.params(impl, SHAPES, rng)
    grads = kit.grads(rng, SHAPES, 30)
    opt = make(params, lr=0.01, weight_decay=0.05)
    run_guarded(kit, opt, params, grads[:15])
    saved = opt.state_dict()
    at_15 = [p.data.copy() for p in params]
    straight = run_guarded(kit, opt, params, grads[15:])
    fresh = [impl.module.Parameter(a.copy()) for a in at_15]
    opt2 = make(fresh)
    opt2.load_state_dict(saved)
    resumed = run_guarded(kit, opt2, fresh, grads[15:])
    assert_close(resumed, straight, "parameters after resuming from state_dict() at step 15 (keep the step count "
                 "and both moments in self.state_for(p) or the state passed to adam_update)", axes=("step", "parameter"))
    again = [impl.module.Parameter(a.copy()) for a in at_15]
    assert not np.allclose(run_guarded(kit, make(again, lr=0.01, weight_decay=0.05), again, grads[15:]), straight)


@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
def test_float32_stays_float32(impl, rng, kit, cls):
    params = kit.params(impl, SHAPES[:2], rng, dtype=np.float32)
    init = [p.data.astype(np.float64) for p in params]
    grads = [[g.astype(np.float32) for g in gs] for gs in kit.grads(rng, SHAPES[:2], 20)]
    opt = getattr(impl.optim.adam, cls)(params, lr=0.01, weight_decay=0.1)
    traj = run_guarded(kit, opt, params, grads)
    for p in params:
        assert_dtype(p.data, np.float32, "p.data after step()", "float32 parameters and gradients")
        for key in ("exp_avg", "exp_avg_sq"):
            assert_dtype(opt.state_for(p)[key], np.float32, f"state[{key!r}]", "float32 parameters")
    assert_close(traj, kit.run_torch(cls, init, grads, lr=0.01, weight_decay=0.1), "float32 parameters after each step",
                 tol=1e-4, axes=("step", "parameter"))


@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
def test_on_device(impl, rng, kit, device, cls):
    shapes = SHAPES[:2]
    init = [rng.standard_normal(s) for s in shapes]
    params = [impl.module.Parameter(device.asarray(a.copy())) for a in init]
    grads = kit.grads(rng, shapes, 20)
    traj = run_guarded(kit, getattr(impl.optim.adam, cls)(params, lr=0.01, weight_decay=0.1), params, grads,
                       to_device=device.asarray)
    assert all(device.is_array(p.data) for p in params), f"the parameters left the {device} backend"
    assert_close(traj, kit.run_torch(cls, init, grads, lr=0.01, weight_decay=0.1), f"parameters after each step on {device}",
                 tol=device.tol, axes=("step", "parameter"))
