"""The training command: ``python -m <package>.train MODEL [options]`` (``make train MODEL=lenet``).

MODEL is ``mlp`` (the vectorised tier), ``scalar-mlp`` (the loop-based tier), or one of the CNNs:
``lenet``, ``baseline``, ``alexnet``, ``vgg16``, ``resnet18``, ``efficientnet``, ``convnext``.
Data: ``--data digits`` (scikit-learn's bundled 8x8 digits, no download: the default),
``mnist``, ``fashion-mnist``, ``cifar10`` (downloaded, checksum-verified, into ``--data-dir`` or
``$NNOTT_DATA_DIR`` or ``~/.cache/nnott``). When your library cannot run the chosen model yet,
the command stops at once and names the first unfinished task.
"""
from __future__ import annotations

import argparse
import importlib
import re
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

PKG = __package__.rsplit(".", 1)[0] if __package__ else "reference"

CNNS = {"lenet": ("lenet", "LeNet5"), "baseline": ("baseline_cnn", "BaselineCNN"), "alexnet": ("alexnet", "AlexNet"),
        "vgg16": ("vgg", "VGG16"), "resnet18": ("resnet", "ResNet18"),
        "efficientnet": ("efficientnet", "EfficientNetLite0"), "convnext": ("convnext", "ConvNeXtTiny")}
MODELS = ("mlp", "scalar-mlp", *CNNS)


def lib(name: str) -> Any:
    """``<package>.<name>`` (the library this command belongs to: starter or reference)."""
    return importlib.import_module(f"{PKG}.{name}")


def _csv(kind: type) -> Any:
    return lambda s: [kind(v) for v in s.split(",") if v.strip()]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"python -m {PKG}.train", description="Train a model of your library on real images.")
    p.add_argument("model", choices=MODELS, help="what to train")
    p.add_argument("--data", default=None, choices=("digits", "mnist", "fashion-mnist", "cifar10"),
                   help="default: mnist when the data folder holds it, else digits (offline)")
    p.add_argument("--data-dir", default=None, help="the data cache (default $NNOTT_DATA_DIR or ~/.cache/nnott)")
    p.add_argument("--redownload", action="store_true", help="remove a cached file that fails its checksum and fetch it again")
    p.add_argument("--limit", type=int, default=None, help="train on the first N training images only")
    p.add_argument("--test-limit", type=int, default=None, help="test on the first N test images only")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=None, help="default 0.05 (sgd), 1e-3 (adam, adamw)")
    p.add_argument("--optimizer", default="sgd", choices=("sgd", "adam", "adamw"))
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--nesterov", action="store_true")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--lr-schedule", default="none", choices=("none", "multistep", "cosine", "plateau"))
    p.add_argument("--grad-clip", type=float, default=None, help="clip the global gradient norm to this")
    p.add_argument("--accumulate", type=int, default=1, help="batches per optimiser step")
    p.add_argument("--lookahead", action="store_true")
    p.add_argument("--lookahead-k", type=int, default=5)
    p.add_argument("--lookahead-alpha", type=float, default=0.5)
    p.add_argument("--batchnorm", action="store_true", help="mlp: BatchNorm1d after each hidden Linear")
    p.add_argument("--dropout", type=float, default=0.0, help="mlp: dropout after each hidden layer; CNNs: their dropout")
    p.add_argument("--hidden-sizes", type=_csv(int), default=None, help="e.g. 512,256,128")
    p.add_argument("--hidden-activations", type=_csv(str), default=None, help="one per hidden layer, e.g. relu,gelu,tanh")
    p.add_argument("--hidden-dropout", type=_csv(float), default=None, help="one per hidden layer, e.g. 0.3,0.2,0.1")
    p.add_argument("--augment", action="store_true", help="random shifts of up to 2 pixels (and flips on CIFAR)")
    p.add_argument("--val-split", type=float, default=0.0, help="hold out this share of the training set")
    p.add_argument("--early-stopping", type=int, nargs="?", const=3, default=None, metavar="PATIENCE",
                   help="stop after PATIENCE (3) epochs without a better validation loss; restore the best weights")
    p.add_argument("--gpu", action="store_true", help="CuPy on an NVIDIA GPU")
    p.add_argument("--float32", action="store_true", help="train in float32 (default float64)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint", default=None, metavar="PATH", help="save after every epoch (plots go next to it)")
    p.add_argument("--resume", default=None, metavar="PATH", help="continue a run from its checkpoint")
    p.add_argument("--plot", action="store_true", help="write PNG plots next to the checkpoint (or into runs/)")
    p.add_argument("--profile", action="store_true", help="print a per-layer timing table of one batch")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (one line per epoch only)")
    return p


def load_data(ns: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[str, ...] | None]:
    """``x_train, y_train, x_test, y_test, class names`` of ``--data`` (``--limit`` applied)."""
    names = None
    if ns.data is None:
        dl = lib("data.download")
        folder = dl.cache_dir(ns.data_dir) / "mnist"
        have = all((folder / n).is_file() or (folder / n[:-3]).is_file() for n in dl.FILES["mnist"])
        ns.data = "mnist" if have else "digits"
        print(f"data: {ns.data}" + ("" if have else f" (scikit-learn's bundled digits; no MNIST in {folder})"))
    if ns.data == "digits":
        d = lib("data.digits")
        (xtr, ytr), (xte, yte) = d.load_digits("train"), d.load_digits("test")
    elif ns.data in ("mnist", "fashion-mnist"):
        m = lib("data.mnist")
        kw = dict(data_dir=ns.data_dir, dataset=ns.data, redownload=ns.redownload)
        (xtr, ytr), (xte, yte) = m.load_mnist("train", **kw), m.load_mnist("test", **kw)
        names = m.FASHION_CLASSES if ns.data == "fashion-mnist" else None
    else:
        c = lib("data.cifar")
        (xtr, ytr), (xte, yte) = (c.load_cifar10(s, ns.data_dir, redownload=ns.redownload) for s in ("train", "test"))
        names = c.CIFAR10_CLASSES
    if ns.data == "digits" and ns.model in CNNS:   # 8x8 is too small for the CNNs' pooling: 3x nearest, pad 2 -> 28x28
        xtr, xte = (np.pad(x.repeat(3, axis=2).repeat(3, axis=3), ((0, 0), (0, 0), (2, 2), (2, 2))) for x in (xtr, xte))
    if ns.limit:
        xtr, ytr = xtr[:ns.limit], ytr[:ns.limit]
    if ns.test_limit:
        xte, yte = xte[:ns.test_limit], yte[:ns.test_limit]
    return xtr, ytr, xte, yte, names


def build_mlp(ns: argparse.Namespace, n_in: int, n_out: int, rng: np.random.Generator, dtype: Any) -> Any:
    """Flatten, then ``[Linear, (BatchNorm1d), activation, (Dropout)]`` per hidden size, then Linear."""
    module, nn = lib("module"), {k: lib(f"nn.{k}") for k in ("linear", "relu", "activations", "flatten", "dropout", "batchnorm")}
    sizes = ns.hidden_sizes or [512, 256, 128]
    acts = ns.hidden_activations or ["relu"] * len(sizes)
    drops = ns.hidden_dropout or [ns.dropout] * len(sizes)
    make = {"relu": nn["relu"].ReLU, "gelu": nn["activations"].GELU, "tanh": nn["activations"].Tanh,
            "sigmoid": nn["activations"].Sigmoid, "silu": nn["activations"].SiLU, "leaky_relu": nn["activations"].LeakyReLU}
    layers: list[Any] = [nn["flatten"].Flatten()]
    prev = n_in
    for h, a, p in zip(sizes, acts, drops):
        layers.append(nn["linear"].Linear(prev, h, rng=rng, dtype=dtype))
        if ns.batchnorm:
            layers.append(nn["batchnorm"].BatchNorm1d(h, dtype=dtype))
        layers.append(make[a]())
        if p > 0:
            layers.append(nn["dropout"].Dropout(p, rng=rng))
        prev = h
    layers.append(nn["linear"].Linear(prev, n_out, rng=rng, dtype=dtype))
    return module.Sequential(*layers)


def build_model(ns: argparse.Namespace, shape: tuple[int, ...], n_out: int, rng: np.random.Generator, dtype: Any) -> Any:
    if ns.model == "mlp":
        return build_mlp(ns, int(np.prod(shape)), n_out, rng, dtype)
    file, cls = CNNS[ns.model]
    kw: dict[str, Any] = dict(num_classes=n_out, in_channels=shape[0], image_size=shape[1], rng=rng, dtype=dtype)
    if ns.model in ("alexnet", "vgg16", "efficientnet") and ns.dropout:
        kw["dropout"] = ns.dropout
    return getattr(lib(f"models.{file}"), cls)(**kw)


def build_optimizer(ns: argparse.Namespace, params: list[Any]) -> tuple[Any, Any]:
    lr = ns.lr if ns.lr is not None else (0.05 if ns.optimizer == "sgd" else 1e-3)
    if ns.optimizer == "sgd":
        opt = lib("optim.sgd").SGD(params, lr, momentum=ns.momentum, nesterov=ns.nesterov, weight_decay=ns.weight_decay)
    elif ns.optimizer == "adam":
        opt = lib("optim.adam").Adam(params, lr, weight_decay=ns.weight_decay)
    else:
        opt = lib("optim.adam").AdamW(params, lr, weight_decay=ns.weight_decay or 1e-2)
    sched_mod = lib("optim.schedules")
    schedule = {"none": lambda: None,
                "multistep": lambda: sched_mod.MultiStepLR(opt, sched_mod.default_milestones(ns.epochs)),
                "cosine": lambda: sched_mod.CosineAnnealingLR(opt, ns.epochs),
                "plateau": lambda: sched_mod.ReduceLROnPlateau(opt, patience=1)}[ns.lr_schedule]()
    if ns.lookahead:
        opt = lib("optim.lookahead").Lookahead(opt, k=ns.lookahead_k, alpha=ns.lookahead_alpha)
    return opt, schedule


def make_augment(ns: argparse.Namespace) -> Any:
    if not ns.augment:
        return None
    aug = lib("data.augment")
    flip = ns.data == "cifar10"

    def augment(x: Any, rng: np.random.Generator) -> Any:
        x = aug.random_shift(x, 2, rng=rng)
        return aug.horizontal_flip(x, 0.5, rng=rng) if flip else x
    return augment


class Progress:
    """A tqdm bar for one epoch: loss, accuracy and samples per second (tqdm prints the ETA)."""

    def __init__(self, total: int, epoch: int, epochs: int, enabled: bool) -> None:
        self.bar = None
        if enabled:
            from tqdm import tqdm
            self.bar = tqdm(total=total, desc=f"epoch {epoch}/{epochs}", unit="img", leave=False, dynamic_ncols=True)
        self.loss = self.hits = self.seen = 0.0

    def __call__(self, n: int, loss: float, hits: int) -> None:
        self.loss += loss * n
        self.hits += hits
        self.seen += n
        if self.bar is not None:
            self.bar.update(n)
            self.bar.set_postfix(loss=f"{self.loss / self.seen:.4f}", acc=f"{self.hits / self.seen:.3f}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def unfinished(exc: NotImplementedError) -> str:
    """The message for a library that is not complete enough, naming the task the stub belongs to."""
    text = str(exc)
    m = re.search(r"Task (\d\d\.\d+)", text)
    where = ""
    tb = exc.__traceback__
    while tb is not None:
        if f"{PKG}/" in tb.tb_frame.f_code.co_filename.replace("\\", "/"):
            code = tb.tb_frame.f_code
            where = f" ({Path(code.co_filename).name}: {getattr(code, 'co_qualname', code.co_name)})"
        tb = tb.tb_next
    if m:
        tid = m.group(1)
        return (f"Your library cannot run this yet: {text}{where} is not written.\n"
                f"Finish it first: make test A={tid[:2]} T={tid} V=1")
    return f"Your library cannot run this yet: {text}{where}"


def run_scalar(ns: argparse.Namespace, data: tuple[Any, ...]) -> int:
    xtr, ytr, xte, yte, _ = data
    st = lib("train.scalar_tier")
    rng = np.random.default_rng(ns.seed)
    sizes = ns.hidden_sizes or [32, 16]
    acts = ns.hidden_activations or ["relu"] * len(sizes)
    net = st.ScalarMLP([int(np.prod(xtr.shape[1:])), *sizes, 10], acts, ns.hidden_dropout, rng=rng)
    xtr2, xte2 = xtr.reshape(len(xtr), -1).astype(np.float64), xte.reshape(len(xte), -1).astype(np.float64)
    lr = ns.lr if ns.lr is not None else 0.1
    print(f"scalar MLP {' -> '.join(map(str, [xtr2.shape[1], *sizes, 10]))} ({', '.join(acts)}), "
          f"{len(net.parameters())} parameters, every one a Python float; {len(xtr2)} training images")
    for epoch in range(1, ns.epochs + 1):
        start = time.perf_counter()
        order = rng.permutation(len(xtr2))
        prog = Progress(len(order), epoch, ns.epochs, not ns.no_progress)
        for i in range(0, len(order), ns.batch_size):
            idx = order[i:i + ns.batch_size]
            loss, hits = net.train_batch(xtr2[idx], ytr[idx], lr)
            prog(len(idx), loss, hits)
        prog.close()
        tl, ta = prog.loss / prog.seen, prog.hits / prog.seen
        vl, va = net.evaluate(xte2, yte)
        dt = time.perf_counter() - start
        print(f"epoch {epoch}/{ns.epochs}  train loss {tl:.4f} acc {ta:.2%}  test loss {vl:.4f} acc {va:.2%}  "
              f"{dt:.1f}s ({len(order) / dt:.0f} img/s)")
    return 0


def run(ns: argparse.Namespace) -> int:
    if ns.gpu:   # before anything is loaded: a machine without a GPU is told so at once
        lib("backend").set_backend("cupy")
    data = load_data(ns)
    if ns.model == "scalar-mlp":
        return run_scalar(ns, data)
    xtr, ytr, xte, yte, names = data
    dtype = np.float32 if ns.float32 else np.float64
    rng = np.random.default_rng(ns.seed)
    n_classes = int(max(ytr.max(), yte.max())) + 1
    model = build_model(ns, tuple(xtr.shape[1:]), n_classes, rng, dtype)
    optimizer, schedule = build_optimizer(ns, model.parameters())
    loader_mod = lib("data.loader")
    val_loader = None
    if ns.val_split > 0:
        tr_idx, va_idx = lib("data.split").train_val_split(len(xtr), ns.val_split, rng=rng)
        xtr, ytr, xva, yva = xtr[tr_idx], ytr[tr_idx], xtr[va_idx], ytr[va_idx]
        val_loader = loader_mod.DataLoader(xva, yva, 256)
    train_loader = loader_mod.DataLoader(xtr, ytr, ns.batch_size, shuffle=True, rng=np.random.default_rng(ns.seed + 1))
    es = None
    if ns.early_stopping is not None and val_loader is not None:
        es = lib("train.early_stopping").EarlyStopping(ns.early_stopping)
    elif ns.early_stopping is not None:
        print("note: --early-stopping needs a validation set (--val-split); it is off")
    trainer_mod, ck = lib("train.trainer"), lib("train.checkpoint")
    trainer = trainer_mod.Trainer(model, optimizer, train_loader, val_loader, schedule=schedule, grad_clip=ns.grad_clip,
                                  accumulate=ns.accumulate, early_stopping=es, augment=make_augment(ns),
                                  rng=np.random.default_rng(ns.seed + 2), dtype=dtype)
    print(f"{ns.model} on {ns.data}: {len(xtr)} training, {len(yte)} test images of shape {tuple(xtr.shape[1:])}; "
          f"{model.num_parameters():,} parameters; {ns.optimizer}, lr {trainer.lr():g}, {np.dtype(dtype).name}, "
          f"{'cupy' if ns.gpu else 'numpy'}")
    if ns.resume:
        ck.load_checkpoint(ns.resume, trainer)
        print(f"resumed from {ns.resume} after epoch {trainer.epoch}")
    if ns.profile:
        xb, yb = next(iter(loader_mod.DataLoader(xtr, ytr, ns.batch_size)))
        b = lib("backend")
        rows = trainer_mod.layer_timing(model, b.to_device(xb, dtype=dtype), b.to_device(yb), repeats=1)
        model.zero_grad()
        print(f"per-layer time of one training step on a batch of {len(yb)}:\n" + trainer_mod.format_timing(rows))
    ckpt = Path(ns.checkpoint) if ns.checkpoint else None

    def epoch_end(t: Any, row: dict[str, float]) -> None:
        if hasattr(t.on_batch, "close"):
            t.on_batch.close()   # the bar goes before the summary line
        val = f"  val loss {row['val_loss']:.4f} acc {row['val_acc']:.2%}" if val_loader is not None else ""
        n = len(train_loader.x)
        print(f"epoch {t.epoch}/{ns.epochs}  train loss {row['train_loss']:.4f} acc {row['train_acc']:.2%}{val}  "
              f"lr {row['lr']:.3g}  {row['time']:.1f}s ({n / row['time']:.0f} img/s)"
              + ("  early stop: best weights restored" if t.stopped_early else ""), flush=True)
        if ckpt is not None:
            ck.save_checkpoint(ckpt, t, {"argv": sys.argv[1:], "model": ns.model, "data": ns.data})

    while trainer.epoch < ns.epochs and not trainer.stopped_early:
        prog = Progress(len(train_loader.x), trainer.epoch + 1, ns.epochs, not ns.no_progress)
        trainer.on_batch = prog
        try:
            trainer.fit(trainer.epoch + 1, on_epoch_end=epoch_end)
        finally:
            prog.close()
    test = trainer.evaluate(loader_mod.DataLoader(xte, yte, 256))
    ns.history, ns.test = trainer.history, test   # for the quickstarts
    print(f"test accuracy {test['acc']:.2%} (loss {test['loss']:.4f}) on {len(yte)} images")
    if ns.plot:
        folder = ckpt.parent if ckpt is not None else Path("runs")
        stem = ckpt.stem if ckpt is not None else f"{ns.model}_{ns.data}"
        pred = trainer.predict(xte)
        paths = lib("train.plots").plot_all(trainer.history, xte, yte, pred, folder, stem, n_classes, names)
        print("plots: " + ", ".join(str(p) for p in paths))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ns = parser().parse_args(argv)
    try:
        return run(ns)
    except NotImplementedError as exc:
        print(unfinished(exc), file=sys.stderr)
        return 2
    except (lib("data.download").ChecksumError, lib("train.checkpoint").CheckpointError, ConnectionError,
            RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
