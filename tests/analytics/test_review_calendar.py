"""The calendar arithmetic of the analytics, checked against an independent pure-Python reference (zoneinfo).

Random stores (a few sessions of two agents, with events, some without a timestamp, some errors) and random
windows placed around the DST changes (and other offset changes) of hard time zones: half-hour DST
(Lord Howe), +05:45 (Kathmandu), -03:30 (St John's), a skipped calendar day (Apia, 2011-12-30), +12:45
(Chatham), DST suspended in Ramadan (Casablanca), midnight happening twice (Azores, Havana) or never
(Santiago). Every per-day / per-week / per-hour number, period bound, coverage and busiest day the
helpers return is recomputed here from the definitions in :mod:`agentlog.analytics`, one event at a time.

The instants stay before 2026-06: DuckDB's ICU and the system's tzdata disagree about some zones
after that (Casablanca's and Havana's future rules), which is a data difference, not a bug.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentlog import Store, ValidationError, plots
from agentlog import analytics as an
from agentlog.analytics import schemas
from agentlog.analytics.window import Freq, Window, slot_minutes
from tests.analytics.builders import Ev, Sess, load

ZONES = [
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Pacific/Apia",
    "Pacific/Chatham",
    "Africa/Casablanca",
    "Atlantic/Azores",
    "America/Havana",
    "America/Santiago",
    "Antarctica/Casey",
    "Asia/Gaza",
]
FIRST = datetime(2005, 1, 1, tzinfo=UTC)
LAST = datetime(2026, 6, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
DAY = timedelta(days=1)
AGENTS = ("claude", "gemini")
UNITS: tuple[Freq, ...] = ("day", "week")
ERROR_TYPES = ("error_encountered", "task_created", "decision_made")

EXAMPLES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


# --- the reference -----------------------------------------------------------------------------------------


def wall(instant: datetime, zone: ZoneInfo) -> datetime:
    """The wall clock (naive) in ``zone`` at ``instant``."""
    return instant.astimezone(zone).replace(tzinfo=None)


def first_instant(local: datetime, zone: ZoneInfo) -> datetime:
    """The first instant at which the wall clock in ``zone`` reads ``local`` or later (for a skipped time: the jump)."""
    found = [u for fold in (0, 1) if wall(u := local.replace(tzinfo=zone, fold=fold).astimezone(UTC), zone) == local]
    if found:
        return min(found)
    ends = sorted(local.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))
    lo, hi = ends  # wall(lo) < local <= wall(hi): find the first instant whose wall clock reaches local
    while hi - lo > US:
        mid = lo + (hi - lo) // 2
        if wall(mid, zone) >= local:
            hi = mid
        else:
            lo = mid
    return hi


def floor_period(local: datetime, unit: str) -> datetime:
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start - timedelta(days=start.weekday()) if unit == "week" else start


@dataclass(frozen=True)
class Period:
    period: date
    start: datetime
    end: datetime
    complete: bool
    days_in_window: float


def periods(unit: str, zone: ZoneInfo, since: datetime, until: datetime) -> list[Period]:
    """Every local day / ISO week overlapping ``[since, until)``, with its bounds and its coverage (documented)."""
    step = timedelta(days=7 if unit == "week" else 1)
    local_since, local_until, last = wall(since, zone), wall(until, zone), wall(until - US, zone)
    out = []
    local = floor_period(local_since, unit)
    while local <= last:
        start, end = first_instant(local, zone), first_instant(local + step, zone)
        complete = start >= since and end <= until
        inside = (min(local + step, local_until) - max(local, local_since)) / DAY
        out.append(Period(local.date(), start, end, complete, float(step.days) if complete else max(inside, 0.0)))
        local += step
    return out


@dataclass(frozen=True)
class Happening:
    agent: str
    session: uuid.UUID
    at: datetime
    is_error: bool


def happenings(sessions: list[Sess], since: datetime, until: datetime) -> list[Happening]:
    """The events in the window, at their timestamp or their session's start."""
    out = []
    for s in sessions:
        for e in s.events:
            at = e.timestamp or s.started_at
            if since <= at < until:
                error = e.event_type == "error_encountered" or e.metadata.get("is_error") is True
                out.append(Happening(s.agent, s.id, at, error))
    return out


def span(s: Sess) -> tuple[datetime, datetime]:
    stamps = [e.timestamp for e in s.events if e.timestamp is not None]
    end = s.ended_at or (max(stamps) if stamps else s.started_at)
    return s.started_at, max(s.started_at, end)


def overlap_minutes(a: tuple[datetime, datetime], lo: datetime, hi: datetime) -> float:
    return max((min(a[1], hi) - max(a[0], lo)) / timedelta(minutes=1), 0.0)


def started(sessions: list[Sess], since: datetime, until: datetime) -> list[Sess]:
    return [s for s in sessions if since <= s.started_at < until]


def active_agents(sessions: list[Sess], since: datetime, until: datetime) -> set[str]:
    """Agents with an event, a session start or some session time in the window."""
    agents = {h.agent for h in happenings(sessions, since, until)} | {s.agent for s in started(sessions, since, until)}
    for s in sessions:
        a, b = span(s)
        if a < until and b > since and (a < b or since < a):
            agents.add(s.agent)
    return agents


def ref_activity(sessions: list[Sess], unit: str, tz: str, since: datetime, until: datetime) -> list[tuple[Any, ...]]:
    zone = ZoneInfo(tz)
    grid = periods(unit, zone, since, until)
    events: Counter[tuple[str, date]] = Counter()
    errors: Counter[tuple[str, date]] = Counter()
    for h in happenings(sessions, since, until):
        key = (h.agent, floor_period(wall(h.at, zone), unit).date())
        events[key] += 1
        errors[key] += h.is_error
    starts = Counter(
        (s.agent, floor_period(wall(s.started_at, zone), unit).date()) for s in started(sessions, since, until)
    )
    rows = []
    for agent in sorted(active_agents(sessions, since, until)):
        for p in grid:
            minutes = sum(
                overlap_minutes(span(s), max(p.start, since), min(p.end, until)) for s in sessions if s.agent == agent
            )
            key = (agent, p.period)
            rows.append(
                (agent, p.period, p.start, starts[key], events[key], errors[key], minutes, p.complete, p.days_in_window)
            )
    return rows


def ref_hour_of_week(
    sessions: list[Sess], tz: str, since: datetime, until: datetime
) -> list[tuple[int, int, int, int]]:
    zone = ZoneInfo(tz)
    events = Counter((wall(h.at, zone).weekday(), wall(h.at, zone).hour) for h in happenings(sessions, since, until))
    starts = Counter(
        (wall(s.started_at, zone).weekday(), wall(s.started_at, zone).hour) for s in started(sessions, since, until)
    )
    return [(d, h, events[d, h], starts[d, h]) for d in range(7) for h in range(24)]


def busiest(days: Counter[date]) -> tuple[date, int] | None:
    """The day with the most session starts, the latest on a tie."""
    return max(days.items(), key=lambda item: (item[1], item[0]), default=None)


def ref_most_active_day(sessions: list[Sess], tz: str, since: datetime, until: datetime) -> list[tuple[str, date, int]]:
    zone = ZoneInfo(tz)
    per: dict[str, Counter[date]] = defaultdict(Counter)
    for s in started(sessions, since, until):
        per[s.agent][wall(s.started_at, zone).date()] += 1
    return [(agent, *top) for agent in sorted(per) if (top := busiest(per[agent])) is not None]


def ref_comparison(sessions: list[Sess], tz: str, since: datetime, until: datetime) -> list[tuple[Any, ...]]:
    zone = ZoneInfo(tz)
    seen = happenings(sessions, since, until)
    tops = {agent: (day, n) for agent, day, n in ref_most_active_day(sessions, tz, since, until)}
    rows = []
    for agent in sorted(active_agents(sessions, since, until)):
        mine = [h for h in seen if h.agent == agent]
        minutes = sum(overlap_minutes(span(s), since, until) for s in sessions if s.agent == agent)
        day, n = tops.get(agent, (None, None))
        rows.append(
            (
                agent,
                sum(1 for s in started(sessions, since, until) if s.agent == agent),
                len(mine),
                sum(h.is_error for h in mine),
                minutes,
                len({wall(h.at, zone).date() for h in mine}),
                day,
                n,
                min((h.at for h in mine), default=None),
                max((h.at for h in mine), default=None),
            )
        )
    return rows


# --- the data ------------------------------------------------------------------------------------------------


@cache
def transitions(tz: str) -> tuple[datetime, ...]:
    """The instants (to the second) at which the UTC offset of ``tz`` changes in [FIRST, LAST)."""
    zone = ZoneInfo(tz)
    out = []
    t = FIRST
    while t < LAST:
        nxt = t + DAY
        if t.astimezone(zone).utcoffset() != nxt.astimezone(zone).utcoffset():
            lo, hi = t, nxt
            while hi - lo > timedelta(seconds=1):
                mid = (lo + (hi - lo) // 2).replace(microsecond=0)
                if mid.astimezone(zone).utcoffset() == lo.astimezone(zone).utcoffset():
                    lo = mid
                else:
                    hi = mid
            out.append(hi)
        t = nxt
    return tuple(out)


@st.composite
def anchors(draw: st.DrawFn) -> tuple[str, datetime]:
    """A zone and one of its offset changes (or a random midnight UTC)."""
    tz = draw(st.sampled_from(ZONES))
    near = transitions(tz)
    on_a_change = draw(st.booleans())
    if near and on_a_change:
        base = draw(st.sampled_from(near))
    else:
        base = FIRST + timedelta(days=draw(st.integers(0, (LAST - FIRST).days - 60)))
    return tz, base


def quarter_hours(lo: int, hi: int) -> st.SearchStrategy[timedelta]:
    return st.integers(lo * 96, hi * 96).map(lambda n: timedelta(minutes=15 * n))


@st.composite
def windows(draw: st.DrawFn) -> tuple[str, datetime, datetime]:
    """A zone and a window around ``anchors``: odd lengths, local midnights, a microsecond, 1-16 days."""
    tz, base = draw(anchors())
    zone = ZoneInfo(tz)
    kind = draw(st.sampled_from(["free", "local days", "tiny"]))
    if kind == "local days":
        first = floor_period(wall(base, zone), draw(st.sampled_from(["day", "week"])))
        first += timedelta(days=draw(st.integers(-3, 1)))
        since = first_instant(first, zone)
        until = first_instant(first + timedelta(days=draw(st.integers(1, 15))), zone)
        if until <= since:  # a skipped day
            until = since + DAY
    else:
        since = base + draw(quarter_hours(-3, 2)) + draw(st.sampled_from([timedelta(0), US, -US]))
        if kind == "tiny":
            length = draw(st.sampled_from([US, timedelta(minutes=1), timedelta(minutes=40), timedelta(hours=1)]))
        else:
            length = draw(quarter_hours(0, 16)) + draw(st.sampled_from([timedelta(0), US])) or US
        until = since + length
    return tz, since, until


def at_or_after(instants: st.SearchStrategy[datetime], start: datetime) -> st.SearchStrategy[datetime]:
    return instants.filter(lambda t: t >= start)


@st.composite
def stores(draw: st.DrawFn) -> tuple[str, datetime, datetime, list[Sess]]:
    """A window and sessions around it, with instants on its edges and on period boundaries."""
    tz, since, until = draw(windows())
    zone = ZoneInfo(tz)
    bounds = [p.start for unit in ("day", "week") for p in periods(unit, zone, since, until)]
    changes = [t for t in transitions(tz) if since - 2 * DAY < t < until + 2 * DAY]
    special = [since, until, since - US, until - US, *bounds, *(b - US for b in bounds)]
    special += [t + timedelta(minutes=m) for t in changes for m in (-1, 0, 1, 4, 14)]
    instant = st.one_of(
        st.sampled_from(special),
        st.integers(-36 * 4, int((until - since) / timedelta(minutes=15)) + 36 * 4).map(
            lambda n: since + timedelta(minutes=15 * n)
        ),
        st.integers(-2 * 86_400, int((until - since).total_seconds()) + 2 * 86_400).map(
            lambda n: since + timedelta(seconds=n)
        ),
    )
    sessions = []
    for n in range(draw(st.integers(0, 5))):
        start = draw(instant)
        later = at_or_after(instant, start)
        stamps = draw(st.lists(st.one_of(st.none(), later), max_size=6))  # in any order, some without a time
        events = [
            Ev(
                draw(st.sampled_from(ERROR_TYPES)),
                t,
                metadata={"is_error": True} if draw(st.booleans()) and draw(st.booleans()) else {},
            )
            for t in stamps
        ]
        ended = draw(st.one_of(st.none(), later))
        sessions.append(Sess(f"S{n}", draw(st.sampled_from(AGENTS)), start, ended, events))
    return tz, since, until, sessions


@dataclass
class Built:
    tz: str
    since: datetime
    until: datetime
    sessions: list[Sess]
    store: Store

    @property
    def window(self) -> dict[str, Any]:
        return {"since": self.since, "until": self.until, "tz": self.tz}


def built(case: tuple[str, datetime, datetime, list[Sess]]) -> Iterator[Built]:
    tz, since, until, sessions = case
    with Store.memory(embedder=None) as store:
        if sessions:
            load(store, sessions)
        yield Built(tz, since, until, sessions, store)


def rows(frame: pl.DataFrame) -> list[tuple[Any, ...]]:
    return [tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in frame.rows()]


def rounded(expected: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in expected]


# --- the properties -------------------------------------------------------------------------------------------


@EXAMPLES
@given(stores())
def test_activity_and_error_rates_match_zoneinfo(case: tuple[str, datetime, datetime, list[Sess]]) -> None:
    for b in built(case):
        for unit in UNITS:
            frame = an.activity(b.store, freq=unit, **b.window)
            assert frame.schema == schemas.ACTIVITY
            assert rows(frame) == rounded(ref_activity(b.sessions, unit, b.tz, b.since, b.until)), unit
            rates = an.error_rate_over_time(b.store, freq=unit, **b.window)
            assert rates.schema == schemas.ERROR_RATE_OVER_TIME
            with_events = set(frame.filter(pl.col("events") > 0)["agent"].to_list())
            expected = frame.filter(pl.col("agent").is_in(list(with_events))).select(
                "agent",
                "period",
                "period_start",
                "events",
                "errors",
                pl.when(pl.col("events") > 0).then(pl.col("errors") / pl.col("events")).alias("error_rate"),
                "complete",
                "days_in_window",
            )
            assert rows(rates) == rows(expected), unit


@EXAMPLES
@given(stores())
def test_hours_busiest_days_and_comparison_match_zoneinfo(case: tuple[str, datetime, datetime, list[Sess]]) -> None:
    for b in built(case):
        cells = an.hour_of_week(b.store, **b.window)
        assert cells.schema == schemas.HOUR_OF_WEEK and cells.height == 168
        assert cells.select("weekday", "hour", "events", "sessions").rows() == ref_hour_of_week(
            b.sessions, b.tz, b.since, b.until
        )
        top = an.most_active_day(b.store, **b.window)
        assert top.schema == schemas.MOST_ACTIVE_DAY
        assert top.rows() == ref_most_active_day(b.sessions, b.tz, b.since, b.until)
        table = an.agent_comparison(b.store, **b.window)
        assert table.schema == schemas.AGENT_COMPARISON
        got = table.select(
            "agent",
            "sessions",
            "events",
            "errors",
            "active_minutes",
            "active_days",
            "most_active_day",
            "most_active_day_sessions",
            "first_event_at",
            "last_event_at",
        )
        assert rows(got) == rounded(ref_comparison(b.sessions, b.tz, b.since, b.until))
        summary = an.window_summary(b.store, **b.window)
        assert summary.agents.equals(table)
        assert summary.session_count == len(started(b.sessions, b.since, b.until))
        assert summary.event_count == len(happenings(b.sessions, b.since, b.until))
        assert str(summary)
        stats = an.session_stats(b.store, since=b.since, until=b.until)
        assert stats.schema == schemas.SESSION_STATS
        assert stats.select("started_at", "session_id", "duration").rows() == sorted(
            (s.started_at, str(s.id), span(s)[1] - span(s)[0]) for s in started(b.sessions, b.since, b.until)
        )
        for agent in AGENTS:  # the guide's Workflow 5 counts UTC days of the sessions started in the window
            report = an.activity_report(b.store, agent, days=max(1, (b.until - b.since).days), until=b.until)
            mine = [s for s in started(b.sessions, report.since, report.until) if s.agent == agent]
            days = Counter(s.started_at.date() for s in mine)
            assert report.by_day.rows() == [
                (day, n, sum(len(s.events) for s in mine if s.started_at.date() == day))
                for day, n in sorted(days.items())
            ]
            assert (report.most_active_day, report.most_active_day_sessions) == (busiest(days) or (None, 0))


@pytest.fixture(scope="module")
def grid_store() -> Iterator[Store]:
    """One claude session over the whole range: every period of every window appears in activity()."""
    with Store.memory(embedder=None) as store:
        load(store, [Sess("L", "claude", FIRST - 30 * DAY, LAST + 30 * DAY, [])])
        yield store


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(window=windows())
def test_period_grid_matches_zoneinfo(grid_store: Store, window: tuple[str, datetime, datetime]) -> None:
    """Only the grid: bounds and coverage of many more windows."""
    tz, since, until = window
    zone = ZoneInfo(tz)
    for unit in UNITS:
        got = an.activity(grid_store, freq=unit, since=since, until=until, tz=tz)
        grid = periods(unit, zone, since, until)
        assert got.select("period", "period_start", "complete").rows() == [
            (p.period, p.start, p.complete) for p in grid
        ]
        assert [round(v, 6) for v in got["days_in_window"]] == [round(p.days_in_window, 6) for p in grid], unit
        # no period holds a negative amount of the window, nor more than the whole period
        assert all(0 <= v <= (7 if unit == "week" else 1) for v in got["days_in_window"]), unit
        # the session's minutes in each period are the real time of the period inside the window
        expected = [(min(p.end, until) - max(p.start, since)) / timedelta(minutes=1) for p in grid]
        assert [round(v, 6) for v in got["active_minutes"]] == [round(max(v, 0.0), 6) for v in expected], unit


# --- directed cases -------------------------------------------------------------------------------------------


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "instant"),
    [
        # St John's changed its clocks at 00:01 local until 2011: at 02:31 UTC on 2005-10-30 it went back from
        # Sunday 00:01 (NDT) to Saturday 23:01 (NST); 02:35 UTC is Saturday 23:05, not Sunday 00:05
        ("America/St_Johns", utc(2005, 10, 30, 2, 35)),
        # and forward at 03:31 UTC on 2006-04-02 from 00:01 (NST) to 01:01 (NDT): 03:40 UTC is 01:10, hour 1
        ("America/St_Johns", utc(2006, 4, 2, 3, 40)),
        # Casey station went from +08 to +11 at 16:01 UTC on 2020-10-03: 16:05 UTC is 03:05 local, hour 3
        ("Antarctica/Casey", utc(2020, 10, 3, 16, 5)),
        # Gaza sprang forward at 00:01 local (22:01 UTC) on 2010-03-27
        ("Asia/Gaza", utc(2010, 3, 26, 22, 5)),
    ],
)
def test_an_event_just_after_an_offset_change_off_the_quarter_hour(tz: str, instant: datetime) -> None:
    """Events are bucketed by their own local day and hour, like session starts at the same instant."""
    local = wall(instant, ZoneInfo(tz))
    session = Sess("A", "claude", instant, instant + timedelta(minutes=1), [Ev("task_created", instant)])
    with Store.memory(embedder=None) as store:
        load(store, [session])
        window: dict[str, Any] = {"since": instant - DAY, "until": instant + DAY, "tz": tz}
        daily = an.activity(store, **window)
        assert daily.filter(pl.col("events") > 0).select("period", "events", "sessions").rows() == [
            (local.date(), 1, 1)
        ]
        cells = an.hour_of_week(store, **window)
        assert cells.filter(pl.col("events") > 0).select("weekday", "hour", "events", "sessions").rows() == [
            (local.weekday(), local.hour, 1, 1)
        ]
        table = an.agent_comparison(store, **window)
        assert table.select("active_days", "most_active_day").rows() == [(1, local.date())]


def test_days_in_window_is_never_negative_in_a_fold() -> None:
    """A window inside New York's repeated hour (2025-11-02, 01:00-02:00 twice) ends at an earlier wall time."""
    session = Sess("A", "claude", utc(2025, 11, 1), utc(2025, 11, 3), [])
    since, until = utc(2025, 11, 2, 5, 30), utc(2025, 11, 2, 6, 10)  # 01:30 EDT to 01:10 EST: 40 minutes
    with Store.memory(embedder=None) as store:
        load(store, [session])
        for unit in UNITS:
            frame = an.activity(store, freq=unit, since=since, until=until, tz="America/New_York")
            assert frame.select("complete", "days_in_window", "active_minutes").rows() == [(False, 0.0, 40.0)]
            figure = plots.activity_figure(frame, freq=unit)
            assert "-" not in str(figure.to_dict()["data"][-2]["customdata"])


def test_active_minutes_are_never_negative_when_the_date_goes_back() -> None:
    """St John's went back from 10-30 00:01 to 10-29 23:01: a window then lies in 10-29 after its first end."""
    session = Sess("A", "claude", utc(2005, 10, 29), utc(2005, 10, 31), [])
    since = utc(2005, 10, 30, 2, 40)  # 23:10 NST on 10-29, after 10-30 00:00 NDT (02:30 UTC) began
    with Store.memory(embedder=None) as store:
        load(store, [session])
        frame = an.activity(store, since=since, until=since + timedelta(minutes=10), tz="America/St_Johns")
        assert frame.select("period", "period_start").rows() == [(date(2005, 10, 29), utc(2005, 10, 29, 2, 30))]
        assert frame["active_minutes"].to_list() == [0.0]  # not -10: the day's first span ended at 02:30 UTC


def figures(store: Store, window: dict[str, Any], *, calendar_only: bool = False) -> None:
    """The figures of the analytics frames of ``window``, which may be empty (plotly is slow: only some)."""
    for unit in UNITS:
        daily = an.activity(store, freq=unit, **window)
        plots.activity_figure(daily, freq=unit)
        rates = an.error_rate_over_time(store, freq=unit, **window)
        plots.error_rate_figure(rates, freq=unit)
    plots.hour_of_week_figure(an.hour_of_week(store, **window), "sessions")
    if calendar_only:
        return
    plots.activity_figure(daily, "active_minutes")
    plain: dict[str, Any] = {key: value for key, value in window.items() if key != "tz"}
    plots.event_types_figure(an.events_by_type(store, **plain))
    stats = an.session_stats(store, **plain)
    plots.duration_figure(stats)
    plots.sessions_gantt_figure(stats)


HARD = [
    ("UTC", utc(2026, 3, 2), utc(2026, 3, 9)),
    ("Pacific/Apia", utc(2011, 12, 29, 8), utc(2012, 1, 2, 10)),  # over the skipped 2011-12-30
    ("America/New_York", utc(2025, 11, 2, 5, 30), utc(2025, 11, 2, 6, 10)),  # inside the repeated hour
    ("Australia/Lord_Howe", utc(2026, 4, 4, 14, 45), utc(2026, 4, 5, 15, 1)),  # over a 30-minute fall-back
    ("Asia/Kathmandu", utc(2026, 3, 1, 18, 15), utc(2026, 3, 1, 18, 15, 0) + US),  # one microsecond at midnight
    ("America/St_Johns", utc(2005, 10, 30, 2), utc(2005, 10, 30, 3)),  # the date goes back at 02:31 UTC
]


def test_empty_store_gives_empty_frames_with_their_schemas() -> None:
    with Store.memory(embedder=None) as store:
        for tz, since, until in HARD:
            window: dict[str, Any] = {"since": since, "until": until, "tz": tz}
            plain: dict[str, Any] = {"since": since, "until": until}
            for unit in UNITS:
                frame = an.activity(store, freq=unit, **window)
                assert frame.schema == schemas.ACTIVITY and frame.height == 0
                rates = an.error_rate_over_time(store, freq=unit, **window)
                assert rates.schema == schemas.ERROR_RATE_OVER_TIME and rates.height == 0
            cells = an.hour_of_week(store, **window)
            assert cells.schema == schemas.HOUR_OF_WEEK and cells.height == 168
            assert cells["events"].sum() == cells["sessions"].sum() == 0
            for got, schema in [
                (an.most_active_day(store, **window), schemas.MOST_ACTIVE_DAY),
                (an.agent_comparison(store, **window), schemas.AGENT_COMPARISON),
                (an.events_by_type(store, **plain), schemas.EVENTS_BY_TYPE),
                (an.errors_by_agent(store, **plain), schemas.ERRORS_BY_AGENT),
                (an.session_stats(store, **plain), schemas.SESSION_STATS),
            ]:
                assert got.schema == schema and got.height == 0
            summary = an.window_summary(store, **window)
            assert (summary.session_count, summary.event_count, summary.error_rate) == (0, 0, None)
            assert summary.agents.schema == schemas.AGENT_COMPARISON and str(summary)
            report = an.activity_report(store, "claude", days=1, until=until)
            assert report.by_day.schema == schemas.REPORT_BY_DAY
            assert (report.sessions, report.most_active_day, report.avg_events_per_session) == (0, None, None)
            if tz in ("UTC", "Pacific/Apia"):
                figures(store, window, calendar_only=tz != "UTC")


def test_edges_of_the_window_and_figures_of_hard_windows() -> None:
    """An event or a session start at ``since`` is in, at ``until`` out, in every helper; figures draw it all."""
    for tz, since, until in HARD:
        edge = [
            Sess("in", "claude", since, None, [Ev("error_encountered", since), Ev("task_created", until)]),
            Sess("out", "gemini", until, until, [Ev("task_created", until)]),
            Sess("before", "gpt", since - US, since - US, [Ev("task_created", since - US)]),
            Sess("last", "gpt", until - US, until - US, [Ev("task_created", None)]),  # at its start: until - 1 us
        ]
        with Store.memory(embedder=None) as store:
            load(store, edge)
            window: dict[str, Any] = {"since": since, "until": until, "tz": tz}
            local_since, local_last = wall(since, ZoneInfo(tz)), wall(until - US, ZoneInfo(tz))
            daily = an.activity(store, **window)
            assert sorted(set(daily["agent"])) == ["claude", "gpt"]
            counted = daily.group_by("agent").agg(pl.col("sessions", "events", "errors").sum()).sort("agent")
            assert counted.rows() == [("claude", 1, 1, 1), ("gpt", 1, 1, 0)]
            first = daily.filter(pl.col("agent") == "claude").row(0, named=True)
            assert (first["period"], first["sessions"], first["events"]) == (local_since.date(), 1, 1)
            last = daily.filter(pl.col("agent") == "gpt").row(-1, named=True)
            assert (last["period"], last["sessions"], last["events"]) == (local_last.date(), 1, 1)
            cells = an.hour_of_week(store, **window).filter(pl.col("events") > 0)
            assert sorted(cells.select("weekday", "hour", "events").rows()) == sorted(
                [(local_since.weekday(), local_since.hour, 1), (local_last.weekday(), local_last.hour, 1)]
                if (local_since.weekday(), local_since.hour) != (local_last.weekday(), local_last.hour)
                else [(local_since.weekday(), local_since.hour, 2)]
            )
            table = an.agent_comparison(store, **window)
            assert table.select("agent", "sessions", "events", "first_event_at", "last_event_at").rows() == [
                ("claude", 1, 1, since, since),
                ("gpt", 1, 1, until - US, until - US),
            ]
            figures(store, window, calendar_only=True)


def test_a_window_must_not_be_empty_but_may_be_one_day() -> None:
    with Store.memory(embedder=None) as store:
        load(store, [Sess("A", "claude", utc(2026, 3, 8, 7), None, [Ev("task_created", utc(2026, 3, 8, 7))])])
        with pytest.raises(ValidationError):
            an.activity(store, since=utc(2026, 3, 8), until=utc(2026, 3, 8))
        one = an.activity(store, days=1, until=utc(2026, 3, 9), tz="America/New_York")
        # 2026-03-08 UTC is 19:00 EST on the 7th to 20:00 EDT on the 8th: two partial local days
        assert one.select("period", "events", "complete").rows() == [
            (date(2026, 3, 7), 0, False),
            (date(2026, 3, 8), 1, False),
        ]
        assert one["days_in_window"].to_list() == pytest.approx([5 / 24, 20 / 24])
        # a bound given in local time, on the second pass of a repeated hour (fold=1), is that instant
        second = datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York"))
        assert an.resolve_window(since=second, until=utc(2025, 11, 3)).since == utc(2025, 11, 2, 6, 30)


def test_slots_are_a_quarter_hour_only_where_every_offset_change_falls_on_one() -> None:
    # The bucketed queries count events per UTC slot and convert one instant per slot to local time.
    recent = Window(datetime(2020, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC))
    quarter = ["UTC", "Europe/London", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Chatham", "Pacific/Apia"]
    assert {tz: slot_minutes(tz, recent) for tz in quarter} == dict.fromkeys(quarter, 15)
    for tz in ("America/St_Johns", "Antarctica/Casey", "Asia/Gaza"):  # changed at xx:01 since 1970
        assert slot_minutes(tz, recent) == 1
    old = Window(datetime(1960, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC))
    assert slot_minutes("Europe/London", old) == 1  # before 1970 nothing is checked
