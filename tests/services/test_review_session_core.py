"""Regression tests from the review of the session core (writer groups, event ids, the store lock)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from agentlog import SessionService, Store, StoreError, ValidationError
from agentlog.services.event_batches import prepare_event
from agentlog.services.import_ops import EVENT_ROWS, ImportRows
from agentlog.services.session_ops import AppendEvents, DeleteSession, UpdateSessionState
from agentlog.store.lock import StoreLock
from agentlog.store.writer import Transaction


class _Gate:
    """An op that holds the writer until released, so that the ops queued meanwhile commit as one group."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def apply(self, tx: Transaction) -> None:
        self.entered.set()
        self.release.wait(10)


def _one_group(store: Store, ops: Sequence[Any]) -> list[Any]:
    gate = _Gate()
    held = store.submit(gate)
    assert gate.entered.wait(10)
    futures = [store.submit(op) for op in ops]
    gate.release.set()
    held.result()
    return [future.result() for future in futures]


def _append(session_id: uuid.UUID, event_id: uuid.UUID) -> AppendEvents:
    return AppendEvents(session_id, [prepare_event("task_created", {}, None, event_id, None)], check_duplicates=True)


def test_event_id_imported_earlier_in_the_group_is_not_stored_twice() -> None:
    with Store.memory(embedder=None) as store:
        service = SessionService(store)
        sid = asyncio.run(service.create_session(agent="claude"))["id"]
        imported = uuid.uuid4()
        rows = pa.table(
            {
                "id": pa.array([imported.bytes], pa.uuid()),
                "session_id": pa.array([sid.bytes], pa.uuid()),
                "seq": [1],
                "event_type": ["imported"],
                "event_data": ["{}"],
                "metadata": ["{}"],
                "timestamp": pa.array([datetime.now(UTC)], pa.timestamp("us", tz="UTC")),
            },
            schema=EVENT_ROWS,
        )
        results = _one_group(store, [_append(sid, uuid.uuid4()), ImportRows(None, rows), _append(sid, imported)])
        assert results[2][1] == 0  # the id was stored by the import: nothing stored again
        assert results[2][0][0]["event_type"] == "imported"
        assert store.sql("SELECT count(*) FROM events WHERE id = ?", [imported]).fetchall() == [(1,)]


def test_event_id_of_a_session_deleted_earlier_in_the_group_is_stored_again() -> None:
    with Store.memory(embedder=None) as store:
        service = SessionService(store)
        first = asyncio.run(service.create_session(agent="claude"))["id"]
        second = asyncio.run(service.create_session(agent="claude"))["id"]
        event_id = uuid.uuid4()
        results = _one_group(store, [_append(first, event_id), DeleteSession(first), _append(second, event_id)])
        records, inserted = results[2]
        assert inserted == 1 and records[0]["session_id"] == second
        stored = asyncio.run(service.get_session(second))
        assert stored is not None and [e["id"] for e in stored["events"]] == [event_id]


def test_lock_file_that_cannot_be_opened_raises_a_store_error(tmp_path: Path) -> None:
    (tmp_path / ".lock").mkdir()
    with pytest.raises(StoreError, match="lock file"):
        StoreLock(tmp_path)


class _CheckedRead:
    """Rejects itself after a read failed inside the group's transaction (which DuckDB then aborts)."""

    def apply(self, tx: Transaction) -> None:
        try:
            tx.query("SELECT 'not a number'::INTEGER")
        except duckdb.Error as exc:
            raise ValidationError(f"rejected: {exc}") from None


def test_failed_statement_in_the_group_does_not_lose_the_acknowledged_writes() -> None:
    with Store.memory(embedder=None) as store:
        service = SessionService(store)
        sid = asyncio.run(service.create_session(agent="claude"))["id"]
        gate = _Gate()
        held = store.submit(gate)
        assert gate.entered.wait(10)
        updated = store.submit(UpdateSessionState(sid, {"step": 1}))
        rejected = store.submit(_CheckedRead())
        gate.release.set()
        held.result()
        assert updated.result()["state"] == {"step": 1}
        with pytest.raises(ValidationError):
            rejected.result()
        stored = asyncio.run(service.get_session(sid))
        assert stored is not None and stored["state"] == {"step": 1}


def test_a_numpy_value_in_a_payload_is_named_with_a_way_out() -> None:
    import numpy as np

    from agentlog.validation import validate_json_object

    with pytest.raises(ValidationError, match=r"is a numpy\.bool, which is not JSON-serialisable \(convert it"):
        validate_json_object({"done": np.bool_(True)}, "event_data")


async def test_an_event_given_id_and_event_id_as_a_uuid_and_its_text_is_one_id() -> None:
    with Store.memory(embedder=None) as store:
        service = SessionService(store)
        sid = (await service.create_session("a"))["id"]
        same = uuid.uuid4()
        event = {"event_type": "note", "event_data": {}, "id": same, "event_id": str(same).upper()}
        assert (await service.add_events(sid, [event]))["inserted"] == 1
        with pytest.raises(ValidationError, match="they differ"):
            await service.add_events(sid, [{**event, "event_id": str(uuid.uuid4())}])
        with pytest.raises(ValidationError, match=r"events\[0\]\.id"):
            await service.add_events(sid, [{**event, "event_id": "not a uuid"}])
        assert [e["id"] for e in (await service.get_session(sid))["events"]] == [same]
