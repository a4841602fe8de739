"""ActivityDashboard selects whole local days: its frames carry the coverage columns and every day is complete."""

from __future__ import annotations

import pytest

from agentlog import Store
from agentlog.analytics import schemas
from agentlog.widgets import ActivityDashboard


@pytest.mark.parametrize("tz", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_the_selected_days_are_whole(demo: Store, tz: str) -> None:
    dashboard = ActivityDashboard(demo, days=10, tz=tz)
    activity = dashboard.frames["activity"]
    assert activity.schema == schemas.ACTIVITY
    assert activity["complete"].all() and set(activity["days_in_window"]) == {1.0}
    assert dashboard.frames["error_rate"].schema == schemas.ERROR_RATE_OVER_TIME
    for name in ("activity", "error_rate"):
        assert not any("partial" in (trace.name or "") for trace in dashboard.figures[name].data)


def test_the_error_rate_frame_carries_the_coverage(demo: Store) -> None:
    dashboard = ActivityDashboard(demo, days=10)
    dashboard.agents.value = ("claude",)
    rates = dashboard.frames["error_rate"]
    assert rates.schema == schemas.ERROR_RATE_OVER_TIME and rates["complete"].all()
    assert [t.name for t in dashboard.figures["error_rate"].data] == ["claude", "all agents"]
    dashboard.agents.value = ()
    assert dashboard.frames["error_rate"].height == 0
    assert dashboard.figures["error_rate"].layout.annotations[0].text == "No events in this window"
