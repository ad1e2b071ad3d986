"""Bulk grading benchmark (issue 15): N copies of a correct assignment-03 submission, graded as
``make grade A=03 SUBMISSION=folder`` grades a folder, with ``--jobs J``; and, for the overhead of the
sandbox, a few submissions graded the way the old sandbox did (one ``grader test`` child each,
in one process with the student's code).

    .venv/bin/python bench/bulk_grade.py [--copies 100] [--jobs 2] [--baseline 4]

Prints the wall time of the bulk run, seconds per submission, and the baseline's. Not a test:
run it by hand on an otherwise idle machine (the target: 100 copies, --jobs 2, at most 120 s on 2 cores).
"""
from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--baseline", type=int, default=4, help="submissions graded the old way (0: skip)")
    ns = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="nnott-bench-") as tmp:
        subs = Path(tmp) / "subs"
        first = subs / "student-000" / "starter"
        shutil.copytree(ROOT / "reference", first, ignore=shutil.ignore_patterns("__pycache__"))
        for k in range(1, ns.copies):
            shutil.copytree(first, subs / f"student-{k:03d}" / "starter")
        t0 = time.perf_counter()
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        p = subprocess.run([sys.executable, "-m", "grader", "grade", "03", str(subs), "--jobs", str(ns.jobs)],
                           cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        rows = list(csv.DictReader((subs / "gradebook-03.csv").open())) if p.returncode == 0 else []
        full = sum(r["total"] == "70" for r in rows)
        print(f"bulk: {ns.copies} submissions, --jobs {ns.jobs}: {wall:.1f} s wall "
              f"({wall / max(ns.copies, 1):.2f} s per submission, {wall * ns.jobs / max(ns.copies, 1):.2f} s per "
              f"submission per job); {full}/{len(rows)} at 70/70" + ("" if p.returncode == 0 else
                                                                   f"; exit {p.returncode}: {p.stderr[-500:]}"))
        print(f"cpu: {cpu:.1f} s in all (judges, workers, bwrap), {cpu / max(ns.copies, 1):.2f} s per submission; "
              f"on {ns.jobs} otherwise idle cores that is {cpu / ns.jobs:.1f} s of wall time; load average now "
              f"{os.getloadavg()[0]:.1f}")
        if ns.baseline:
            t0 = time.perf_counter()
            c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
            for k in range(ns.baseline):
                out = Path(tmp) / f"old{k}.json"
                subprocess.run([sys.executable, "-m", "grader", "test", "03", "--impl", str(first.parent), "--hidden",
                                "--format", "json", "--out", str(out)], cwd=ROOT, capture_output=True, env=env)
            old = (time.perf_counter() - t0) / ns.baseline
            c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            old_cpu = ((c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)) / ns.baseline
            new = wall * ns.jobs / max(ns.copies, 1)
            print(f"old sandbox (one grader test child per submission, student code in it): {old:.2f} s per "
                  f"submission; the judge and worker: {new:.2f} s per submission per job "
                  f"({new - old:+.2f} s per submission); cpu per submission: old {old_cpu:.2f} s, "
                  f"new {cpu / max(ns.copies, 1):.2f} s")
        return 0 if full == ns.copies else 1


if __name__ == "__main__":
    sys.exit(main())
