"""Narrated experiments: ``python -m <package>.train.quickstart TIER SCENARIO [training options]``.

Tiers and scenarios (``make quickstart TIER=... SCENARIO=...``):

* ``scalar``: ``basic`` (a loop-based MLP on a few hundred images, to feel how slow Python
  loops are), ``hidden-sweep`` (two widths side by side).
* ``vectorized``: ``basic`` (784-512-256-128-10 style MLP with BatchNorm, dropout, cosine schedule,
  validation split and early stopping), ``hidden-sweep`` (three widths), ``optimizer-swap``
  (SGD with momentum against Adam on the same network and data, one overlaid plot).
* ``cnn``: ``basic`` (LeNet-5), ``optimizer-swap`` (LeNet-5 with SGD and with Adam), ``lookahead``
  (LeNet-5 with and without Lookahead).

Every extra option goes to the training command (``--data mnist --data-dir DIR``, ``--epochs``...).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

from .cli import parser, run

SCENARIOS = {
    "scalar": {
        "basic": ("A scalar MLP: every weight is a Python float and every multiply a Python operation. Watch the "
                  "images per second: the vectorised tier does the same work about a thousand times faster.",
                  [["scalar-mlp", "--epochs", "1", "--limit", "300", "--test-limit", "200", "--hidden-sizes", "32,16",
                    "--hidden-activations", "relu,tanh", "--hidden-dropout", "0.1,0.0", "--batch-size", "16"]]),
        "hidden-sweep": ("The same scalar MLP with 8 and then 32 hidden neurons: time grows with the width.",
                         [["scalar-mlp", "--epochs", "1", "--limit", "200", "--test-limit", "200", "--hidden-sizes", h,
                           "--batch-size", "16"] for h in ("8", "32")]),
    },
    "vectorized": {
        "basic": ("The vectorised MLP: matrix products instead of loops, BatchNorm, dropout 0.2, a cosine schedule, "
                  "10% of the training set held out for validation and early stopping on it.",
                  [["mlp", "--epochs", "5", "--hidden-sizes", "512,256,128", "--batchnorm", "--dropout", "0.2",
                    "--lr-schedule", "cosine", "--val-split", "0.1", "--early-stopping"]]),
        "hidden-sweep": ("Three widths of the same MLP: does a wider network fit better, or only faster?",
                         [["mlp", "--epochs", "3", "--hidden-sizes", h, "--batchnorm"] for h in ("32", "128,64", "512,256,128")]),
        "optimizer-swap": ("SGD with momentum and Adam on the same network, data and seed: compare the loss curves "
                           "(one overlaid plot).",
                           [["mlp", "--epochs", "4", "--hidden-sizes", "256,128", "--optimizer", o] for o in ("sgd", "adam")]),
    },
    "cnn": {
        "basic": ("LeNet-5 (two convolutions, tanh, average pooling) trained with SGD and a multistep schedule.",
                  [["lenet", "--epochs", "2", "--lr-schedule", "multistep"]]),
        "optimizer-swap": ("LeNet-5 with SGD with momentum, then with Adam: same weights at the start, same batches.",
                           [["lenet", "--epochs", "2", "--optimizer", o] for o in ("sgd", "adam")]),
        "lookahead": ("LeNet-5 with and without Lookahead (k=5, alpha=0.5) around SGD.",
                      [["lenet", "--epochs", "2"], ["lenet", "--epochs", "2", "--lookahead"]]),
    },
}


def overlay(runs: list[tuple[str, dict]], path: Path) -> Path:
    """Training and validation-free loss curves of several runs on one plot."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for label, h in runs:
        e = range(1, len(h["train_loss"]) + 1)
        a.plot(e, h["train_loss"], "o-", label=label)
        b.plot(e, h["train_acc"], "o-", label=label)
    for ax, name in ((a, "training loss"), (b, "training accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 2 or argv[0] not in SCENARIOS or argv[1] not in SCENARIOS[argv[0]]:
        print(__doc__)
        print("scenarios: " + "; ".join(f"{t}: {', '.join(s)}" for t, s in SCENARIOS.items()))
        return 2
    tier, scenario, extra = argv[0], argv[1], argv[2:]
    story, commands = SCENARIOS[tier][scenario]
    print(f"== quickstart {tier} / {scenario} ==\n{story}\n")
    runs = []
    for i, cmd in enumerate(commands, 1):
        ns = parser().parse_args(cmd + extra)
        print(f"-- run {i}/{len(commands)}: python -m {__package__} {' '.join(cmd + extra)}", flush=True)
        try:
            run(ns)
        except NotImplementedError as exc:
            from .cli import unfinished
            print(unfinished(exc), file=sys.stderr)
            return 2
        if getattr(ns, "history", None):
            opts = cmd[1:]
            label = " ".join(a for i, a in enumerate(opts) if a != "--epochs" and (i == 0 or opts[i - 1] != "--epochs"))
            runs.append((label, ns.history))
        print()
    if len(runs) > 1:
        path = overlay(runs, Path("runs") / f"quickstart_{tier}_{scenario}.png")
        print(f"overlaid curves: {path}")
        for label, h in runs:
            print(f"  {label:<40} final training loss {h['train_loss'][-1]:.4f}, accuracy {h['train_acc'][-1]:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
