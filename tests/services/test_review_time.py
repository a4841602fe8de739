"""Regression tests from the review of time: the writer's clock, session ends, timestamps of bulk events, --since."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

import agentlog.store.writer as writer_module
from agentlog import MemoryService, SessionService, Store, ValidationError
from agentlog.cli.arguments import parse_since, since_argument
from agentlog.io import import_logs


class _Clock:
    """A wall clock the test moves by hand, standing in for ``datetime`` in the writer module."""

    def __init__(self, start: datetime) -> None:
        self.current = start
        clock = self

        class _Datetime(datetime):
            @classmethod
            def now(cls, tz: Any = None) -> Any:
                return clock.current.astimezone(tz)

        self.datetime = _Datetime


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    """The writer's clock, frozen at 2026-05-01 12:00 UTC until a test moves it."""
    fake = _Clock(datetime(2026, 5, 1, 12, tzinfo=UTC))
    monkeypatch.setattr(writer_module, "datetime", fake.datetime)
    return fake


# -- the writer's clock going back (or standing still) ------------------------------------------------


def test_sessions_created_while_the_clock_goes_back_keep_their_order(clock: _Clock) -> None:
    async def run() -> None:
        with Store.memory(embedder=None) as store:
            service = SessionService(store)
            created = []
            for _ in range(6):
                created.append((await service.create_session("claude"))["id"])
                clock.current -= timedelta(minutes=5)  # an NTP step back between two sessions
            last = await service.get_last_session("claude")
            assert last is not None and last["id"] == created[-1]
            listed = await service.list_sessions(agent="claude")
            assert [s["id"] for s in listed] == created[::-1]
            starts = [s["started_at"] for s in listed]
            assert len(set(starts)) == len(starts)  # no tie for an id to break at random
            page = await service.list_sessions(agent="claude", limit=2, cursor=listed[1]["id"])
            assert [s["id"] for s in page] == created[::-1][2:4]

    asyncio.run(run())


def test_memories_written_while_the_clock_stands_still_list_newest_first(clock: _Clock) -> None:
    async def run() -> None:
        with Store.memory(embedder=None) as store:
            memory = MemoryService(store)
            for key in ("a", "b", "c"):
                await memory.put_memory("project:p", key, key, "semantic")
            await memory.update_memory("project:p", "a", "a2")
            listed = await memory.list_memories_by_namespace("project:p")
            assert [m["key"] for m in listed] == ["a", "c", "b"]

    asyncio.run(run())


def test_events_and_end_while_the_clock_goes_back_stay_after_the_start(clock: _Clock) -> None:
    async def run() -> None:
        with Store.memory(embedder=None) as store:
            service = SessionService(store)
            session = await service.create_session("claude")
            clock.current -= timedelta(hours=1)
            first = await service.add_event(session["id"], "step", {})
            second = await service.add_event(session["id"], "step", {})
            ended = await service.end_session(session["id"])
            assert session["started_at"] < first["timestamp"] < second["timestamp"] < ended["ended_at"]  # type: ignore[operator]

    asyncio.run(run())


# -- ended_at never before started_at -------------------------------------------------------------------


@pytest.mark.parametrize("how", ["end_session", "update_lifecycle"])
def test_a_session_started_ahead_of_the_clock_does_not_end_before_it_started(how: str) -> None:
    async def run() -> None:
        with Store.memory(embedder=None) as store:
            service = SessionService(store)
            ahead = datetime.now(UTC) + timedelta(hours=3)  # a start from a machine whose clock runs ahead
            session = await service.create_session("claude", started_at=ahead.astimezone(ZoneInfo("Asia/Kathmandu")))
            if how == "end_session":
                ended = await service.end_session(session["id"])
            else:
                ended = await service.update_lifecycle(session["id"], "terminated")
            assert ended["started_at"] == ahead.isoformat(timespec="microseconds")
            assert ended["ended_at"] is not None and ended["ended_at"] >= ended["started_at"]
            stored = await service.get_session(session["id"])
            assert stored is not None and stored["ended_at"] == ended["ended_at"]

    asyncio.run(run())


def test_a_session_ends_at_the_clock_when_it_started_before() -> None:
    async def run() -> None:
        with Store.memory(embedder=None) as store:
            service = SessionService(store)
            start = datetime(2026, 1, 5, 8, tzinfo=timezone(timedelta(hours=-9, minutes=-30)))
            session = await service.create_session("claude", started_at=start)
            before = datetime.now(UTC)
            ended = await service.end_session(session["id"])
            assert ended["started_at"] == "2026-01-05T17:30:00.000000+00:00"
            assert ended["ended_at"] is not None and datetime.fromisoformat(ended["ended_at"]) >= before
            assert ended["ended_at"] == ended["updated_at"]

    asyncio.run(run())


# -- timestamps of add_events' Arrow path ----------------------------------------------------------------


def _events_table(stamps: pa.Array) -> pa.Table:
    count = len(stamps)
    return pa.table({"event_type": ["step"] * count, "event_data": ["{}"] * count, "timestamp": stamps})


def test_bulk_nanosecond_timestamps_are_floored_to_microseconds() -> None:
    async def run() -> None:
        with Store.memory(embedder=None) as store:
            service = SessionService(store)
            sid = (await service.create_session("claude"))["id"]
            stamps = pa.array(
                [1_700_000_000_123_456_789, -1, None], pa.timestamp("ns", tz="America/St_Johns")
            )  # sub-microsecond values, one before 1970, one missing
            result = await service.add_events(sid, _events_table(stamps))
            assert result["inserted"] == 3
            session = await service.get_session(sid)
            assert session is not None
            times = [e["timestamp"] for e in session["events"]]
            assert times[:2] == ["2023-11-14T22:13:20.123456+00:00", "1969-12-31T23:59:59.999999+00:00"]
            assert times[2] is not None  # stamped with the commit time

    asyncio.run(run())


@pytest.mark.parametrize(
    ("unit", "value"),
    [
        ("s", 253_402_300_800),  # 10000-01-01
        ("s", -62_135_596_801),  # a second before 0001-01-01
        ("ms", 300_000_000_000_000),  # year 11476
        ("s", 2**62),  # overflows microseconds
    ],
)
def test_bulk_timestamps_outside_the_years_1_to_9999_are_refused(unit: str, value: int) -> None:
    async def run() -> None:
        with Store.memory(embedder=None) as store:
            service = SessionService(store)
            sid = (await service.create_session("claude"))["id"]
            stamps = pa.array([0, value], pa.timestamp(unit, tz="UTC"))
            with pytest.raises(ValidationError, match="row 1 is outside the years 1-9999") as caught:
                await service.add_events(sid, _events_table(stamps))
            assert caught.value.field == "timestamp[1]"
            assert store.sql("SELECT count(*) FROM events").fetchall() == [(0,)]

    asyncio.run(run())


def test_bulk_timestamps_at_the_ends_of_the_range_are_kept() -> None:
    async def run() -> None:
        with Store.memory(embedder=None) as store:
            service = SessionService(store)
            sid = (await service.create_session("claude"))["id"]
            first, last = datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
            stamps = pa.array([first, last], pa.timestamp("us", tz="UTC"))
            await service.add_events(sid, _events_table(stamps))
            session = await service.get_session(sid)
            assert session is not None
            assert [e["timestamp"] for e in session["events"]] == [
                "0001-01-01T00:00:00.000000+00:00",
                "9999-12-31T23:59:59.999999+00:00",
            ]

    asyncio.run(run())


# -- the command line's --since / --until -----------------------------------------------------------------


def test_since_option_is_returned_in_utc() -> None:
    assert parse_since("2026-01-01T10:00+05:45") == datetime(2026, 1, 1, 4, 15, tzinfo=UTC)
    assert parse_since("2026-01-01T10:00+05:45").utcoffset() == timedelta(0)
    assert parse_since("2026-03-08T02:30:00Z").tzinfo is UTC


@pytest.mark.parametrize("text", ["0001-01-01T00:00+01:00", "9999-12-31T23:30-01:00"])
def test_since_option_outside_the_years_1_to_9999_in_utc_is_a_usage_error(text: str) -> None:
    with pytest.raises(ValidationError, match="outside the years 1-9999"):
        parse_since(text)
    with pytest.raises(argparse.ArgumentTypeError):
        since_argument(text)


def test_since_option_out_of_range_exits_2_before_the_store_is_opened(tmp_path: Any) -> None:
    from agentlog.cli.main import main

    store = tmp_path / "store"
    with Store(store, embedder=None):
        pass
    status: object = None
    try:
        status = main(["--store", str(store), "sessions", "--since", "9999-12-31T23:30-01:00"])
    except SystemExit as exited:
        status = exited.code
    assert status == 2


# -- list_sessions: its window, and pages of sessions that started at the same instant ---------------------


@pytest.mark.parametrize("gap", [timedelta(0), timedelta(hours=-1)])
def test_list_sessions_refuses_an_empty_or_reversed_window_as_search_does(gap: timedelta) -> None:
    async def run() -> None:
        with Store.memory(embedder=None) as store:
            service = SessionService(store)
            since = datetime(2026, 1, 1, 12, tzinfo=ZoneInfo("Europe/Paris"))
            with pytest.raises(ValidationError, match="must be before until"):
                await service.list_sessions(since=since, until=since + gap)

    asyncio.run(run())


def test_pages_of_sessions_with_the_same_start_skip_and_repeat_none() -> None:
    async def run() -> None:
        with Store.memory(embedder=None) as store:
            service = SessionService(store)
            start = datetime(2026, 2, 28, 23, 30, tzinfo=timezone(timedelta(hours=-9, minutes=-30)))  # Mar 1 UTC
            same = {(await service.create_session("claude", started_at=start))["id"] for _ in range(11)}
            newer = (await service.create_session("claude", started_at=start + timedelta(microseconds=1)))["id"]
            by_offset = [s["id"] for n in range(0, 12, 5) for s in await service.list_sessions(limit=5, offset=n)]
            by_cursor: list[Any] = []
            while True:
                cursor = by_cursor[-1] if by_cursor else None
                page = [s["id"] for s in await service.list_sessions(limit=5, cursor=cursor)]
                if not page:
                    break
                by_cursor += page
            for listed in (by_offset, by_cursor):
                assert listed[0] == newer and set(listed[1:]) == same and len(listed) == 12
            assert by_offset == by_cursor
            window = await service.list_sessions(since=start, until=start + timedelta(microseconds=1))
            assert {s["id"] for s in window} == same  # since included, until left out

    asyncio.run(run())


# -- the JSON-lines importer: a session's end is never before its start -------------------------------------


def _jsonl(tmp_path: Any, *lines: str) -> Any:
    path = tmp_path / "bot.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_jsonl_session_line_ending_before_it_starts_is_refused(tmp_path: Any) -> None:
    from agentlog.errors import ImportFormatError
    from agentlog.io.importers import jsonl

    path = _jsonl(
        tmp_path,
        '{"type":"session","agent":"bot"}',
        '{"type":"session","agent":"bot","started_at":"2026-01-02T10:00:00+05:45",'
        '"ended_at":"2026-01-02T04:14:59.999999Z"}',
    )
    with pytest.raises(ImportFormatError, match="ended_at is before started_at") as caught:
        jsonl.parse(path)
    assert caught.value.line == 2


def test_jsonl_session_given_a_start_after_its_events_ends_at_that_start(tmp_path: Any) -> None:
    from agentlog import import_logs
    from agentlog.io.importers import jsonl

    path = _jsonl(
        tmp_path,
        '{"type":"session","agent":"bot","started_at":"2026-01-02T10:00:00+05:45"}',
        '{"type":"event","event_type":"late","timestamp":"2026-01-01T09:00:00-09:30"}',
        '{"type":"event","event_type":"early","timestamp":"2026-01-01T10:00Z"}',
        '{"type":"session","agent":"bot","started_at":"2026-01-01T10:00:00Z","ended_at":"2026-01-01T10:00:00Z"}',
    )
    given, instant = jsonl.parse(path)
    assert given.started_at == given.ended_at == datetime(2026, 1, 2, 4, 15, tzinfo=UTC)
    assert instant.started_at == instant.ended_at == datetime(2026, 1, 1, 10, tzinfo=UTC)
    with Store.memory(embedder=None) as store:
        import_logs(store, path)
        rows = store.sql("SELECT count(*) FROM sessions WHERE ended_at < started_at").fetchall()
        assert rows == [(0,)]
        times = store.sql("SELECT timestamp FROM events ORDER BY seq").fetchall()
        assert [t[0] for t in times] == [datetime(2026, 1, 1, 18, 30, tzinfo=UTC), datetime(2026, 1, 1, 10, tzinfo=UTC)]


# -- memory expiry at its exact boundaries --------------------------------------------------------------------


def test_memory_expiry_boundaries_in_other_zones() -> None:
    now = [datetime(2026, 3, 29, 0, 30, tzinfo=ZoneInfo("Europe/London"))]  # the night clocks go forward there

    async def run() -> None:
        with Store.memory(embedder=None) as store:
            memory = MemoryService(store, clock=lambda: now[0], temp_ttl=timedelta(hours=1))
            ttl = await memory.put_memory("project:p", "ttl", 1, "semantic", ttl=60)
            until = datetime(2026, 3, 29, 7, 0, tzinfo=timezone(timedelta(hours=5, minutes=45)))
            given = await memory.put_memory("project:p", "given", 2, "semantic", expires_at=until)
            temp = await memory.put_memory("temp:p", "scratch", 3, "semantic")
            assert ttl["expires_at"] == "2026-03-29T00:31:00.000000+00:00"
            assert given["expires_at"] == "2026-03-29T01:15:00.000000+00:00"
            assert temp["expires_at"] == "2026-03-29T01:30:00.000000+00:00"
            now[0] += timedelta(seconds=59, microseconds=999_999)
            assert await memory.get_memory("project:p", "ttl") is not None
            assert await memory.sweep_expired() == 0
            now[0] += timedelta(microseconds=1)  # exactly expires_at: gone
            assert await memory.get_memory("project:p", "ttl") is None
            assert [m["key"] for m in await memory.list_memories_by_namespace("project:p")] == ["given"]
            with pytest.raises(ValidationError, match="not in the future"):
                await memory.put_memory("project:p", "now", 4, "semantic", expires_at=now[0])
            assert await memory.sweep_expired() == 1
            now[0] = until
            assert await memory.get_memory("project:p", "given") is None
            assert await memory.get_memory("temp:p", "scratch") is not None
            assert await memory.sweep_expired() == 1

    asyncio.run(run())


def test_memory_service_refuses_a_naive_clock() -> None:
    async def run() -> None:
        with Store.memory(embedder=None) as store:
            memory = MemoryService(store, clock=lambda: datetime(2026, 1, 1, 12))
            with pytest.raises(ValidationError, match="naive"):
                await memory.put_memory("project:p", "k", 1, "semantic", ttl=60)
            with pytest.raises(ValidationError, match="naive"):
                await memory.get_memory("project:p", "k")
            assert store.sql("SELECT count(*) FROM memories").fetchall() == [(0,)]

    asyncio.run(run())


async def test_search_events_files_an_event_without_a_time_at_its_sessions_start(tmp_path: Any) -> None:
    """Some imported logs have events without a time: analytics and event search both place them at the start."""
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    path = tmp_path / "log.jsonl"
    session_id = "7c3f6a34-6f57-4b8e-9a35-0d7b8f1f0a11"
    lines = [
        {"type": "session", "id": session_id, "agent": "claude", "started_at": start.isoformat()},
        {"type": "event", "session_id": session_id, "event_type": "note", "event_data": {"text": "rotated the keys"}},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    with Store(tmp_path / "store") as store:
        import_logs(store, path, progress=False)
        service = SessionService(store)
        stored = await service.get_session(session_id)
        assert stored is not None and stored["events"][0]["timestamp"] is None
        inside = await service.search_events(
            "rotated the keys", since=start - timedelta(hours=1), until=start + timedelta(hours=1), threshold=None
        )
        assert [hit["session_id"] for hit in inside] == [stored["id"]]
        later = await service.search_events("rotated the keys", since=start + timedelta(seconds=1), threshold=None)
        assert later == []
