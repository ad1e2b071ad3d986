"""pyproject.toml lists every package of the course, so `pip install ".[test]"` installs all of it."""
from grader.manifest import tomllib
from grader.paths import ROOT


def test_every_package_folder_is_listed():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
                 ["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for top in ("grader", "starter", "reference") for p in (ROOT / top).rglob("__init__.py")
             if "__pycache__" not in p.parts}
    assert found - listed == set(), f"add these packages to [tool.setuptools] packages: {sorted(found - listed)}"
    assert listed - found == set(), f"listed packages with no folder: {sorted(listed - found)}"
