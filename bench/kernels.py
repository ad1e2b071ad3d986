"""Every kernel benchmark of the course: the reference library against torch CPU, float32.

Run: .venv/bin/python bench/kernels.py [--only NAME ...] [--repeat 5] [--threads N]

Each case (``bench/kernel_cases/*.py``) is timed in separate child processes, one for the
library and one for torch, alternating, ``--repeat`` times each; every child warms up and then
reports the median of its timed steps and its peak resident memory. The parent prints, per case,

    NAME ... nnott=12.3ms torch=8.1ms ratio=1.52 goal=1.50 peak=310/290MB

and last ``kernels: N within goal, M over``. Where the environment sets ``OPENBLAS_CORETYPE`` and
``OPENBLAS_L2_SIZE`` (a workaround for old OpenBLAS builds that slows a current NumPy), both are
unset for the children only, and the BLAS that NumPy runs is printed (threadpoolctl).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _child_env(threads: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    return env


def child(name: str, side: str, steps: int, threads: int) -> None:
    from kernel_cases import all_cases
    case = all_cases()[name]
    if side == "torch":
        import torch
        torch.set_num_threads(threads)
        step = case.torch()
    else:
        import reference as lib
        step = case.nnott(lib)
    step()
    step()                                  # warm up: caches, allocator, BLAS threads
    times = []
    deadline = time.perf_counter() + 20.0
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() > deadline and len(times) >= 3:
            break
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"median": statistics.median(times), "peak_mb": peak_mb}))


def blas_info(env: dict[str, str]) -> str:
    code = ("import numpy, json\n"
            "try:\n from threadpoolctl import threadpool_info\n"
            " print(json.dumps([(i.get('internal_api'), i.get('architecture'), i.get('num_threads')) "
            "for i in threadpool_info() if i.get('user_api') == 'blas']))\n"
            "except ImportError:\n print('threadpoolctl not installed')\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return out.stdout.strip() or out.stderr.strip()


def run_side(name: str, side: str, steps: int, threads: int, env: dict[str, str]) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", name, "--side", side, "--steps", str(steps),
           "--threads", str(threads)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"{name} ({side}) failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", action="append", default=[], help="run only this case (repeatable; a prefix works)")
    ap.add_argument("--repeat", type=int, default=3, help="child processes per side and case (median taken)")
    ap.add_argument("--steps", type=int, default=10, help="timed steps per child")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--side", default=None, help=argparse.SUPPRESS)
    ns = ap.parse_args()
    if ns.child:
        child(ns.child, ns.side, ns.steps, ns.threads)
        return 0
    from kernel_cases import all_cases
    cases = all_cases()
    if ns.list:
        for name, case in cases.items():
            print(f"{name:<40} goal={case.goal:.2f}  {case.note}")
        return 0
    chosen = [n for n in cases if not ns.only or any(n.startswith(o) for o in ns.only)]
    if not chosen:
        print(f"no case matches {ns.only}; cases: {', '.join(cases)}", file=sys.stderr)
        return 2
    env = _child_env(ns.threads)
    print(f"# threads={ns.threads}  numpy BLAS: {blas_info(env)}")
    within = over = 0
    for name in chosen:
        case = cases[name]
        lib_runs, torch_runs = [], []
        for _ in range(ns.repeat):
            lib_runs.append(run_side(name, "nnott", ns.steps, ns.threads, env))
            torch_runs.append(run_side(name, "torch", ns.steps, ns.threads, env))
        lib_t = statistics.median(r["median"] for r in lib_runs)
        torch_t = statistics.median(r["median"] for r in torch_runs)
        ratio = lib_t / torch_t
        peak = f"{max(r['peak_mb'] for r in lib_runs):.0f}/{max(r['peak_mb'] for r in torch_runs):.0f}MB"
        ok = ratio <= case.goal
        within += ok
        over += not ok
        print(f"{name} ... nnott={lib_t * 1e3:.2f}ms torch={torch_t * 1e3:.2f}ms ratio={ratio:.2f} "
              f"goal={case.goal:.2f} peak={peak}{'' if ok else '  OVER'}", flush=True)
    print(f"kernels: {within} within goal, {over} over")
    return 0


if __name__ == "__main__":
    sys.exit(main())
