"""Review of the atomic replace (upsert) and of tombstone deletes that follow the step's writes.

Each test holds the indexer while it commits several changes, so that they are indexed in one batch,
then checks the LanceDB tables against DuckDB: every live row with text has exactly one vector, of its
current text, and there is nothing else.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import agentlog.index.indexer as indexer_module
from agentlog import DocumentIndexService, MemoryService, SessionService, Store
from agentlog.index.sources import SOURCES
from agentlog.io import export, import_
from tests.conftest import REPO


def index_problems(store: Store) -> list[str]:
    """What the index holds that DuckDB does not say it should (empty when they agree)."""
    assert store.index is not None
    problems = []
    for source in SOURCES:
        expected_rows = store.read(lambda cur, source=source: source.changes(cur, 0, 2**62))
        expected = {
            row_id: text
            for row_id, text in zip(
                expected_rows.column("id").to_pylist(), expected_rows.column("text").to_pylist(), strict=True
            )
            if text is not None
        }
        stored = store.index.tables.table(source.name).search().select(["id", "text"]).limit(None).to_arrow()
        ids, texts = stored.column("id").to_pylist(), stored.column("text").to_pylist()
        copies = Counter(ids)
        duplicated = sorted(row_id for row_id, count in copies.items() if count > 1)
        missing = sorted(set(expected) - set(ids))
        extra = sorted(set(ids) - set(expected))
        stale = sorted(row_id for row_id, text in zip(ids, texts, strict=True) if expected.get(row_id, text) != text)
        if duplicated or missing or extra or stale:
            problems.append(f"{source.name}: duplicated={duplicated} missing={missing} extra={extra} stale={stale}")
    return problems


@contextmanager
def one_batch(store: Store) -> Iterator[None]:
    """Hold the indexer: what is committed inside is indexed together once the block ends."""
    index = store.index
    assert index is not None
    gate = threading.Event()
    round_ = index._round

    def held(target: int) -> None:
        gate.wait()
        round_(max(target, store.committed_lsn))  # everything committed while held, not just what came first

    index._round = held  # type: ignore[method-assign]
    try:
        yield
    finally:
        index._round = round_  # type: ignore[method-assign]
        gate.set()


async def test_a_session_deleted_and_imported_again_in_one_batch_has_one_vector_each(tmp_path: Path) -> None:
    """The re-imported session and events (same ids) replace the old vectors; a memory recreated likewise."""
    with Store(tmp_path / "store") as store:
        sessions, memories = SessionService(store), MemoryService(store)
        session = await sessions.create_session("claude")
        await sessions.add_events(session["id"], [{"event_type": "note", "event_data": {"n": n}} for n in range(5)])
        await sessions.update_session_summary(session["id"], "Moved billing to Postgres 16")
        await memories.put_memory(f"session:{session['id']}", "db", {"name": "postgres"}, "semantic")
        await memories.put_memory("user:alice", "editor", {"name": "vim"}, "semantic")
        store.wait_for_index()
        folder = export(store, tmp_path / "backup").path
        await sessions.update_session_summary(session["id"], "Moved payroll to Postgres 17")
        store.wait_for_index()
        with one_batch(store):
            await sessions.delete_session(session["id"])
            await memories.delete_memory("user:alice", "editor")
            await memories.put_memory("user:alice", "editor", {"name": "helix"}, "semantic")
            import_(store, folder)
        store.wait_for_index()
        assert index_problems(store) == []
        hits = await sessions.search_sessions("billing Postgres 16", limit=1, threshold=None)
        assert [hit["summary"] for hit in hits] == ["Moved billing to Postgres 16"]


async def test_a_document_indexed_again_twice_in_one_batch_keeps_only_its_last_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also when the batch is cut into many steps (the tombstones and the chunks in different steps)."""
    monkeypatch.setattr(indexer_module, "BATCH", 2)
    with Store(tmp_path / "store") as store:
        docs = DocumentIndexService(store)
        await docs.index_document("a.md", "A", "alpha beta gamma " * 500, "design")
        store.wait_for_index()
        with one_batch(store):
            await docs.index_document("a.md", "A", "delta epsilon " * 400, "design")
            await docs.index_document("a.md", "A", "zeta eta theta " * 600, "design")
            await docs.index_document("b.md", "B", "iota kappa " * 300, "design")
        store.wait_for_index()
        assert index_problems(store) == []


KILLED_AFTER_THE_WRITES = """
import asyncio, os, signal, sys
from agentlog import DocumentIndexService, SessionService, Store
from agentlog.index.vectors import VectorTables

async def main() -> None:
    store = Store(sys.argv[1], embedder="fake")
    docs, sessions = DocumentIndexService(store), SessionService(store)
    if sys.argv[2] == "setup":
        session = await sessions.create_session("claude")
        await sessions.update_session_summary(session["id"], "first summary")
        await docs.index_document("a.md", "A", "alpha " * 300, "design")
        store.wait_for_index()
        store.close()
        return
    delete_where = VectorTables.delete_where

    def killed_after(self, name, column, ids, *, indexed_through=None):
        delete_where(self, name, column, ids, indexed_through=indexed_through)
        if indexed_through is not None:  # a tombstone's delete, after the step's writes: the process dies here
            os.kill(os.getpid(), signal.SIGKILL)

    VectorTables.delete_where = killed_after
    ((session_id,),) = store.sql("SELECT id FROM sessions").fetchall()
    await sessions.update_session_summary(session_id, "second summary")
    await docs.index_document("a.md", "A", "beta " * 300, "design")
    store.wait_for_index(timeout=60)

asyncio.run(main())
"""


def test_a_kill_after_a_tombstones_delete_leaves_an_index_that_matches_duckdb_once_reopened(tmp_path: Path) -> None:
    path = tmp_path / "store"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    setup = subprocess.run([sys.executable, "-c", KILLED_AFTER_THE_WRITES, str(path), "setup"], env=env, timeout=120)
    assert setup.returncode == 0
    killed = subprocess.run([sys.executable, "-c", KILLED_AFTER_THE_WRITES, str(path), "kill"], env=env, timeout=120)
    assert killed.returncode == -signal.SIGKILL
    with Store(path, embedder="fake") as store:
        store.wait_for_index(timeout=60)
        assert index_problems(store) == []
