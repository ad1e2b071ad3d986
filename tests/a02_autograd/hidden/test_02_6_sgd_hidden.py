"""Task 02.6 (hidden): train_step and sgd_step driving the reference scalar Network, against the reference's own steps."""
import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("02.6")


def moons(rng, n):
    t = rng.uniform(0, np.pi, n)
    upper = np.arange(n) < n // 2
    x1 = np.where(upper, np.cos(t), 1 - np.cos(t)) - 0.5
    x2 = np.where(upper, np.sin(t), 0.5 - np.sin(t)) * 2 - 0.5
    xs = [[float(a), float(b)] for a, b in zip(x1, x2)]
    ys = [[-1.0] if u else [1.0] for u in upper]
    return xs, ys


def twins(ref, sizes, seed):
    return (ref.scalar.network.Network(sizes, rng=np.random.default_rng(seed)),
            ref.scalar.network.Network(sizes, rng=np.random.default_rng(seed)))


def test_five_steps_match_the_reference(impl, ref, rng):
    mine, theirs = twins(ref, [2, 5, 1], 11)
    xs, ys = moons(rng, 12)
    for step in range(5):
        batch = rng.choice(12, size=4, replace=False)
        bx, by = [xs[i] for i in batch], [ys[i] for i in batch]
        loss_mine = impl.scalar.network.train_step(mine, bx, by, 0.2)
        loss_ref = ref.scalar.network.train_step(theirs, bx, by, 0.2)
        assert_close(loss_mine, loss_ref, f"the loss of step {step}", batch_size=4)
        assert_close(np.array([p.data for p in mine.parameters()]), np.array([p.data for p in theirs.parameters()]),
                     f"the parameters after step {step}", batch_size=4)


def test_training_lowers_the_loss_a_lot(impl, ref, rng):
    """Thirty full-batch steps on a tiny two-moons set: the loss must fall well below where it started."""
    net = ref.scalar.network.Network([2, 6, 1], rng=np.random.default_rng(3))
    xs, ys = moons(rng, 16)
    losses = [impl.scalar.network.train_step(net, xs, ys, 0.1) for _ in range(30)]
    final = sum(ref.scalar.network.mse(net.forward(x), y)[0] for x, y in zip(xs, ys)) / len(xs)
    assert final < 0.7 * losses[0], f"30 steps (lr 0.1) took the loss only from {losses[0]:.4g} to {final:.4g}"
    assert all(b <= a + 1e-12 for a, b in zip(losses, losses[1:])), f"the loss went up at some step: {losses}"


def test_zero_learning_rate_changes_nothing_but_the_gradients(impl, ref, rng):
    net, twin = twins(ref, [3, 4, 2], 5)
    xs = [[float(v) for v in rng.standard_normal(3)] for _ in range(3)]
    ys = [[float(v) for v in rng.standard_normal(2)] for _ in range(3)]
    before = [p.data for p in net.parameters()]
    impl.scalar.network.train_step(net, xs, ys, 0.0)
    assert [p.data for p in net.parameters()] == before, "lr = 0 must leave every parameter as it was"
    ref.scalar.network.train_step(twin, xs, ys, 0.0)
    assert_close(np.array([p.grad for p in net.parameters()]), np.array([p.grad for p in twin.parameters()]),
                 "the gradients train_step leaves in the Params", batch_size=3)


def test_a_batch_of_one(impl, ref):
    mine, theirs = twins(ref, [2, 3, 1], 2)
    loss = impl.scalar.network.train_step(mine, [[0.3, -0.6]], [[0.5]], 0.5)
    assert_close(loss, ref.scalar.network.train_step(theirs, [[0.3, -0.6]], [[0.5]], 0.5), "the loss of a batch of one")
    assert_close(np.array([p.data for p in mine.parameters()]), np.array([p.data for p in theirs.parameters()]),
                 "the parameters after a step on a batch of one")


def test_sgd_step_on_an_empty_list_and_a_tuple(impl, ref):
    Param = ref.scalar.neuron.Param
    impl.scalar.network.sgd_step([], 0.1)
    ps = (Param(1.0), Param(-2.0))
    ps[0].grad, ps[1].grad = 0.5, -4.0
    impl.scalar.network.sgd_step(ps, 0.25)
    assert_close(np.array([p.data for p in ps]), np.array([0.875, -1.0]), "the Params after sgd_step(lr=0.25)")
