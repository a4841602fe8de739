"""A re-summarised session or a changed memory is replaced in the index in one commit.

Every version of the LanceDB table the indexer wrote holds the row once: a search
that reads the table at any moment finds it (a delete followed by an add left a
version without it).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import lancedb

from agentlog import DocumentIndexService, MemoryService, SessionService, Store
from agentlog.store.store import LANCE_DIR


def copies_in_each_version(store_path: Path, table_name: str, item_id: str, since_version: int) -> list[int]:
    """How many rows of ``item_id`` each version of the table after ``since_version`` holds."""
    table = lancedb.connect(store_path / LANCE_DIR).open_table(table_name)
    counts = []
    for version in range(since_version + 1, table.version + 1):
        table.checkout(version)
        counts.append(table.count_rows(f"id = '{item_id}'"))
    return counts


def table_version(store_path: Path, table_name: str) -> int:
    return int(lancedb.connect(store_path / LANCE_DIR).open_table(table_name).version)


async def test_a_resummarised_session_is_in_every_version_of_the_index(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with Store(path) as store:
        service = SessionService(store)
        session = await service.create_session("claude")
        await service.update_session_summary(session["id"], "Migrated the billing database to Postgres 16")
        store.wait_for_index()
        before = table_version(path, "sessions")
        for round_ in range(3):
            await service.update_session_summary(session["id"], f"Migrated billing, round {round_} of fixes")
            store.wait_for_index()
        hits = await service.search_sessions("billing fixes round 2", limit=1, threshold=None)
        assert [hit["id"] for hit in hits] == [session["id"]]
    counts = copies_in_each_version(path, "sessions", str(session["id"]), before)
    assert len(counts) >= 3 and counts == [1] * len(counts)


async def test_a_changed_memory_is_in_every_version_and_a_deleted_one_leaves(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with Store(path) as store:
        memory = MemoryService(store)
        stored = await memory.put_memory("user:alice", "editor", {"name": "vim"}, "semantic")
        memory_id = str(uuid.UUID(str(stored["memory_id"])))
        store.wait_for_index()
        before = table_version(path, "memories")
        await memory.put_memory("user:alice", "editor", {"name": "helix"}, "semantic")
        store.wait_for_index()
        changed = copies_in_each_version(path, "memories", memory_id, before)
        assert changed and changed == [1] * len(changed)
        assert await memory.delete_memory("user:alice", "editor")
        store.wait_for_index()
    assert copies_in_each_version(path, "memories", memory_id, before)[-1] == 0


async def test_a_reindexed_document_has_chunks_in_every_version_of_the_index(tmp_path: Path) -> None:
    """Its new chunks (new ids) are written before its old ones are deleted."""
    path = tmp_path / "store"
    with Store(path) as store:
        docs = DocumentIndexService(store)
        await docs.index_document("a.md", "A", "alpha beta gamma " * 500, "design")
        store.wait_for_index()
        record = await docs.get_document("a.md")
        assert record is not None
        document_id = str(record["id"])
        before = table_version(path, "document_chunks")
        await docs.index_document("a.md", "A", "alpha delta epsilon " * 400, "design")
        store.wait_for_index()
        new_count = (await docs.get_document("a.md") or {})["chunk_count"]
    table = lancedb.connect(path / LANCE_DIR).open_table("document_chunks")
    counts = []
    for version in range(before + 1, table.version + 1):
        table.checkout(version)
        counts.append(table.count_rows(f"document_id = '{document_id}'"))
    assert len(counts) >= 2 and all(counts), counts
    assert counts[-1] == new_count
