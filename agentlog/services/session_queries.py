"""Read queries for sessions and events.

Plain functions of a DuckDB read cursor and validated arguments; the service
runs them on a reader thread. They see committed data only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from agentlog.errors import NotFoundError
from agentlog.records import SessionRecord
from agentlog.services import session_sql as sql

__all__ = [
    "active_sessions",
    "count_sessions",
    "get_session",
    "last_session",
    "list_sessions",
    "recent_sessions",
]


def get_session(cur: Any, session_id: uuid.UUID, *, with_events: bool = True) -> SessionRecord | None:
    """Return a session (with its events in ``seq`` order), or ``None``.

    Example:
        >>> from agentlog.store import Store
        >>> with Store.memory() as store:
        ...     store.read(lambda cur: get_session(cur, uuid.uuid4())) is None
        True
    """
    rows = cur.execute(sql.SESSION_BY_ID, [session_id]).fetchall()
    if not rows:
        return None
    record = sql.session_row(rows[0])
    if with_events:
        record["events"] = [sql.event_row(r) for r in cur.execute(sql.EVENTS_OF_SESSION, [session_id]).fetchall()]
    return record


def _cursor_position(cur: Any, after: uuid.UUID) -> tuple[datetime, uuid.UUID]:
    rows = cur.execute("SELECT started_at, id FROM sessions WHERE id = ?", [after]).fetchall()
    if not rows:
        raise NotFoundError("session (pagination cursor)", after)
    return rows[0][0], rows[0][1]


def list_sessions(
    cur: Any,
    *,
    agent: str | None,
    project_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
    after: uuid.UUID | None,
) -> list[SessionRecord]:
    """Return sessions newest first, filtered; ``after`` continues after that session (keyset).

    Example:
        >>> from agentlog.store import Store
        >>> with Store.memory() as store:
        ...     store.read(lambda cur: list_sessions(cur, agent="claude", project_id=None,
        ...         since=None, until=None, limit=20, offset=0, after=None))
        []
    """
    params: list[Any] = []
    if agent is not None:
        params.append(agent)
    if project_id is not None:
        params.append(project_id)
    if since is not None:
        params.append(since)
    if until is not None:
        params.append(until)
    if after is not None:
        started, ident = _cursor_position(cur, after)
        params.extend([started, started, ident])
    query = sql.list_sessions_sql(
        agent=agent is not None,
        project_id=project_id is not None,
        since=since is not None,
        until=until is not None,
        after=after is not None,
    )
    params.extend([limit, offset])
    return [sql.session_row(r) for r in cur.execute(query, params).fetchall()]


def last_session(cur: Any, agent: str) -> SessionRecord | None:
    """Return the most recently started session of ``agent``, with its events, or ``None``.

    Example:
        >>> from agentlog.store import Store
        >>> with Store.memory() as store:
        ...     store.read(lambda cur: last_session(cur, "claude")) is None
        True
    """
    rows = cur.execute(sql.LAST_SESSION, [agent]).fetchall()
    if not rows:
        return None
    record = sql.session_row(rows[0])
    record["events"] = [sql.event_row(r) for r in cur.execute(sql.EVENTS_OF_SESSION, [record["id"]]).fetchall()]
    return record


def count_sessions(cur: Any, agent: str, since: datetime) -> int:
    """Count the sessions of ``agent`` started at or after ``since``.

    Example:
        >>> from datetime import datetime, timezone
        >>> from agentlog.store import Store
        >>> with Store.memory() as store:
        ...     store.read(lambda cur: count_sessions(cur, "claude", datetime(2026, 1, 1, tzinfo=timezone.utc)))
        0
    """
    return int(cur.execute(sql.COUNT_SESSIONS, [agent, since]).fetchall()[0][0])


def recent_sessions(cur: Any, agent: str, since: datetime, limit: int, offset: int) -> list[SessionRecord]:
    """Return the sessions of ``agent`` since ``since``, newest first, each with ``event_count``.

    Example:
        >>> from datetime import datetime, timezone
        >>> from agentlog.store import Store
        >>> with Store.memory() as store:
        ...     store.read(lambda cur: recent_sessions(cur, "claude", datetime(2026, 1, 1, tzinfo=timezone.utc), 20, 0))
        []
    """
    sessions = list_sessions(
        cur, agent=agent, project_id=None, since=since, until=None, limit=limit, offset=offset, after=None
    )
    if not sessions:
        return []
    counts = dict(cur.execute(sql.EVENT_COUNTS, [[s["id"] for s in sessions]]).fetchall())
    for session in sessions:
        session["event_count"] = int(counts.get(session["id"], 0))
    return sessions


def active_sessions(cur: Any, limit: int, offset: int) -> list[SessionRecord]:
    """Return the sessions that have not ended, newest first.

    Example:
        >>> from agentlog.store import Store
        >>> with Store.memory() as store:
        ...     store.read(lambda cur: active_sessions(cur, 100, 0))
        []
    """
    return [sql.session_row(r) for r in cur.execute(sql.ACTIVE_SESSIONS, [limit, offset]).fetchall()]
