"""load_demo_data and shift_demo_data: what a store holds after loading, idempotence, atomicity, shifts by weeks."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentlog import SessionService, Store, ValidationError
from agentlog.demo import DEFAULT_END, DemoData, generate_demo_data, load_demo_data, shift_demo_data
from tests.conftest import snapshot

TINY = generate_demo_data(sessions=3, days=30)

STORED_SESSIONS = """
SELECT id::VARCHAR AS id, agent, project_id::VARCHAR AS project_id, user_id, app_name, lifecycle, summary,
       metadata::VARCHAR AS metadata, state::VARCHAR AS state, started_at, ended_at, updated_at
FROM sessions ORDER BY id
"""
STORED_EVENTS = """
SELECT id::VARCHAR AS id, session_id::VARCHAR AS session_id, seq, event_type, event_data::VARCHAR AS event_data,
       metadata::VARCHAR AS metadata, timestamp
FROM events ORDER BY id
"""


def as_frame(table: pa.Table) -> pl.DataFrame:
    """The generated table as Polars, UUIDs as their canonical strings, sorted like the queries above."""
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    uuid_columns = [f.name for f in table.schema if f.type == pa.uuid()]
    hex_ = [pl.col(c).bin.encode("hex") for c in uuid_columns]
    frame = frame.with_columns(
        pl.concat_str(
            h.str.slice(0, 8), h.str.slice(8, 4), h.str.slice(12, 4), h.str.slice(16, 4), h.str.slice(20), separator="-"
        ).alias(c)
        for h, c in zip(hex_, uuid_columns, strict=True)
    )
    return frame.sort("id")


def test_load_keeps_every_row_exactly(store: Store, small: DemoData) -> None:
    result = load_demo_data(store, small)
    assert (result.sessions_inserted, result.events_inserted) == (small.sessions.num_rows, small.events.num_rows)
    assert (result.sessions_skipped, result.events_skipped) == (0, 0)
    assert store.sql(STORED_SESSIONS).pl().equals(as_frame(small.sessions))
    assert store.sql(STORED_EVENTS).pl().equals(as_frame(small.events))


def test_load_is_idempotent(store: Store, small: DemoData) -> None:
    load_demo_data(store, small)
    before = snapshot(store)
    again = load_demo_data(store, small)
    assert (again.sessions_inserted, again.events_inserted) == (0, 0)
    assert (again.sessions_skipped, again.events_skipped) == (small.sessions.num_rows, small.events.num_rows)
    assert snapshot(store) == before


async def test_loaded_sessions_work_with_the_service(store: Store, small: DemoData) -> None:
    load_demo_data(store, small)
    service = SessionService(store)
    session = await service.get_session(small.sessions["id"][0].as_py())
    assert session is not None and session["agent"] == small.sessions["agent"][0].as_py()
    assert [e["seq"] for e in session["events"]] == list(range(1, len(session["events"]) + 1))
    active = await service.get_active_sessions()
    assert {s["lifecycle"] for s in active} == {"active"}
    assert len(active) == pl.from_arrow(small.sessions).filter(pl.col("ended_at").is_null()).height  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("store_arg", "data_arg", "field"),
    [("store-path", None, "store"), (None, "data", "data"), (None, {"sessions": None}, "data")],
)
def test_wrong_arguments_leave_the_store_unchanged(
    store: Store, small: DemoData, store_arg: object, data_arg: object, field: str
) -> None:
    before = snapshot(store)
    with pytest.raises(ValidationError) as raised:
        load_demo_data(store_arg if store_arg else store, data_arg if data_arg else small)  # type: ignore[arg-type]
    assert raised.value.field == field
    assert snapshot(store) == before


def test_bad_tables_leave_the_store_unchanged(store: Store, small: DemoData) -> None:
    before = snapshot(store)
    no_agent = dataclasses.replace(small, sessions=small.sessions.drop_columns(["agent"]))
    with pytest.raises(ValidationError, match=r"sessions rows lack columns \['agent'\]"):
        load_demo_data(store, no_agent)
    orphans = dataclasses.replace(small, sessions=small.sessions.slice(1))  # events of session 0 have no parent
    with pytest.raises(ValidationError, match="neither stored nor imported"):
        load_demo_data(store, orphans)
    assert snapshot(store) == before


def test_shift_moves_every_timestamp_by_whole_weeks(small: DemoData) -> None:
    end = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)  # a Sunday afternoon
    moved = shift_demo_data(small, end)
    delta = moved.params.end - small.params.end
    assert moved.params.end == datetime(2026, 11, 20, tzinfo=UTC)  # the last Friday 00:00 at or before `end`
    assert delta == timedelta(weeks=37)
    assert moved.params == dataclasses.replace(small.params, end=small.params.end + delta)
    assert moved.params.bad_week == tuple(t + delta for t in small.params.bad_week)
    for before, after, names in [
        (small.sessions, moved.sessions, ["started_at", "ended_at", "updated_at"]),
        (small.events, moved.events, ["timestamp"]),
    ]:
        assert after.schema == before.schema
        for name in names:
            old, new = before[name].to_pylist(), after[name].to_pylist()
            assert all((n is None and o is None) or n - o == delta for o, n in zip(old, new, strict=True)), name
        unchanged = [n for n in before.column_names if n not in names]
        assert after.select(unchanged).equals(before.select(unchanged))


def test_shift_keeps_weekdays_and_hours(small: DemoData) -> None:
    """The hour-of-week profile (quiet weekends, working hours) is the same after any shift."""

    def hour_of_week(data: DemoData) -> pl.DataFrame:
        stamps = pl.Series(data.events["timestamp"])
        return pl.DataFrame({"weekday": stamps.dt.weekday(), "hour": stamps.dt.hour()})

    for end in (datetime(2026, 11, 22, 15, 30, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC), datetime.now(UTC)):
        moved = shift_demo_data(small, end)
        assert hour_of_week(moved).equals(hour_of_week(small)), end
        assert moved.params.end.weekday() == small.params.end.weekday() == 4  # DEFAULT_END is a Friday


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.timezones()))
def test_shift_ends_in_the_week_before_end(end: datetime) -> None:
    moved = shift_demo_data(TINY, end)
    assert moved.params.end <= end < moved.params.end + timedelta(weeks=1)
    assert (moved.params.end - TINY.params.end) % timedelta(weeks=1) == timedelta(0)
    shift = moved.events["timestamp"][0].as_py() - TINY.events["timestamp"][0].as_py()
    assert shift == moved.params.end - TINY.params.end


def test_shift_defaults_to_now_and_zero_is_a_no_op(small: DemoData) -> None:
    moved = shift_demo_data(small)
    now = datetime.now(UTC)
    assert now - timedelta(weeks=1) < moved.params.end <= now
    assert moved.params.end.weekday() == 4 and moved.params.end.time() == DEFAULT_END.time()
    assert shift_demo_data(small, small.params.end + timedelta(days=6, hours=23, minutes=59)) is small
    assert shift_demo_data(small, small.params.end - timedelta(microseconds=1)).params.end == DEFAULT_END - timedelta(
        weeks=1
    )
    back = shift_demo_data(moved, DEFAULT_END)
    assert back.sessions.equals(small.sessions) and back.events.equals(small.events)


def test_shift_arguments(small: DemoData) -> None:
    with pytest.raises(ValidationError, match="naive"):
        shift_demo_data(small, datetime(2026, 11, 22))
    with pytest.raises(ValidationError, match="DemoData"):
        shift_demo_data("data")  # type: ignore[arg-type]


def test_a_shifted_copy_adds_nothing_to_a_store_with_the_original(store: Store, small: DemoData) -> None:
    load_demo_data(store, small)
    again = load_demo_data(store, shift_demo_data(small, datetime(2027, 1, 1, tzinfo=UTC)))
    assert (again.sessions_inserted, again.events_inserted) == (0, 0)
