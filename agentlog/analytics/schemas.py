"""The columns and dtypes of every analytics frame.

Each function of :mod:`agentlog.analytics` returns a frame with exactly the
columns of its schema, in this order and with these dtypes, even when it is
empty. Ids are strings, instants are ``Datetime("us", "UTC")``, calendar days
(in the ``tz`` of the call) are ``Date``, durations are ``Duration("us")``.

Example:
    >>> ACTIVITY["period_start"]
    Datetime(time_unit='us', time_zone='UTC')
"""

from __future__ import annotations

import polars as pl

__all__ = [
    "ACTIVITY",
    "AGENT_COMPARISON",
    "ERRORS_BY_AGENT",
    "ERROR_RATE_OVER_TIME",
    "EVENTS_BY_TYPE",
    "HOUR_OF_WEEK",
    "MOST_ACTIVE_DAY",
    "REPORT_BY_DAY",
    "SEARCH_DOCUMENTS",
    "SEARCH_EVENTS",
    "SEARCH_MEMORIES",
    "SEARCH_SCHEMAS",
    "SEARCH_SESSIONS",
    "SESSION_EMBEDDING_MAP",
    "SESSION_STATS",
    "SESSION_TIMELINE",
    "UTC_INSTANT",
]

UTC_INSTANT = pl.Datetime("us", "UTC")
"""Dtype of every instant in a frame."""

ACTIVITY = pl.Schema(
    {
        "agent": pl.String(),
        "period": pl.Date(),
        "period_start": UTC_INSTANT,
        "sessions": pl.Int64(),
        "events": pl.Int64(),
        "errors": pl.Int64(),
        "active_minutes": pl.Float64(),
        "complete": pl.Boolean(),
        "days_in_window": pl.Float64(),
    }
)
""":func:`~agentlog.analytics.activity`: one row per agent and period (day or week), zeros included.

* ``period``: the calendar day (or the Monday of the ISO week) in the call's ``tz``.
* ``period_start``: the instant that day/week starts (local midnight in UTC).
* ``sessions``: sessions started in the period; ``events`` / ``errors``: events
  that happened in it; ``active_minutes``: session time inside it. All four
  count only what falls inside the window.
* ``complete``: the whole period lies inside the window ``[since, until)``. Only
  the first and the last period can be partial (the window starts or ends
  inside them); their numbers cover only the part in the window, so they are
  not comparable with the other periods' (see :func:`~agentlog.plots.activity_figure`,
  which draws them apart, and the ``complete_only`` argument, which drops them).
* ``days_in_window``: how much of the period lies inside the window, in days of
  the local calendar (wall-clock time in ``tz``): 1 for a complete day, 7 for a
  complete week (also a week with a DST change), less for a partial period
  (e.g. 4.0 for a week whose last three days are after ``until``, 0.5 for a day
  the window enters at noon).
"""

EVENTS_BY_TYPE = pl.Schema(
    {"agent": pl.String(), "event_type": pl.String(), "events": pl.Int64(), "errors": pl.Int64(), "share": pl.Float64()}
)
""":func:`~agentlog.analytics.events_by_type`: ``share`` is the type's fraction of the agent's events."""

HOUR_OF_WEEK = pl.Schema(
    {"weekday": pl.Int8(), "day_name": pl.String(), "hour": pl.Int8(), "events": pl.Int64(), "sessions": pl.Int64()}
)
""":func:`~agentlog.analytics.hour_of_week`: always 168 rows, ``weekday`` 0 = Monday, ``hour`` 0-23 local."""

MOST_ACTIVE_DAY = pl.Schema({"agent": pl.String(), "day": pl.Date(), "sessions": pl.Int64()})
""":func:`~agentlog.analytics.most_active_day`: one row per agent that started a session in the window."""

AGENT_COMPARISON = pl.Schema(
    {
        "agent": pl.String(),
        "sessions": pl.Int64(),
        "events": pl.Int64(),
        "errors": pl.Int64(),
        "error_rate": pl.Float64(),
        "active_minutes": pl.Float64(),
        "avg_events_per_session": pl.Float64(),
        "median_session_minutes": pl.Float64(),
        "active_days": pl.Int64(),
        "most_active_day": pl.Date(),
        "most_active_day_sessions": pl.Int64(),
        "first_event_at": UTC_INSTANT,
        "last_event_at": UTC_INSTANT,
    }
)
""":func:`~agentlog.analytics.agent_comparison`: one row per agent active in the window."""

ERRORS_BY_AGENT = pl.Schema(
    {"agent": pl.String(), "events": pl.Int64(), "errors": pl.Int64(), "error_rate": pl.Float64()}
)
""":func:`~agentlog.analytics.errors_by_agent`: ``error_rate`` is ``errors / events``."""

ERROR_RATE_OVER_TIME = pl.Schema(
    {
        "agent": pl.String(),
        "period": pl.Date(),
        "period_start": UTC_INSTANT,
        "events": pl.Int64(),
        "errors": pl.Int64(),
        "error_rate": pl.Float64(),
        "complete": pl.Boolean(),
        "days_in_window": pl.Float64(),
    }
)
""":func:`~agentlog.analytics.error_rate_over_time`: ``error_rate`` is null for a period without events.

The periods are those of :func:`~agentlog.analytics.activity` called with the same window, ``freq`` and
``tz``, with the same ``complete`` and ``days_in_window`` (see :data:`ACTIVITY`).
"""

SESSION_STATS = pl.Schema(
    {
        "session_id": pl.String(),
        "agent": pl.String(),
        "project_id": pl.String(),
        "lifecycle": pl.String(),
        "summary": pl.String(),
        "started_at": UTC_INSTANT,
        "ended_at": UTC_INSTANT,
        "last_event_at": UTC_INSTANT,
        "duration": pl.Duration("us"),
        "duration_minutes": pl.Float64(),
        "events": pl.Int64(),
        "errors": pl.Int64(),
    }
)
""":func:`~agentlog.analytics.session_stats`: one row per session started in the window, oldest first."""

SESSION_TIMELINE = pl.Schema(
    {
        "session_id": pl.String(),
        "seq": pl.Int64(),
        "event_id": pl.String(),
        "event_type": pl.String(),
        "timestamp": UTC_INSTANT,
        "offset": pl.Duration("us"),
        "gap": pl.Duration("us"),
        "idle_before": pl.Boolean(),
        "is_error": pl.Boolean(),
        "event_data": pl.String(),
    }
)
""":func:`~agentlog.analytics.session_timeline`: one row per event of the session, in ``seq`` order.

* ``offset``: ``timestamp - started_at`` of the session.
* ``gap``: time since the previous event that has a timestamp (null for the
  first one, and for events without a timestamp).
* ``idle_before``: ``gap`` is longer than :data:`~agentlog.analytics.IDLE_GAP`.
"""

REPORT_BY_DAY = pl.Schema({"day": pl.Date(), "sessions": pl.Int64(), "events": pl.Int64()})
""":attr:`ActivityReport.by_day <agentlog.analytics.ActivityReport.by_day>`: per UTC day of ``started_at``."""

_HIT_COLUMNS: dict[str, pl.DataType] = {
    "rank": pl.Int64(),
    "similarity": pl.Float64(),
    "cosine": pl.Float64(),
    "score": pl.Float64(),
    "keyword_match": pl.Boolean(),
}

SEARCH_SESSIONS = pl.Schema(
    {
        **_HIT_COLUMNS,
        "session_id": pl.String(),
        "agent": pl.String(),
        "project_id": pl.String(),
        "user_id": pl.String(),
        "app_name": pl.String(),
        "lifecycle": pl.String(),
        "summary": pl.String(),
        "started_at": UTC_INSTANT,
        "ended_at": UTC_INSTANT,
    }
)
""":func:`~agentlog.analytics.search_frame` with ``kind="sessions"``: one row per hit, best first.

Every search frame starts with the same five columns:

* ``rank``: 1 for the best hit, then 2, 3, ... (the order of the rows).
* ``similarity``: the calibrated score in [0, 1] (0.7 = clearly the same topic,
  0.5 = loosely related), whatever the embedder.
* ``cosine``: the raw cosine similarity of query and row.
* ``score``: the reciprocal-rank-fusion score in ``"hybrid"`` and ``"keyword"``
  mode; null in ``"vector"`` mode.
* ``keyword_match``: whether the row matched the keywords (``"hybrid"`` and
  ``"keyword"`` mode); null in ``"vector"`` mode.
"""

SEARCH_EVENTS = pl.Schema(
    {
        **_HIT_COLUMNS,
        "event_id": pl.String(),
        "session_id": pl.String(),
        "seq": pl.Int64(),
        "agent": pl.String(),
        "event_type": pl.String(),
        "timestamp": UTC_INSTANT,
        "is_error": pl.Boolean(),
        "event_data": pl.String(),
        "metadata": pl.String(),
    }
)
""":func:`~agentlog.analytics.search_frame` with ``kind="events"``: the hit columns, then the event.

``event_data`` and ``metadata`` are JSON text; ``is_error`` follows the
analytics definition (``error_encountered`` or ``metadata.is_error`` true);
``timestamp`` is null for imported events without one.
"""

SEARCH_MEMORIES = pl.Schema(
    {
        **_HIT_COLUMNS,
        "memory_id": pl.String(),
        "namespace": pl.String(),
        "key": pl.String(),
        "value": pl.String(),
        "memory_type": pl.String(),
        "version": pl.Int64(),
        "metadata": pl.String(),
        "created_at": UTC_INSTANT,
        "updated_at": UTC_INSTANT,
        "expires_at": UTC_INSTANT,
    }
)
""":func:`~agentlog.analytics.search_frame` with ``kind="memories"``: the hit columns, then the live memory.

``value`` and ``metadata`` are JSON text; ``memory_id`` is the stable id of the
memory (the same for all its versions) and ``version`` the current one.
"""

SEARCH_DOCUMENTS = pl.Schema(
    {
        **_HIT_COLUMNS,
        "chunk_id": pl.String(),
        "document_id": pl.String(),
        "file_path": pl.String(),
        "title": pl.String(),
        "document_type": pl.String(),
        "namespace": pl.String(),
        "chunk_index": pl.Int64(),
        "chunk_text": pl.String(),
        "updated_at": UTC_INSTANT,
    }
)
""":func:`~agentlog.analytics.search_frame` with ``kind="documents"``: one row per matching chunk.

Several chunks of one document may be hits; ``chunk_index`` counts from 0.
"""

SEARCH_SCHEMAS: dict[str, pl.Schema] = {
    "sessions": SEARCH_SESSIONS,
    "events": SEARCH_EVENTS,
    "memories": SEARCH_MEMORIES,
    "documents": SEARCH_DOCUMENTS,
}
"""The schema of :func:`~agentlog.analytics.search_frame` for each ``kind``.

Example:
    >>> list(SEARCH_SCHEMAS["events"])[:6]
    ['rank', 'similarity', 'cosine', 'score', 'keyword_match', 'event_id']
"""

SESSION_EMBEDDING_MAP = pl.Schema(
    {
        "session_id": pl.String(),
        "x": pl.Float64(),
        "y": pl.Float64(),
        "group": pl.String(),
        "agent": pl.String(),
        "project": pl.String(),
        "project_id": pl.String(),
        "summary": pl.String(),
        "started_at": UTC_INSTANT,
    }
)
""":func:`~agentlog.analytics.session_embedding_map`: one row per session that has a vector, oldest first.

* ``x``, ``y``: the session's vector projected to 2-D (sessions about the same
  thing land close together; the axes themselves have no meaning).
* ``group``: what the map colours by, the ``agent`` or the ``project``
  column (the ``color_by`` argument).
* ``project``: the session's ``metadata.project`` when it is a string, else its
  ``project_id``, else null.
"""
