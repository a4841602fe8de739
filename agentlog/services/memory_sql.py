"""SQL for memories, and the conversion of their rows to records.

The ``memories`` table holds one row per version of a (namespace, key); the
*head* of a memory is its highest version. A memory is **live** when its head
is not a delete marker (``change <> 'deleted'``) and has not expired
(``expires_at`` is null or after now). Every statement here takes its values as
bound parameters: named ones (``$prefix``, ``$now``, ...) on the read side,
positional ones (``$1``, ...) in the statements the writer runs; namespace prefixes use
:data:`~agentlog.services.namespaces.PREFIX_SQL`, never ``LIKE``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, TypedDict

from agentlog.records import format_timestamp
from agentlog.services.namespaces import PREFIX_SQL

__all__ = [
    "DELETE_EXPIRED_VERSIONS",
    "DELETE_MEMORIES",
    "HEADS_OF",
    "HEAD_AND_VERSION_OF",
    "LIVE",
    "MEMORY_COLUMNS",
    "VALUE_OF_VERSION",
    "VERSIONS_OF",
    "MemoryRecord",
    "clear_prefix_sql",
    "list_memories_sql",
    "list_namespaces_sql",
    "live_by_ids_sql",
    "memory_row",
    "sweep_sql",
]


class MemoryRecord(TypedDict, total=False):
    """One version of a memory, as the MemoryService returns it."""

    id: uuid.UUID
    """The id of this version's row (``create_memory`` returns the first one)."""
    memory_id: uuid.UUID
    """The stable id of the memory (same for every version of a namespace + key)."""
    namespace: str
    """``scope:segment[:segment...]``."""
    key: str
    """The key within the namespace."""
    value: Any
    """The value (any JSON data)."""
    memory_type: str
    """``short_term``, ``semantic``, ``episodic`` or ``procedural``."""
    version: int
    """1, 2, 3, ... per namespace + key, gapless as written (a version whose own expiry passed drops out)."""
    change: str
    """What made this version: ``created``, ``updated``, ``deleted`` (a delete marker) or ``restored``."""
    metadata: dict[str, Any]
    """Free-form facts about the memory."""
    expires_at: str | None
    """When it stops being visible (ISO-8601 UTC), or ``None`` for never."""
    created_at: str
    """When the memory was created (kept by updates)."""
    updated_at: str
    """When this version was written."""
    is_current: bool
    """On ``get_memory_history``: whether this is the latest version (older ones are superseded)."""
    similarity: float
    """On search hits: calibrated relevance in [0, 1]."""
    cosine: float
    """On search hits: raw cosine similarity."""
    score: float
    """On search hits in ``keyword`` and ``hybrid`` mode: the reciprocal-rank score Σ 1 / (60 + rank)."""
    keyword_match: bool
    """On search hits in ``keyword`` and ``hybrid`` mode: whether it matched the query's words."""


MEMORY_COLUMNS = (
    "id, memory_id, namespace, key, version, change, value, memory_type, metadata, expires_at, created_at, updated_at"
)
"""Columns of a memory record, in the order :func:`memory_row` reads them."""

_HEAD = "QUALIFY row_number() OVER (PARTITION BY memory_id ORDER BY version DESC) = 1"
LIVE = "change <> 'deleted' AND (expires_at IS NULL OR expires_at > $now)"
"""Condition on a head row: the memory is live at ``$now``."""

VERSIONS_OF = f"SELECT {MEMORY_COLUMNS} FROM memories WHERE memory_id = $id ORDER BY version DESC"
"""Every stored version of one memory, newest first."""

HEAD_AND_VERSION_OF = f"""
SELECT {MEMORY_COLUMNS} FROM memories
WHERE memory_id = $id AND (version = $version OR version = (SELECT max(version) FROM memories WHERE memory_id = $id))
ORDER BY version DESC
"""
"""The latest version of one memory and version ``$version`` (one row when they are the same; ``$version``
NULL: the latest alone), newest first: what :meth:`MemoryService.get_memory` needs of a memory with a long
history."""

VALUE_OF_VERSION = "SELECT value FROM memories WHERE memory_id = $1 AND version = $2"
"""The value of one version (writer side: positional parameters)."""

HEADS_OF = f"""
SELECT memory_id, version, change, memory_type, metadata, expires_at, created_at
FROM memories WHERE memory_id IN (SELECT unnest($1::UUID[]))
{_HEAD}
"""
"""The head of each of the memories in ``$1`` (the writer's cache fill)."""


def _heads(where: str) -> str:
    return f"SELECT {MEMORY_COLUMNS} FROM memories WHERE {where} {_HEAD}"


def list_memories_sql(*, prefix: bool, memory_type: bool) -> str:
    """The live memories under ``$prefix`` (and of ``$type``), latest change first, at most ``$limit``.

    Example:
        >>> "starts_with(namespace, $prefix || ':')" in list_memories_sql(prefix=True, memory_type=False)
        True
    """
    where = PREFIX_SQL.format(p="$prefix") if prefix else "true"
    type_filter = " AND memory_type = $type" if memory_type else ""
    return f"""
SELECT * FROM ({_heads(where)}) WHERE {LIVE}{type_filter}
ORDER BY updated_at DESC, namespace, key LIMIT $limit
"""


def list_namespaces_sql(*, prefix: bool) -> str:
    """The namespaces holding at least one live memory (under ``$prefix``), sorted.

    Example:
        >>> "DISTINCT namespace" in list_namespaces_sql(prefix=False)
        True
    """
    where = PREFIX_SQL.format(p="$prefix") if prefix else "true"
    return f"""
SELECT DISTINCT namespace FROM (
    SELECT namespace, change, expires_at FROM memories WHERE {where} {_HEAD}
) WHERE {LIVE} ORDER BY namespace
"""


def live_by_ids_sql() -> str:
    """The heads of the memories in ``$ids`` that are live at ``$now`` (search hits).

    Example:
        >>> "unnest($ids::UUID[])" in live_by_ids_sql()
        True
    """
    return f"SELECT * FROM ({_heads('memory_id IN (SELECT unnest($ids::UUID[]))')}) WHERE {LIVE}"


def sweep_sql(*, ended_sessions: bool) -> str:
    """The memories to remove entirely: head expired at ``$1`` (or of a session that ended or is gone).

    Example:
        >>> "expires_at <= $1" in sweep_sql(ended_sessions=False)
        True
    """
    expired = f"SELECT memory_id FROM memories {_HEAD} AND expires_at <= $1"
    if not ended_sessions:
        return expired
    return f"""
{expired}
UNION
SELECT DISTINCT memory_id FROM memories
WHERE starts_with(namespace, 'session:')
  AND TRY_CAST(split_part(namespace, ':', 2) AS UUID) NOT IN (SELECT id FROM sessions WHERE ended_at IS NULL)
"""


DELETE_MEMORIES = "DELETE FROM memories WHERE memory_id IN (SELECT unnest($1::UUID[]))"
"""Remove every version of the memories in ``$1``."""
DELETE_EXPIRED_VERSIONS = "DELETE FROM memories WHERE expires_at <= $1"
"""Remove versions expired at ``$1`` (after the memories whose head expired were removed whole)."""


def clear_prefix_sql() -> str:
    """The distinct memories under ``$1`` (every row, live or not).

    Example:
        >>> "DISTINCT memory_id" in clear_prefix_sql()
        True
    """
    return f"SELECT DISTINCT memory_id FROM memories WHERE {PREFIX_SQL.format(p='$1')}"


def memory_row(row: tuple[Any, ...]) -> MemoryRecord:
    """Convert a row of :data:`MEMORY_COLUMNS` to a record.

    Example:
        >>> import datetime
        >>> t = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        >>> r = memory_row((uuid.UUID(int=2), uuid.UUID(int=1), "user:alice", "ui_theme", 1, "created",
        ...                 '"dark"', "semantic", "{}", None, t, t))
        >>> r["value"], r["version"], r["expires_at"]
        ('dark', 1, None)
    """
    return {
        "id": row[0],
        "memory_id": row[1],
        "namespace": row[2],
        "key": row[3],
        "value": json.loads(row[6]),
        "memory_type": row[7],
        "version": int(row[4]),
        "change": row[5],
        "metadata": json.loads(row[8]),
        "expires_at": format_timestamp(row[9]),
        "created_at": format_timestamp(row[10]),  # type: ignore[typeddict-item]
        "updated_at": format_timestamp(row[11]),  # type: ignore[typeddict-item]
    }
