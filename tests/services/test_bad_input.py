"""Bad input gets a typed error naming it, and the store does not change."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentlog import AgentlogError, NotFoundError, SessionService, Store, ValidationError
from agentlog.validation import MAX_JSON_BYTES, MAX_JSON_DEPTH, MAX_NAME_LENGTH, MAX_OFFSET
from tests.conftest import snapshot

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[Store, SessionService, dict[str, Any]]]:
    store = Store.memory()
    service = SessionService(store)

    async def setup() -> dict[str, Any]:
        session = await service.create_session("claude", metadata={"k": 1})
        await service.add_event(session["id"], "task_created", {"task_id": "1"})
        ended = await service.create_session("gemini")
        await service.end_session(ended["id"], summary="done")
        return {"open": session["id"], "ended": ended["id"]}

    ids = asyncio.run(setup())
    yield store, service, ids
    store.close()


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"x": value}
    return value


bad_names = st.one_of(
    st.none(),
    st.integers(),
    st.just(""),
    st.text(alphabet=" \t", min_size=1, max_size=5),
    st.text(min_size=MAX_NAME_LENGTH + 1, max_size=MAX_NAME_LENGTH + 20),
    st.text(min_size=1, max_size=10).map(lambda t: t + "\x00"),
    st.sampled_from(["\x85", "\x9b", "\u2028", "\u2029"]).map(lambda c: f"claude{c}code"),  # C1, separators
    st.just("\ud800"),
)
bad_event_types = st.one_of(
    st.none(),
    st.integers(),
    st.just(""),
    st.from_regex(r"[0-9 _!?/]{1,10}", fullmatch=True),
    st.text(alphabet="abc", min_size=129, max_size=140),
)
json_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=5), st.floats(allow_nan=False, allow_infinity=False)
)
bad_leaves = st.one_of(
    st.just(math.nan),
    st.just(math.inf),
    st.just(-math.inf),
    st.binary(max_size=3),
    st.sets(st.integers(), max_size=2),
    st.builds(uuid.uuid4),
    st.builds(datetime.now),
    st.just(object()),
)


@st.composite
def bad_payloads(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["leaf", "key", "deep", "big", "not_dict"]))
    if kind == "leaf":
        return {"ok": draw(json_leaves), "bad": {"inner": [draw(json_leaves), draw(bad_leaves)]}}
    if kind == "key":
        return {draw(st.one_of(st.integers(), st.tuples(st.integers()), st.none())): 1}
    if kind == "deep":
        return nested(MAX_JSON_DEPTH + draw(st.integers(1, 5)))
    if kind == "big":
        return {"blob": "x" * (MAX_JSON_BYTES + draw(st.integers(1, 100)))}
    return draw(st.one_of(st.lists(st.integers(), max_size=2), st.text(max_size=3), st.integers(), st.none()))


bad_ids = st.one_of(
    st.integers(), st.text(max_size=40).filter(lambda t: not _is_uuid(t)), st.none(), st.binary(max_size=16)
)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def unchanged(store: Store, call: Any, error: type[BaseException] = ValidationError) -> BaseException:
    before = snapshot(store)
    with pytest.raises(error) as caught:
        asyncio.run(call)
    assert snapshot(store) == before
    assert isinstance(caught.value, AgentlogError)
    return caught.value


@SETTINGS
@given(name=bad_names)
def test_bad_agent(seeded: Any, name: Any) -> None:
    store, service, _ = seeded
    unchanged(store, service.create_session(agent=name))


@SETTINGS
@given(event_type=bad_event_types)
def test_bad_event_type(seeded: Any, event_type: Any) -> None:
    store, service, ids = seeded
    unchanged(store, service.add_event(ids["open"], event_type, {}))


@SETTINGS
@given(payload=bad_payloads(), where=st.sampled_from(["event_data", "metadata", "session_metadata", "state"]))
def test_bad_json_payloads(seeded: Any, payload: Any, where: str) -> None:
    store, service, ids = seeded
    if where == "event_data":
        error = unchanged(store, service.add_event(ids["open"], "task_created", payload))
    elif where == "metadata":
        if payload is None:
            return  # metadata=None means "no metadata"
        error = unchanged(store, service.add_event(ids["open"], "task_created", {}, metadata=payload))
    elif where == "state":
        error = unchanged(store, service.update_session_state(ids["open"], payload))
    else:
        if payload is None:
            return
        error = unchanged(store, service.update_session_summary(ids["open"], "s", metadata=payload))
    assert isinstance(error, ValueError)


@SETTINGS
@given(bad=bad_ids)
def test_bad_session_ids(seeded: Any, bad: Any) -> None:
    store, service, _ = seeded
    unchanged(store, service.add_event(bad, "task_created", {}))
    unchanged(store, service.get_session(bad))
    unchanged(store, service.end_session(bad))


@SETTINGS
@given(
    limit=st.one_of(
        st.integers(max_value=0), st.integers(min_value=100_001), st.booleans(), st.floats(), st.text(max_size=3)
    )
)
def test_bad_limits(seeded: Any, limit: Any) -> None:
    store, service, _ = seeded
    unchanged(store, service.list_sessions(limit=limit))
    unchanged(store, service.get_recent_sessions("claude", limit=limit))


def test_unknown_and_closed_sessions_leave_store_unchanged(seeded: Any) -> None:
    store, service, ids = seeded
    unchanged(store, service.add_event(uuid.uuid4(), "task_created", {}), NotFoundError)
    unchanged(store, service.add_event(ids["ended"], "task_created", {}), ValueError)
    unchanged(store, service.update_lifecycle(ids["ended"], "active"), ValueError)
    unchanged(store, service.list_sessions(since=datetime(2026, 1, 1)))  # naive
    unchanged(store, service.add_event(ids["open"], "x", {}, timestamp=datetime(2026, 1, 1)))
    unchanged(store, service.add_events(ids["open"], [{"event_type": "x", "event_data": {}}, {"event_type": "x"}]))
    unchanged(store, service.add_events(ids["open"], [{"event_type": "x", "event_data": {"n": math.nan}}]))
    unchanged(store, service.add_events(ids["open"], "not events"))
    unchanged(store, service.create_session("claude", project_id="nope"))
    unchanged(store, service.update_session_summary(ids["open"], 42))  # type: ignore[arg-type]


def test_error_names_the_bad_value(seeded: Any) -> None:
    store, service, ids = seeded
    error = unchanged(store, service.add_event(ids["open"], "task_created", {"a": {"b": [1, math.nan]}}))
    assert "event_data['a']['b'][1]" in str(error) and "NaN" in str(error)
    assert isinstance(error, ValidationError) and error.field == "event_data['a']['b'][1]"
    error = unchanged(store, service.add_event("nope", "task_created", {}))
    assert "session_id" in str(error) and "'nope'" in str(error)


def test_offsets_past_what_duckdb_takes_are_refused(seeded: Any) -> None:
    store, service, _ = seeded
    for offset in (MAX_OFFSET + 1, 2**63, 10**30):
        unchanged(store, service.list_sessions(offset=offset))
        unchanged(store, service.get_active_sessions(offset=offset))
    assert asyncio.run(service.list_sessions(offset=MAX_OFFSET)) == []


def test_datetimes_at_the_ends_of_the_calendar(seeded: Any) -> None:
    store, service, _ = seeded
    west, east = timezone(timedelta(hours=-5)), timezone(timedelta(hours=5))
    # instants Python cannot hold in UTC: a typed error, not an OverflowError
    unchanged(store, service.list_sessions(since=datetime.max.replace(tzinfo=west)))
    unchanged(store, service.list_sessions(until=datetime.min.replace(tzinfo=east)))
    error = unchanged(store, service.search_events("x", since=datetime.max.replace(tzinfo=west)))
    assert "since" in str(error) and "9999" in str(error)
    # representable instants near year 1 are fine, including windows that reach back past it
    assert asyncio.run(service.list_sessions(until=datetime(1, 6, 1, tzinfo=UTC))) == []
    assert asyncio.run(service.list_sessions(since=datetime(1, 1, 1, tzinfo=UTC), limit=100)) != []


def test_updates_whose_merge_outgrows_the_payload_bound_are_refused(seeded: Any) -> None:
    # each update is under the bound alone; the merged object is not, and a store holding it could not
    # import its own export back
    store, service, ids = seeded
    half = "x" * (MAX_JSON_BYTES * 2 // 3)
    asyncio.run(service.update_session_state(ids["open"], {"a": half}))
    error = unchanged(store, service.update_session_state(ids["open"], {"b": half}))
    assert "state after the merge" in str(error)
    asyncio.run(service.update_session_summary(ids["open"], "s", metadata={"m1": half}))
    error = unchanged(store, service.update_session_summary(ids["open"], "s", metadata={"m2": half}))
    assert "metadata after the merge" in str(error)
    asyncio.run(service.update_session_state(ids["open"], {"a": None}))  # smaller again: accepted
    assert asyncio.run(service.update_session_state(ids["open"], {"b": half}))["state"]["b"] == half


@pytest.mark.parametrize("event_type", [5, object(), [], (), ["ok", 7], {"a": 1}])
def test_bad_event_type_filters(seeded: Any, event_type: Any) -> None:
    store, service, _ = seeded
    unchanged(store, service.search_events("x", event_type=event_type))


def test_a_query_that_is_not_valid_unicode_is_refused(seeded: Any) -> None:
    store, service, _ = seeded
    error = unchanged(store, service.search_sessions("bad \ud800 query"))
    assert "surrogate" in str(error)
    unchanged(store, service.search_events("bad \ud800 query"))
