"""The API reference: one page per folder of the starter, rendered by mkdocstrings from its docstrings.

The starter is generated from the reference with every solution region replaced by
``raise NotImplementedError(...)``, and signatures and docstrings are identical in both; so
the reference's documentation appears without any of its solutions. Source code is not shown.
"""
from __future__ import annotations

from pathlib import Path, PurePosixPath

from ...names import library_files
from ...paths import STARTER
from . import links

#: what each folder of the library is, in the order of the course
GROUPS = {
    "core": "Given: backend and module",
    "tensors": "tensors: shapes and broadcasting (01)",
    "scalar": "scalar: the autograd engine (02)",
    "nn": "nn: layers and losses (03-06, 08)",
    "nn-blocks": "nn.blocks: modern blocks (09)",
    "optim": "optim: optimisers and schedules (06-07)",
    "data": "data: augmentation, splits, data sets (06, 10)",
    "models": "models: the architectures (10)",
    "train": "train: early stopping, the trainer (06, 10)",
}


def groups(starter: Path = STARTER) -> dict[str, list[str]]:
    """``{group: [library files]}`` for every file of the starter, groups in course order."""
    found: dict[str, list[str]] = {}
    for path in library_files(starter):
        found.setdefault(links.api_group(path), []).append(path)
    order = list(GROUPS) + sorted(set(found) - set(GROUPS))
    return {g: found[g] for g in order if g in found}


def title(group: str) -> str:
    return GROUPS.get(group, group.replace("-", "."))


def render(group: str, files: list[str]) -> tuple[str, str]:
    """``(page path, Markdown)``: the package's docstring, then one mkdocstrings block per module."""
    page = f"{links.api_page(files[0])}"
    lines = [f"# {title(group)}", ""]
    inits = [f for f in files if PurePosixPath(f).name == "__init__.py"]
    modules = [f for f in files if f not in inits]
    for f in inits:
        if f != "__init__.py":
            lines += [f"::: {links.module_name(f)}", "    options:", "      members: false",
                      "      show_root_heading: false", ""]
    for f in modules:
        lines += [f"::: {links.module_name(f)}", ""]
    return page, "\n".join(lines)


def index(found: dict[str, list[str]]) -> str:
    lines = ["# API reference", "",
             "Every signature and docstring of the library, generated from `starter/`: the files you fill in. "
             "A docstring gives the shape of every input and output.", "",
             "| folder | files |", "| --- | --- |"]
    for g, files in found.items():
        page = links.relative("api/index.md", links.api_page(files[0]))
        mods = ", ".join(f"`{PurePosixPath(f).name}`" for f in files if not f.endswith("__init__.py"))
        lines.append(f"| [{title(g)}]({page}) | {mods} |")
    return "\n".join(lines) + "\n"
