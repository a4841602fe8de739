"""Regressions from a review of the figures, the report, the explorers and the demo data."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import polars as pl
import pytest

from agentlog import SessionService, Store, ValidationError, plots
from agentlog.demo import generate_demo_data
from agentlog.report import build_report
from agentlog.widgets import ActivityDashboard, SearchExplorer, SessionReplay
from tests.analytics.builders import Ev, Sess, at, load


@pytest.fixture
def store() -> Iterator[Store]:
    with Store.memory(embedder=None) as opened:
        yield opened


def durations(minutes: list[float]) -> pl.DataFrame:
    """A ``session_stats``-like frame of one agent's sessions with these durations."""
    return pl.DataFrame(
        {
            "session_id": [f"s{n}" for n in range(len(minutes))],
            "agent": ["claude"] * len(minutes),
            "duration_minutes": minutes,
            "events": [3] * len(minutes),
        }
    )


def test_a_frame_of_zero_length_sessions_does_not_read_as_no_sessions() -> None:
    figure = plots.duration_figure(durations([0.0, 0.0]))
    assert len(figure.data) == 0
    assert figure.layout.annotations[0].text == "2 sessions of zero length: none can be drawn on a log scale"
    empty = plots.duration_figure(durations([]))
    assert empty.layout.annotations[0].text == "No sessions in this window"


@pytest.mark.parametrize("minutes", [[0.02, 0.05, 0.3], [3.0, 40.0, 300.0], [6000.0, 20000.0, 40000.0]])
def test_duration_ticks_cover_short_and_long_sessions(minutes: list[float]) -> None:
    axis = plots.duration_figure(durations(minutes)).layout.yaxis
    inside = [value for value in axis.tickvals if min(minutes) <= value <= max(minutes)]
    assert len(inside) >= 2  # labelled ticks wherever the sessions lie, not only from 1 to 5,000 minutes
    assert dict(zip(axis.tickvals, axis.ticktext, strict=True))[inside[0]] in {"0.02", "5", "10000"}


def test_duration_hover_shows_seconds_under_a_minute() -> None:
    box = plots.duration_figure(durations([0.5, 90.4])).data[0]
    assert [row[2] for row in box.customdata] == ["30 s", "90 min"]
    assert "%{customdata[2]}" in box.hovertemplate


@pytest.mark.parametrize("metric", [["events"], {"events": 1}])
def test_an_unhashable_metric_is_a_validation_error(metric: Any) -> None:
    frame = pl.DataFrame(schema=["agent", "period", "sessions", "events", "errors", "active_minutes"])
    with pytest.raises(ValidationError, match="metric must be one of"):
        plots.activity_figure(frame, metric)


@pytest.mark.parametrize("tz", [5, "", "localtime"])
def test_dashboard_time_zone_is_checked_like_the_analytics(store: Store, tz: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        ActivityDashboard(store, tz=tz)
    assert caught.value.field == "tz"


def test_dashboard_refresh_reads_new_agents_and_days(store: Store) -> None:
    load(store, [Sess("A", "claude", at(4, 10), at(4, 11), [Ev("tool_call", at(4, 10, n)) for n in range(3)])])
    dashboard = ActivityDashboard(store)
    assert "1 day, UTC) · claude · 1 session, 3 events" in dashboard.status.value
    load(
        store,
        [
            Sess("B", "zed", at(4, 12), at(4, 13), [Ev("tool_call", at(4, 12, n)) for n in range(4)]),
            Sess("C", "claude", at(5, 9), at(5, 10), [Ev("tool_call", at(5, 9, n)) for n in range(5)]),
        ],
    )
    dashboard.update()  # the controls' choices do not reach the new agent and day
    assert int(dashboard.frames["summary"]["events"].sum()) == 3
    dashboard.refresh()
    assert dashboard.agents.value == ("claude", "zed")
    assert dashboard.dates.value == (at(4).date(), at(5).date())
    assert int(dashboard.frames["summary"]["events"].sum()) == 12
    dashboard.agents.value = ("claude",)  # a partial choice stays as it is
    load(store, [Sess("D", "ann", at(5, 11), at(5, 12), [Ev("tool_call", at(5, 11))])])
    dashboard.refresh()
    assert dashboard.agents.options == ("ann", "claude", "zed") and dashboard.agents.value == ("claude",)


@pytest.mark.parametrize("limit", [0, "5", 100_001, True])
def test_search_explorer_checks_its_limit(store: Store, limit: Any) -> None:
    with pytest.raises(ValidationError, match="limit"):
        SearchExplorer(store, limit=limit)


def test_a_long_summary_is_cut_in_the_report_table(store: Store) -> None:
    summary = "https://example.com/" + "a" * 20_000
    load(store, [Sess("A", "claude", at(4, 10), at(4, 11), [Ev("tool_call", at(4, 10, 5))], summary=summary)])
    text = build_report(store, days=7, until=at(6))
    assert summary not in text and summary[:400] in text
    assert "overflow-wrap: anywhere" in text  # an unbreakable word cannot widen the page


@pytest.mark.parametrize("end", ["2026-01-01", 1_772_755_200, datetime(2026, 1, 1).date()])
def test_demo_end_must_be_a_datetime(end: Any) -> None:
    with pytest.raises(ValidationError, match="end must be a datetime"):
        generate_demo_data(sessions=3, end=end)


def test_an_agent_called_all_agents_keeps_its_own_line_beside_the_total() -> None:
    rates = pl.DataFrame(
        {
            "agent": ["all agents", "gpt"],
            "period": [datetime(2026, 3, 2).date()] * 2,
            "events": [8, 2],
            "errors": [1, 1],
            "error_rate": [0.125, 0.5],
        }
    )
    lines = {trace.name: list(trace.y) for trace in plots.error_rate_figure(rates).data}
    assert lines == {"all agents": [0.125], "gpt": [0.5], "all agents (total)": [0.2]}


def test_session_replay_refresh_sees_new_sessions_and_events(store: Store) -> None:
    service = SessionService(store)
    replay = SessionReplay(store)
    assert replay.session.options == () and replay.next.disabled
    first = asyncio.run(service.create_session("claude"))
    asyncio.run(service.add_event(first["id"], "task_created", {"title": "one"}))
    replay.refresh()
    assert replay.session.value == str(first["id"]) and replay.timeline.height == 1 and not replay.next.disabled
    asyncio.run(service.add_event(first["id"], "task_updated", {"title": "two"}))
    asyncio.run(service.create_session("gpt"))
    replay.next.click()
    assert replay.position.value == 1  # not read yet
    replay.refresh()
    replay.next.click()
    assert replay.session.value == str(first["id"])  # the session shown stays shown, with its new event
    assert replay.current["event_type"] == "task_updated" and len(replay.session.options) == 2
