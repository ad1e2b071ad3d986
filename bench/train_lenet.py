"""LeNet-5 on real MNIST: the reference library against torch on the CPU, same model, recipe and batches, float32.

    .venv/bin/python bench/train_lenet.py --data-dir ../shared/data                 # the full run (idle machine)
    .venv/bin/python bench/train_lenet.py --data-dir ../shared/data --epochs 1 --limit 6000 --test-limit 2000
    .venv/bin/python bench/train_lenet.py --data-dir ../shared/data --mlp            # the vectorised MLP figure

Both sides: the same initial weights (torch takes the library's), the same shuffled batches
(one permutation per epoch from the same seed), SGD with momentum 0.9 and Nesterov, batch 64,
lr 0.05 divided by 10 at 50% and 75% of the epochs. Prints test accuracy, training time and the
time ratio (library / torch). Targets (issue 13): at least 99.0% within 10 minutes of training,
at most 2x torch's time. The data folder comes from --data-dir or $NNOTT_DATA_DIR.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reference.data.loader import DataLoader  # noqa: E402
from reference.data.mnist import load_mnist  # noqa: E402
from reference.models.lenet import LeNet5  # noqa: E402
from reference.optim.schedules import MultiStepLR, default_milestones  # noqa: E402
from reference.optim.sgd import SGD  # noqa: E402
from reference.train.trainer import Trainer  # noqa: E402


def milestones(epochs: int) -> list[int]:
    """The seed's multistep milestones (50% and 75%), leaving out 0: torch's MultiStepLR would apply a
    milestone 0 at construction (a 1-epoch run at lr/10), the library's does not."""
    return [m for m in default_milestones(epochs) if m > 0]


def data(ns: argparse.Namespace) -> tuple[np.ndarray, ...]:
    xtr, ytr = load_mnist("train", ns.data_dir)
    xte, yte = load_mnist("test", ns.data_dir)
    if ns.limit:
        xtr, ytr = xtr[:ns.limit], ytr[:ns.limit]
    if ns.test_limit:
        xte, yte = xte[:ns.test_limit], yte[:ns.test_limit]
    return xtr, ytr, xte, yte


def run_library(model, ns, xtr, ytr, xte, yte) -> tuple[float, float]:
    opt = SGD(model.parameters(), ns.lr, momentum=0.9, nesterov=True)
    sched = MultiStepLR(opt, milestones(ns.epochs))
    loader = DataLoader(xtr, ytr, ns.batch_size, shuffle=True, rng=np.random.default_rng(ns.seed))
    t = Trainer(model, opt, loader, schedule=sched, dtype=np.float32)
    start = time.perf_counter()
    t.fit(ns.epochs, on_epoch_end=lambda tr, row: print(f"  library epoch {tr.epoch}: loss {row['train_loss']:.4f} "
                                                          f"acc {row['train_acc']:.2%} {row['time']:.1f}s", flush=True))
    elapsed = time.perf_counter() - start
    return t.evaluate(DataLoader(xte, yte, 1000))["acc"], elapsed


def run_torch(model, ns, xtr, ytr, xte, yte) -> tuple[float, float]:
    import torch
    import torch.nn as tnn
    torch.set_num_threads(os.cpu_count() or 1)
    net = tnn.Sequential(tnn.Conv2d(1, 6, 5, padding=2), tnn.Tanh(), tnn.AvgPool2d(2), tnn.Conv2d(6, 16, 5), tnn.Tanh(),
                         tnn.AvgPool2d(2), tnn.Flatten(), tnn.Linear(400, 120), tnn.Tanh(), tnn.Linear(120, 84), tnn.Tanh(),
                         tnn.Linear(84, 10))
    sd = model.state_dict()
    keys = ["features.0", "features.3", "classifier.0", "classifier.2", "classifier.4"]
    mods = [net[0], net[3], net[7], net[9], net[11]]
    with torch.no_grad():
        for k, m in zip(keys, mods):
            m.weight.copy_(torch.from_numpy(np.asarray(sd[k + ".weight"], dtype=np.float32)))
            m.bias.copy_(torch.from_numpy(np.asarray(sd[k + ".bias"], dtype=np.float32)))
    opt = torch.optim.SGD(net.parameters(), ns.lr, momentum=0.9, nesterov=True)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones(ns.epochs), 0.1)
    rng = np.random.default_rng(ns.seed)
    xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
    start = time.perf_counter()
    for epoch in range(ns.epochs):
        net.train()
        perm = torch.from_numpy(rng.permutation(len(ytr)))
        t0, total = time.perf_counter(), 0.0
        for k in range(0, len(ytr), ns.batch_size):
            idx = perm[k:k + ns.batch_size]
            opt.zero_grad()
            loss = tnn.functional.cross_entropy(net(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        print(f"  torch   epoch {epoch + 1}: loss {total / len(ytr):.4f} {time.perf_counter() - t0:.1f}s", flush=True)
    elapsed = time.perf_counter() - start
    net.eval()
    with torch.no_grad():
        acc = float((net(torch.from_numpy(xte)).argmax(1).numpy() == yte).mean())
    return acc, elapsed


def run_mlp(ns, xtr, ytr, xte, yte) -> None:
    from reference.module import Sequential
    from reference.nn.batchnorm import BatchNorm1d
    from reference.nn.dropout import Dropout
    from reference.nn.flatten import Flatten
    from reference.nn.linear import Linear
    from reference.nn.relu import ReLU
    from reference.optim.schedules import CosineAnnealingLR
    rng = np.random.default_rng(ns.seed)
    layers, prev = [Flatten()], 784
    for h in (512, 256, 128):
        layers += [Linear(prev, h, rng=rng, dtype=np.float32), BatchNorm1d(h, dtype=np.float32), ReLU(), Dropout(0.2, rng=rng)]
        prev = h
    model = Sequential(*layers, Linear(prev, 10, rng=rng, dtype=np.float32))
    opt = SGD(model.parameters(), 0.1, momentum=0.9, nesterov=True)
    loader = DataLoader(xtr, ytr, 128, shuffle=True, rng=np.random.default_rng(ns.seed))
    t = Trainer(model, opt, loader, schedule=CosineAnnealingLR(opt, ns.epochs), dtype=np.float32)
    t.fit(ns.epochs, on_epoch_end=lambda tr, row: print(f"  mlp epoch {tr.epoch}: loss {row['train_loss']:.4f} "
                                                          f"{row['time']:.1f}s", flush=True))
    acc = t.evaluate(DataLoader(xte, yte, 1000))["acc"]
    print(f"MLP 784-512-256-128-10 (BatchNorm, dropout 0.2), {len(ytr)} images, {ns.epochs} epochs: test accuracy "
          f"{acc:.2%}, {np.mean(t.history['time']):.1f} s per epoch")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--test-limit", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--mlp", action="store_true", help="the vectorised MLP figure instead")
    ns = p.parse_args()
    xtr, ytr, xte, yte = data(ns)
    if ns.mlp:
        run_mlp(ns, xtr, ytr, xte, yte)
        return 0
    print(f"LeNet-5, float32, {len(ytr)} training and {len(yte)} test images, {ns.epochs} epochs, batch {ns.batch_size}, "
          f"{os.cpu_count()} cores")
    model = LeNet5(rng=np.random.default_rng(ns.seed), dtype=np.float32)
    init = {k: np.array(v) for k, v in model.state_dict().items()}
    tacc, ttime = run_torch(model, ns, xtr, ytr, xte, yte)
    model.load_state_dict(init)
    lacc, ltime = run_library(model, ns, xtr, ytr, xte, yte)
    print(f"torch CPU: test accuracy {tacc:.2%}, training {ttime:.1f} s")
    print(f"library:   test accuracy {lacc:.2%}, training {ltime:.1f} s")
    print(f"ratio library/torch: {ltime / ttime:.2f}x (target <= 2x); library within 10 min and >= 99.0%: "
          f"{'yes' if ltime <= 600 and lacc >= 0.99 else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
