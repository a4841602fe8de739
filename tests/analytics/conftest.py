"""The hand-built store, on both kinds of store."""

from __future__ import annotations

import pytest

from agentlog import Store
from tests.analytics.builders import HAND_SESSIONS, load


@pytest.fixture
def hand(store: Store) -> Store:
    """The store (in memory and on file) holding HAND_SESSIONS."""
    load(store, HAND_SESSIONS)
    return store
