"""What the vector index holds: one :class:`IndexSource` per LanceDB table.

A source says which DuckDB rows feed a LanceDB table, the text each row is
embedded from, and the filter columns stored next to each vector. Every
indexed DuckDB row carries an ``index_lsn`` (the store change number of its
last indexed change); the indexer asks each source for the rows whose
``index_lsn`` lies in a range above its watermark.

Deleted rows reach the index through ``index_tombstones``: a
:class:`TombstoneRule` says which LanceDB rows a tombstone of a kind removes
(a deleted session removes its own vector and those of its events).

The lists :data:`SOURCES` and :data:`TOMBSTONE_RULES` are the complete,
explicit registry: a new kind of indexed data adds its entries here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from agentlog.index.texts import chunk_text, event_text, memory_text, session_text
from agentlog.services.tombstones import DOCUMENT_TOMBSTONE, MEMORY_TOMBSTONE, SESSION_TOMBSTONE

__all__ = [
    "DOCUMENT_CHUNKS",
    "MEMORIES",
    "NEVER_US",
    "SOURCES",
    "TOMBSTONE_RULES",
    "IndexSource",
    "TombstoneRule",
]


@dataclass(frozen=True, slots=True)
class IndexSource:
    """One LanceDB table of vectors and the DuckDB rows behind it.

    Attributes:
        name: The LanceDB table name (also used in search calls).
        lsn_table: The DuckDB table whose ``index_lsn`` marks changes.
        fields: Filter columns stored with each vector (besides ``id``,
            ``text``, ``index_lsn`` and ``vector``).
        changes_sql: Query with ``$1`` (exclusive) and ``$2`` (inclusive)
            change-number bounds, returning ``id, index_lsn``, one column per
            field, then the inputs of ``make_text``, ordered by ``index_lsn``.
        text_inputs: How many trailing columns of ``changes_sql`` feed ``make_text``.
        make_text: Builds the text from those columns; ``None`` means "no vector".
        replaces: Whether a row can be indexed again under the same id (its
            new vector replaces the old one in one upsert).
        key_column: The column of ``lsn_table`` that a vector's ``id`` holds
            (``memory_id`` for memories: one vector per memory, not per version).
    """

    name: str
    lsn_table: str
    fields: tuple[pa.Field, ...]
    changes_sql: str
    text_inputs: int
    make_text: Callable[..., str | None]
    replaces: bool
    key_column: str = "id"

    def changes(self, cur: Any, after: int, upto: int) -> pa.Table:
        """Return the rows changed in ``(after, upto]`` as ``id, index_lsn, text, <fields>``.

        ``text`` is null for rows that must have no vector.
        """
        rows = cur.execute(self.changes_sql, [after, upto]).fetchall()
        texts = [self.make_text(*row[-self.text_inputs :]) for row in rows]
        columns: dict[str, Any] = {
            "id": pa.array([str(row[0]) for row in rows], pa.string()),
            "index_lsn": pa.array([row[1] for row in rows], pa.int64()),
            "text": pa.array(texts, pa.string()),
        }
        for position, field in enumerate(self.fields, start=2):
            values = [row[position] for row in rows]
            if pa.types.is_string(field.type):
                values = [None if v is None else str(v) for v in values]
            columns[field.name] = pa.array(values, field.type)
        return pa.table(columns)

    def boundary(self, cur: Any, after: int, count: int) -> int | None:
        """The change number of the ``count``-th change after ``after``, or None if there are fewer."""
        rows = cur.execute(
            f"SELECT index_lsn FROM {self.lsn_table} WHERE index_lsn > $1 ORDER BY index_lsn LIMIT 1 OFFSET $2",
            [after, count - 1],
        ).fetchall()
        return int(rows[0][0]) if rows else None


@dataclass(frozen=True, slots=True)
class TombstoneRule:
    """A tombstone of ``kind`` removes the rows of LanceDB table ``source`` whose ``column`` is its id."""

    kind: str
    source: str
    column: str


SESSIONS = IndexSource(
    name="sessions",
    lsn_table="sessions",
    fields=(
        pa.field("agent", pa.string()),
        pa.field("project_id", pa.string()),
        pa.field("started_us", pa.int64()),
    ),
    changes_sql="""
        SELECT id, index_lsn, agent, project_id, epoch_us(started_at), summary, metadata
        FROM sessions WHERE index_lsn > $1 AND index_lsn <= $2 ORDER BY index_lsn
    """,
    text_inputs=2,
    make_text=session_text,
    replaces=True,
)
"""Sessions with a summary, embedded from summary + key_events/decisions/outcomes."""

EVENTS = IndexSource(
    name="events",
    lsn_table="events",
    fields=(
        pa.field("session_id", pa.string()),
        pa.field("agent", pa.string()),
        pa.field("project_id", pa.string()),
        pa.field("event_type", pa.string()),
        pa.field("timestamp_us", pa.int64()),
    ),
    changes_sql="""
        -- an event without a time (some imported logs have none) is filed at its session's start, as analytics do
        SELECT e.id, e.index_lsn, e.session_id, s.agent, s.project_id, e.event_type,
               epoch_us(coalesce(e.timestamp, s.started_at)),
               e.event_type, e.event_data
        FROM events e JOIN sessions s ON s.id = e.session_id
        WHERE e.index_lsn > $1 AND e.index_lsn <= $2 ORDER BY e.index_lsn
    """,
    text_inputs=2,
    make_text=event_text,
    replaces=False,
)
"""Every event, embedded from its type and flattened payload."""

NEVER_US = 9_223_372_036_854_775_807
"""``expires_us`` of a memory that never expires (so filters need no ``IS NULL``)."""

MEMORIES = IndexSource(
    name="memories",
    lsn_table="memories",
    fields=(
        pa.field("namespace", pa.string()),
        pa.field("memory_type", pa.string()),
        pa.field("expires_us", pa.int64()),
    ),
    # One vector per memory (id = the stable memory_id): only the newest version
    # of each memory in the range is emitted; a delete marker has no text, so the
    # memory's vector is removed (replaces=True: a new version's vector replaces the old one).
    changes_sql=f"""
        SELECT memory_id, index_lsn, namespace, memory_type, coalesce(epoch_us(expires_at), {NEVER_US}),
               change, key, value
        FROM memories WHERE index_lsn > $1 AND index_lsn <= $2
        QUALIFY row_number() OVER (PARTITION BY memory_id ORDER BY version DESC) = 1
        ORDER BY index_lsn
    """,
    text_inputs=3,
    make_text=memory_text,
    replaces=True,
    key_column="memory_id",
)
"""The latest live version of each memory, embedded from ``key: flattened value``."""

DOCUMENT_CHUNKS = IndexSource(
    name="document_chunks",
    lsn_table="document_chunks",
    fields=(
        pa.field("document_id", pa.string()),
        pa.field("document_type", pa.string()),
        pa.field("namespace", pa.string()),
    ),
    changes_sql="""
        SELECT c.id, c.index_lsn, c.document_id, d.document_type, d.namespace, d.title, c.text
        FROM document_chunks c JOIN documents d ON d.id = c.document_id
        WHERE c.index_lsn > $1 AND c.index_lsn <= $2 ORDER BY c.index_lsn
    """,
    text_inputs=2,
    make_text=chunk_text,
    replaces=False,
)
"""Every chunk of every document, embedded from the title and the chunk text.

Chunks are never rewritten in place: a document whose content changes gets a
``document`` tombstone (lsn allocated before the new chunks') and new chunk rows.
"""

SOURCES: Sequence[IndexSource] = (SESSIONS, EVENTS, MEMORIES, DOCUMENT_CHUNKS)
"""Every LanceDB table of the index, in processing order."""

TOMBSTONE_RULES: Sequence[TombstoneRule] = (
    TombstoneRule(SESSION_TOMBSTONE, "sessions", "id"),
    TombstoneRule(SESSION_TOMBSTONE, "events", "session_id"),
    TombstoneRule(MEMORY_TOMBSTONE, "memories", "id"),
    TombstoneRule(DOCUMENT_TOMBSTONE, "document_chunks", "document_id"),
)
"""What each kind of tombstone removes from the index (the kinds: :mod:`agentlog.services.tombstones`)."""
