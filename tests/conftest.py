"""Shared fixtures: stores of every kind, clean environment, subprocess helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import pytest

import agentlog
from agentlog import SessionService, Store

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test sees the developer's AGENTLOG_* settings or leaves the default store open.

    Stores use the deterministic fake embedder unless a test asks for another
    (the real offline model has tests of its own, marked ``model``).
    """
    for name in list(os.environ):
        if name.startswith("AGENTLOG_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AGENTLOG_HOME", str(tmp_path_factory.mktemp("agentlog-home")))
    monkeypatch.setenv("AGENTLOG_EMBEDDER", "fake")
    yield
    agentlog.close_default_store()


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store of each kind: in-memory and a real DuckDB file."""
    opened = Store.memory() if request.param == "memory" else Store(tmp_path / "store")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def file_store(tmp_path: Path) -> Iterator[Store]:
    """A store in a real directory."""
    with Store(tmp_path / "store") as opened:
        yield opened


@pytest.fixture
def service(store: Store) -> SessionService:
    """A SessionService on each kind of store."""
    return SessionService(store)


BOOKKEEPING = {"schema_migrations", "index_state", "index_tombstones"}
"""Tables the background indexer changes on its own; not part of a store's data."""


def snapshot(store: Store, *, skip: Collection[str] = ()) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the data tables (but those in ``skip``), sorted, to compare a store before and after."""
    tables = store.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1")
    result: dict[str, list[tuple[Any, ...]]] = {}
    for (name,) in tables.fetchall():
        if name in BOOKKEEPING or name in skip:
            continue
        result[name] = sorted(store.sql(f"SELECT * FROM {name}").fetchall(), key=repr)
    return result


def run_python(code: str, *args: str, timeout: float = 60, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a Python snippet in a fresh interpreter with this checkout importable."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout, env=env, **kwargs
    )
