"""DocumentIndexService.sync_directory: a folder of markdown in, a report out, nothing outside the folder read."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from agentlog import DocumentIndexService, Store, ValidationError
from tests.conftest import snapshot


@pytest.fixture
def docs(store: Store) -> DocumentIndexService:
    return DocumentIndexService(store)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    write(root / "storage.md", "# Storage\n\nDuckDB is the source of truth.")
    write(root / "design" / "index.md", "# Vector index\n\nLanceDB holds the vectors, rebuilt from DuckDB.")
    write(root / "design" / "deep" / "search.md", "# Search\n\nHybrid search fuses BM25 and vector ranks.")
    write(root / "notes.txt", "not markdown")
    return root


def stored_paths(store: Store) -> list[str]:
    return [row[0] for row in store.sql("SELECT file_path FROM documents ORDER BY file_path").fetchall()]


async def test_sync_adds_then_reports_unchanged_changed_added_removed(
    docs: DocumentIndexService, store: Store, folder: Path
) -> None:
    root = folder.resolve()  # noqa: ASYNC240
    first = await docs.sync_directory(folder, progress=False)
    expected = sorted(str(root / p) for p in ("storage.md", "design/index.md", "design/deep/search.md"))
    assert first.root == str(root) and sorted(first.added) == expected
    assert first.changed == first.unchanged == first.removed == first.skipped == []
    assert stored_paths(store) == expected
    record = await docs.get_document(root / "design" / "index.md")
    assert record is not None and record["title"] == "Vector index" and record["document_type"] == "markdown"
    assert record["sync_status"] == "synced" and record["last_synced_at"] is not None

    second = await docs.sync_directory(folder, progress=False)
    assert sorted(second.unchanged) == expected and second.added == second.changed == second.removed == []

    write(folder / "storage.md", "# Storage\n\nParquet export keeps the store portable.")
    (folder / "design" / "deep" / "search.md").unlink()
    write(folder / "new.md", "# New\n\nMemories live in namespaces.")
    third = await docs.sync_directory(folder, progress=False)
    assert third.changed == [str(root / "storage.md")]
    assert third.removed == [str(root / "design" / "deep" / "search.md")]
    assert third.added == [str(root / "new.md")] and third.unchanged == [str(root / "design" / "index.md")]
    assert "1 added, 1 changed, 1 unchanged, 1 removed, 0 skipped" in third.summary()
    hits = await docs.semantic_search("Parquet export portable", limit=1)
    assert hits[0]["file_path"] == str(root / "storage.md") and "Parquet" in hits[0]["chunk_text"]
    everything = await docs.semantic_search("hybrid search fuses BM25 and vector ranks", limit=20)
    assert {h["file_path"] for h in everything} == set(stored_paths(store))  # no threshold: every document
    assert all("BM25" not in h["chunk_text"] for h in everything), "the removed file's vectors are gone"


async def test_sync_with_namespace_type_and_glob(docs: DocumentIndexService, store: Store, folder: Path) -> None:
    report = await docs.sync_directory(folder, "design/*.md", namespace="project:agentlog", document_type="design")
    assert [Path(p).name for p in report.added] == ["index.md"]
    hits = await docs.semantic_search("vectors", namespace="project:agentlog", document_type="design")
    assert [h["title"] for h in hits] == ["Vector index"]
    text = await docs.sync_directory(folder, "*.txt", progress=False)
    assert [Path(p).name for p in text.added] == ["notes.txt"]
    assert len(stored_paths(store)) == 2  # a narrower glob never removes files that still exist


async def test_removal_is_limited_to_the_synced_directory(
    docs: DocumentIndexService, store: Store, tmp_path: Path
) -> None:
    write(tmp_path / "docs" / "a.md", "# A\n\nalpha")
    write(tmp_path / "docs2" / "b.md", "# B\n\nbeta")
    await docs.sync_directory(tmp_path / "docs2", progress=False)
    await docs.index_document("docs/virtual.md", "Virtual", "a document that is not a file")
    (tmp_path / "docs" / "a.md").unlink()
    report = await docs.sync_directory(tmp_path / "docs", progress=False)
    assert report.removed == [] and report.added == []
    assert stored_paths(store) == sorted([str((tmp_path / "docs2" / "b.md").resolve()), "docs/virtual.md"])


async def test_paths_must_stay_inside_the_directory(docs: DocumentIndexService, store: Store, tmp_path: Path) -> None:
    root = tmp_path / "root"
    write(root / "inside.md", "# Inside\n\nfine")
    outside = write(tmp_path / "outside" / "secret.md", "# Secret\n\ntop secret content")
    os.symlink(outside, root / "link.md")  # a file link leading out
    os.symlink(outside.parent, root / "linkdir")  # a folder link leading out
    os.symlink(root / "inside.md", root / "alias.md")  # a link that stays inside
    report = await docs.sync_directory(root, progress=False)
    assert report.added == [str((root / "inside.md").resolve())]
    assert [p for p, _ in report.skipped] == [str(root / "link.md")]
    assert "outside the directory" in report.skipped[0][1]
    through_dir = await docs.sync_directory(root, "linkdir/*.md", progress=False)
    assert through_dir.added == [] and [p for p, _ in through_dir.skipped] == [str(root / "linkdir" / "secret.md")]
    assert all("secret" not in path for path in stored_paths(store))
    assert store.sql("SELECT count(*) FROM documents WHERE content LIKE '%top secret%'").fetchall()[0][0] == 0
    before = snapshot(store)
    for pattern in ("../outside/*.md", "../**/*.md", "sub/../../outside/*.md", str(outside), "/etc/*", ""):
        with pytest.raises(ValidationError):
            await docs.sync_directory(root, pattern, progress=False)
    with pytest.raises(ValidationError):
        await docs.sync_directory(tmp_path / "missing", progress=False)
    with pytest.raises(ValidationError):
        await docs.sync_directory(root / "inside.md", progress=False)
    with pytest.raises(ValidationError):
        await docs.sync_directory(root, namespace="nope", progress=False)
    assert snapshot(store) == before


async def test_a_dotdot_root_is_resolved(docs: DocumentIndexService, folder: Path) -> None:
    report = await docs.sync_directory(folder / "design" / ".." / "design", progress=False)
    assert report.root == str((folder / "design").resolve())
    assert all(".." not in p for p in report.added) and len(report.added) == 2


async def test_unreadable_files_are_skipped_and_reported(docs: DocumentIndexService, tmp_path: Path) -> None:
    root = tmp_path / "root"
    write(root / "good.md", "# Good\n\ntext")
    (root / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    report = await docs.sync_directory(root, progress=False)
    assert [Path(p).name for p in report.added] == ["good.md"]
    assert report.skipped == [(str((root / "latin1.md").resolve()), "not UTF-8 text")]


async def test_progress_bar_and_no_wait(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "d" / "a.md", "# A\n\nalpha")
    with Store.memory() as store:
        docs = DocumentIndexService(store)
        await docs.sync_directory(tmp_path / "d", wait=False)
        assert "sync" in capsys.readouterr().err
        store.wait_for_index()
        assert (await docs.list_all_documents())[0]["sync_status"] == "synced"
    with Store.memory(embedder=None) as store:
        docs = DocumentIndexService(store)
        report = await docs.sync_directory(tmp_path / "d", progress=False)  # no embedder: stored, pending
        assert len(report.added) == 1 and (await docs.list_all_documents())[0]["sync_status"] == "pending"


async def test_a_resync_chunks_only_the_files_that_changed(
    docs: DocumentIndexService, store: Store, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentlog.services import document_ops

    await docs.sync_directory(folder, progress=False, wait=False)
    chunked: list[str] = []
    real_split = document_ops.split_chunks

    def counting_split(text: str) -> list[Any]:
        chunked.append(text)
        return real_split(text)

    monkeypatch.setattr(document_ops, "split_chunks", counting_split)
    write(folder / "storage.md", "# Storage\n\nDuckDB is the source of truth, in one file.")
    report = await docs.sync_directory(folder, progress=False, wait=False)
    assert len(report.unchanged) == 2 and report.changed == [str(folder / "storage.md")]
    assert chunked == ["# Storage\n\nDuckDB is the source of truth, in one file."]


async def test_a_document_changed_after_the_lookup_is_chunked_all_the_same(store: Store, folder: Path) -> None:
    from agentlog.services.document_ops import UpsertDocuments
    from agentlog.services.document_sync import load_documents

    path = folder / "storage.md"
    await DocumentIndexService(store).sync_directory(folder, progress=False, wait=False)
    rows = {
        r[1]: r
        for r in store.sql(
            "SELECT id, file_path, title, document_type, namespace, content_hash, metadata, sync_status FROM documents"
        ).fetchall()
    }
    loaded, _ = load_documents([path], namespace=None, document_type="markdown", stored=rows)
    assert loaded[0].chunked is None  # the lookup said unchanged: not chunked yet
    await DocumentIndexService(store).index_document(str(path), "Storage", "something else entirely", "markdown")
    [(_, outcome)] = await store.write_async(UpsertDocuments(loaded))  # the file's content again
    assert outcome == "changed"
    record = await DocumentIndexService(store).get_document(str(path))
    assert record is not None and record["content"] == path.read_text() and record["chunk_count"] == 1
