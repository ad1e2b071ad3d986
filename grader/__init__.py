"""The NNOTT Lab grader: a pytest plugin plus a thin command line.

Tests import their helpers from here (``from grader import assert_close``)
and receive the code under test from the ``impl`` fixture.
"""
from .compare import assert_close, assert_dtype, assert_layers_close, rel_error
from .gradcheck import gradcheck, numeric_grad

__all__ = ["assert_close", "assert_dtype", "assert_layers_close", "rel_error", "gradcheck", "numeric_grad"]
