"""Figures of activity over time: the activity timeline, the hour-of-week heatmap, the event-type mix, error rates."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import polars as pl

from agentlog.analytics.window import check_freq
from agentlog.errors import ValidationError
from agentlog.plots._style import (
    ERROR_COLOR,
    agent_colors,
    base_figure,
    category_ticks,
    empty_note,
    require,
    trace_name,
)
from agentlog.records import ERROR_EVENT_TYPE

__all__ = ["activity_figure", "error_rate_figure", "event_types_figure", "hour_of_week_figure"]

_TYPE_COLORS = (
    "#636efa",
    "#00cc96",
    "#ab63fa",
    "#ffa15a",
    "#19d3f3",
    "#ff97ff",
    "#b6e880",
    "#fecb52",
    "#8c564b",
    "#7f7f7f",
)
"""Colours of event types in the mix; red is kept for ``error_encountered``."""

_ACTIVITY_METRICS = {
    "events": "Events",
    "sessions": "Sessions started",
    "errors": "Errors",
    "active_minutes": "Active minutes",
}


def _period_word(frame: pl.DataFrame, freq: str | None = None) -> str:
    """The period of ``frame``'s rows, ``"day"`` or ``"week"``.

    ``freq`` if given, else ``"week"`` if every period is a Monday and the periods are whole weeks
    apart (a lone Monday included), else ``"day"``.
    The analytics frames do not record their ``freq``; a one-day frame of a Monday reads as a week
    unless ``freq="day"`` is passed.
    """
    if freq is not None:
        return check_freq(freq)
    periods = frame.get_column("period").unique().sort()
    if periods.len() == 0 or not (periods.dt.weekday() == 1).all():
        return "day"
    gaps = periods.diff().drop_nulls()
    return "week" if gaps.len() == 0 or (gaps.dt.total_days() % 7 == 0).all() else "day"


_PARTIAL_LINE = {"dash": "dot"}
_PARTIAL_OPACITY = 0.55
_PARTIAL_KEY_COLOR = "#888888"


def _amount(value: float) -> str:
    """A count of days or hours for a hover label: ``4``, ``2.5``."""
    return f"{value:.1f}".removesuffix(".0")


def _partial_note(word: str, days: float | None) -> str:
    """The hover line of a partial period: how much of it the window covers."""
    if days is None:
        return f"partial {word}: only part of it is in the window"
    if word == "week":
        return f"partial week: {_amount(days)} of 7 days in the window"
    return f"partial day: {_amount(days * 24)} of 24 hours in the window"


def _with_coverage(frame: pl.DataFrame, word: str) -> pl.DataFrame:
    """``frame`` with ``_partial`` (the period is not wholly in the window) and ``_note`` (its hover line).

    The coverage comes from the ``complete`` and ``days_in_window`` columns of
    :func:`agentlog.analytics.activity`; a frame without ``complete`` is taken as all complete.
    """
    if "complete" not in frame.columns:
        return frame.with_columns(pl.lit(False).alias("_partial"), pl.lit("").alias("_note"))
    partial = (~frame.get_column("complete").fill_null(True)).alias("_partial")
    days = frame.get_column("days_in_window").to_list() if "days_in_window" in frame.columns else [None] * frame.height
    notes = [
        f"<br><i>{_partial_note(word, amount)}</i>" if flag else ""
        for flag, amount in zip(partial.to_list(), days, strict=True)
    ]
    return frame.with_columns(partial, pl.Series("_note", notes, dtype=pl.String))


def _add_line(
    figure: go.Figure,
    part: pl.DataFrame,
    *,
    y: str,
    name: str,
    line: dict[str, Any],
    marker_size: int,
    customdata: list[str],
    hovertemplate: str,
    extra: dict[str, Any],
) -> go.Scatter | None:
    """Add the line of one series (a row per period, with ``_partial`` / ``_note``) to ``figure``.

    The complete periods are drawn as a normal line; the partial ones are left out
    of it (``None``) and returned as a second, faded, dotted trace joining each partial
    period to its neighbours, with open markers and the ``_note`` in the hover (or
    ``None`` when the series has no partial period), for the caller to add after the others.
    """
    x = part.get_column("period").to_list()
    values = part.get_column(y).to_list()
    partial = part.get_column("_partial")
    flags = partial.to_list()
    rows = part.select(customdata).rows()
    group = {"legendgroup": name} if any(flags) else {}
    figure.add_trace(
        go.Scatter(
            x=x,
            y=[None if flag else value for value, flag in zip(values, flags, strict=True)],
            name=name,
            mode="lines+markers",
            line=line,
            marker={"size": marker_size},
            customdata=rows,
            hovertemplate=hovertemplate,
            **group,
            **extra,
        )
    )
    if not any(flags):
        return None
    near = (partial | partial.shift(1, fill_value=False) | partial.shift(-1, fill_value=False)).to_list()
    notes = part.get_column("_note").to_list()
    return go.Scatter(
        x=x,
        y=[value if close else None for value, close in zip(values, near, strict=True)],
        name=f"{name}, partial period",
        legendgroup=name,
        showlegend=False,
        mode="lines+markers",
        line={**line, **_PARTIAL_LINE},
        opacity=_PARTIAL_OPACITY,
        marker={"size": [marker_size + 3 if flag else 0 for flag in flags], "symbol": "circle-open"},
        connectgaps=False,
        customdata=[(*row, note) for row, note in zip(rows, notes, strict=True)],
        hovertemplate=hovertemplate.replace("<extra>", f"%{{customdata[{len(customdata)}]}}<extra>"),
    )


def _add_partial(figure: go.Figure, traces: list[go.Scatter], word: str) -> None:
    """Add the dotted traces of the partial periods and, when there are any, a legend entry saying what they are."""
    if not traces:
        return
    figure.add_traces(traces)
    figure.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            name=f"partial {word} (only part of it in the window)",
            legendgroup="partial period",
            mode="lines+markers",
            line={"color": _PARTIAL_KEY_COLOR, "width": 2, **_PARTIAL_LINE},
            opacity=_PARTIAL_OPACITY,
            marker={"size": 8, "symbol": "circle-open"},
            hoverinfo="skip",
        )
    )


def activity_figure(frame: pl.DataFrame, metric: str = "events", *, freq: str | None = None) -> go.Figure:
    """A line per agent of one activity measure per day (or week).

    Args:
        frame: What :func:`agentlog.analytics.activity` returns.
        metric: ``"events"``, ``"sessions"``, ``"errors"`` or ``"active_minutes"``.
        freq: The ``freq`` the frame was made with, ``"day"`` or ``"week"``, for the titles; by
            default read from the periods (all Mondays, whole weeks apart: ``"week"``).

    Returns:
        A figure with one ``scatter`` trace per agent (x: period, y: the measure);
        the hover shows all four measures of the point. When the frame's ``complete``
        column marks partial periods (the window starts or ends inside them, so they
        count only part of a day or week), they are left out of those lines (``None``)
        and drawn by a faded, dotted trace per agent (``"<agent>, partial period"``, after
        the others) that joins them to their neighbours, with open markers and a hover
        that adds, e.g., "partial week: 4 of 7 days in the window"; a last trace without
        data is the legend entry saying so. Without partial periods (or without a
        ``complete`` column) the figure is as it always was.

    Raises:
        ValidationError: If ``frame`` is not such a frame or ``metric`` is unknown.

    Example:
        >>> from datetime import date, datetime, timezone
        >>> frame = pl.DataFrame({"agent": ["claude"] * 2, "period": [date(2026, 3, 2), date(2026, 3, 3)],
        ...     "period_start": [datetime(2026, 3, 2, tzinfo=timezone.utc), datetime(2026, 3, 3, tzinfo=timezone.utc)],
        ...     "sessions": [2, 0], "events": [7, 0], "errors": [3, 0], "active_minutes": [160.0, 0.0]})
        >>> figure = activity_figure(frame)
        >>> figure.data[0].name, list(figure.data[0].y), figure.layout.title.text
        ('claude', [7, 0], 'Events per day')
    """
    if not isinstance(metric, str) or metric not in _ACTIVITY_METRICS:
        raise ValidationError(
            f"metric must be one of {sorted(_ACTIVITY_METRICS)}, got {metric!r}", field="metric", value=repr(metric)
        )
    data = require(frame, ["agent", "period", "sessions", "events", "errors", "active_minutes"], "activity")
    word = _period_word(data, freq)
    label = _ACTIVITY_METRICS[metric]
    figure = base_figure(f"{label} per {word}", word.capitalize() + (" (Monday)" if word == "week" else ""), label)
    if data.height == 0:
        return empty_note(figure, "No activity in this window")
    colors = agent_colors(data.get_column("agent"))
    partial: list[go.Scatter] = []
    for (agent,), part in _with_coverage(data, word).sort("agent", "period").group_by("agent", maintain_order=True):
        dotted = _add_line(
            figure,
            part,
            y=metric,
            name=trace_name(agent),
            line={"color": colors[str(agent)], "width": 2},
            marker_size=5,
            customdata=["sessions", "events", "errors", "active_minutes"],
            hovertemplate=(
                f"<b>{trace_name(agent)}</b> %{{x|%a %Y-%m-%d}}<br>sessions %{{customdata[0]}}"
                " · events %{customdata[1]} · errors %{customdata[2]}"
                "<br>active %{customdata[3]:.0f} min<extra></extra>"
            ),
            extra={},
        )
        if dotted is not None:
            partial.append(dotted)
    _add_partial(figure, partial, word)
    figure.update_yaxes(rangemode="tozero")
    return figure


def hour_of_week_figure(frame: pl.DataFrame, metric: str = "events") -> go.Figure:
    """A weekday × hour heatmap (Monday at the top).

    Args:
        frame: What :func:`agentlog.analytics.hour_of_week` returns (168 rows).
        metric: ``"events"`` or ``"sessions"`` (session starts).

    Returns:
        A figure with one ``heatmap`` trace: ``z`` is 7 rows (Mon..Sun) of 24 hours.

    Raises:
        ValidationError: If ``frame`` is not such a frame or ``metric`` is unknown.

    Example:
        >>> cells = pl.DataFrame({"weekday": [w for w in range(7) for _ in range(24)],
        ...     "day_name": [d for d in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] for _ in range(24)],
        ...     "hour": list(range(24)) * 7, "events": list(range(168)), "sessions": [0] * 168})
        >>> figure = hour_of_week_figure(cells)
        >>> figure.data[0].z[1][0], list(figure.data[0].y[:2])
        (24, ['Mon', 'Tue'])
    """
    if metric not in ("events", "sessions"):
        raise ValidationError(f"metric must be 'events' or 'sessions', got {metric!r}", field="metric")
    data = require(frame, ["weekday", "day_name", "hour", metric], "hour_of_week")
    if data.height != 168:
        raise ValidationError(
            f"an hour-of-week frame has 168 rows, this one {data.height}; pass what hour_of_week() returns",
            field="frame",
        )
    data = data.sort("weekday", "hour")
    z = [data.get_column(metric).slice(24 * day, 24).to_list() for day in range(7)]
    names = data.get_column("day_name").gather_every(24).to_list()
    label = "Events" if metric == "events" else "Sessions started"
    figure = base_figure(f"{label} by hour of the week", "Hour of the day", "", height=360)
    figure.add_trace(
        go.Heatmap(
            z=z,
            x=list(range(24)),
            y=names,
            colorscale="Blues",
            colorbar={"title": {"text": label.lower()}},
            hovertemplate=f"%{{y}} %{{x}}:00-%{{x}}:59<br>{label.lower()}: %{{z}}<extra></extra>",
        )
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(dtick=2)
    return figure


def event_types_figure(frame: pl.DataFrame) -> go.Figure:
    """How each agent's events split by type: one stacked horizontal bar per agent.

    Args:
        frame: What :func:`agentlog.analytics.events_by_type` returns.

    Returns:
        A figure with one ``bar`` trace per event type (x: events, y: agent),
        most frequent type first; ``customdata`` is ``(share, agent)`` per bar (the agent HTML-escaped)
        and the hover shows the type's share of the agent's events. The bars keep the agents' names as they
        are; the axis labels show them HTML-escaped.

    Example:
        >>> mix = pl.DataFrame({"agent": ["claude", "claude", "gemini"], "event_type": ["a", "b", "a"],
        ...     "events": [3, 1, 2], "errors": [0, 0, 0], "share": [0.75, 0.25, 1.0]})
        >>> [(t.name, list(t.x)) for t in event_types_figure(mix).data]
        [('a', [3, 2]), ('b', [1, 0])]
    """
    data = require(frame, ["agent", "event_type", "events", "share"], "events_by_type")
    figure = base_figure("Event types per agent", "Events", "Agent", height=360)
    if data.height == 0:
        return empty_note(figure, "No events in this window")
    agents = sorted(data.get_column("agent").unique().to_list())
    order = (
        data.group_by("event_type").agg(pl.col("events").sum()).sort(["events", "event_type"], descending=[True, False])
    )
    grid = pl.DataFrame({"agent": agents}).join(
        pl.DataFrame({"event_type": order.get_column("event_type")}), how="cross"
    )
    full = grid.join(data.select("agent", "event_type", "events", "share"), on=["agent", "event_type"], how="left")
    full = full.with_columns(pl.col("events").fill_null(0), pl.col("share").fill_null(0.0))
    plain = 0
    for (event_type,), part in full.group_by("event_type", maintain_order=True):
        part = part.sort("agent")
        if event_type == ERROR_EVENT_TYPE:
            color = ERROR_COLOR
        else:
            color = _TYPE_COLORS[plain % len(_TYPE_COLORS)]
            plain += 1
        figure.add_trace(
            go.Bar(
                x=part.get_column("events").to_list(),
                y=part.get_column("agent").to_list(),
                name=trace_name(event_type),
                orientation="h",
                customdata=list(
                    zip(
                        part.get_column("share").to_list(),
                        [trace_name(a) for a in part.get_column("agent")],
                        strict=True,
                    )
                ),
                marker_color=color,
                hovertemplate=(
                    f"<b>{trace_name(event_type)}</b><br>%{{customdata[1]}}: %{{x}} events"
                    " (%{customdata[0]:.1%})<extra></extra>"
                ),
            )
        )
    figure.update_layout(barmode="stack", legend_traceorder="normal")
    figure.update_yaxes(categoryorder="array", categoryarray=list(reversed(agents)), **category_ticks(agents))
    return figure


def error_rate_figure(frame: pl.DataFrame, *, freq: str | None = None) -> go.Figure:
    """The error rate per day (or week): a line per agent and a dashed one for all agents together.

    Args:
        frame: What :func:`agentlog.analytics.error_rate_over_time` returns, optionally with
            the ``complete`` / ``days_in_window`` columns of :func:`agentlog.analytics.activity`.
        freq: The ``freq`` the frame was made with, ``"day"`` or ``"week"``, for the titles; by
            default read from the periods (all Mondays, whole weeks apart: ``"week"``).

    Returns:
        A figure with one ``scatter`` trace per agent plus ``"all agents"``
        (total errors / total events per period; ``"all agents (total)"`` if an agent is
        called ``"all agents"``); periods without events are gaps.
        :func:`~agentlog.analytics.error_rate_over_time` does not tell partial periods;
        with the ``complete`` and ``days_in_window`` columns of
        :func:`~agentlog.analytics.activity` joined on ``period``, they are drawn apart as
        in :func:`activity_figure`.

    Example:
        >>> from datetime import date
        >>> rates = pl.DataFrame({"agent": ["claude", "gemini"], "period": [date(2026, 3, 2)] * 2,
        ...     "events": [8, 2], "errors": [1, 1], "error_rate": [0.125, 0.5]})
        >>> [(t.name, list(t.y)) for t in error_rate_figure(rates).data]
        [('claude', [0.125]), ('gemini', [0.5]), ('all agents', [0.2])]
    """
    data = require(frame, ["agent", "period", "events", "errors", "error_rate"], "error_rate_over_time")
    word = _period_word(data, freq)
    figure = base_figure(f"Error rate per {word}", word.capitalize(), "Errors / events")
    if data.height == 0:
        return empty_note(figure, "No events in this window")
    data = _with_coverage(data, word)
    colors = agent_colors(data.get_column("agent"))
    total_name = _total_name({str(agent) for agent in data.get_column("agent").unique()})
    total = (
        data.group_by("period")
        .agg(pl.col("events").sum(), pl.col("errors").sum(), pl.col("_partial").any(), pl.col("_note").max())
        .with_columns(
            pl.when(pl.col("events") > 0).then(pl.col("errors") / pl.col("events")).otherwise(None).alias("error_rate"),
            pl.lit(total_name).alias("agent"),
        )
        .sort("period")
    )
    series: list[tuple[str, pl.DataFrame, dict[str, Any]]] = [
        (str(agent), part, {"color": colors[str(agent)], "width": 1.5})
        for (agent,), part in data.sort("agent", "period").group_by("agent", maintain_order=True)
    ]
    series.append((total_name, total, {"color": "#222222", "width": 2.5, "dash": "dash"}))
    partial: list[go.Scatter] = []
    for name, part, line in series:
        dotted = _add_line(
            figure,
            part,
            y="error_rate",
            name=trace_name(name),
            line=line,
            marker_size=4,
            customdata=["errors", "events"],
            hovertemplate=(
                f"<b>{trace_name(name)}</b> %{{x|%a %Y-%m-%d}}<br>%{{y:.1%}} (%{{customdata[0]}} errors"
                " / %{customdata[1]} events)<extra></extra>"
            ),
            extra={"connectgaps": False},
        )
        if dotted is not None:
            partial.append(dotted)
    _add_partial(figure, partial, word)
    figure.update_yaxes(tickformat=".0%", rangemode="tozero")
    return figure


def _total_name(agents: set[str]) -> str:
    """The legend name of the all-agents line: ``"all agents"``, made unlike every agent's name."""
    name = "all agents"
    while name in agents:
        name += " (total)"
    return name
