"""Manifests: clear errors for malformed ones, and the A=3 / 03 / 03-linear spellings."""
import pytest

from grader import manifest
from grader.errors import UsageError

GOOD = 'id = "07"\ntitle = "T"\n[[tasks]]\nid = "07.1"\ntitle = "a"\npoints = 5\ncovers = ["nn/m.py::f"]\n'


def load(tmp_path, text, folder="07-opt"):
    d = tmp_path / folder
    d.mkdir()
    (d / "manifest.toml").write_text(text)
    return manifest.load(d)


def test_good_manifest(tmp_path):
    a = load(tmp_path, GOOD)
    assert a.id == "07" and a.max_points == 5
    assert a.tasks[0].modules == ("nn.m",) and a.tasks[0].files == ("nn/m.py",)
    assert str(a.tasks[0].covers[0]) == "nn/m.py::f" and a.tasks[0].covers[0].dotted == "nn.m.f"


@pytest.mark.parametrize("text,words", [
    ("id = 07\n", "not valid TOML"),
    ('title = "T"\ntasks = []\n', "'id'"),
    (GOOD.replace('id = "07.1"', 'id = "7.1"'), "must look like"),
    (GOOD.replace("points = 5", "points = -1"), "positive number"),
    (GOOD.replace('covers = ["nn/m.py::f"]', "covers = []"), "non-empty list"),
    (GOOD.replace('covers = ["nn/m.py::f"]', 'covers = ["f"]'), "path/file.py::Qualified.name"),
    (GOOD.replace('covers = ["nn/m.py::f"]', 'covers = ["nn.m.f"]'), "no longer says its file"),
    (GOOD.replace('covers = ["nn/m.py::f"]', 'covers = ["a/b/c/d.py::f"]'), "at most 3 levels"),
    (GOOD.replace('covers = ["nn/m.py::f"]', 'covers = ["nn/m.py::f", "nn/m.py::f"]'), "already covered"),
    (GOOD.replace('points = 5', 'points = 5\nuses_reference = ["nn/m.py"]'), "covers itself"),
    (GOOD.replace('points = 5', 'points = 5\nuses_reference = "nn/conv.py"'), "list of library files"),
    (GOOD + '[[tasks]]\nid = "07.1"\ntitle = "b"\npoints = 1\ncovers = ["nn/m.py::g"]\n', "listed twice"),
    (GOOD.replace('id = "07"', 'id = "08"'), "folder says"),
    (GOOD.replace('points = 5', 'points = 5\nbogus = 1'), "unknown key"),
    (GOOD.replace('title = "T"', 'title = "T"\ngrade_budget_s = 0'), "positive number of seconds"),
    (GOOD.replace('title = "T"', 'title = "T"\ngrade_budget = 600'), "unknown top-level key"),
])
def test_malformed_manifests_name_the_problem(tmp_path, text, words):
    with pytest.raises(manifest.ManifestError, match=words):
        load(tmp_path, text)


def test_grade_budget(tmp_path):
    assert load(tmp_path, GOOD).grade_budget_s is None
    assert load(tmp_path, GOOD.replace('title = "T"', 'title = "T"\ngrade_budget_s = 600'), "07-b").grade_budget_s == 600
    assert manifest.resolve("10").grade_budget_s == 600, "10's seven models need more than the default"


def test_missing_manifest(tmp_path):
    (tmp_path / "07-opt").mkdir()
    with pytest.raises(manifest.ManifestError, match="missing"):
        manifest.load(tmp_path / "07-opt")


@pytest.mark.parametrize("spec", ["3", "03", "03-linear", "assignments/03-linear/"])
def test_resolve_spellings(spec):
    assert manifest.resolve(spec).slug == "03-linear"


@pytest.mark.parametrize("spec", ["12", "03-wrong", "", "linear"])
def test_resolve_unknown_lists_the_real_ones(spec):
    with pytest.raises(UsageError, match="03-linear"):
        manifest.resolve(spec)
