"""Arrow schemas of the store's tables, in column order.

Writes reach DuckDB as Arrow record batches built with these schemas
(``INSERT INTO <table> BY NAME SELECT * FROM <batch>``), and exports use them
to validate what they read back. JSON columns travel as UTF-8 JSON text,
timestamps as microseconds in UTC, ids as the Arrow UUID extension type.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "DOCUMENTS",
    "DOCUMENT_CHUNKS",
    "EVENTS",
    "EVENT_ROWS",
    "INDEX_TOMBSTONES",
    "MEMORIES",
    "SCHEMAS",
    "SESSIONS",
    "SESSION_ROWS",
    "TIMESTAMP",
    "UUID",
    "first_outside_years",
    "uuid_storage",
    "without_lsn",
]

UUID = pa.uuid()
"""Arrow type of id columns."""
TIMESTAMP = pa.timestamp("us", tz="UTC")
"""Arrow type of timestamp columns."""

SESSIONS = pa.schema(
    [
        pa.field("id", UUID, nullable=False),
        pa.field("agent", pa.string(), nullable=False),
        pa.field("project_id", UUID),
        pa.field("user_id", pa.string()),
        pa.field("app_name", pa.string()),
        pa.field("lifecycle", pa.string(), nullable=False),
        pa.field("summary", pa.string()),
        pa.field("metadata", pa.string(), nullable=False),
        pa.field("state", pa.string(), nullable=False),
        pa.field("started_at", TIMESTAMP, nullable=False),
        pa.field("ended_at", TIMESTAMP),
        pa.field("updated_at", TIMESTAMP, nullable=False),
        pa.field("index_lsn", pa.int64(), nullable=False),
    ]
)
"""The ``sessions`` table."""

EVENTS = pa.schema(
    [
        pa.field("id", UUID, nullable=False),
        pa.field("session_id", UUID, nullable=False),
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("event_type", pa.string(), nullable=False),
        pa.field("event_data", pa.string(), nullable=False),
        pa.field("metadata", pa.string(), nullable=False),
        pa.field("timestamp", TIMESTAMP),
        pa.field("index_lsn", pa.int64(), nullable=False),
    ]
)
"""The ``events`` table."""

INDEX_TOMBSTONES = pa.schema(
    [
        pa.field("kind", pa.string(), nullable=False),
        pa.field("item_id", UUID, nullable=False),
        pa.field("index_lsn", pa.int64(), nullable=False),
    ]
)
"""The ``index_tombstones`` table: deletions the vector index has to apply."""

MEMORIES = pa.schema(
    [
        pa.field("id", UUID, nullable=False),
        pa.field("memory_id", UUID, nullable=False),
        pa.field("namespace", pa.string(), nullable=False),
        pa.field("key", pa.string(), nullable=False),
        pa.field("version", pa.int64(), nullable=False),
        pa.field("change", pa.string(), nullable=False),
        pa.field("value", pa.string(), nullable=False),
        pa.field("memory_type", pa.string(), nullable=False),
        pa.field("metadata", pa.string(), nullable=False),
        pa.field("expires_at", TIMESTAMP),
        pa.field("created_at", TIMESTAMP, nullable=False),
        pa.field("updated_at", TIMESTAMP, nullable=False),
        pa.field("index_lsn", pa.int64(), nullable=False),
    ]
)
"""The ``memories`` table: one row per version of a (namespace, key)."""

DOCUMENTS = pa.schema(
    [
        pa.field("id", UUID, nullable=False),
        pa.field("file_path", pa.string(), nullable=False),
        pa.field("title", pa.string(), nullable=False),
        pa.field("document_type", pa.string()),
        pa.field("namespace", pa.string()),
        pa.field("content", pa.string(), nullable=False),
        pa.field("content_hash", pa.string(), nullable=False),
        pa.field("chunk_count", pa.int32(), nullable=False),
        pa.field("embedding_model", pa.string()),
        pa.field("metadata", pa.string(), nullable=False),
        pa.field("sync_status", pa.string(), nullable=False),
        pa.field("last_synced_at", TIMESTAMP),
        pa.field("created_at", TIMESTAMP, nullable=False),
        pa.field("updated_at", TIMESTAMP, nullable=False),
        pa.field("index_lsn", pa.int64(), nullable=False),
    ]
)
"""The ``documents`` table: one row per indexed file (or URI), upserted by ``file_path``."""

DOCUMENT_CHUNKS = pa.schema(
    [
        pa.field("id", UUID, nullable=False),
        pa.field("document_id", UUID, nullable=False),
        pa.field("chunk_index", pa.int32(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("start_char", pa.int32(), nullable=False),
        pa.field("end_char", pa.int32(), nullable=False),
        pa.field("index_lsn", pa.int64(), nullable=False),
    ]
)
"""The ``document_chunks`` table: the pieces of a document's content that are embedded."""

SCHEMAS: dict[str, pa.Schema] = {
    "sessions": SESSIONS,
    "events": EVENTS,
    "index_tombstones": INDEX_TOMBSTONES,
    "memories": MEMORIES,
    "documents": DOCUMENTS,
    "document_chunks": DOCUMENT_CHUNKS,
}
"""Arrow schema of every table written through the writer, by table name."""


def without_lsn(schema: pa.Schema) -> pa.Schema:
    """A table schema without its ``index_lsn`` column (the shape of rows before the writer numbers them).

    Example:
        >>> "index_lsn" in without_lsn(EVENTS).names
        False
    """
    return pa.schema([field for field in schema if field.name != "index_lsn"])


SESSION_ROWS = without_lsn(SESSIONS)
"""Complete session rows as loaders hand them over (``ImportRows``, demo data, restores)."""
EVENT_ROWS = without_lsn(EVENTS)
"""Complete event rows as loaders hand them over."""


def uuid_storage(column: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    """A UUID column as its 16-byte binary storage (what Arrow compute kernels accept).

    Example:
        >>> import uuid
        >>> uuid_storage(pa.array([uuid.UUID(int=1).bytes], pa.uuid())).type
        FixedSizeBinaryType(fixed_size_binary[16])
    """
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    return pa.chunked_array(
        [chunk.storage if isinstance(chunk, pa.ExtensionArray) else chunk for chunk in chunks], type=pa.binary(16)
    )


_YEAR_1 = -62_135_596_800
"""0001-01-01T00:00:00Z in seconds since the epoch: the first instant a timestamp may hold."""
_YEAR_10000 = 253_402_300_800
"""10000-01-01T00:00:00Z in seconds since the epoch: the first instant after the last one a timestamp may hold."""
_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000}


def first_outside_years(column: pa.Array | pa.ChunkedArray) -> int | None:
    """The row of the first time in a timestamp column outside the years 1-9999 (UTC) the store holds, or None.

    Any unit; nulls are never outside (nanoseconds, within about 1677-2262, never are).

    Example:
        >>> first_outside_years(pa.array([0, None, 253_402_300_800], pa.timestamp("s", tz="UTC")))
        2
        >>> first_outside_years(pa.array([-62_135_596_800_000_000], TIMESTAMP)) is None
        True
    """
    per_second = _PER_SECOND.get(column.type.unit)
    if per_second is None:
        return None
    ticks = column.cast(pa.int64())
    outside = pc.fill_null(
        pc.or_(pc.less(ticks, _YEAR_1 * per_second), pc.greater_equal(ticks, _YEAR_10000 * per_second)), False
    )
    return int(pc.index(outside, True).as_py()) if pc.any(outside).as_py() else None
