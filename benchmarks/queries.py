"""Read-path benchmark: p50/p99 of the SessionService queries on 100k sessions / 1M events.

The store is built in bulk (``ImportRows``) with 4 agents, sessions spread over 180 days and
10 events per session on average (one session holds exactly 100 events, for ``get_session``); the
newest 0.1% of the sessions are still active (``get_active_sessions`` returns 100 of 100k).
Each query runs through the async service, as a caller would use it. Targets (2 cores):
p50 <= 5 ms for the list/count queries and <= 2 ms for ``get_session`` (100 events).

Figures are printed, never asserted. Usage: ``python benchmarks/queries.py [--sessions 100000] [--events 1000000]``
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agentlog import SessionService, Store
from agentlog.services.import_ops import EVENT_ROWS, SESSION_ROWS, ImportRows, check_rows
from benchmarks.stats import median_ms, percentile_ms

AGENTS = np.array(["claude", "gemini", "gpt", "user"])


def build(store: Store, sessions: int, events: int) -> uuid.UUID:
    rng = np.random.default_rng(0)
    now = datetime.now(UTC)
    start = np.datetime64(now.replace(tzinfo=None), "us") - np.timedelta64(180, "D")
    offsets = np.sort(rng.integers(0, 180 * 86_400_000_000, sessions)).astype("timedelta64[us]")
    started = start + offsets
    ids = [uuid.UUID(bytes=rng.bytes(16), version=4) for _ in range(sessions)]
    active = np.arange(sessions) >= sessions - max(1, sessions // 1000)  # the newest 0.1% are still running
    ended = pa.array(started + np.timedelta64(3_600_000_000, "us"), pa.timestamp("us", tz="UTC"))
    session_table = pa.table(
        {
            "id": pa.array([i.bytes for i in ids], pa.uuid()),
            "agent": pa.array(AGENTS[rng.integers(0, 4, sessions)]),
            "project_id": pa.nulls(sessions, pa.uuid()),
            "user_id": pa.nulls(sessions, pa.string()),
            "app_name": pa.nulls(sessions, pa.string()),
            "lifecycle": np.where(active, "active", "terminated").tolist(),
            "summary": [f"Session {n} summary" for n in range(sessions)],
            "metadata": ['{"phase":"benchmark"}'] * sessions,
            "state": ["{}"] * sessions,
            "started_at": pa.array(started, pa.timestamp("us", tz="UTC")),
            "ended_at": pa.array(ended.to_pylist(), ended.type, mask=active),
            "updated_at": ended,
        }
    )
    counts = rng.poisson(events / sessions - 1, sessions) + 1  # at least one event, mean events/sessions
    big = sessions // 2
    counts[big] = 100
    owner = np.repeat(np.arange(sessions), counts)
    seq = np.concatenate([np.arange(1, c + 1) for c in counts])
    total = len(owner)
    event_table = pa.table(
        {
            "id": pa.array([uuid.UUID(bytes=rng.bytes(16), version=4).bytes for _ in range(total)], pa.uuid()),
            "session_id": pa.array([ids[o].bytes for o in owner], pa.uuid()),
            "seq": pa.array(seq, pa.int64()),
            "event_type": pa.array(
                np.array(["task_created", "task_updated", "decision_made", "error_encountered"])[
                    rng.integers(0, 4, total)
                ]
            ),
            "event_data": ['{"task_id":"123","title":"Implement SessionService"}'] * total,
            "metadata": ["{}"] * total,
            "timestamp": pa.array(
                started[owner] + (seq * 60_000_000).astype("timedelta64[us]"), pa.timestamp("us", tz="UTC")
            ),
        }
    )
    store.write(
        ImportRows(check_rows(session_table, SESSION_ROWS, "sessions"), check_rows(event_table, EVENT_ROWS, "events"))
    )
    return ids[big]


def result_size(result: Any) -> str:
    """What a query returned, in a few characters: rows of a list, events of a session, a count."""
    if isinstance(result, list):
        return f"{len(result)} rows"
    if isinstance(result, dict):
        return f"{len(result.get('events', []))} events"
    return str(result) if result is not None else "none"


async def measure(call: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, float, str]:
    for _ in range(5):
        returned = await call()
    latencies = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        latencies.append(time.perf_counter() - start)
    return median_ms(latencies), percentile_ms(latencies, 0.99), result_size(returned)


async def run(store: Store, big: uuid.UUID, runs: int) -> None:
    service = SessionService(store)
    week = datetime.now(UTC) - timedelta(days=7)
    cases: list[tuple[str, Callable[[], Awaitable[Any]], float]] = [
        ("list_sessions(limit=20)", lambda: service.list_sessions(limit=20), 5),
        ("list_sessions(agent='claude', limit=20)", lambda: service.list_sessions(agent="claude", limit=20), 5),
        ("list_sessions(since=7 days ago)", lambda: service.list_sessions(since=week), 5),
        ("get_recent_sessions('claude', days=7)", lambda: service.get_recent_sessions("claude", days=7), 5),
        ("count_sessions('claude', days=30)", lambda: service.count_sessions("claude", days=30), 5),
        ("get_session (100 events)", lambda: service.get_session(big), 2),
        ("get_last_session('claude')", lambda: service.get_last_session("claude"), 5),
        ("get_active_sessions()", lambda: service.get_active_sessions(), 5),
    ]
    print(f"{'query':42s} {'p50 ms':>8s} {'p99 ms':>8s} {'target':>8s}  returns")
    for label, call, target in cases:
        p50, p99, size = await measure(call, runs)
        print(f"{label:42s} {p50:8.2f} {p99:8.2f} {'<= ' + str(target):>8s}  {size}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    if not 0 < args.sessions <= args.events or args.runs < 1:
        parser.error("--sessions, --events and --runs take counts of 1 or more, and every session has an event")
    with tempfile.TemporaryDirectory() as tmp:
        with Store(Path(tmp) / "store", embedder=None) as store:
            start = time.perf_counter()
            big = build(store, args.sessions, args.events)
            counts = store.sql("SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM events)").fetchall()[0]
            print(f"store: {counts[0]:,} sessions, {counts[1]:,} events (built in {time.perf_counter() - start:.0f} s)")
        with Store(Path(tmp) / "store", embedder=None) as store:  # reopened: nothing cached in this process
            asyncio.run(run(store, big, args.runs))


if __name__ == "__main__":
    main()
