"""Task 06.4 (hidden): split and early stopping against the reference over long metric sequences and edge cases."""
import math

import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("06.4")


def make_model(impl, rng, shapes=((4, 3), (3,), (2, 2, 2))):
    class Net(impl.module.Module):
        def __init__(self):
            self.params = [impl.module.Parameter(rng.standard_normal(s)) for s in shapes]
    return Net()


@pytest.mark.parametrize("n,f", [(2, 0.5), (3, 0.5), (11, 0.5), (1000, 0.1), (999, 0.333), (100, 0.29),
                                 (30, 0.25), (5, 0.7), (120, 0.0125)])
def test_split_matches_reference(impl, ref, rng, n, f):
    seed = int(rng.integers(2 ** 32))
    mine = impl.data.split.train_val_split(n, f, rng=np.random.default_rng(seed))
    theirs = ref.data.split.train_val_split(n, f, rng=np.random.default_rng(seed))
    for name, a, b in zip(("train_idx", "val_idx"), mine, theirs):
        assert np.array_equal(np.asarray(a), b), f"train_val_split({n}, {f}): {name} differs from the reference"


def test_split_draws_one_permutation(impl, rng):
    seed = int(rng.integers(2 ** 32))
    mine, replay = np.random.default_rng(seed), np.random.default_rng(seed)
    train, val = impl.data.split.train_val_split(20, 0.2, rng=mine)
    perm = replay.permutation(20)
    assert np.array_equal(np.asarray(val), perm[:4]) and np.array_equal(np.asarray(train), perm[4:]), \
        "train_val_split(20, 0.2): expected (perm[4:], perm[:4]) with perm = rng.permutation(20)"
    assert mine.random() == replay.random(), "train_val_split drew something other than exactly rng.permutation(n)"


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("patience,min_delta", [(1, 0.0), (3, 0.0), (4, 0.05), (7, 0.2)])
def test_long_sequence_matches_reference(impl, ref, rng, mode, patience, min_delta):
    model_m, model_r = make_model(impl, rng), make_model(ref, rng)
    for p, q in zip(model_m.parameters(), model_r.parameters()):
        q.data = p.data.copy()
    mine = impl.train.early_stopping.EarlyStopping(patience, min_delta=min_delta, mode=mode)
    theirs = ref.train.early_stopping.EarlyStopping(patience, min_delta=min_delta, mode=mode)
    level = 1.0
    for epoch in range(60):
        level += rng.normal(-0.02 if mode == "min" else 0.02, 0.1)
        metric = float(np.round(level, 2))  # ties and near-ties happen
        for p, q in zip(model_m.parameters(), model_r.parameters()):
            step = rng.standard_normal(p.shape)
            p.data -= 0.1 * step
            q.data -= 0.1 * step
        a, b = mine.step(metric, model_m), theirs.step(metric, model_r)
        assert bool(a) == bool(b), f"epoch {epoch}, metric {metric}: step returned {a}, the reference {b}"
        assert (mine.best, mine.best_epoch, mine.num_bad_epochs) == (theirs.best, theirs.best_epoch,
                                                                     theirs.num_bad_epochs), \
            f"epoch {epoch}: (best, best_epoch, num_bad_epochs) = {(mine.best, mine.best_epoch, mine.num_bad_epochs)}, " \
            f"the reference {(theirs.best, theirs.best_epoch, theirs.num_bad_epochs)}"
    mine.restore(model_m)
    theirs.restore(model_r)
    for i, (p, q) in enumerate(zip(model_m.parameters(), model_r.parameters())):
        assert_close(p.data, q.data, f"parameter {i} after restore (vs reference)", tol=0.0)


def test_nan_metric_is_not_an_improvement(impl, rng):
    stopper = impl.train.early_stopping.EarlyStopping(2)
    model = make_model(impl, rng)
    got = [bool(stopper.step(m, model)) for m in [1.0, math.nan, math.nan]]
    assert got == [False, False, True], f"EarlyStopping(2) over [1.0, nan, nan] returned {got}"
    assert stopper.best == 1.0, f"best = {stopper.best} after NaN losses, expected 1.0"


def test_numpy_scalars_as_metrics(impl, rng):
    stopper = impl.train.early_stopping.EarlyStopping(1, mode="max")
    model = make_model(impl, rng)
    got = [bool(stopper.step(m, model)) for m in [np.float32(0.5), np.float64(0.75), np.float64(0.75)]]
    assert got == [False, False, True] and stopper.best == 0.75 and stopper.best_epoch == 1, \
        f"EarlyStopping(1, mode='max') over NumPy scalars [0.5, 0.75, 0.75] returned {got}, best {stopper.best}"


def test_first_epoch_always_improves(impl, rng):
    for mode, metric in (("min", 1e300), ("max", -1e300)):
        stopper = impl.train.early_stopping.EarlyStopping(1, mode=mode)
        model = make_model(impl, rng)
        stop = stopper.step(metric, model)
        assert not stop and stopper.best == metric and stopper.best_epoch == 0 and stopper.num_bad_epochs == 0, \
            f"the first epoch (metric {metric}, mode {mode!r}) must count as an improvement"
        assert stopper.best_weights is not None and len(stopper.best_weights) == 3, \
            "best_weights must hold one copy per parameter after the first step"


def test_initial_state(impl):
    for mode, best in (("min", math.inf), ("max", -math.inf)):
        stopper = impl.train.early_stopping.EarlyStopping(4, min_delta=0.5, mode=mode)
        assert (stopper.patience, stopper.min_delta, stopper.mode, stopper.best, stopper.best_epoch,
                stopper.num_bad_epochs, stopper.best_weights) == (4, 0.5, mode, best, -1, 0, None)


def test_restore_keeps_dtype_and_the_weights_of_the_best_epoch(impl, rng):
    model = make_model(impl, rng)
    for p in model.parameters():
        p.data = p.data.astype(np.float32)
    stopper = impl.train.early_stopping.EarlyStopping(3, mode="max")
    snapshots = []
    for acc in [0.1, 0.3, 0.2, 0.35, 0.34, 0.33, 0.36]:
        for p in model.parameters():
            p.data += np.float32(0.5)
        snapshots.append([p.data.copy() for p in model.parameters()])
        stopper.step(acc, model)
    stopper.restore(model)
    for i, p in enumerate(model.parameters()):
        assert p.data.dtype == np.float32, f"parameter {i} became {p.data.dtype} after restore"
        assert_close(p.data, snapshots[6][i], f"parameter {i} after restore (best epoch 6)", tol=0.0)
