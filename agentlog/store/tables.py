"""Arrow schemas of the store's tables, in column order.

Writes reach DuckDB as Arrow record batches built with these schemas
(``INSERT INTO <table> BY NAME SELECT * FROM <batch>``), and exports use them
to validate what they read back. JSON columns travel as UTF-8 JSON text,
timestamps as microseconds in UTC, ids as the Arrow UUID extension type.
"""

from __future__ import annotations

import pyarrow as pa

__all__ = [
    "DOCUMENTS",
    "DOCUMENT_CHUNKS",
    "EVENTS",
    "INDEX_TOMBSTONES",
    "MEMORIES",
    "SCHEMAS",
    "SESSIONS",
    "TIMESTAMP",
    "UUID",
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
