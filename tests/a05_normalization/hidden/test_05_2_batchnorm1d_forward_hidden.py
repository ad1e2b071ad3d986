"""Task 05.2 (hidden): long train/eval sequences, momentum None, 1 and 0, custom eps, constant channels, the reference."""
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("05.2")


def test_long_train_eval_sequence_matches_torch_and_reference(impl, ref, rng, norm):
    mine = impl.nn.batchnorm.BatchNorm1d(4, momentum=0.2)
    theirs = ref.nn.batchnorm.BatchNorm1d(4, momentum=0.2)
    gamma, beta = norm.set_affine(mine, rng)
    theirs.gamma.data, theirs.beta.data = gamma.copy(), beta.copy()
    bn = norm.torch_bn(2, gamma, beta, momentum=0.2)
    for step in range(20):
        train = step % 4 != 3
        for layer in (mine, theirs):
            layer.train(train)
        bn.train(train)
        n = int(rng.integers(2, 9))
        x = norm.offset_input(rng, (n, 4) if step % 2 else (n, 4, 3))
        y = mine.forward(x)
        want, _ = norm.torch_step(bn, x)
        assert_close(y, want, f"forward at step {step} ({'train' if train else 'eval'}, input {x.shape})")
        assert_close(y, theirs.forward(x), f"forward at step {step} (vs reference)")
        assert_close(mine.running_mean, bn.running_mean.numpy(), f"running_mean after step {step}")
        assert_close(mine.running_var, bn.running_var.numpy(), f"running_var after step {step}")
        assert mine.num_batches_tracked == int(bn.num_batches_tracked), f"num_batches_tracked after step {step}"


@pytest.mark.parametrize("momentum", [None, 1.0, 0.0], ids=["None (cumulative)", "1.0", "0.0"])
def test_momentum_edge_values(impl, rng, norm, momentum):
    layer = impl.nn.batchnorm.BatchNorm1d(3, momentum=momentum)
    gamma, beta = norm.set_affine(layer, rng)
    bn = norm.torch_bn(2, gamma, beta, momentum=momentum)
    for step in range(4):
        x = norm.offset_input(rng, (5, 3))
        layer.forward(x)
        norm.torch_step(bn, x)
        hint = {"momentum=None means a cumulative average: use the given self._average_factor() after counting "
                "the batch": norm.running_stats([x], 0.1)[1]} if momentum is None else {}
        assert_close(layer.running_var, bn.running_var.numpy(), f"running_var (momentum={momentum}) after "
                     f"{step + 1} step(s)", mistakes=hint)
        assert_close(layer.running_mean, bn.running_mean.numpy(), f"running_mean (momentum={momentum})")


def test_custom_eps_in_both_modes(impl, rng, norm):
    layer = impl.nn.batchnorm.BatchNorm1d(3, eps=0.5)
    gamma, beta = norm.set_affine(layer, rng)
    bn = norm.torch_bn(2, gamma, beta, eps=0.5)
    x = rng.standard_normal((4, 3)) * 0.3
    assert_close(layer.forward(x), norm.torch_step(bn, x)[0], "training forward with eps=0.5",
                 mistakes={"eps was ignored (1e-5 used): use self.eps": norm.bn_forward(x, gamma, beta)})
    layer.eval()
    bn.eval()
    assert_close(layer.forward(x), norm.torch_step(bn, x)[0], "evaluation forward with eps=0.5")


def test_constant_channel_gives_beta(impl, rng, norm):
    layer = impl.nn.batchnorm.BatchNorm1d(3)
    gamma, beta = norm.set_affine(layer, rng)
    x = norm.offset_input(rng, (6, 3))
    x[:, 1] = 7.0
    y = layer.forward(x)
    want, _ = norm.torch_step(norm.torch_bn(2, gamma, beta), x)
    assert_close(y, want, "forward with a constant channel (variance 0: xhat = 0, y = beta)")


def test_many_channels_and_two_samples(impl, rng, norm):
    layer = impl.nn.batchnorm.BatchNorm1d(40)
    gamma, beta = norm.set_affine(layer, rng)
    bn = norm.torch_bn(2, gamma, beta)
    x = norm.offset_input(rng, (2, 40))
    assert_close(layer.forward(x), norm.torch_step(bn, x)[0], "forward of (2, 40)")
    assert_close(layer.running_var, bn.running_var.numpy(), "running_var after a batch of 2 (factor 2 / 1)")


def test_train_after_eval_resumes_the_statistics(impl, rng, norm):
    layer = impl.nn.batchnorm.BatchNorm1d(2)
    gamma, beta = norm.set_affine(layer, rng)
    bn = norm.torch_bn(3, gamma, beta)
    for mode in ("train", "eval", "eval", "train", "train"):
        layer.train(mode == "train")
        bn.train(mode == "train")
        x = norm.offset_input(rng, (3, 2, 4))
        assert_close(layer.forward(x), norm.torch_step(bn, x)[0], f"forward in {mode} mode")
    assert_close(layer.running_mean, bn.running_mean.numpy(), "running_mean after train, eval, eval, train, train")
    assert layer.num_batches_tracked == 3, f"num_batches_tracked is {layer.num_batches_tracked}, expected 3"
