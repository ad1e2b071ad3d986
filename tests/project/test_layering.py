"""The import-direction check catches an upward import in the library and a cycle in the grader."""
import shutil
from pathlib import Path

from grader.instructor import layering
from grader.paths import GRADER, REFERENCE


def test_the_reference_flows_downward():
    problems, n = layering.library_problems(REFERENCE)
    assert not problems and n > 10


def test_an_upward_import_is_named(tmp_path: Path):
    pkg = tmp_path / "reference"
    shutil.copytree(REFERENCE, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "models").mkdir(exist_ok=True)
    (pkg / "models" / "__init__.py").write_text("")
    (pkg / "models" / "tiny.py").write_text("from ..nn.linear import Linear\n")
    relu = pkg / "nn" / "relu.py"
    relu.write_text(relu.read_text() + "\nfrom ..models.tiny import Linear as _L  # upward\n")
    (pkg / "optim").mkdir(exist_ok=True)
    (pkg / "optim" / "bad.py").write_text("from reference.nn import linear\n")
    problems, _ = layering.library_problems(pkg)
    assert any("nn/relu.py" in p and "imports models/tiny (models/)" in p for p in problems), problems
    assert any("optim/bad.py" in p and "imports nn (nn/)" in p for p in problems), problems
    assert not any("models/tiny.py" in p for p in problems)


def test_a_grader_cycle_is_found(tmp_path: Path):
    g = tmp_path / "grader"
    shutil.copytree(GRADER, g, ignore=shutil.ignore_patterns("__pycache__"))
    assert layering.grader_cycles(g) == []
    (g / "errors.py").write_text((g / "errors.py").read_text() + "\nfrom .cli import main  # a circle\n")
    cycles = layering.grader_cycles(g)
    assert any(c[0] == "grader.cli" and "grader.errors" in c for c in cycles), cycles
