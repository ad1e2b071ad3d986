"""Wall time of the student's command, `make test A=NN`, with .venv already built.

Run: .venv/bin/python bench/make_test_wall.py [--assignment 03] [--runs 7] [--impl starter]
Prints the minimum, median and maximum over the runs and the share spent
importing PyTorch (measured in its own process), so a regression in the
grader's own overhead stands out from the oracle's import cost.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--assignment", default="03")
    ap.add_argument("--impl", default="starter")
    ap.add_argument("--runs", type=int, default=7)
    ns = ap.parse_args()
    if not (ROOT / ".venv" / ".installed-test").exists():
        print("build .venv first: make setup", file=sys.stderr)
        return 2
    cmd = ["make", "--no-print-directory", "test", f"A={ns.assignment}", f"IMPL={ns.impl}"]
    wall(cmd)  # warm the file cache
    times = [wall(cmd) for _ in range(ns.runs)]
    torch = min(wall([str(ROOT / ".venv/bin/python"), "-c", "import torch"]) for _ in range(3))
    print(f"make test A={ns.assignment} IMPL={ns.impl}: min {min(times):.2f}s  median {statistics.median(times):.2f}s  "
          f"max {max(times):.2f}s over {ns.runs} runs; `import torch` alone: {torch:.2f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
