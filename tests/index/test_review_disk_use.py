"""Disk use of the vector index over long use: compactions drop the versions replaced long ago, safely."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import lancedb
import numpy as np
import pyarrow as pa
import pytest

from agentlog.index import vectors as vectors_module
from agentlog.index.vectors import VectorTables, cleanup_age
from agentlog.store import Store
from tests.index.test_vectors import DIM, event_table


def rows(start: int, count: int) -> tuple[pa.Table, np.ndarray]:
    """``count`` rows of the events table from row ``start`` on, with random unit vectors."""
    vectors = np.random.default_rng(start).normal(size=(count, DIM))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    return event_table(start, count, "tool_call", "ran step {n} of the build"), vectors


def files(directory: Path) -> int:
    """Files under ``directory``."""
    return sum(len(names) for _, _, names in os.walk(directory))


def log(tables: VectorTables, start: int, appends: int, per: int = 5) -> int:
    """Append ``appends`` batches of ``per`` rows, maintaining as the indexer does; return the next row."""
    for _ in range(appends):
        tables.add("events", *rows(start, per))
        start += per
        tables.maintain("events")
    return start


def test_compactions_drop_the_versions_replaced_long_ago(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every append, merge and compaction is a version of the table, with files of its own; LanceDB kept them
    # all for 7 days, so a store that logged for a week kept every compaction's rewrite of its table (at
    # 15,000 rows, 300 appends of 50 rows left 124 MB for 24 MB of vectors). A retention of 0 stands for
    # versions replaced longer ago than the real one.
    monkeypatch.setattr(vectors_module, "MAX_FRAGMENTS", 3)
    monkeypatch.setattr(vectors_module, "VERSION_RETENTION", timedelta(0))
    tables = VectorTables(tmp_path, DIM)
    table = tables.table("events")
    rounds = 80
    log(tables, 0, rounds)
    # 80 appends, and a compaction (with its index update) every 4: 260 versions without cleanup
    assert len(table.list_versions()) <= 12
    assert files(tmp_path / "events.lance" / "_versions") <= 14
    assert files(tmp_path / "events.lance") <= 40  # 1,737 without cleanup
    assert table.count_rows() == rounds * 5
    ids, _ = tables.vectors("events")
    assert len(set(ids)) == rounds * 5


def test_a_table_of_replaced_rows_is_compacted_once_its_versions_pile_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Replacing rows (a memory updated again and again) makes a version each time but no more fragments (the
    # replaced row's fragment goes): such a table never reached MAX_FRAGMENTS, so it was never compacted, and
    # kept every version, with its files, for good.
    monkeypatch.setattr(vectors_module, "VERSION_RETENTION", timedelta(0))
    monkeypatch.setattr(vectors_module, "MAX_VERSIONS", 20)
    tables = VectorTables(tmp_path, DIM)
    table = tables.table("events")
    for _ in range(80):
        tables.upsert("events", *rows(0, 5))
        tables.maintain("events")
    assert len(table.list_versions()) <= 22  # 83 without the rule
    assert files(tmp_path / "events.lance") <= 60  # 253 without it
    assert table.count_rows() == 5


def test_a_version_replaced_recently_keeps_its_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # LanceDB removes the versions *created* before its cutoff, but a version created long ago may have been
    # the latest until the compaction that replaces it, with a search still reading it: it keeps its files.
    retention = timedelta(seconds=0.5)
    monkeypatch.setattr(vectors_module, "MAX_FRAGMENTS", 3)
    monkeypatch.setattr(vectors_module, "VERSION_RETENTION", retention)
    tables = VectorTables(tmp_path, DIM)
    table = tables.table("events")
    start = log(tables, 0, 6)  # versions that will have been replaced long before the last compaction
    time.sleep(2.5 * retention.total_seconds())
    for _ in range(4):  # four fragments: the next maintenance compacts
        tables.add("events", *rows(start, 5))
        start += 5
    reader = lancedb.connect(str(tmp_path)).open_table("events")  # a search in progress, on the latest version
    pinned = reader.version
    before = len(table.list_versions())
    time.sleep(2 * retention.total_seconds())  # the latest version is now older than the retention
    tables.maintain("events")  # compacts, replacing the reader's version, and cleans up
    assert len(table.list_versions()) < before  # the versions replaced long ago are gone
    assert reader.version == pinned
    assert reader.to_arrow().num_rows == start
    assert reader.search(np.ones(DIM, dtype=np.float32)).limit(start).to_arrow().num_rows == start


def test_searches_go_on_while_maintenance_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    retention = timedelta(seconds=0.3)
    monkeypatch.setattr(vectors_module, "MAX_FRAGMENTS", 3)
    monkeypatch.setattr(vectors_module, "VERSION_RETENTION", retention)
    tables = VectorTables(tmp_path, DIM)
    start = log(tables, 0, 4)
    failures: list[BaseException] = []
    searches = 0
    done = threading.Event()

    def search() -> None:
        nonlocal searches
        query = np.ones(DIM, dtype=np.float32)
        while not done.is_set():
            try:
                assert tables.vector_search("events", query, where=None, limit=10).num_rows == 10
                assert tables.keyword_search("events", "build", where=None, limit=10).num_rows == 10
                assert len(tables.vectors("events")[0]) >= 20
            except BaseException as exc:  # reported below, with the thread ended
                failures.append(exc)
                return
            searches += 1

    thread = threading.Thread(target=search)
    thread.start()
    try:
        deadline = time.monotonic() + 6 * retention.total_seconds() + 1.0
        while time.monotonic() < deadline:
            start = log(tables, start, 4)
    finally:
        done.set()
        thread.join()
    assert not failures, failures[0]
    assert searches > 10
    table = tables.table("events")
    assert len(table.list_versions()) < start // 5  # versions were dropped meanwhile (an append makes one)


def test_the_cutoff_spares_the_version_that_was_the_latest_a_retention_ago() -> None:
    minute = 60.0
    versions = [{"version": n, "timestamp": datetime.fromtimestamp(1_000_000.0 + n * minute)} for n in range(1, 31)]
    now = 1_000_000.0 + 30 * minute + 5.0
    retention = vectors_module.VERSION_RETENTION.total_seconds()
    age = cleanup_age(versions, now=now).total_seconds()
    kept = [v["version"] for v in versions if v["timestamp"].timestamp() >= now - age]
    latest_then = max(v["version"] for v in versions if v["timestamp"].timestamp() <= now - retention)
    assert min(kept) <= latest_then  # it was the latest one retention ago: a search may still read it
    removed = [v for v in versions if v["timestamp"].timestamp() < now - age]
    # every version removed was replaced (by the next one) at least a retention ago
    assert all(versions[v["version"]]["timestamp"].timestamp() <= now - retention for v in removed)
    assert removed  # and some are
    assert cleanup_age(versions[-2:], now=now) >= vectors_module.VERSION_RETENTION  # none replaced long ago: none


_CRASHING_WRITER = """
import asyncio, os, signal, sys
from agentlog import SessionService, Store

async def main():
    sessions = SessionService(Store(sys.argv[1], embedder=None))
    session = await sessions.create_session("claude")
    for _ in range(40):
        await sessions.add_events(session["id"], [{"event_type": "x", "event_data": {"p": "e" * 300}}] * 100)
    os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(main())
"""


def test_closing_a_store_checkpoints_the_log_a_crash_left(tmp_path: Path) -> None:
    # DuckDB replays its write-ahead log at open but checkpoints at close only after writes: a crash's log
    # stayed beside a near-empty database file, replayed again at every open (a search, `agentlog info`).
    store_path = tmp_path / "store"
    crashed = subprocess.run([sys.executable, "-c", _CRASHING_WRITER, str(store_path)], check=False, timeout=120)
    assert crashed.returncode == -9
    wal = store_path / "agentlog.duckdb.wal"
    assert wal.exists() and wal.stat().st_size > 1_000_000
    Store(store_path, embedder=None).close()  # opened and closed without a write
    assert not wal.exists() or wal.stat().st_size == 0
    with Store(store_path, embedder=None) as store:
        assert store.sql("SELECT count(*) FROM events").fetchall() == [(4000,)]
