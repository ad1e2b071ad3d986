"""Mutation testing of the course's tests: ``make mutation [A=NN]``.

:mod:`.operators` makes the mutants (one AST edit inside a solution region), :mod:`.run` grades
each with the public and hidden tests, and :mod:`.report` prints, per assignment, the killed
fraction (public + hidden, and public alone), the fraction of killed mutants whose first reason
line names the mistake, and every surviving mutant with its diff. Equivalent mutants (same
behaviour) are listed in ``assignments/NN-topic/equivalent_mutants.toml`` with a reason each.
"""
from .report import Summary, main, summarise

__all__ = ["Summary", "main", "summarise"]
