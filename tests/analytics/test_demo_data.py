"""A realistic run: the default demo dataset (about 100k events), checked against Polars computed independently."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from agentlog import Store
from agentlog import analytics as an
from agentlog.demo import DemoData, generate_demo_data, load_demo_data


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate_demo_data()


@pytest.fixture(scope="module")
def loaded(demo: DemoData, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with Store(Path(tmp_path_factory.mktemp("demo")) / "store", embedder=None) as store:
        load_demo_data(store, demo)
        yield store


@pytest.fixture(scope="module")
def frames(demo: DemoData) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Sessions and events as Polars, ids as 16-byte binaries, each event with its session's agent."""
    sessions = pl.from_arrow(demo.sessions)
    events = pl.from_arrow(demo.events)
    assert isinstance(sessions, pl.DataFrame) and isinstance(events, pl.DataFrame)
    events = events.join(sessions.select(pl.col("id").alias("session_id"), "agent", "started_at"), on="session_id")
    return sessions, events


def window(demo: DemoData, days: int = 30) -> dict[str, object]:
    return {"since": demo.params.end - timedelta(days=days), "until": demo.params.end}


def test_activity_matches_an_independent_polars_count(
    loaded: Store, demo: DemoData, frames: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    sessions, events = frames
    w = window(demo)
    inside = events.filter((pl.col("timestamp") >= w["since"]) & (pl.col("timestamp") < w["until"]))
    expected = (
        inside.group_by("agent", pl.col("timestamp").dt.date().alias("period"))
        .agg(
            pl.len().cast(pl.Int64).alias("events"),
            (pl.col("event_type") == "error_encountered").sum().cast(pl.Int64).alias("errors"),
        )
        .sort("agent", "period")
    )
    daily = an.activity(loaded, **w)  # type: ignore[arg-type]
    assert daily.height == 4 * 30
    got = daily.filter(pl.col("events") > 0).select("agent", "period", "events", "errors")
    assert got.equals(expected)

    started = sessions.filter((pl.col("started_at") >= w["since"]) & (pl.col("started_at") < w["until"]))
    per_agent = started.group_by("agent").len().sort("agent")
    table = an.agent_comparison(loaded, **w)  # type: ignore[arg-type]
    assert table["sessions"].to_list() == per_agent["len"].to_list()
    assert (
        table["events"].to_list()
        == daily.group_by("agent").agg(pl.col("events").sum()).sort("agent")["events"].to_list()
    )


def test_active_minutes_match_the_definition(
    loaded: Store, demo: DemoData, frames: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    sessions, events = frames
    w = window(demo)
    last = events.group_by("session_id").agg(pl.col("timestamp").max().alias("last_at"))
    spans = sessions.join(last, left_on="id", right_on="session_id", how="left").with_columns(
        pl.max_horizontal("started_at", pl.coalesce("ended_at", "last_at", "started_at")).alias("end")
    )
    clipped = spans.with_columns(
        (pl.min_horizontal("end", pl.lit(w["until"])) - pl.max_horizontal("started_at", pl.lit(w["since"])))
        .dt.total_microseconds()
        .clip(lower_bound=0)
        .alias("us")
    )
    expected = clipped.group_by("agent").agg((pl.col("us").sum() / 60e6).alias("minutes")).sort("agent")
    table = an.agent_comparison(loaded, **w)  # type: ignore[arg-type]
    assert table["active_minutes"].to_list() == pytest.approx(expected["minutes"].to_list(), rel=1e-12)
    daily = an.activity(loaded, **w)  # type: ignore[arg-type]
    by_day = daily.group_by("agent").agg(pl.col("active_minutes").sum()).sort("agent")
    assert by_day["active_minutes"].to_list() == pytest.approx(expected["minutes"].to_list(), rel=1e-9)


def test_the_functions_agree_with_each_other(loaded: Store, demo: DemoData) -> None:
    w = window(demo, days=90)
    total = an.errors_by_agent(loaded, **w)["events"].sum()  # type: ignore[arg-type]
    assert total == demo.events.num_rows
    assert an.hour_of_week(loaded, **w)["events"].sum() == total  # type: ignore[arg-type]
    assert an.events_by_type(loaded, **w)["events"].sum() == total  # type: ignore[arg-type]
    assert an.activity(loaded, freq="week", tz="Europe/Paris", **w)["events"].sum() == total  # type: ignore[arg-type]
    assert an.session_stats(loaded, **w).height == demo.sessions.num_rows  # type: ignore[arg-type]
    assert an.session_stats(loaded, **w)["events"].sum() == total  # type: ignore[arg-type]
    summary = an.window_summary(loaded, **w)  # type: ignore[arg-type]
    assert (summary.session_count, summary.event_count) == (demo.sessions.num_rows, total)


def test_the_bad_week_shows_up_in_the_error_rate(loaded: Store, demo: DemoData) -> None:
    bad_start, bad_end = demo.params.bad_week
    bad = an.errors_by_agent(loaded, since=bad_start, until=bad_end)
    before = an.errors_by_agent(loaded, since=bad_start - timedelta(days=28), until=bad_start)
    bad_rate = bad["errors"].sum() / bad["events"].sum()
    usual_rate = before["errors"].sum() / before["events"].sum()
    assert bad_rate > 2 * usual_rate
    weekly = an.error_rate_over_time(loaded, freq="week", since=demo.params.start, until=demo.params.end)
    overall = weekly.group_by("period").agg(pl.col("errors").sum() / pl.col("events").sum()).sort("errors")
    worst = overall["period"][-1]  # the Monday of the worst ISO week: one that overlaps the bad week
    assert bad_start.date() - timedelta(days=6) <= worst < bad_end.date()


def test_quiet_weekends_and_workflow5(loaded: Store, demo: DemoData, frames: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    cells = an.hour_of_week(loaded, **window(demo, days=84))  # type: ignore[arg-type]
    per_day = cells.group_by("weekday").agg(pl.col("events").sum()).sort("weekday")["events"].to_list()
    assert max(per_day[5:]) < min(per_day[:5])

    sessions, events = frames
    until = demo.params.end
    week = sessions.filter(
        (pl.col("agent") == "claude")
        & (pl.col("started_at") >= until - timedelta(days=7))
        & (pl.col("started_at") < until)
    )
    counts = events.filter(pl.col("session_id").is_in(week["id"].implode())).height
    report = an.activity_report(loaded, "claude", days=7, until=until)
    assert (report.sessions, report.events) == (week.height, counts)
