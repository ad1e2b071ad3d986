"""Task 07.4 (hidden): clipping edge cases against torch and the reference."""
import numpy as np
import pytest
import torch

from grader import assert_close

pytestmark = pytest.mark.task("07.4")


def torch_clip(grads, max_norm):
    ts = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for t, g in zip(ts, grads):
        t.grad = torch.tensor(g)
    total = torch.nn.utils.clip_grad_norm_(ts, max_norm)
    return float(total), [t.grad.numpy() for t in ts]


def load(impl, grads):
    params = [impl.module.Parameter(np.zeros(g.shape)) for g in grads]
    for p, g in zip(params, grads):
        p.grad[...] = g
    return params


@pytest.mark.parametrize("shapes,scale,max_norm", [
    ([(1,)], 5.0, 1.0), ([(50, 20), (20,), (3, 3, 3, 3)], 1.0, 2.0), ([(4,)] * 10, 1e-3, 1e-2),
    ([(2, 3)], 1e4, 1.0), ([(3,), (4,)], 1.0, 1e6)], ids=["scalar-like", "large", "many small", "huge grads", "no-op"])
def test_clip_grad_norm_against_torch_and_reference(impl, ref, rng, kit, shapes, scale, max_norm):
    grads = [scale * rng.standard_normal(s) for s in shapes]
    mine, theirs = load(impl, grads), load(ref, grads)
    total = impl.optim.clip.clip_grad_norm_(mine, max_norm)
    ref_total = ref.optim.clip.clip_grad_norm_(theirs, max_norm)
    t_total, t_grads = torch_clip(grads, max_norm)
    assert_close(total, t_total, "the returned total norm")
    assert_close(total, ref_total, "the returned total norm (reference)")
    assert_close(kit.flat([p.grad for p in mine]), kit.flat(t_grads), "the clipped gradients")


def test_zero_gradients(impl, kit):
    params = load(impl, [np.zeros((3, 2)), np.zeros(4)])
    total = impl.optim.clip.clip_grad_norm_(params, 1.0)
    assert_close(total, 0.0, "the total norm of zero gradients")
    assert_close(kit.flat([p.grad for p in params]), np.zeros(10), "zero gradients after clipping (no NaN)")


def test_exactly_at_the_limit(impl, kit):
    g = np.array([3.0, 4.0])
    params = load(impl, [g])
    total = impl.optim.clip.clip_grad_norm_(params, 5.0)
    t_total, t_grads = torch_clip([g], 5.0)
    assert_close(total, t_total, "the total norm of [3, 4]")
    assert_close(params[0].grad, t_grads[0], "[3, 4] clipped to max_norm 5 (coef = 5 / (5 + 1e-6))")


def test_clip_value_edge_cases(impl, rng, kit):
    g = np.array([-np.inf, -2.0, -0.5, 0.0, 0.5, 2.0, np.inf])
    params = load(impl, [g, rng.standard_normal((3, 4)) * 3])
    expected = [np.clip(g, -1.0, 1.0), np.clip(params[1].grad.copy(), -1.0, 1.0)]
    impl.optim.clip.clip_grad_value_(params, 1.0)
    assert_close(kit.flat([p.grad for p in params]), kit.flat(expected), "gradients clamped to [-1, 1] (infinities too)")


def test_clip_value_then_norm(impl, ref, rng, kit):
    grads = [rng.standard_normal((5, 5)) * 2, rng.standard_normal(5) * 2]
    mine, theirs = load(impl, grads), load(ref, grads)
    for lib, ps in ((impl, mine), (ref, theirs)):
        lib.optim.clip.clip_grad_value_(ps, 1.5)
        lib.optim.clip.clip_grad_norm_(ps, 2.0)
    assert_close(kit.flat([p.grad for p in mine]), kit.flat([p.grad for p in theirs]),
                 "gradients after clip by value then by norm (reference)")
