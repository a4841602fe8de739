"""Upgrade review: a store written by an earlier agentlog, opened by this one."""

from __future__ import annotations

from pathlib import Path

import duckdb
import lancedb

from agentlog import MemoryService, SessionService, Store
from agentlog.store.manifest import read_manifest, write_manifest
from agentlog.store.migrations import LATEST_SCHEMA_VERSION
from agentlog.store.store import DUCKDB_NAME, LANCE_DIR


async def _fill(store: Store) -> None:
    sessions = SessionService(store)
    for i in range(3):
        session = await sessions.create_session(agent="claude")
        await sessions.add_events(
            session["id"],
            [{"event_type": "message", "event_data": {"text": f"step {j} of run {i}"}} for j in range(20)],
        )
        await sessions.end_session(session["id"], summary=f"run {i} finished")
    needle = await sessions.create_session(agent="gemini")
    await sessions.add_event(needle["id"], "error", {"text": "zebrafish quartzite deadlock in the scheduler"})


def _make_first_index_format(path: Path, watermark: int) -> None:
    """Turn a store into what agentlog wrote when the vector index came (schema 2, one watermark for all)."""
    con = duckdb.connect(str(path / DUCKDB_NAME))
    try:
        for table in ("imported_logs", "document_chunks", "documents", "memories"):
            con.execute(f"DROP TABLE {table}")
        con.execute("DELETE FROM schema_migrations WHERE version > 2")
        con.execute("DELETE FROM index_state")
        con.execute("INSERT INTO index_state VALUES ('vectors', ?, now())", [watermark])
    finally:
        con.close()
    lance = lancedb.connect(str(path / LANCE_DIR))
    for table in ("memories", "document_chunks"):
        lance.drop_table(table)
    manifest = read_manifest(path)
    assert manifest is not None
    write_manifest(path, manifest.model_copy(update={"schema_version": 2}))


async def test_a_store_with_one_watermark_for_all_sources_keeps_its_vectors(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with Store(path, embedder="fake") as store:
        await _fill(store)
        store.wait_for_index()
        assert store.index is not None
        marks = set(store.index.watermarks.values())
        assert marks == {store.committed_lsn}
        indexed = store.index.tables.count("events")
    _make_first_index_format(path, marks.pop())

    with Store(path, embedder="fake") as store:
        assert store.schema_version == LATEST_SCHEMA_VERSION
        hits = await SessionService(store).search_events("zebrafish quartzite deadlock scheduler", limit=1)
        assert hits[0]["event_data"]["text"] == "zebrafish quartzite deadlock in the scheduler"
        assert store.index is not None
        # the vectors were kept: nothing was deleted and embedded again
        assert store.index.stats.embedded == 0
        assert store.index.tables.count("events") == indexed
        # the sources the old store did not have are indexed from their first row
        memory = MemoryService(store)
        await memory.create_memory("user:alice", "ui_theme", {"theme": "dark mode"}, "semantic")
        found = await memory.search_memories("dark mode theme", limit=1)
        assert [hit["key"] for hit in found] == ["ui_theme"]
        assert store.index.stats.embedded == 1
