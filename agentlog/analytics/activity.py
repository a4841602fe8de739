"""How much each agent did, and when: activity per day/week, event types, hour-of-week, busiest days, comparison.

Every function reads committed data through ``store.sql(...).pl()`` (the work
is done in DuckDB, the result handed over as Arrow) and returns an eager
Polars frame with the columns documented in :mod:`agentlog.analytics.schemas`.
The window, error and active-time definitions are in :mod:`agentlog.analytics`.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from agentlog.analytics import _sql, schemas
from agentlog.analytics._frames import conform, fetch
from agentlog.analytics.window import Freq, check_freq, scope
from agentlog.errors import ValidationError
from agentlog.store import Store

__all__ = ["activity", "agent_comparison", "events_by_type", "hour_of_week", "most_active_day"]


def activity(
    store: Store,
    *,
    freq: Freq = "day",
    agent: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    days: int | None = None,
    tz: str = "UTC",
    complete_only: bool = False,
) -> pl.DataFrame:
    """Sessions, events, errors and active minutes per agent per day (or week).

    One row per agent and period, every period of the window included (zeros
    where nothing happened), for each agent active in the window. The first and
    last periods are clipped to the window: when the window starts or ends
    inside them they count only the part in the window, and their ``complete``
    column is false (``days_in_window`` says how much of them is in it). A
    window of whole local days (or Monday-to-Monday weeks) in ``tz`` has only
    complete periods; ``days=7`` ending at a UTC midnight has a partial first and
    last day with ``tz="Europe/Paris"``, and (unless it ends on a Monday) partial weeks.

    Args:
        store: The store to read.
        freq: ``"day"`` (calendar days in ``tz``) or ``"week"`` (ISO weeks, Monday first).
        agent: Only this agent; all agents by default.
        since: Start of the window (aware datetime); default ``until - days``.
        until: End of the window, excluded (aware datetime); default now.
        days: Length of the window when ``since`` is not given; default 30.
        tz: IANA time zone the days and weeks are counted in.
        complete_only: Leave out the partial periods (the rows whose ``complete`` is false).

    Returns:
        A frame with the columns of :data:`~agentlog.analytics.schemas.ACTIVITY`,
        sorted by agent and period.

    Raises:
        ValidationError: For a bad argument (naive datetime, unknown ``tz``, ...).

    Example:
        >>> from datetime import UTC, datetime
        >>> from agentlog import Store
        >>> from agentlog.demo import generate_demo_data, load_demo_data
        >>> store = Store.memory(embedder=None)
        >>> _ = load_demo_data(store, generate_demo_data(sessions=40))
        >>> daily = activity(store, until=datetime(2026, 3, 6, tzinfo=UTC), days=14)
        >>> daily.columns[:7]
        ['agent', 'period', 'period_start', 'sessions', 'events', 'errors', 'active_minutes']
        >>> daily.columns[7:], daily.get_column("complete").all()  # whole UTC days: none is partial
        (['complete', 'days_in_window'], True)
        >>> daily.group_by("agent").len().get_column("len").unique().to_list()  # 14 days for every agent
        [14]
        >>> weekly = activity(store, freq="week", until=datetime(2026, 3, 6, tzinfo=UTC), days=14)  # a Friday
        >>> for row in weekly.unique("period").sort("period").select("period", "complete", "days_in_window").rows():
        ...     print(*row)
        2026-02-16 False 3.0
        2026-02-23 True 7.0
        2026-03-02 False 4.0
        >>> store.close()
    """
    unit = check_freq(freq)
    if not isinstance(complete_only, bool):
        raise ValidationError(
            f"complete_only must be True or False, got {complete_only!r}",
            field="complete_only",
            value=repr(complete_only),
        )
    checked = scope(store, agent=agent, since=since, until=until, days=days, tz=tz)
    frame = fetch(checked.store, _sql.activity_sql(unit, agent=checked.agent is not None), checked.params())
    frame = conform(frame, schemas.ACTIVITY)
    return frame.filter(pl.col("complete")) if complete_only else frame


def events_by_type(
    store: Store,
    *,
    agent: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    days: int | None = None,
) -> pl.DataFrame:
    """How many events of each type each agent logged in the window.

    Args:
        store: The store to read.
        agent: Only this agent; all agents by default.
        since: Start of the window; default ``until - days``.
        until: End of the window, excluded; default now.
        days: Length of the window when ``since`` is not given; default 30.

    Returns:
        A frame with the columns of :data:`~agentlog.analytics.schemas.EVENTS_BY_TYPE`,
        sorted by agent, then most frequent type first.

    Example:
        >>> from datetime import UTC, datetime
        >>> from agentlog import Store
        >>> from agentlog.demo import generate_demo_data, load_demo_data
        >>> store = Store.memory(embedder=None)
        >>> _ = load_demo_data(store, generate_demo_data(sessions=40))
        >>> mix = events_by_type(store, until=datetime(2026, 3, 6, tzinfo=UTC), days=90)
        >>> mix.group_by("agent").agg(pl.col("share").sum().round(6)).get_column("share").unique().to_list()
        [1.0]
        >>> store.close()
    """
    checked = scope(store, agent=agent, since=since, until=until, days=days)
    frame = fetch(checked.store, _sql.events_by_type_sql(agent=checked.agent is not None), checked.params())
    return conform(frame, schemas.EVENTS_BY_TYPE)


def hour_of_week(
    store: Store,
    *,
    agent: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    days: int | None = None,
    tz: str = "UTC",
) -> pl.DataFrame:
    """Events and session starts per hour of the week (the data of a weekday × hour heatmap).

    Args:
        store: The store to read.
        agent: Only this agent; all agents together by default.
        since: Start of the window; default ``until - days``.
        until: End of the window, excluded; default now.
        days: Length of the window when ``since`` is not given; default 30.
        tz: IANA time zone of the weekdays and hours.

    Returns:
        168 rows (Monday 00h first), columns of :data:`~agentlog.analytics.schemas.HOUR_OF_WEEK`.

    Example:
        >>> from datetime import UTC, datetime
        >>> from agentlog import Store
        >>> from agentlog.demo import generate_demo_data, load_demo_data
        >>> store = Store.memory(embedder=None)
        >>> _ = load_demo_data(store, generate_demo_data(sessions=40))
        >>> cells = hour_of_week(store, until=datetime(2026, 3, 6, tzinfo=UTC), days=90)
        >>> cells.height, cells.row(0)[:3]
        (168, (0, 'Mon', 0))
        >>> store.close()
    """
    checked = scope(store, agent=agent, since=since, until=until, days=days, tz=tz)
    frame = fetch(checked.store, _sql.hour_of_week_sql(agent=checked.agent is not None), checked.params())
    return conform(frame, schemas.HOUR_OF_WEEK)


def most_active_day(
    store: Store,
    *,
    agent: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    days: int | None = None,
    tz: str = "UTC",
) -> pl.DataFrame:
    """Each agent's busiest day: the local day on which it started the most sessions.

    On a tie the latest day wins, as in the guide's Workflow 5 (which keeps the
    first day it meets while reading sessions newest first).

    Args:
        store: The store to read.
        agent: Only this agent; all agents by default.
        since: Start of the window; default ``until - days``.
        until: End of the window, excluded; default now.
        days: Length of the window when ``since`` is not given; default 30.
        tz: IANA time zone the days are counted in.

    Returns:
        One row per agent that started a session in the window, columns of
        :data:`~agentlog.analytics.schemas.MOST_ACTIVE_DAY`.

    Example:
        >>> from datetime import UTC, datetime
        >>> from agentlog import Store
        >>> from agentlog.demo import generate_demo_data, load_demo_data
        >>> store = Store.memory(embedder=None)
        >>> _ = load_demo_data(store, generate_demo_data(sessions=40))
        >>> most_active_day(store, until=datetime(2026, 3, 6, tzinfo=UTC), days=90).columns
        ['agent', 'day', 'sessions']
        >>> store.close()
    """
    checked = scope(store, agent=agent, since=since, until=until, days=days, tz=tz)
    frame = fetch(checked.store, _sql.most_active_day_sql(agent=checked.agent is not None), checked.params())
    return conform(frame, schemas.MOST_ACTIVE_DAY)


def agent_comparison(
    store: Store,
    *,
    agent: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    days: int | None = None,
    tz: str = "UTC",
) -> pl.DataFrame:
    """Agents side by side over one window: volume, errors, active time, session shape, busiest day.

    Columns (see :data:`~agentlog.analytics.schemas.AGENT_COMPARISON`):

    * ``sessions``: sessions started in the window;
    * ``events`` / ``errors`` / ``error_rate``: events that happened in the window;
    * ``active_minutes``: session time inside the window;
    * ``avg_events_per_session``: mean number of events (all of them) of the
      sessions started in the window, as in the guide's Workflow 5;
    * ``median_session_minutes``: median duration of those sessions;
    * ``active_days``: local days with at least one event;
    * ``most_active_day`` / ``most_active_day_sessions``: see :func:`most_active_day`;
    * ``first_event_at`` / ``last_event_at``: first and last event in the window.

    Args:
        store: The store to read.
        agent: Only this agent; all agents by default.
        since: Start of the window; default ``until - days``.
        until: End of the window, excluded; default now.
        days: Length of the window when ``since`` is not given; default 30.
        tz: IANA time zone the days are counted in.

    Returns:
        One row per agent active in the window, sorted by agent.

    Example:
        >>> from datetime import UTC, datetime
        >>> from agentlog import Store
        >>> from agentlog.demo import generate_demo_data, load_demo_data
        >>> store = Store.memory(embedder=None)
        >>> _ = load_demo_data(store, generate_demo_data(sessions=40))
        >>> table = agent_comparison(store, until=datetime(2026, 3, 6, tzinfo=UTC), days=90)
        >>> table.get_column("agent").to_list()
        ['claude', 'gemini', 'gpt', 'user']
        >>> int(table.get_column("sessions").sum())
        40
        >>> store.close()
    """
    checked = scope(store, agent=agent, since=since, until=until, days=days, tz=tz)
    frame = fetch(checked.store, _sql.agent_comparison_sql(agent=checked.agent is not None), checked.params())
    return conform(frame, schemas.AGENT_COMPARISON)
