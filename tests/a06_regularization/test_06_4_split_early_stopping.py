"""Task 06.4: train_val_split (replayed from a copy of the generator) and EarlyStopping
(patience, min_delta, mode min/max, best-weights snapshot and restore)."""
import math

import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("06.4")


def make_model(impl, rng):
    class Tiny(impl.module.Module):
        def __init__(self):
            self.W = impl.module.Parameter(rng.standard_normal((3, 2)))
            self.b = impl.module.Parameter(rng.standard_normal(2))
    return Tiny()


def run_steps(stopper, metrics, model=None):
    return [bool(stopper.step(m, model)) for m in metrics]


# ---------------------------------------------------------------- train_val_split

@pytest.mark.parametrize("n,f", [(10, 0.2), (9, 0.3), (101, 0.25), (7, 0.5), (10, 0.25), (2, 0.5), (50, 0.1)])
def test_split_replays_the_permutation(impl, rng, n, f):
    seed = int(rng.integers(2 ** 32))
    train, val = impl.data.split.train_val_split(n, f, rng=np.random.default_rng(seed))
    perm = np.random.default_rng(seed).permutation(n)
    n_val = round(n * f)
    train, val = np.asarray(train), np.asarray(val)
    assert val.shape == (n_val,), (
        f"train_val_split({n}, {f}) gave {val.size} validation indices; expected n_val = round({n} * {f}) = {n_val}"
        + ("\n  hint: int() and math.floor round DOWN; use Python's round(n * val_fraction)"
           if val.size == math.floor(n * f) else "")
        + ("\n  hint: the two parts are swapped: return (train_idx, val_idx), in that order"
           if val.size == n - n_val else ""))
    assert train.shape == (n - n_val,), f"train_val_split({n}, {f}) gave {train.size} training indices, expected " \
                                        f"n - n_val = {n - n_val}"
    assert val.dtype.kind in "iu" and train.dtype.kind in "iu", \
        f"the indices should be integers, got dtypes {train.dtype} and {val.dtype}"
    hint = ""
    if np.array_equal(val, perm[n - n_val:]):
        hint = "\n  hint: the validation indices are the FIRST n_val entries of rng.permutation(n), not the last"
    elif np.array_equal(np.sort(val), np.sort(perm[:n_val])):
        hint = "\n  hint: keep the order of the permutation (do not sort the indices)"
    assert np.array_equal(val, perm[:n_val]), f"val_idx = {val.tolist()}, expected perm[:n_val] = " \
                                              f"{perm[:n_val].tolist()} with perm = rng.permutation({n}){hint}"
    assert np.array_equal(train, perm[n_val:]), f"train_idx = {train.tolist()}, expected perm[n_val:] = " \
                                                f"{perm[n_val:].tolist()}"


@pytest.mark.parametrize("n", [2, 3, 17, 64, 1000])
def test_split_is_disjoint_and_covering(impl, rng, n):
    f = 0.3 if n > 3 else 0.5
    train, val = impl.data.split.train_val_split(n, f, rng=np.random.default_rng(int(rng.integers(2 ** 32))))
    both = np.concatenate([np.asarray(train), np.asarray(val)])
    assert not set(np.asarray(train).tolist()) & set(np.asarray(val).tolist()), \
        "an index is in both the training and the validation part: they must be disjoint"
    assert np.array_equal(np.sort(both), np.arange(n)), \
        f"together the two parts must hold every index of range({n}) exactly once"
    if n >= 64:
        assert not np.array_equal(np.sort(np.asarray(val)), np.arange(n - len(val), n)), \
            "the validation part is the last indices in order: shuffle with rng.permutation(n) first"


@pytest.mark.parametrize("n,f", [(10, 0.0), (10, 1.0), (10, -0.2), (10, 1.5), (3, 0.1), (3, 0.9)])
def test_split_rejects_an_empty_side(impl, n, f):
    with pytest.raises(ValueError):
        impl.data.split.train_val_split(n, f, rng=np.random.default_rng(0))


# ---------------------------------------------------------------- EarlyStopping

@pytest.mark.parametrize("patience", [1, 2, 3, 5])
def test_stops_after_exactly_patience_bad_epochs(impl, rng, patience):
    model = make_model(impl, rng)
    stopper = impl.train.early_stopping.EarlyStopping(patience)
    metrics = [5.0, 4.0, 3.0] + [3.5] * (patience + 1)
    got = run_steps(stopper, metrics, model)
    expected = [False] * (2 + patience) + [True, True]
    first = got.index(True) if True in got else None
    hint = ""
    if first == 2 + patience + 1:
        hint = (f"\n  hint: it stopped one epoch late: with patience = {patience}, epoch number {patience} in a row "
                f"without improvement returns True (stop when num_bad_epochs >= patience)")
    elif first == 2 + patience - 1:
        hint = "\n  hint: it stopped one epoch early: count the epochs without improvement (num_bad_epochs >= patience)"
    assert got == expected, f"EarlyStopping({patience}).step over the losses {metrics} returned {got}, expected " \
                            f"{expected}{hint}"
    assert stopper.best == 3.0 and stopper.best_epoch == 2, \
        f"best = {stopper.best}, best_epoch = {stopper.best_epoch}; expected 3.0 at epoch 2 (epochs count from 0)"
    assert stopper.num_bad_epochs == patience + 1, f"num_bad_epochs = {stopper.num_bad_epochs}, expected {patience + 1}"


def test_an_improvement_resets_the_count(impl, rng):
    stopper = impl.train.early_stopping.EarlyStopping(3)
    metrics = [3.0, 4.0, 4.0, 2.0, 5.0, 5.0, 5.0]
    got = run_steps(stopper, metrics, make_model(impl, rng))
    assert got == [False] * 6 + [True], f"EarlyStopping(3) over {metrics} returned {got}; the improvement to 2.0 " \
                                         f"at epoch 3 resets the count, so only epoch 6 stops"


def test_equal_is_not_an_improvement_and_min_delta(impl, rng):
    model = make_model(impl, rng)
    stopper = impl.train.early_stopping.EarlyStopping(10, min_delta=0.1)
    for m, best, bad in [(1.0, 1.0, 0), (1.0, 1.0, 1), (0.95, 1.0, 2), (0.85, 0.85, 0), (0.76, 0.85, 1),
                         (0.7, 0.7, 0)]:
        stopper.step(m, model)
        assert (stopper.best, stopper.num_bad_epochs) == (best, bad), (
            f"after the loss {m} (min_delta = 0.1): best = {stopper.best}, num_bad_epochs = {stopper.num_bad_epochs}; "
            f"expected {best} and {bad}. A loss improves only when it is below best - min_delta.")


def test_mode_max_for_accuracy(impl, rng):
    model = make_model(impl, rng)
    stopper = impl.train.early_stopping.EarlyStopping(2, mode="max")
    metrics = [0.5, 0.6, 0.6, 0.7, 0.65, 0.69]
    got = run_steps(stopper, metrics, model)
    hint = "\n  hint: in mode 'max' a HIGHER metric is better (accuracy)" if got[1] else ""
    assert got == [False, False, False, False, False, True], \
        f"EarlyStopping(2, mode='max') over the accuracies {metrics} returned {got}{hint}"
    assert (stopper.best, stopper.best_epoch) == (0.7, 3), \
        f"best = {stopper.best} at epoch {stopper.best_epoch}, expected 0.7 at epoch 3"


def test_restore_brings_back_the_best_weights(impl, rng):
    model = make_model(impl, rng)
    stopper = impl.train.early_stopping.EarlyStopping(2)
    history = []
    for loss in [2.0, 1.5, 1.0, 1.2, 1.1]:
        for p in model.parameters():          # a training epoch: the weights change in place
            p.data -= 0.1 * rng.standard_normal(p.shape)
        history.append([p.data.copy() for p in model.parameters()])
        stop = stopper.step(loss, model)
    assert stop, "EarlyStopping(2) should stop after two epochs without improvement"
    last = [p.data.copy() for p in model.parameters()]
    stopper.restore(model)
    for i, p in enumerate(model.parameters()):
        assert_close(p.data, history[2][i], f"parameter {i} after restore (the weights of the best epoch, 2)",
                     tol=0.0, mistakes={
                         "restore(model) left the LAST weights in the model: take a copy (p.data.copy()) of every "
                         "parameter when the metric improves, and copy it back into p.data in restore": last[i],
                         "these are the weights of the first epoch: take a new snapshot at EVERY improvement":
                         history[0][i],
                         "these are the weights of the epoch after the best one: snapshot at the improving epoch, "
                         "before training on": history[3][i]})


def test_snapshot_is_a_copy_and_restore_can_repeat(impl, rng):
    model = make_model(impl, rng)
    stopper = impl.train.early_stopping.EarlyStopping(3)
    best = [p.data.copy() for p in model.parameters()]
    stopper.step(1.0, model)
    for p in model.parameters():
        p.data *= 3.0                          # in place: a snapshot that is a view would change too
    stopper.step(2.0, model)
    stopper.restore(model)
    for p in model.parameters():
        p.data += 1.0                          # train on after restoring, in place
    stopper.restore(model)
    for i, p in enumerate(model.parameters()):
        assert_close(p.data, best[i], f"parameter {i} after in-place updates and a second restore", tol=0.0,
                     mistakes={"restore(model) left the LAST weights in the model: the snapshot must be a COPY "
                               "(p.data.copy()), not the array itself, and restore must copy it back":
                               best[i] * 3.0 + 1.0})


def test_restore_without_a_snapshot_raises(impl, rng):
    stopper = impl.train.early_stopping.EarlyStopping(2)
    with pytest.raises(RuntimeError) as info:
        stopper.restore(make_model(impl, rng))
    assert not isinstance(info.value, NotImplementedError), "restore is not written yet"


@pytest.mark.parametrize("kwargs", [{"patience": 0}, {"patience": 2, "min_delta": -0.1},
                                    {"patience": 2, "mode": "mean"}])
def test_rejects_bad_arguments(impl, kwargs):
    with pytest.raises(ValueError):
        impl.train.early_stopping.EarlyStopping(**kwargs)
