"""The GitHub Classroom and Gradescope reports, field by field."""
import base64
import json
import subprocess
import sys

import pytest

from grader.formats import classroom_error, classroom_result, gradescope_result
from grader.manifest import Assignment, Task
from grader.names import parse
from grader.outcome import TestRecord as Record
from grader.paths import ROOT
from grader.report import FORMATS
from grader.results import RunResult
from grader.scoring import score

pytestmark = pytest.mark.timeout(300)

A = Assignment("09", "09-x", "Things", "", ROOT, (
    Task("09.1", "one", 10, (parse("m.py::f"),)),
    Task("09.2", "two", 6, (parse("m.py::g"),)),
    Task("09.3", "three", 4, (parse("m.py::h"),)),
))

CLASSROOM_TEST_KEYS = {"name", "status", "score", "message", "test_code", "filename", "line_no", "duration"}


def rec(task, outcome, n, hidden=False, msg="", line=7):
    folder = "tests/a09_x/hidden" if hidden else "tests/a09_x"
    return Record(f"{folder}/test_{task}.py::t{n}", f"t{n}", task, hidden, outcome, msg, 0.25, f"{folder}/test_{task}.py", line)


def results(records, hidden=True, problems=()):
    return RunResult("starter", hidden, list(problems), [score(A, records, "starter")])


MIXED = [
    # 09.1: 2 public passed, 1 public failed with a hint, 1 hidden passed -> 7.5 of 10
    rec("09.1", "passed", 1), rec("09.1", "passed", 2), rec("09.1", "failed", 3, msg="dW differs\nhint: transposed", line=30),
    rec("09.1", "passed", 4, hidden=True),
    # 09.2: everything passed, public and hidden
    rec("09.2", "passed", 5), rec("09.2", "passed", 6, hidden=True),
    # 09.3: not started
    rec("09.3", "not started", 7, msg="Task 09.3: three"), rec("09.3", "not started", 8, hidden=True, msg="Task 09.3: three"),
]


def test_formats_are_registered():
    assert {"table", "json", "classroom", "gradescope"} <= set(FORMATS)


def test_classroom_result_field_by_field():
    r = classroom_result(results(MIXED))
    assert set(r) == {"version", "status", "max_score", "tests"}
    assert r["version"] == 1 and r["status"] == "fail" and r["max_score"] == 20
    # the tasks are worth 10, 6 and 4: entries of 2 points each (their greatest common divisor)
    assert [t["name"] for t in r["tests"]] == [f"09.1 one (part {k}/5)" for k in range(1, 6)] + \
        [f"09.2 two (part {k}/3)" for k in range(1, 4)] + [f"09.3 three (part {k}/2)" for k in range(1, 3)]
    for t in r["tests"]:
        assert set(t) == CLASSROOM_TEST_KEYS
        assert isinstance(t["score"], (int, float)) and isinstance(t["line_no"], int)
        assert isinstance(t["duration"], float) and t["test_code"].startswith("make test A=09 T=09.")
    t1, t2, t3 = r["tests"][0], r["tests"][5], r["tests"][8]
    assert (t1["status"], t1["score"]) == ("fail", 0)     # 7.5 of 10 in make test; Classroom counts full tasks
    assert "7.50/10 points, 3/4 tests passed" in t1["message"] and "hint: transposed" in t1["message"]
    assert (t1["filename"], t1["line_no"]) == ("tests/a09_x/test_09.1.py", 30)  # the failing public test
    assert t1["duration"] == 1.0 and r["tests"][1]["message"] == "see part 1 of task 09.1"
    assert (t2["status"], t2["score"], t2["message"]) == ("pass", 2, "6/6 points, 2/2 tests passed")
    assert (t3["status"], t3["score"]) == ("fail", 0) and "not started" in t3["message"]
    assert "hidden" not in t3["filename"]


def test_the_reporters_two_totals_agree():
    """The notice sums the scores; the runner table takes (passing / entries) x max_score: the same number."""
    for recs in (MIXED, [rec("09.1", "passed", 1), rec("09.2", "passed", 2), rec("09.3", "failed", 3)]):
        r = classroom_result(results(recs))
        notice = sum(t["score"] for t in r["tests"])
        table = sum(t["status"] == "pass" for t in r["tests"]) / len(r["tests"]) * r["max_score"]
        assert notice == pytest.approx(table)
    assert sum(t["score"] for t in classroom_result(results(MIXED))["tests"]) == 6


def test_the_step_summary_shows_both_figures():
    text = FORMATS["markdown"](results(MIXED))
    assert "| 09.1 | one | failed | 3/4 | 7.50 / 10 | 0 |" in text
    assert "| 09.2 | two | passed | 2/2 | 6 / 6 | 6 |" in text
    assert "Classroom records 6 / 20" in text and "13.50" in text


def test_classroom_status_pass_error_and_base64_round_trip():
    full = [rec("09.1", "passed", 1), rec("09.2", "passed", 2), rec("09.3", "passed", 3)]
    r = classroom_result(results(full))
    assert r["status"] == "pass" and all(t["status"] == "pass" for t in r["tests"])
    assert json.loads(base64.b64decode(base64.b64encode(FORMATS["classroom"](results(full)).encode()))) == r
    crashed = classroom_result(results(full[:2] + [rec("09.3", "error", 3, msg="ValueError: boom")]))
    assert crashed["status"] == "fail" and crashed["tests"][-1]["status"] == "error"
    assert classroom_result(results(full, problems=["a test without a task marker"]))["status"] == "error"
    broken = classroom_error(70, "the grader could not run")
    assert broken["status"] == "error" and broken["max_score"] == 70 and broken["tests"][0]["score"] == 0
    assert set(broken["tests"][0]) == CLASSROOM_TEST_KEYS


def test_gradescope_splits_public_and_hidden():
    r = gradescope_result(results(MIXED))
    assert r["score"] == pytest.approx(13.5)
    assert {"score", "tests", "output", "visibility", "execution_time"} <= set(r)
    names = [t["name"] for t in r["tests"]]
    assert names == ["09.1 one (public tests)", "09.1 one (hidden tests)", "09.2 two (public tests)",
                     "09.2 two (hidden tests)", "09.3 three (public tests)", "09.3 three (hidden tests)"]
    for t in r["tests"]:
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(t)
        assert t["status"] in ("passed", "failed")
        assert t["visibility"] == ("after_published" if "(hidden tests)" in t["name"] else "visible")
    by = {t["name"]: t for t in r["tests"]}
    pub1, hid1 = by["09.1 one (public tests)"], by["09.1 one (hidden tests)"]
    assert (pub1["score"], pub1["max_score"], pub1["status"]) == (5, 7.5, "failed")
    assert (hid1["score"], hid1["max_score"], hid1["status"]) == (2.5, 2.5, "passed")
    assert "hint: transposed" in pub1["output"] and "make test A=09 T=09.1 V=1" in pub1["output"]
    assert by["09.2 two (hidden tests)"]["max_score"] == 3
    # per task, the entries add up to the task's points; all entries add up to the score
    assert sum(t["max_score"] for t in r["tests"]) == pytest.approx(20)
    assert sum(t["score"] for t in r["tests"]) == pytest.approx(r["score"])


def test_gradescope_public_only_and_untested_task():
    public = [rec("09.1", "passed", 1), rec("09.2", "failed", 2, msg="wrong")]
    r = gradescope_result(results(public, hidden=False))
    names = [t["name"] for t in r["tests"]]
    assert names == ["09.1 one", "09.2 two", "09.3 three"]
    assert all(t["visibility"] == "visible" for t in r["tests"])
    assert r["tests"][2]["score"] == 0 and r["tests"][2]["max_score"] == 4 and r["tests"][2]["status"] == "failed"
    assert "public tests only" in r["output"]


def grader(*args):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_classroom_end_to_end_reference_and_stubs(tmp_path):
    out = tmp_path / "ref.json"
    p = grader("test", "03", "--impl", "reference", "--format", "classroom", "--out", str(out))
    assert p.returncode == 0, p.stderr
    ref = json.loads(out.read_text())
    assert ref["status"] == "pass" and ref["max_score"] == 70 and sum(t["score"] for t in ref["tests"]) == 70
    p = grader("test", "03", "--format", "classroom", "--out", str(out))
    stubs = json.loads(out.read_text())
    assert p.returncode == 1 and stubs["status"] == "fail" and sum(t["score"] for t in stubs["tests"]) == 0
    assert list(dict.fromkeys(t["name"].split()[0] for t in stubs["tests"])) == ["03.1", "03.2", "03.3", "03.4", "03.5"]


def test_gradescope_end_to_end_with_hidden_tests(tmp_path):
    out = tmp_path / "results.json"
    p = grader("test", "03", "--impl", "reference", "--hidden", "--format", "gradescope", "--out", str(out))
    assert p.returncode == 0, p.stderr
    r = json.loads(out.read_text())
    assert r["score"] == 70 and sum(t["max_score"] for t in r["tests"]) == pytest.approx(70)
    hidden = [t for t in r["tests"] if t["visibility"] == "after_published"]
    assert len(hidden) == 5 and all(t["name"].endswith("(hidden tests)") and t["status"] == "passed" for t in hidden)
