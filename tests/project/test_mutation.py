"""Mutation testing: the operators stay inside solution regions, and the scores add up."""
from pathlib import Path

import pytest

from grader.instructor.mutation.operators import mutants_of
from grader.instructor.mutation.report import Summary, summarise
from grader.instructor.mutation.run import Outcome, assignment_of_mutants, run

SRC = '''"""doc"""
SCALE = 2 + 3


def f(x, axis=0):
    """given text: never mutated (x + 1)"""
    y = x * 4
    ### BEGIN SOLUTION
    z = (x + 1).sum(axis=1) - y.T[1:]
    return g(z, y) if z > 0 else -z
    ### END SOLUTION


def g(a, b):
    return a + b
'''


def test_only_solution_regions_are_mutated_and_each_edit_applies(tmp_path: Path):
    path = tmp_path / "m.py"
    path.write_text(SRC)
    ms = mutants_of(path, tmp_path)
    assert ms and all(8 < m.line < 11 for m in ms)       # lines 9 and 10 are the region's code
    ops = {m.operator for m in ms}
    for wanted in ("Add->Sub", "Sub->Add", "axis 1->2", "axis 1->0", "drop transpose", "slice lower +1",
                   "Gt->GtE", "drop minus", "swap arguments", "drop right term", "constant 1->2"):
        assert wanted in ops, wanted
    for m in ms:
        text = m.apply(SRC)
        compile(text, "m.py", "exec")                     # every mutant is valid Python
        assert text != SRC and text.count("### BEGIN SOLUTION") == 1
        assert "SCALE = 2 + 3" in text and "return a + b" in text
    assert len({m.id for m in ms}) == len(ms)


@pytest.mark.timeout(120)
def test_every_assignment_has_mutants_and_they_point_into_reference():
    every = assignment_of_mutants()
    assert all(len(v) >= 10 for v in every.values()), {k: len(v) for k, v in every.items()}


def test_summaries_count_equivalents_out():
    outs = [Outcome("a", "03", "d", True, True, ["03.1"], "dX is right where x > 0 and wrong ...", True),
            Outcome("b", "03", "d", True, False, ["03.1"], "Y does not match", False),
            Outcome("c", "03", "d", False, False),
            Outcome("e", "03", "d", False, False)]
    (s,) = summarise(outs, {"03": {"e": "same behaviour: x > 0 and x >= 0 differ only at 0"}})
    assert (s.total, s.equivalent, s.killed, s.killed_public, s.informative) == (4, 1, 2, 1, 1)
    assert [o.id for o in s.survivors] == ["c"] and isinstance(s, Summary) and not s.meets()


@pytest.mark.timeout(300)
def test_a_real_mutant_is_killed_and_named():
    m = next(m for m in assignment_of_mutants()["03"] if m.file == "nn/linear.py" and m.operator == "drop transpose")
    (o,) = run({"03": [m]}, jobs=1)
    assert o.killed and o.killed_public and o.lost
