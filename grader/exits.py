"""Exit statuses of ``python -m grader``: one table, read by the student and instructor commands alike."""
from __future__ import annotations

from .results import RunResult

EXIT_FULL, EXIT_SHORT, EXIT_USAGE = 0, 1, 2


def exit_status(results: RunResult) -> int:
    """0 only at full marks on every task that ran and with no problems in the tests themselves."""
    if results.problems or not results.assignments:
        return EXIT_SHORT
    full = all(t.full for a in results.assignments for t in a.tasks if t.ran)
    return EXIT_FULL if full else EXIT_SHORT
