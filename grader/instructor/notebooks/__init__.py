"""One source -> nbgrader: an nbgrader course folder generated from the manifests, handouts, reference and tests.

``make notebooks`` writes ``dist/nbgrader/`` (build output, never committed); ``make nbgrader-check``
proves it with nbgrader's own command line. The steps, one module each, in the order they run:

``reference``   reading ``reference/``: its modules, relative imports, solution regions and names
``rewrite``     one module as notebook code: given units and each task's units
``testfiles``   the test files a check cell embeds
``cells``       the cell types and the text of the handout, setup and check cells
``namespace``   the one namespace the modules share: clashing names namespaced, or refused
``build``       one notebook, assembled; and the proof that it is in step with the source
``course``      the course folder: nbgrader's configuration, the notebooks, the checker they import
``secret``      what a release must not hold
``prove``       the round trip through nbgrader's command line
``execute``     a notebook run without a kernel (the project's tests)
``cli``         ``python -m grader notebooks`` and ``nbgrader-check``

Each notebook holds, in order: the handout as Markdown; a read-only setup cell (the checker and
``impl``, the notebook's view of its own code); the given modules it needs as read-only cells; and
per task a heading, the task's code (solution cells: the reference code with its ``### BEGIN
SOLUTION`` regions, which ``nbgrader generate_assignment`` turns into stubs), and one locked check
cell worth the task's points. A check cell embeds the task's public test files and, between ``###
BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``, its hidden test files and the reference sources
the hidden tests use as ``ref``; it runs them with pytest through :class:`grader.in_notebook.Checks`,
so the test files are the only copy of the tests.

A class whose methods belong to several tasks (``Linear.forward`` in 03.1, ``Linear.backward`` in
03.2) is written with its first task's methods in one cell; each later task's method is defined in
that task's cell and attached to the class (``Linear.backward = backward``), so solving task 1 alone
earns task 1's points and no more.
"""
from __future__ import annotations

from .build import build, consistency, generation_check
from .cells import CHECKER, Cell, Notebook, split_hidden
from .cli import register
from .course import COURSE, COURSE_ID, config_text, generate, grader_support, stale, write
from .execute import CellRun, execute, released
from .prove import HOME, STUDENTS, nbgrader_check
from .reference import ModuleInfo, reference_modules, reference_sources
from .secret import leaks, secret_lines
from .testfiles import TestFile, test_files

__all__ = [
    "build", "consistency", "generation_check", "CHECKER", "Cell", "Notebook", "split_hidden", "register",
    "COURSE", "COURSE_ID", "config_text", "generate", "grader_support", "stale", "write", "CellRun", "execute",
    "released", "HOME", "STUDENTS", "nbgrader_check", "ModuleInfo", "reference_modules", "reference_sources",
    "leaks", "secret_lines", "TestFile", "test_files",
]
