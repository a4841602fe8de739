"""The DocumentIndexService contract, run against an in-memory and a file store."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta

import pytest

from agentlog import (
    DocumentIndexService,
    NotFoundError,
    SearchUnavailableError,
    Store,
    ValidationError,
    get_document_index_service,
    get_memory_service,
)
from agentlog.services.chunking import CHUNK_WORDS, content_hash
from agentlog.services.document_ops import MarkSynced, needs_chunks, stored_document
from agentlog.services.document_sql import STORED_DOCUMENT
from tests.conftest import snapshot

DESIGN = """# Storage design

DuckDB is the source of truth for sessions, events and memories.

LanceDB holds the vectors; it is a derived index rebuilt from DuckDB.
"""


@pytest.fixture
def docs(store: Store) -> DocumentIndexService:
    return DocumentIndexService(store)


def words(prefix: str, count: int) -> str:
    return " ".join(f"{prefix}{n}" for n in range(count))


def chunk_rows(store: Store, doc_id: uuid.UUID) -> list[tuple[object, ...]]:
    return store.sql(
        "SELECT id, chunk_index, text, index_lsn FROM document_chunks WHERE document_id = ? ORDER BY chunk_index",
        [doc_id],
    ).fetchall()


def vector_ids(store: Store, doc_id: uuid.UUID) -> set[str]:
    assert store.index is not None
    store.wait_for_index()
    table = store.index.tables.table("document_chunks")
    rows = table.search().where(f"document_id = '{doc_id}'").select(["id"]).limit(None).to_arrow()
    return set(rows.column("id").to_pylist())


def test_the_original_api_names_exist() -> None:
    names = [
        "index_document", "update_embedding", "get_document", "get_document_by_id", "mark_synced", "mark_failed",
        "mark_stale", "get_pending_documents", "search_by_type", "list_all_documents", "semantic_search",
        "sync_document_to_vector_db", "sync_directory",
    ]  # fmt: skip
    assert all(callable(getattr(DocumentIndexService, name)) for name in names)


async def test_index_document_stores_content_and_chunks(docs: DocumentIndexService, store: Store) -> None:
    doc_id = await docs.index_document("docs/storage.md", "Storage design", DESIGN, "design", {"owner": "lead"})
    assert isinstance(doc_id, uuid.UUID)
    record = await docs.get_document("docs/storage.md")
    assert record is not None
    assert record["id"] == doc_id and record["file_path"] == "docs/storage.md" and record["title"] == "Storage design"
    assert record["document_type"] == "design" and record["namespace"] is None
    assert record["content"] == DESIGN and record["content_hash"] == content_hash(DESIGN)
    assert record["metadata"] == {"owner": "lead"} and record["chunk_count"] == 1
    assert datetime.fromisoformat(record["created_at"]).utcoffset() == timedelta(0)
    assert await docs.get_document_by_id(doc_id) == record
    rows = chunk_rows(store, doc_id)
    assert [(r[1], r[2]) for r in rows] == [(0, DESIGN.strip())]
    assert await docs.get_document("docs/other.md") is None
    assert await docs.get_document_by_id(uuid.uuid4()) is None


async def test_long_content_is_split_into_overlapping_chunks(docs: DocumentIndexService, store: Store) -> None:
    doc_id = await docs.index_document("long.md", "Long", words("w", 1000))
    rows = chunk_rows(store, doc_id)
    record = await docs.get_document_by_id(doc_id)
    assert record is not None and record["chunk_count"] == len(rows) > 1
    texts = [str(r[2]).split() for r in rows]
    assert all(len(t) <= CHUNK_WORDS for t in texts)
    assert texts[0][0] == "w0" and texts[-1][-1] == "w999"
    for previous, current in itertools.pairwise(texts):
        assert current[0] in previous, "consecutive chunks overlap"


async def test_status_is_pending_until_indexed_then_synced(docs: DocumentIndexService, store: Store) -> None:
    doc_id = await docs.index_document("a.md", "A", "alpha beta gamma")
    store.wait_for_index()
    indexed = await docs.get_document_by_id(doc_id)
    assert indexed is not None and indexed["sync_status"] == "synced"  # derived from the index's progress
    assert indexed["last_synced_at"] is None and indexed["embedding_model"] == store.embedder.name  # type: ignore[union-attr]
    assert await docs.get_pending_documents() == []
    assert await docs.wait_for_sync() == 1
    recorded = await docs.get_document_by_id(doc_id)
    assert recorded is not None and recorded["sync_status"] == "synced" and recorded["last_synced_at"] is not None
    assert await docs.wait_for_sync() == 0


async def test_pending_queue_without_an_embedder() -> None:
    with Store.memory(embedder=None) as store:
        docs = DocumentIndexService(store)
        first = await docs.index_document("a.md", "A", "alpha")
        second = await docs.index_document("b.md", "B", "beta")
        queue = await docs.get_pending_documents()
        assert [d["id"] for d in queue] == [first, second] and {d["sync_status"] for d in queue} == {"pending"}
        assert [d["id"] for d in await docs.get_pending_documents(limit=1)] == [first]
        with pytest.raises(SearchUnavailableError):
            await docs.wait_for_sync()
        with pytest.raises(SearchUnavailableError):
            await docs.semantic_search("alpha")
        before = snapshot(store)
        with pytest.raises(SearchUnavailableError):
            await docs.sync_document_to_vector_db(None, "c.md", "# C\n\ngamma")
        assert snapshot(store) == before


async def test_same_content_is_a_no_op(docs: DocumentIndexService, store: Store) -> None:
    doc_id = await docs.index_document("a.md", "A", words("w", 500), "design", namespace="project:x")
    store.wait_for_index()
    rows, ids, lsn = chunk_rows(store, doc_id), vector_ids(store, doc_id), store.committed_lsn
    before = snapshot(store)
    again = await docs.index_document("a.md", "A", words("w", 500), "design", namespace="project:x")
    assert again == doc_id and store.committed_lsn == lsn
    assert snapshot(store) == before and chunk_rows(store, doc_id) == rows and vector_ids(store, doc_id) == ids
    await docs.index_document("a.md", "A", words("w", 500), "design", {"tag": 1}, namespace="project:x")
    record = await docs.get_document_by_id(doc_id)
    assert record is not None and record["metadata"] == {"tag": 1} and chunk_rows(store, doc_id) == rows


async def test_changed_content_replaces_chunks_and_vectors(docs: DocumentIndexService, store: Store) -> None:
    doc_id = await docs.index_document("a.md", "A", "the old text about penguins " * 100)
    old_ids = vector_ids(store, doc_id)
    assert old_ids == {str(r[0]) for r in chunk_rows(store, doc_id)} and len(old_ids) > 1
    again = await docs.index_document("a.md", "A", "brand new text about volcanoes")
    assert again == doc_id
    rows = chunk_rows(store, doc_id)
    assert len(rows) == 1 and rows[0][2] == "brand new text about volcanoes"
    assert vector_ids(store, doc_id) == {str(rows[0][0])}, "no stale vector is left"
    hits = await docs.semantic_search("old text about penguins", limit=5)
    assert [h["chunk_text"] for h in hits] == ["brand new text about volcanoes"]
    record = await docs.get_document_by_id(doc_id)
    assert record is not None and record["chunk_count"] == 1 and record["content_hash"] == content_hash(rows[0][2])  # type: ignore[arg-type]


async def test_rechunking_across_index_steps_leaves_exactly_the_new_vectors(
    docs: DocumentIndexService, store: Store
) -> None:
    # 600+ chunks: the indexer embeds at most 256 rows per step, so the tombstone and the
    # new chunks land in different steps; the tombstone must come first.
    doc_id = await docs.index_document("big.md", "Big", words("old", 60_000))
    assert len(chunk_rows(store, doc_id)) > 256
    await docs.index_document("big.md", "Big", words("new", 60_000))
    new = {str(r[0]) for r in chunk_rows(store, doc_id)}
    assert vector_ids(store, doc_id) == new


async def test_title_type_or_namespace_change_reindexes(docs: DocumentIndexService, store: Store) -> None:
    doc_id = await docs.index_document("a.md", "A", "same text", "design", namespace="project:x")
    old = chunk_rows(store, doc_id)
    await docs.index_document("a.md", "A", "same text", "plan", namespace="project:y")
    new = chunk_rows(store, doc_id)
    assert old[0][0] != new[0][0]
    hits = await docs.semantic_search("same text", namespace="project:y", document_type="plan")
    assert [h["id"] for h in hits] == [doc_id]
    assert await docs.semantic_search("same text", namespace="project:x") == []


async def test_search_returns_chunks_with_document_fields(docs: DocumentIndexService) -> None:
    doc_id = await docs.index_document("docs/storage.md", "Storage design", DESIGN, "design", namespace="project:al")
    await docs.index_document("docs/ui.md", "UI", "buttons, colours and the dark theme", "design")
    hits = await docs.semantic_search("source of truth for sessions", limit=5)
    top = hits[0]
    assert top["id"] == doc_id and top["file_path"] == "docs/storage.md" and top["title"] == "Storage design"
    assert top["chunk_index"] == 0 and "source of truth" in top["chunk_text"] and isinstance(top["chunk_id"], uuid.UUID)
    assert 0 <= top["similarity"] <= 1 and top["cosine"] > hits[1]["cosine"] and "content" not in top
    at_top = await docs.semantic_search("source of truth for sessions", threshold=top["similarity"])
    assert [h["id"] for h in at_top] == [doc_id]  # inclusive threshold


async def test_filters_apply_before_the_limit(docs: DocumentIndexService) -> None:
    for n in range(30):
        await docs.index_document(f"noise/{n}.md", f"Noise {n}", f"database migration plan {n}", "plan")
    odd = ["project:a_b", "project:a%b", "project:o'hara", "project:a*b"]
    for name in odd:
        await docs.index_document(f"{name}.md", name, "database migration plan", "design", namespace=name)
        await docs.index_document(f"{name}/child.md", name, "database migration plan", "design", namespace=f"{name}:c")
    await docs.index_document("axb.md", "axb", "database migration plan", "design", namespace="project:axb")
    for name in odd:
        hits = await docs.semantic_search("database migration", namespace=name, limit=5)
        assert sorted(h["namespace"] for h in hits) == [name, f"{name}:c"], name
    designs = await docs.semantic_search("database migration", document_type="design", limit=50)
    assert len(designs) == 2 * len(odd) + 1 and {h["document_type"] for h in designs} == {"design"}
    assert len(await docs.semantic_search("database migration", document_type="plan", limit=25)) == 25
    assert await docs.semantic_search("database migration", namespace="project:a", limit=5) == []


async def test_hybrid_search_finds_exact_identifiers(docs: DocumentIndexService) -> None:
    await docs.index_document("a.md", "Parser", "the function parse_input_v2 raises TypeError on None")
    await docs.index_document("b.md", "Other", "input parsing in general, with many words about inputs")
    hybrid = await docs.semantic_search("parse_input_v2", mode="hybrid", limit=2)
    assert hybrid[0]["file_path"] == "a.md" and hybrid[0]["keyword_match"] is True
    keyword = await docs.semantic_search("parse_input_v2", mode="keyword")
    assert keyword[0]["file_path"] == "a.md" and all(h["keyword_match"] for h in keyword)


async def test_mark_synced_failed_stale(docs: DocumentIndexService, store: Store) -> None:
    doc_id = await docs.index_document("a.md", "A", "first version", metadata={"owner": "me"})
    await docs.mark_failed(doc_id, "embedding API timed out")
    failed = await docs.get_document_by_id(doc_id)
    assert failed is not None and failed["sync_status"] == "failed"
    assert failed["metadata"] == {"owner": "me", "last_error": "embedding API timed out"}
    await docs.mark_synced(doc_id)
    synced = await docs.get_document_by_id(doc_id)
    assert synced is not None and synced["sync_status"] == "synced" and synced["last_synced_at"] is not None
    old_chunks = chunk_rows(store, doc_id)
    await docs.mark_stale("a.md", "second version")
    stale = await docs.get_document("a.md")
    assert stale is not None and stale["sync_status"] == "stale" and stale["content"] == "second version"
    assert stale["content_hash"] == content_hash("second version") and chunk_rows(store, doc_id) == old_chunks
    assert [d["id"] for d in await docs.get_pending_documents()] == [doc_id]
    await docs.index_document("a.md", "A", "second version")  # same content as stored, but stale: re-chunked
    assert chunk_rows(store, doc_id)[0][2] == "second version"
    await docs.wait_for_sync()
    assert (await docs.get_document_by_id(doc_id))["sync_status"] == "synced"  # type: ignore[index]
    for call in (docs.mark_synced(uuid.uuid4()), docs.mark_failed(uuid.uuid4(), "x"), docs.mark_stale("nope.md", "x")):
        before = snapshot(store)
        with pytest.raises(NotFoundError):
            await call
        assert snapshot(store) == before


async def test_mark_synced_on_a_stale_document_makes_its_new_content_searchable(
    docs: DocumentIndexService, store: Store
) -> None:
    old, new = "the parser handles quoted commas", "the scheduler retries failed jobs"
    doc_id = await docs.index_document("a.md", "A", old)
    await docs.wait_for_sync()
    await docs.mark_stale("a.md", new)
    await docs.mark_synced(doc_id)  # the original API's last step after re-embedding by hand
    chunks = chunk_rows(store, doc_id)
    assert [row[2] for row in chunks] == [new]
    record = await docs.get_document_by_id(doc_id)
    assert record is not None and record["sync_status"] == "synced" and record["content_hash"] == content_hash(new)
    assert [hit["chunk_text"] for hit in await docs.semantic_search("scheduler retries", mode="keyword")] == [new]
    assert await docs.semantic_search("parser quoted commas", mode="keyword") == []
    assert vector_ids(store, doc_id) == {str(chunks[0][0])}, "the old content's vectors are gone"
    assert await docs.index_document("a.md", "A", new) == doc_id
    assert chunk_rows(store, doc_id) == chunks, "indexing the same content again is a no-op"


async def test_mark_synced_chunks_the_content_stored_when_it_runs(docs: DocumentIndexService, store: Store) -> None:
    doc_id = await docs.index_document("a.md", "A", "first version")
    await docs.mark_stale("a.md", "second version")
    stored_row = store.sql(STORED_DOCUMENT, [doc_id]).fetchall()[0]
    assert needs_chunks(stored_row)
    chunked_early = stored_document(stored_row, chunk=True)  # what a mark_synced call read and chunked ...
    await docs.mark_stale("a.md", "third version")  # ... before another call changed the content
    await store.write_async(MarkSynced(doc_id, None, chunked_early))
    assert [row[2] for row in chunk_rows(store, doc_id)] == ["third version"]
    record = await docs.get_document_by_id(doc_id)
    assert record is not None and record["sync_status"] == "synced" and record["content"] == "third version"


async def test_failed_document_is_reindexed_even_with_same_content(docs: DocumentIndexService, store: Store) -> None:
    doc_id = await docs.index_document("a.md", "A", "text")
    old = chunk_rows(store, doc_id)
    await docs.mark_failed(doc_id, "boom")
    await docs.index_document("a.md", "A", "text")
    assert chunk_rows(store, doc_id)[0][0] != old[0][0]
    store.wait_for_index()
    assert (await docs.get_document_by_id(doc_id))["sync_status"] == "synced"  # type: ignore[index]


async def test_update_embedding_is_refused(docs: DocumentIndexService, store: Store) -> None:
    doc_id = await docs.index_document("a.md", "A", "text")
    before = snapshot(store)
    with pytest.raises(ValidationError) as caught:
        await docs.update_embedding(doc_id, [0.1, 0.2], "my-model")
    assert "reindex" in str(caught.value)
    assert snapshot(store) == before


async def test_listing_by_type_and_newest_first(docs: DocumentIndexService) -> None:
    ids = [await docs.index_document(f"{n}.md", f"D{n}", f"text {n}", "design" if n % 2 else "plan") for n in range(5)]
    assert [d["id"] for d in await docs.list_all_documents()] == ids[::-1]
    assert [d["id"] for d in await docs.list_all_documents(limit=2)] == ids[:2:-1]
    assert [d["id"] for d in await docs.search_by_type("design")] == [ids[3], ids[1]]
    assert [d["id"] for d in await docs.search_by_type("plan", limit=1)] == [ids[4]]
    assert await docs.search_by_type("report") == []


async def test_sync_document_to_vector_db(docs: DocumentIndexService) -> None:
    record = await docs.sync_document_to_vector_db("project:agentlog", "docs/design.md", DESIGN)
    assert record["title"] == "Storage design" and record["namespace"] == "project:agentlog"
    assert record["sync_status"] == "synced" and record["last_synced_at"] is not None
    assert record["document_type"] == "markdown" and record["chunk_count"] == 1
    hits = await docs.semantic_search("derived index rebuilt", namespace="project")
    assert hits[0]["id"] == record["id"]
    untitled = await docs.sync_document_to_vector_db(None, "notes/meeting_notes.md", "no heading at all")
    assert untitled["title"] == "meeting notes" and untitled["namespace"] is None


async def test_delete_document_removes_chunks_and_vectors(docs: DocumentIndexService, store: Store) -> None:
    doc_id = await docs.index_document("a.md", "A", words("w", 400))
    keep = await docs.index_document("b.md", "B", "another document")
    assert vector_ids(store, doc_id)
    assert await docs.delete_document("a.md") is True
    assert await docs.delete_document("a.md") is False
    assert chunk_rows(store, doc_id) == [] and vector_ids(store, doc_id) == set()
    assert await docs.get_document("a.md") is None and vector_ids(store, keep)


async def test_process_wide_service() -> None:
    docs = get_document_index_service()
    assert docs is get_document_index_service() and docs.store is get_memory_service().store
    doc_id = await docs.index_document("a.md", "A", "text")
    assert (await get_document_index_service().get_document("a.md"))["id"] == doc_id  # type: ignore[index]
