"""Every analytics entry point checks its arguments and fails with a typed error."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from agentlog import NotFoundError, Store, StoreClosedError, ValidationError
from agentlog import analytics as an
from tests.analytics.builders import UNTIL

WINDOWED: list[Callable[..., Any]] = [
    an.activity,
    an.events_by_type,
    an.hour_of_week,
    an.most_active_day,
    an.agent_comparison,
    an.errors_by_agent,
    an.error_rate_over_time,
    an.session_stats,
    an.window_summary,
]
ZONED = [an.activity, an.hour_of_week, an.most_active_day, an.agent_comparison, an.error_rate_over_time]


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    """One store for the whole module: argument checks do not depend on the kind of store."""
    with Store.memory(embedder=None) as opened:
        yield opened


@pytest.mark.parametrize("fn", WINDOWED, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"until": datetime(2026, 3, 9)}, "until"),  # naive
        ({"since": datetime(2026, 3, 2), "until": UNTIL}, "since"),  # naive
        ({"until": "2026-03-09"}, "until"),  # not a datetime
        ({"since": UNTIL - timedelta(days=1), "days": 3, "until": UNTIL}, "days"),  # both
        ({"since": UNTIL, "until": UNTIL}, "since"),  # empty window
        ({"since": UNTIL + timedelta(days=1), "until": UNTIL}, "since"),  # reversed
        ({"days": 0}, "days"),
        ({"days": -3}, "days"),
        ({"days": 2.5}, "days"),
        ({"days": True}, "days"),
        ({"days": 36_501}, "days"),
        ({"until": datetime.max.replace(tzinfo=timezone(timedelta(hours=-5)))}, "until"),  # past year 9999 in UTC
        ({"agent": ""}, "agent"),
        ({"agent": 7}, "agent"),
        ({"agent": "a\nb"}, "agent"),
    ],
)
def test_bad_window_and_agent(store: Store, fn: Callable[..., Any], kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        fn(store, **kwargs)
    assert raised.value.field == field


@pytest.mark.parametrize("fn", ZONED, ids=lambda f: f.__name__)
@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "", 5, "utc'; DROP TABLE events; --"])
def test_bad_time_zone(store: Store, fn: Callable[..., Any], tz: Any) -> None:
    with pytest.raises(ValidationError) as raised:
        fn(store, tz=tz)
    assert raised.value.field == "tz"
    assert store.sql("SELECT count(*) FROM events").fetchall() == [(0,)]


@pytest.mark.parametrize("fn", [an.activity, an.error_rate_over_time], ids=lambda f: f.__name__)
def test_bad_freq(store: Store, fn: Callable[..., Any]) -> None:
    with pytest.raises(ValidationError, match="freq must be 'day' or 'week'"):
        fn(store, freq="month")


def test_aware_datetimes_in_any_zone_are_accepted(store: Store) -> None:
    paris = timezone(timedelta(hours=1))
    window = an.resolve_window(since=datetime(2026, 3, 2, 1, tzinfo=paris), until=datetime(2026, 3, 9, 1, tzinfo=paris))
    assert (window.since, window.until) == (datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC))
    assert an.activity(store, since=window.since.astimezone(paris), until=window.until.astimezone(paris)).height == 0


@pytest.mark.parametrize("fn", [*WINDOWED, an.session_timeline, an.activity_report], ids=lambda f: f.__name__)
def test_not_a_store(fn: Callable[..., Any]) -> None:
    args: tuple[Any, ...] = ("claude",) if fn is an.activity_report else ()
    if fn is an.session_timeline:
        args = (uuid.uuid4(),)
    with pytest.raises(ValidationError, match="store must be an agentlog Store"):
        fn("/tmp/some/store", *args)


def test_closed_store() -> None:
    store = Store.memory(embedder=None)
    store.close()
    with pytest.raises(StoreClosedError):
        an.activity(store)


def test_activity_report_arguments(store: Store) -> None:
    with pytest.raises(ValidationError, match="agent"):
        an.activity_report(store, "")
    with pytest.raises(ValidationError, match="days"):
        an.activity_report(store, "claude", days=0)
    with pytest.raises(ValidationError, match="limit"):
        an.activity_report(store, "claude", limit=0)
    with pytest.raises(ValidationError, match="until"):
        an.activity_report(store, "claude", until=datetime(2026, 3, 9))


def test_session_timeline_arguments(store: Store) -> None:
    with pytest.raises(ValidationError, match="session_id must be a UUID"):
        an.session_timeline(store, "not-a-uuid")
    missing = uuid.uuid4()
    with pytest.raises(NotFoundError) as raised:
        an.session_timeline(store, missing)
    assert raised.value.key == missing


def test_a_window_reaching_back_past_year_1_starts_at_year_1(store: Store) -> None:
    until = datetime(1, 1, 5, tzinfo=UTC)
    assert an.resolve_window(until=until, days=30).since == datetime(1, 1, 1, tzinfo=UTC)
    assert an.activity(store, until=until).height == 0  # computed (on an empty store), not an OverflowError


@pytest.mark.parametrize("now", [datetime(2026, 3, 6), "2026-03-06", 0])
def test_resolve_window_checks_now(now: Any) -> None:
    with pytest.raises(ValidationError) as raised:
        an.resolve_window(now=now)
    assert raised.value.field == "now"


def test_resolve_window_gives_now_in_utc() -> None:
    paris = timezone(timedelta(hours=1))
    window = an.resolve_window(now=datetime(2026, 3, 6, 1, tzinfo=paris), days=1)
    assert window == an.Window(datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 3, 6, tzinfo=UTC))
    assert window.until.utcoffset() == timedelta(0) and window.since.utcoffset() == timedelta(0)


@pytest.mark.parametrize("fn", WINDOWED, ids=lambda f: f.__name__)
def test_numpy_integers_count_as_integers(store: Store, fn: Callable[..., Any]) -> None:
    # a number taken from a Polars or NumPy column is a numpy integer: the same window as the int
    import numpy as np

    assert str(fn(store, days=np.int64(7), until=UNTIL)) == str(fn(store, days=7, until=UNTIL))
    with pytest.raises(ValidationError):
        fn(store, days=np.float64(7), until=UNTIL)
