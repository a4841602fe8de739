"""SQL for sessions and events, and the conversion of their rows to records.

Every statement about sessions and events is written here, as text with
``?`` / ``$n`` placeholders; the write ops and read queries only execute them
with bound parameters, never with caller text pasted in.
"""

from __future__ import annotations

import json
from typing import Any

from agentlog.records import EventRecord, SessionRecord, format_timestamp

__all__ = [
    "ACTIVE_SESSIONS",
    "COUNT_SESSIONS",
    "DELETE_EVENTS",
    "DELETE_SESSION",
    "EVENTS_OF_SESSION",
    "EVENT_BY_ID",
    "EVENT_COLUMNS",
    "EVENT_COUNTS",
    "EXISTING_EVENT_IDS",
    "SESSION_BY_ID",
    "SESSION_COLUMNS",
    "SESSION_FACTS",
    "event_row",
    "list_sessions_sql",
    "session_row",
]

SESSION_COLUMNS = (
    "id, agent, project_id, user_id, app_name, lifecycle, summary, metadata, state, started_at, ended_at, updated_at"
)
"""Columns of a session record, in the order :func:`session_row` reads them."""

EVENT_COLUMNS = "id, session_id, seq, event_type, event_data, metadata, timestamp"
"""Columns of an event record, in the order :func:`event_row` reads them."""

SESSION_BY_ID = f"SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?"
EVENTS_OF_SESSION = f"SELECT {EVENT_COLUMNS} FROM events WHERE session_id = ? ORDER BY seq"
EVENT_BY_ID = f"SELECT {EVENT_COLUMNS} FROM events WHERE id = ?"

SESSION_FACTS = """
SELECT lifecycle, (SELECT coalesce(max(seq), 0) FROM events WHERE session_id = $1)
FROM sessions WHERE id = $1
"""
"""Lifecycle and highest ``seq`` of one session (the writer's cache fill)."""

EXISTING_EVENT_IDS = "SELECT id FROM events WHERE id IN (SELECT unnest($1::UUID[]))"
"""Which of a list of event ids are already stored."""

COUNT_SESSIONS = "SELECT count(*) FROM sessions WHERE agent = ? AND started_at >= ?"

ACTIVE_SESSIONS = f"""
SELECT {SESSION_COLUMNS} FROM sessions WHERE ended_at IS NULL
ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?
"""

EVENT_COUNTS = """
SELECT session_id, count(*) FROM events
WHERE session_id IN (SELECT unnest($1::UUID[]))
GROUP BY session_id
"""
"""Event count per session for a short list of session ids."""

DELETE_EVENTS = "DELETE FROM events WHERE session_id = ?"
DELETE_SESSION = "DELETE FROM sessions WHERE id = ?"


def list_sessions_sql(*, agent: bool, project_id: bool, since: bool, until: bool, after: bool) -> str:
    """Build the ``list_sessions`` query for the filters present.

    Each flag adds one condition with a ``?`` placeholder, in the order of the
    arguments; ``after`` adds the keyset condition (three placeholders: the
    cursor session's ``started_at`` twice, then its ``id``). ``LIMIT ? OFFSET ?`` close it.

    Example:
        >>> "agent = ?" in list_sessions_sql(agent=True, project_id=False, since=False, until=False, after=False)
        True
    """
    conditions = []
    if agent:
        conditions.append("agent = ?")
    if project_id:
        conditions.append("project_id = ?")
    if since:
        conditions.append("started_at >= ?")
    if until:
        conditions.append("started_at < ?")
    if after:
        conditions.append("(started_at < ? OR (started_at = ? AND id < ?))")
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"""
SELECT {SESSION_COLUMNS} FROM sessions {where}
ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?
"""


def session_row(row: tuple[Any, ...]) -> SessionRecord:
    """Convert a row of :data:`SESSION_COLUMNS` to a session record.

    Example:
        >>> import uuid, datetime
        >>> t = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        >>> r = session_row((uuid.UUID(int=1), "claude", None, None, None, "active", None, "{}", "{}", t, None, t))
        >>> r["started_at"]
        '2026-01-01T00:00:00.000000+00:00'
    """
    return {
        "id": row[0],
        "agent": row[1],
        "project_id": row[2],
        "user_id": row[3],
        "app_name": row[4],
        "lifecycle": row[5],
        "summary": row[6],
        "metadata": json.loads(row[7]),
        "state": json.loads(row[8]),
        "started_at": format_timestamp(row[9]),  # type: ignore[typeddict-item]
        "ended_at": format_timestamp(row[10]),
        "updated_at": format_timestamp(row[11]),  # type: ignore[typeddict-item]
    }


def event_row(row: tuple[Any, ...]) -> EventRecord:
    """Convert a row of :data:`EVENT_COLUMNS` to an event record.

    Example:
        >>> import uuid
        >>> event_row((uuid.UUID(int=2), uuid.UUID(int=1), 1, "task_created", '{"a":1}', "{}", None))["event_data"]
        {'a': 1}
    """
    return {
        "id": row[0],
        "session_id": row[1],
        "seq": row[2],
        "event_type": row[3],
        "event_data": json.loads(row[4]),
        "metadata": json.loads(row[5]),
        "timestamp": format_timestamp(row[6]),
    }
