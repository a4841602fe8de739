"""SessionReplay: step through one session's events, with the payload and the timeline of the current one."""

from __future__ import annotations

import html
from datetime import UTC
from typing import Any

import ipywidgets as widgets
import plotly.graph_objects as go
import polars as pl

from agentlog.analytics import session_timeline
from agentlog.errors import NotFoundError, ValidationError
from agentlog.plots import session_timeline_figure
from agentlog.store import Store, require_open_store
from agentlog.validation import validate_positive_int, validate_uuid
from agentlog.widgets._display import Explorer, json_html, show_figure, status_html
from agentlog.widgets._queries import recent_sessions, session_label

__all__ = ["SessionReplay", "replay_figure", "session_choices"]

_LABEL_CHARS = 70


def session_choices(sessions: pl.DataFrame) -> list[tuple[str, str]]:
    """Dropdown choices ``(label, session_id)`` for sessions: start (UTC), agent, events and summary.

    Example:
        >>> from datetime import datetime, timezone
        >>> rows = pl.DataFrame({"session_id": ["s1"], "agent": ["claude"], "events": [12],
        ...     "started_at": [datetime(2026, 3, 5, 14, 2, tzinfo=timezone.utc)], "summary": ["Fixed the bug"]})
        >>> session_choices(rows)
        [('2026-03-05 14:02 · claude · 12 events · Fixed the bug', 's1')]
    """
    choices = []
    for row in sessions.iter_rows(named=True):
        summary = row["summary"] or "(no summary)"
        if len(summary) > _LABEL_CHARS:
            summary = summary[: _LABEL_CHARS - 1] + "…"
        label = f"{row['started_at']:%Y-%m-%d %H:%M} · {row['agent']} · {row['events']} events · {summary}"
        choices.append((label, row["session_id"]))
    return choices


def replay_figure(timeline: pl.DataFrame, position: int) -> go.Figure:
    """The session's timeline figure with event ``position`` (0-based row) ringed as the trace ``"current"``.

    Example:
        >>> from datetime import datetime, timedelta, timezone
        >>> t0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
        >>> events = pl.DataFrame({"session_id": ["s"] * 2, "seq": [1, 2],
        ...     "event_type": ["task_created", "task_completed"], "timestamp": [t0, t0 + timedelta(minutes=5)],
        ...     "gap": [None, timedelta(minutes=5)], "idle_before": [False, False], "is_error": [False, False],
        ...     "event_data": ["{}", "{}"]})
        >>> current = replay_figure(events, 1).data[-1]
        >>> current.name, list(current.y), list(current.x)
        ('current', ['task_completed'], [datetime.datetime(2026, 3, 2, 9, 5)])
    """
    figure = session_timeline_figure(timeline)
    row = timeline.row(position, named=True)
    if row["timestamp"] is None:
        figure.add_annotation(
            text=f"event #{row['seq']} has no timestamp", showarrow=False, xref="paper", yref="paper", x=0.0, y=1.08
        )
        return figure
    figure.add_trace(
        go.Scatter(
            x=[row["timestamp"].astimezone(UTC).replace(tzinfo=None)],  # naive UTC, like the other traces
            y=[row["event_type"]],
            name="current",
            mode="markers",
            marker={"size": 22, "symbol": "circle-open", "color": "#111111", "line": {"width": 3}},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    return figure


class SessionReplay(Explorer):
    """Replay a session event by event: a session picker, previous/next buttons, a slider, the payload, the timeline.

    The picker lists the sessions there were when it was made; :meth:`refresh` reads them, and the
    events of the session shown, again after new writes.

    Args:
        store: The store to read.
        session_id: The session to show first (default: the newest one).
        sessions: How many of the newest sessions the picker lists.

    Attributes:
        store: The store.
        timeline: The events of the session shown (a
            :func:`~agentlog.analytics.session_timeline` frame).
        figure: The figure shown (the timeline with the current event ringed).
        session, previous, next, position: The controls (``position`` is 1-based).
        status, payload, plot: What the current event shows: a line about it,
            its ``event_data`` and the figure (an ``Output``).

    Raises:
        ValidationError: For a bad ``session_id`` or ``sessions``.
        NotFoundError: If ``session_id`` is not in the store.

    Example:
        >>> from agentlog.demo import demo_store
        >>> store = demo_store(sessions=5, embedder=None)
        >>> replay = SessionReplay(store)
        >>> replay.position.value, replay.current["seq"]
        (1, 1)
        >>> replay.next.click()
        >>> replay.current["seq"], replay.figure.data[-1].name
        (2, 'current')
        >>> store.close()
    """

    def __init__(self, store: Store, session_id: Any = None, *, sessions: int = 50) -> None:
        self.store = require_open_store(store)
        self._listed = validate_positive_int(sessions, "sessions")
        self._refreshing = False
        choices = session_choices(recent_sessions(self.store, self._listed))
        first = None if session_id is None else str(validate_uuid(session_id, "session_id"))
        self.timeline: pl.DataFrame = pl.DataFrame()
        self.figure = go.Figure()
        self.session = widgets.Dropdown(
            options=choices, value=None, description="session", layout=widgets.Layout(width="95%")
        )
        self.previous = widgets.Button(description="previous", icon="step-backward")
        self.next = widgets.Button(description="next", icon="step-forward")
        self.position = widgets.IntSlider(value=1, min=1, max=1, description="event", continuous_update=False)
        self.status = widgets.HTML()
        self.payload = widgets.HTML()
        self.plot = widgets.Output()
        self.widget = widgets.VBox(
            [
                self.session,
                widgets.HBox([self.previous, self.position, self.next]),
                self.status,
                self.payload,
                self.plot,
            ]
        )
        self.session.observe(lambda change: None if self._refreshing else self._load(change["new"]), names="value")
        self.position.observe(lambda change: self.show(change["new"]), names="value")
        self.previous.on_click(lambda _: self.step(-1))
        self.next.on_click(lambda _: self.step(1))
        if first is not None or choices:
            self.load(first if first is not None else choices[0][1])
        else:
            self.status.value = status_html("This store has no sessions yet.")
            self._enable(False)

    @property
    def current(self) -> dict[str, Any]:
        """The current event: its row of :attr:`timeline` as a dict.

        Example:
            ``replay.current["event_type"]``
        """
        if self.timeline.height == 0:
            raise ValidationError("no session is loaded", field="session")
        return self.timeline.row(self.position.value - 1, named=True)

    def load(self, session_id: Any) -> None:
        """Show session ``session_id`` (selecting it in the picker, added there if missing) from its first event.

        Raises:
            ValidationError: If ``session_id`` is not a UUID.
            NotFoundError: If there is no such session.

        Example:
            ``replay.load(session["id"])``
        """
        ident = str(validate_uuid(session_id, "session_id"))
        if ident not in [value for _, value in self.session.options]:
            row = session_label(self.store, ident)
            if row.height == 0:
                raise NotFoundError("session", ident)
            self.session.options = session_choices(row) + list(self.session.options)
        if self.session.value == ident:
            self._load(ident)
        else:
            self.session.value = ident  # the observer loads it

    def refresh(self) -> None:
        """Read the store again after new writes: the picker's newest sessions, and the session shown.

        The session shown stays selected at the same event (with its new events to step to); if it
        was deleted, or none was shown, the newest session is shown.

        Example:
            ``replay.refresh()`` after the agent logged more events.
        """
        shown, position = self.session.value, self.position.value
        choices = session_choices(recent_sessions(self.store, self._listed))
        if shown is not None and shown not in [value for _, value in choices]:
            choices = session_choices(session_label(self.store, shown)) + choices  # none if it was deleted
        if shown not in [value for _, value in choices]:
            shown, position = (choices[0][1] if choices else None), 1
        self._refreshing = True
        try:
            self.session.options = choices
            self.session.value = shown
        finally:
            self._refreshing = False
        if shown is None:
            self.timeline = pl.DataFrame()
            self.status.value = status_html("This store has no sessions yet.")
            self._enable(False)
        else:
            self._load(shown, position)

    def _load(self, ident: str | None, position: int = 1) -> None:
        if ident is None:
            return
        self.timeline = session_timeline(self.store, ident)
        count = self.timeline.height
        self._enable(count > 0)
        self.position.max = max(count, 1)
        position = min(position, max(count, 1))
        if self.position.value != position:
            self.position.value = position  # the observer shows it
        else:
            self.show(position)

    def show(self, position: int) -> None:
        """Show event ``position`` (1-based) of the loaded session.

        Example:
            ``replay.show(3)``
        """
        if self.timeline.height == 0:
            self.status.value = status_html("This session has no events.")
            self.payload.value = ""
            self.plot.outputs = ()
            return
        position = min(max(position, 1), self.timeline.height)
        if self.position.value != position:
            self.position.value = position
            return
        row = self.current
        when = "no timestamp" if row["timestamp"] is None else f"{row['timestamp']:%Y-%m-%d %H:%M:%S} UTC"
        after = "" if row["gap"] is None else f" · {row['gap'].total_seconds() / 60:.1f} min after the previous"
        idle = " (idle before)" if row["idle_before"] else ""
        kind = "error" if row["is_error"] else "event"
        self.status.value = status_html(
            f"{kind} {position} of {self.timeline.height}: {row['event_type']} · {when}{after}{idle}",
            error=bool(row["is_error"]),
        )
        self.payload.value = f"<b>{html.escape(row['event_type'])}</b>" + json_html(row["event_data"])
        self.figure = replay_figure(self.timeline, position - 1)
        show_figure(self.plot, self.figure)

    def step(self, delta: int) -> None:
        """Move ``delta`` events forward (negative: back), staying within the session.

        Example:
            ``replay.step(-1)``
        """
        if self.timeline.height:
            self.show(self.position.value + delta)

    def _enable(self, enabled: bool) -> None:
        for control in (self.previous, self.next, self.position):
            control.disabled = not enabled
