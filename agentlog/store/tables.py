"""Arrow schemas of the store's tables, in column order.

Writes reach DuckDB as Arrow record batches built with these schemas
(``INSERT INTO <table> BY NAME SELECT * FROM <batch>``), and exports use them
to validate what they read back. JSON columns travel as UTF-8 JSON text,
timestamps as microseconds in UTC, ids as the Arrow UUID extension type.
"""

from __future__ import annotations

import pyarrow as pa

__all__ = ["EVENTS", "INDEX_TOMBSTONES", "SCHEMAS", "SESSIONS", "TIMESTAMP", "UUID"]

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

SCHEMAS: dict[str, pa.Schema] = {
    "sessions": SESSIONS,
    "events": EVENTS,
    "index_tombstones": INDEX_TOMBSTONES,
}
"""Arrow schema of every table written through the writer, by table name."""
