"""A store keeps DuckDB from run-length encoding what it writes (index lookups fetch rows one by one)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from agentlog import Store
from agentlog.services import session_queries as queries
from agentlog.services.import_ops import EVENT_ROWS, SESSION_ROWS, ImportRows, check_rows

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SESSIONS = 1_000
EVENTS_EACH = 20


def _bulk_load(store: Store) -> list[uuid.UUID]:
    """Sessions whose events lie next to each other, as bulk imports store them."""
    rng = random.Random(0)
    ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(SESSIONS)]  # random: no bit-packing
    sessions = pa.table(
        {
            "id": pa.array([i.bytes for i in ids], pa.uuid()),
            "agent": ["claude"] * SESSIONS,
            "project_id": pa.nulls(SESSIONS, pa.uuid()),
            "user_id": pa.nulls(SESSIONS, pa.string()),
            "app_name": pa.nulls(SESSIONS, pa.string()),
            "lifecycle": ["terminated"] * SESSIONS,
            "summary": pa.nulls(SESSIONS, pa.string()),
            "metadata": ["{}"] * SESSIONS,
            "state": ["{}"] * SESSIONS,
            "started_at": [T0 + timedelta(minutes=n) for n in range(SESSIONS)],
            "ended_at": pa.nulls(SESSIONS, pa.timestamp("us", tz="UTC")),
            "updated_at": [T0 + timedelta(minutes=n) for n in range(SESSIONS)],
        }
    )
    owners = [i for i in ids for _ in range(EVENTS_EACH)]
    events = pa.table(
        {
            "id": pa.array([uuid.uuid4().bytes for _ in owners], pa.uuid()),
            "session_id": pa.array([i.bytes for i in owners], pa.uuid()),
            "seq": [n % EVENTS_EACH + 1 for n in range(len(owners))],
            "event_type": ["task_created"] * len(owners),
            "event_data": ['{"k":1}'] * len(owners),
            "metadata": ["{}"] * len(owners),
            "timestamp": [T0] * len(owners),
        }
    )
    store.write(ImportRows(check_rows(sessions, SESSION_ROWS, "sessions"), check_rows(events, EVENT_ROWS, "events")))
    return ids


def _session_id_encodings(path: Path, **options: Any) -> tuple[set[str], int]:
    with Store(path, embedder=None, **options) as store:
        ids = _bulk_load(store)
    with Store(path, embedder=None) as store:  # closing wrote the segments
        encodings = store.sql(
            "SELECT DISTINCT compression FROM pragma_storage_info('events') "
            "WHERE column_name = 'session_id' AND segment_type = 'UUID'"
        ).fetchall()
        last = store.read(lambda cur: queries.get_session(cur, ids[-1]))
    assert last is not None
    return {row[0] for row in encodings}, len(last["events"])


def test_bulk_loaded_session_ids_are_not_run_length_encoded(tmp_path: Path) -> None:
    encodings, events = _session_id_encodings(tmp_path / "store")
    assert encodings and "RLE" not in encodings
    assert events == EVENTS_EACH


def test_duckdb_config_can_allow_run_length_encoding(tmp_path: Path) -> None:
    encodings, events = _session_id_encodings(tmp_path / "store", duckdb_config={"disabled_compression_methods": ""})
    assert encodings == {"RLE"}  # what DuckDB picks for this data when allowed: the test above is not vacuous
    assert events == EVENTS_EACH
