"""Ingest benchmark: how fast events reach a durable commit.

Prints, for this machine and in one run:

(a) ``add_event``, one awaited call at a time: events/s and p50/p99 latency;
(b) 50 concurrent writers, each awaiting its own calls: events/s and p50/p99;
(c) ``add_events`` bulk of 1M events (an Arrow table): events/s;
(d) the naive baseline: one INSERT + COMMIT per event on a bare DuckDB connection
    (same table definition);
(e) raw DuckDB ``INSERT ... SELECT`` of the same 1M-row Arrow table (same table definition);

and the ratios (a)/(d), (b)/(d), (c)/(e). (a)-(c) open their stores with ``embedder=None``: the write
path alone. (a) and (b) run again on a default store (the offline model, loaded beforehand), whose indexer
embeds the new events after each commit on the same two cores: what a user of ``Store(path)`` sees.
Figures are printed, never asserted.

Usage: ``python benchmarks/ingest.py [--bulk 1000000] [--sequential 2000] [--writers 50] [--per-writer 400]``

``--only bulk`` runs (c) and (e) alone, with the same table; ``--only bulk --repeat N`` runs the pair N times in
one process, interleaved ((e) first in odd runs, (c) first in even ones), and prints the ratio (c)/(e) of each
run (timings on a shared machine are noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agentlog import SessionService, Store
from agentlog.store.migrations import apply_migrations
from benchmarks.stats import median_ms, percentile_ms

PAYLOAD = {"task_id": "123", "title": "Implement SessionService", "assignee": "claude", "priority": "high"}


def percentiles(latencies: list[float]) -> tuple[float, float]:
    """p50 and p99 of latencies in seconds, in milliseconds (see ``stats.py``)."""
    return median_ms(latencies), percentile_ms(latencies, 0.99)


async def sequential(store: Store, count: int) -> dict[str, float]:
    service = SessionService(store)
    session = await service.create_session("claude")
    await service.add_event(session["id"], "task_created", PAYLOAD)  # warm-up
    latencies = []
    start = time.perf_counter()
    for n in range(count):
        t = time.perf_counter()
        await service.add_event(session["id"], "task_created", {**PAYLOAD, "n": n})
        latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - start
    p50, p99 = percentiles(latencies)
    return {"events_per_s": count / elapsed, "p50_ms": p50, "p99_ms": p99}


async def concurrent(store: Store, writers: int, per_writer: int) -> dict[str, float]:
    service = SessionService(store)
    sessions = [(await service.create_session("claude"))["id"] for _ in range(8)]
    for sid in sessions:
        await service.add_event(sid, "task_created", PAYLOAD)
    latencies: list[float] = []

    async def writer(number: int) -> None:
        sid = sessions[number % len(sessions)]
        for n in range(per_writer):
            t = time.perf_counter()
            await service.add_event(sid, "task_created", {**PAYLOAD, "writer": number, "n": n})
            latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    elapsed = time.perf_counter() - start
    p50, p99 = percentiles(latencies)
    return {"events_per_s": writers * per_writer / elapsed, "p50_ms": p50, "p99_ms": p99}


def event_table(count: int) -> pa.Table:
    """The bulk input: what a caller hands to add_events."""
    rng = np.random.default_rng(0)
    ids = _random_ids(rng, count)
    now = datetime.now(UTC)
    types = np.array(["task_created", "task_updated", "decision_made", "error_encountered"])
    return pa.table(
        {
            "id": ids,
            "event_type": pa.array(types[rng.integers(0, len(types), count)]),
            "event_data": pa.array(
                [json.dumps({**PAYLOAD, "n": n}, separators=(",", ":")) for n in range(count)], pa.string()
            ),
            "metadata": pa.array(['{"file":"session_service.py","lines_changed":12}'] * count, pa.string()),
            "timestamp": pa.array([now] * count, pa.timestamp("us", tz="UTC")),
        }
    )


def _random_ids(rng: np.random.Generator, count: int) -> pa.Array:
    raw = np.frombuffer(rng.bytes(16 * count), dtype=np.uint8).reshape(count, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # variant
    storage = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), count, [None, pa.py_buffer(raw.tobytes())])
    return pa.ExtensionArray.from_storage(pa.uuid(), storage)


async def bulk(store: Store, table: pa.Table) -> dict[str, float]:
    service = SessionService(store)
    session = await service.create_session("claude")
    start = time.perf_counter()
    result = await service.add_events(session["id"], table)
    elapsed = time.perf_counter() - start
    assert result["inserted"] == table.num_rows
    return {"events_per_s": table.num_rows / elapsed, "seconds": elapsed}


def bare_connection(directory: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(directory / "bare.duckdb"))
    con.execute("SET GLOBAL TimeZone = 'UTC'")
    apply_migrations(con)  # the same table definitions as a store
    return con


def naive(directory: Path, count: int) -> dict[str, float]:
    con = bare_connection(directory)
    session = uuid.uuid4()
    latencies = []
    start = time.perf_counter()
    for n in range(count):
        t = time.perf_counter()
        con.execute("BEGIN TRANSACTION")
        con.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [uuid.uuid4(), session, n + 1, "task_created", json.dumps({**PAYLOAD, "n": n}), "{}", datetime.now(UTC), n],
        )
        con.execute("COMMIT")
        latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - start
    con.close()
    p50, p99 = percentiles(latencies)
    return {"events_per_s": count / elapsed, "p50_ms": p50, "p99_ms": p99}


def raw_insert(directory: Path, table: pa.Table) -> dict[str, float]:
    con = bare_connection(directory)
    count = table.num_rows
    full = pa.table(
        {
            "id": table.column("id"),
            "session_id": pa.array([uuid.uuid4().bytes] * count, pa.uuid()),
            "seq": pa.array(np.arange(1, count + 1), pa.int64()),
            "event_type": table.column("event_type"),
            "event_data": table.column("event_data"),
            "metadata": table.column("metadata"),
            "timestamp": table.column("timestamp"),
            "index_lsn": pa.array(np.arange(1, count + 1), pa.int64()),
        }
    )
    con.register("batch", full)
    start = time.perf_counter()
    con.execute("INSERT INTO events BY NAME SELECT * FROM batch")
    elapsed = time.perf_counter() - start
    con.close()
    return {"events_per_s": count / elapsed, "seconds": elapsed}


def bulk_only(table: pa.Table, repeat: int) -> None:
    """Run (e) and (c) ``repeat`` times, interleaved, and print each run's ratio (c)/(e)."""

    def raw(base: Path) -> dict[str, float]:
        (base / "e").mkdir()
        return raw_insert(base / "e", table)

    def ours(base: Path) -> dict[str, float]:
        with Store(base / "c", embedder=None) as store:
            return asyncio.run(bulk(store, table))

    print(f"{'run':>3s} {'(c) add_events/s':>17s} {'(c) s':>7s} {'(e) raw/s':>12s} {'(e) s':>7s} {'(c)/(e)':>8s}")
    ratios = []
    for run in range(1, repeat + 1):
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            if run % 2:
                e, c = raw(base), ours(base)
            else:
                c, e = ours(base), raw(base)
        ratio = c["events_per_s"] / e["events_per_s"]
        ratios.append(ratio)
        print(
            f"{run:>3d} {c['events_per_s']:>17,.0f} {c['seconds']:>7.2f} "
            f"{e['events_per_s']:>12,.0f} {e['seconds']:>7.2f} {ratio:>8.2f}"
        )
    print()
    print(
        f"(c)/(e) over {repeat} run(s): median {statistics.median(ratios):.2f}, "
        f"min {min(ratios):.2f}, max {max(ratios):.2f}   (target >= 0.70)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bulk", type=int, default=1_000_000)
    parser.add_argument("--sequential", type=int, default=2000)
    parser.add_argument("--writers", type=int, default=50)
    parser.add_argument("--per-writer", type=int, default=400)
    parser.add_argument("--only", choices=["bulk"], help="run only (c) and (e)")
    parser.add_argument("--repeat", type=int, default=1, help="with --only bulk: runs of (c) and (e), interleaved")
    args = parser.parse_args()
    if args.repeat < 1 or (args.repeat > 1 and args.only != "bulk"):
        parser.error("--repeat takes a count of 1 or more, and more than 1 only with --only bulk")
    if min(args.bulk, args.sequential, args.writers, args.per_writer) < 1:
        parser.error("--bulk, --sequential, --writers and --per-writer take counts of 1 or more")

    table = event_table(args.bulk)
    if args.only == "bulk":
        bulk_only(table, args.repeat)
        return
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for name in "de":
            (base / name).mkdir()
        results["d"] = naive(base / "d", args.sequential)
        results["e"] = raw_insert(base / "e", table)
        # The write path alone: no embedder, so no model competes for the two cores. Indexing runs
        # after commit and never adds to add_event's latency; its cost is measured by benchmarks/search.py.
        with Store(base / "a", embedder=None) as store:
            results["a"] = asyncio.run(sequential(store, args.sequential))
        with Store(base / "b", embedder=None) as store:
            results["b"] = asyncio.run(concurrent(store, args.writers, args.per_writer))
        with Store(base / "c", embedder=None) as store:
            results["c"] = asyncio.run(bulk(store, table))
        # The same on a default store: the indexer embeds the events after each commit, on the same cores
        # (closing stops it; what is left would be indexed at the next open).
        for key in ("a+", "b+"):
            with Store(base / f"{key[0]}_model") as store:
                assert store.embedder is not None
                store.embedder.embed(["load the model before timing"])
                if key == "a+":
                    results[key] = asyncio.run(sequential(store, args.sequential))
                else:
                    results[key] = asyncio.run(concurrent(store, args.writers, args.per_writer))

    rows = [
        ("(a) add_event, one awaited call at a time", "a"),
        (f"(b) add_event, {args.writers} concurrent writers", "b"),
        ("(a) on a default store (model indexing meanwhile)", "a+"),
        (f"(b) on a default store, {args.writers} writers (model indexing)", "b+"),
        (f"(c) add_events bulk, {args.bulk:,} events (Arrow)", "c"),
        ("(d) naive: INSERT + COMMIT per event, bare DuckDB", "d"),
        (f"(e) raw DuckDB INSERT ... SELECT, {args.bulk:,} rows", "e"),
    ]
    print(f"{'measure':52s} {'events/s':>12s} {'p50 ms':>8s} {'p99 ms':>8s}")
    for label, key in rows:
        r = results[key]
        p50 = f"{r['p50_ms']:.2f}" if "p50_ms" in r else ""
        p99 = f"{r['p99_ms']:.2f}" if "p99_ms" in r else ""
        print(f"{label:52s} {r['events_per_s']:>12,.0f} {p50:>8s} {p99:>8s}")
    print()
    print(f"(a)/(d) = {results['a']['events_per_s'] / results['d']['events_per_s']:.2f}   (target >= 0.8)")
    print(f"(b)/(d) = {results['b']['events_per_s'] / results['d']['events_per_s']:.1f}   (target >= 50)")
    print(f"(c)/(e) = {results['c']['events_per_s'] / results['e']['events_per_s']:.2f}   (target >= 0.70)")


if __name__ == "__main__":
    main()
