"""Sessions one by one: their durations and counts, and the timeline of one session's events."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import polars as pl

from agentlog.analytics import _sql, schemas
from agentlog.analytics._frames import conform, fetch, microseconds_to_duration
from agentlog.analytics.window import scope
from agentlog.errors import NotFoundError
from agentlog.store import Store, require_open_store
from agentlog.validation import validate_uuid

__all__ = ["IDLE_GAP", "session_stats", "session_timeline"]

IDLE_GAP = timedelta(minutes=30)
"""A pause between two events longer than this marks the session as idle in between (``idle_before``)."""

_US_PER_MINUTE = 60_000_000


def session_stats(
    store: Store,
    *,
    agent: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    days: int | None = None,
) -> pl.DataFrame:
    """One row per session started in the window: who, when, how long, how many events and errors.

    ``duration`` is ``end - started_at``, ``end`` being ``ended_at``, else (for a
    session still open) its last event's timestamp, else ``started_at``. ``events``
    and ``errors`` count all the session's events, wherever they fall.

    Args:
        store: The store to read.
        agent: Only this agent; all agents by default.
        since: Start of the window; default ``until - days``.
        until: End of the window, excluded; default now.
        days: Length of the window when ``since`` is not given; default 30.

    Returns:
        A frame with the columns of :data:`~agentlog.analytics.schemas.SESSION_STATS`,
        oldest session first.

    Example:
        >>> from datetime import UTC, datetime
        >>> from agentlog import Store
        >>> from agentlog.demo import generate_demo_data, load_demo_data
        >>> store = Store.memory(embedder=None)
        >>> _ = load_demo_data(store, generate_demo_data(sessions=40))
        >>> stats = session_stats(store, until=datetime(2026, 3, 6, tzinfo=UTC), days=90)
        >>> stats.height, stats.schema["duration"]
        (40, Duration(time_unit='us'))
        >>> store.close()
    """
    checked = scope(store, agent=agent, since=since, until=until, days=days)
    frame = fetch(checked.store, _sql.session_stats_sql(agent=checked.agent is not None), checked.params())
    frame = frame.with_columns(
        microseconds_to_duration("duration_us", "duration"),
        (pl.col("duration_us").cast(pl.Float64) / _US_PER_MINUTE).alias("duration_minutes"),
    )
    return conform(frame, schemas.SESSION_STATS)


def session_timeline(store: Store, session_id: uuid.UUID | str) -> pl.DataFrame:
    """The events of one session in order, with their offset from the start and the gaps between them.

    Args:
        store: The store to read.
        session_id: The session, as a ``UUID`` or its string.

    Returns:
        One row per event in ``seq`` order, columns of
        :data:`~agentlog.analytics.schemas.SESSION_TIMELINE`. ``gap`` is the time
        since the previous event that has a timestamp; ``idle_before`` marks gaps
        longer than :data:`IDLE_GAP`.

    Raises:
        ValidationError: If ``session_id`` is not a UUID.
        NotFoundError: If there is no such session.

    Example:
        >>> from agentlog import Store
        >>> from agentlog.demo import generate_demo_data, load_demo_data
        >>> store = Store.memory(embedder=None)
        >>> data = generate_demo_data(sessions=5)
        >>> _ = load_demo_data(store, data)
        >>> first = data.sessions.column("id")[0].as_py()
        >>> timeline = session_timeline(store, first)
        >>> timeline.get_column("seq").to_list()[:3], timeline.get_column("gap")[0] is None
        ([1, 2, 3], True)
        >>> store.close()
    """
    checked = require_open_store(store)
    ident = validate_uuid(session_id, "session_id")
    params = {"session_id": ident}
    if not fetch(checked, _sql.session_exists_sql(), params).item():
        raise NotFoundError("session", ident)
    frame = fetch(checked, _sql.session_timeline_sql(), params)
    frame = frame.with_columns(
        microseconds_to_duration("offset_us", "offset"),
        microseconds_to_duration("gap_us", "gap"),
        (pl.col("gap_us") > IDLE_GAP // timedelta(microseconds=1)).fill_null(False).alias("idle_before"),
    )
    return conform(frame, schemas.SESSION_TIMELINE)
