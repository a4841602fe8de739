"""Search benchmark: embedding throughput, indexing lag, search latency and recall.

Prints, for this machine and in one run:

(a) throughput of the default offline model (texts/s by batch size; see benchmarks/embedding.py);
(b) indexing lag: time from the start of a burst of 10,000 ``add_event`` calls (50 concurrent
    writers) until all of them are searchable, with the default model;
(c) ``search_events`` top-10 latency p50/p99 at 100k (and, with ``--full``, 1M) event vectors, with
    and without a filter (an event type holding ~5% of the rows), and recall@10 against exact
    search on 200 queries. The vectors are synthetic but clustered like real embeddings (a mixture
    of 1,000 Gaussian clusters on the unit sphere); the queries are fresh draws from the clusters.
    The whole search path is timed: query "embedding" (a lookup), LanceDB, and the DuckDB fetch. The
    table is searched as logging leaves it (its last rows added in small appends with the indexer's
    maintenance: compacted, index deltas, the newest rows not in the ANN index yet), each query twice:
    a first pass (each query new to the process, though the partitions it probes may have been loaded
    by the queries before it; each filter case has its own 200 queries), then again.
(d) maintenance as logging goes on: a 100k table, then rounds of small appends, each followed by a
    maintenance, under three policies on the same data: agentlog's (a small unindexed tail is merged
    into one fragment; past MAX_UNINDEXED rows the table is compacted, which adds a segment to the ANN
    index, retrained rather than given a ninth), agentlog's before tail merges (every maintenance
    compacts) and LanceDB's optimize alone (segments unbounded): time spent maintaining, and search
    latency as the rounds go on.

Figures are printed, never asserted. Usage: ``python benchmarks/search.py [--full] [--skip-a|b|c|d]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agentlog import SessionService, Store
from agentlog.embeddings import Calibration
from agentlog.index import vectors as vectors_module
from agentlog.index.indexer import SetWatermarks
from agentlog.index.sources import SOURCES
from agentlog.index.vectors import MAX_FRAGMENTS, MAX_UNINDEXED, VectorTables
from agentlog.services.import_ops import EVENT_ROWS, SESSION_ROWS, ImportRows, check_rows
from benchmarks.stats import median_ms, percentile_ms

DIM = 384
TYPES = ["task_created", "task_updated", "task_completed", "decision_made", "context_shared", "pattern_identified"]
RARE = "error_encountered"


def part_a() -> None:
    from embedding import measure_embedding_throughput  # type: ignore[import-not-found]

    from agentlog.embeddings import MiniLMEmbedder

    rows = measure_embedding_throughput(MiniLMEmbedder())
    print("(a) default model throughput")
    for row in rows:
        print("   ", "  ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))


async def part_b(burst: int = 10_000, writers: int = 50) -> None:
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "store", embedder="minilm") as store:
        service = SessionService(store)
        sessions = [(await service.create_session("claude"))["id"] for _ in range(10)]
        assert store.embedder is not None
        store.embedder.embed(["warm up the model"])  # loading is not lag
        per_writer = burst // writers
        burst = per_writer * writers  # the calls made

        async def writer(w: int) -> None:
            for n in range(per_writer):
                await service.add_event(
                    sessions[(w + n) % len(sessions)],
                    "task_updated",
                    {
                        "task_id": f"{w}-{n}",
                        "title": f"Refactor module {n % 97} of service {w}",
                        "status": "in_progress",
                    },
                )

        start = time.perf_counter()
        await asyncio.gather(*(writer(w) for w in range(writers)))
        written = time.perf_counter()
        await asyncio.to_thread(store.wait_for_index)
        done = time.perf_counter()
    print(f"(b) indexing lag for {burst:,} add_event calls ({writers} writers):")
    print(
        f"    writes took {written - start:.1f} s; all searchable {done - start:.1f} s after the burst began "
        f"({done - written:.1f} s after the last write); {burst / (done - start):.0f} events/s end to end"
    )


class QueryTable:
    """An embedder that returns prepared query vectors (for synthetic-vector benchmarks)."""

    name = "synthetic-clustered-384"
    dimension = DIM
    calibration = Calibration.identity()

    def __init__(self, queries: dict[str, np.ndarray]) -> None:
        self.queries = queries

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.queries[t] for t in texts]).astype(np.float32)


def clustered(rng: np.random.Generator, n: int, centers: np.ndarray, spread: float = 0.35) -> np.ndarray:
    picks = rng.integers(0, len(centers), n)
    vectors = centers[picks] + rng.normal(scale=spread / np.sqrt(DIM), size=(n, DIM)).astype(np.float32)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def build_store(
    path: Path, n: int, rng: np.random.Generator, centers: np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray, pa.Table]:
    """Write ``n`` synthetic events to a new store's DuckDB; return ids, vectors, types and their index rows."""
    sessions_n = max(1, n // 50)
    session_ids = [uuid.UUID(bytes=rng.bytes(16), version=4) for _ in range(sessions_n)]
    now = np.datetime64("2026-06-01T00:00:00", "us")
    sessions = pa.table(
        {
            "id": pa.array([s.bytes for s in session_ids], pa.uuid()),
            "agent": pa.array(np.array(["claude", "gemini", "gpt", "user"])[rng.integers(0, 4, sessions_n)]),
            "project_id": pa.nulls(sessions_n, pa.uuid()),
            "user_id": pa.nulls(sessions_n, pa.string()),
            "app_name": pa.nulls(sessions_n, pa.string()),
            "lifecycle": ["terminated"] * sessions_n,
            "summary": pa.nulls(sessions_n, pa.string()),
            "metadata": ["{}"] * sessions_n,
            "state": ["{}"] * sessions_n,
            "started_at": pa.array(np.full(sessions_n, now), pa.timestamp("us", tz="UTC")),
            "ended_at": pa.array(np.full(sessions_n, now), pa.timestamp("us", tz="UTC")),
            "updated_at": pa.array(np.full(sessions_n, now), pa.timestamp("us", tz="UTC")),
        }
    )
    event_ids = [uuid.UUID(bytes=rng.bytes(16), version=4) for _ in range(n)]
    types = np.where(rng.random(n) < 0.05, RARE, np.array(TYPES)[rng.integers(0, len(TYPES), n)])
    owner = np.arange(n) % sessions_n
    events = pa.table(
        {
            "id": pa.array([e.bytes for e in event_ids], pa.uuid()),
            "session_id": pa.array([session_ids[i].bytes for i in owner], pa.uuid()),
            "seq": pa.array(np.arange(n) // sessions_n + 1, pa.int64()),
            "event_type": pa.array(types),
            "event_data": ['{"synthetic":true}'] * n,
            "metadata": ["{}"] * n,
            "timestamp": pa.array(np.full(n, now), pa.timestamp("us", tz="UTC")),
        }
    )
    vectors = clustered(rng, n, centers)
    with Store(path, embedder=None) as store:
        store.write(
            ImportRows(check_rows(sessions, SESSION_ROWS, "sessions"), check_rows(events, EVENT_ROWS, "events"))
        )
        done = store.committed_lsn  # every change is indexed (by this script, once the store is open)
        store.write(SetWatermarks({source.name: done for source in SOURCES}, done))
    tables = VectorTables(path / "lance", DIM)
    for name in ("events", "sessions"):
        tables.table(name)  # present, so that opening the store does not rebuild the index
    agents = dict(zip((str(s) for s in session_ids), sessions.column("agent").to_pylist(), strict=True))
    ids = [str(e) for e in event_ids]
    index_rows = pa.table(
        {
            "id": ids,
            "index_lsn": pa.array(range(sessions_n + 1, n + sessions_n + 1), pa.int64()),
            "text": pa.nulls(n, pa.string()),
            "session_id": [str(session_ids[i]) for i in owner],
            "agent": [agents[str(session_ids[i])] for i in owner],
            "project_id": pa.nulls(n, pa.string()),
            "event_type": pa.array(types),
            "timestamp_us": pa.array(np.zeros(n, np.int64)),
        }
    )
    return ids, vectors, types, index_rows


def add_vectors(tables: VectorTables, rows: pa.Table, vectors: np.ndarray, start: int, stop: int, step: int) -> None:
    """Append rows ``start:stop`` to the events table, ``step`` rows per append."""
    for first in range(start, stop, step):
        last = min(stop, first + step)
        tables.add("events", rows.slice(first, last - first), vectors[first:last])


async def part_c(n: int, queries: int = 200) -> None:
    rng = np.random.default_rng(42)
    centers = rng.normal(size=(1000, DIM)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store"
        t = time.perf_counter()
        ids, vectors, types, index_rows = build_store(path, n, rng, centers)
        built = time.perf_counter() - t
        cases = (("no filter", None), (f"event_type = {RARE} (~5%)", RARE))
        # Fresh queries for each case: the filtered first pass must not repeat the unfiltered passes'
        # vectors, whose partitions those passes loaded into LanceDB's cache.
        query_sets = {event_type: clustered(rng, queries, centers) for _, event_type in cases}
        embedder = QueryTable(
            {f"{event_type}-{i}": v for event_type, vs in query_sets.items() for i, v in enumerate(vs)}
        )
        with Store(path, embedder=embedder) as store:
            assert store.index is not None
            tables = store.index.tables
            # Most rows in large appends, then the ANN index; the last rows as the indexer adds them
            # (appends of 1,000 rows, maintenance after every 4,000), so that the table is searched
            # in the state logging leaves it: compacted, the index updated, the latest rows not yet
            # in the index.
            tail = min(n // 3, 30_000)
            add_vectors(tables, index_rows, vectors, 0, n - tail, 100_000)
            t = time.perf_counter()
            store.index.maintain()
            index_time = time.perf_counter() - t
            t = time.perf_counter()
            for start in range(n - tail, n, 4000):
                add_vectors(tables, index_rows, vectors, start, min(n, start + 4000), 1000)
                store.index.maintain()
            tail_time = time.perf_counter() - t
            unindexed = tables.unindexed_rows("events")
            segments = tables.ann_segments("events")
            ann = tables.has_ann_index("events")
            service = SessionService(store)
            for label, event_type in cases:
                query_vectors = query_sets[event_type]
                mask = np.ones(n, bool) if event_type is None else types == event_type
                candidates = np.flatnonzero(mask)
                figures, recalls = [], []
                # Twice: first each query new to the process (LanceDB's cache holds only what earlier
                # queries loaded), then again once it holds what these queries probe (a process that has
                # been searching for a while).
                for run in ("first", "again"):
                    latencies = []
                    for i in range(queries):
                        start = time.perf_counter()
                        hits = await service.search_events(f"{event_type}-{i}", event_type=event_type, limit=10)
                        latencies.append(time.perf_counter() - start)
                        if run == "first":
                            scores = vectors[candidates] @ query_vectors[i]
                            exact = {ids[candidates[j]] for j in np.argpartition(-scores, 10)[:10]}
                            recalls.append(len(exact & {str(h["id"]) for h in hits}) / 10)
                    ordered = sorted(latencies)
                    p50, p99 = median_ms(ordered), percentile_ms(ordered, 0.99)
                    figures.append(f"{run}: p50 {p50:6.1f} ms  p99 {p99:6.1f} ms")
                recall = statistics.mean(recalls)
                print(f"    {n:>9,} vectors  {label:38s} {'  |  '.join(figures)}  recall@10 {recall:.3f}")
    print(
        f"    ({n:,}: data built in {built:.0f} s; ANN index ({ann}) built in {index_time:.0f} s; last {tail:,} rows "
        f"added with maintenance in {tail_time:.0f} s, {unindexed:,} of them not yet in the ANN index, which has "
        f"{segments} segments)"
    )


def part_d(n: int = 100_000, rounds: int = 60, queries: int = 100) -> None:
    """Maintenance as logging goes on: the same rounds of small appends and a maintenance after each, under
    three policies: agentlog's, agentlog's before tail merges (every maintenance compacts; the ANN index
    retrained rather than given a ninth segment) and LanceDB's optimize alone (segments unbounded)."""
    rng = np.random.default_rng(11)
    centers = rng.normal(size=(1000, DIM)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    query_vectors = clustered(rng, queries, centers)
    per_round = (MAX_FRAGMENTS + 1) * 10
    vectors, rows = index_rows_only(rng, n + rounds * per_round, centers)
    print(
        f"(d) {n:,} vectors, then {rounds} rounds of {MAX_FRAGMENTS + 1} appends of 10 rows, each round followed by"
        " a maintenance: time spent maintaining, and unfiltered search p50 every 20 rounds"
    )

    def agentlog_maintenance(tables: VectorTables) -> None:
        tables.maintain("events")

    def lancedb_optimize(tables: VectorTables) -> None:
        tables.table("events").optimize()

    # label: (what a maintenance does, MAX_UNINDEXED meanwhile: -1 makes every agentlog maintenance compact)
    policies = {
        "agentlog": (agentlog_maintenance, MAX_UNINDEXED),
        "compact each time": (agentlog_maintenance, -1),
        "LanceDB optimize": (lancedb_optimize, MAX_UNINDEXED),
    }
    results: dict[str, tuple[float, list[tuple[int, int, int, float]]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, (maintain, max_unindexed) in policies.items():
            vectors_module.MAX_UNINDEXED = max_unindexed
            try:
                tables = VectorTables(Path(tmp) / label.replace(" ", "_"), DIM)
                add_vectors(tables, rows, vectors, 0, n, 100_000)
                tables.maintain("events")
                start, spent, marks = n, 0.0, []
                for done in range(1, rounds + 1):
                    add_vectors(tables, rows, vectors, start, start + per_round, 10)
                    start += per_round
                    begin = time.perf_counter()
                    maintain(tables)
                    spent += time.perf_counter() - begin
                    if done % 20 == 0:
                        latencies = []
                        for query in query_vectors:
                            begin = time.perf_counter()
                            tables.vector_search("events", query, where=None, limit=10)
                            latencies.append(time.perf_counter() - begin)
                        p50 = statistics.median(latencies) * 1000
                        marks.append((done, tables.ann_segments("events"), tables.unindexed_rows("events"), p50))
                results[label] = (spent, marks)
            finally:
                vectors_module.MAX_UNINDEXED = MAX_UNINDEXED
    print(f"    {'policy':18s}  {'maintenance':>11s}  {'rounds':>6s}  {'segments':>8s}  {'unindexed':>9s}  search p50")
    for label, (spent, marks) in results.items():
        for index, (done, segments, unindexed, p50) in enumerate(marks):
            first = f"{label:18s}  {spent:9.1f} s" if index == 0 else f"{'':18s}  {'':11s}"
            print(f"    {first}  {done:6d}  {segments:8d}  {unindexed:9,d}  {p50:7.1f} ms")


def index_rows_only(rng: np.random.Generator, n: int, centers: np.ndarray) -> tuple[np.ndarray, pa.Table]:
    """``n`` synthetic events as index rows only (no store): their vectors and rows."""
    ids = [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(n)]
    types = np.where(rng.random(n) < 0.05, RARE, np.array(TYPES)[rng.integers(0, len(TYPES), n)])
    rows = pa.table(
        {
            "id": ids,
            "index_lsn": pa.array(range(1, n + 1), pa.int64()),
            "text": pa.nulls(n, pa.string()),
            "session_id": [ids[i % 1000] for i in range(n)],
            "agent": pa.array(np.array(["claude", "gemini", "gpt", "user"])[rng.integers(0, 4, n)]),
            "project_id": pa.nulls(n, pa.string()),
            "event_type": pa.array(types),
            "timestamp_us": pa.array(np.zeros(n, np.int64)),
        }
    )
    return clustered(rng, n, centers), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="also measure (c) at 1M vectors (several minutes)")
    parser.add_argument("--skip-a", action="store_true")
    parser.add_argument("--skip-b", action="store_true")
    parser.add_argument("--skip-c", action="store_true")
    parser.add_argument("--skip-d", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if not args.skip_a:
        part_a()
    if not args.skip_b:
        asyncio.run(part_b())
    if not args.skip_c:
        print("(c) search_events top-10 latency and recall@10 (synthetic clustered vectors, 384-d)")
        for n in (100_000, 1_000_000) if args.full else (100_000,):
            asyncio.run(part_c(n))
    if not args.skip_d:
        part_d()


if __name__ == "__main__":
    main()
