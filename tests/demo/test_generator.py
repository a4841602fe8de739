"""The generator's contract: schemas, sizes, determinism, argument checking."""

from __future__ import annotations

import hashlib
import io
import math
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentlog.demo import (
    DEFAULT_END,
    EVENTS_SCHEMA,
    SESSIONS_SCHEMA,
    DemoData,
    generate_demo_data,
)
from agentlog.errors import ValidationError

REPO = Path(__file__).resolve().parents[2]
TS = pa.timestamp("us", tz="UTC")


def fingerprint(data: DemoData) -> str:
    """SHA-256 of both tables serialised as Arrow IPC: equal hashes mean equal bytes."""
    digest = hashlib.sha256()
    for table in (data.sessions, data.events):
        sink = io.BytesIO()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        digest.update(sink.getvalue())
    return digest.hexdigest()


def test_sessions_schema_is_the_store_schema(demo: DemoData) -> None:
    expected = [
        ("id", pa.uuid()), ("agent", pa.string()), ("project_id", pa.uuid()),
        ("user_id", pa.string()), ("app_name", pa.string()), ("lifecycle", pa.string()),
        ("summary", pa.string()), ("metadata", pa.string()), ("state", pa.string()),
        ("started_at", TS), ("ended_at", TS), ("updated_at", TS),
    ]
    assert [(f.name, f.type) for f in demo.sessions.schema] == expected
    assert demo.sessions.schema == SESSIONS_SCHEMA
    nullable = {f.name for f in demo.sessions.schema if f.nullable}
    assert nullable == {"project_id", "user_id", "app_name", "summary", "ended_at"}


def test_events_schema_is_the_store_schema(demo: DemoData) -> None:
    expected = [
        ("id", pa.uuid()), ("session_id", pa.uuid()), ("seq", pa.int64()),
        ("event_type", pa.string()), ("event_data", pa.string()), ("metadata", pa.string()),
        ("timestamp", TS),
    ]
    assert [(f.name, f.type) for f in demo.events.schema] == expected
    assert demo.events.schema == EVENTS_SCHEMA
    for table in (demo.sessions, demo.events):
        for column in table.schema:
            if not column.nullable:
                assert table[column.name].null_count == 0, column.name


def test_default_size_and_window(demo: DemoData) -> None:
    assert demo.params.end == DEFAULT_END
    assert demo.sessions.num_rows == 2000
    assert 85_000 <= demo.events.num_rows <= 115_000
    started = demo.sessions["started_at"].to_pylist()
    assert min(started) >= DEFAULT_END - timedelta(days=90)
    assert max(demo.events["timestamp"].to_pylist()) < DEFAULT_END


def test_scale_multiplies_sessions() -> None:
    data = generate_demo_data(sessions=400, scale=0.25)
    assert data.sessions.num_rows == data.params.n_sessions == 100
    assert generate_demo_data(sessions=1).sessions.num_rows == 1


def test_ids_are_unique_version_4_uuids(demo: DemoData) -> None:
    for column in (demo.sessions["id"], demo.events["id"]):
        ids = column.to_pylist()
        assert len(set(ids)) == len(ids)
        assert all(isinstance(i, uuid.UUID) and i.version == 4 for i in ids[:1000])
    assert set(demo.events["session_id"].to_pylist()) == set(demo.sessions["id"].to_pylist())


def test_same_arguments_give_identical_tables() -> None:
    first = generate_demo_data(sessions=200, seed=5)
    second = generate_demo_data(sessions=200, seed=5)
    assert first.sessions.equals(second.sessions)
    assert first.events.equals(second.events)
    assert fingerprint(first) == fingerprint(second)
    assert fingerprint(first) != fingerprint(generate_demo_data(sessions=200, seed=6))


def test_identical_in_another_process() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from tests.demo.test_generator import fingerprint\n"
        "from agentlog.demo import generate_demo_data\n"
        "print(fingerprint(generate_demo_data(sessions=300, seed=9)))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONHASHSEED="4242")
    result = subprocess.run([sys.executable, "-c", code, str(REPO)], capture_output=True,
                            text=True, timeout=120, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == fingerprint(generate_demo_data(sessions=300, seed=9))


def test_end_can_be_now_in_any_timezone() -> None:
    end = datetime(2027, 7, 14, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    data = generate_demo_data(sessions=150, days=30, end=end)
    assert data.params.end == end
    assert data.params.end.tzinfo == UTC
    assert data.params.start == end - timedelta(days=30)
    assert min(data.sessions["started_at"].to_pylist()) >= end - timedelta(days=30)
    assert max(data.events["timestamp"].to_pylist()) < end
    ended = [t for t in data.sessions["ended_at"].to_pylist() if t is not None]
    assert max(ended) <= end


def test_bad_week_is_inside_the_last_30_days(demo: DemoData) -> None:
    lo, hi = demo.params.bad_week
    assert hi - lo == timedelta(days=7)
    assert timedelta(days=14) <= DEFAULT_END - hi
    assert DEFAULT_END - lo <= timedelta(days=30)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"sessions": 0}, "sessions"),
        ({"sessions": 2.5}, "sessions"),
        ({"days": 0}, "days"),
        ({"seed": -1}, "seed"),
        ({"scale": 0.0}, "scale"),
        ({"scale": math.nan}, "scale"),
        ({"scale": math.inf}, "scale"),
        ({"end": datetime(2026, 1, 1)}, "end"),  # naive: ambiguous
    ],
)
def test_bad_arguments_are_rejected(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        generate_demo_data(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)


@settings(max_examples=15, deadline=None)
@given(
    sessions=st.integers(1, 60),
    days=st.integers(1, 120),
    seed=st.integers(0, 2**32),
    end_offset_minutes=st.integers(-10**6, 10**6),
)
def test_invariants_hold_for_any_arguments(sessions: int, days: int, seed: int,
                                           end_offset_minutes: int) -> None:
    end = DEFAULT_END + timedelta(minutes=end_offset_minutes)
    data = generate_demo_data(sessions=sessions, days=days, seed=seed, end=end)
    assert data.sessions.schema == SESSIONS_SCHEMA
    assert data.events.schema == EVENTS_SCHEMA
    assert data.sessions.num_rows == sessions
    window_start = end - timedelta(days=days)
    bounds: dict[uuid.UUID, tuple[datetime, datetime, list[tuple[datetime, str]]]] = {}
    for sid, started, ended, lifecycle in zip(*(data.sessions[c].to_pylist() for c in
                                               ("id", "started_at", "ended_at", "lifecycle")),
                                             strict=True):
        assert window_start <= started < end
        assert (ended is None) == (lifecycle == "active")
        bounds[sid] = (started, ended or end, [])
    columns = ("session_id", "seq", "timestamp", "event_type")
    for sid, seq, ts, kind in zip(*(data.events[c].to_pylist() for c in columns), strict=True):
        started, stop, seen = bounds[sid]
        assert started <= ts <= stop
        assert ts < end
        assert seq == len(seen) + 1
        assert not seen or seen[-1][0] < ts
        seen.append((ts, kind))
    for _, _, seen in bounds.values():
        assert 5 <= len(seen) <= 200
        assert seen[0][1] == "task_created"
