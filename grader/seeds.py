"""The seed of a test's ``rng``: one formula, for the pytest plugin and the notebook checker alike."""
from __future__ import annotations

import hashlib


def seed_for(name: str) -> int:
    """The seed of the test named ``name`` (``test_x[params]``, without file or class): the same
    inputs on every run and machine, and the same under pytest and in a notebook."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
