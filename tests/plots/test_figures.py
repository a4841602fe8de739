"""The figures carry the frames' numbers: traces, x/y data, titles, axis labels and hover texts (no pixels)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import plotly.graph_objects as go
import polars as pl
import pytest

from agentlog import Store, ValidationError, plots
from agentlog import analytics as an
from tests.analytics.builders import HAND_SESSIONS, SINCE, UNTIL, by_name, load

WEEK = {"since": SINCE, "until": UNTIL}


@pytest.fixture(scope="module")
def hand() -> Iterator[Store]:
    with Store.memory(embedder=None) as store:
        load(store, HAND_SESSIONS)
        yield store


def d(day: int) -> date:
    return date(2026, 3, day)


def test_activity_figure(hand: Store) -> None:
    frame = an.activity(hand, **WEEK)
    figure = plots.activity_figure(frame)
    assert isinstance(figure, go.Figure)
    assert [t.name for t in figure.data] == ["claude", "gemini", "user"]
    claude = figure.data[0]
    assert claude.type == "scatter" and list(claude.x) == [d(n) for n in range(2, 9)]
    assert list(claude.y) == [7, 0, 0, 0, 0, 0, 2]
    assert list(claude.customdata[0]) == [2, 7, 3, 160.0]  # sessions, events, errors, minutes of 03-02
    assert "errors %{customdata[2]}" in claude.hovertemplate and claude.line.color == plots.AGENT_COLORS["claude"]
    assert figure.layout.title.text == "Events per day"
    assert (figure.layout.xaxis.title.text, figure.layout.yaxis.title.text) == ("Day", "Events")

    minutes = plots.activity_figure(frame, "active_minutes")
    assert list(minutes.data[0].y) == [160.0, 0, 0, 0, 0, 0, 120.0]
    assert minutes.layout.title.text == "Active minutes per day"

    weekly = plots.activity_figure(an.activity(hand, freq="week", since=SINCE - timedelta(days=7), until=UNTIL))
    assert weekly.layout.title.text == "Events per week" and weekly.layout.xaxis.title.text == "Week (Monday)"
    assert list(weekly.data[0].y) == [1, 9]  # the week before holds S2's first event


def test_hour_of_week_figure(hand: Store) -> None:
    figure = plots.hour_of_week_figure(an.hour_of_week(hand, **WEEK))
    (heat,) = figure.data
    assert heat.type == "heatmap" and list(heat.y) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert list(heat.x) == list(range(24)) and len(heat.z) == 7 and all(len(row) == 24 for row in heat.z)
    assert (heat.z[0][0], heat.z[0][9], heat.z[2][14], heat.z[6][23]) == (2, 4, 3, 1)
    assert sum(map(sum, heat.z)) == 15
    starts = plots.hour_of_week_figure(an.hour_of_week(hand, **WEEK), metric="sessions").data[0]
    assert sum(map(sum, starts.z)) == 6
    assert figure.layout.title.text == "Events by hour of the week" and figure.layout.yaxis.autorange == "reversed"
    assert figure.layout.xaxis.title.text == "Hour of the day"


def test_event_types_figure(hand: Store) -> None:
    figure = plots.event_types_figure(an.events_by_type(hand, **WEEK))
    names = [t.name for t in figure.data]
    assert names == ["task_created", "decision_made", "error_encountered", "task_completed", "context_shared"]
    by_name_ = {t.name: t for t in figure.data}
    assert list(by_name_["task_created"].y) == ["claude", "gemini", "user"]
    assert list(by_name_["task_created"].x) == [3, 1, 1]
    assert list(by_name_["context_shared"].x) == [0, 1, 0]  # missing combinations are zeros
    assert by_name_["error_encountered"].marker.color == "#d62728"
    assert all(t.orientation == "h" for t in figure.data) and figure.layout.barmode == "stack"
    assert [row[0] for row in by_name_["decision_made"].customdata] == [pytest.approx(3 / 9), 0.25, 0.0]
    assert [row[1] for row in by_name_["decision_made"].customdata] == ["claude", "gemini", "user"]
    assert figure.layout.yaxis.tickmode is None  # plain names: plotly labels the axis itself


def test_error_rate_figure(hand: Store) -> None:
    figure = plots.error_rate_figure(an.error_rate_over_time(hand, **WEEK))
    assert [t.name for t in figure.data] == ["claude", "gemini", "user", "all agents"]
    everyone = figure.data[3]
    assert list(everyone.x) == [d(n) for n in range(2, 9)]
    # 03-02: claude 3 errors / 7 events; 03-04: gemini 2 / 4; 03-05: user 0 / 2; 03-08: claude 0 / 2
    assert list(everyone.y) == [3 / 7, None, 0.5, 0.0, None, None, 0.0]
    assert list(figure.data[0].y)[1] is None and figure.data[3].line.dash == "dash"
    assert figure.layout.yaxis.tickformat == ".0%" and figure.layout.title.text == "Error rate per day"


def test_duration_figure(hand: Store) -> None:
    figure = plots.duration_figure(an.session_stats(hand, **WEEK))
    assert [(t.name, list(t.y)) for t in figure.data] == [
        ("claude", [10.0, 90.0, 150.0]),
        ("gemini", [45.0]),  # the zero-length session cannot be drawn on a log axis
        ("user", [30.0]),
    ]
    assert all(t.type == "box" for t in figure.data) and figure.layout.yaxis.type == "log"


def test_sessions_gantt_figure(hand: Store) -> None:
    figure = plots.sessions_gantt_figure(an.session_stats(hand, **WEEK))
    assert [t.name for t in figure.data] == ["claude", "gemini", "user"]
    claude = figure.data[0]
    assert list(claude.base) == [datetime(2026, 3, 2, 0, 0), datetime(2026, 3, 2, 9, 0), datetime(2026, 3, 8, 22, 0)]
    assert list(claude.x) == [10 * 60_000, 90 * 60_000, 150 * 60_000]
    assert list(claude.marker.pattern.shape) == ["", "", "/"]  # S3 is still open
    assert [row[5] for row in claude.customdata] == ["ended", "ended", "open"]
    assert list(figure.data[1].x) == [60_000, 45 * 60_000]  # a zero-length session still gets a minute
    assert figure.layout.xaxis.type == "date" and figure.layout.xaxis.title.text == "Time (UTC)"


def test_session_timeline_figure(hand: Store) -> None:
    figure = plots.session_timeline_figure(an.session_timeline(hand, by_name("S1").id))
    assert figure.layout.title.text == f"Session {str(by_name('S1').id)[:8]}: 5 events (1 without a time, not shown)"
    events, errors = figure.data
    assert (events.name, list(events.y)) == ("events", ["task_created", "task_completed"])
    assert list(events.x) == [datetime(2026, 3, 2, 9, 0), datetime(2026, 3, 2, 10, 29)]
    assert (errors.name, list(errors.y)) == ("errors", ["error_encountered", "decision_made"])
    assert errors.marker.color == "#d62728"
    (idle,) = figure.layout.shapes  # 09:20 -> 10:29
    assert (idle.x0, idle.x1) == (datetime(2026, 3, 2, 9, 20), datetime(2026, 3, 2, 10, 29))
    assert figure.layout.annotations[0].text == "idle 69 min"
    assert "Fix &lt;/script&gt; bug" in events.customdata[0][2]  # user text is escaped in hover labels


def test_empty_frames_give_a_figure_with_a_note(hand: Store) -> None:
    empty = {"since": SINCE - timedelta(days=300), "until": SINCE - timedelta(days=299)}
    for figure in [
        plots.activity_figure(an.activity(hand, **empty)),
        plots.event_types_figure(an.events_by_type(hand, **empty)),
        plots.error_rate_figure(an.error_rate_over_time(hand, **empty)),
        plots.duration_figure(an.session_stats(hand, **empty)),
        plots.sessions_gantt_figure(an.session_stats(hand, **empty)),
    ]:
        assert len(figure.data) == 0 and figure.layout.annotations[0].text.startswith("No ")


def test_wrong_frames_are_rejected() -> None:
    with pytest.raises(ValidationError, match=r"agentlog.analytics.activity\(\)"):
        plots.activity_figure(pl.DataFrame({"agent": ["claude"]}))
    with pytest.raises(ValidationError, match="expected a polars DataFrame"):
        plots.event_types_figure([("claude", "task_created", 3)])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="metric must be one of"):
        plots.activity_figure(pl.DataFrame(), metric="tokens")
    with pytest.raises(ValidationError, match="168 rows"):
        plots.hour_of_week_figure(
            pl.DataFrame({"weekday": [0], "day_name": ["Mon"], "hour": [0], "events": [1], "sessions": [0]})
        )


def test_other_agents_get_palette_colours() -> None:
    assert plots.agent_colors(["zed", "claude", "ann"]) == {"ann": "#9467bd", "claude": "#d97757", "zed": "#8c564b"}


MARKUP = '<b>bold</b><a href="https://example.com">link</a> %{x}'
"""An agent or event type that plotly would draw as markup (bold, a link) in a tick label or a hover."""
SHOWN = '&lt;b&gt;bold&lt;/b&gt;&lt;a href="https://example.com"&gt;link&lt;/a&gt; %&#123;x}'


def labelled_categories(axis: dict[str, Any]) -> dict[str, str]:
    """The tick label plotly draws for each category of an axis (of ``figure.to_dict()``)."""
    return dict(zip(axis["tickvals"], axis["ticktext"], strict=True))


def rendered_markup(figure: go.Figure) -> list[str]:
    """Every string of ``figure`` that plotly renders as markup and that holds the raw name."""
    spec = figure.to_dict()
    found = [t.get("name", "") for t in spec["data"]] + [t.get("hovertemplate", "") for t in spec["data"]]
    found += [str(row) for t in spec["data"] for row in t.get("customdata", [])]
    for axis in ("xaxis", "yaxis"):
        found += spec["layout"].get(axis, {}).get("ticktext", [])
    return [text for text in found if "<b>bold" in text or "<a href" in text]


def test_category_axes_show_stored_names_escaped() -> None:
    # Plotly draws tick labels as HTML (checked in a browser: the raw name became a bold tspan and an
    # <a xlink:href> link). The traces keep the raw names as categories; the labels and hovers are escaped.
    mix = pl.DataFrame(
        {"agent": [MARKUP, "claude"], "event_type": ["a", "a"], "events": [3, 1], "errors": [0, 0], "share": [1.0, 1.0]}
    )
    types = plots.event_types_figure(mix)
    assert list(types.data[0].y) == [MARKUP, "claude"]
    assert labelled_categories(types.to_dict()["layout"]["yaxis"]) == {MARKUP: SHOWN, "claude": "claude"}
    assert "%{y}" not in types.data[0].hovertemplate and types.data[0].customdata[0][1] == SHOWN
    assert rendered_markup(types) == []

    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    stats = pl.DataFrame(
        {
            "session_id": ["s"],
            "agent": [MARKUP],
            "summary": ["x"],
            "started_at": [start],
            "ended_at": [start + timedelta(minutes=5)],
            "duration": [timedelta(minutes=5)],
            "events": [1],
            "errors": [0],
        }
    )
    gantt = plots.sessions_gantt_figure(stats)
    assert list(gantt.data[0].y) == [MARKUP]
    assert labelled_categories(gantt.to_dict()["layout"]["yaxis"]) == {MARKUP: SHOWN}
    assert rendered_markup(gantt) == []

    events = pl.DataFrame(
        {
            "session_id": ["s", "s"],
            "seq": [1, 2],
            "event_type": [MARKUP, "task_completed"],
            "timestamp": [start, start + timedelta(minutes=1)],
            "gap": [None, timedelta(minutes=1)],
            "idle_before": [False, False],
            "is_error": [False, False],
            "event_data": ["{}", "{}"],
        }
    )
    timeline = plots.session_timeline_figure(events)
    (trace,) = timeline.data
    assert list(trace.y) == [MARKUP, "task_completed"]  # raw: more traces (the replay's ring) use the same rows
    axis = timeline.to_dict()["layout"]["yaxis"]
    assert labelled_categories(axis) == {MARKUP: SHOWN, "task_completed": "task_completed"}
    assert "%{y}" not in trace.hovertemplate and trace.customdata[0][3] == SHOWN
    assert rendered_markup(timeline) == []
