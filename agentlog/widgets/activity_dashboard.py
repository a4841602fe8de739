"""ActivityDashboard: the activity figures for a range of days and a choice of agents."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ipywidgets as widgets
import plotly.graph_objects as go
import polars as pl

from agentlog import analytics
from agentlog.analytics.window import check_tz
from agentlog.errors import ValidationError
from agentlog.plots import activity_figure, error_rate_figure, event_types_figure
from agentlog.store import Store, require_open_store
from agentlog.validation import validate_positive_int
from agentlog.widgets._display import Explorer, frame_html, show_figure, status_html
from agentlog.widgets._queries import activity_span, agents
from agentlog.wording import plural

__all__ = ["METRICS", "SUMMARY_COLUMNS", "ActivityDashboard"]

METRICS: tuple[tuple[str, str], ...] = (
    ("events", "events"),
    ("sessions started", "sessions"),
    ("errors", "errors"),
    ("active minutes", "active_minutes"),
)
"""The measures the activity figure can show: ``(label, activity column)``."""

SUMMARY_COLUMNS = ("agent", "sessions", "events", "errors", "error_rate", "active_minutes", "most_active_day")
"""The columns of :func:`~agentlog.analytics.agent_comparison` in the summary table."""


def _zone(tz: str) -> tzinfo:
    if tz == "UTC":
        return UTC
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(f"unknown time zone {tz!r}; use an IANA name such as 'UTC'", field="tz") from error


class ActivityDashboard(Explorer):
    """Activity per day for a range of days (a slider) and a choice of agents, with the error rate and event types.

    A thin layer over :mod:`agentlog.analytics` and :mod:`agentlog.plots`: moving
    the range, choosing agents or another measure recomputes the frames in
    :attr:`frames` and redraws the figures in :attr:`figures`. The slider spans
    the days of the store's data, so a store of old data (such as the demo
    dataset) shows its own last days, not an empty "last 30 days". The agents and
    days to choose from are read when the dashboard is made; :meth:`refresh` reads
    them again after new writes.

    Args:
        store: The store to read.
        days: How many of the last days of the data are selected at first.
        tz: IANA time zone of the days.

    Attributes:
        store: The store.
        frames: ``summary`` (:func:`~agentlog.analytics.agent_comparison`),
            ``activity``, ``error_rate`` and ``event_types`` of the current choice.
        figures: ``activity``, ``error_rate`` and ``event_types``.
        dates, agents, metric: The controls (``dates`` is a range slider of days).
        status, summary: A line about the window, and the per-agent table.
        plots: The ``Output`` widget of each figure, by name.

    Raises:
        ValidationError: For a bad ``days`` or ``tz``.

    Example:
        >>> from agentlog.demo import demo_store
        >>> store = demo_store(sessions=40, embedder=None)
        >>> dashboard = ActivityDashboard(store, days=30)
        >>> before = dashboard.frames["activity"]["events"].sum()
        >>> dashboard.agents.value = ("claude",)
        >>> sorted(set(dashboard.frames["activity"]["agent"])), dashboard.frames["activity"]["events"].sum() < before
        (['claude'], True)
        >>> store.close()
    """

    def __init__(self, store: Store, *, days: int = 30, tz: str = "UTC") -> None:
        self.store = require_open_store(store)
        count = validate_positive_int(days, "days", maximum=analytics.MAX_DAYS)
        self.tz = check_tz(self.store, tz)
        self.zone = _zone(self.tz)
        options = self._day_options()
        self.frames: dict[str, pl.DataFrame] = {}
        self.figures: dict[str, go.Figure] = {}
        self._quiet = False
        self.dates = widgets.SelectionRangeSlider(
            options=options,
            index=(max(0, len(options) - count), len(options) - 1),
            description="days",
            continuous_update=False,
            layout=widgets.Layout(width="640px"),
        )
        names = agents(self.store)
        self.agents = widgets.SelectMultiple(options=names, value=tuple(names), description="agents", rows=4)
        self.metric = widgets.Dropdown(options=list(METRICS), value="events", description="measure")
        self.status = widgets.HTML()
        self.summary = widgets.HTML()
        self.plots = {name: widgets.Output() for name in ("activity", "error_rate", "event_types")}
        self.widget = widgets.VBox(
            [
                self.dates,
                widgets.HBox([self.agents, self.metric]),
                self.status,
                self.summary,
                *self.plots.values(),
            ]
        )
        for control in (self.dates, self.agents, self.metric):
            control.observe(lambda _: None if self._quiet else self.update(), names="value")
        self.update()

    def _day_options(self) -> list[tuple[str, date]]:
        """The slider's choices: every day from the first to the last day of the store's data (today if empty)."""
        span = activity_span(self.store, self.tz)
        first, last = span if span is not None else (datetime.now(self.zone).date(),) * 2
        label = "%b %d" if first.year == last.year else "%Y-%m-%d"  # short enough for the slider's readout
        return [(day.strftime(label), day) for day in _days(first, last)]

    def refresh(self) -> None:
        """Read the store's agents and days again (after new writes), keep the choice, and redraw.

        Agents that appeared are selected if every agent was; a range that ended on the last
        day of the data then ends on the new last day.

        Example:
            ``dashboard.refresh()`` after new sessions were logged.
        """
        first, last = self.dates.value
        at_end = last == self.dates.options[-1][1]
        everyone = set(self.agents.value) == set(self.agents.options)
        chosen = set(self.agents.value)
        options = self._day_options()
        days = [day for _, day in options]
        if first < days[0] or last > days[-1]:  # rows were deleted: the span shrank
            first, last = max(first, days[0]), min(last, days[-1])
            first = min(first, last)
        if at_end:
            last = days[-1]
        names = agents(self.store)
        self._quiet = True
        try:
            self.dates.options = options
            self.dates.value = (first, last)
            self.agents.options = names
            self.agents.value = tuple(name for name in names if everyone or name in chosen)
        finally:
            self._quiet = False
        self.update()

    def window(self) -> tuple[datetime, datetime]:
        """The selected days as ``(since, until)``: the first day's midnight and the day after the last one's.

        Example:
            ``since, until = dashboard.window()``
        """
        first, last = self.dates.value
        since = datetime.combine(first, time(), tzinfo=self.zone)
        until = datetime.combine(last + timedelta(days=1), time(), tzinfo=self.zone)
        return since, until

    def update(self) -> None:
        """Recompute the frames for the controls' values and redraw the figures.

        Example:
            ``dashboard.update()``
        """
        since, until = self.window()
        chosen = list(self.agents.value)
        keep = pl.col("agent").is_in(chosen)
        self.frames = {
            "summary": analytics.agent_comparison(self.store, since=since, until=until, tz=self.tz).filter(keep),
            "activity": analytics.activity(self.store, since=since, until=until, tz=self.tz).filter(keep),
            "error_rate": analytics.error_rate_over_time(self.store, since=since, until=until, tz=self.tz).filter(keep),
            "event_types": analytics.events_by_type(self.store, since=since, until=until).filter(keep),
        }
        self.figures = {
            "activity": activity_figure(self.frames["activity"], self.metric.value, freq="day"),
            "error_rate": error_rate_figure(self.frames["error_rate"], freq="day"),
            "event_types": event_types_figure(self.frames["event_types"]),
        }
        for name, figure in self.figures.items():
            show_figure(self.plots[name], figure)
        summary = self.frames["summary"]
        self.summary.value = frame_html(summary, SUMMARY_COLUMNS) if summary.height else ""
        days = (until - since).days
        who = "no agent selected" if not chosen else ", ".join(chosen)
        self.status.value = status_html(
            f"{since:%Y-%m-%d} to {(until - timedelta(days=1)):%Y-%m-%d} ({plural(days, 'day')}, {self.tz}) · {who} · "
            f"{plural(int(summary['sessions'].sum()), 'session')}, {plural(int(summary['events'].sum()), 'event')}"
        )


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
