"""Task 03.4 (hidden): the two-layer network against the reference, on odd sizes and dead units."""
import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("03.4")


@pytest.mark.parametrize("n,d,h,c", [(1, 1, 1, 1), (1, 5, 3, 2), (9, 2, 17, 4)])
def test_matches_reference(impl, ref, rng, n, d, h, c):
    params = {"W1": rng.standard_normal((h, d)), "b1": rng.standard_normal(h),
              "W2": rng.standard_normal((c, h)), "b2": rng.standard_normal(c)}
    x, y = rng.standard_normal((n, d)), rng.standard_normal((n, c))
    loss, grads = impl.nn.two_layer.two_layer_loss(x, y, params)
    want_loss, want = ref.nn.two_layer.two_layer_loss(x, y, params)
    assert_close(loss, want_loss, "loss (vs reference)")
    for k in want:
        assert_close(grads[k], want[k], f"d{k} (vs reference)", batch_size=n)


def test_all_hidden_units_dead(impl, rng):
    """With every pre-activation negative, no gradient reaches W1 or b1."""
    params = {"W1": np.zeros((4, 3)), "b1": -np.ones(4), "W2": rng.standard_normal((2, 4)), "b2": rng.standard_normal(2)}
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    _, grads = impl.nn.two_layer.two_layer_loss(x, y, params)
    assert_close(grads["W1"], np.zeros((4, 3)), "dW1 with every hidden unit dead")
    assert_close(grads["b1"], np.zeros(4), "db1 with every hidden unit dead")
