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
    }
)
""":func:`~agentlog.analytics.activity`: one row per agent and period (day or week), zeros included.

* ``period``: the calendar day (or the Monday of the ISO week) in the call's ``tz``.
* ``period_start``: the instant that day/week starts (local midnight in UTC).
* ``sessions``: sessions started in the period; ``events`` / ``errors``: events
  that happened in it; ``active_minutes``: session time inside it.
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
    }
)
""":func:`~agentlog.analytics.error_rate_over_time`: ``error_rate`` is null for a period without events."""

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
