"""ImportRows: bulk loading complete rows, idempotently and atomically."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from agentlog import SessionService, Store, ValidationError
from agentlog.services.import_ops import EVENT_ROWS, SESSION_ROWS, ImportRows, check_rows
from tests.conftest import snapshot

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


def rows(sessions: int = 3, events: int = 4) -> tuple[pa.Table, pa.Table]:
    session_ids = [uuid.uuid4() for _ in range(sessions)]
    s = pa.table(
        {
            "id": pa.array([i.bytes for i in session_ids], pa.uuid()),
            "agent": ["claude"] * sessions,
            "project_id": pa.nulls(sessions, pa.uuid()),
            "user_id": pa.nulls(sessions, pa.string()),
            "app_name": pa.nulls(sessions, pa.string()),
            "lifecycle": ["terminated"] * sessions,
            "summary": [f"summary {n}" for n in range(sessions)],
            "metadata": ['{"k":1}'] * sessions,
            "state": ["{}"] * sessions,
            "started_at": [T0 + timedelta(hours=n) for n in range(sessions)],
            "ended_at": [T0 + timedelta(hours=n, minutes=30) for n in range(sessions)],
            "updated_at": [T0 + timedelta(hours=n, minutes=30) for n in range(sessions)],
        }
    )
    e_sessions = [sid for sid in session_ids for _ in range(events)]
    e = pa.table(
        {
            "id": pa.array([uuid.uuid4().bytes for _ in e_sessions], pa.uuid()),
            "session_id": pa.array([sid.bytes for sid in e_sessions], pa.uuid()),
            "seq": [n % events + 1 for n in range(len(e_sessions))],
            "event_type": ["task_created"] * len(e_sessions),
            "event_data": [json.dumps({"n": n}) for n in range(len(e_sessions))],
            "metadata": ["{}"] * len(e_sessions),
            "timestamp": pa.array(
                [T0 if n % 2 else None for n in range(len(e_sessions))], pa.timestamp("us", tz="UTC")
            ),
        }
    )
    return check_rows(s, SESSION_ROWS, "sessions"), check_rows(e, EVENT_ROWS, "events")


async def test_import_is_idempotent_and_keeps_everything(store: Store) -> None:
    sessions, events = rows()
    first = await store.write_async(ImportRows(sessions, events))
    assert (first.sessions_inserted, first.events_inserted) == (3, 12)
    again = await store.write_async(ImportRows(sessions, events))
    assert (again.sessions_inserted, again.sessions_skipped, again.events_inserted, again.events_skipped) == (
        0,
        3,
        0,
        12,
    )
    service = SessionService(store)
    sid = uuid.UUID(bytes=sessions.column("id")[1].as_py().bytes)
    got = await service.get_session(sid)
    assert got is not None
    assert got["summary"] == "summary 1" and got["lifecycle"] == "terminated"
    assert [e["seq"] for e in got["events"]] == [1, 2, 3, 4]
    assert [e["timestamp"] for e in got["events"]][:2] == [None, "2026-02-01T09:00:00.000000+00:00"]
    lsns = store.sql("SELECT count(DISTINCT index_lsn) FROM events").fetchall()[0][0]
    assert lsns == 12


async def test_imported_session_takes_new_events_after_its_last_seq(store: Store) -> None:
    service = SessionService(store)
    sessions, events = rows(sessions=1, events=4)
    # a session imported as active keeps taking events, numbered after the imported ones
    active = sessions.set_column(5, "lifecycle", pa.array(["active"]))
    other = uuid.uuid4()
    active = active.set_column(0, "id", pa.array([other.bytes], pa.uuid()))
    moved = events.set_column(1, "session_id", pa.array([other.bytes] * 4, pa.uuid()))
    await store.write_async(ImportRows(active, moved))
    nxt = await service.add_event(other, "task_updated", {})
    assert nxt["seq"] == 5


async def test_events_without_a_session_are_rejected_and_nothing_changes(store: Store) -> None:
    sessions, events = rows()
    before = snapshot(store)
    with pytest.raises(ValidationError, match="neither stored nor imported"):
        await store.write_async(ImportRows(sessions.slice(0, 1), events))
    assert snapshot(store) == before


def test_check_rows_names_the_problem() -> None:
    sessions, events = rows()
    with pytest.raises(ValidationError, match="lack columns"):
        check_rows(events.drop_columns(["seq"]), EVENT_ROWS, "events")
    with pytest.raises(ValidationError, match="lifecycle at row 0"):
        check_rows(sessions.set_column(5, "lifecycle", pa.array(["x", "y", "z"])), SESSION_ROWS, "sessions")
    nulls = events.set_column(3, "event_type", pa.array([None] * events.num_rows, pa.string()))
    with pytest.raises(ValidationError, match="event_type has a null at row 0"):
        check_rows(nulls, EVENT_ROWS, "events")
