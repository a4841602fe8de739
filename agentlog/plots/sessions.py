"""Figures of sessions: how long they last, when they ran (a gantt), and one session's events in time."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from agentlog.plots._style import (
    ERROR_COLOR,
    agent_colors,
    base_figure,
    category_ticks,
    empty_note,
    hover_text,
    naive_utc,
    require,
    trace_name,
)

__all__ = ["duration_figure", "session_timeline_figure", "sessions_gantt_figure"]

_US_PER_MS = 1000

_DURATION_TICKS = tuple(
    mantissa * 10.0**exponent for exponent in range(-2, 6) for mantissa in (1, 2, 5)
)  # 0.01 to 500,000 minutes (about a year): a labelled tick whatever the sessions' lengths
"""Tick values of the duration axis, in minutes."""


def _tick_label(minutes: float) -> str:
    """A tick of the duration axis: ``0.05``, ``2``, ``5000``."""
    return f"{minutes:.2f}".rstrip("0").rstrip(".")


def _duration_text(minutes: float) -> str:
    """A session's duration for a hover label: ``40 s`` under a minute, else whole minutes."""
    return f"{minutes * 60:.0f} s" if minutes < 1 else f"{minutes:,.0f} min"


def duration_figure(frame: pl.DataFrame) -> go.Figure:
    """The distribution of session durations per agent, as box plots (minutes, log scale).

    Args:
        frame: What :func:`agentlog.analytics.session_stats` returns.

    Returns:
        A figure with one ``box`` trace per agent (y: ``duration_minutes``); zero-length
        sessions cannot sit on a log axis and are left out of the boxes (a frame of
        only such sessions gives a figure that says so). The hover shows a duration
        under a minute in seconds.

    Example:
        >>> stats = pl.DataFrame({"session_id": ["a", "b", "c"], "agent": ["claude", "claude", "gpt"],
        ...     "duration_minutes": [10.0, 90.0, 5.0], "events": [3, 9, 1]})
        >>> [(t.name, list(t.y)) for t in duration_figure(stats).data]
        [('claude', [10.0, 90.0]), ('gpt', [5.0])]
    """
    data = require(frame, ["session_id", "agent", "duration_minutes", "events"], "session_stats")
    figure = base_figure("Session durations", "Agent", "Duration (minutes, log scale)")
    shown = data.filter(pl.col("duration_minutes") > 0)
    if shown.height == 0:
        if data.height == 0:
            return empty_note(figure, "No sessions in this window")
        count = f"{data.height:,} session" + ("s" if data.height != 1 else "")
        return empty_note(figure, f"{count} of zero length: none can be drawn on a log scale")
    colors = agent_colors(shown.get_column("agent"))
    for (agent,), part in shown.sort("agent").group_by("agent", maintain_order=True):
        figure.add_trace(
            go.Box(
                y=part.get_column("duration_minutes").to_list(),
                name=trace_name(agent),
                marker_color=colors[str(agent)],
                boxpoints="outliers",
                customdata=[
                    (ident, events, _duration_text(minutes))
                    for ident, events, minutes in part.select("session_id", "events", "duration_minutes").rows()
                ],
                hovertemplate=(
                    f"<b>{trace_name(agent)}</b><br>%{{customdata[2]}}, %{{customdata[1]}} events"
                    "<br>%{customdata[0]}<extra></extra>"
                ),
            )
        )
    figure.update_yaxes(type="log", tickvals=list(_DURATION_TICKS), ticktext=[_tick_label(t) for t in _DURATION_TICKS])
    figure.update_layout(showlegend=False)
    return figure


def sessions_gantt_figure(frame: pl.DataFrame) -> go.Figure:
    """When each agent's sessions ran: a bar from start to end per session, one lane per agent.

    Args:
        frame: What :func:`agentlog.analytics.session_stats` returns (best for a few days).

    Returns:
        A figure with one horizontal ``bar`` trace per agent on a date axis (UTC):
        ``base`` is each session's start and ``x`` its duration in milliseconds;
        sessions still open are drawn to their last event, hatched.

    Example:
        >>> from datetime import datetime, timedelta, timezone
        >>> start = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
        >>> stats = pl.DataFrame({"session_id": ["a"], "agent": ["claude"], "summary": ["fixed it"],
        ...     "started_at": [start], "ended_at": [start + timedelta(minutes=90)],
        ...     "duration": [timedelta(minutes=90)], "events": [5], "errors": [2]})
        >>> bar = sessions_gantt_figure(stats).data[0]
        >>> list(bar.x), list(bar.base)
        ([5400000.0], [datetime.datetime(2026, 3, 2, 9, 0)])
    """
    data = require(
        frame,
        ["session_id", "agent", "summary", "started_at", "ended_at", "duration", "events", "errors"],
        "session_stats",
    )
    figure = base_figure("Sessions over time", "Time (UTC)", "Agent", height=320)
    if data.height == 0:
        return empty_note(figure, "No sessions in this window")
    colors = agent_colors(data.get_column("agent"))
    agents = sorted(colors)
    for (agent,), part in data.sort("agent", "started_at").group_by("agent", maintain_order=True):
        width_ms = (part.get_column("duration").dt.total_microseconds() / _US_PER_MS).to_list()
        still_open = part.get_column("ended_at").is_null().to_list()
        figure.add_trace(
            go.Bar(
                base=naive_utc(part.get_column("started_at")),
                x=[max(ms, 60_000.0) for ms in width_ms],  # at least a minute, so short sessions stay visible
                y=[str(agent)] * part.height,
                name=trace_name(agent),
                orientation="h",
                marker={
                    "color": colors[str(agent)],
                    "opacity": 0.75,
                    "pattern": {"shape": ["/" if o else "" for o in still_open]},
                },
                customdata=list(
                    zip(
                        part.get_column("session_id").to_list(),
                        [round(ms / 60_000) for ms in width_ms],
                        part.get_column("events").to_list(),
                        part.get_column("errors").to_list(),
                        [hover_text(s) for s in part.get_column("summary").to_list()],
                        ["open" if o else "ended" for o in still_open],
                        strict=True,
                    )
                ),
                hovertemplate=(
                    f"<b>{trace_name(agent)}</b> %{{base|%Y-%m-%d %H:%M}}"
                    " · %{customdata[1]} min (%{customdata[5]})"
                    "<br>%{customdata[2]} events, %{customdata[3]} errors<br>%{customdata[4]}<br>"
                    "<i>%{customdata[0]}</i><extra></extra>"
                ),
            )
        )
    figure.update_xaxes(type="date")
    figure.update_yaxes(categoryorder="array", categoryarray=list(reversed(agents)), **category_ticks(agents))
    figure.update_layout(barmode="overlay", showlegend=False)
    return figure


def session_timeline_figure(frame: pl.DataFrame) -> go.Figure:
    """One session's events in time, a row per event type, errors in red, idle gaps shaded.

    Args:
        frame: What :func:`agentlog.analytics.session_timeline` returns.

    Returns:
        A figure with a ``scatter`` trace ``"events"`` and, if any, ``"errors"``
        (x: timestamp in UTC, y: event type); each gap longer than
        :data:`agentlog.analytics.IDLE_GAP` is a grey rectangle. Events without
        a timestamp cannot be placed; the title counts them.

    Example:
        >>> from datetime import datetime, timedelta, timezone
        >>> t0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
        >>> events = pl.DataFrame({"session_id": ["s"] * 3, "seq": [1, 2, 3],
        ...     "event_type": ["task_created", "error_encountered", "task_completed"],
        ...     "timestamp": [t0, t0 + timedelta(minutes=10), t0 + timedelta(minutes=79)],
        ...     "gap": [None, timedelta(minutes=10), timedelta(minutes=69)],
        ...     "idle_before": [False, False, True], "is_error": [False, True, False], "event_data": ["{}"] * 3})
        >>> figure = session_timeline_figure(events)
        >>> [(t.name, list(t.y)) for t in figure.data], len(figure.layout.shapes)
        ([('events', ['task_created', 'task_completed']), ('errors', ['error_encountered'])], 1)
    """
    data = require(
        frame,
        ["session_id", "seq", "event_type", "timestamp", "gap", "idle_before", "is_error", "event_data"],
        "session_timeline",
    )
    placed = data.filter(pl.col("timestamp").is_not_null()).sort("seq")
    unplaced = data.height - placed.height
    ident = str(data.get_column("session_id")[0]) if data.height else ""
    title = f"Session {ident[:8]}: {data.height} events" + (
        f" ({unplaced} without a time, not shown)" if unplaced else ""
    )
    figure = base_figure(title, "Time (UTC)", "Event type", height=380)
    if placed.height == 0:
        return empty_note(figure, "No timed events in this session")
    for name, part, color in [
        ("events", placed.filter(~pl.col("is_error")), "#1f77b4"),
        ("errors", placed.filter(pl.col("is_error")), ERROR_COLOR),
    ]:
        if part.height == 0:
            continue
        gaps = part.get_column("gap").dt.total_seconds().to_list()
        figure.add_trace(
            go.Scatter(
                x=naive_utc(part.get_column("timestamp")),
                y=part.get_column("event_type").to_list(),
                name=name,
                mode="markers",
                marker={"color": color, "size": 10, "symbol": "x" if name == "errors" else "circle"},
                customdata=list(
                    zip(
                        part.get_column("seq").to_list(),
                        ["" if g is None else f"{g / 60:.1f} min after the previous event" for g in gaps],
                        [hover_text(text, 200) for text in part.get_column("event_data").to_list()],
                        [trace_name(event_type) for event_type in part.get_column("event_type").to_list()],
                        strict=True,
                    )
                ),
                hovertemplate=(
                    "<b>#%{customdata[0]} %{customdata[3]}</b> %{x|%H:%M:%S}<br>%{customdata[1]}<br>%{customdata[2]}"
                    "<extra></extra>"
                ),
            )
        )
    times = placed.get_column("timestamp")
    idle = placed.with_columns(times.shift(1).alias("previous")).filter(pl.col("idle_before"))
    for previous, current, gap in idle.select("previous", "timestamp", "gap").iter_rows():
        if previous is None:
            continue
        figure.add_vrect(
            x0=naive_utc(pl.Series([previous]))[0],
            x1=naive_utc(pl.Series([current]))[0],
            fillcolor="#bbbbbb",
            opacity=0.25,
            line_width=0,
            annotation_text=f"idle {gap.total_seconds() / 60:.0f} min",
            annotation_position="top left",
        )
    figure.update_yaxes(categoryorder="category ascending", **category_ticks(placed.get_column("event_type")))
    return figure
