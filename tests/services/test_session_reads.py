"""The session read queries against brute-force answers, on data made to reach every path they take.

The queries look back a day, a week, a month, a year from the newest session
before scanning everything, read a session's events without ``ORDER BY`` and
format timestamps in SQL; each answer here is computed from the rows loaded,
in Python.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from agentlog import Store
from agentlog.records import format_timestamp
from agentlog.services import session_queries as queries
from agentlog.services.import_ops import EVENT_ROWS, SESSION_ROWS, ImportRows, check_rows
from agentlog.services.session_sql import decode_json_texts

NEWEST = datetime(2026, 3, 1, 12, tzinfo=UTC)
AGENTS = ["claude", "gemini", "rare"]
PROJECTS = [uuid.UUID(int=101), uuid.UUID(int=102)]
INFINITY_US = 2**63 - 1
"""Microseconds DuckDB reads as the timestamp ``infinity``."""
ODD_TIMES = [
    datetime(5, 3, 4, 1, 2, 3, 4, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC),
]


def _sessions(rng: random.Random) -> list[dict[str, Any]]:
    made = []
    for n in range(400):
        agent = "rare" if n % 80 == 0 else rng.choice(AGENTS[:2])
        days = rng.choice([0, 0, 0.5, 1, 2, 6, 8, 29, 31, 200, 364, 366, 900])
        started = NEWEST - timedelta(days=days, seconds=rng.randint(0, 3600))
        if n % 9 == 0:
            started = NEWEST - timedelta(days=3)  # ties on started_at: the id breaks them
        made.append(
            {
                "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "agent": agent,
                "project_id": rng.choice([*PROJECTS, None]),
                "started_at": started,
                "metadata": json.dumps({"n": n, "text": "é"}, ensure_ascii=False),
            }
        )
    return made


def _events(rng: random.Random, sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    made = []
    for s in sessions:
        count = rng.choice([0, 1, 3, 12])
        seqs = list(range(1, count + 1))
        rng.shuffle(seqs)  # stored out of seq order
        if count >= 3:
            seqs[-1] = seqs[0]  # two events with the same seq: stored order decides
        for k, seq in enumerate(seqs):
            stamp: datetime | int | None = s["started_at"] + timedelta(minutes=k)
            if k % 4 == 1:
                stamp = None
            elif k == 2:
                stamp = rng.choice([*ODD_TIMES, INFINITY_US])
            made.append(
                {
                    "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                    "session_id": s["id"],
                    "seq": seq,
                    "event_type": rng.choice(["task_created", "decision_made"]),
                    "event_data": json.dumps({"k": k, "nested": [1, {"a": None}]}),
                    "metadata": "{}" if k % 2 else '{"file": "x.py"}',
                    "timestamp": stamp,
                }
            )
    return made


def _micros(value: datetime | int | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    return (value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _timestamp_array(values: list[datetime | int | None]) -> pa.Array:
    return pa.array([_micros(v) for v in values], pa.int64()).cast(pa.timestamp("us", tz="UTC"))


def _load(store: Store, sessions: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    s = pa.table(
        {
            "id": pa.array([x["id"].bytes for x in sessions], pa.uuid()),
            "agent": [x["agent"] for x in sessions],
            "project_id": pa.array([x["project_id"].bytes if x["project_id"] else None for x in sessions], pa.uuid()),
            "user_id": pa.nulls(len(sessions), pa.string()),
            "app_name": pa.nulls(len(sessions), pa.string()),
            "lifecycle": ["terminated"] * len(sessions),
            "summary": pa.nulls(len(sessions), pa.string()),
            "metadata": [x["metadata"] for x in sessions],
            "state": ["{}"] * len(sessions),
            "started_at": _timestamp_array([x["started_at"] for x in sessions]),
            "ended_at": pa.nulls(len(sessions), pa.timestamp("us", tz="UTC")),
            "updated_at": _timestamp_array([x["started_at"] for x in sessions]),
        }
    )
    e = pa.table(
        {
            "id": pa.array([x["id"].bytes for x in events], pa.uuid()),
            "session_id": pa.array([x["session_id"].bytes for x in events], pa.uuid()),
            "seq": pa.array([x["seq"] for x in events], pa.int64()),
            "event_type": [x["event_type"] for x in events],
            "event_data": [x["event_data"] for x in events],
            "metadata": [x["metadata"] for x in events],
            "timestamp": _timestamp_array([x["timestamp"] for x in events]),
        }
    )
    store.write(ImportRows(check_rows(s, SESSION_ROWS, "sessions"), check_rows(e, EVENT_ROWS, "events")))


def _text(stamp: datetime | int | None) -> str | None:
    if isinstance(stamp, int):
        return "9999-12-31T23:59:59.999999+00:00"  # what DuckDB's datetime for infinity formats as
    return format_timestamp(stamp)


Loaded = tuple[Store, list[dict[str, Any]], list[dict[str, Any]]]
"""A store and the sessions and events loaded into it."""


@pytest.fixture(params=["memory", "file"])
def loaded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Loaded]:
    rng = random.Random(7)
    sessions = _sessions(rng)
    events = _events(rng, sessions)
    store = Store.memory(embedder=None) if request.param == "memory" else Store(tmp_path / "store", embedder=None)
    with store:
        _load(store, sessions, events)
        yield store, sessions, events


def _newest_first(sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(sessions, key=lambda s: (s["started_at"], s["id"]), reverse=True)


@pytest.mark.parametrize("windows", [True, False], ids=["look-back windows", "small store: one unbounded page"])
def test_list_sessions_matches_a_full_sort(loaded: Loaded, windows: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if windows:  # the windows are taken above a store size; these 400 sessions are to reach every one of them
        monkeypatch.setattr(queries, "_SMALL_STORE", 0)
    store, sessions, _ = loaded
    rng = random.Random(3)
    times = [None, NEWEST, NEWEST - timedelta(hours=6), NEWEST - timedelta(days=3), NEWEST - timedelta(days=10),
             NEWEST - timedelta(days=400), NEWEST + timedelta(days=1)]  # fmt: skip
    checked_short_windows = 0
    for _ in range(150):
        agent = rng.choice([*AGENTS, None, None])
        project = rng.choice([*PROJECTS, None, None])
        since, until = rng.choice(times), rng.choice(times)
        limit, offset = rng.choice([1, 5, 20, 100]), rng.choice([0, 0, 3, 40])
        after = rng.choice([None, None, rng.choice(sessions)])
        expected = [
            s["id"]
            for s in _newest_first(sessions)
            if (agent is None or s["agent"] == agent)
            and (project is None or s["project_id"] == project)
            and (since is None or s["started_at"] >= since)
            and (until is None or s["started_at"] < until)
            and (after is None or (s["started_at"], s["id"]) < (after["started_at"], after["id"]))
        ][offset : offset + limit]
        query = partial(
            queries.list_sessions,
            agent=agent,
            project_id=project,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
            after=after["id"] if after else None,
        )
        got = store.read(query)
        assert [s["id"] for s in got] == expected, (agent, project, since, until, limit, offset, after)
        checked_short_windows += len(expected) < limit
    assert checked_short_windows > 20  # the look-back windows that leave the page short were taken too


def test_recent_sessions_counts_every_event(loaded: Loaded) -> None:
    store, sessions, events = loaded
    counts: dict[uuid.UUID, int] = {}
    for e in events:
        counts[e["session_id"]] = counts.get(e["session_id"], 0) + 1
    for agent in AGENTS:
        for since, limit, offset in [(NEWEST - timedelta(days=7), 20, 0), (NEWEST - timedelta(days=400), 7, 5)]:
            expected = [
                (s["id"], counts.get(s["id"], 0))
                for s in _newest_first(sessions)
                if s["agent"] == agent and s["started_at"] >= since
            ][offset : offset + limit]
            got = store.read(partial(queries.recent_sessions, agent=agent, since=since, limit=limit, offset=offset))
            assert [(s["id"], s["event_count"]) for s in got] == expected


def test_get_session_events_in_seq_order_with_formatted_times(
    loaded: Loaded,
) -> None:
    store, sessions, events = loaded
    seen_odd = 0
    for s in sessions:
        mine = [e for e in events if e["session_id"] == s["id"]]
        expected = [
            {
                "id": e["id"],
                "session_id": s["id"],
                "seq": e["seq"],
                "event_type": e["event_type"],
                "event_data": json.loads(e["event_data"]),
                "metadata": json.loads(e["metadata"]),
                "timestamp": _text(e["timestamp"]),
            }
            for e in sorted(mine, key=lambda e: e["seq"])  # stable: equal seqs stay in stored order
        ]
        got = store.read(partial(queries.get_session, session_id=s["id"]))
        assert got is not None
        assert got["events"] == expected
        assert got["metadata"] == json.loads(s["metadata"])
        assert got["started_at"] == format_timestamp(s["started_at"])
        seen_odd += sum(1 for e in mine if e["timestamp"] in ODD_TIMES or isinstance(e["timestamp"], int))
    assert seen_odd > 10
    last = _newest_first([s for s in sessions if s["agent"] == "rare"])[0]
    found = store.read(lambda cur: queries.last_session(cur, "rare"))
    assert found is not None and found["id"] == last["id"]
    assert found["events"] == store.read(lambda cur: queries.get_session(cur, last["id"]))["events"]  # type: ignore[index]


def test_decode_json_texts_is_per_text_json_loads() -> None:
    texts = ['{"a": [1, 2.5, null]}', " {} ", '"x"', "3", '{"é": "\\u00e9", "b": [true, false]}', "[]"]
    assert decode_json_texts(texts) == [json.loads(t) for t in texts]
    assert math.isnan(decode_json_texts(["{}", "NaN"])[1])  # DuckDB's JSON type takes NaN, and so does json.loads
    with pytest.raises(ValueError):
        decode_json_texts(['{"a": 1}', "[1,]"])  # DuckDB takes a trailing comma, json.loads does not
    with pytest.raises(ValueError):
        decode_json_texts(["[1", "2]"])  # two broken texts that would make one array
