"""Points arithmetic and task states."""
import pytest

from grader.manifest import Assignment, Task
from grader.names import parse
from grader.outcome import TestRecord as Record
from grader.paths import ROOT
from grader.scoring import score, task_state

A = Assignment("09", "09-x", "X", "", ROOT, (Task("09.1", "one", 10, (parse("m.py::f"),)),
                                             Task("09.2", "two", 6, (parse("m.py::g"), parse("nn/n.py::h")))))


def rec(task, outcome, msg="", hidden=False):
    return Record(f"t::{task}-{outcome}-{msg}", "test_x", task, hidden, outcome, msg)


def test_points_are_shared_among_a_tasks_tests():
    r = score(A, [rec("09.1", "passed"), rec("09.1", "failed", "a"), rec("09.1", "passed", "b"),
                  rec("09.2", "passed"), rec("09.2", "skipped")])
    t1, t2 = r.tasks
    assert t1.earned == pytest.approx(20 / 3) and t1.state == "failed" and (t1.passed, t1.total) == (2, 3)
    assert t2.earned == 6 and t2.state == "passed" and t2.total == 1
    assert r.score == pytest.approx(6 + 20 / 3) and r.max_score == 16


def test_a_run_limited_to_one_task_totals_only_that_task():
    r = score(A, [rec("09.2", "passed")], only=["09.2"])
    t1, t2 = r.tasks
    assert t1.state == "not run" and not t1.ran and t1.earned == 0
    assert t2.state == "passed" and r.score == 6 and r.max_score == 6


@pytest.mark.parametrize("outcomes,state", [
    (["passed", "passed"], "passed"),
    (["passed", "not started"], "not started"),
    (["failed", "not started"], "failed"),
    (["failed", "error"], "error"),
    (["error", "timeout", "passed"], "timeout"),
    ([], "no tests"),
])
def test_task_state_is_the_worst_outcome(outcomes, state):
    assert task_state(outcomes) == state


def test_not_started_reason_names_the_files_and_other_tasks():
    r = score(A, [rec("09.2", "not started", "Task 09.1: one"), rec("09.2", "not started", "Task 09.2: two")], "starter")
    reason = r.tasks[1].reason
    assert "g (starter/m.py)" in reason and "h (starter/nn/n.py)" in reason and "also need task 09.1" in reason


def test_reason_prefers_a_failure_with_a_hint():
    r = score(A, [rec("09.1", "failed", "plain", hidden=False), rec("09.1", "failed", "x\n  hint: transposed", hidden=True)])
    assert "transposed" in r.tasks[0].reason


def test_skipped_tests_cost_nothing_and_say_why():
    why = "cupy: CuPy is not installed (ModuleNotFoundError); install the gpu extra on a machine with a GPU"
    r = score(A, [rec("09.1", "passed"), rec("09.1", "skipped", f"Skipped: {why}"), rec("09.2", "passed")])
    assert r.score == 16 and r.tasks[0].total == 1
    assert r.skipped == {why: 1}
    from grader.report import table
    assert f"skipped, no points lost: 1 test ({why})" in table(r, colour=False)
