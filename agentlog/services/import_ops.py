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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from agentlog.errors import ValidationError
from agentlog.services.lifecycle import Lifecycle
from agentlog.services.session_ops import SessionCache
from agentlog.store.tables import EVENT_ROWS, SESSION_ROWS
from agentlog.store.writer import Transaction

__all__ = [
    "EVENT_ROWS",
    "SESSION_ROWS",
    "ImportResult",
    "ImportRows",
    "check_rows",
    "count_stored_sql",
    "insert_new_sql",
    "parents_sql",
]

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

    Everything happens inside DuckDB: the tables are registered and inserted
    with ``INSERT ... WHERE NOT EXISTS`` (an anti-join on the id), so loading
    data that is mostly stored already costs one join, not a Python object
    per stored id.

    Example:
        >>> from agentlog.store import Store
        >>> with Store.memory(embedder=None) as store:
        ...     store.write(ImportRows(None, None)).events_inserted
        0
    """

    sessions: pa.Table | None
    events: pa.Table | None

    def apply(self, tx: Transaction) -> ImportResult:
        """Check the events' sessions, then insert the rows whose id is not stored yet.

        Example:
            >>> from agentlog.store import Store
            >>> with Store.memory(embedder=None) as store:
            ...     store.write(ImportRows(None, None)).sessions_skipped
            0
        """
        sessions = self.sessions if self.sessions is not None and self.sessions.num_rows else None
        events = self.events if self.events is not None and self.events.num_rows else None
        if sessions is not None:
            tx.register(_SESSIONS, _numbered(sessions))
        if events is not None:
            tx.register(_EVENTS, _numbered(events))
        try:
            stale: list[uuid.UUID] = []
            if events is not None:  # before anything is inserted or changed
                stale = self._check_parents(tx, with_sessions=sessions is not None)
            sessions_new = _insert_new(tx, "sessions", _SESSIONS, sessions)
            events_new = _insert_new(tx, "events", _EVENTS, events)
        finally:
            if sessions is not None:
                tx.unregister(_SESSIONS)
            if events is not None:
                tx.unregister(_EVENTS)
        if events_new:
            cache = tx.cached(SessionCache, SessionCache)
            for session_id in stale:
                cache.forget(session_id)  # next_seq changed: reload on next use
        sessions_in = 0 if sessions is None else sessions.num_rows
        events_in = 0 if events is None else events.num_rows
        return ImportResult(sessions_new, sessions_in - sessions_new, events_new, events_in - events_new)

    @staticmethod
    def _check_parents(tx: Transaction, *, with_sessions: bool) -> list[uuid.UUID]:
        """Refuse events of sessions neither stored nor imported; return the stored ones (to forget from the cache)."""
        found = tx.query(parents_sql(_EVENTS, _SESSIONS if with_sessions else None))
        missing = sum(1 for _, stored in found if not stored)
        if missing:
            raise ValidationError(
                f"events refer to {missing} session(s) that are neither stored nor imported",
                field="events.session_id",
            )
        return [session_id for session_id, _ in found]


_SESSIONS = "agentlog_import_sessions"
_EVENTS = "agentlog_import_events"
_ROW_NUMBER = "agentlog_rn"


def _numbered(rows: pa.Table) -> pa.Table:
    return rows.append_column(_ROW_NUMBER, pa.array(np.arange(1, rows.num_rows + 1, dtype=np.int64)))


def _insert_new(tx: Transaction, table: str, registered: str, rows: pa.Table | None) -> int:
    """Insert the registered rows whose id is not stored; each gets an ``index_lsn``. Returns how many."""
    if rows is None:
        return 0
    total = rows.num_rows
    stored = int(tx.query(count_stored_sql(table, registered))[0][0])
    if stored == total:
        return 0
    before_first = tx.allocate_lsns(total) - 1  # row n (1-based) gets before_first + n; skipped rows leave gaps
    sql = insert_new_sql(table, registered, [c for c in rows.column_names if c != _ROW_NUMBER], all_new=stored == 0)
    return int(tx.execute(sql, [before_first])[0][0])


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def count_stored_sql(table: str, registered: str) -> str:
    """How many rows of a registered Arrow table have an ``id`` already stored in ``table``.

    Example:
        >>> count_stored_sql("events", "r")
        'SELECT count(*) FROM "r" b WHERE EXISTS (SELECT 1 FROM "events" x WHERE x.id = b.id)'
    """
    return (
        f"SELECT count(*) FROM {_quote(registered)} b WHERE EXISTS (SELECT 1 FROM {_quote(table)} x WHERE x.id = b.id)"
    )


def insert_new_sql(table: str, registered: str, columns: list[str], *, all_new: bool) -> str:
    """Insert the rows of a registered Arrow table whose ``id`` is not stored; ``?`` + row number is the ``index_lsn``.

    With ``all_new`` (no id is stored) the anti-join is left out.

    Example:
        >>> insert_new_sql("events", "r", ["id"], all_new=False)  # doctest: +NORMALIZE_WHITESPACE
        'INSERT INTO "events" BY NAME SELECT b."id", ? + b.agentlog_rn AS index_lsn FROM "r" b
         WHERE NOT EXISTS (SELECT 1 FROM "events" x WHERE x.id = b.id)'
    """
    selected = ", ".join(f"b.{_quote(c)}" for c in columns)
    insert = (
        f"INSERT INTO {_quote(table)} BY NAME SELECT {selected}, ? + b.{_ROW_NUMBER} AS index_lsn "
        f"FROM {_quote(registered)} b"
    )
    if all_new:
        return insert
    return f"{insert} WHERE NOT EXISTS (SELECT 1 FROM {_quote(table)} x WHERE x.id = b.id)"


def parents_sql(events: str, sessions: str | None) -> str:
    """The sessions of registered events that are stored (``true``) or missing from both store and import (``false``).

    Example:
        >>> parents_sql("e", None).startswith('SELECT b.p, EXISTS')
        True
    """
    stored = "EXISTS (SELECT 1 FROM sessions x WHERE x.id = b.p)"
    missing = "true" if sessions is None else f"NOT EXISTS (SELECT 1 FROM {_quote(sessions)} d WHERE d.id = b.p)"
    return (
        f"SELECT b.p, {stored} FROM (SELECT DISTINCT session_id AS p FROM {_quote(events)}) b "
        f"WHERE {stored} OR {missing}"
    )
