"""MemoryService and DocumentIndexService: regressions found by the adversarial review."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from agentlog import DocumentIndexService, MemoryService, NotFoundError, StoreClosedError, ValidationError
from agentlog.index import search
from agentlog.store import Store


async def test_search_by_type_leaves_out_a_memory_whose_type_changed_meanwhile(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A put_memory that commits between the index lookup and the fetch must not leak the new type."""
    memory = MemoryService(store)
    await memory.create_memory("user:alice", "theme", "dark mode", "semantic")
    real_rank = search.rank

    def rank_then_change_type(*args: Any, **kwargs: Any) -> list[search.Hit]:
        hits = real_rank(*args, **kwargs)
        asyncio.run(MemoryService(store).put_memory("user:alice", "theme", "dark mode", "episodic"))  # (a thread)
        return hits

    monkeypatch.setattr(search, "rank", rank_then_change_type)
    assert await memory.search_memories("dark mode", memory_type="semantic") == []


async def test_sync_document_deleted_meanwhile_raises_not_found(store: Store) -> None:
    docs = DocumentIndexService(store)
    real_wait = docs.wait_for_sync

    async def wait_then_delete() -> int:
        synced = await real_wait()
        await docs.delete_document("docs/a.md")  # another task deletes it before the record is read
        return synced

    docs.wait_for_sync = wait_then_delete  # type: ignore[method-assign]
    with pytest.raises(NotFoundError):
        await docs.sync_document_to_vector_db(None, "docs/a.md", "# A\n\nhello")


async def test_sync_document_on_a_closed_store_says_it_is_closed() -> None:
    store = Store.memory()
    store.close()
    with pytest.raises(StoreClosedError):
        await DocumentIndexService(store).sync_document_to_vector_db(None, "docs/a.md", "# A\n\nhello")


def make_folder_not_utf8(parent: Path) -> str | None:
    """A folder named with a byte that is not UTF-8, holding one markdown file (None if the filesystem refuses it)."""
    folder = os.path.join(os.fsencode(parent), b"caf\xe9")
    try:
        os.mkdir(folder)
    except OSError:  # pragma: no cover - a filesystem that only takes UTF-8 names
        return None
    Path(os.fsdecode(os.path.join(folder, b"a.md"))).write_text("# A\n\nhello", encoding="utf-8")
    return os.fsdecode(folder)


async def test_sync_directory_with_a_name_that_is_not_utf8_is_a_validation_error(store: Store, tmp_path: Path) -> None:
    folder = make_folder_not_utf8(tmp_path)
    if folder is None:  # pragma: no cover
        pytest.skip("the filesystem does not take names that are not UTF-8")
    with pytest.raises(ValidationError):
        await DocumentIndexService(store).sync_directory(folder, progress=False)
    assert store.sql("SELECT count(*) FROM documents").fetchall() == [(0,)]


async def test_a_title_with_a_c1_control_character_is_rejected_or_cleaned(store: Store, tmp_path: Path) -> None:
    docs = DocumentIndexService(store)
    with pytest.raises(ValidationError):
        await docs.index_document("docs/c1.md", "evil\x9b31m title", "text")
    record = await docs.sync_document_to_vector_db(None, "docs/c1.md", "# evil\x9b31m title\n\ntext")
    assert record["title"] == "evil 31m title"


async def test_a_search_that_meets_a_reindex_runs_again_and_finds_the_new_chunks(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-indexing gives a document new chunk ids: the hits read from the index vanish from DuckDB meanwhile."""
    docs = DocumentIndexService(store)
    await docs.index_document("a.md", "A", "alpha beta gamma " * 50, "design")
    real_rank = search.rank
    calls = 0

    def rank_then_reindex(*args: Any, **kwargs: Any) -> list[search.Hit]:
        nonlocal calls
        calls += 1
        hits = real_rank(*args, **kwargs)
        if calls == 1:  # (on a reader thread: a loop of its own)
            asyncio.run(DocumentIndexService(store).index_document("a.md", "A", "alpha delta epsilon " * 50, "design"))
        return hits

    monkeypatch.setattr(search, "rank", rank_then_reindex)
    hits = await docs.semantic_search("alpha", limit=3)
    assert calls == 2  # ran again on the index brought up to the re-index
    assert hits and {hit["file_path"] for hit in hits} == {"a.md"} and "delta" in hits[0]["chunk_text"]


async def test_a_written_memory_comes_back_as_stored_not_as_the_callers_object(store: Store) -> None:
    memory = MemoryService(store)
    value = {"steps": ("plan", "build"), "done": []}
    record = await memory.put_memory("project:app", "plan", value, "procedural")
    value["done"].append("plan")  # the caller goes on with its own object
    assert record["value"] == {"steps": ["plan", "build"], "done": []}
    assert record["value"] == (await memory.get_memory("project:app", "plan"))["value"]
