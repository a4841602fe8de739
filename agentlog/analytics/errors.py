"""Errors per agent, and the error rate over time.

An event is an error when its ``event_type`` is ``error_encountered`` (the
documented type) or its ``metadata.is_error`` is the JSON boolean ``true`` (what
the importers set on failed tool calls and the like). The error rate is
``errors / events`` over the same events.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from agentlog.analytics import _sql, schemas
from agentlog.analytics._frames import conform, fetch
from agentlog.analytics.window import Freq, check_freq, scope
from agentlog.store import Store

__all__ = ["error_rate_over_time", "errors_by_agent"]


def errors_by_agent(
    store: Store,
    *,
    agent: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    days: int | None = None,
) -> pl.DataFrame:
    """Events, errors and error rate of each agent over the window.

    Args:
        store: The store to read.
        agent: Only this agent; all agents by default.
        since: Start of the window; default ``until - days``.
        until: End of the window, excluded; default now.
        days: Length of the window when ``since`` is not given; default 30.

    Returns:
        One row per agent with events in the window, columns of
        :data:`~agentlog.analytics.schemas.ERRORS_BY_AGENT`.

    Example:
        >>> from datetime import UTC, datetime
        >>> from agentlog import Store
        >>> from agentlog.demo import generate_demo_data, load_demo_data
        >>> store = Store.memory(embedder=None)
        >>> _ = load_demo_data(store, generate_demo_data(sessions=40))
        >>> rates = errors_by_agent(store, until=datetime(2026, 3, 6, tzinfo=UTC), days=90)
        >>> bool((rates["error_rate"] == rates["errors"] / rates["events"]).all())
        True
        >>> store.close()
    """
    checked = scope(store, agent=agent, since=since, until=until, days=days)
    frame = fetch(checked.store, _sql.errors_by_agent_sql(agent=checked.agent is not None), checked.params())
    return conform(frame, schemas.ERRORS_BY_AGENT)


def error_rate_over_time(
    store: Store,
    *,
    freq: Freq = "day",
    agent: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    days: int | None = None,
    tz: str = "UTC",
) -> pl.DataFrame:
    """Events, errors and error rate per agent per day (or week).

    Every period of the window is present for each agent with events in it;
    ``error_rate`` is null where the agent logged no event. The first and last
    periods may lie partly outside the window (``complete`` false), as in
    :func:`~agentlog.analytics.activity`.

    Args:
        store: The store to read.
        freq: ``"day"`` or ``"week"`` (ISO weeks), counted in ``tz``.
        agent: Only this agent; all agents by default.
        since: Start of the window; default ``until - days``.
        until: End of the window, excluded; default now.
        days: Length of the window when ``since`` is not given; default 30.
        tz: IANA time zone of the days and weeks.

    Returns:
        A frame with the columns of :data:`~agentlog.analytics.schemas.ERROR_RATE_OVER_TIME`.

    Example:
        >>> from datetime import UTC, datetime
        >>> from agentlog import Store
        >>> from agentlog.demo import generate_demo_data, load_demo_data
        >>> store = Store.memory(embedder=None)
        >>> _ = load_demo_data(store, generate_demo_data(sessions=40))
        >>> weekly = error_rate_over_time(store, freq="week", until=datetime(2026, 3, 6, tzinfo=UTC), days=28)
        >>> weekly.columns
        ['agent', 'period', 'period_start', 'events', 'errors', 'error_rate', 'complete', 'days_in_window']
        >>> weekly.unique("period").sort("period").get_column("complete").to_list()  # 28 days to a Friday
        [False, True, True, True, False]
        >>> store.close()
    """
    unit = check_freq(freq)
    checked = scope(store, agent=agent, since=since, until=until, days=days, tz=tz)
    frame = fetch(checked.store, _sql.error_rate_over_time_sql(unit, agent=checked.agent is not None), checked.params())
    return conform(frame, schemas.ERROR_RATE_OVER_TIME)
