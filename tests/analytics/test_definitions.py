"""Every analytics function on a hand-built store whose numbers are worked out by hand.

The store (tests/analytics/builders.py) holds a week, [2026-03-02, 2026-03-09) UTC, with sessions on
the window's edges, one that starts before it, one still open that runs past it, a zero-length one,
events without timestamps, and errors by type and by metadata (and two lookalikes that are not errors).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from agentlog import Store
from agentlog import analytics as an
from agentlog.analytics import schemas
from tests.analytics.builders import SINCE, UNTIL, at, by_name

WEEK = {"since": SINCE, "until": UNTIL}


def d(day: int) -> date:
    return date(2026, 3, day)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def test_activity_per_utc_day(hand: Store) -> None:
    frame = an.activity(hand, **WEEK)
    assert frame.schema == schemas.ACTIVITY
    assert frame.height == 3 * 7  # claude, gemini, user x 7 days, zeros included; gpt was idle
    busy = frame.filter((pl.col("sessions") + pl.col("events") + pl.col("active_minutes")) > 0)
    assert busy.select("agent", "period", "sessions", "events", "errors", "active_minutes").rows() == [
        ("claude", d(2), 2, 7, 3, 160.0),  # S8 + S1 started; S8 1, S1 5 (one without time), S2 1 event
        ("claude", d(8), 1, 2, 0, 120.0),  # S3, open: runs to its last event after the window
        ("gemini", d(4), 2, 4, 2, 45.0),
        ("user", d(5), 1, 2, 0, 30.0),
    ]
    assert frame["period_start"].to_list()[:2] == [at(2), at(3)]


def test_activity_per_week_sums_the_days(hand: Store) -> None:
    weekly = an.activity(hand, freq="week", **WEEK)
    assert weekly.schema == schemas.ACTIVITY
    assert weekly.select("agent", "period", "sessions", "events", "errors", "active_minutes").rows() == [
        ("claude", d(2), 3, 9, 3, 280.0),
        ("gemini", d(2), 2, 4, 2, 45.0),
        ("user", d(2), 1, 2, 0, 30.0),
    ]


def test_activity_in_a_time_zone_with_a_dst_change(hand: Store) -> None:
    # New York: EST (UTC-5) until 2026-03-08 02:00, then EDT (UTC-4). The window starts 2026-03-01 19:00 local.
    frame = an.activity(hand, agent="claude", tz="America/New_York", **WEEK)
    assert frame["period"].to_list() == [d(n) for n in range(1, 9)]
    starts = dict(zip(frame["period"], frame["period_start"], strict=True))
    assert starts[d(1)] == datetime(2026, 3, 1, 5, tzinfo=UTC)  # local midnight, before the window
    assert starts[d(8)] == datetime(2026, 3, 8, 5, tzinfo=UTC)  # midnight EST on the day clocks change
    busy = frame.filter(pl.col("events") > 0)
    assert busy.select("period", "sessions", "events", "errors", "active_minutes").rows() == [
        (d(1), 1, 2, 1, 70.0),  # S8 starts 19:00 EST; S2's inside hour is 19:00-20:00 local
        (d(2), 1, 5, 2, 90.0),
        (d(8), 1, 2, 0, 120.0),
    ]


def test_activity_splits_a_session_at_local_midnight_half_hour_zone(hand: Store) -> None:
    # Asia/Kolkata is UTC+05:30: S9 runs 23:50-00:20 local, its events at 23:50 and 00:10.
    frame = an.activity(hand, agent="user", tz="Asia/Kolkata", **WEEK)
    assert frame["period"].to_list() == [d(n) for n in range(2, 10)]
    assert frame["period_start"][0] == datetime(2026, 3, 1, 18, 30, tzinfo=UTC)
    busy = frame.filter(pl.col("active_minutes") > 0)
    assert busy.select("period", "sessions", "events", "active_minutes").rows() == [
        (d(5), 1, 1, 10.0),
        (d(6), 0, 1, 20.0),
    ]


def test_agent_comparison(hand: Store) -> None:
    frame = an.agent_comparison(hand, **WEEK)
    assert frame.schema == schemas.AGENT_COMPARISON
    rows = {row["agent"]: row for row in frame.to_dicts()}
    assert list(rows) == ["claude", "gemini", "user"]
    assert rows["claude"] == {
        "agent": "claude",
        "sessions": 3,  # S8 (at since), S1, S3; not S2 (before), S7 (at until)
        "events": 9,
        "errors": 3,
        "error_rate": 3 / 9,
        "active_minutes": 280.0,  # 10 + 90 + 60 (S2 inside) + 120 (S3 clipped at until)
        "avg_events_per_session": 3.0,  # (1 + 5 + 3) / 3: all events of the sessions started inside
        "median_session_minutes": 90.0,  # 10, 90, 150 (S3 to its last event)
        "active_days": 2,
        "most_active_day": d(2),
        "most_active_day_sessions": 2,
        "first_event_at": at(2, 0, 0),
        "last_event_at": at(8, 23, 30),
    }
    assert (rows["gemini"]["error_rate"], rows["gemini"]["median_session_minutes"]) == (0.5, 22.5)
    assert (rows["user"]["errors"], rows["user"]["error_rate"], rows["user"]["active_minutes"]) == (0, 0.0, 30.0)


def test_errors_by_agent_and_over_time(hand: Store) -> None:
    by_agent = an.errors_by_agent(hand, **WEEK)
    assert by_agent.schema == schemas.ERRORS_BY_AGENT
    assert by_agent.rows() == [("claude", 9, 3, 3 / 9), ("gemini", 4, 2, 0.5), ("user", 2, 0, 0.0)]

    daily = an.error_rate_over_time(hand, agent="claude", **WEEK)
    assert daily.schema == schemas.ERROR_RATE_OVER_TIME
    assert daily.height == 7
    assert daily.select("period", "events", "errors", "error_rate").rows()[0] == (d(2), 7, 3, 3 / 7)
    assert daily.filter(pl.col("events") == 0)["error_rate"].null_count() == 5  # no events: no rate
    assert daily.filter(pl.col("period") == d(8))["error_rate"].item() == 0.0


def test_hour_of_week(hand: Store) -> None:
    cells = an.hour_of_week(hand, **WEEK)
    assert cells.schema == schemas.HOUR_OF_WEEK
    assert cells.height == 168 and cells["events"].sum() == 15
    assert cells.select("weekday", "hour").rows() == [(w, h) for w in range(7) for h in range(24)]
    assert cells["day_name"].unique(maintain_order=True).to_list() == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    busy = cells.filter((pl.col("events") > 0) | (pl.col("sessions") > 0))
    assert busy.select("weekday", "hour", "events", "sessions").rows() == [
        (0, 0, 2, 1),  # S8's event and S2's 00:30 error; S8 started
        (0, 9, 4, 1),  # S1: 09:00, 09:10, 09:20 and the one without a timestamp (at the session start)
        (0, 10, 1, 0),
        (2, 12, 1, 1),
        (2, 14, 3, 1),
        (3, 18, 2, 1),
        (6, 22, 1, 1),
        (6, 23, 1, 0),
    ]
    kolkata = an.hour_of_week(hand, agent="user", tz="Asia/Kolkata", **WEEK)
    assert kolkata.filter(pl.col("events") > 0).select("weekday", "hour", "events").rows() == [(3, 23, 1), (4, 0, 1)]


def test_most_active_day_and_its_tie_break(hand: Store) -> None:
    frame = an.most_active_day(hand, **WEEK)
    assert frame.schema == schemas.MOST_ACTIVE_DAY
    assert frame.rows() == [("claude", d(2), 2), ("gemini", d(4), 2), ("user", d(5), 1)]
    # Starting the window after S8, claude started one session on 03-02 (S1) and one on 03-08 (S3):
    # a tie, which the latest day wins.
    tie = an.most_active_day(hand, agent="claude", since=at(2, 1), until=UNTIL)
    assert tie.rows() == [("claude", d(8), 1)]


def test_events_by_type(hand: Store) -> None:
    frame = an.events_by_type(hand, agent="claude", **WEEK)
    assert frame.schema == schemas.EVENTS_BY_TYPE
    assert frame.rows() == [
        ("claude", "decision_made", 3, 1, 3 / 9),
        ("claude", "task_created", 3, 0, 3 / 9),
        ("claude", "error_encountered", 2, 2, 2 / 9),
        ("claude", "task_completed", 1, 0, 1 / 9),
    ]


def test_session_stats(hand: Store) -> None:
    frame = an.session_stats(hand, **WEEK)
    assert frame.schema == schemas.SESSION_STATS
    names = {str(by_name(n).id): n for n in ["S8", "S1", "S4", "S5", "S9", "S3"]}
    assert [names[i] for i in frame["session_id"]] == ["S8", "S1", "S4", "S5", "S9", "S3"]
    assert frame["duration_minutes"].to_list() == [10.0, 90.0, 0.0, 45.0, 30.0, 150.0]
    assert frame["duration"].to_list() == [minutes(m) for m in (10, 90, 0, 45, 30, 150)]
    assert frame["events"].to_list() == [1, 5, 1, 3, 2, 3]
    assert frame["errors"].to_list() == [0, 2, 0, 2, 0, 0]
    open_session = frame.row(5, named=True)
    assert open_session["ended_at"] is None and open_session["lifecycle"] == "active"
    assert open_session["last_event_at"] == at(9, 0, 30)
    assert frame.row(1, named=True)["last_event_at"] == at(2, 10, 29)  # the event without a time is ignored
    assert frame["project_id"].null_count() == 6 and frame["summary"][1] == "fixed the parser"


def test_session_timeline(hand: Store) -> None:
    s1 = by_name("S1")
    frame = an.session_timeline(hand, s1.id)
    assert frame.schema == schemas.SESSION_TIMELINE
    assert frame["seq"].to_list() == [1, 2, 3, 4, 5]
    assert frame["session_id"].unique().to_list() == [str(s1.id)]
    assert frame["timestamp"].to_list() == [at(2, 9), at(2, 9, 10), None, at(2, 9, 20), at(2, 10, 29)]
    assert frame["offset"].to_list() == [minutes(0), minutes(10), None, minutes(20), minutes(89)]
    # the gap skips the event without a timestamp: 09:20 - 09:10
    assert frame["gap"].to_list() == [None, minutes(10), None, minutes(10), minutes(69)]
    assert frame["idle_before"].to_list() == [False, False, False, False, True]
    assert frame["is_error"].to_list() == [False, True, False, True, False]
    assert frame["event_data"][0] == '{"title": "Fix </script> bug"}'
    # metadata is_error "true" (a string) and false are not errors; the type alone is
    assert an.session_timeline(hand, str(by_name("S3").id))["is_error"].to_list() == [False, False, False]
    assert an.session_timeline(hand, by_name("S2").id)["is_error"].to_list() == [False, True]


def test_window_summary(hand: Store) -> None:
    summary = an.window_summary(hand, days=7, until=UNTIL)
    assert (summary.since, summary.until, summary.agent) == (SINCE, UNTIL, None)
    assert (summary.session_count, summary.event_count, summary.error_count) == (6, 15, 5)
    assert summary.error_rate == 5 / 15 and summary.active_minutes == 355.0
    names = {str(s.id): s.name for s in map(by_name, ["S8", "S1", "S4", "S5", "S9", "S3"])}
    assert [names[i] for i in summary.sessions["session_id"]] == ["S3", "S9", "S5", "S4", "S1", "S8"]
    assert summary.sessions.schema == schemas.SESSION_STATS
    assert summary.event_types.select("event_type", "events", "errors").rows() == [
        ("task_created", 5, 0),
        ("decision_made", 4, 2),
        ("error_encountered", 3, 3),
        ("task_completed", 2, 0),
        ("context_shared", 1, 0),
    ]
    assert summary.event_types["share"].sum() == pytest.approx(1.0)
    text = str(summary)
    assert "6 sessions, 15 events, 5 errors (33.3%), 5.9 active hours" in text
    assert "fixed the parser" in text and "(no summary)" in text

    claude = an.window_summary(hand, agent="claude", since=SINCE, until=UNTIL)
    assert (claude.session_count, claude.event_count, claude.active_minutes) == (3, 9, 280.0)
    assert str(claude).startswith("agent claude, 2026-03-02 00:00 to 2026-03-09 00:00 UTC:")


def test_window_summary_text_counts_one_in_the_singular(store: Store) -> None:
    from tests.analytics.builders import Ev, Sess, load

    load(store, [Sess("one", "claude", at(3), at(3, 1), [Ev("error_encountered", at(3))], summary="a single error")])
    text = str(an.window_summary(store, **WEEK))
    assert "  1 session, 1 event, 1 error (100.0%), " in text
    assert "claude      1 event  a single error" in text


def test_window_summary_reads_one_snapshot(hand: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # An agent logs a session while the summary is being computed, between two of its queries: every
    # part of the summary still counts the same sessions and events (those committed when it started).
    from agentlog.analytics import summary as summary_module
    from tests.analytics.builders import Ev, Sess, load

    original = summary_module.events_by_type

    def events_by_type_after_a_write(store: Store, **kwargs: Any) -> pl.DataFrame:
        late = Sess("late", "claude", at(3), at(3, 1), [Ev("task_created", at(3)), Ev("task_created", at(3, 1))])
        load(store, [late])
        return original(store, **kwargs)

    monkeypatch.setattr(summary_module, "events_by_type", events_by_type_after_a_write)
    summary = an.window_summary(hand, **WEEK)
    assert (summary.session_count, summary.event_count) == (6, 15)
    assert summary.sessions.height == 6 and int(summary.event_types["events"].sum()) == 15
    assert an.window_summary(hand, **WEEK).session_count == 7  # the write did land


def test_activity_report(hand: Store) -> None:
    report = an.activity_report(hand, "claude", days=7, until=UNTIL)
    assert (report.sessions, report.events, report.avg_events_per_session) == (3, 9, 3.0)
    assert (report.most_active_day, report.most_active_day_sessions) == (d(2), 2)
    assert report.by_day.schema == schemas.REPORT_BY_DAY
    assert report.by_day.rows() == [(d(2), 2, 6), (d(8), 1, 3)]  # all events of those sessions, even after until
    assert str(report) == (
        "Activity Report (Last 7 Days)\n  Sessions: 3\n  Events: 9\n  Avg events/session: 3.0\n"
        "  Most active day: 2026-03-02 (2 sessions)"
    )
    newest_two = an.activity_report(hand, "claude", days=7, until=UNTIL, limit=2)  # S3 and S1
    assert (newest_two.sessions, newest_two.events) == (2, 8)
    assert (newest_two.most_active_day, newest_two.most_active_day_sessions) == (d(8), 1)  # tie: the latest day
    idle = an.activity_report(hand, "gpt", days=7, until=UNTIL)
    assert (idle.sessions, idle.events, idle.avg_events_per_session, idle.most_active_day) == (0, 0, None, None)
    assert "Avg events/session: n/a" in str(idle) and "Most active day: n/a" in str(idle)


def test_agent_filter_and_empty_windows_keep_the_schema(hand: Store) -> None:
    assert an.activity(hand, agent="gemini", **WEEK)["agent"].unique().to_list() == ["gemini"]
    empty = {"since": at(1, month=1), "until": at(2, month=1)}
    for fn, schema in [
        (an.activity, schemas.ACTIVITY),
        (an.events_by_type, schemas.EVENTS_BY_TYPE),
        (an.most_active_day, schemas.MOST_ACTIVE_DAY),
        (an.agent_comparison, schemas.AGENT_COMPARISON),
        (an.errors_by_agent, schemas.ERRORS_BY_AGENT),
        (an.error_rate_over_time, schemas.ERROR_RATE_OVER_TIME),
        (an.session_stats, schemas.SESSION_STATS),
    ]:
        frame = fn(hand, **empty)  # type: ignore[operator]
        assert frame.height == 0 and frame.schema == schema, fn
    assert an.activity(hand, agent="nobody", **WEEK).height == 0
    quiet = an.hour_of_week(hand, **empty)
    assert quiet.height == 168 and quiet["events"].sum() == 0


def test_default_window_ends_now(store: Store) -> None:
    from tests.analytics.builders import Ev, Sess, load

    now = datetime.now(UTC)
    load(
        store,
        [
            Sess(
                "N",
                "claude",
                now - timedelta(days=3),
                now - timedelta(days=3) + minutes(30),
                [Ev("task_created", now - timedelta(days=3))],
            ),
            Sess(
                "O",
                "claude",
                now - timedelta(days=40),
                now - timedelta(days=40) + minutes(30),
                [Ev("task_created", now - timedelta(days=40))],
            ),
        ],
    )
    assert an.agent_comparison(store)["sessions"].to_list() == [1]  # 30 days by default
    assert an.agent_comparison(store, days=60)["sessions"].to_list() == [2]
    assert an.window_summary(store).session_count == 1  # 7 days by default
    assert an.activity(store).height in (30, 31)  # 30 days from now touch 31 calendar days (30 at midnight)
