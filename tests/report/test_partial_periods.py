"""The report marks the days its window only partly covers (a window ending "now", or days in another tz)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from agentlog import Store
from agentlog.report import ReportContent, build_report, report_content
from tests.analytics.builders import HAND_SESSIONS, UNTIL, load

KEY = "partial day (only part of it in the window)"


@pytest.fixture(scope="module")
def shared() -> Iterator[Store]:
    with Store.memory(embedder=None) as opened:
        load(opened, HAND_SESSIONS)
        yield opened


def names(content: ReportContent, figure: str) -> list[str]:
    return [t.name for t in content.figures[figure].data]


def test_whole_utc_days_are_drawn_as_before(shared: Store) -> None:
    content = report_content(shared, days=7, until=UNTIL)
    assert names(content, "activity") == ["claude", "gemini", "user"]
    assert names(content, "active-time") == ["claude", "gemini", "user"]
    assert names(content, "error-rate") == ["claude", "gemini", "user", "all agents"]


def test_a_window_ending_mid_day_marks_its_first_and_last_days(shared: Store) -> None:
    content = report_content(shared, days=7, until=UNTIL - timedelta(hours=6))  # 2026-03-08 18:00 UTC
    for figure in ("activity", "active-time"):
        assert names(content, figure)[:3] == ["claude", "gemini", "user"] and names(content, figure)[-1] == KEY
    rates = names(content, "error-rate")
    assert rates[:4] == ["claude", "gemini", "user", "all agents"] and rates[-1] == KEY
    dotted = content.figures["activity"].data[3]
    assert (
        dotted.line.dash == "dot" and dotted.customdata[0][4] == "<br><i>partial day: 6 of 24 hours in the window</i>"
    )
    assert dotted.customdata[-1][4] == "<br><i>partial day: 18 of 24 hours in the window</i>"


def test_utc_days_are_partial_in_another_time_zone(shared: Store) -> None:
    content = report_content(shared, days=7, until=UNTIL, tz="Asia/Kolkata")  # UTC midnight is 05:30 there
    assert names(content, "activity")[-1] == KEY and names(content, "error-rate")[-1] == KEY


def test_the_page_carries_the_legend_entry(shared: Store) -> None:
    assert KEY not in build_report(shared, days=7, until=UNTIL)
    assert KEY in build_report(shared, days=7, until=UNTIL - timedelta(hours=6))
