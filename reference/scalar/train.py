"""Train the loop-based scalar network on a small 2-D toy set, and trace one sample by hand.

Run it from the repository root::

    python -m starter.scalar.train                       # 2 -> 8 -> 8 -> 1, tanh, two moons
    python -m starter.scalar.train --epochs 100 --lr 0.1 --hidden 16 --seed 3
    python -m starter.scalar.train --trace --epochs 0    # one sample, neuron by neuron

The data are two interleaving half-circles ("two moons", 100 points, labels
-1 and +1) made by :func:`make_moons` below. The network has one linear
output trained with the mean squared error towards the label; a point counts
as correct when the output has the label's sign.

``--trace`` prints, for the first sample, every neuron's ``z`` and ``a`` on
the way forward, then its ``dL/dz``, ``dL/db`` and ``dL/dw`` on the way back,
next to the same gradients computed by the ``Value`` engine (tasks 02.1 to
02.3) on a graph built from the same weights. The two columns must agree.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from typing import Sequence

import numpy as np

from .network import Network, mse, train_step
from .value import Value

__all__ = ["make_moons", "accuracy", "engine_gradients", "trace", "main"]


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[list[float]]]:
    """Two interleaving half-circles in the plane, roughly centred on the origin.

    Returns:
        ``(xs, ys)``: ``n`` points, each a list ``[x1, x2]``, and ``n`` targets,
        each ``[-1.0]`` (upper moon) or ``[1.0]`` (lower moon).
    """
    rng = np.random.default_rng(seed)
    upper = n // 2
    angles = rng.uniform(0.0, math.pi, size=n)
    xs, ys = [], []
    for i, t in enumerate(angles):
        if i < upper:
            px, py, label = math.cos(t), math.sin(t), -1.0
        else:
            px, py, label = 1.0 - math.cos(t), 0.5 - math.sin(t), 1.0
        px += noise * rng.standard_normal()
        py += noise * rng.standard_normal()
        xs.append([px - 0.5, 2.0 * (py - 0.25)])
        ys.append([label])
    return xs, ys


def accuracy(net: Network, xs: Sequence[Sequence[float]], ys: Sequence[Sequence[float]]) -> float:
    """The fraction of samples whose first output has the sign of the label."""
    right = sum((net.forward(x)[0] > 0) == (y[0] > 0) for x, y in zip(xs, ys))
    return right / len(xs)


def mean_loss(net: Network, xs: Sequence[Sequence[float]], ys: Sequence[Sequence[float]]) -> float:
    """The mean squared error over the whole set (no gradients)."""
    return sum(mse(net.forward(x), y)[0] for x, y in zip(xs, ys)) / len(xs)


def engine_gradients(net: Network, x: Sequence[float], y: Sequence[float]) -> list[list[tuple[list[float], float]]]:
    """dL/dw and dL/db of one sample's loss, computed by the ``Value`` engine from the network's weights.

    Returns:
        For each layer, for each neuron, ``(dL/dw as a list, dL/db)``.
    """
    weights = [[([Value(w.data) for w in n.w], Value(n.b.data)) for n in layer.neurons] for layer in net.layers]
    out: list[Value] = [Value(v) for v in x]
    for layer, params in zip(net.layers, weights):
        nxt = []
        for neuron, (w, b) in zip(layer.neurons, params):
            z = b
            for wi, xi in zip(w, out):
                z = z + wi * xi
            act = neuron.activation
            nxt.append(z if act == "linear" else getattr(z, act)())
        out = nxt
    loss = sum(((p - t) ** 2 for p, t in zip(out, y)), Value(0.0)) / len(y)
    loss.backward()
    return [[([wi.grad for wi in w], b.grad) for w, b in params] for params in weights]


def _fmt(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:+.5f}" for v in values) + "]"


def trace(net: Network, x: Sequence[float], y: Sequence[float]) -> None:
    """Print one sample's forward values and gradients, neuron by neuron, with the engine's gradients beside them."""
    print(f"trace of one sample: x = {_fmt(x)}, target = {_fmt(y)}")
    print("forward:")
    pred = net.forward(x)
    for li, layer in enumerate(net.layers):
        for ni, n in enumerate(layer.neurons):
            print(f"  layer {li} neuron {ni} ({n.activation:7s}) z = {n.z:+.5f}  a = {n.a:+.5f}")
    loss, grad = mse(pred, y)
    print(f"loss = {loss:.6f}, dL/d(output) = {_fmt(grad)}")
    net.zero_grad()
    grad_x = net.backward(grad)
    try:
        engine = engine_gradients(net, x, y)
    except NotImplementedError as exc:
        engine = None
        print(f"(the engine column needs the Value engine: {exc})")
    print("backward (yours, then the Value engine's):")
    worst = 0.0
    for li, layer in enumerate(net.layers):
        for ni, n in enumerate(layer.neurons):
            dw = [w.grad for w in n.w]
            print(f"  layer {li} neuron {ni}: dL/dz = dL/db = {n.b.grad:+.5f}  dL/dw = {_fmt(dw)}")
            if engine is not None:
                e_dw, e_db = engine[li][ni]
                print(f"  {'engine':>{15 + len(str(li)) + len(str(ni))}}: dL/db = {e_db:+.5f}  dL/dw = {_fmt(e_dw)}")
                for a, b in zip(dw + [n.b.grad], e_dw + [e_db]):
                    worst = max(worst, abs(a - b) / max(1e-8, abs(a) + abs(b)))
    print(f"dL/dx = {_fmt(grad_x)}")
    if engine is not None:
        verdict = "they agree" if worst <= 1e-7 else "they DISAGREE: check your Neuron.backward and Layer.backward"
        print(f"largest relative difference between the two: {worst:.2e} ({verdict})")
    net.zero_grad()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m starter.scalar.train",
                                description="Train the loop-based scalar network on two moons.")
    p.add_argument("--epochs", type=int, default=60, help="passes over the data (default 60)")
    p.add_argument("--lr", type=float, default=0.2, help="learning rate (default 0.2)")
    p.add_argument("--hidden", default="8,8", help="hidden layer sizes, comma-separated (default 8,8)")
    p.add_argument("--activation", default="tanh", choices=["tanh", "sigmoid", "relu"],
                   help="activation of the hidden layers (default tanh)")
    p.add_argument("--batch-size", type=int, default=10, help="samples per step (default 10)")
    p.add_argument("--points", type=int, default=100, help="size of the toy set (default 100)")
    p.add_argument("--seed", type=int, default=0, help="seed for the data, the weights and the shuffling")
    p.add_argument("--trace", action="store_true", help="print one sample's values and gradients neuron by neuron")
    ns = p.parse_args(argv)
    try:
        ns.hidden_sizes = [int(h) for h in ns.hidden.split(",") if h.strip()]
    except ValueError:
        p.error(f"--hidden takes sizes like 8,8, got {ns.hidden!r}")
    if any(h <= 0 for h in ns.hidden_sizes) or ns.batch_size <= 0 or ns.points < 2 or ns.epochs < 0:
        p.error("sizes, --batch-size and --points must be positive, and --epochs not negative")
    return ns


def run(ns: argparse.Namespace) -> None:
    xs, ys = make_moons(ns.points, seed=ns.seed)
    rng = np.random.default_rng(ns.seed)
    net = Network([2, *ns.hidden_sizes, 1], activation=ns.activation, output_activation="linear", rng=rng)
    n_params = len(net.parameters())
    print(f"{net}: {n_params} parameters, {len(xs)} points, lr {ns.lr}, batch size {ns.batch_size}")
    if ns.trace:
        trace(net, xs[0], ys[0])
    t0 = time.perf_counter()
    if ns.epochs:
        print(f"before training: loss {mean_loss(net, xs, ys):.4f}  accuracy {accuracy(net, xs, ys):6.1%}")
    for epoch in range(1, ns.epochs + 1):
        order = rng.permutation(len(xs))
        losses = []
        for start in range(0, len(xs), ns.batch_size):
            idx = order[start:start + ns.batch_size]
            losses.append(train_step(net, [xs[i] for i in idx], [ys[i] for i in idx], ns.lr) * len(idx))
        print(f"epoch {epoch:3d}/{ns.epochs}  loss {sum(losses) / len(xs):.4f}  "
              f"accuracy {accuracy(net, xs, ys):6.1%}")
    if ns.epochs:
        print(f"after training: loss {mean_loss(net, xs, ys):.4f}  accuracy {accuracy(net, xs, ys):6.1%}  "
              f"({time.perf_counter() - t0:.1f}s)")


def main(argv: Sequence[str] | None = None) -> int:
    ns = parse_args(argv)
    try:
        run(ns)
    except NotImplementedError as exc:
        print(f"\nstopped: {exc or 'a stub'} is not written yet.\n"
              f"Fill in the block that raises NotImplementedError in starter/, check it with `make test A=02`, "
              f"then run this again.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
