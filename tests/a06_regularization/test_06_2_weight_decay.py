"""Task 06.2: the L2 penalty (added to the gradient) and decoupled weight decay, against torch.optim (float64).

One ``torch.optim.SGD(weight_decay=lam)`` step equals ``add_l2_gradient`` followed by a
plain SGD step; ``torch.optim.Adam(weight_decay=lam)`` equals ``add_l2_gradient`` followed
by an Adam update; ``torch.optim.AdamW`` equals ``decoupled_weight_decay`` followed by the
Adam update with the plain gradient. The Adam update is written here, in NumPy.
"""
import numpy as np
import pytest
import torch

from grader import assert_close, assert_dtype

pytestmark = pytest.mark.task("06.2")

SHAPES = [(3, 4), (4,), (2, 3, 2)]
BETAS, EPS = (0.9, 0.999), 1e-8


def _warm_up_torch_optim():
    """torch.optim's first step imports a lot (seconds on a busy machine): pay for it at import, not in a timed test."""
    t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    t.grad = torch.zeros(1, dtype=torch.float64)
    torch.optim.SGD([t], lr=0.1).step()


_warm_up_torch_optim()


def make_params(impl, rng, shapes=SHAPES, dtype=np.float64, grads=True):
    params = []
    for s in shapes:
        p = impl.module.Parameter(rng.standard_normal(s).astype(dtype))
        if grads:
            p.grad = rng.standard_normal(s).astype(dtype)
        params.append(p)
    return params


def adam_update(theta, g, state, lr):
    """One Adam update of ``theta`` (in place) with gradient ``g``, as torch.optim.Adam (no weight decay)."""
    b1, b2 = BETAS
    state["t"] += 1
    t = state["t"]
    state["m"] = b1 * state["m"] + (1 - b1) * g
    state["v"] = b2 * state["v"] + (1 - b2) * g * g
    m_hat = state["m"] / (1 - b1 ** t)
    v_hat = state["v"] / (1 - b2 ** t)
    theta -= lr * m_hat / (np.sqrt(v_hat) + EPS)


def adam_trajectory(theta0, grads, lr, wd, how):
    """The final theta after len(grads) Adam steps; ``how``: "l2" (g + wd*theta), "l2x2" (g + 2 wd theta),
    "decoupled" (theta *= 1 - lr wd first), "decoupled without lr" (theta *= 1 - wd first)."""
    theta = theta0.copy()
    state = {"t": 0, "m": np.zeros_like(theta), "v": np.zeros_like(theta)}
    for g in grads:
        if how == "l2":
            g = g + wd * theta
        elif how == "l2x2":
            g = g + 2 * wd * theta
        elif how == "decoupled":
            theta *= 1 - lr * wd
        elif how == "decoupled without lr":
            theta *= 1 - wd
        adam_update(theta, g, state, lr)
    return theta


def test_l2_penalty_matches_torch(impl, rng):
    params = make_params(impl, rng)
    lam = 0.3
    ts = [torch.tensor(p.data) for p in params]
    expected = float(0.5 * lam * sum((t ** 2).sum() for t in ts))
    total = sum(float(np.sum(p.data ** 2)) for p in params)
    got = impl.optim.weight_decay.l2_penalty(params, lam)
    assert isinstance(got, (float, np.floating)), f"l2_penalty returned {type(got).__name__}, expected a float"
    assert_close(got, expected, "l2_penalty(params, 0.3) = 0.3/2 * sum of theta^2", mistakes={
        "the penalty is missing the 1/2: use (lambda / 2) * sum(theta^2), whose gradient is lambda * theta":
        lam * total,
        "the penalty used a mean: sum theta^2 over every element of every parameter":
        0.5 * lam * sum(float(np.mean(p.data ** 2)) for p in params),
        "the penalty used the norm, not its square: sum theta^2 (no square root)": 0.5 * lam * np.sqrt(total)},
        constants={"lambda": lam, "sum of theta^2": total, "2": 2.0})


def test_l2_penalty_gradient_is_added_to_the_gradient(impl, rng):
    params = make_params(impl, rng)
    lam = 0.25
    g0 = [p.grad.copy() for p in params]
    ts = [torch.tensor(p.data, requires_grad=True) for p in params]
    (0.5 * lam * sum((t ** 2).sum() for t in ts)).backward()
    impl.optim.weight_decay.add_l2_gradient(params, lam)
    for i, (p, t, g) in enumerate(zip(params, ts, g0)):
        assert_close(p.grad, g + t.grad.numpy(), f"p.grad of parameter {i} after add_l2_gradient(params, 0.25)",
                     mistakes={
                         "the L2 gradient has a factor 2: the penalty is (lambda / 2) * sum(theta^2), so its "
                         "gradient is lambda * theta, not 2 * lambda * theta": g + 2 * lam * p.data,
                         "p.grad was replaced: ADD lambda * theta to the gradient already there (g += lambda * theta)":
                         lam * p.data,
                         "lambda * theta was subtracted from the gradient: add it (g += lambda * theta)":
                         g - lam * p.data})


def test_one_sgd_step_matches_torch(impl, rng):
    params = make_params(impl, rng)
    lr, lam = 0.1, 0.05
    ts = [torch.tensor(p.data, requires_grad=True) for p in params]
    opt = torch.optim.SGD(ts, lr=lr, weight_decay=lam)
    for t, p in zip(ts, params):
        t.grad = torch.tensor(p.grad)
    opt.step()
    impl.optim.weight_decay.add_l2_gradient(params, lam)
    for i, (p, t) in enumerate(zip(params, ts)):
        p.data = p.data - lr * p.grad
        assert_close(p.data, t.detach().numpy(), f"parameter {i} after add_l2_gradient and an SGD step, vs "
                     f"torch.optim.SGD(weight_decay={lam})")


def test_sgd_trajectory_matches_torch(impl, rng):
    params = make_params(impl, rng, grads=False)
    lr, lam, steps = 0.05, 0.1, 20
    ts = [torch.tensor(p.data, requires_grad=True) for p in params]
    opt = torch.optim.SGD(ts, lr=lr, weight_decay=lam)
    for _step in range(steps):
        grads = [rng.standard_normal(p.shape) for p in params]
        for p, t, g in zip(params, ts, grads):
            p.grad = g.copy()
            t.grad = torch.tensor(g)
        opt.step()
        impl.optim.weight_decay.add_l2_gradient(params, lam)
        for p in params:
            p.data = p.data - lr * p.grad
    for i, (p, t) in enumerate(zip(params, ts)):
        assert_close(p.data, t.detach().numpy(), f"parameter {i} after {steps} SGD steps with add_l2_gradient, vs "
                     f"torch.optim.SGD(weight_decay={lam})")


def test_adam_with_l2_matches_torch_adam(impl, rng):
    theta0 = rng.standard_normal((4, 3))
    lr, lam, steps = 0.05, 0.2, 15
    grads = [rng.standard_normal(theta0.shape) for _ in range(steps)]
    t = torch.tensor(theta0, requires_grad=True)
    opt = torch.optim.Adam([t], lr=lr, betas=BETAS, eps=EPS, weight_decay=lam)
    p = impl.module.Parameter(theta0.copy())
    state = {"t": 0, "m": np.zeros_like(theta0), "v": np.zeros_like(theta0)}
    for g in grads:
        t.grad = torch.tensor(g)
        opt.step()
        p.grad = g.copy()
        impl.optim.weight_decay.add_l2_gradient([p], lam)
        adam_update(p.data, p.grad, state, lr)
    assert_close(p.data, t.detach().numpy(), f"theta after {steps} Adam steps with add_l2_gradient, vs "
                 f"torch.optim.Adam(weight_decay={lam})", mistakes={
                     "the L2 gradient has a factor 2: add lambda * theta, not 2 * lambda * theta":
                     adam_trajectory(theta0, grads, lr, lam, "l2x2")})


def test_adamw_matches_torch_adamw(impl, rng):
    theta0 = rng.standard_normal((5, 2))
    lr, lam, steps = 0.05, 0.2, 15
    grads = [rng.standard_normal(theta0.shape) for _ in range(steps)]
    t = torch.tensor(theta0, requires_grad=True)
    opt = torch.optim.AdamW([t], lr=lr, betas=BETAS, eps=EPS, weight_decay=lam)
    p = impl.module.Parameter(theta0.copy())
    state = {"t": 0, "m": np.zeros_like(theta0), "v": np.zeros_like(theta0)}
    for g in grads:
        t.grad = torch.tensor(g)
        opt.step()
        p.grad = g.copy()
        impl.optim.weight_decay.decoupled_weight_decay([p], lr, lam)
        adam_update(p.data, p.grad, state, lr)
    assert_close(p.data, t.detach().numpy(), f"theta after {steps} AdamW steps (decoupled_weight_decay, then Adam), "
                 f"vs torch.optim.AdamW(weight_decay={lam})", mistakes={
                     "the decay was not multiplied by the learning rate: theta <- theta - lr * lambda * theta "
                     "(AdamW's theta *= 1 - lr * lambda)": adam_trajectory(theta0, grads, lr, lam, "decoupled without lr"),
                     "this is Adam with an L2 gradient: decoupled decay changes theta directly and leaves the "
                     "gradient alone": adam_trajectory(theta0, grads, lr, lam, "l2")})


def test_decoupled_decay_is_adamws_first_half(impl, rng):
    # AdamW with a zero gradient moves theta by its decay alone (the Adam update of a zero gradient is 0)
    params = make_params(impl, rng)
    lr, lam = 0.1, 0.3
    g0 = [p.grad.copy() for p in params]
    ts = [torch.tensor(p.data, requires_grad=True) for p in params]
    opt = torch.optim.AdamW(ts, lr=lr, weight_decay=lam)
    for t in ts:
        t.grad = torch.zeros_like(t)
    opt.step()
    before = [p.data.copy() for p in params]
    impl.optim.weight_decay.decoupled_weight_decay(params, lr, lam)
    for i, (p, t, th, g) in enumerate(zip(params, ts, before, g0)):
        assert_close(p.data, t.detach().numpy(), f"parameter {i} after decoupled_weight_decay(params, lr=0.1, "
                     f"weight_decay=0.3)", mistakes={
                         "the decay was not multiplied by the learning rate: theta <- theta - lr * lambda * theta":
                         th * (1 - lam),
                         "the decay was applied as a growth: theta <- theta - lr * lambda * theta (minus)":
                         th * (1 + lr * lam)})
        assert_close(p.grad, g, f"p.grad of parameter {i} after decoupled_weight_decay (it must not change)", tol=0.0)


def test_under_sgd_the_two_forms_agree(impl, rng):
    lr, lam = 0.1, 0.2
    a = make_params(impl, rng)
    b = [impl.module.Parameter(p.data.copy()) for p in a]
    p0 = [p.data.copy() for p in a]
    for p, q in zip(a, b):
        q.grad = p.grad.copy()
    impl.optim.weight_decay.add_l2_gradient(a, lam)
    for p in a:
        p.data = p.data - lr * p.grad
    impl.optim.weight_decay.decoupled_weight_decay(b, lr, lam)
    for q in b:
        q.data = q.data - lr * q.grad
    for i, (p, q) in enumerate(zip(a, b)):
        expected = p0[i] * (1 - lr * lam) - lr * q.grad
        assert_close(p.data, expected, f"parameter {i} after add_l2_gradient and an SGD step: "
                     f"theta - lr * (g + lambda * theta)")
        assert_close(q.data, p.data, f"parameter {i}: decoupled decay + SGD step vs L2 gradient + SGD step "
                     f"(the same step for plain SGD)")


def test_on_device(impl, rng, device):
    lr, lam = 0.1, 0.2
    host = make_params(impl, rng)
    params = []
    for p in host:
        q = impl.module.Parameter(device.asarray(p.data.copy()))
        q.grad = device.asarray(p.grad.copy())
        params.append(q)
    pen = impl.optim.weight_decay.l2_penalty(params, lam)
    assert_close(pen, 0.5 * lam * sum(float(np.sum(p.data ** 2)) for p in host), f"l2_penalty on {device}",
                 tol=device.tol)
    impl.optim.weight_decay.add_l2_gradient(params, lam)
    impl.optim.weight_decay.decoupled_weight_decay(params, lr, lam)
    for i, (p, h) in enumerate(zip(params, host)):
        assert device.is_array(p.grad) and device.is_array(p.data), f"parameter {i} left {device}"
        assert_close(p.grad, h.grad + lam * h.data, f"p.grad of parameter {i} on {device}", tol=device.tol)
        assert_close(p.data, h.data * (1 - lr * lam), f"p.data of parameter {i} on {device}", tol=device.tol)


def test_keeps_float32(impl, rng):
    lr, lam = 0.1, 0.2
    params = make_params(impl, rng, dtype=np.float32)
    data0 = [p.data.astype(np.float64) for p in params]
    grad0 = [p.grad.astype(np.float64) for p in params]
    pen = impl.optim.weight_decay.l2_penalty(params, lam)
    assert_close(pen, 0.5 * lam * sum(float(np.sum(d ** 2)) for d in data0), "l2_penalty of float32 parameters",
                 tol=1e-6)
    impl.optim.weight_decay.add_l2_gradient(params, lam)
    impl.optim.weight_decay.decoupled_weight_decay(params, lr, lam)
    for i, (p, d, g) in enumerate(zip(params, data0, grad0)):
        assert_dtype(p.grad, np.float32, f"p.grad of parameter {i}", "float32 parameters")
        assert_close(p.grad, g + lam * d, f"p.grad of parameter {i} in float32", tol=1e-6)
        assert_dtype(p.data, np.float32, f"p.data of parameter {i}", "float32 parameters")
        assert_close(p.data, d * (1 - lr * lam), f"p.data of parameter {i} in float32", tol=1e-6)


def test_what_each_function_leaves_alone(impl, rng):
    params = make_params(impl, rng)
    data0 = [p.data.copy() for p in params]
    grad0 = [p.grad.copy() for p in params]
    pen = impl.optim.weight_decay.l2_penalty(params, 0.5)
    assert_close(pen, 0.25 * sum(float(np.sum(d ** 2)) for d in data0), "l2_penalty(params, 0.5)")
    for i, (p, d, g) in enumerate(zip(params, data0, grad0)):
        assert_close(p.data, d, f"p.data of parameter {i} after l2_penalty (it must not change)", tol=0.0)
        assert_close(p.grad, g, f"p.grad of parameter {i} after l2_penalty (it must not change)", tol=0.0)
    impl.optim.weight_decay.add_l2_gradient(params, 0.5)
    for i, (p, d, g) in enumerate(zip(params, data0, grad0)):
        assert_close(p.data, d, f"p.data of parameter {i} after add_l2_gradient (only p.grad changes)", tol=0.0)
        assert_close(p.grad, g + 0.5 * d, f"p.grad of parameter {i} after add_l2_gradient")


def test_two_calls_add_twice(impl, rng):
    params = make_params(impl, rng)
    lam = 0.4
    g0 = [p.grad.copy() for p in params]
    impl.optim.weight_decay.add_l2_gradient(params, lam)
    impl.optim.weight_decay.add_l2_gradient(params, lam)
    for i, (p, g) in enumerate(zip(params, g0)):
        assert_close(p.grad, g + 2 * lam * p.data, f"p.grad of parameter {i} after two add_l2_gradient calls "
                     f"(each call adds lambda * theta)", mistakes={
                         "the second call replaced the gradient instead of adding to it: g += lambda * theta":
                         lam * p.data,
                         "the second call added nothing: each call adds lambda * theta": g + lam * p.data})
