"""Task 10.2 (hidden): longer runs against the reference trainer, resume at every epoch with every option on."""
import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("10.2")

D, C = 6, 4


class Loader:
    """Mini-batches as the trainer reads them (the library's DataLoader is task 10.3): one
    ``rng.permutation(N)`` per epoch when ``rng`` is given, batch k = ``perm[k*B:(k+1)*B]``."""

    def __init__(self, x, y, batch_size, shuffle=False, drop_last=False, rng=None):
        self.x, self.y, self.b, self.drop, self.rng = x, y, batch_size, drop_last, (rng if shuffle else None)

    def __len__(self):
        return len(self.y) // self.b if self.drop else -(-len(self.y) // self.b)

    def __iter__(self):
        order = self.rng.permutation(len(self.y)) if self.rng is not None else np.arange(len(self.y))
        for k in range(len(self)):
            idx = order[k * self.b:(k + 1) * self.b]
            yield self.x[idx], self.y[idx]


def build(lib, seed, x, y, xv, yv, *, plateau=False, accumulate=1, clip=None, es=None):
    rng = np.random.default_rng(seed)
    nn = lib.nn
    model = lib.module.Sequential(nn.linear.Linear(D, 9, rng=rng), nn.batchnorm.BatchNorm1d(9), nn.relu.ReLU(),
                                  nn.dropout.Dropout(0.2, rng=np.random.default_rng(seed + 5)), nn.linear.Linear(9, C, rng=rng))
    loader = Loader(x, y, 4, shuffle=True, drop_last=True, rng=np.random.default_rng(seed + 1))
    opt = lib.optim.sgd.SGD(model.parameters(), 0.2, momentum=0.9, nesterov=True, weight_decay=1e-3)
    sched = (lib.optim.schedules.ReduceLROnPlateau(opt, patience=0, factor=0.5) if plateau
             else lib.optim.schedules.MultiStepLR(opt, [1, 3], 0.3))
    stopper = lib.train.early_stopping.EarlyStopping(es) if es else None
    return lib.train.trainer.Trainer(model, opt, loader, Loader(xv, yv, 5), schedule=sched,
                                     accumulate=accumulate, grad_clip=clip, early_stopping=stopper,
                                     rng=np.random.default_rng(seed + 2),
                                     augment=lambda xb, g: xb * (1 + 0.05 * g.standard_normal((xb.shape[0], 1))))


def data(rng):
    return rng.standard_normal((22, D)), rng.integers(0, C, 22), rng.standard_normal((10, D)), rng.integers(0, C, 10)


@pytest.mark.parametrize("opts", [dict(), dict(plateau=True), dict(accumulate=2, clip=0.3), dict(plateau=True, es=2)])
def test_matches_the_reference_trainer(impl, ref, rng, opts):
    x, y, xv, yv = data(rng)
    mine, theirs = build(impl, 11, x, y, xv, yv, **opts), build(ref, 11, x, y, xv, yv, **opts)
    hm, ht = mine.fit(5), theirs.fit(5)
    for k in ("train_loss", "train_acc", "val_loss", "val_acc", "lr"):
        assert_close(np.array(hm[k]), np.array(ht[k]), f"history[{k!r}] over 5 epochs with {opts}")
    for (k, a), b in zip(mine.model.state_dict().items(), theirs.model.state_dict().values()):
        assert_close(np.asarray(a, dtype=float), np.asarray(b, dtype=float), f"{k} after 5 epochs with {opts}")


@pytest.mark.parametrize("stop_at", [1, 2, 3])
def test_resume_anywhere(impl, rng, tmp_path, stop_at):
    x, y, xv, yv = data(rng)
    opts = dict(plateau=True, accumulate=2, clip=1.0)
    straight = build(impl, 3, x, y, xv, yv, **opts)
    straight.fit(4)
    part = build(impl, 3, x, y, xv, yv, **opts)
    part.fit(stop_at)
    path = impl.train.checkpoint.save_checkpoint(tmp_path / "c.ck", part, {"note": "x"})
    part.fit(4)   # training on after saving must not change the saved file's content
    again = build(impl, 40, x, y, xv, yv, **opts)
    meta = impl.train.checkpoint.load_checkpoint(path, again)
    assert meta == {"note": "x"}
    again.fit(4)
    for (k, a), b in zip(straight.model.state_dict().items(), again.model.state_dict().values()):
        assert np.array_equal(np.asarray(a), np.asarray(b)), f"{k}: resume after epoch {stop_at} is not bit-identical"
    assert straight.history == again.history or all(
        np.allclose(straight.history[k], again.history[k], equal_nan=True) for k in straight.history if k != "time")


def test_state_dict_is_a_copy(impl, rng):
    x, y, xv, yv = data(rng)
    t = build(impl, 1, x, y, xv, yv)
    t.fit(1)
    s = t.state_dict()
    w = np.array(s["model"]["0.weight"])
    t.fit(2)
    assert np.array_equal(s["model"]["0.weight"], w), "state_dict() shares arrays with the model: return copies"
    assert s["epoch"] == 1 and len(s["rng"]) == len(t.generators())
