"""A small demo store for the explorers (fake embedder, as in every test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentlog import Store
from agentlog.demo import demo_store


@pytest.fixture
def demo() -> Iterator[Store]:
    """24 demo sessions (~1,100 events) of four agents, in memory, indexed with the fake embedder."""
    with demo_store(sessions=24) as store:
        yield store
