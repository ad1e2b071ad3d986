"""Task 10.1 (hidden): other class counts and channels, dropout in eval mode, and the reference as an oracle."""
import numpy as np
import pytest

from grader import assert_close

pytestmark = pytest.mark.task("10.1")

OTHER = {"lenet": dict(num_classes=7, in_channels=3, image_size=32),
         "baseline": dict(num_classes=5, in_channels=3, image_size=32, dropout=False),
         "resnet18": dict(num_classes=3, in_channels=1, image_size=28),
         "efficientnet": dict(num_classes=4, in_channels=1, image_size=28, dropout=0.0),
         "convnext": dict(num_classes=6, in_channels=1, image_size=28, layer_scale_init=0.5)}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.timeout(30)) if n != "lenet" else n
                                  for n in OTHER])
def test_other_classes_and_channels(impl, twins, rng, name):
    kw = OTHER[name]
    ours, twin = twins.build(impl, rng, name, **kw)
    n = 4 if name == "efficientnet" else (1 if name == "convnext" else 2)
    x = rng.standard_normal((n, kw["in_channels"], kw["image_size"], kw["image_size"]))
    twins.run(impl, rng, ours, twin, x, twins.MODELS[name][1])


@pytest.mark.parametrize("name,kw", [("baseline", dict(num_classes=10, in_channels=1, image_size=28)),
                                     pytest.param("alexnet", dict(num_classes=10, in_channels=3, image_size=32),
                                                  marks=pytest.mark.timeout(30))])
def test_dropout_is_the_identity_in_eval_mode(impl, twins, rng, name, kw):
    ours, twin = twins.build(impl, rng, name, **kw)
    ours.eval()
    twin.eval()
    x = rng.standard_normal((2, kw["in_channels"], kw["image_size"], kw["image_size"]))
    twins.run(impl, rng, ours, twin, x, twins.MODELS[name][1] + " (with dropout, eval mode)", backward=False)


def test_baseline_dropout_rates(impl, twins, rng):
    """The baseline CNN drops 0.15, 0.25 and 0.5, in that order (the handout's table)."""
    file, cls, _ = twins.MODELS["baseline"]
    model = getattr(getattr(impl.models, file), cls)(num_classes=10, in_channels=1, image_size=28, rng=rng)
    rates = [float(m.p) for m in model.modules() if isinstance(m, impl.nn.dropout.Dropout)]
    assert rates == [0.15, 0.25, 0.5], (
        f"{cls}'s Dropout layers drop {rates}, in order; the handout's table says 0.15, 0.25 and 0.5")


@pytest.mark.timeout(30)
def test_resnet18_matches_the_reference(impl, ref, rng):
    mine = impl.models.resnet.ResNet18(10, 3, 32, rng=np.random.default_rng(1))
    theirs = ref.models.resnet.ResNet18(10, 3, 32, rng=np.random.default_rng(1))
    mine.load_state_dict(theirs.state_dict())
    x = rng.standard_normal((2, 3, 32, 32))
    y = mine.forward(x)
    assert_close(y, theirs.forward(x), "ResNet18 logits vs the reference")
    g = rng.standard_normal(y.shape)
    assert_close(mine.backward(g), theirs.backward(g), "ResNet18 dL/dx vs the reference", tol=1e-6)


@pytest.mark.timeout(30)
def test_state_dicts_have_the_same_keys_as_the_reference(impl, ref, rng):
    for _name, (file, cls, _) in twins_models().items():
        kw = dict(num_classes=10, in_channels=3, image_size=32)
        mine = getattr(getattr(impl.models, file), cls)(**kw, rng=rng, dtype=np.float32)
        theirs = getattr(getattr(ref.models, file), cls)(**kw, rng=rng, dtype=np.float32)
        assert list(mine.state_dict()) == list(theirs.state_dict()), f"{cls}: the state_dict keys (or their order) differ"


def twins_models():
    return {"lenet": ("lenet", "LeNet5", None), "resnet18": ("resnet", "ResNet18", None),
            "efficientnet": ("efficientnet", "EfficientNetLite0", None)}
