"""Partial periods (the window covers only part of them) are drawn apart: faded, dotted, with a hover note.

Complete periods are drawn exactly as before, and a frame without partial periods (or without the
``complete`` column, such as a hand-made one) gives the same figure as before the column existed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest

from agentlog import Store, plots
from agentlog import analytics as an
from tests.analytics.builders import LONG_SESSION, Ev, Sess, load

GEMINI = Sess(
    "G",
    "gemini",
    datetime(2026, 3, 10, 9, tzinfo=UTC),
    datetime(2026, 3, 10, 10, tzinfo=UTC),
    [
        Ev("task_created", datetime(2026, 3, 10, 9, tzinfo=UTC)),
        Ev("error_encountered", datetime(2026, 3, 10, 9, 30, tzinfo=UTC)),
    ],
)
COVERAGE = ["complete", "days_in_window"]
KEY_WEEK = "partial week (only part of it in the window)"


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    with Store.memory(embedder=None) as opened:
        load(opened, [LONG_SESSION, GEMINI])
        yield opened


def utc(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def traces(figure: Any) -> list[dict[str, Any]]:
    return list(figure.to_dict()["data"])


def test_complete_periods_are_drawn_as_before(store: Store) -> None:
    frame = an.activity(store, freq="week", since=utc(3, 2), until=utc(3, 16))
    assert frame["complete"].all()
    figure = plots.activity_figure(frame)
    assert figure.to_dict() == plots.activity_figure(frame.drop(COVERAGE)).to_dict()
    claude, _ = traces(figure)
    assert claude["name"] == "claude" and "legendgroup" not in claude and None not in claude["y"]
    assert claude["line"] == {"color": plots.AGENT_COLORS["claude"], "width": 2} and claude["marker"] == {"size": 5}
    assert "opacity" not in claude and "customdata[4]" not in claude["hovertemplate"]
    assert not any("partial" in str(t.get("name")) for t in traces(figure))
    rates = an.error_rate_over_time(store, freq="week", since=utc(3, 2), until=utc(3, 16))
    plain = plots.error_rate_figure(rates).to_dict()
    assert plots.error_rate_figure(rates).to_dict() == plain
    assert [t["name"] for t in plain["data"]] == ["claude", "gemini", "all agents"]


def test_partial_weeks_are_faded_and_dotted(store: Store) -> None:
    # Wednesday 03-04 to Friday 03-20: the first week has 5 days in the window, the last 4
    frame = an.activity(store, freq="week", since=utc(3, 4), until=utc(3, 20))
    assert frame.filter(pl.col("agent") == "claude").select("period", *COVERAGE).rows() == [
        (date(2026, 3, 2), False, 5.0),
        (date(2026, 3, 9), True, 7.0),
        (date(2026, 3, 16), False, 4.0),
    ]
    figure = plots.activity_figure(frame, "active_minutes")
    data = traces(figure)
    assert [t["name"] for t in data] == [
        "claude",
        "gemini",
        "claude, partial period",
        "gemini, partial period",
        KEY_WEEK,
    ]
    claude, _, dotted, _, key = data
    # the complete week as before; the partial ones are left out of the solid line...
    assert claude["y"] == [None, 7 * 1440.0, None] and claude["legendgroup"] == "claude"
    assert claude["line"] == {"color": plots.AGENT_COLORS["claude"], "width": 2}
    # ...and drawn faded and dotted, joined to their complete neighbour, with open markers only on them
    assert dotted["x"] == claude["x"] and dotted["y"] == [5 * 1440.0, 7 * 1440.0, 4 * 1440.0]
    assert dotted["line"] == {"color": plots.AGENT_COLORS["claude"], "width": 2, "dash": "dot"}
    assert dotted["opacity"] == pytest.approx(0.55) and dotted["marker"] == {"size": [8, 0, 8], "symbol": "circle-open"}
    assert (dotted["legendgroup"], dotted["showlegend"], dotted["connectgaps"]) == ("claude", False, False)
    assert dotted["hovertemplate"] == claude["hovertemplate"].replace("<extra>", "%{customdata[4]}<extra>")
    assert [row[4] for row in dotted["customdata"]] == [
        "<br><i>partial week: 5 of 7 days in the window</i>",
        "",
        "<br><i>partial week: 4 of 7 days in the window</i>",
    ]
    assert dotted["customdata"][0][:4] == list(claude["customdata"][0])  # the numbers of the partial week
    # one legend entry says what the dotted ends are; it has no data and no hover
    assert key["y"] == [None] and key["hoverinfo"] == "skip" and key["line"]["dash"] == "dot"
    assert key["marker"]["symbol"] == "circle-open" and key.get("showlegend") is not False
    assert figure.layout.title.text == "Active minutes per week"  # titles unchanged


def test_only_the_neighbours_of_partial_periods_are_dotted(store: Store) -> None:
    frame = an.activity(store, freq="week", agent="claude", since=utc(3, 4), until=utc(4, 1))
    assert frame["complete"].to_list() == [False, True, True, True, False]
    solid, dotted, _ = traces(plots.activity_figure(frame, "active_minutes"))
    assert solid["y"] == [None, 10080.0, 10080.0, 10080.0, None]
    assert dotted["y"] == [7200.0, 10080.0, None, 10080.0, 2 * 1440.0]  # a gap between the two dotted ends
    assert dotted["marker"]["size"] == [8, 0, 0, 0, 8]


def test_partial_days_say_how_many_hours_are_in_the_window(store: Store) -> None:
    frame = an.activity(store, agent="claude", since=utc(3, 2, 10), until=utc(3, 4, 15))
    figure = plots.activity_figure(frame, freq="day")
    solid, dotted, key = traces(figure)
    assert solid["y"] == [None, 0, None]
    assert [row[4] for row in dotted["customdata"]] == [
        "<br><i>partial day: 14 of 24 hours in the window</i>",
        "",
        "<br><i>partial day: 15 of 24 hours in the window</i>",
    ]
    assert key["name"] == "partial day (only part of it in the window)"


def test_a_window_inside_one_period(store: Store) -> None:
    frame = an.activity(store, freq="week", agent="claude", since=utc(3, 3), until=utc(3, 5, 12))
    solid, dotted, _ = traces(plots.activity_figure(frame, "active_minutes"))
    assert solid["y"] == [None] and dotted["y"] == [2.5 * 1440] and dotted["marker"]["size"] == [8]
    assert dotted["customdata"][0][4] == "<br><i>partial week: 2.5 of 7 days in the window</i>"


def test_a_complete_column_alone_gives_a_plain_note(store: Store) -> None:
    frame = an.activity(store, freq="week", agent="claude", since=utc(3, 4), until=utc(3, 16)).drop("days_in_window")
    _, dotted, _ = traces(plots.activity_figure(frame))
    assert dotted["customdata"][0][4] == "<br><i>partial week: only part of it is in the window</i>"


def test_error_rate_figure_marks_partial_periods(store: Store) -> None:
    window: dict[str, Any] = {"since": utc(3, 9, 12), "until": utc(3, 11, 6)}
    rates = an.error_rate_over_time(store, **window)
    figure = plots.error_rate_figure(rates, freq="day")
    data = traces(figure)
    names = [t["name"] for t in data]
    assert names == [  # claude logged no event in the window
        "gemini",
        "all agents",
        "gemini, partial period",
        "all agents, partial period",
        "partial day (only part of it in the window)",
    ]
    everyone, dotted = data[1], data[3]
    assert everyone["line"]["dash"] == "dash" and everyone["y"] == [None, 0.5, None]  # 03-10: 1 error / 2 events
    assert dotted["line"] == {"color": "#222222", "width": 2.5, "dash": "dot"} and dotted["y"] == [None, 0.5, None]
    assert dotted["customdata"][0][2] == "<br><i>partial day: 12 of 24 hours in the window</i>"
    assert dotted["customdata"][2][2] == "<br><i>partial day: 6 of 24 hours in the window</i>"
    assert "%{customdata[2]}<extra>" in dotted["hovertemplate"]
    # without the coverage columns the error-rate figure cannot tell, and draws as before
    assert [t.name for t in plots.error_rate_figure(rates.drop(COVERAGE), freq="day").data] == ["gemini", "all agents"]
