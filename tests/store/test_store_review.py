"""Regressions found in review: cancelled futures, undo after a flush, interrupted reindex, close races."""

from __future__ import annotations

import asyncio
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from agentlog import NotAStoreError, SearchUnavailableError, Store, StoreClosedError, StoreError, ValidationError
from agentlog.index import vectors
from agentlog.store.manifest import MANIFEST_NAME, EmbedderInfo, read_manifest, write_manifest
from agentlog.store.store import DUCKDB_NAME
from agentlog.store.writer import Transaction


def _tombstone(kind: str) -> dict[str, Any]:
    return {"kind": kind, "item_id": uuid.uuid4().bytes, "index_lsn": 0}


class Hold:
    """Keep the writer busy until ``gate`` opens (so the next ops queue up as one group)."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()

    def apply(self, tx: Transaction) -> None:
        self.entered.set()
        self.gate.wait(5)


class Tombstone:
    def __init__(self, kind: str = "good") -> None:
        self.kind = kind

    def apply(self, tx: Transaction) -> str:
        tx.append("index_tombstones", _tombstone(self.kind))
        return self.kind


class FlushThenFail:
    """Flush the rows of earlier ops, buffer a row of its own, then fail before changing anything else."""

    def apply(self, tx: Transaction) -> None:
        tx.query("SELECT 1")
        tx.append("index_tombstones", _tombstone("bad"))
        raise ValidationError("rejected")


def _kinds(store: Store) -> list[tuple[str, int]]:
    rows = store.sql("SELECT kind, count(*) FROM index_tombstones GROUP BY ALL ORDER BY ALL").fetchall()
    return [(str(kind), int(n)) for kind, n in rows]


def _queue_behind_hold(store: Store, ops: list[Any]) -> tuple[Hold, list[Any]]:
    hold = Hold()
    store.submit(hold)
    assert hold.entered.wait(5)
    return hold, [store.submit(op) for op in ops]


def test_cancelling_a_queued_future_keeps_the_writer_alive() -> None:
    with Store.memory(embedder=None) as store:
        hold, (first, second) = _queue_behind_hold(store, [Tombstone(), Tombstone()])
        assert first.cancel()
        hold.gate.set()
        assert second.result(5) == "good"
        assert store.submit(Tombstone()).result(5) == "good"
        assert _kinds(store) == [("good", 3)]  # the cancelled write itself stands


def test_a_failing_op_loses_its_rows_even_after_a_flush() -> None:
    with Store.memory(embedder=None) as store:
        hold, (good, bad, later) = _queue_behind_hold(store, [Tombstone(), FlushThenFail(), Tombstone("later")])
        hold.gate.set()
        assert good.result(5) == "good" and later.result(5) == "later"
        with pytest.raises(ValidationError):
            bad.result(5)
        assert _kinds(store) == [("good", 1), ("later", 1)]


def test_an_interrupted_reindex_does_not_leave_a_dead_indexer(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(self: vectors.VectorTables) -> None:
        raise KeyboardInterrupt

    with Store.memory(embedder="fake") as store:
        monkeypatch.setattr(vectors.VectorTables, "drop_all", interrupted)
        with pytest.raises(KeyboardInterrupt):
            store.reindex("fake", progress=False)
        assert store.index is None
        # refused at once (no indexer to wait for), not after waiting out the timeout
        with pytest.raises(SearchUnavailableError) as caught:
            store.wait_for_index(timeout=60)
        assert "did not catch up" not in str(caught.value), caught.value
        monkeypatch.undo()
        store.reindex("fake", progress=False)
        store.wait_for_index(timeout=30)


def test_waiting_on_an_indexer_without_a_thread_raises() -> None:
    with Store.memory(embedder="fake") as store:
        assert store.index is not None
        indexer = type(store.index)(store, store.index.embedder, store.index.tables)
        with pytest.raises(SearchUnavailableError):
            indexer.wait(store.committed_lsn + 1, timeout=30)


def test_vectors_of_another_dimension_are_rebuilt_on_open(tmp_path: Path) -> None:
    from agentlog.embeddings.fake import FakeEmbedder

    path = tmp_path / "s"
    with Store(path, embedder="fake") as store:
        store.write(Tombstone())
        store.wait_for_index(timeout=30)
    manifest = read_manifest(path)
    assert manifest is not None
    info = EmbedderInfo(name=FakeEmbedder(32).name, dimension=32)  # a reindex killed before the drop
    write_manifest(path, manifest.model_copy(update={"embedder": info, "rebuild_pending": True}))
    with Store(path, embedder=FakeEmbedder(32)) as store:
        store.wait_for_index(timeout=30)
        assert store.index is not None
        assert store.index.tables.table("events").schema.field("vector").type.list_size == 32
    reopened = read_manifest(path)
    assert reopened is not None and not reopened.rebuild_pending


def test_reads_racing_close_raise_store_closed() -> None:
    store = Store.memory(embedder=None)
    entered, closed = threading.Event(), threading.Event()

    def slow(cur: Any) -> Any:
        entered.set()
        assert closed.wait(5), "close() did not return while a read was running"
        return cur.execute("SELECT count(*) FROM events").fetchall()

    errors: list[BaseException] = []

    def read() -> None:
        try:
            store.read(slow)
        except BaseException as exc:
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    assert entered.wait(5)
    store.close()
    closed.set()
    reader.join(5)
    assert len(errors) == 1 and isinstance(errors[0], StoreClosedError), errors


def test_nested_snapshot_reads_share_the_outer_snapshot() -> None:
    with Store.memory(embedder=None) as store:
        inner = store.read(
            lambda cur: store.read(lambda c: c.execute("SELECT 1").fetchall(), snapshot=True), snapshot=True
        )
        assert inner == [(1,)]


def test_concurrent_close_is_clean(tmp_path: Path) -> None:
    store = Store(tmp_path / "s", embedder="fake")
    errors: list[BaseException] = []

    def close() -> None:
        try:
            store.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=close) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == [] and store.closed


@pytest.mark.parametrize("damage", ["not-utf8", "directory"])
def test_unreadable_manifest_is_a_typed_error(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "s"
    Store(path, embedder=None).close()
    manifest = path / MANIFEST_NAME
    if damage == "not-utf8":
        manifest.write_bytes(b"\xff\xfe\x00garbage")
    else:
        manifest.unlink()
        manifest.mkdir()
    with pytest.raises(NotAStoreError):
        Store(path, embedder=None)


def test_corrupt_database_and_home_under_a_file_are_typed_errors(tmp_path: Path) -> None:
    path = tmp_path / "s"
    Store(path, embedder=None).close()
    (path / DUCKDB_NAME).write_bytes(b"not a duckdb file" * 100)
    with pytest.raises(StoreError, match=DUCKDB_NAME):
        Store(path, embedder=None)
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="file/sub"):
        Store(tmp_path / "file" / "sub", embedder=None)


@pytest.mark.parametrize("path", [5, b"/tmp/store", "", "   ", object()])
def test_a_path_that_is_not_one_is_a_validation_error(
    path: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # an empty path would have named the current directory
    with pytest.raises(ValidationError, match="path"):
        Store(path, embedder=None)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValidationError, match="not both"):
        Store(tmp_path / "store", memory=True, embedder=None)
    assert list(tmp_path.iterdir()) == []


def test_a_read_that_reaches_the_pool_after_close_raises_store_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.memory(embedder=None)
    store.close()
    monkeypatch.setattr(store, "check_open", lambda: None)  # as if close() ran just after the check
    with pytest.raises(StoreClosedError, match="closed during the read"):
        asyncio.run(store.read_async(lambda cur: cur.execute("SELECT 1").fetchall()))
