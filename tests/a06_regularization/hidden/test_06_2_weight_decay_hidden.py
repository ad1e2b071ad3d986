"""Task 06.2 (hidden): weight decay against the reference and torch over long runs, iterables, edge values."""
import numpy as np
import pytest
import torch

from grader import assert_close

pytestmark = pytest.mark.task("06.2")


def make_params(impl, rng, shapes, dtype=np.float64):
    out = []
    for s in shapes:
        p = impl.module.Parameter(rng.standard_normal(s).astype(dtype))
        p.grad = rng.standard_normal(s).astype(dtype)
        out.append(p)
    return out


def clone(impl, params):
    out = []
    for p in params:
        q = impl.module.Parameter(p.data.copy())
        q.grad = p.grad.copy()
        out.append(q)
    return out


SHAPES = [(1,), (5, 1), (2, 3, 4), (1, 1, 3, 3)]


def _warm_up_torch_optim():
    """torch.optim's first step imports a lot (seconds on a busy machine): pay for it at import, not in a timed test."""
    t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    t.grad = torch.zeros(1, dtype=torch.float64)
    torch.optim.SGD([t], lr=0.1).step()


_warm_up_torch_optim()


@pytest.mark.parametrize("lam", [0.0, 1e-4, 0.5, 3.0])
def test_matches_reference(impl, ref, rng, lam):
    mine = make_params(impl, rng, SHAPES)
    theirs = clone(ref, mine)
    assert_close(impl.optim.weight_decay.l2_penalty(mine, lam), ref.optim.weight_decay.l2_penalty(theirs, lam),
                 f"l2_penalty(params, {lam}) (vs reference)")
    impl.optim.weight_decay.add_l2_gradient(mine, lam)
    ref.optim.weight_decay.add_l2_gradient(theirs, lam)
    impl.optim.weight_decay.decoupled_weight_decay(mine, 0.03, lam)
    ref.optim.weight_decay.decoupled_weight_decay(theirs, 0.03, lam)
    for i, (p, q) in enumerate(zip(mine, theirs)):
        assert_close(p.grad, q.grad, f"p.grad of parameter {i} (vs reference)")
        assert_close(p.data, q.data, f"p.data of parameter {i} (vs reference)")


def test_any_iterable_of_parameters(impl, rng):
    params = make_params(impl, rng, [(3, 2), (4,)])
    data0 = [p.data.copy() for p in params]
    grad0 = [p.grad.copy() for p in params]
    pen = impl.optim.weight_decay.l2_penalty((p for p in params), 0.2)
    assert_close(pen, 0.1 * sum(float(np.sum(d ** 2)) for d in data0), "l2_penalty of a generator of parameters")
    impl.optim.weight_decay.add_l2_gradient(iter(params), 0.2)
    impl.optim.weight_decay.decoupled_weight_decay(tuple(params), 0.5, 0.2)
    for i, (p, d, g) in enumerate(zip(params, data0, grad0)):
        assert_close(p.grad, g + 0.2 * d, f"p.grad of parameter {i} (params given as an iterator)")
        assert_close(p.data, d * 0.9, f"p.data of parameter {i} (params given as a tuple)")


def test_empty_parameter_list(impl):
    assert impl.optim.weight_decay.l2_penalty([], 0.5) == 0.0
    impl.optim.weight_decay.add_l2_gradient([], 0.5)
    impl.optim.weight_decay.decoupled_weight_decay([], 0.1, 0.5)


def test_long_adamw_run_against_torch(impl, rng):
    shapes = [(6, 4), (4,)]
    params = make_params(impl, rng, shapes)
    lr, lam, b1, b2, eps = 0.01, 0.05, 0.9, 0.999, 1e-8
    ts = [torch.tensor(p.data, requires_grad=True) for p in params]
    opt = torch.optim.AdamW(ts, lr=lr, betas=(b1, b2), eps=eps, weight_decay=lam)
    m = [np.zeros(s) for s in shapes]
    v = [np.zeros(s) for s in shapes]
    for t in range(1, 61):
        grads = [rng.standard_normal(s) for s in shapes]
        for tt, g in zip(ts, grads):
            tt.grad = torch.tensor(g)
        opt.step()
        for p, g in zip(params, grads):
            p.grad = g.copy()
        impl.optim.weight_decay.decoupled_weight_decay(params, lr, lam)
        for i, p in enumerate(params):
            m[i] = b1 * m[i] + (1 - b1) * p.grad
            v[i] = b2 * v[i] + (1 - b2) * p.grad ** 2
            p.data -= lr * (m[i] / (1 - b1 ** t)) / (np.sqrt(v[i] / (1 - b2 ** t)) + eps)
    for i, (p, tt) in enumerate(zip(params, ts)):
        assert_close(p.data, tt.detach().numpy(), f"parameter {i} after 60 AdamW steps vs torch", tol=1e-7)


def test_long_sgd_momentum_run_against_torch(impl, rng):
    params = make_params(impl, rng, [(3, 3)])
    lr, lam, mu = 0.05, 0.1, 0.9
    t = torch.tensor(params[0].data, requires_grad=True)
    opt = torch.optim.SGD([t], lr=lr, momentum=mu, weight_decay=lam)
    buf = None
    for _ in range(50):
        g = rng.standard_normal((3, 3))
        t.grad = torch.tensor(g)
        opt.step()
        params[0].grad = g.copy()
        impl.optim.weight_decay.add_l2_gradient(params, lam)
        buf = params[0].grad.copy() if buf is None else mu * buf + params[0].grad
        params[0].data = params[0].data - lr * buf
    assert_close(params[0].data, t.detach().numpy(), "theta after 50 SGD(momentum=0.9, weight_decay=0.1) steps vs torch")


def test_zero_learning_rate_or_decay_changes_nothing(impl, rng):
    params = make_params(impl, rng, [(2, 5)])
    d0 = params[0].data.copy()
    impl.optim.weight_decay.decoupled_weight_decay(params, 0.0, 0.7)
    impl.optim.weight_decay.decoupled_weight_decay(params, 0.7, 0.0)
    assert_close(params[0].data, d0, "p.data after decoupled decay with lr = 0 and then weight_decay = 0", tol=0.0)
