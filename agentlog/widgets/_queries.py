"""The few reads the explorers need besides the analytics frames: agents, recent sessions, the span of the data."""

from __future__ import annotations

from datetime import date

import polars as pl

from agentlog.store import Store

__all__ = ["AGENTS_SQL", "RECENT_SESSIONS_SQL", "SESSION_LABEL_SQL", "SPAN_SQL", "activity_span", "agents",
           "recent_sessions", "session_label"]  # fmt: skip

AGENTS_SQL = "SELECT DISTINCT agent FROM sessions ORDER BY agent"

_SESSION_ROW = """
    SELECT s.id::VARCHAR AS session_id, s.agent, s.started_at, s.summary,
           (SELECT count(*) FROM events e WHERE e.session_id = s.id) AS events
    FROM sessions s
"""
RECENT_SESSIONS_SQL = _SESSION_ROW + "ORDER BY s.started_at DESC, s.id DESC LIMIT $limit"
SESSION_LABEL_SQL = _SESSION_ROW + "WHERE s.id = $id::UUID"

# Days (in the time zone $tz) of the first and the last thing that happened: a session start or an event.
SPAN_SQL = """
    SELECT min(ts)::DATE AS first_day, max(ts)::DATE AS last_day FROM (
        SELECT timezone($tz, started_at) AS ts FROM sessions
        UNION ALL SELECT timezone($tz, timestamp) FROM events WHERE timestamp IS NOT NULL
    )
"""


def agents(store: Store) -> list[str]:
    """The agents that have sessions, by name.

    Example:
        >>> with Store.memory(embedder=None) as store:
        ...     agents(store)
        []
    """
    return [row[0] for row in store.sql(AGENTS_SQL).fetchall()]


def recent_sessions(store: Store, limit: int) -> pl.DataFrame:
    """The ``limit`` newest sessions: ``session_id, agent, started_at, summary, events``, newest first.

    Example:
        >>> with Store.memory(embedder=None) as store:
        ...     recent_sessions(store, 5).columns
        ['session_id', 'agent', 'started_at', 'summary', 'events']
    """
    frame = store.sql(RECENT_SESSIONS_SQL, {"limit": limit}).pl()
    assert isinstance(frame, pl.DataFrame)
    return frame


def session_label(store: Store, session_id: str) -> pl.DataFrame:
    """One session's row as in :func:`recent_sessions` (empty if there is no such session).

    Example:
        >>> with Store.memory(embedder=None) as store:
        ...     session_label(store, "00000000-0000-0000-0000-000000000000").height
        0
    """
    frame = store.sql(SESSION_LABEL_SQL, {"id": session_id}).pl()
    assert isinstance(frame, pl.DataFrame)
    return frame


def activity_span(store: Store, tz: str) -> tuple[date, date] | None:
    """The first and last day (in ``tz``) with a session start or an event, or ``None`` for an empty store.

    Example:
        >>> with Store.memory(embedder=None) as store:
        ...     activity_span(store, "UTC") is None
        True
    """
    first, last = store.sql(SPAN_SQL, {"tz": tz}).fetchall()[0]
    if first is None or last is None:
        return None
    return first, last
