"""Tiny in-memory datasets with the agreed item formats, so trainer tests need no data on disk."""

from __future__ import annotations

import pytest
from tiny_data import TinyFaces, TinyPairs


@pytest.fixture
def faces() -> TinyFaces:
    return TinyFaces()


@pytest.fixture
def pairs() -> TinyPairs:
    return TinyPairs()
