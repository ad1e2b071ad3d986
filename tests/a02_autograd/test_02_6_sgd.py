"""Task 02.6: sgd_step and train_step, against torch (float64) and the property that a step lowers the loss.

``train_step`` is graded on a stand-in network whose gradients come from torch
(the same interface as your Network: ``forward``, ``backward``, ``parameters``,
``zero_grad``), so only the training step itself is under test here.
"""
import numpy as np
import pytest
import torch

from grader import assert_close

pytestmark = pytest.mark.task("02.6")


class TorchMLP:
    """A tanh MLP with a linear output on lists of floats, with Params like a Network; torch does the calculus."""

    def __init__(self, Param, rng, sizes):
        self.shapes = [(sizes[k + 1], sizes[k]) for k in range(len(sizes) - 1)]
        self.params = []
        for rows, cols in self.shapes:
            self.params += [Param(float(v)) for v in rng.standard_normal(rows * cols) / np.sqrt(cols)]
            self.params += [Param(float(v)) for v in 0.1 * rng.standard_normal(rows)]
        self.calls = []

    def tensors(self, values):
        out, k = [], 0
        for rows, cols in self.shapes:
            out.append(torch.tensor(values[k:k + rows * cols], dtype=torch.float64).reshape(rows, cols))
            out.append(torch.tensor(values[k + rows * cols:k + rows * cols + rows], dtype=torch.float64))
            k += rows * cols + rows
        return out

    def run(self, values, x):
        ts = [t.requires_grad_() for t in self.tensors(values)]
        h = x
        for i in range(0, len(ts), 2):
            h = ts[i] @ h + ts[i + 1]
            if i + 2 < len(ts):
                h = torch.tanh(h)
        return ts, h

    def forward(self, x):
        self.calls.append("forward")
        self.x = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
        self.ts, self.out = self.run([q.data for q in self.params], self.x)
        return [float(v) for v in self.out.detach()]

    __call__ = forward

    def backward(self, g):
        self.calls.append("backward")
        self.out.backward(torch.tensor(np.asarray(g, dtype=np.float64)))
        flat = np.concatenate([t.grad.numpy().ravel() for t in self.ts])
        for q, v in zip(self.params, flat):
            q.grad = q.grad + float(v)
        return [float(v) for v in self.x.grad]

    def parameters(self):
        return list(self.params)

    def zero_grad(self):
        self.calls.append("zero_grad")
        for q in self.params:
            q.grad = 0.0

    def loss_and_grad(self, values, xs, ys):
        """The mean over the batch of the per-sample MSE, and its gradient, for parameter values ``values``."""
        v = torch.tensor(values, dtype=torch.float64, requires_grad=True)
        total = 0
        for xi, yi in zip(xs, ys):
            k = 0
            h = torch.tensor(xi, dtype=torch.float64)
            for n, (rows, cols) in enumerate(self.shapes):
                W = v[k:k + rows * cols].reshape(rows, cols)
                b = v[k + rows * cols:k + rows * cols + rows]
                k += rows * cols + rows
                h = W @ h + b
                if n + 1 < len(self.shapes):
                    h = torch.tanh(h)
            total = total + ((h - torch.tensor(yi, dtype=torch.float64)) ** 2).mean()
        loss = total / len(xs)
        loss.backward()
        return float(loss.detach()), v.grad.numpy()


def tiny_set(rng, n=6, d_in=2, d_out=1):
    xs = [[float(v) for v in rng.uniform(-1, 1, d_in)] for _ in range(n)]
    ys = [[float(v) for v in rng.uniform(-1, 1, d_out)] for _ in range(n)]
    return xs, ys


def test_sgd_step_moves_every_parameter_downhill(impl, rng):
    Param = impl.scalar.neuron.Param
    data, grads = rng.standard_normal(7), rng.standard_normal(7)
    params = [Param(float(d)) for d in data]
    for p, g in zip(params, grads):
        p.grad = float(g)
    impl.scalar.network.sgd_step(params, 0.3)
    assert_close(np.array([p.data for p in params]), data - 0.3 * grads, "the Params' data after sgd_step(lr=0.3)",
                 mistakes={"the step went uphill: subtract lr * grad": data + 0.3 * grads,
                           "the step ignored the learning rate: subtract lr * grad": data - grads},
                 inputs={"data": data, "grad": grads, "lr": 0.3})
    assert_close(np.array([p.grad for p in params]), grads,
                 "the Params' grad after sgd_step (it must leave them as they are)")


@pytest.mark.parametrize("sizes,n", [([2, 4, 1], 6), ([3, 3, 2], 4), ([2, 1], 1)], ids=["2-4-1", "3-3-2", "N=1"])
def test_train_step_against_torch(impl, rng, sizes, n):
    net = TorchMLP(impl.scalar.neuron.Param, rng, sizes)
    xs, ys = tiny_set(rng, n, sizes[0], sizes[-1])
    before = np.array([q.data for q in net.params])
    stale = rng.standard_normal(len(net.params))
    for q, s in zip(net.params, stale):
        q.grad = float(s)
    lr = 0.1
    loss = impl.scalar.network.train_step(net, xs, ys, lr)
    loss_t, grad_t = net.loss_and_grad(list(before), xs, ys)
    assert_close(loss, loss_t, "the loss returned by train_step (the batch mean of mse, before the step)",
                 batch_size=n, mistakes={"return the mean over the batch, not the sum": loss_t * n})
    assert_close(np.array([q.grad for q in net.params]), grad_t,
                 "the Params' grad after train_step (the gradient of the batch mean)", batch_size=n,
                 mistakes={"call net.zero_grad() first: the gradients of an earlier step were still there": grad_t + stale,
                           "each sample's gradient must be divided by N (the loss is the batch mean)": n * grad_t})
    assert_close(np.array([q.data for q in net.params]), before - lr * grad_t, "the Params' data after train_step",
                 batch_size=n,
                 mistakes={"each sample's gradient must be divided by N (the loss is the batch mean): the step is "
                           "scaled by N": before - lr * n * grad_t,
                           "call net.zero_grad() first: the gradients of an earlier step were still there":
                           before - lr * (grad_t + stale)})


def test_train_step_order_of_calls(impl, rng):
    net = TorchMLP(impl.scalar.neuron.Param, rng, [2, 3, 1])
    xs, ys = tiny_set(rng, 3)
    impl.scalar.network.train_step(net, xs, ys, 0.1)
    assert net.calls[:1] == ["zero_grad"], f"train_step must clear the gradients first; calls were {net.calls}"
    assert net.calls[1:] == ["forward", "backward"] * 3, (
        f"train_step must run forward then backward once per sample (3 samples); calls were {net.calls}")


def test_one_step_lowers_the_loss(impl, rng):
    net = TorchMLP(impl.scalar.neuron.Param, rng, [2, 6, 1])
    xs, ys = tiny_set(rng, 8)
    first = impl.scalar.network.train_step(net, xs, ys, 0.05)
    after, _ = net.loss_and_grad([q.data for q in net.params], xs, ys)
    assert after < first, f"one step of gradient descent (lr 0.05) raised the loss from {first:.6g} to {after:.6g}"


def test_inputs_are_left_unchanged(impl, rng):
    net = TorchMLP(impl.scalar.neuron.Param, rng, [2, 3, 1])
    xs, ys = tiny_set(rng, 3)
    xs0, ys0 = [list(v) for v in xs], [list(v) for v in ys]
    before = [q.data for q in net.params]
    loss = impl.scalar.network.train_step(net, xs, ys, 0.1)
    assert xs == xs0 and ys == ys0, "train_step modified the inputs or the targets"
    loss_t, grad_t = net.loss_and_grad(before, xs0, ys0)
    assert_close(loss, loss_t, "the loss returned by train_step (the batch mean of mse, before the step)")
    assert_close(np.array([q.data for q in net.params]), np.array(before) - 0.1 * grad_t,
                 "the Params' data after train_step")
