"""The judge's wire format and its replayed draws (issue 15): what crosses the pipe is what one
process would have seen, and big draws of the test's generator give the same numbers in the worker."""
from __future__ import annotations

import numpy as np
import pytest

from grader.instructor.sandbox import protocol as P
from grader.instructor.sandbox import replay


def _round_trip(a: np.ndarray) -> np.ndarray:
    out: np.ndarray = P.decode(P.encode(a, lambda obj: None), lambda ref: None)
    return out


@pytest.mark.parametrize("a", [
    np.arange(12.0).reshape(3, 4), np.asfortranarray(np.arange(12.0).reshape(3, 4)), np.zeros((0, 3), np.float32),
    np.array(2.5), np.arange(10)[::3], np.ones((2, 3), dtype=">f8"), np.array([True, False]),
], ids=["c-order", "fortran", "empty", "0-d", "strided view", "big-endian", "bool"])
def test_arrays_cross_unchanged_and_writable(a):
    b = _round_trip(a)
    assert b.dtype == a.dtype and b.shape == a.shape and np.array_equal(a, b)
    assert b.flags.writeable and b.flags.owndata


def test_a_malformed_array_is_a_protocol_error():
    frame = P.encode(np.arange(6.0), lambda obj: None)
    with pytest.raises(P.ProtocolError):   # the frame ends inside the array
        P.decode(frame[:-8], lambda ref: None)
    lying = frame.replace(b"(6,)", b"(7,)")   # a header that promises more data than follows
    assert lying != frame
    with pytest.raises(P.ProtocolError, match="does not match its header"):
        P.decode(lying, lambda ref: None)
    with pytest.raises(P.ProtocolError):
        P.encode(np.array([1, "a"], dtype=object), lambda obj: None)


@pytest.mark.parametrize("method,args,kwargs", [
    ("standard_normal", ((700, 3001),), {}), ("normal", (0.5, 2.0), {"size": (3001, 700)}),
    ("uniform", (), {"low": -1, "high": 1, "size": 2_100_700}), ("random", (2_100_700,), {}),
])
def test_a_big_draw_is_replayed_exactly(method, args, kwargs):
    """The worker's replay equals the one-process draw, and the judge's generator ends where it would."""
    judge, alone = np.random.default_rng(3), np.random.default_rng(3)
    plan = replay.plan(getattr(judge, method), args, kwargs)
    assert plan is not None, "a draw of over 16 MB should be replayed"
    expected = getattr(alone, method)(*args, **kwargs)
    got = replay.make(P.decode(P.encode(plan.as_data(), lambda obj: None), lambda ref: None))
    assert got.dtype == expected.dtype and np.array_equal(got, expected)
    assert judge.bit_generator.state == alone.bit_generator.state
    assert judge.standard_normal() == alone.standard_normal()


@pytest.mark.parametrize("method,args,kwargs", [
    ("standard_normal", ((10, 10),), {}),                                   # small: sent as data
    ("standard_normal", ((3000, 1000),), {"dtype": np.float32}),            # float32: another algorithm
    ("normal", (np.zeros(3_000_000), 1.0), {}),                            # array parameters
    ("permutation", (3_000_000,), {}),                                      # not element by element
])
def test_other_draws_are_left_to_the_judge(method, args, kwargs):
    gen = np.random.default_rng(0)
    before = gen.bit_generator.state
    assert replay.plan(getattr(gen, method), args, kwargs) is None
    assert gen.bit_generator.state == before, "a draw that is not replayed must not advance the generator"


def test_a_replay_names_only_numpys_own_generators():
    with pytest.raises(ValueError):
        replay.make(("os.system", {}, "standard_normal", ()))
    with pytest.raises(ValueError):
        replay.make(("PCG64", {}, "__class__", ()))
