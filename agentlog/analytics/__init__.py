"""Analytics over a store: plain functions that return Polars frames.

Each function takes a :class:`~agentlog.store.Store`, does its work in DuckDB
(``store.sql(query, params).pl()``: one query, the result handed over as
Arrow, no Python loop over rows) and returns an eager :class:`polars.DataFrame`
whose columns and dtypes are fixed by :mod:`agentlog.analytics.schemas` (ids
as strings, instants as ``Datetime("us", "UTC")``, calendar days as ``Date``).
They only read committed data, and never change the store.

Definitions, the same in every function:

* **Window.** Every time argument is a timezone-aware ``datetime`` (naive ones
  are rejected). A window is half-open, ``[since, until)``: ``until`` defaults
  to now and ``since`` to ``until - days`` (``days`` defaults to 30, or 7 for
  the two summaries); passing both ``since`` and ``days`` is an error.
* **Sessions in a window** are those that *started* in it (as in the guide's
  ``get_recent_sessions``).
* **Events in a window** are those that *happened* in it: at their
  ``timestamp``, or at their session's ``started_at`` if they have none (some
  imported formats carry no times).
* **Errors** are events whose ``event_type`` is ``'error_encountered'`` or whose
  ``metadata.is_error`` is the JSON boolean ``true``. **Error rate** =
  errors / events, over the same events (null when there are none).
* **Active minutes.** A session spans ``[started_at, end)``, ``end`` being its
  ``ended_at``, else (still open) its last event's timestamp, else
  ``started_at``. Its active time in a window (or a day, or a week) is the part of
  that span inside it; an agent's active minutes are the sum over its sessions
  (two overlapping sessions count twice: it is session time, not wall time).
* **Days and weeks** are calendar days and ISO weeks (Monday first) in the
  ``tz`` argument (an IANA name, default ``"UTC"``); ``period_start`` is the
  instant a period starts. The first and last periods of a window are clipped
  to it: their ``complete`` column is false and ``days_in_window`` says how
  much of them the window holds (the figures draw them dotted).

Functions: :func:`activity`, :func:`events_by_type`, :func:`hour_of_week`,
:func:`most_active_day`, :func:`agent_comparison`, :func:`errors_by_agent`,
:func:`error_rate_over_time`, :func:`session_stats`, :func:`session_timeline`,
the one-call summaries :func:`activity_report` (the guide's Workflow 5)
and :func:`window_summary` ("what did I do in the last N days"), search hits
as a frame (:func:`search_frame`) and the 2-D map of session embeddings
(:func:`session_embedding_map`). Figures for these frames are in
:mod:`agentlog.plots`.

Example:
    >>> from datetime import UTC, datetime
    >>> from agentlog import Store
    >>> from agentlog.analytics import activity_report
    >>> from agentlog.demo import generate_demo_data, load_demo_data
    >>> with Store.memory(embedder=None) as store:
    ...     _ = load_demo_data(store, generate_demo_data(sessions=40))
    ...     report = activity_report(store, "claude", days=30, until=datetime(2026, 3, 6, tzinfo=UTC))
    >>> report.sessions > 0
    True
"""

from agentlog.analytics import schemas
from agentlog.analytics.activity import activity, agent_comparison, events_by_type, hour_of_week, most_active_day
from agentlog.analytics.embedding_map import PROJECTIONS, session_embedding_map
from agentlog.analytics.errors import error_rate_over_time, errors_by_agent
from agentlog.analytics.search import SEARCH_FILTERS, SEARCH_KINDS, SearchKind, search_frame
from agentlog.analytics.sessions import IDLE_GAP, session_stats, session_timeline
from agentlog.analytics.summary import ActivityReport, WindowSummary, activity_report, window_summary
from agentlog.analytics.window import MAX_DAYS, Window, resolve_window

__all__ = [
    "IDLE_GAP",
    "MAX_DAYS",
    "PROJECTIONS",
    "SEARCH_FILTERS",
    "SEARCH_KINDS",
    "ActivityReport",
    "SearchKind",
    "Window",
    "WindowSummary",
    "activity",
    "activity_report",
    "agent_comparison",
    "error_rate_over_time",
    "errors_by_agent",
    "events_by_type",
    "hour_of_week",
    "most_active_day",
    "resolve_window",
    "schemas",
    "search_frame",
    "session_embedding_map",
    "session_stats",
    "session_timeline",
    "window_summary",
]
