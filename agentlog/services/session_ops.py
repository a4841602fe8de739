"""Write ops for sessions and events (run on the store's writer thread).

Each op is built in the caller's thread from arguments that were already
validated, and applied by the writer inside a group transaction (see
:mod:`agentlog.store.writer`). Ops check the current data (does the session
exist, may it take events, is the lifecycle move allowed) before they change
anything, so a rejected op leaves its group untouched.

The writer keeps a :class:`SessionCache` of each session's lifecycle and next
``seq``; as the only writer of the store it can trust it, and the cache is
dropped whenever a transaction rolls back.
"""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from agentlog.errors import (
    AlreadyExistsError,
    InvalidTransitionError,
    NotFoundError,
    SessionClosedError,
    ValidationError,
)
from agentlog.records import EventRecord, SessionRecord, format_timestamp
from agentlog.services import session_sql as sql
from agentlog.services.json_columns import error_position, first_invalid
from agentlog.services.lifecycle import ENDED, OPEN_FOR_EVENTS, Lifecycle, check_transition
from agentlog.services.memory_ops import ClearMemories
from agentlog.services.namespaces import session_namespace
from agentlog.services.tombstones import SESSION_TOMBSTONE
from agentlog.store.tables import EVENTS, TIMESTAMP
from agentlog.store.writer import Transaction
from agentlog.validation import dump_json

__all__ = [
    "JSON_TEXT_COLUMNS",
    "AppendEventTable",
    "AppendEvents",
    "CreateSession",
    "DeleteSession",
    "EndSession",
    "PreparedEvent",
    "SessionCache",
    "UpdateLifecycle",
    "UpdateSessionState",
    "UpdateSessionSummary",
]

_CACHE_SIZE = 100_000

JSON_TEXT_COLUMNS = ("event_data", "metadata")
"""The columns of ``events`` whose text DuckDB's parser checks as they are inserted."""


@dataclass(slots=True)
class _Facts:
    """What the writer knows of one session: its lifecycle and the ``seq`` its next event gets."""

    lifecycle: Lifecycle
    next_seq: int


class SessionCache:
    """The writer's view of each session it touched: lifecycle and next ``seq``."""

    def __init__(self) -> None:
        self._facts: OrderedDict[uuid.UUID, _Facts] = OrderedDict()

    def get(self, tx: Transaction, session_id: uuid.UUID) -> _Facts:
        """Return the facts of a session, loading them on a miss.

        Raises:
            NotFoundError: If the session does not exist.
        """
        facts = self._facts.get(session_id)
        if facts is None:
            rows = tx.query(sql.SESSION_FACTS, [session_id], flush=False)
            if not rows:
                raise NotFoundError("session", session_id)
            facts = _Facts(Lifecycle(rows[0][0]), int(rows[0][1]) + 1)
            self.put(session_id, facts)
        else:
            self._facts.move_to_end(session_id)
        return facts

    def put(self, session_id: uuid.UUID, facts: _Facts) -> None:
        """Remember the facts of a session (evicting the least recently used)."""
        self._facts[session_id] = facts
        if len(self._facts) > _CACHE_SIZE:
            self._facts.popitem(last=False)

    def forget(self, session_id: uuid.UUID) -> None:
        """Drop a session (after it was deleted)."""
        self._facts.pop(session_id, None)


def _session_from_returning(rows: list[tuple[Any, ...]], session_id: uuid.UUID) -> SessionRecord:
    if not rows:  # pragma: no cover - the cache said it exists
        raise NotFoundError("session", session_id)
    return sql.session_row(rows[0])


@dataclass(slots=True)
class CreateSession:
    """Insert a new session (lifecycle ``created``)."""

    id: uuid.UUID
    agent: str
    project_id: uuid.UUID | None
    user_id: str | None
    app_name: str | None
    metadata: dict[str, Any]
    metadata_json: str
    state: dict[str, Any]
    state_json: str
    started_at: datetime | None
    caller_id: bool

    def apply(self, tx: Transaction) -> SessionRecord:
        """Insert the row and return the session record."""
        cache = tx.cached(SessionCache, SessionCache)
        if self.caller_id:
            try:
                cache.get(tx, self.id)
            except NotFoundError:
                pass
            else:
                raise AlreadyExistsError("session", self.id, "session ids are unique; omit session_id to get a new one")
        now = tx.now()
        started = self.started_at or now
        tx.append(
            "sessions",
            {
                "id": self.id.bytes,
                "agent": self.agent,
                "project_id": self.project_id.bytes if self.project_id else None,
                "user_id": self.user_id,
                "app_name": self.app_name,
                "lifecycle": Lifecycle.CREATED.value,
                "summary": None,
                "metadata": self.metadata_json,
                "state": self.state_json,
                "started_at": started,
                "ended_at": None,
                "updated_at": now,
                "index_lsn": tx.next_lsn(),
            },
        )
        cache.put(self.id, _Facts(Lifecycle.CREATED, 1))
        return {
            "id": self.id,
            "agent": self.agent,
            "project_id": self.project_id,
            "user_id": self.user_id,
            "app_name": self.app_name,
            "lifecycle": Lifecycle.CREATED.value,
            "summary": None,
            "metadata": self.metadata,
            "state": self.state,
            "started_at": format_timestamp(started),  # type: ignore[typeddict-item]
            "ended_at": None,
            "updated_at": format_timestamp(now),  # type: ignore[typeddict-item]
        }


@dataclass(slots=True)
class PreparedEvent:
    """One validated event waiting for its ``seq``."""

    id: uuid.UUID
    event_type: str
    event_data: dict[str, Any]
    event_data_json: str
    metadata: dict[str, Any]
    metadata_json: str
    timestamp: datetime | None


def _session_facts(tx: Transaction, session_id: uuid.UUID) -> _Facts:
    """The writer's facts of a session (see :meth:`SessionCache.get`).

    Raises:
        NotFoundError: If the session does not exist.
    """
    return tx.cached(SessionCache, SessionCache).get(tx, session_id)


def _require_open(session_id: uuid.UUID, facts: _Facts) -> None:
    """Raise :class:`SessionClosedError` unless the session takes new events."""
    if facts.lifecycle not in OPEN_FOR_EVENTS:
        raise SessionClosedError(
            f"session {session_id} is {facts.lifecycle.value} and takes no new events; "
            "start a new session (create_session) to log more work",
            current=facts.lifecycle.value,
            requested="add_event",
        )


def _event_of_another_session(event_id: uuid.UUID, owner: uuid.UUID) -> AlreadyExistsError:
    return AlreadyExistsError(
        "event", event_id, f"in session {owner}; an event id names one event: omit event_id to get a new one"
    )


def _activate(tx: Transaction, session_id: uuid.UUID, facts: _Facts, now: datetime) -> None:
    """Move a ``created`` session to ``active`` (its first event); any other state is left as it is."""
    if facts.lifecycle is Lifecycle.CREATED:
        tx.execute("UPDATE sessions SET lifecycle = 'active', updated_at = ? WHERE id = ?", [now, session_id])
        facts.lifecycle = Lifecycle.ACTIVE


class _GroupEventIds:
    """Caller-chosen event ids of a group: which are stored, which this group appended.

    The first :class:`AppendEvents` op of a group looks up every caller-chosen
    id of every such op in the group with one query; ops record the events they
    append in ``appended``, so a repeat later in the same group is found too.
    Any other op that adds or deletes events between two of them (an import,
    ``delete_session``, ...) allocates change numbers: when the group holds such
    an op, ``lsn`` tells when the ids must be looked up again (see :meth:`current`).
    """

    def __init__(self, tx: Transaction) -> None:
        ids = [event.id for op in tx.ops if isinstance(op, AppendEvents) and op.check_duplicates for event in op.events]
        # flushes the rows of earlier ops in this group, so they are seen too
        self.stored = {row[0] for row in tx.query(sql.EXISTING_EVENT_IDS, [ids])} if ids else set()
        self.appended: dict[uuid.UUID, EventRecord] = {}
        self.lsn = tx.last_lsn
        """The last change number allocated when these ids were last brought up to date."""
        self.watch = any(not isinstance(op, _KEEP_EVENT_IDS) for op in tx.ops)
        """Whether the group holds an op that may add or delete events behind the AppendEvents ops' back."""

    @staticmethod
    def current(tx: Transaction) -> _GroupEventIds:
        """The ids of this group, looked up again if another op may have added or deleted events since the last use."""
        group_ids = tx.local.get(_GroupEventIds)
        if group_ids is None or (group_ids.watch and group_ids.lsn != tx.last_lsn):
            group_ids = tx.local[_GroupEventIds] = _GroupEventIds(tx)
        return group_ids

    def lookup(self, tx: Transaction, event_id: uuid.UUID) -> EventRecord | None:
        """The stored or group-appended event with this id, or ``None``."""
        record = self.appended.get(event_id)
        if record is None and event_id in self.stored:
            record = sql.event_row(tx.query(sql.EVENT_BY_ID, [event_id])[0])
        return record


@dataclass(slots=True)
class AppendEvents:
    """Append events to one session; ids already stored are not stored again.

    The result is ``(records, inserted)``: one record per input event, in
    input order (the new record, or the stored one when the id was already
    there), and how many events this op stored. Events that are all stored
    already are returned even when the session has ended since (a retry stays
    idempotent); an id stored in another session is refused.
    """

    session_id: uuid.UUID
    events: list[PreparedEvent]
    check_duplicates: bool

    def apply(self, tx: Transaction) -> tuple[list[EventRecord], int]:
        """Assign ``seq`` numbers, buffer the rows and return the records."""
        facts = _session_facts(tx, self.session_id)
        known: dict[uuid.UUID, EventRecord] = {}
        group_ids: _GroupEventIds | None = None
        if self.check_duplicates:
            group_ids = _GroupEventIds.current(tx)
            for event in self.events:
                found = group_ids.lookup(tx, event.id)
                if found is not None:
                    if found["session_id"] != self.session_id:
                        raise _event_of_another_session(event.id, found["session_id"])
                    known[event.id] = found
        now = tx.now()
        new = [e for e in self.events if e.id not in known]
        if new:
            _require_open(self.session_id, facts)
            _activate(tx, self.session_id, facts, now)
        records: list[EventRecord] = []
        for event in self.events:
            record = known.get(event.id)
            if record is None:
                timestamp = event.timestamp or now
                seq = facts.next_seq
                facts.next_seq += 1
                tx.append(
                    "events",
                    {
                        "id": event.id.bytes,
                        "session_id": self.session_id.bytes,
                        "seq": seq,
                        "event_type": event.event_type,
                        "event_data": event.event_data_json,
                        "metadata": event.metadata_json,
                        "timestamp": timestamp,
                        "index_lsn": tx.next_lsn(),
                    },
                )
                record = {
                    "id": event.id,
                    "session_id": self.session_id,
                    "seq": seq,
                    "event_type": event.event_type,
                    "event_data": event.event_data,
                    "metadata": event.metadata,
                    "timestamp": format_timestamp(timestamp),
                }
                known[event.id] = record
                if group_ids is not None:
                    group_ids.appended[event.id] = record
            records.append(record)
        if group_ids is not None:
            group_ids.lsn = tx.last_lsn  # the change numbers of this op's own events
        return records, len(new)


@dataclass(slots=True)
class AppendEventTable:
    """Append an Arrow table of validated events to one session (the bulk path).

    ``events`` has the columns of :data:`~agentlog.store.tables.EVENTS` except
    ``session_id``, ``seq`` and ``index_lsn``, plus ``input_row`` (the row of
    the caller's table, named in errors); ``timestamp`` may hold nulls (stamped
    with the commit time). Ids must be unique within the table (the service
    makes them so); rows whose id is already stored in this session are
    skipped (then the session may have ended since: a retry stays idempotent),
    and an id stored in another session is refused.

    The JSON text is checked here, in the transaction:

    * ``check``, if given, runs on a thread of its own while the rows are
      inserted (the scan of :func:`~agentlog.services.json_columns.check_json_column`,
      over every row of the caller's table); the op waits for it;
    * DuckDB's parser checks the syntax of the rows inserted (the cast to the
      ``JSON`` columns) and :func:`~agentlog.services.json_columns.first_invalid`
      that of the rows skipped.

    A value rejected by either raises :class:`~agentlog.errors.ValidationError`
    naming the row; the transaction rolls back, so nothing of the table is
    stored. The result is ``(inserted, skipped)``.
    """

    session_id: uuid.UUID
    events: pa.Table
    check: Callable[[], None] | None = None
    caller_ids: bool = True
    """Whether the caller chose the ids; when they were generated for this call none can be stored yet,
    so the rows are not looked up (that lookup scans every stored event id)."""
    rejected: ValidationError | None = field(default=None)
    """The error found by an earlier try of this op (the writer retries an op that failed after a change)."""

    def apply(self, tx: Transaction) -> tuple[int, int]:
        """Insert the rows while ``check`` runs; fail, after the insert, if either finds a bad value."""
        if self.rejected is not None:
            raise self.rejected  # before any change: the retry fails alone
        with ThreadPoolExecutor(1) as pool:
            checked = pool.submit(self.check) if self.check is not None else None
            try:
                # a bad value wins over a closed or unknown session, as when the arguments are checked first
                facts = _session_facts(tx, self.session_id)
                tx.local.pop(_GroupEventIds, None)  # ids appended here are not tracked there: look again later
                counts = self._insert(tx, facts)
            except Exception as exc:
                self._raise_first(exc if isinstance(exc, ValidationError) else None, checked)
                raise
            self._raise_first(None, checked)
        return counts

    def _raise_first(self, found: ValidationError | None, checked: Future[None] | None) -> None:
        """Raise the error naming the first bad value, of ``found`` and the check's; return if neither.

        Waits for the check. Its errors are remembered in ``rejected`` for the writer's retry.
        """
        error = checked.exception() if checked is not None else None
        if error is not None and not isinstance(error, ValidationError):
            raise error
        errors = [e for e in (found, error) if e is not None]
        if errors:
            self.rejected = min(errors, key=lambda e: error_position(e, JSON_TEXT_COLUMNS))
            raise self.rejected from None

    def _insert(self, tx: Transaction, facts: _Facts) -> tuple[int, int]:
        total = self.events.num_rows
        # Flushes the rows of earlier ops in this group, so they are seen too.
        table = tx.new_rows("events", self.events) if self.caller_ids else self.events
        count = table.num_rows
        if count < total:
            # the rows skipped are never cast to JSON: check their text before changing anything
            inserted = pc.is_in(self.events.column("input_row"), value_set=table.column("input_row"))
            skipped = self.events.filter(pc.invert(inserted))
            error = first_invalid(skipped, JSON_TEXT_COLUMNS)
            if error is not None:
                raise error
            tx.register(sql.SKIPPED_EVENTS, pa.table({"id": skipped.column("id")}))
            try:
                foreign = tx.query(sql.SKIPPED_IN_ANOTHER_SESSION, [self.session_id])
            finally:
                tx.unregister(sql.SKIPPED_EVENTS)
            if foreign:
                raise _event_of_another_session(foreign[0][0], foreign[0][1])
        if count == 0:
            return 0, total
        _require_open(self.session_id, facts)
        now = tx.now()
        _activate(tx, self.session_id, facts, now)
        first_seq = facts.next_seq
        facts.next_seq += count
        first_lsn = tx.allocate_lsns(count)
        timestamps = pc.fill_null(table.column("timestamp").cast(TIMESTAMP), pa.scalar(now, TIMESTAMP))
        session_ids = pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(16), count, [None, pa.py_buffer(self.session_id.bytes * count)]
        )
        rows = pa.table(
            {
                "id": table.column("id"),
                "session_id": pa.ExtensionArray.from_storage(pa.uuid(), session_ids),
                "seq": pa.array(np.arange(first_seq, first_seq + count, dtype=np.int64)),
                "event_type": table.column("event_type"),
                "event_data": table.column("event_data"),
                "metadata": table.column("metadata"),
                "timestamp": timestamps,
                "index_lsn": pa.array(np.arange(first_lsn, first_lsn + count, dtype=np.int64)),
            },
            schema=EVENTS,
        )
        try:
            tx.insert_table("events", rows)
        except Exception:
            # DuckDB's parser rejected a JSON value (its message may even fail to decode, a UnicodeDecodeError),
            # or something else failed: name the row if it is a value, else let the writer report the failure
            self.rejected = first_invalid(table, JSON_TEXT_COLUMNS)
            if self.rejected is None:
                raise
            raise self.rejected from None
        return count, total - count


_ENDED_AT = "greatest($1, started_at)"
"""The ``ended_at`` of a session ended at ``$1``: never before its start (a ``started_at`` the caller gave may
lie ahead of the clock)."""


@dataclass(slots=True)
class EndSession:
    """Terminate a session, set ``ended_at`` and optionally its summary."""

    session_id: uuid.UUID
    summary: str | None

    def apply(self, tx: Transaction) -> SessionRecord:
        """Check the move to ``terminated`` and update the row."""
        facts = _session_facts(tx, self.session_id)
        if facts.lifecycle in ENDED:
            raise InvalidTransitionError(
                f"session {self.session_id} has already ended ({facts.lifecycle.value}); "
                "use update_session_summary to change its summary",
                current=facts.lifecycle.value,
                requested="end_session",
            )
        check_transition(facts.lifecycle, Lifecycle.TERMINATED)
        now = tx.now()
        if self.summary is None:
            rows = tx.execute(
                f"UPDATE sessions SET lifecycle = 'terminated', ended_at = {_ENDED_AT}, updated_at = $1 "
                f"WHERE id = $2 RETURNING {sql.SESSION_COLUMNS}",
                [now, self.session_id],
            )
        else:
            rows = tx.execute(
                f"UPDATE sessions SET lifecycle = 'terminated', ended_at = {_ENDED_AT}, updated_at = $1, summary = $3, "
                f"index_lsn = $4 WHERE id = $2 RETURNING {sql.SESSION_COLUMNS}",
                [now, self.session_id, self.summary, tx.next_lsn()],
            )
        facts.lifecycle = Lifecycle.TERMINATED
        return _session_from_returning(rows, self.session_id)


def _merged_json(stored: str, updates: dict[str, Any], field: str) -> str:
    """The JSON object ``stored`` with ``updates``' keys merged in, checked against the payload size bound.

    Each update passed the bound alone; their merge must too, or the store would hold a row that its own
    export could not import back.
    """
    merged = json.loads(stored)
    merged.update(updates)
    return dump_json(merged, f"{field} after the merge")


@dataclass(slots=True)
class UpdateSessionSummary:
    """Set a session's summary and shallow-merge keys into its metadata."""

    session_id: uuid.UUID
    summary: str
    metadata: dict[str, Any] | None

    def apply(self, tx: Transaction) -> SessionRecord:
        """Merge the metadata in the transaction and update the row."""
        _session_facts(tx, self.session_id)
        params: list[Any] = [tx.now(), self.session_id, self.summary, tx.next_lsn()]
        assignments = "updated_at = $1, summary = $3, index_lsn = $4"
        if self.metadata:
            current = tx.query("SELECT metadata FROM sessions WHERE id = ?", [self.session_id])[0][0]
            params.append(_merged_json(current, self.metadata, "metadata"))
            assignments += ", metadata = $5"
        rows = tx.execute(f"UPDATE sessions SET {assignments} WHERE id = $2 RETURNING {sql.SESSION_COLUMNS}", params)
        return _session_from_returning(rows, self.session_id)


@dataclass(slots=True)
class UpdateSessionState:
    """Shallow-merge keys into a session's state, atomically."""

    session_id: uuid.UUID
    updates: dict[str, Any]

    def apply(self, tx: Transaction) -> SessionRecord:
        """Read, merge and write the state inside the writer's transaction."""
        _session_facts(tx, self.session_id)
        current = tx.query("SELECT state FROM sessions WHERE id = ?", [self.session_id])[0][0]
        rows = tx.execute(
            f"UPDATE sessions SET state = $3, updated_at = $1 WHERE id = $2 RETURNING {sql.SESSION_COLUMNS}",
            [tx.now(), self.session_id, _merged_json(current, self.updates, "state")],
        )
        return _session_from_returning(rows, self.session_id)


@dataclass(slots=True)
class UpdateLifecycle:
    """Move a session to another lifecycle state (``terminated`` also sets ``ended_at``)."""

    session_id: uuid.UUID
    lifecycle: Lifecycle

    def apply(self, tx: Transaction) -> SessionRecord:
        """Check the transition and update the row."""
        facts = _session_facts(tx, self.session_id)
        check_transition(facts.lifecycle, self.lifecycle)
        if self.lifecycle is facts.lifecycle:
            return sql.session_row(tx.query(sql.SESSION_BY_ID, [self.session_id])[0])
        ended = f", ended_at = {_ENDED_AT}" if self.lifecycle is Lifecycle.TERMINATED else ""
        rows = tx.execute(
            f"UPDATE sessions SET lifecycle = $3, updated_at = $1{ended} WHERE id = $2 RETURNING {sql.SESSION_COLUMNS}",
            [tx.now(), self.session_id, self.lifecycle.value],
        )
        facts.lifecycle = self.lifecycle
        return _session_from_returning(rows, self.session_id)


_KEEP_EVENT_IDS: tuple[type, ...] = (
    CreateSession,
    AppendEvents,
    EndSession,
    UpdateSessionSummary,
    UpdateSessionState,
    UpdateLifecycle,
)
"""Ops that add no events other than through :class:`_GroupEventIds`, and delete none."""


@dataclass(slots=True)
class DeleteSession:
    """Delete a session, its events and its memories (``session:<id>`` and below); the index is told by tombstones."""

    session_id: uuid.UUID

    def apply(self, tx: Transaction) -> int:
        """Delete the rows and return how many events went with the session."""
        cache = tx.cached(SessionCache, SessionCache)
        cache.get(tx, self.session_id)
        # DuckDB answers a DELETE with one row, the count of rows deleted (RETURNING would bring every row back)
        deleted = tx.execute(sql.DELETE_EVENTS, [self.session_id])[0][0]
        tx.execute(sql.DELETE_SESSION, [self.session_id])
        tx.append(
            "index_tombstones",
            {"kind": SESSION_TOMBSTONE, "item_id": self.session_id.bytes, "index_lsn": tx.next_lsn()},
        )
        ClearMemories(session_namespace(self.session_id)).apply(tx)
        cache.forget(self.session_id)
        return int(deleted)
