"""Task 10.2: the training loop (train/eval switch, zero_grad, accumulation, clipping, schedule, early
stopping, validation on the validation set) against a torch twin, and exact resume from a checkpoint."""
import numpy as np
import pytest
import torch

from grader import assert_close

pytestmark = pytest.mark.task("10.2")

D, H, C = 5, 7, 3


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
            yield self.x[idx], self.y[idx]  # leak-check: allowed (the test's own oracle)


def mlp(impl, rng, dropout=0.0, batchnorm=False):
    """Linear(D, H), [BatchNorm1d], ReLU, [Dropout], Linear(H, C) of the library."""
    nn = impl.nn
    layers = [nn.linear.Linear(D, H, rng=rng)]
    if batchnorm:
        layers.append(nn.batchnorm.BatchNorm1d(H))
    layers.append(nn.relu.ReLU())
    if dropout:
        layers.append(nn.dropout.Dropout(dropout, rng=np.random.default_rng(int(rng.integers(2 ** 31)))))
    layers.append(nn.linear.Linear(H, C, rng=rng))
    return impl.module.Sequential(*layers)


def data(rng, n):
    return rng.standard_normal((n, D)), rng.integers(0, C, n)


def torch_run(model, batches, lr, momentum=0.0, accumulate=1, clip=None, zero_grad=True, scale=True):
    """Replay the loop in torch on the first and last Linear's weights; returns [W1, b1, W2, b2] after training."""
    lin = [m for m in model.layers if hasattr(m, "W")]
    ps = [torch.tensor(np.array(a), requires_grad=True) for m in lin for a in (m.W.data, m.b.data)]
    opt = torch.optim.SGD(ps, lr=lr, momentum=momentum)
    opt.zero_grad()
    for i, (x, y) in enumerate(batches):
        h = torch.relu(torch.tensor(x) @ ps[0].T + ps[1])
        loss = torch.nn.functional.cross_entropy(h @ ps[2].T + ps[3], torch.tensor(y))
        (loss / accumulate if scale else loss).backward()
        if (i + 1) % accumulate == 0 or i + 1 == len(batches):
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(ps, clip)
            opt.step()
            if zero_grad:
                opt.zero_grad()
    return [p.detach().numpy() for p in ps]


def weights(model):
    return [np.array(a) for m in model.layers if hasattr(m, "W") for a in (m.W.data, m.b.data)]


def batches_of(x, y, b, perm=None):
    idx = np.arange(len(y)) if perm is None else perm
    return [(x[idx[k:k + b]], y[idx[k:k + b]]) for k in range(0, len(y), b)]


def make(impl, model, x, y, b, lr, momentum=0.0, shuffle_seed=None, **kw):
    loader = Loader(x, y, b, shuffle=shuffle_seed is not None,
                    rng=None if shuffle_seed is None else np.random.default_rng(shuffle_seed))
    opt = impl.optim.sgd.SGD(model.parameters(), lr, momentum=momentum)
    return impl.train.trainer.Trainer(model, opt, loader, **kw)


def check_weights(got, exp, mistakes, what):
    names = ["W1", "b1", "W2", "b2"]
    for i, n in enumerate(names):
        assert_close(got[i], exp[i], f"{n} after {what}", mistakes={k: v[i] for k, v in mistakes.items()})


@pytest.mark.parametrize("n,b", [(24, 8), (10, 4), (5, 1)])
def test_train_epoch_matches_torch(impl, rng, n, b):
    x, y = data(rng, n)
    model = mlp(impl, rng)
    seed = int(rng.integers(2 ** 31))
    perm = np.random.default_rng(seed).permutation(n)
    batches = batches_of(x, y, b, perm)
    exp = torch_run(model, batches, 0.1, 0.9)
    no_zero = torch_run(model, batches, 0.1, 0.9, zero_grad=False)
    x0, y0 = x.copy(), y.copy()
    out = make(impl, model, x, y, b, 0.1, 0.9, shuffle_seed=seed).train_epoch()
    check_weights(weights(model), exp, {"gradients were never cleared: call optimizer.zero_grad() after each step "
                                        "(backward ADDS into .grad)": no_zero}, f"one epoch (N={n}, B={b})")
    assert np.array_equal(x, x0) and np.array_equal(y, y0), "train_epoch modified the data set"
    assert set(out) >= {"loss", "acc"} and np.isfinite(out["loss"]) and 0 <= out["acc"] <= 1, out


def test_train_epoch_loss_and_accuracy(impl, rng):
    x, y = data(rng, 12)
    model = mlp(impl, rng)
    lin = weights(model)
    h = np.maximum(x[:6] @ lin[0].T + lin[1], 0) @ lin[2].T + lin[3]
    first = float(torch.nn.functional.cross_entropy(torch.tensor(h), torch.tensor(y[:6])))
    trainer = make(impl, model, x, y, 6, 0.0)   # lr 0: every batch sees the initial weights
    out = trainer.train_epoch()
    hall = np.maximum(x @ lin[0].T + lin[1], 0) @ lin[2].T + lin[3]
    loss = float(torch.nn.functional.cross_entropy(torch.tensor(hall), torch.tensor(y)))
    acc = float(np.mean(hall.argmax(1) == y))
    assert_close(out["loss"], loss, "train_epoch's mean loss", mistakes={"the loss of the first batch only": first})
    assert_close(out["acc"], acc, "train_epoch's accuracy")


@pytest.mark.parametrize("k", [2, 3])
def test_gradient_accumulation(impl, rng, k):
    x, y = data(rng, 12)
    model = mlp(impl, rng)
    b = 12 // (2 * k)
    exp = torch_run(model, batches_of(x, y, b), 0.2, 0.5, accumulate=k)
    unscaled = torch_run(model, batches_of(x, y, b), 0.2, 0.5, accumulate=k, scale=False)
    every = torch_run(model, batches_of(x, y, b), 0.2, 0.5)
    make(impl, model, x, y, b, 0.2, 0.5, accumulate=k).train_epoch()
    check_weights(weights(model), exp, {f"divide dL/dlogits by accumulate={k} before backward": unscaled,
                                        "the optimizer steps after every batch, not every accumulate-th": every},
                  f"an epoch with accumulate={k}")


def test_gradient_clipping(impl, rng):
    x, y = data(rng, 8)
    model = mlp(impl, rng)
    exp = torch_run(model, batches_of(x, y, 4), 0.5, clip=0.05)
    free = torch_run(model, batches_of(x, y, 4), 0.5)
    make(impl, model, x, y, 4, 0.5, grad_clip=0.05).train_epoch()
    check_weights(weights(model), exp, {"gradients were not clipped: clip_grad_norm_ before optimizer.step()": free},
                  "an epoch with grad_clip=0.05")


def test_evaluate_in_eval_mode(impl, rng):
    x, y = data(rng, 16)
    model = mlp(impl, rng, dropout=0.5, batchnorm=True)
    bn = model.layers[1]
    mean0, var0 = np.array(bn.running_mean), np.array(bn.running_var)
    lin = weights(model)
    h = np.maximum(((x @ lin[0].T + lin[1]) - mean0) / np.sqrt(var0 + 1e-5), 0) @ lin[2].T + lin[3]
    loss = float(torch.nn.functional.cross_entropy(torch.tensor(h), torch.tensor(y)))
    trainer = make(impl, model, x, y, 4, 0.1)
    model.train()
    out = trainer.evaluate(Loader(x, y, 8))
    modes = {type(m).__name__: m.training for m in model.modules()}
    assert not any(modes.values()), (f"after evaluate the layers are still in training mode ({modes})\n  hint: eval mode "
                                     "was never set: evaluate must call model.eval() (dropout off, running statistics)")
    assert np.array_equal(bn.running_mean, mean0), "evaluate changed batch norm's running mean: eval mode was never set"
    assert_close(out["loss"], loss, "evaluate's mean loss (eval mode: no dropout, running statistics)")
    assert_close(out["acc"], float(np.mean(h.argmax(1) == y)), "evaluate's accuracy")
    for p in model.parameters():
        assert not np.any(p.grad), "evaluate must not call backward (a gradient is nonzero)"


def test_train_epoch_switches_back_to_train_mode(impl, rng):
    x, y = data(rng, 8)
    model = mlp(impl, rng, dropout=0.5)
    trainer = make(impl, model, x, y, 4, 0.0)
    model.eval()
    trainer.train_epoch()
    assert all(m.training for m in model.modules()), \
        "after model.eval(), train_epoch trained in eval mode\n  hint: train_epoch must call model.train() first"


def test_fit_validates_on_the_validation_set(impl, rng):
    x, y = data(rng, 12)
    xv, yv = data(rng, 9)
    model = mlp(impl, rng)
    exp = torch_run(model, batches_of(x, y, 4), 0.1)
    val = Loader(xv, yv, 4)
    trainer = make(impl, model, x, y, 4, 0.1, val_loader=val)
    hist = trainer.fit(1)
    check_weights(weights(model), exp, {}, "fit(1)")

    def metrics(xs, ys):
        h = np.maximum(xs @ exp[0].T + exp[1], 0) @ exp[2].T + exp[3]
        return float(torch.nn.functional.cross_entropy(torch.tensor(h), torch.tensor(ys))), float(np.mean(h.argmax(1) == ys))
    vl, va = metrics(xv, yv)
    tl, ta = metrics(x, y)
    assert trainer.epoch == 1 and len(hist["val_loss"]) == 1, f"after fit(1): epoch {trainer.epoch}, history {hist}"
    hint = {"the metrics are those of the training set: evaluate on val_loader": tl}
    assert_close(hist["val_loss"][0], vl, "history['val_loss'][0]", mistakes=hint)
    assert_close(hist["val_acc"][0], va, "history['val_acc'][0]",
                 mistakes={"the accuracy on the training set: evaluate on val_loader": ta} if ta != va else {})


def test_fit_steps_the_schedule_and_records_the_lr(impl, rng):
    x, y = data(rng, 8)
    model = mlp(impl, rng)
    trainer = make(impl, model, x, y, 4, 0.1)
    trainer.schedule = impl.optim.schedules.CosineAnnealingLR(trainer.optimizer, T_max=4)
    hist = trainer.fit(3)
    exp = [0.05 * (1 + np.cos(np.pi * e / 4)) for e in range(3)]
    assert_close(np.array(hist["lr"]), np.array(exp), "history['lr'] (the rate each epoch trained with)",
                 mistakes={"the schedule was never stepped (schedule.step() once per epoch)": np.full(3, 0.1)})
    assert_close(trainer.lr(), 0.05 * (1 + np.cos(np.pi * 3 / 4)), "the lr after fit(3)")


def test_early_stopping_restores_the_best_weights(impl, rng):
    x, y = data(rng, 8)
    model = mlp(impl, rng)
    xv, yv = data(rng, 8)
    stopper = impl.train.early_stopping.EarlyStopping(patience=1)
    trainer = make(impl, model, x, y, 8, 5.0, val_loader=Loader(xv, yv, 8),
                   early_stopping=stopper)
    hist = trainer.fit(30)   # lr 5: the validation loss soon goes up
    assert trainer.stopped_early and len(hist["val_loss"]) < 30, \
        f"fit(30) ran {len(hist['val_loss'])} epochs without stopping; val losses {np.round(hist['val_loss'], 3)}"
    best = int(np.argmin(hist["val_loss"]))
    assert stopper.best_epoch == best, f"best epoch {stopper.best_epoch}, expected {best}"
    after = trainer.evaluate(Loader(xv, yv, 8))["loss"]
    assert_close(after, hist["val_loss"][best], "the validation loss after early stopping",
                 mistakes={"the best weights were not restored (early_stopping.restore(model))": hist["val_loss"][-1]})


def build_run(impl, seed, x, y):
    rng = np.random.default_rng(seed)
    model = mlp(impl, rng, dropout=0.3, batchnorm=True)
    loader = Loader(x, y, 4, shuffle=True, rng=np.random.default_rng(seed + 1))
    opt = impl.optim.lookahead.Lookahead(impl.optim.adam.Adam(model.parameters(), 0.01), k=3)
    sched = impl.optim.schedules.CosineAnnealingLR(opt, T_max=4)
    return impl.train.trainer.Trainer(model, opt, loader, schedule=sched, rng=np.random.default_rng(seed + 2),
                                      augment=lambda xb, g: xb + 0.1 * g.standard_normal(xb.shape))


def test_exact_resume_is_bit_identical(impl, rng, tmp_path):
    x, y = data(rng, 14)
    straight = build_run(impl, 7, x, y)
    straight.fit(2)
    first = build_run(impl, 7, x, y)
    first.fit(1)
    path = impl.train.checkpoint.save_checkpoint(tmp_path / "run.ck", first)
    resumed = build_run(impl, 99, x, y)   # other initial weights and generators: all must come from the file
    impl.train.checkpoint.load_checkpoint(path, resumed)
    assert resumed.epoch == 1, f"after loading, epoch is {resumed.epoch}, expected 1"
    resumed.fit(2)
    for (k, a), b in zip(straight.model.state_dict().items(), resumed.model.state_dict().values()):
        assert np.array_equal(np.asarray(a), np.asarray(b)), (
            f"{k}: 2 epochs straight and 1 + resume + 1 differ (max {np.max(np.abs(np.asarray(a) - np.asarray(b))):.3g})"
            "\n  hint: the state must hold the model (buffers too), the optimiser, the schedule, the epoch and "
            "every generator's bit_generator.state (loader, dropout, augmentation)")
    assert straight.history["train_loss"] == resumed.history["train_loss"], "the history differs after a resume"


def test_bad_checkpoints_are_refused_and_change_nothing(impl, rng, tmp_path):
    x, y = data(rng, 8)
    ck = impl.train.checkpoint
    run = build_run(impl, 3, x, y)
    run.fit(1)
    good = ck.save_checkpoint(tmp_path / "good.ck", run)
    target = build_run(impl, 5, x, y)
    before = [np.array(v) for v in target.model.state_dict().values()]
    raw = good.read_bytes()
    (tmp_path / "cut.ck").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ck.CheckpointError, match="truncated"):
        ck.load_checkpoint(tmp_path / "cut.ck", target)
    other = impl.train.trainer.Trainer(impl.module.Sequential(impl.nn.linear.Linear(D, C, rng=rng)),
                                       impl.optim.sgd.SGD([impl.module.Parameter(np.zeros(1))], 0.1), run.train_loader)
    ck.save_checkpoint(tmp_path / "other.ck", other)
    with pytest.raises(ck.CheckpointError, match="does not fit|not of a"):
        ck.load_checkpoint(tmp_path / "other.ck", target)
    for a, b in zip(before, target.model.state_dict().values()):
        assert np.array_equal(a, np.asarray(b)), "a refused checkpoint changed the model"
    assert target.epoch == 0
