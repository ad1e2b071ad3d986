"""Task 07.4: clip_grad_norm_ and clip_grad_value_ against torch.nn.utils (float64)."""
import numpy as np
import pytest
import torch

from grader import assert_close, assert_dtype

pytestmark = pytest.mark.task("07.4")

SHAPES = [(3, 4), (5,), (2, 2, 2)]


def setup(impl, rng, kit, shapes, scale):
    params = kit.params(impl, shapes, rng)
    grads = [scale * rng.standard_normal(s) for s in shapes]
    for p, g in zip(params, grads):
        p.grad[...] = g
    return params, grads


def torch_norm_clip(grads, max_norm):
    ts = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for t, g in zip(ts, grads):
        t.grad = torch.tensor(g)
    total = torch.nn.utils.clip_grad_norm_(ts, max_norm)
    return float(total), [t.grad.numpy() for t in ts]


def per_parameter(grads, max_norm):
    return [g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for g in grads]


@pytest.mark.parametrize("scale,max_norm", [(1.0, 1.0), (3.0, 0.5), (0.1, 5.0), (1.0, 4.0)],
                         ids=["clipped", "strongly clipped", "below the limit", "some above"])
def test_clip_grad_norm_matches_torch(impl, rng, kit, scale, max_norm):
    params, grads = setup(impl, rng, kit, SHAPES, scale)
    total = impl.optim.clip.clip_grad_norm_(params, max_norm)
    t_total, t_grads = torch_norm_clip(grads, max_norm)
    norms = [float(np.linalg.norm(g)) for g in grads]
    assert_close(total, t_total, "the returned total norm (before clipping)",
                 mistakes={"you returned the norm after clipping: return the total norm before": min(t_total, max_norm),
                           "you returned the norm of one parameter: the total is sqrt(sum of all squares)": norms[-1],
                           "you returned the sum of the per-parameter norms: the total is sqrt(sum of their squares)":
                               sum(norms)})
    assert_close(kit.flat([p.grad for p in params]), kit.flat(t_grads), "the gradients after clip_grad_norm_",
                 mistakes={"each gradient was clipped by its own norm: use one coefficient, from the total norm "
                           "over all parameters": kit.flat(per_parameter(grads, max_norm)),
                           "the gradients were scaled up: coef = min(1, max_norm / (total + 1e-6)) never exceeds 1":
                               kit.flat([g * max_norm / (t_total + 1e-6) for g in grads])})


def test_clip_grad_norm_one_parameter(impl, rng, kit):
    params, grads = setup(impl, rng, kit, [(7,)], 2.0)
    total = impl.optim.clip.clip_grad_norm_(params, 1.5)
    t_total, t_grads = torch_norm_clip(grads, 1.5)
    assert_close(total, t_total, "the returned total norm")
    assert_close(params[0].grad, t_grads[0], "the gradient after clip_grad_norm_")


def test_clip_grad_norm_keeps_float32(impl, rng, kit):
    params = kit.params(impl, SHAPES, rng, dtype=np.float32)
    grads = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    for p, g in zip(params, grads):
        p.grad[...] = g
    impl.optim.clip.clip_grad_norm_(params, 1.0)
    _, t_grads = torch_norm_clip([g.astype(np.float64) for g in grads], 1.0)
    for p in params:
        assert_dtype(p.grad, np.float32, "p.grad after clipping", "float32 gradients")
    assert_close(kit.flat([p.grad for p in params]), kit.flat(t_grads), "float32 gradients after clipping", tol=1e-5)


@pytest.mark.parametrize("clip", [0.5, 1.0, 10.0])
def test_clip_grad_value_matches_torch(impl, rng, kit, clip):
    params, grads = setup(impl, rng, kit, SHAPES, 1.5)
    impl.optim.clip.clip_grad_value_(params, clip)
    ts = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for t, g in zip(ts, grads):
        t.grad = torch.tensor(g)
    torch.nn.utils.clip_grad_value_(ts, clip)
    assert_close(kit.flat([p.grad for p in params]), kit.flat([t.grad.numpy() for t in ts]),
                 "the gradients after clip_grad_value_ (clamp each element to [-clip, clip], in place)",
                 mistakes={"only the positive side was clamped: clamp to [-clip_value, clip_value]":
                               kit.flat([np.minimum(g, clip) for g in grads])})


def test_clip_grad_value_keeps_float32(impl, rng, kit):
    params = kit.params(impl, SHAPES, rng, dtype=np.float32)
    grads = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    for p, g in zip(params, grads):
        p.grad[...] = g
    impl.optim.clip.clip_grad_value_(params, 0.7)
    for p in params:
        assert_dtype(p.grad, np.float32, "p.grad after clip_grad_value_", "float32 gradients")
    assert_close(kit.flat([p.grad for p in params]), kit.flat([np.clip(g, -0.7, 0.7) for g in grads]),
                 "float32 gradients after clip_grad_value_", tol=1e-6)


def test_on_device(impl, rng, kit, device):
    grads = [rng.standard_normal(s) for s in SHAPES]
    params = [impl.module.Parameter(device.asarray(np.zeros(s))) for s in SHAPES]
    for p, g in zip(params, grads):
        p.grad[...] = device.asarray(g)
    total = impl.optim.clip.clip_grad_norm_(params, 1.0)
    t_total, t_grads = torch_norm_clip(grads, 1.0)
    assert all(device.is_array(p.grad) for p in params), f"the gradients left the {device} backend"
    assert_close(float(total), t_total, f"the total norm on {device}", tol=device.tol)
    assert_close(kit.flat([p.grad for p in params]), kit.flat(t_grads), f"clipped gradients on {device}", tol=device.tol)
