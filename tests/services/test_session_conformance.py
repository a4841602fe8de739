"""The SessionService contract, run against an in-memory and a file store."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import polars as pl
import pyarrow as pa
import pytest

from agentlog import (
    AlreadyExistsError,
    InvalidTransitionError,
    NotFoundError,
    SessionClosedError,
    SessionService,
    ValidationError,
)
from tests.conftest import snapshot

PROJECT = uuid.UUID("b231255f-6ed9-4440-80de-958bcf7b4f9f")


def ago(**kwargs: float) -> datetime:
    return datetime.now(UTC) - timedelta(**kwargs)


async def test_create_session_returns_documented_record(service: SessionService) -> None:
    session = await service.create_session(agent="claude", project_id=PROJECT, metadata={"phase": "Phase 2", "day": 1})
    assert isinstance(session["id"], uuid.UUID)
    assert session["agent"] == "claude"
    assert session["project_id"] == PROJECT
    assert session["metadata"] == {"phase": "Phase 2", "day": 1}
    assert session["lifecycle"] == "created"
    assert session["ended_at"] is None and session["summary"] is None
    started = datetime.fromisoformat(session["started_at"])
    assert started.utcoffset() == timedelta(0)
    assert abs((datetime.now(UTC) - started).total_seconds()) < 60
    assert session["started_at"].split("T")[0] == started.date().isoformat()
    stored = await service.get_session(session["id"])
    assert stored is not None
    assert {k: v for k, v in stored.items() if k != "events"} == session
    assert stored["events"] == []


async def test_create_session_brief_extras_and_string_ids(service: SessionService) -> None:
    own_id = uuid.uuid4()
    session = await service.create_session(
        "user",
        str(PROJECT),
        user_id="u-42",
        app_name="notebook",
        initial_state={"step": 1},
        session_id=str(own_id),
        started_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
    )
    assert session["id"] == own_id and session["project_id"] == PROJECT
    assert (session["user_id"], session["app_name"], session["state"]) == ("u-42", "notebook", {"step": 1})
    assert session["started_at"] == "2026-01-02T03:04:05.678901+00:00"
    with pytest.raises(AlreadyExistsError):
        await service.create_session("user", session_id=own_id)
    fetched = await service.get_session(str(own_id))
    assert fetched is not None and fetched["user_id"] == "u-42"


async def test_add_event_assigns_seq_and_activates(service: SessionService) -> None:
    session = await service.create_session(agent="claude")
    first = await service.add_event(session["id"], "task_created", {"task_id": "123", "title": "Implement"})
    second = await service.add_event(
        str(session["id"]),
        "decision_made",
        {"decision": "use pgvector", "rationale": "industry standard"},
        metadata={"file": "session_service.py", "lines_changed": 450, "complexity": "high"},
    )
    assert (first["seq"], second["seq"]) == (1, 2)
    assert first["session_id"] == session["id"]
    assert second["metadata"]["lines_changed"] == 450
    assert datetime.fromisoformat(second["timestamp"]) >= datetime.fromisoformat(first["timestamp"])
    stored = await service.get_session(session["id"])
    assert stored is not None
    assert stored["lifecycle"] == "active"
    assert [e["event_type"] for e in stored["events"]] == ["task_created", "decision_made"]
    assert stored["events"][1] == second


async def test_caller_timestamp_is_kept_and_ties_keep_insertion_order(service: SessionService) -> None:
    session = await service.create_session(agent="claude")
    tied = datetime(2025, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    for index in range(20):
        await service.add_event(session["id"], "step", {"i": index}, timestamp=tied)
    stored = await service.get_session(session["id"])
    assert stored is not None
    assert [e["event_data"]["i"] for e in stored["events"]] == list(range(20))
    assert {e["timestamp"] for e in stored["events"]} == {"2025-05-01T12:00:00.123456+00:00"}


async def test_event_id_is_idempotent(service: SessionService) -> None:
    session = await service.create_session(agent="claude")
    event_id = uuid.uuid4()
    first = await service.add_event(session["id"], "task_created", {"n": 1}, event_id=event_id)
    again = await service.add_event(session["id"], "task_created", {"n": 1}, event_id=str(event_id))
    assert again == first
    stored = await service.get_session(session["id"])
    assert stored is not None and len(stored["events"]) == 1


async def test_a_retry_after_the_session_ended_returns_the_stored_event(service: SessionService) -> None:
    session = await service.create_session(agent="claude")
    event_id = uuid.uuid4()
    first = await service.add_event(session["id"], "task_created", {"n": 1}, event_id=event_id)
    await service.end_session(session["id"], summary="done")
    assert await service.add_event(session["id"], "task_created", {"n": 1}, event_id=event_id) == first
    repeat = [{"event_type": "task_created", "event_data": {"n": 1}, "event_id": str(event_id)}]
    assert (await service.add_events(session["id"], repeat))["duplicates"] == 1
    table = pa.table({"id": [str(event_id)], "event_type": ["task_created"], "event_data": ['{"n": 1}']})
    assert (await service.add_events(session["id"], table))["duplicates"] == 1
    with pytest.raises(SessionClosedError):  # but nothing new
        await service.add_events(session["id"], [*repeat, {"event_type": "note", "event_data": {}}])


async def test_an_event_id_of_another_session_is_refused(service: SessionService) -> None:
    owner, other = await service.create_session(agent="claude"), await service.create_session(agent="claude")
    event_id = uuid.uuid4()
    await service.add_event(owner["id"], "task_created", {}, event_id=event_id)
    before = snapshot(service.store)
    fresh = {"event_type": "note", "event_data": {}}
    attempts = [
        service.add_event(other["id"], "task_created", {}, event_id=event_id),
        service.add_events(other["id"], [fresh, {"event_type": "task_created", "event_data": {}, "id": event_id}]),
        service.add_events(
            other["id"],
            pa.table({"id": [str(uuid.uuid4()), str(event_id)], "event_type": ["a", "b"], "event_data": ["{}", "{}"]}),
        ),
    ]
    for attempt in attempts:
        with pytest.raises(AlreadyExistsError, match=f"event already exists: {event_id} \\(in session {owner['id']}"):
            await attempt
    assert snapshot(service.store) == before


async def test_get_session_unknown_and_malformed(service: SessionService) -> None:
    assert await service.get_session(uuid.uuid4()) is None
    with pytest.raises(ValidationError):
        await service.get_session("not-a-uuid")
    with pytest.raises(NotFoundError) as caught:
        await service.add_event(uuid.uuid4(), "task_created", {})
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, LookupError)
    with pytest.raises(NotFoundError):
        await service.require_session(uuid.uuid4())


async def test_list_sessions_filters_and_order(service: SessionService) -> None:
    other_project = uuid.uuid4()
    made = []
    for days, agent, project in [
        (10, "claude", PROJECT),
        (5, "gemini", PROJECT),
        (3, "claude", other_project),
        (1, "claude", None),
        (0.5, "gpt", None),
    ]:
        made.append(await service.create_session(agent, project, started_at=ago(days=days)))
    listed = await service.list_sessions()
    assert [s["id"] for s in listed] == [s["id"] for s in reversed(made)]
    assert "events" not in listed[0]
    assert [s["agent"] for s in await service.list_sessions(agent="claude")] == ["claude"] * 3
    assert {s["id"] for s in await service.list_sessions(project_id=PROJECT)} == {made[0]["id"], made[1]["id"]}
    recent = await service.list_sessions(since=ago(days=4))
    assert [s["id"] for s in recent] == [made[4]["id"], made[3]["id"], made[2]["id"]]
    older = await service.list_sessions(until=ago(days=4))
    assert [s["id"] for s in older] == [made[1]["id"], made[0]["id"]]
    assert len(await service.list_sessions(limit=2)) == 2
    assert [s["id"] for s in await service.list_sessions(limit=2, offset=3)] == [made[1]["id"], made[0]["id"]]
    with pytest.raises(ValidationError, match="naive"):
        await service.list_sessions(since=datetime.now())
    for bad in (0, -1, True, 2.5, "10"):
        with pytest.raises(ValidationError):
            await service.list_sessions(limit=bad)  # type: ignore[arg-type]


async def test_keyset_pagination_is_stable_and_complete(service: SessionService) -> None:
    tie = ago(hours=1)
    ids = set()
    for i in range(25):
        made = await service.create_session("claude", started_at=tie if i % 3 == 0 else ago(minutes=i + 1))
        ids.add(made["id"])
    seen: list[uuid.UUID] = []
    page = await service.list_sessions(agent="claude", limit=7)
    while page:
        seen.extend(s["id"] for s in page)
        # a newer session arriving between pages must not shift the pages that follow
        await service.create_session("claude")
        page = await service.list_sessions(agent="claude", limit=7, cursor=page[-1]["id"])
    assert len(seen) == len(set(seen)) == 25
    assert set(seen) == ids
    with pytest.raises(NotFoundError):
        await service.list_sessions(cursor=uuid.uuid4())


async def test_end_session_and_closed_sessions(service: SessionService) -> None:
    session = await service.create_session(agent="claude")
    await service.add_event(session["id"], "task_created", {"task_id": "1"})
    ended = await service.end_session(session["id"], summary="Completed database migration with 10 new tables")
    assert ended["lifecycle"] == "terminated" and ended["summary"].startswith("Completed")
    assert ended["ended_at"] is not None
    assert datetime.fromisoformat(ended["ended_at"]) >= datetime.fromisoformat(ended["started_at"])
    with pytest.raises(SessionClosedError) as closed:
        await service.add_event(session["id"], "task_created", {"task_id": "2"})
    assert isinstance(closed.value, ValueError)
    with pytest.raises(InvalidTransitionError):
        await service.end_session(session["id"])
    with pytest.raises(NotFoundError):
        await service.end_session(uuid.uuid4())
    stored = await service.get_session(session["id"])
    assert stored is not None and len(stored["events"]) == 1


async def test_get_last_session_count_and_recent(service: SessionService) -> None:
    assert await service.get_last_session("claude") is None
    old = await service.create_session("claude", started_at=ago(days=40))
    week = await service.create_session("claude", started_at=ago(days=3))
    today = await service.create_session("claude", started_at=ago(hours=2))
    await service.create_session("gemini")
    for _ in range(3):
        await service.add_event(today["id"], "task_created", {})
    await service.add_event(week["id"], "task_created", {})
    last = await service.get_last_session("claude")
    assert last is not None and last["id"] == today["id"] and len(last["events"]) == 3
    assert await service.count_sessions("claude", days=7) == 2
    assert await service.count_sessions("claude") == 2
    assert await service.count_sessions("claude", days=60) == 3
    recent = await service.get_recent_sessions("claude", days=7)
    assert [(s["id"], s["event_count"]) for s in recent] == [(today["id"], 3), (week["id"], 1)]
    assert [s["id"] for s in await service.get_recent_sessions("claude", days=90, limit=1, offset=2)] == [old["id"]]
    with pytest.raises(ValidationError):
        await service.count_sessions("claude", days=0)


async def test_update_summary_merges_metadata(service: SessionService) -> None:
    session = await service.create_session("claude", metadata={"phase": "Phase 2", "decisions": ["old"]})
    updated = await service.update_session_summary(
        session["id"],
        "Completed Phase 2 Day 1 with database schema migration",
        metadata={"key_events": ["migration_created"], "decisions": ["use pgvector"]},
    )
    assert updated["summary"] == "Completed Phase 2 Day 1 with database schema migration"
    assert updated["metadata"] == {
        "phase": "Phase 2",
        "decisions": ["use pgvector"],
        "key_events": ["migration_created"],
    }
    again = await service.update_session_summary(session["id"], "Second summary")
    assert again["metadata"] == updated["metadata"] and again["summary"] == "Second summary"


async def test_active_sessions(service: SessionService) -> None:
    ended = await service.create_session("claude")
    await service.end_session(ended["id"])
    paused = await service.create_session("gemini")
    await service.add_event(paused["id"], "task_created", {})
    await service.update_lifecycle(paused["id"], "paused")
    fresh = await service.create_session("gpt")
    active = await service.get_active_sessions()
    assert {s["id"] for s in active} == {paused["id"], fresh["id"]}
    assert [s["id"] for s in await service.get_active_sessions(limit=1)] == [fresh["id"]]


async def test_update_session_state_is_atomic_merge(service: SessionService) -> None:
    session = await service.create_session("claude", initial_state={"keep": True})
    await asyncio.gather(*(service.update_session_state(session["id"], {f"k{i}": i}) for i in range(30)))
    stored = await service.get_session(session["id"])
    assert stored is not None
    assert stored["state"] == {"keep": True, **{f"k{i}": i for i in range(30)}}
    with pytest.raises(ValidationError):
        await service.update_session_state(session["id"], None)  # type: ignore[arg-type]


async def test_lifecycle_transitions(service: SessionService) -> None:
    session = await service.create_session("claude")
    sid = session["id"]
    with pytest.raises(InvalidTransitionError):
        await service.update_lifecycle(sid, "paused")  # created -> paused is not allowed
    assert (await service.update_lifecycle(sid, "active"))["lifecycle"] == "active"
    assert (await service.update_lifecycle(sid, "active"))["lifecycle"] == "active"  # no-op
    assert (await service.update_lifecycle(sid, "paused"))["lifecycle"] == "paused"
    await service.add_event(sid, "context_shared", {"agent": "gemini", "context": {}})
    assert (await service.update_lifecycle(sid, "active"))["lifecycle"] == "active"
    terminated = await service.update_lifecycle(sid, "terminated")
    assert terminated["ended_at"] is not None
    with pytest.raises(InvalidTransitionError) as caught:
        await service.update_lifecycle(sid, "active")
    assert (caught.value.current, caught.value.requested) == ("terminated", "active")
    archived = await service.update_lifecycle(sid, "archived")
    assert archived["lifecycle"] == "archived" and archived["ended_at"] == terminated["ended_at"]
    with pytest.raises(SessionClosedError):
        await service.add_event(sid, "task_created", {})
    with pytest.raises(ValidationError):
        await service.update_lifecycle(sid, "sleeping")
    # summaries may still be written after the fact
    assert (await service.update_session_summary(sid, "Archived work"))["summary"] == "Archived work"


async def test_delete_session(service: SessionService) -> None:
    keep = await service.create_session("claude")
    await service.add_event(keep["id"], "task_created", {})
    gone = await service.create_session("claude")
    for _ in range(4):
        await service.add_event(gone["id"], "task_created", {})
    assert await service.delete_session(gone["id"]) == 4
    assert await service.get_session(gone["id"]) is None
    assert service.store.sql("SELECT count(*) FROM events").fetchall() == [(1,)]
    with pytest.raises(NotFoundError):
        await service.delete_session(gone["id"])


async def test_add_events_from_dicts(service: SessionService) -> None:
    session = await service.create_session("claude")
    repeated = uuid.uuid4()
    result = await service.add_events(
        session["id"],
        [
            {"event_type": "task_created", "event_data": {"task_id": "1"}, "event_id": repeated},
            {"event_type": "task_updated", "event_data": {"task_id": "1"}, "metadata": {"file": "a.py"}},
            {"event_type": "task_created", "event_data": {"task_id": "1"}, "id": str(repeated)},
        ],
    )
    assert (result["inserted"], result["duplicates"]) == (1 + 1, 1)
    again = await service.add_events(session["id"], [{"event_type": "x", "event_data": {}, "id": repeated}])
    assert (again["inserted"], again["duplicates"]) == (0, 1)
    stored = await service.get_session(session["id"])
    assert stored is not None
    assert [(e["seq"], e["event_type"]) for e in stored["events"]] == [(1, "task_created"), (2, "task_updated")]


async def test_add_events_from_arrow_and_polars(service: SessionService) -> None:
    session = await service.create_session("claude")
    ids = [uuid.uuid4() for _ in range(5)]
    when = datetime(2026, 3, 1, tzinfo=UTC)
    table = pa.table(
        {
            "id": pa.array([i.bytes for i in ids], pa.uuid()),
            "event_type": ["task_created"] * 5,
            "event_data": [json.dumps({"task_id": str(n)}) for n in range(5)],
            "timestamp": pa.array([when, None, when, None, when], pa.timestamp("us", tz="UTC")),
        }
    )
    result = await service.add_events(session["id"], table)
    assert (result["inserted"], result["duplicates"]) == (5, 0)
    frame = pl.DataFrame(
        {
            "id": [str(ids[0]), str(uuid.uuid4())],
            "event_type": ["decision_made", "decision_made"],
            "event_data": ['{"decision":"x"}', '{"decision":"y"}'],
            "metadata": ['{"file":"a.py"}', "{}"],
        }
    )
    result = await service.add_events(session["id"], frame)
    assert (result["inserted"], result["duplicates"]) == (1, 1)
    stored = await service.get_session(session["id"])
    assert stored is not None
    events = stored["events"]
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5, 6]
    assert [e["event_data"] for e in events[:5]] == [{"task_id": str(n)} for n in range(5)]
    assert events[0]["timestamp"] == "2026-03-01T00:00:00.000000+00:00"
    assert events[1]["timestamp"] is not None  # nulls are stamped with the commit time
    assert events[5]["event_data"] == {"decision": "y"} and events[5]["metadata"] == {}


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("event_data", '{"a": NaN}', "not valid JSON"),
        ("event_data", '{"a": [1, 2,]}', "not valid JSON"),
        ("event_data", "[1, 2]", "JSON object"),
        ("event_data", '{"a": Infinity}', "not valid JSON"),
        ("event_data", '{"a":' + "[" * 40 + "]" * 40 + "}", "deeper"),
        ("event_data", '{"a":' * 40 + "1" + "}" * 40, "deeper"),
        ("event_type", "not a type!", "identifier"),
        ("event_type", "", "identifier"),
    ],
)
async def test_add_events_table_rejects_bad_rows(
    service: SessionService, column: str, value: str, message: str
) -> None:
    session = await service.create_session("claude")
    data = {"event_type": ["ok", "ok", "ok"], "event_data": ["{}", '{"x":"NaN inside a string is fine"}', "{}"]}
    data[column] = [data[column][0], value, data[column][2]]
    before = snapshot(service.store)
    with pytest.raises(ValidationError, match=message):
        await service.add_events(session["id"], pa.table(data))
    assert snapshot(service.store) == before


async def test_store_reopens_with_its_data(tmp_path: object) -> None:
    from pathlib import Path

    from agentlog import Store

    directory = Path(str(tmp_path)) / "reopen"
    with Store(directory) as store:
        service = SessionService(store)
        session = await service.create_session("claude", metadata={"a": 1})
        await service.add_event(session["id"], "task_created", {"title": "é ünïcode ✓"})
    with Store(directory) as store:
        service = SessionService(store)
        stored = await service.get_session(session["id"])
        assert stored is not None
        assert stored["events"][0]["event_data"] == {"title": "é ünïcode ✓"}
        nxt = await service.add_event(session["id"], "task_updated", {})
        assert nxt["seq"] == 2
