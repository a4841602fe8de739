"""One-call summaries: the guide's Workflow 5 activity report, and "what did I do in the last N days"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl

from agentlog.analytics import _sql, schemas
from agentlog.analytics._frames import conform, fetch
from agentlog.analytics.activity import agent_comparison, events_by_type
from agentlog.analytics.sessions import session_stats
from agentlog.analytics.window import MAX_DAYS, Scope, scope
from agentlog.store import Store
from agentlog.validation import validate_limit, validate_name, validate_positive_int
from agentlog.wording import plural

__all__ = ["ActivityReport", "WindowSummary", "activity_report", "window_summary"]

_TEXT_SESSIONS = 10


@dataclass(frozen=True, eq=False, slots=True)
class ActivityReport:
    """The numbers of the guide's Workflow 5 ("Activity Analytics") for one agent.

    ``str(report)`` is the text Workflow 5 prints.

    Attributes:
        agent: The agent.
        days: Length of the window in days.
        since: Start of the window (UTC).
        until: End of the window, excluded (UTC).
        sessions: Sessions the agent started in the window (the newest ``limit`` if one was given).
        events: All events of those sessions.
        avg_events_per_session: ``events / sessions``; ``None`` without sessions.
        most_active_day: The UTC day on which most of those sessions started (the
            latest one on a tie); ``None`` without sessions.
        most_active_day_sessions: How many started that day (0 without sessions).
        by_day: Sessions and their events per UTC day of ``started_at``, columns of
            :data:`~agentlog.analytics.schemas.REPORT_BY_DAY`.
    """

    agent: str
    days: int
    since: datetime
    until: datetime
    sessions: int
    events: int
    avg_events_per_session: float | None
    most_active_day: date | None
    most_active_day_sessions: int
    by_day: pl.DataFrame

    def __str__(self) -> str:
        average = "n/a" if self.avg_events_per_session is None else f"{self.avg_events_per_session:.1f}"
        busiest = (
            "n/a"
            if self.most_active_day is None
            # the guide's words, "(1 sessions)" included: this string is what Workflow 5 prints
            else f"{self.most_active_day.isoformat()} ({self.most_active_day_sessions} sessions)"
        )
        return "\n".join(
            [
                f"Activity Report (Last {self.days} Days)",
                f"  Sessions: {self.sessions}",
                f"  Events: {self.events}",
                f"  Avg events/session: {average}",
                f"  Most active day: {busiest}",
            ]
        )


def activity_report(
    store: Store,
    agent: str,
    days: int = 7,
    *,
    until: datetime | None = None,
    limit: int | None = None,
) -> ActivityReport:
    """The guide's Workflow 5 activity report in one call, computed in DuckDB.

    Workflow 5 reads ``get_recent_sessions(agent, days=7)`` and counts the
    sessions, their events, the average and the busiest UTC day. This gives the
    same numbers, with two documented differences: the window also ends at
    ``until`` (sessions dated in the future are left out), and all sessions
    count, whereas ``get_recent_sessions`` returns at most ``limit=20`` of them,
    so the guide's code only looks at the 20 newest. Pass ``limit=20`` to
    reproduce that exactly.

    Args:
        store: The store to read.
        agent: The agent (e.g. ``"claude"``).
        days: Length of the window in days, ending at ``until``.
        until: End of the window, excluded (aware datetime); default now.
        limit: Only the newest ``limit`` sessions of the window; all by default.

    Returns:
        The report; ``str(report)`` is Workflow 5's printout.

    Raises:
        ValidationError: For a bad argument.

    Example:
        >>> from datetime import UTC, datetime
        >>> from agentlog import Store
        >>> from agentlog.demo import generate_demo_data, load_demo_data
        >>> store = Store.memory(embedder=None)
        >>> _ = load_demo_data(store, generate_demo_data(sessions=40))
        >>> report = activity_report(store, "claude", days=30, until=datetime(2026, 3, 6, tzinfo=UTC))
        >>> report.sessions == int(report.by_day["sessions"].sum())
        True
        >>> print(str(report).splitlines()[0])
        Activity Report (Last 30 Days)
        >>> store.close()
    """
    count = validate_positive_int(days, "days", maximum=MAX_DAYS)
    checked = scope(store, agent=validate_name(agent, "agent"), until=until, days=count)
    cap = validate_limit(limit) if limit is not None else None
    params: dict[str, Any] = {**checked.params(), "limit": cap}
    by_day = conform(
        fetch(checked.store, _sql.activity_report_sql(limit=cap is not None), params), schemas.REPORT_BY_DAY
    )
    sessions = int(by_day["sessions"].sum())
    events = int(by_day["events"].sum())
    busiest = by_day.sort(["sessions", "day"], descending=[True, True]).head(1)
    return ActivityReport(
        agent=agent,
        days=count,
        since=checked.window.since,
        until=checked.window.until,
        sessions=sessions,
        events=events,
        avg_events_per_session=events / sessions if sessions else None,
        most_active_day=busiest["day"].item() if busiest.height else None,
        most_active_day_sessions=int(busiest["sessions"].item()) if busiest.height else 0,
        by_day=by_day,
    )


@dataclass(frozen=True, eq=False, slots=True)
class WindowSummary:
    """What happened in a time window: totals, the sessions, the event types, the agents.

    ``str(summary)`` is a short plain-text account (the newest sessions with their summaries).

    Attributes:
        since: Start of the window (UTC).
        until: End of the window, excluded (UTC).
        agent: The agent it is about, or ``None`` for all.
        session_count: Sessions started in the window.
        event_count: Events that happened in the window.
        error_count: Of which errors.
        error_rate: ``error_count / event_count``; ``None`` without events.
        active_minutes: Session time inside the window.
        sessions: The sessions started in the window, newest first (columns of
            :data:`~agentlog.analytics.schemas.SESSION_STATS`).
        event_types: ``event_type``, ``events``, ``errors``, ``share`` over all the
            agents considered, most frequent first.
        agents: :func:`~agentlog.analytics.agent_comparison` for the window.
    """

    since: datetime
    until: datetime
    agent: str | None
    session_count: int
    event_count: int
    error_count: int
    error_rate: float | None
    active_minutes: float
    sessions: pl.DataFrame
    event_types: pl.DataFrame
    agents: pl.DataFrame

    def __str__(self) -> str:
        who = f"agent {self.agent}" if self.agent else "all agents"
        rate = "n/a" if self.error_rate is None else f"{self.error_rate:.1%}"
        lines = [
            f"{who}, {self.since:%Y-%m-%d %H:%M} to {self.until:%Y-%m-%d %H:%M} UTC:",
            f"  {plural(self.session_count, 'session')}, {plural(self.event_count, 'event')}, "
            f"{plural(self.error_count, 'error')} ({rate}), "
            f"{self.active_minutes / 60:.1f} active hours",
        ]
        if self.event_types.height:
            top = ", ".join(f"{t} {n}" for t, n in self.event_types.head(5).select("event_type", "events").iter_rows())
            lines.append(f"  event types: {top}")
        shown = self.sessions.head(_TEXT_SESSIONS)
        for started, agent, events, summary in shown.select("started_at", "agent", "events", "summary").iter_rows():
            count = f"{events:>4} event{'' if events == 1 else 's'}"
            lines.append(f"  {started:%Y-%m-%d %H:%M}  {agent:<8} {count}  {summary or '(no summary)'}")
        if self.sessions.height > shown.height:
            lines.append(f"  ... and {plural(self.sessions.height - shown.height, 'more session')}")
        return "\n".join(lines)


def window_summary(
    store: Store,
    *,
    agent: str | None = None,
    days: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    tz: str = "UTC",
) -> WindowSummary:
    """Answer "what did I do in the last N days?" for one agent or all of them.

    Its queries run in one read transaction, so all its numbers describe the
    same committed state even while agents keep logging.

    Args:
        store: The store to read.
        agent: Only this agent; all agents by default.
        days: Length of the window when ``since`` is not given; default 7.
        since: Start of the window; default ``until - days``.
        until: End of the window, excluded; default now.
        tz: IANA time zone of the busiest-day and active-day figures of ``agents``.

    Returns:
        The summary; ``str(summary)`` reads as a short report.

    Example:
        >>> from datetime import UTC, datetime
        >>> from agentlog import Store
        >>> from agentlog.demo import generate_demo_data, load_demo_data
        >>> store = Store.memory(embedder=None)
        >>> _ = load_demo_data(store, generate_demo_data(sessions=160))
        >>> week = window_summary(store, days=7, until=datetime(2026, 3, 6, tzinfo=UTC))
        >>> week.session_count == week.sessions.height
        True
        >>> last_days = window_summary(store, days=3, until=datetime(2026, 3, 6, tzinfo=UTC))
        >>> last_days.session_count, str(last_days).splitlines()[-1]  # the text lists ten sessions
        (11, '  ... and 1 more session')
        >>> store.close()
    """
    checked = scope(store, agent=agent, since=since, until=until, days=days, tz=tz, default_days=7)
    # One snapshot: the totals, the sessions and the event types must count the same events.
    return checked.store.read(lambda _cursor: _summarise(checked), snapshot=True)


def _summarise(checked: Scope) -> WindowSummary:
    """The body of :func:`window_summary`, run inside one read transaction."""
    window = checked.window
    common: dict[str, Any] = {"agent": checked.agent, "since": window.since, "until": window.until}
    agents = agent_comparison(checked.store, tz=checked.tz, **common)
    types = events_by_type(checked.store, **common)
    total = int(types["events"].sum())
    event_types = (
        types.group_by("event_type")
        .agg(pl.col("events").sum(), pl.col("errors").sum())
        .with_columns((pl.col("events").cast(pl.Float64) / total).alias("share"))
        .sort(["events", "event_type"], descending=[True, False])
    )
    events = int(agents["events"].sum())
    errors = int(agents["errors"].sum())
    return WindowSummary(
        since=window.since,
        until=window.until,
        agent=checked.agent,
        session_count=int(agents["sessions"].sum()),
        event_count=events,
        error_count=errors,
        error_rate=errors / events if events else None,
        active_minutes=float(agents["active_minutes"].sum()),
        sessions=session_stats(checked.store, **common).reverse(),
        event_types=event_types,
        agents=agents,
    )
