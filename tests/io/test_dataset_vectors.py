"""Vectors in the dataset: written with_vectors, reused by an import into a store with the same embedder."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from agentlog import ImportFormatError, MemoryService, SessionService, Store, ValidationError
from agentlog.embeddings import FakeEmbedder
from agentlog.index.sources import SOURCES
from agentlog.io import export, import_, read_dataset_manifest
from agentlog.io.dataset_sql import Filters, vector_rows_sql
from agentlog.io.registry import table_spec
from agentlog.services import DocumentIndexService
from tests.conftest import snapshot
from tests.io.test_dataset import fill


class CountingEmbedder(FakeEmbedder):
    """The tests' fake embedder (same name and dimension), counting the texts it embeds."""

    def __init__(self, dimension: int = 64) -> None:
        super().__init__(dimension)
        self.texts = 0

    def embed(self, texts: list[str]) -> Any:
        self.texts += len(texts)
        return super().embed(texts)


async def fill_everything(store: Store) -> None:
    """Sessions and events (fill), a memory with two versions, and a chunked document: every index source."""
    await fill(store)
    memory = MemoryService(store)
    await memory.put_memory("user:ada", "ui_theme", "prefers light mode", "semantic")
    await memory.put_memory("user:ada", "ui_theme", "prefers dark mode", "semantic")
    await memory.put_memory("user:ada", "editor", {"font": "mono"}, "semantic")
    docs = DocumentIndexService(store)
    text = "# Storage design\n\n" + "\n\n".join(f"DuckDB holds the rows, paragraph {n}." for n in range(40))
    await docs.sync_document_to_vector_db("project:x", "docs/storage.md", text)


def stored_vectors(store: Store, source: str) -> dict[str, list[float]]:
    assert store.index is not None
    ids, matrix = store.index.tables.vectors(source)
    return dict(zip(ids, matrix.tolist(), strict=True))


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, list[float]]]]:
    """A store with rows of every index source, exported with its vectors; and those vectors, by source."""
    base = tmp_path_factory.mktemp("vectors")
    with Store(base / "source", embedder="fake") as source:
        asyncio.run(fill_everything(source))
        result = export(source, base / "x", with_vectors=True)
        vectors = {s.name: stored_vectors(source, s.name) for s in SOURCES}
    return result.path, vectors


def test_export_writes_the_vectors_of_every_source(exported: tuple[Path, dict[str, Any]]) -> None:
    folder, vectors = exported
    manifest = read_dataset_manifest(folder)
    assert manifest.vectors is not None
    assert (manifest.vectors.embedder.name, manifest.vectors.embedder.dimension) == ("fake-hash-64", 64)
    assert {name: entry.rows for name, entry in manifest.vectors.tables.items()} == {
        name: len(found) for name, found in vectors.items()
    }
    assert all(vectors[s.name] for s in SOURCES)  # every source has some
    assert len(vectors["memories"]) == 2  # one per memory, not per version
    for name, entry in manifest.vectors.tables.items():
        table = pa.concat_tables([pq.read_table(folder / f.path) for f in entry.files])
        assert all(f.path.startswith(f"vectors/{name}/") for f in entry.files)
        ids = [str(i) for i in table.column("id").to_pylist()]
        written = dict(zip(ids, table.column("vector").to_pylist(), strict=True))
        assert written.keys() == vectors[name].keys()
        for key, vector in written.items():
            assert np.array_equal(np.asarray(vector, np.float32), np.asarray(vectors[name][key], np.float32))
    # the memory's vector is that of its newest version's text
    memories = pa.concat_tables([pq.read_table(folder / f.path) for f in manifest.vectors.tables["memories"].files])
    assert "ui_theme: prefers dark mode" in memories.column("text").to_pylist()
    assert set(manifest.files()) >= {f.path for e in manifest.vectors.tables.values() for f in e.files}


def test_import_reuses_the_vectors_instead_of_embedding(exported: tuple[Path, Any], tmp_path: Path) -> None:
    folder, vectors = exported
    embedder = CountingEmbedder()
    with Store(tmp_path / "target", embedder=embedder) as target:
        result = import_(target, folder)
        assert result.vectors is not None and result.vectors.used
        assert result.vectors.rows == {name: len(found) for name, found in vectors.items()}
        total = sum(len(found) for found in vectors.values())
        assert result.vectors.reused == total and f"{total} imported rows took theirs" in result.vectors.reason
        assert target.index is not None
        assert target.index.offered == {}  # the import returned once the index had taken them
        target.wait_for_index(timeout=60)
        assert embedder.texts == 0  # no row was embedded: every one took its vector
        assert target.index.stats.embedded == 0
        assert target.index.stats.reused == total
        for source in SOURCES:
            assert stored_vectors(target, source.name) == vectors[source.name], source.name

        async def search() -> None:
            service = SessionService(target)
            hits = await service.search_events("decision made use DuckDB", limit=3)
            assert hits and hits[0]["event_type"] == "decision_made"
            found = await MemoryService(target).search_memories("dark mode", limit=1)
            assert found and found[0]["key"] == "ui_theme"

        asyncio.run(search())
        again = import_(target, folder)  # idempotent: nothing new, nothing left on offer
        assert again.inserted == 0 and again.vectors is not None and again.vectors.used
        assert again.vectors.reused == 0 and target.index.offered == {}
        assert target.index.stats.embedded == 0


def test_another_embedder_embeds_the_rows_again(exported: tuple[Path, Any], tmp_path: Path) -> None:
    folder, vectors = exported
    embedder = CountingEmbedder(dimension=32)  # fake-hash-32: another name and dimension
    with Store(tmp_path / "target", embedder=embedder) as target:
        result = import_(target, folder)
        assert result.vectors is not None and not result.vectors.used
        assert "fake-hash-64 (64-d)" in result.vectors.reason and "fake-hash-32 (32-d)" in result.vectors.reason
        target.wait_for_index(timeout=60)
        assert target.index is not None
        total = sum(len(found) for found in vectors.values())
        assert target.index.stats == type(target.index.stats)(embedded=total, reused=0)
        texts = [
            text
            for source in SOURCES
            for text in target.index.tables.scan(source.name, ["text"]).read_all().column("text").to_pylist()
        ]
        assert len(texts) == total and embedder.texts == len(set(texts))  # a text logged again is embedded once
        assert {s.name: len(stored_vectors(target, s.name)) for s in SOURCES} == {
            name: len(found) for name, found in vectors.items()
        }
    with Store(tmp_path / "plain", embedder=None) as plain:
        result = import_(plain, folder)
        assert result.vectors is not None and not result.vectors.used and "no embedder" in result.vectors.reason
        assert result.inserted > 0


async def test_a_filtered_export_carries_the_vectors_of_its_rows_only(tmp_path: Path) -> None:
    with Store(tmp_path / "source", embedder="fake") as source:
        await fill(source)
        result = export(source, tmp_path / "x", agents="claude", with_vectors=True)
        source.wait_for_index()
        events = {
            str(r[0])
            for r in source.sql(
                "SELECT e.id FROM events e JOIN sessions s ON s.id = e.session_id WHERE s.agent = 'claude'"
            ).fetchall()
        }
    assert result.manifest.vectors is not None
    entry = result.manifest.vectors.tables["events"]
    table = pa.concat_tables([pq.read_table(result.path / f.path) for f in entry.files])
    assert {str(i) for i in table.column("id").to_pylist()} == events  # every event has a vector
    assert entry.rows == len(events) == result.rows["events"]


def test_vectors_travel_only_with_the_row_version_they_were_computed_from() -> None:
    """The export's join: a vector whose index_lsn is not the row's (changed since, or an old memory version) stays."""
    con = duckdb.connect()
    con.execute("CREATE TABLE sessions (id UUID, agent VARCHAR, started_at TIMESTAMPTZ, index_lsn BIGINT)")
    con.execute("CREATE TABLE memories (id UUID, memory_id UUID, version BIGINT, index_lsn BIGINT)")
    a, b, c, m = (f"00000000-0000-4000-8000-00000000000{n}" for n in range(4))
    con.execute(
        "INSERT INTO sessions VALUES (?, 'claude', now(), 5), (?, 'claude', now(), 9), (?, 'gpt', now(), 7)", [a, b, c]
    )
    con.execute("INSERT INTO memories VALUES (gen_random_uuid(), ?, 1, 3), (gen_random_uuid(), ?, 2, 8)", [m, m])
    scanned = pa.table(
        {
            "id": [a, b, c, m, "not-a-uuid"],
            "index_lsn": pa.array([5, 6, 7, 3, 1], pa.int64()),  # b was re-summarised (9) after its vector (6)
            "text": ["a", "b", "c", "memory v1", "x"],
            "vector": pa.array([[1.0]] * 5, pa.list_(pa.float32(), 1)),
        }
    )
    con.register("v", scanned)
    sql, params = vector_rows_sql(table_spec("sessions"), "id", "v", Filters(agents=("claude",)))
    assert [str(r[0]) for r in con.execute(sql, params).fetchall()] == [a]  # c: another agent; b: stale
    sql, params = vector_rows_sql(table_spec("memories"), "memory_id", "v", Filters())
    assert con.execute(sql, params).fetchall() == []  # the vector is of version 1; version 2 is newer
    con.execute("UPDATE memories SET index_lsn = 2 WHERE version = 2")  # now version 1 (lsn 3) is the newest
    assert [str(r[0]) for r in con.execute(sql, params).fetchall()] == [m]


def test_export_with_vectors_needs_an_embedder(tmp_path: Path) -> None:
    with Store.memory(embedder=None) as store:
        with pytest.raises(ValidationError, match="needs a store with an embedder"):
            export(store, tmp_path / "x", with_vectors=True)
        with pytest.raises(ValidationError, match="with_vectors must be True or False"):
            export(store, tmp_path / "x", with_vectors="yes")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


# -- bad vectors files: refused, naming the file, the store unchanged ---------------------------


@pytest.fixture
def copy(exported: tuple[Path, Any], tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "dataset"
    shutil.copytree(exported[0], target)
    return target


@pytest.fixture
def target(tmp_path: Path) -> Any:
    with Store(tmp_path / "store", embedder="fake") as store:
        yield store


def manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text())


def vectors_file(folder: Path, source: str) -> Path:
    return folder / manifest(folder)["vectors"]["tables"][source]["files"][0]["path"]


def rewrite(folder: Path, path: Path, table: pa.Table) -> None:
    """Replace a vectors file, keeping the manifest consistent with it (a well-formed but bad dataset)."""
    pq.write_table(table, path, compression="zstd")
    data = manifest(folder)
    relative = path.relative_to(folder).as_posix()
    for entry in data["vectors"]["tables"].values():
        for item in entry["files"]:
            if item["path"] == relative:
                entry["rows"] += table.num_rows - item["rows"]
                item["rows"], item["bytes"] = table.num_rows, path.stat().st_size
    (folder / "manifest.json").write_text(json.dumps(data))


def vector_column(table: pa.Table, change: Any) -> pa.Table:
    values = [list(v) for v in table.column("vector").to_pylist()]
    change(values)
    return table.set_column(2, "vector", pa.array(values, table.schema.field("vector").type))


def expect_refused(store: Store, folder: Path, match: str) -> ImportFormatError:
    before = snapshot(store)
    with pytest.raises(ImportFormatError, match=match) as caught:
        import_(store, folder)
    assert snapshot(store) == before
    assert store.index is not None and store.index.offered == {}
    return caught.value


def test_a_vector_that_is_not_finite(copy: Path, target: Store) -> None:
    path = vectors_file(copy, "events")
    rewrite(copy, path, vector_column(pq.read_table(path), lambda v: v[2].__setitem__(5, float("nan"))))
    error = expect_refused(target, copy, "row 2: vector holds nan, not a finite number")
    assert error.path == str(path)


def test_a_vector_of_another_dimension(copy: Path, target: Store) -> None:
    path = vectors_file(copy, "sessions")
    rewrite(copy, path, vector_column(pq.read_table(path), lambda v: v[1].pop()))
    expect_refused(target, copy, "row 1: vector has 63 values, but the manifest's embedder has dimension 64")


def test_a_vector_of_a_row_the_dataset_does_not_have(copy: Path, target: Store) -> None:
    import uuid

    path = vectors_file(copy, "events")
    table = pq.read_table(path)
    ids = table.column("id").to_pylist()
    ids[-1] = uuid.uuid4()
    rewrite(copy, path, table.set_column(0, "id", pa.array([i.bytes for i in ids], pa.uuid())))
    error = expect_refused(target, copy, f"row {len(ids) - 1}: id {ids[-1]} is not the id of a row of the dataset")
    assert error.path == str(path)


def test_a_repeated_vector_id(copy: Path, target: Store) -> None:
    path = vectors_file(copy, "memories")
    table = pq.read_table(path)
    rewrite(copy, path, pa.concat_tables([table, table.slice(0, 1)]))
    expect_refused(target, copy, r"row 2: id [0-9a-f-]+ is repeated \(first at row 0")


def test_a_null_text_and_a_wrong_column_type(copy: Path, target: Store) -> None:
    path = vectors_file(copy, "document_chunks")
    table = pq.read_table(path)
    texts = table.column("text").to_pylist()
    texts[0] = None
    rewrite(copy, path, table.set_column(1, "text", pa.array(texts, pa.string())))
    expect_refused(target, copy, "row 0: text is null")
    rewrite(copy, path, table.set_column(2, "vector", table.column("vector").cast(pa.list_(pa.float64()))))
    expect_refused(target, copy, "column vector is list<element: double>, expected list<element: float>")


def test_a_truncated_vectors_file_is_refused_even_when_not_used(copy: Path, tmp_path: Path) -> None:
    path = vectors_file(copy, "events")
    path.write_bytes(path.read_bytes()[:-10])
    with Store(tmp_path / "plain", embedder=None) as plain:
        before = snapshot(plain)
        with pytest.raises(ImportFormatError, match="truncated or replaced") as caught:
            import_(plain, copy)
        assert caught.value.path == str(path) and snapshot(plain) == before


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda v: v["tables"].update(gadgets=v["tables"]["events"]), "must be under vectors/gadgets/"),
        (lambda v: v["tables"].update(gadgets={**v["tables"]["events"], "rows": 0, "files": []}), "index source"),
        (lambda v: v["tables"]["events"]["columns"].pop(), "vectors of 'events' have columns"),
        (lambda v: v["embedder"].update(dimension=0), "invalid manifest"),
    ],
    ids=["foreign-files", "unknown-source", "columns", "dimension"],
)
def test_bad_vectors_in_the_manifest(copy: Path, target: Store, change: Any, match: str) -> None:
    data = manifest(copy)
    change(data["vectors"])
    (copy / "manifest.json").write_text(json.dumps(data))
    expect_refused(target, copy, match)
