"""``make grade`` on a folder of submissions: a CSV gradebook, and no submission can stop the run."""
import csv
import json
import shutil
import subprocess
import sys

import pytest

from grader.instructor import gradebook
from grader.manifest import resolve
from grader.paths import REFERENCE, ROOT, STARTER

pytestmark = pytest.mark.timeout(900)


def grader(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def submissions(tmp_path_factory):
    """Three students: full (the reference), partial (task 03.5 left as the stub), broken (no starter/)."""
    root = tmp_path_factory.mktemp("subs") / "a03"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REFERENCE, root / "alice" / "starter", ignore=ignore)
    shutil.copytree(REFERENCE, root / "bob" / "starter", ignore=ignore)
    shutil.copyfile(STARTER / "nn" / "gradient_check.py", root / "bob" / "starter" / "nn" / "gradient_check.py")
    (root / "carol").mkdir()
    (root / "carol" / "linear.py.zip").write_bytes(b"PK\x03\x04 not what was asked for")
    return root


def test_a_folder_of_three_gives_a_csv_with_the_right_totals(submissions):
    p = grader("grade", "03", str(submissions))
    assert p.returncode == 0, p.stdout + p.stderr          # carol's row says why she has 0; the run went on
    path = submissions / "gradebook-03.csv"
    rows = {r["student"]: r for r in csv.DictReader(path.open())}
    assert list(rows) == ["alice", "bob", "carol"]
    header = next(csv.reader(path.open()))
    assert header == ["student", "assignment", "03.1", "03.2", "03.3", "03.4", "03.5", "total", "max_score",
                      "status", "reason"]
    alice, bob, carol = rows["alice"], rows["bob"], rows["carol"]
    assert (alice["total"], alice["max_score"], alice["status"], alice["reason"]) == ("70", "70", "graded", "")
    assert [alice[t] for t in ("03.1", "03.2", "03.3", "03.4", "03.5")] == ["10", "20", "10", "20", "10"]
    assert (bob["total"], bob["03.5"], bob["03.4"], bob["status"]) == ("60", "0", "20", "graded")
    assert "03.5 not started" in bob["reason"]
    assert (carol["total"], carol["status"]) == ("0", "missing") and "no starter/" in carol["reason"]
    assert all(r["assignment"] == "03" for r in rows.values())
    # the short table on the terminal
    assert "alice" in p.stdout and "70 / 70" in p.stdout and "60 / 70" in p.stdout and "missing" in p.stdout
    assert "gradebook-03.csv" in p.stdout


def test_one_submission_keeps_todays_behaviour(submissions, tmp_path):
    out = tmp_path / "alice.json"
    p = grader("grade", "03", str(submissions / "alice"), "--format", "json", "--out", str(out))
    assert p.returncode == 0, p.stderr
    result = json.loads(out.read_text())
    assert result["assignments"][0]["score"] == 70 and result["hidden"] is True
    assert not (submissions / "alice" / "gradebook-03.csv").exists()


def test_bad_submissions_become_rows_not_crashes(tmp_path):
    a = resolve("03")
    root = tmp_path / "subs"
    (root / "empty").mkdir(parents=True)
    (root / "ghost").symlink_to(tmp_path / "nowhere")
    (root / "crashes" / "starter").mkdir(parents=True)
    (root / "crashes" / "starter" / "__init__.py").write_text("")
    (root / "notes.txt").write_text("a file, not a student")

    def grade(assignment, path, **kw):
        raise RuntimeError("the sandbox fell over")

    rows = gradebook.grade_folder(a, root, grade=grade, progress=False, roster=["empty", "ghost", "crashes", "dave"])
    by = {r.student: r for r in rows}
    assert sorted(by) == ["crashes", "dave", "empty", "ghost"]
    assert (by["empty"].status, by["ghost"].status, by["crashes"].status, by["dave"].status) == (
        "empty", "missing", "error", "missing")
    assert "the sandbox fell over" in by["crashes"].reason and "no folder" in by["dave"].reason
    assert all(r.total == 0 and r.max_score == 70 and set(r.points) == {t.id for t in a.tasks} for r in rows)
    text = gradebook.to_csv(a, rows)
    assert text.splitlines()[0].startswith("student,assignment,03.1") and len(text.splitlines()) == 5
    assert gradebook.is_batch(root) and not gradebook.is_batch(root / "crashes")


def test_platform_formats_are_refused_for_a_folder(submissions):
    p = grader("grade", "03", str(submissions), "--format", "gradescope", timeout=60)
    assert p.returncode == 2 and "one submission" in p.stderr
