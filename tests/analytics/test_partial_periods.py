"""The ``complete`` and ``days_in_window`` columns of activity(): which periods the window only partly covers.

A window ``[since, until)`` that starts or ends inside a day (a week) makes its first or last period
partial: the period's numbers count only the part in the window. The store holds LONG_SESSION, one
claude session running from October 2025 to May 2026 (so claude is active in every window below, and
its active minutes measure how much real time of each period is in the window).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from agentlog import Store, ValidationError
from agentlog import analytics as an
from agentlog.analytics import schemas
from tests.analytics.builders import LONG_SESSION, load

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def long_store() -> Iterator[Store]:
    with Store.memory(embedder=None) as store:
        load(store, [LONG_SESSION])
        yield store


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def coverage(frame: pl.DataFrame) -> list[tuple[date, bool, float]]:
    return [(p, c, round(d, 6)) for p, c, d in frame.select("period", "complete", "days_in_window").rows()]


def _floor(day: datetime, freq: str) -> datetime:
    start = day.replace(hour=0, minute=0, second=0, microsecond=0)
    return start - timedelta(days=start.weekday()) if freq == "week" else start


def reference(freq: str, tz: str, since: datetime, until: datetime) -> list[tuple[date, bool, float]]:
    """The periods of the window and their coverage, worked out with zoneinfo (local wall-clock time)."""
    zone = ZoneInfo(tz)
    local_since = since.astimezone(zone).replace(tzinfo=None)
    local_until = until.astimezone(zone).replace(tzinfo=None)
    last = (until - timedelta(microseconds=1)).astimezone(zone).replace(tzinfo=None)
    step = timedelta(days=7 if freq == "week" else 1)
    rows = []
    start = _floor(local_since, freq)
    while start <= last:
        end = start + step
        complete = start.replace(tzinfo=zone) >= since and end.replace(tzinfo=zone) <= until
        inside = min(end, local_until) - max(start, local_since)
        days = step.days if complete else inside / timedelta(days=1)
        rows.append((start.date(), complete, round(days, 6)))
        start = end
    return rows


def test_the_columns_are_documented_and_last(long_store: Store) -> None:
    frame = an.activity(long_store, since=utc(2026, 3, 2, 12), until=utc(2026, 3, 4))
    assert frame.schema == schemas.ACTIVITY
    assert frame.columns[-2:] == ["complete", "days_in_window"]
    assert frame.columns[:7] == ["agent", "period", "period_start", "sessions", "events", "errors", "active_minutes"]
    empty = an.activity(long_store, since=utc(2027, 1, 1), until=utc(2027, 1, 2))
    assert empty.height == 0 and empty.schema == schemas.ACTIVITY


@pytest.mark.parametrize(
    ("freq", "since", "until", "expected"),
    [
        # whole UTC days: every day complete, and no empty day after `until`
        ("day", utc(2026, 3, 2), utc(2026, 3, 5), [(date(2026, 3, n), True, 1.0) for n in (2, 3, 4)]),
        # starts at 10:00 and ends at 15:00: the first and last days are partial, kept, and say how much is in
        (
            "day",
            utc(2026, 3, 2, 10),
            utc(2026, 3, 4, 15),
            [
                (date(2026, 3, 2), False, round(14 / 24, 6)),
                (date(2026, 3, 3), True, 1.0),
                (date(2026, 3, 4), False, 0.625),
            ],
        ),
        # inside one day
        ("day", utc(2026, 3, 3, 6), utc(2026, 3, 3, 18), [(date(2026, 3, 3), False, 0.5)]),
        # Monday to Monday: whole weeks
        ("week", utc(2026, 3, 2), utc(2026, 3, 16), [(date(2026, 3, 2), True, 7.0), (date(2026, 3, 9), True, 7.0)]),
        # Wednesday to Friday: the first week has 5 of its days, the last 4
        ("week", utc(2026, 3, 4), utc(2026, 3, 13), [(date(2026, 3, 2), False, 5.0), (date(2026, 3, 9), False, 4.0)]),
        # on a Monday to mid-week: only the end is partial
        (
            "week",
            utc(2026, 3, 2),
            utc(2026, 3, 18, 12),
            [(date(2026, 3, 2), True, 7.0), (date(2026, 3, 9), True, 7.0), (date(2026, 3, 16), False, 2.5)],
        ),
        # mid-week to a Monday: only the start is partial
        ("week", utc(2026, 3, 7), utc(2026, 3, 16), [(date(2026, 3, 2), False, 2.0), (date(2026, 3, 9), True, 7.0)]),
        # within one week
        ("week", utc(2026, 3, 3), utc(2026, 3, 5), [(date(2026, 3, 2), False, 2.0)]),
    ],
)
def test_partial_periods_in_utc(
    long_store: Store, freq: str, since: datetime, until: datetime, expected: list[tuple[date, bool, float]]
) -> None:
    frame = an.activity(long_store, freq=freq, since=since, until=until)  # type: ignore[arg-type]
    assert coverage(frame) == expected
    # in UTC, local time is real time: the session's active minutes are the covered days
    assert frame["active_minutes"].to_list() == pytest.approx([d * 1440 for _, _, d in expected])


def test_a_window_of_utc_days_is_partial_in_another_time_zone(long_store: Store) -> None:
    # 2026-03-02 00:00 UTC is 01:00 in Paris (CET): the local Monday has 23 of its hours in the window
    frame = an.activity(long_store, freq="week", since=utc(2026, 3, 2), until=utc(2026, 3, 9), tz="Europe/Paris")
    assert coverage(frame) == [(date(2026, 3, 2), False, round(7 - 1 / 24, 6)), (date(2026, 3, 9), False, 0.041667)]
    aligned = an.activity(
        long_store,
        freq="week",
        since=datetime(2026, 3, 2, tzinfo=PARIS),
        until=datetime(2026, 3, 9, tzinfo=PARIS),
        tz="Europe/Paris",
    )
    assert coverage(aligned) == [(date(2026, 3, 2), True, 7.0)]
    assert aligned["period_start"].to_list() == [utc(2026, 3, 1, 23)]


def test_weeks_with_a_dst_change_are_whole_local_weeks(long_store: Store) -> None:
    # Paris springs forward on Sunday 2026-03-29: the local week of 03-23 lasts 167 hours, and is complete
    since, until = datetime(2026, 3, 23, tzinfo=PARIS), datetime(2026, 3, 30, tzinfo=PARIS)
    assert until.astimezone(UTC) - since.astimezone(UTC) == timedelta(hours=167)
    spring = an.activity(long_store, freq="week", since=since, until=until, tz="Europe/Paris")
    assert coverage(spring) == [(date(2026, 3, 23), True, 7.0)]
    assert spring["active_minutes"].to_list() == [167 * 60]
    # 7 x 24 hours from the same Monday run an hour into the next local week
    week_later = since.astimezone(UTC) + timedelta(days=7)  # (datetime arithmetic in PARIS would be wall-clock)
    longer = an.activity(long_store, freq="week", since=since, until=week_later, tz="Europe/Paris")
    assert coverage(longer) == [(date(2026, 3, 23), True, 7.0), (date(2026, 3, 30), False, 0.041667)]
    # Paris falls back on Sunday 2025-10-26: a 169-hour week, complete
    autumn = an.activity(
        long_store,
        freq="week",
        since=datetime(2025, 10, 20, tzinfo=PARIS),
        until=datetime(2025, 10, 27, tzinfo=PARIS),
        tz="Europe/Paris",
    )
    assert coverage(autumn) == [(date(2025, 10, 20), True, 7.0)]
    assert autumn["active_minutes"].to_list() == [169 * 60]


def test_days_with_a_dst_change(long_store: Store) -> None:
    # New York springs forward on Sunday 2026-03-08: a 23-hour day, complete from midnight to midnight
    since, until = datetime(2026, 3, 8, tzinfo=NEW_YORK), datetime(2026, 3, 9, tzinfo=NEW_YORK)
    day = an.activity(long_store, since=since, until=until, tz="America/New_York")
    assert coverage(day) == [(date(2026, 3, 8), True, 1.0)] and day["active_minutes"].to_list() == [23 * 60]
    # to 12:00 local (EDT): half the local day by the clock, 11 real hours
    noon = an.activity(long_store, since=since, until=datetime(2026, 3, 8, 12, tzinfo=NEW_YORK), tz="America/New_York")
    assert coverage(noon) == [(date(2026, 3, 8), False, 0.5)] and noon["active_minutes"].to_list() == [11 * 60]


WINDOWS: list[tuple[str, str, datetime, datetime]] = [
    (freq, tz, since, until)
    for freq in ("day", "week")
    for tz in ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe")
    for since, until in [
        (utc(2026, 3, 2), utc(2026, 3, 9)),
        (utc(2026, 3, 26, 7, 30), utc(2026, 4, 7, 13, 15)),  # over Paris' DST change, mid-day at both ends
        (utc(2026, 4, 1, 15), utc(2026, 4, 9, 15)),  # over Lord Howe's half-hour DST change
        (utc(2025, 10, 20), utc(2025, 11, 10)),  # over Paris' and New York's autumn changes
        (datetime(2026, 3, 1, tzinfo=ZoneInfo(tz)), datetime(2026, 4, 1, tzinfo=ZoneInfo(tz))),  # local days
    ]
]


@pytest.mark.parametrize(("freq", "tz", "since", "until"), WINDOWS)
def test_coverage_matches_zoneinfo(long_store: Store, freq: str, tz: str, since: datetime, until: datetime) -> None:
    frame = an.activity(long_store, freq=freq, since=since, until=until, tz=tz)  # type: ignore[arg-type]
    assert coverage(frame) == reference(freq, tz, since, until)
    # only the first and the last period can be partial, the others are whole
    assert frame["complete"].slice(1, max(frame.height - 2, 0)).all()


def test_local_day_windows_have_only_complete_days(long_store: Store) -> None:
    for tz in ("UTC", "Europe/Paris", "Asia/Kolkata"):
        zone = ZoneInfo(tz)
        frame = an.activity(
            long_store, since=datetime(2026, 3, 20, tzinfo=zone), until=datetime(2026, 4, 3, tzinfo=zone), tz=tz
        )
        assert frame.height == 14 and frame["complete"].all() and frame["days_in_window"].to_list() == [1.0] * 14


def test_complete_only_drops_the_partial_periods(long_store: Store) -> None:
    window: dict[str, Any] = {"freq": "week", "since": utc(2026, 3, 4), "until": utc(2026, 3, 25)}
    every = an.activity(long_store, **window)
    whole = an.activity(long_store, complete_only=True, **window)
    assert every["period"].to_list() == [date(2026, 3, n) for n in (2, 9, 16, 23)]  # nothing dropped by default
    assert whole["period"].to_list() == [date(2026, 3, 9), date(2026, 3, 16)]
    assert whole.schema == schemas.ACTIVITY and whole.equals(every.filter(pl.col("complete")))
    inside = an.activity(long_store, complete_only=True, freq="week", since=utc(2026, 3, 3), until=utc(2026, 3, 5))
    assert inside.height == 0 and inside.schema == schemas.ACTIVITY
    with pytest.raises(ValidationError, match="complete_only must be True or False"):
        an.activity(long_store, complete_only="yes")  # type: ignore[arg-type]


def test_error_rates_have_the_periods_of_activity(long_store: Store) -> None:
    # error_rate_over_time keeps its schema; its periods are activity's, so the coverage joins on them
    window: dict[str, Any] = {"freq": "week", "since": utc(2026, 3, 4), "until": utc(2026, 3, 25), "tz": "Asia/Kolkata"}
    rates = an.error_rate_over_time(long_store, **window)
    assert rates.schema == schemas.ERROR_RATE_OVER_TIME
    activity = an.activity(long_store, **window)
    assert rates["period"].to_list() == activity["period"].to_list()
    assert rates["period_start"].to_list() == activity["period_start"].to_list()


def test_a_day_whose_midnight_happens_twice_starts_at_the_first(long_store: Store) -> None:
    # Atlantic/Azores falls back on Sunday 2025-10-26 from 01:00 (UTC+0) to 00:00 (UTC-1): local midnight happens
    # at 00:00 and again at 01:00 UTC. The day starts at the first one and lasts 25 real hours.
    azores: dict[str, Any] = {"tz": "Atlantic/Azores"}
    frame = an.activity(long_store, since=utc(2025, 10, 25, 1), until=utc(2025, 10, 28, 1), **azores)
    assert frame["period_start"].to_list() == [utc(2025, 10, 25), utc(2025, 10, 26), utc(2025, 10, 27, 1)]
    assert coverage(frame) == [
        (date(2025, 10, 25), False, round(23 / 24, 6)),
        (date(2025, 10, 26), True, 1.0),
        (date(2025, 10, 27), True, 1.0),
    ]
    assert frame["active_minutes"].to_list() == [23 * 60, 25 * 60, 24 * 60]
    # a window entering that day during its first hour covers only part of it
    since, until = utc(2025, 10, 26, 0, 30), utc(2025, 10, 27, 1)
    late = an.activity(long_store, since=since, until=until, **azores)
    assert coverage(late) == reference("day", azores["tz"], since, until) == [(date(2025, 10, 26), False, 0.979167)]
    assert late["active_minutes"].to_list() == [24.5 * 60]
