"""Importing a newer export of the same store: newer sessions and documents replace the stored ones.

An incremental backup (export A, import into B, keep working on A, export
again, import into B again) must leave B equal to A: a document that was
re-indexed comes with its new chunks only, a session with its new summary
and lifecycle. An older export must change nothing, and children always
follow what became of their parent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentlog import DocumentIndexService, MemoryService, NotFoundError, SessionService, Store, ValidationError
from agentlog.io import export, import_
from tests.conftest import snapshot

TABLES = ("sessions", "events", "memories", "documents", "document_chunks")
OLD_TEXT = "alpha beta gamma " * 100
NEW_TEXT = "completely different text " * 30


def rows(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every data row without the store-local change number, ordered."""
    return {
        name: sorted(store.sql(f"SELECT * EXCLUDE (index_lsn) FROM {name}").fetchall(), key=repr) for name in TABLES
    }


def chunk_facts(store: Store) -> list[tuple[Any, ...]]:
    """Per document: its chunk_count, how many chunks it has, how many distinct chunk indexes."""
    found: list[tuple[Any, ...]] = store.sql(
        "SELECT d.chunk_count, count(c.id), count(DISTINCT c.chunk_index) "
        "FROM documents d JOIN document_chunks c ON c.document_id = d.id GROUP BY ALL"
    ).fetchall()
    return found


async def two_exports(source: Store, tmp_path: Path) -> tuple[Path, Path, Any]:
    """Export, keep working (new event, end the session, re-index the document), export again."""
    sessions, documents = SessionService(source), DocumentIndexService(source)
    session = await sessions.create_session("claude")
    await sessions.add_event(session["id"], "note", {"n": 1})
    await documents.index_document("notes/a.md", "T", OLD_TEXT)
    first = export(source, tmp_path / "e1").path
    await sessions.add_event(session["id"], "note", {"n": 2})
    await sessions.end_session(session["id"], summary="done")
    await documents.index_document("notes/a.md", "T", NEW_TEXT)
    second = export(source, tmp_path / "e2").path
    return first, second, session["id"]


async def test_an_incremental_backup_brings_the_copy_up_to_date(tmp_path: Path) -> None:
    with Store(tmp_path / "a") as source, Store(tmp_path / "b") as copy:
        first, second, session_id = await two_exports(source, tmp_path)
        import_(copy, first)
        result = import_(copy, second)
        assert rows(copy) == rows(source)  # one document version, its chunks only; the session as it ended
        assert chunk_facts(copy) == [(1, 1, 1)]
        assert result.tables["documents"].replaced == 1 and result.tables["sessions"].replaced == 1
        assert result.tables["document_chunks"].inserted == 1 and result.tables["events"].inserted == 1
        got = await SessionService(copy).get_session(session_id)
        assert got is not None and (got["lifecycle"], got["summary"], len(got["events"])) == ("terminated", "done", 2)
        # the vectors follow: the old chunks' are gone, the session is embedded from its new summary
        copy.wait_for_index(timeout=60)
        assert copy.index is not None
        assert copy.index.tables.count("document_chunks") == 1
        assert copy.index.tables.count("sessions") == 1
        hits = await DocumentIndexService(copy).semantic_search("alpha beta gamma", limit=5, mode="keyword")
        assert hits == []  # no chunk of the old text is left to find
        hits = await DocumentIndexService(copy).semantic_search("completely different", limit=5, mode="keyword")
        assert [h["file_path"] for h in hits] == ["notes/a.md"]
        # importing the newer export again changes nothing
        before = snapshot(copy)
        again = import_(copy, second)
        assert (again.inserted, again.replaced) == (0, 0)
        assert snapshot(copy) == before


async def test_an_older_export_changes_nothing_and_its_chunks_follow_their_document(tmp_path: Path) -> None:
    with Store(tmp_path / "a", embedder=None) as source, Store(tmp_path / "b", embedder=None) as copy:
        first, second, _ = await two_exports(source, tmp_path)
        import_(copy, second)
        before = snapshot(copy)
        result = import_(copy, first)  # the stored document is newer: its chunks must not get the old ones
        assert snapshot(copy) == before
        assert chunk_facts(copy) == [(1, 1, 1)]
        assert (result.inserted, result.replaced) == (0, 0)
        assert result.tables["document_chunks"].skipped == 2  # the old version's chunks, new ids, skipped


async def test_a_newer_document_under_another_path_is_refused(tmp_path: Path) -> None:
    with Store(tmp_path / "a", embedder=None) as source, Store(tmp_path / "b", embedder=None) as copy:
        first, _, _ = await two_exports(source, tmp_path)
        import_(copy, first)
        with source.cursor() as cur:  # a store that diverged (store.sql runs reads only)
            cur.execute("UPDATE documents SET file_path = 'notes/moved.md'")
        moved = export(source, tmp_path / "moved").path
        before = snapshot(copy)
        with pytest.raises(ValidationError, match="diverged"):
            import_(copy, moved)
        assert snapshot(copy) == before


async def test_an_import_resets_the_writers_memory_cache(tmp_path: Path) -> None:
    with Store.memory(embedder=None) as source:
        await MemoryService(source).create_memory("user:a", "k", "imported value", "semantic")
        folder = export(source, tmp_path / "x").path
    with Store.memory(embedder=None) as store:
        memory = MemoryService(store)
        with pytest.raises(NotFoundError):
            await memory.update_memory("user:a", "k", "x")  # the writer now caches "no such memory"
        import_(store, folder)
        updated = await memory.update_memory("user:a", "k", "new")
        assert (updated["version"], updated["value"]) == (2, "new")
