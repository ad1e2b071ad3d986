"""Authoritative grading holds against hostile submissions (issue 15).

Every submission of ``hostile.HOSTILE`` attacks ``make grade`` in one way (forged results, reading the
reference, rebinding the asserts, exiting 0, ignoring signals and hanging, writing the course, fork
bombs, daemons, /proc, huge outputs, pickles, lying objects, recursion bombs, BaseExceptions, file
descriptors). All of them are graded in one bulk run, as ``make grade`` grades a folder, and each
must get exactly its honest grade (``EXPECTED``: what ``grader test`` gives its defused twin in one
process). The course tree is byte-identical afterwards, nothing a submission started is still
running, and no pickle was ever loaded.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.instructor.sandbox import launch
from grader.paths import REFERENCE, ROOT

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile import HOSTILE, MARKER, build  # noqa: E402  (tests/project/hostile/, beside this file)

pytestmark = pytest.mark.timeout(900)
needs_sandbox = pytest.mark.skipif(bool(launch.problem()), reason=f"no authoritative sandbox here: {launch.problem()}")

#: the honest grade of each attack: its twin's points in one process (``grader test --hidden``)
EXPECTED: dict[str, dict[str, float]] = {
    "forged_results": {"03.1": 0, "03.2": 0, "03.3": 0, "03.4": 0, "03.5": 0},
    "reference_on_disk": {"03.1": 0, "03.2": 0, "03.3": 10, "03.4": 20, "03.5": 10},
    "rebind_asserts": {"03.1": 0.714286, "03.2": 0, "03.3": 10, "03.4": 20, "03.5": 10},
    "exit_zero": {"03.1": 10, "03.2": 20, "03.3": 2.352941, "03.4": 20, "03.5": 10},
    "ignore_alarm_and_hang": {"03.1": 10, "03.2": 20, "03.3": 0, "03.4": 20, "03.5": 10},
    "write_course_files": {"03.1": 10, "03.2": 20, "03.3": 10, "03.4": 20, "03.5": 10},
    "nan_forward": {"03.1": 0, "03.2": 18.333333, "03.3": 10, "03.4": 20, "03.5": 10},
    "relu_backward_in_place": {"03.1": 10, "03.2": 20, "03.3": 9.411765, "03.4": 20, "03.5": 10},
    "fork_bomb": {"03.1": 0, "03.2": 0, "03.3": 10, "03.4": 20, "03.5": 10},
    "background_daemon": {"03.1": 10, "03.2": 20, "03.3": 10, "03.4": 20, "03.5": 10},
    "read_proc": {"03.1": 0, "03.2": 0, "03.3": 10, "03.4": 20, "03.5": 10},
    "huge_outputs": {"03.1": 10, "03.2": 20, "03.3": 10, "03.4": 20, "03.5": 4.285714},
    "pickled_payload": {"03.1": 0, "03.2": 0, "03.3": 10, "03.4": 20, "03.5": 10},
    "lying_objects": {"03.1": 0, "03.2": 0, "03.3": 10, "03.4": 20, "03.5": 4.285714},
    "recursion_bomb": {"03.1": 0, "03.2": 0, "03.3": 10, "03.4": 20, "03.5": 4.285714},
    "base_exceptions": {"03.1": 10, "03.2": 20, "03.3": 0, "03.4": 0, "03.5": 5.714286},
    "fd_games": {"03.1": 0, "03.2": 0, "03.3": 10, "03.4": 20, "03.5": 10},
    "liar_tuple": {"01.1": 1.16129, "01.2": 14, "01.3": 10, "01.4": 14, "01.5": 10},
}

#: what the attacks aim at: none of it may change
WATCHED = ["reference", "grader", "starter", "assignments/01-tensors", "assignments/03-linear", "tests/a01_tensors",
           "tests/a03_linear", "pyproject.toml", "Makefile"]


def tree_digest() -> dict[str, str]:
    out = {}
    for top in WATCHED:
        base = ROOT / top
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for p in files:
            if "__pycache__" in p.parts:
                continue
            out[p.relative_to(ROOT).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def sandbox_processes() -> list[str]:
    """Processes still running as a sandbox user (uids from 200000 up): there must be none."""
    found = []
    for pid in (d for d in os.listdir("/proc") if d.isdigit()):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        uid = next((int(ln.split()[1]) for ln in status.splitlines() if ln.startswith("Uid:")), 0)
        if uid >= 200000:
            found.append(f"{pid} (uid {uid})")
    return found


def grade(*args: str, timeout: int = 800) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", "grade", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def points(row: dict[str, str], tasks: list[str]) -> dict[str, float]:
    return {t: round(float(row[t]), 2) for t in tasks}   # the gradebook's precision


@needs_sandbox
def test_every_attack_gets_exactly_its_honest_grade(tmp_path):
    before = tree_digest()
    if os.path.exists(MARKER):
        os.remove(MARKER)
    subs = tmp_path / "a03"
    attacks = [h for h in HOSTILE if h.assignment == "03"]
    for h in attacks:
        build(h, subs)
    p = grade("03", str(subs), "--jobs", "2", "--timeout", "2")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    rows = {r["student"]: r for r in csv.DictReader((subs / "gradebook-03.csv").open())}
    tasks = ["03.1", "03.2", "03.3", "03.4", "03.5"]
    got = {name: points(rows[name], tasks) for name in rows}
    want = {h.name: {t: round(float(v), 2) for t, v in EXPECTED[h.name].items()} for h in attacks}
    wrong = {n: (got.get(n), want[n]) for n in want if got.get(n) != want[n]}
    assert not wrong, "attacks graded unlike their honest twins (got, honest):\n" + "\n".join(
        f"  {n}: {g} != {w}  [{rows.get(n, {}).get('reason', '')[:300]}]" for n, (g, w) in wrong.items())
    assert all(rows[n]["status"] == "graded" for n in want)

    liar = next(h for h in HOSTILE if h.name == "liar_tuple")
    sub01 = build(liar, tmp_path / "a01")
    out = tmp_path / "liar.json"
    p = grade("01", str(sub01), "--timeout", "2", "--format", "json", "--out", str(out))
    assert p.returncode in (0, 1), p.stderr[-2000:]
    tasks01 = {t["id"]: round(t["earned"], 4) for t in json.loads(out.read_text())["assignments"][0]["tasks"]}
    assert tasks01 == {t: round(float(v), 4) for t, v in EXPECTED["liar_tuple"].items()}

    assert tree_digest() == before, "the course tree changed during the bulk run"
    assert not os.path.exists(MARKER), "a pickled payload was loaded somewhere"
    assert not sandbox_processes(), f"processes a submission started are still running: {sandbox_processes()}"


@needs_sandbox
def test_the_same_submission_ten_times_gives_identical_scores(tmp_path):
    """Ten copies of one submission with partial credit (dW transposed, and a forward that hangs on
    one hidden shape): ten identical rows."""
    subs = tmp_path / "ten"
    first = subs / "copy-00" / "starter"
    shutil.copytree(REFERENCE, first, ignore=shutil.ignore_patterns("__pycache__"))
    linear = first / "nn" / "linear.py"
    linear.write_text(linear.read_text().replace("self.W.grad += g2.T @ x2", "self.W.grad += x2.T @ g2"))
    for k in range(1, 10):
        shutil.copytree(first, subs / f"copy-{k:02d}" / "starter")
    p = grade("03", str(subs), "--jobs", "2", "--timeout", "3")
    assert p.returncode == 0, p.stderr[-3000:]
    rows = list(csv.DictReader((subs / "gradebook-03.csv").open()))
    assert len(rows) == 10
    cells = {tuple((k, v) for k, v in r.items() if k != "student") for r in rows}
    assert len(cells) == 1, f"ten copies, {len(cells)} different rows: {cells}"
    row = rows[0]
    assert row["03.2"] != "20" and row["03.1"] == "10" and row["total"] != "70"


def test_no_sandbox_refuses_unless_unsafe(tmp_path):
    sub = tmp_path / "sub"
    shutil.copytree(REFERENCE, sub / "starter", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "NNOTT_SANDBOX": "none"}
    p = subprocess.run([sys.executable, "-m", "grader", "grade", "03", str(sub)], cwd=ROOT, capture_output=True,
                       text=True, timeout=300, env=env)
    assert p.returncode == 2 and "no sandbox" in p.stderr and "--unsafe" in p.stderr
