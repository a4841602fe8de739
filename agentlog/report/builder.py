"""What goes into the activity report, computed from a store with :mod:`agentlog.analytics`."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import polars as pl
from plotly.offline import get_plotlyjs_version

from agentlog import analytics
from agentlog._version import __version__
from agentlog.errors import ValidationError
from agentlog.plots import (
    activity_figure,
    duration_figure,
    error_rate_figure,
    event_types_figure,
    hour_of_week_figure,
    session_timeline_figure,
    sessions_gantt_figure,
)
from agentlog.records import days_before
from agentlog.report.html import Section, figure_html, page, table
from agentlog.store import Store

__all__ = ["DEFAULT_TITLE", "ReportContent", "build_report", "report_content", "write_report"]

DEFAULT_TITLE = "agentlog activity report"
"""The report's title unless another is given."""

_GANTT_DAYS = 7
_RECENT_ROWS = 25
_SUMMARY_CHARS = 500
"""Most characters of a summary in the table of recent sessions (summaries may be 256 kB)."""


@dataclass(frozen=True, eq=False, slots=True)
class ReportContent:
    """Everything the report shows, before it becomes HTML.

    Attributes:
        since: Start of the window (UTC).
        until: End of the window, excluded (UTC).
        days: Length of the window.
        tz: Time zone of the days and hours.
        agents: :func:`~agentlog.analytics.agent_comparison` of the window.
        recent: The newest sessions of the window (:func:`~agentlog.analytics.session_stats` rows).
        figures: The figures by name, in page order.
    """

    since: datetime
    until: datetime
    days: int
    tz: str
    agents: pl.DataFrame
    recent: pl.DataFrame
    figures: dict[str, go.Figure]


def report_content(store: Store, *, days: int = 30, until: datetime | None = None, tz: str = "UTC") -> ReportContent:
    """Compute the frames and figures of the report for the ``days`` days before ``until``.

    Args:
        store: The store to report on.
        days: Length of the window.
        until: End of the window, excluded (aware datetime); default now.
        tz: IANA time zone of the days and hours in the figures.

    Returns:
        The content; its ``figures`` are the report's plotly figures.

    Raises:
        ValidationError: For a bad argument.

    Example:
        >>> from datetime import UTC, datetime
        >>> from agentlog.demo import generate_demo_data, load_demo_data
        >>> with Store.memory(embedder=None) as store:
        ...     _ = load_demo_data(store, generate_demo_data(sessions=40))
        ...     content = report_content(store, days=90, until=datetime(2026, 3, 6, tzinfo=UTC))
        >>> list(content.figures)
        ['activity', 'active-time', 'error-rate', 'hour-of-week', 'event-types', 'durations', 'gantt', 'latest-session']
    """
    window = analytics.resolve_window(until=until, days=days)
    span: dict[str, Any] = {"since": window.since, "until": window.until}
    agents = analytics.agent_comparison(store, tz=tz, **span)
    daily = analytics.activity(store, tz=tz, **span)
    stats = analytics.session_stats(store, **span)
    gantt_since = max(window.since, days_before(window.until, _GANTT_DAYS))
    figures: dict[str, go.Figure] = {
        "activity": activity_figure(daily, "events", freq="day"),
        "active-time": activity_figure(daily, "active_minutes", freq="day"),
        "error-rate": error_rate_figure(analytics.error_rate_over_time(store, tz=tz, **span), freq="day"),
        "hour-of-week": hour_of_week_figure(analytics.hour_of_week(store, tz=tz, **span)),
        "event-types": event_types_figure(analytics.events_by_type(store, **span)),
        "durations": duration_figure(stats),
        "gantt": sessions_gantt_figure(stats.filter(pl.col("started_at") >= gantt_since)),
    }
    if stats.height:
        ended = stats.filter(pl.col("ended_at").is_not_null())
        pick = (ended if ended.height else stats).sort("started_at", "session_id").get_column("session_id")[-1]
        figures["latest-session"] = session_timeline_figure(analytics.session_timeline(store, pick))
    recent = stats.sort("started_at", "session_id", descending=True).head(_RECENT_ROWS)
    return ReportContent(window.since, window.until, int(window.length.days), tz, agents, recent, figures)


_FIGURE_TITLES = {
    "activity": ("Events per day", "Events that happened each day, per agent."),
    "active-time": ("Active time per day", "Minutes of session time each day (a session spans start to end)."),
    "error-rate": ("Error rate", "Errors / events per day; errors are error_encountered events or metadata.is_error."),
    "hour-of-week": ("When the work happens", "Events by weekday and hour."),
    "event-types": ("Event types", "What the agents logged."),
    "durations": ("Session durations", "Sessions started in the window."),
    "gantt": ("Sessions of the last days", "One bar per session, start to end (or last event if still open)."),
    "latest-session": (
        "The latest finished session",
        "Its events in time; grey bands are pauses over 30 minutes. (The latest session if none has ended.)",
    ),
}


def build_report(
    store: Store, *, days: int = 30, until: datetime | None = None, tz: str = "UTC", title: str = DEFAULT_TITLE
) -> str:
    """The activity report as one self-contained HTML document (plotly.js embedded, nothing fetched).

    Args:
        store: The store to report on.
        days: Length of the window, ending at ``until``.
        until: End of the window, excluded (aware datetime); default now.
        tz: IANA time zone of the days and hours.
        title: Title of the page.

    Returns:
        The HTML text.

    Example:
        >>> from datetime import UTC, datetime
        >>> with Store.memory(embedder=None) as store:
        ...     text = build_report(store, days=7, until=datetime(2026, 3, 6, tzinfo=UTC))
        >>> text.startswith("<!DOCTYPE html>") and 'src="http' not in text
        True
    """
    if not isinstance(title, str):
        raise ValidationError(f"title must be a string, got {title!r}", field="title")
    content = report_content(store, days=days, until=until, tz=tz)
    agents = content.agents
    events = int(agents["events"].sum())
    errors = int(agents["errors"].sum())
    totals = [
        ("sessions", f"{int(agents['sessions'].sum()):,}"),
        ("events", f"{events:,}"),
        ("error rate", f"{errors / events:.1%}" if events else "n/a"),
        ("active hours", f"{float(agents['active_minutes'].sum()) / 60:,.1f}"),
        ("agents", str(agents.height)),
    ]
    sections = [
        Section("Agents", _agents_table(agents), note=f"Last {content.days} days; days counted in {content.tz}.")
    ]
    for name, figure in content.figures.items():
        heading, note = _FIGURE_TITLES[name]
        untitled = go.Figure(figure).update_layout(title_text=None, margin_t=50)  # the section has the heading
        sections.append(Section(heading, figure_html(untitled, name), note=note, figure=name))
    sections.append(Section("Recent sessions", _sessions_table(content.recent), note=f"The {_RECENT_ROWS} newest."))
    where = str(store.path) if store.path is not None else "in-memory store"
    subtitle = (
        f"{content.since:%Y-%m-%d %H:%M} to {content.until:%Y-%m-%d %H:%M} UTC (last {content.days} days) · {where}"
    )
    footer = (
        f"agentlog {__version__} · generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · self-contained: "
        f"plotly.js {get_plotlyjs_version()} is embedded and nothing is loaded from the network."
    )
    return page(title, subtitle, totals, sections, footer)


def write_report(
    store: Store,
    path: str | os.PathLike[str],
    *,
    days: int = 30,
    until: datetime | None = None,
    tz: str = "UTC",
    title: str = DEFAULT_TITLE,
) -> Path:
    """Write the activity report (see :func:`build_report`) to ``path``, replacing it atomically.

    Args:
        store: The store to report on.
        path: The HTML file to write; its directory must exist.
        days: Length of the window, ending at ``until``.
        until: End of the window, excluded (aware datetime); default now.
        tz: IANA time zone of the days and hours.
        title: Title of the page.

    Returns:
        The absolute path written.

    Raises:
        ValidationError: For a bad argument, a directory as ``path`` or a missing directory.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> with Store.memory(embedder=None) as store:
        ...     written = write_report(store, Path(tempfile.mkdtemp()) / "report.html", days=7)
        >>> written.stat().st_size > 1_000_000  # plotly.js is inside
        True
    """
    if not isinstance(path, str | os.PathLike):
        raise ValidationError(f"path must be a file path, got {path!r}", field="path", value=repr(path))
    target = Path(path).expanduser().resolve()
    if target.is_dir():
        raise ValidationError(f"{target} is a directory; give the path of an .html file", field="path")
    if not target.parent.is_dir():
        raise ValidationError(f"directory {target.parent} does not exist; create it first", field="path")
    text = build_report(store, days=days, until=until, tz=tz, title=title)
    temporary = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"  # same directory: replace is atomic
    try:
        with temporary.open("x", encoding="utf-8") as out:  # usual permissions (umask), unlike mkstemp
            out.write(text)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def _agents_table(agents: pl.DataFrame) -> str:
    rows = [
        [
            row["agent"],
            f"{row['sessions']:,}",
            f"{row['events']:,}",
            f"{row['errors']:,}",
            "" if row["error_rate"] is None else f"{row['error_rate']:.1%}",
            f"{row['active_minutes'] / 60:,.1f}",
            "" if row["avg_events_per_session"] is None else f"{row['avg_events_per_session']:.1f}",
            "" if row["median_session_minutes"] is None else f"{row['median_session_minutes']:.0f}",
            row["active_days"],
            "" if row["most_active_day"] is None else f"{row['most_active_day']} ({row['most_active_day_sessions']})",
        ]
        for row in agents.iter_rows(named=True)
    ]
    headers = [
        "agent",
        "sessions",
        "events",
        "errors",
        "error rate",
        "active hours",
        "events/session",
        "median session (min)",
        "active days",
        "most active day (sessions)",
    ]
    return table(headers, rows, numeric=[False, *[True] * 8, False])


def _sessions_table(recent: pl.DataFrame) -> str:
    rows = [
        [
            f"{row['started_at']:%Y-%m-%d %H:%M}",
            row["agent"],
            row["lifecycle"],
            row["events"],
            row["errors"],
            f"{row['duration_minutes']:.0f}",
            _cut(row["summary"] or "", _SUMMARY_CHARS),
        ]
        for row in recent.iter_rows(named=True)
    ]
    headers = ["started (UTC)", "agent", "lifecycle", "events", "errors", "minutes", "summary"]
    return table(headers, rows, numeric=[False, False, False, True, True, True, False])


def _cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
