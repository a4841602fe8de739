"""ActivityDashboard: the date range, the agents and the measure drive the frames and the figures shown."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from agentlog import Store, ValidationError
from agentlog.analytics import agent_comparison
from agentlog.widgets import ActivityDashboard
from agentlog.widgets._display import PLOTLY_MIME

LAST_DAY = date(2026, 3, 5)  # the demo data ends at 2026-03-06 00:00 UTC


def shown_traces(dashboard: ActivityDashboard, name: str) -> list[str]:
    """Names of the traces in the figure that the Output widget ``name`` holds."""
    return [trace.get("name") for trace in dashboard.plots[name].outputs[0]["data"][PLOTLY_MIME]["data"]]


def test_starts_on_the_last_days_of_the_data(demo: Store) -> None:
    dashboard = ActivityDashboard(demo, days=30)

    assert dashboard.dates.value == (LAST_DAY - timedelta(days=29), LAST_DAY)
    assert dashboard.window() == (datetime(2026, 2, 4, tzinfo=UTC), datetime(2026, 3, 6, tzinfo=UTC))
    assert set(dashboard.agents.value) == {"claude", "gemini", "gpt", "user"}
    expected = agent_comparison(demo, since=datetime(2026, 2, 4, tzinfo=UTC), until=datetime(2026, 3, 6, tzinfo=UTC))
    assert dashboard.frames["summary"].equals(expected)
    assert sorted(shown_traces(dashboard, "activity")) == sorted(expected["agent"].to_list())
    assert dashboard.figures["activity"].layout.title.text == "Events per day"
    assert "2026-02-04 to 2026-03-05 (30 days, UTC)" in dashboard.status.value
    assert f"{int(expected['events'].sum()):,} events" in dashboard.status.value
    assert "<table" in dashboard.summary.value


def test_choosing_agents_filters_every_frame_and_figure(demo: Store) -> None:
    dashboard = ActivityDashboard(demo)
    everyone = dashboard.frames["activity"]["events"].sum()

    dashboard.agents.value = ("claude", "user")

    for name in ("summary", "activity", "error_rate", "event_types"):
        assert set(dashboard.frames[name]["agent"].to_list()) <= {"claude", "user"}
    assert sorted(shown_traces(dashboard, "activity")) == ["claude", "user"]
    assert sorted(shown_traces(dashboard, "error_rate")) == ["all agents", "claude", "user"]
    assert dashboard.frames["activity"]["events"].sum() < everyone
    assert "gemini" not in dashboard.summary.value

    dashboard.agents.value = ()
    assert dashboard.frames["activity"].height == 0
    assert "no agent selected" in dashboard.status.value
    assert shown_traces(dashboard, "activity") == []


def test_moving_the_range_and_the_measure(demo: Store) -> None:
    dashboard = ActivityDashboard(demo, days=30)
    month = dashboard.frames["summary"]["sessions"].sum()

    dashboard.dates.value = (date(2026, 3, 2), date(2026, 3, 5))

    periods = dashboard.frames["activity"]["period"]
    assert (periods.min(), periods.max()) == (date(2026, 3, 2), date(2026, 3, 5))
    assert dashboard.frames["summary"]["sessions"].sum() < month
    figure_days = dashboard.plots["activity"].outputs[0]["data"][PLOTLY_MIME]["data"][0]["x"]
    assert figure_days[0].startswith("2026-03-02") and figure_days[-1].startswith("2026-03-05")

    dashboard.metric.value = "active_minutes"
    assert dashboard.figures["activity"].layout.title.text == "Active minutes per day"


def test_a_time_zone_moves_the_day_boundaries(demo: Store) -> None:
    dashboard = ActivityDashboard(demo, tz="America/New_York")
    since, until = dashboard.window()
    assert since.utcoffset() == timedelta(hours=-5)
    assert until.hour == 0 and (until - since).days == 30
    with pytest.raises(ValidationError, match="time zone"):
        ActivityDashboard(demo, tz="Mars/Olympus")
    with pytest.raises(ValidationError, match="days"):
        ActivityDashboard(demo, days=0)


def test_an_empty_store() -> None:
    with Store.memory(embedder=None) as store:
        dashboard = ActivityDashboard(store)
        assert dashboard.agents.options == ()
        assert dashboard.frames["activity"].height == 0
        assert "0 sessions" in dashboard.status.value
        assert shown_traces(dashboard, "activity") == []
