"""Bulk loading of complete session and event rows (imports, demo data, restores).

:class:`ImportRows` inserts Arrow tables of sessions and events that already
carry everything (ids, lifecycle, timestamps, ``seq``), the shape of
:data:`~agentlog.store.tables.SESSIONS` and :data:`~agentlog.store.tables.EVENTS`
without ``index_lsn`` (the writer assigns it, so the vector index picks the
rows up). It is idempotent: sessions and events whose id is already stored are
skipped, in the same transaction, so loading the same data twice adds nothing.
Everything in one op commits together or not at all.

Callers validate the tables first (:func:`check_rows`); the op itself only
de-duplicates, numbers and inserts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from agentlog.errors import ValidationError
from agentlog.services.lifecycle import Lifecycle
from agentlog.services.session_ops import SessionCache
from agentlog.store.tables import EVENT_ROWS, SESSION_ROWS, uuid_storage
from agentlog.store.writer import Transaction

__all__ = ["EVENT_ROWS", "SESSION_ROWS", "ImportResult", "ImportRows", "check_rows"]

_LIFECYCLES = pa.array([state.value for state in Lifecycle])


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an :class:`ImportRows` op stored."""

    sessions_inserted: int
    """New sessions."""
    sessions_skipped: int
    """Sessions whose id was already stored."""
    events_inserted: int
    """New events."""
    events_skipped: int
    """Events whose id was already stored."""


def check_rows(table: pa.Table, schema: pa.Schema, name: str) -> pa.Table:
    """Check that ``table`` has the columns of ``schema`` with castable types and no nulls where not allowed.

    Args:
        table: Rows to load.
        schema: :data:`SESSION_ROWS` or :data:`EVENT_ROWS`.
        name: ``"sessions"`` or ``"events"``, for messages.

    Returns:
        The table with exactly the schema's columns, in its order and types.

    Raises:
        ValidationError: Naming the missing column, the bad type, or the first null.

    Example:
        >>> check_rows(pa.table({"x": [1]}), EVENT_ROWS, "events")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        agentlog.errors.ValidationError: events rows lack columns ['event_data', 'event_type', 'id', ...]
    """
    missing = sorted(set(schema.names) - set(table.column_names))
    if missing:
        raise ValidationError(f"{name} rows lack columns {missing}", field=name)
    columns = []
    for field in schema:
        column = table.column(field.name)
        try:
            column = column.cast(field.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise ValidationError(f"{name}.{field.name} must be {field.type}, got {column.type}: {exc}") from None
        if not field.nullable and column.null_count:
            first = pc.index(pc.is_null(column), True).as_py()
            raise ValidationError(f"{name}.{field.name} has a null at row {first}", field=f"{name}.{field.name}")
        columns.append(column)
    checked = pa.Table.from_arrays(columns, schema=schema)
    if name == "sessions" and checked.num_rows:
        bad = pc.invert(pc.is_in(checked.column("lifecycle"), value_set=_LIFECYCLES))
        if pc.any(bad).as_py():
            row = pc.index(bad, True).as_py()
            raise ValidationError(f"sessions.lifecycle at row {row} is {checked.column('lifecycle')[row]}")
    return checked


@dataclass(slots=True)
class ImportRows:
    """Insert complete session and event rows, skipping ids already stored.

    Events must belong to sessions that exist after the op (stored before, or
    in ``sessions``). Their ``seq`` is kept as given.
    """

    sessions: pa.Table | None
    events: pa.Table | None

    def apply(self, tx: Transaction) -> ImportResult:
        """De-duplicate against the store, number the rows and buffer them."""
        sessions_in = sessions_new = events_in = events_new = 0
        if self.events is not None and self.events.num_rows:
            self._check_parents(tx)  # before anything is buffered or changed
        if self.sessions is not None and self.sessions.num_rows:
            sessions_in = self.sessions.num_rows
            fresh = tx.new_rows("sessions", self.sessions)
            sessions_new = fresh.num_rows
            if sessions_new:
                tx.append_table("sessions", _with_lsn(tx, fresh))
        if self.events is not None and self.events.num_rows:
            events_in = self.events.num_rows
            fresh = tx.new_rows("events", self.events)
            events_new = fresh.num_rows
            if events_new:
                tx.append_table("events", _with_lsn(tx, fresh))
                cache = tx.cached(SessionCache, SessionCache)
                for session_id in pc.unique(uuid_storage(fresh.column("session_id"))).to_pylist():
                    cache.forget(uuid.UUID(bytes=session_id))  # next_seq changed: reload on next use
        return ImportResult(sessions_new, sessions_in - sessions_new, events_new, events_in - events_new)

    def _check_parents(self, tx: Transaction) -> None:
        assert self.events is not None
        parents = pc.unique(uuid_storage(self.events.column("session_id")))
        incoming: set[bytes] = set()
        if self.sessions is not None:
            incoming = set(uuid_storage(self.sessions.column("id")).to_pylist())
        outside = [p for p in parents.to_pylist() if p not in incoming]
        if not outside:
            return
        stored = tx.query(
            "SELECT id FROM sessions WHERE id IN (SELECT unnest($1::UUID[]))",
            [[uuid.UUID(bytes=p) for p in outside]],
            flush=False,
        )
        missing = len(outside) - len(stored)
        if missing:
            raise ValidationError(
                f"events refer to {missing} session(s) that are neither stored nor imported",
                field="events.session_id",
            )


def _with_lsn(tx: Transaction, rows: pa.Table) -> pa.Table:
    first = tx.allocate_lsns(rows.num_rows)
    return rows.append_column("index_lsn", pa.array(range(first, first + rows.num_rows), pa.int64()))
