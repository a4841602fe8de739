"""Fixtures for the demo generator tests: datasets generated once per test session."""

from __future__ import annotations

import polars as pl
import pytest

from agentlog.demo import DemoData, generate_demo_data


@pytest.fixture(scope="session")
def demo() -> DemoData:
    """The default dataset (about 2,000 sessions and 100,000 events)."""
    return generate_demo_data()


@pytest.fixture(scope="session")
def small() -> DemoData:
    """A smaller dataset with another seed, for invariants that must hold for any seed."""
    return generate_demo_data(sessions=300, seed=11)


@pytest.fixture(scope="session")
def frames(demo: DemoData) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The default dataset as Polars frames (UUID columns become 16-byte binaries)."""
    return pl.from_arrow(demo.sessions), pl.from_arrow(demo.events)  # type: ignore[return-value]
