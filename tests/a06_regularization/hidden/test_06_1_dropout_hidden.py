"""Task 06.1 (hidden): Dropout against the reference over long train/eval sequences, more shapes and edge cases."""
import numpy as np
import pytest

from grader import assert_close, assert_dtype

pytestmark = pytest.mark.task("06.1")


@pytest.mark.parametrize("shape", [(1,), (7,), (1, 1), (3, 1, 5), (2, 2, 3, 3), (2, 1, 2, 2, 2)])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_matches_reference(impl, ref, rng, shape, p):
    seed = int(rng.integers(2 ** 32))
    mine = impl.nn.dropout.Dropout(p, rng=np.random.default_rng(seed))
    theirs = ref.nn.dropout.Dropout(p, rng=np.random.default_rng(seed))
    x, dy = rng.standard_normal(shape), rng.standard_normal(shape)
    assert_close(mine.forward(x), theirs.forward(x), f"Dropout({p}).forward(x) (vs reference)")
    assert_close(mine.backward(dy), theirs.backward(dy), f"Dropout({p}) dX (vs reference)")


def test_long_train_eval_sequence(impl, ref, rng):
    seed, p = int(rng.integers(2 ** 32)), 0.35
    mine = impl.nn.dropout.Dropout(p, rng=np.random.default_rng(seed))
    theirs = ref.nn.dropout.Dropout(p, rng=np.random.default_rng(seed))
    modes = [True, True, False, True, False, False, True, True, True, False, True, False]
    for step, training in enumerate(modes):
        mine.train(training)
        theirs.train(training)
        shape = (2 + step % 3, 4) if step % 2 else (1, 2, 3, 3)
        x, dy = rng.standard_normal(shape), rng.standard_normal(shape)
        what = "train" if training else "eval"
        assert_close(mine.forward(x), theirs.forward(x), f"forward at step {step} ({what}) (vs reference)")
        assert_close(mine.backward(dy), theirs.backward(dy), f"dX at step {step} ({what}) (vs reference)")


def test_backward_uses_the_last_forward(impl, rng):
    seed, p = int(rng.integers(2 ** 32)), 0.5
    layer = impl.nn.dropout.Dropout(p, rng=np.random.default_rng(seed))
    g = np.random.default_rng(seed)
    layer.forward(rng.standard_normal((4, 4)))
    g.random((4, 4))
    layer.forward(rng.standard_normal((4, 4)))
    keep = g.random((4, 4)) >= p
    dy = rng.standard_normal((4, 4))
    assert_close(layer.backward(dy), dy * keep / (1 - p), "dX after two forward calls (use the latest mask)")


def test_default_p_is_one_half(impl, rng):
    seed = int(rng.integers(2 ** 32))
    x = rng.standard_normal((5, 6))
    layer = impl.nn.dropout.Dropout(rng=np.random.default_rng(seed))
    keep = np.random.default_rng(seed).random(x.shape) >= 0.5
    assert_close(layer.forward(x), x * keep * 2.0, "Dropout().forward(x) (p = 0.5 by default)")


def test_mask_does_not_depend_on_the_values(impl, rng):
    seed, p = int(rng.integers(2 ** 32)), 0.3
    x = np.array([[0.0, -1.0, 2.0, -0.0, 1e-300, -1e300, 5.0, 0.5]] * 3)
    keep = np.random.default_rng(seed).random(x.shape) >= p
    y = impl.nn.dropout.Dropout(p, rng=np.random.default_rng(seed)).forward(x)
    assert_close(y, x * keep / (1 - p), "Dropout(0.3) of zeros, negatives and extreme values")


def test_p_one_float32_gives_float32_zeros(impl, rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    y = impl.nn.dropout.Dropout(1.0, rng=np.random.default_rng(1)).forward(x)
    assert_dtype(y, np.float32, "Dropout(1.0).forward(x)", "float32 input")
    assert_close(y, np.zeros((3, 4)), "Dropout(1.0).forward(x): all zeros")


def test_p_close_to_one(impl, rng):
    seed, p = int(rng.integers(2 ** 32)), 0.999
    x = rng.standard_normal((40, 50))
    keep = np.random.default_rng(seed).random(x.shape) >= p
    y = impl.nn.dropout.Dropout(p, rng=np.random.default_rng(seed)).forward(x)
    assert_close(y, x * keep / (1 - p), "Dropout(0.999).forward(x)", tol=1e-9)


@pytest.mark.parametrize("p", [-1e-12, 1.0000001, float("inf"), -float("inf")])
def test_more_invalid_p(impl, p):
    with pytest.raises(ValueError):
        impl.nn.dropout.Dropout(p, rng=np.random.default_rng(0))


@pytest.mark.parametrize("p", [0, 1, 0.0, 1.0])
def test_bounds_are_legal(impl, rng, p):
    x = rng.standard_normal((2, 3))
    y = impl.nn.dropout.Dropout(p, rng=np.random.default_rng(3)).forward(x)
    assert_close(y, x if p == 0 else np.zeros_like(x), f"Dropout({p!r}).forward(x)")
