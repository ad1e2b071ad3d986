"""Principle 4: a mistake in BatchNorm costs points in 05 only, not in the blocks (09) or the models (10.1)
that are built on it; 09's report says, as a zero-point advisory line, that the block fails on the
student's own layers."""
import json
import subprocess
import sys

import pytest

from grader import manifest
from grader.paths import ROOT

pytestmark = pytest.mark.timeout(1200)

# BatchNorm2d's backward without the mean-of-gradient terms (a mutant of 05.4)
FIND = "dx = xhat * (dgamma / size).reshape(1, c, 1, 1)\n        dx += (dbeta / size).reshape(1, c, 1, 1)\n"
REPLACE = "dx = xhat * 0.0\n"


def grade(sub, assignment, *tasks, hidden=False):
    args = [sys.executable, "-m", "grader", "test", assignment, "--impl", str(sub), "--format", "json"]
    args += ["--hidden"] if hidden else []
    for t in tasks:
        args += ["--task", t]
    p = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=1100)
    assert p.stdout, p.stderr
    return {t["id"]: t for t in json.loads(p.stdout)["assignments"][0]["tasks"]}


def test_a_batchnorm_mistake_costs_points_in_05_only(reference_copy):
    sub = reference_copy(edits={"nn/batchnorm.py": [(FIND, REPLACE)]})
    a05 = grade(sub, "05", hidden=True)
    assert a05["05.4"]["earned"] < a05["05.4"]["points"]
    assert all(t["earned"] == t["points"] for k, t in a05.items() if k != "05.4")
    a09 = grade(sub, "09")
    assert all(t["earned"] == t["points"] for t in a09.values()), {k: t["earned"] for k, t in a09.items()}
    a10 = grade(sub, "10", "10.1")
    assert a10["10.1"]["earned"] == a10["10.1"]["points"]
    # the advisory line: the blocks pass on the reference's BatchNorm, not on the student's own
    advisory = [t["advisory"] for t in a09.values() if t["advisory"]]
    uses_bn = [t.id for t in manifest.resolve("09").tasks if "nn/batchnorm.py" in t.uses_reference]
    assert uses_bn and len(advisory) >= 1
    assert all("on your own layers it does not" in a09[k]["advisory"] for k in uses_bn if a09[k]["advisory"])
