"""Disk use of a store over long use: printed, never asserted.

Logs in many small bursts, then replaces summaries, memories and documents, deletes half the sessions,
reopens and reindexes the store, and prints after each phase the size and file count of ``lance/`` and its
table versions, the size of the same rows written once into fresh tables (``live``), and the DuckDB file
and its write-ahead log. Uses the deterministic fake embedder (384-d, no model): the bytes of a vector are
those of the offline model's.

Twice: with LanceDB's default cleanup (versions kept 7 days: nothing is ever pruned in a run) and with
agentlog's (``agentlog.index.vectors.VERSION_RETENTION``, set to 0 here so that one run stands for use spread
over much longer than the retention, where compactions prune every version replaced before the last one).

Usage: ``python benchmarks/disk_use.py [--rounds 300] [--per 50] [--ann-min-rows 20000]``
(``--ann-min-rows 2000`` gives the events an ANN index early, so that maintenance merges tails instead
of compacting.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lancedb

from agentlog import DocumentIndexService, MemoryService, SessionService, Store
from agentlog.embeddings.fake import FakeEmbedder
from agentlog.index import vectors


def footprint(directory: Path) -> tuple[int, int]:
    """Bytes and files under ``directory``."""
    size = files = 0
    for root, _, names in os.walk(directory):
        for name in names:
            size += os.path.getsize(os.path.join(root, name))
            files += 1
    return size, files


def live_bytes(lance: Path, scratch: Path) -> tuple[int, int]:
    """The bytes of every table's rows written once into a fresh table (no index), and the versions kept."""
    shutil.rmtree(scratch, ignore_errors=True)
    source, fresh = lancedb.connect(str(lance)), lancedb.connect(str(scratch))
    listing = source.list_tables()
    versions = 0
    for name in getattr(listing, "tables", listing):
        table = source.open_table(name)
        versions += len(table.list_versions())
        data = table.to_arrow()
        if data.num_rows:
            fresh.create_table(name, data=data)
    size = footprint(scratch)[0]
    shutil.rmtree(scratch, ignore_errors=True)
    return size, versions


def report(phase: str, path: Path) -> None:
    lance = path / "lance"
    size, files = footprint(lance)
    live, versions = live_bytes(lance, path.parent / "live")
    wal = path / "agentlog.duckdb.wal"
    duck = os.path.getsize(path / "agentlog.duckdb") + (os.path.getsize(wal) if wal.exists() else 0)
    print(
        f"  {phase:<34} {size / 1e6:8.1f} MB {files:6d} {versions:6d}   {live / 1e6:6.1f} MB {size / live:5.1f}x"
        f"   {duck / 1e6:6.1f} MB"
    )


async def use(path: Path, rounds: int, per: int, ann_min_rows: int) -> None:
    store = Store(path, embedder=FakeEmbedder(384))
    assert store.index is not None
    store.index.tables.ann_min_rows = ann_min_rows
    sessions, memory, docs = SessionService(store), MemoryService(store), DocumentIndexService(store)
    ids: list[Any] = []
    for n in range(rounds):  # each burst indexed before the next: one append each
        if n % 10 == 0:
            ids.append((await sessions.create_session("claude", metadata={"round": n}))["id"])
        events = [
            {"event_type": "tool_call", "event_data": {"step": i, "note": f"ran step {i} of {n}"}} for i in range(per)
        ]
        await sessions.add_events(ids[-1], events)
        await sessions.update_session_state(ids[-1], {"round": n})
        if n % 10 == 9:
            await sessions.end_session(ids[-1], summary=f"round {n}: fixed the build, topic {n % 13}")
        store.wait_for_index()
    store.index.maintain()
    report(f"{rounds} bursts of {per} events", path)
    for n in range(200):
        await sessions.update_session_summary(ids[n % len(ids)], f"revised summary {n} about topic {n % 7}")
        await memory.put_memory("project:shop", f"key{n % 20}", {"value": n, "pad": "y" * 100}, "semantic")
        store.wait_for_index()
    store.index.maintain()
    report("200 summary + memory updates", path)
    text = " ".join(f"word{i}" for i in range(600))
    for n in range(100):
        await docs.index_document(f"notes/d{n % 10}.md", f"Doc {n % 10}", f"{text} revision {n}")
        store.wait_for_index()
    store.index.maintain()
    report("100 document re-indexes", path)
    for session_id in ids[: len(ids) // 2]:
        await sessions.delete_session(session_id)
        store.wait_for_index()
    store.index.maintain()
    report("half the sessions deleted", path)
    store.close()
    with Store(path, embedder=FakeEmbedder(384)) as store:
        assert store.index is not None
        store.wait_for_index()
        store.index.maintain()
    report("reopened, maintained", path)
    with Store(path, embedder=FakeEmbedder(384)) as store:
        store.reindex(FakeEmbedder(384), progress=False)
        store.wait_for_index()
    report("agentlog reindex", path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--per", type=int, default=50)
    parser.add_argument("--ann-min-rows", type=int, default=20_000)
    args = parser.parse_args()
    keep, most = vectors.cleanup_age, vectors.MAX_VERSIONS
    for label, cleanup, versions in (
        ("LanceDB's default cleanup (7 days), as before", lambda *a, **k: timedelta(days=7), 10**9),
        ("agentlog's", keep, most),
    ):
        vectors.cleanup_age, vectors.MAX_VERSIONS = cleanup, versions  # type: ignore[assignment]
        vectors.VERSION_RETENTION = timedelta(0)
        print(f"{label}:")
        print(f"  {'phase':<34} {'lance/':>11} {'files':>6} {'versions':>8} {'live':>9} {'ratio':>6}   {'duckdb':>9}")
        with tempfile.TemporaryDirectory(prefix="agentlog-disk-") as scratch:
            asyncio.run(use(Path(scratch) / "store", args.rounds, args.per, args.ann_min_rows))
    vectors.cleanup_age, vectors.MAX_VERSIONS = keep, most


if __name__ == "__main__":
    main()
