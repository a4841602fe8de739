"""Stateful, model-based test of ``SessionService`` against a plain-Python model.

The model (:class:`Model`) is a dict of sessions, each a :class:`ModelSession` with its fields and its list of
event records, built only from the documented behaviour (README "SessionService", "Lifecycle", "Errors and
bounds"; the usage guide; the service's docstrings):

* ``create_session`` makes a ``created`` session; a caller-chosen ``session_id`` must be new;
* events go to ``created`` / ``active`` / ``paused`` sessions (the first one makes a ``created`` session
  ``active``) and get the next ``seq`` (1, 2, ... without gaps); ``terminated`` / ``archived`` sessions raise
  ``SessionClosedError``; re-sending a stored ``event_id`` stores nothing and returns the stored event (even after
  the session ended), and an id stored in another session is ``AlreadyExistsError``; ``add_events`` keeps the
  first of repeated ids and stores all or nothing;
* the lifecycle ``created -> active <-> paused -> terminated -> archived`` (``created -> terminated`` too), asking
  for the current state is a no-op, other moves raise ``InvalidTransitionError``; ``terminated`` sets
  ``ended_at``; ``end_session`` of an ended session raises ``InvalidTransitionError``;
* ``update_session_state`` / ``update_session_summary`` merge top-level keys (the merge must stay within 1 MiB);
* unknown ids raise ``NotFoundError`` (getters return ``None``), bad arguments ``ValidationError``, and every
  rejected call leaves the store unchanged (compared table by table);
* reads: newest first by ``started_at``, ties by ``id`` descending (the keyset order the cursor continues);
  ``since`` included, ``until`` left out; ``count_sessions`` / ``get_recent_sessions`` look back ``days`` days;
  ``get_active_sessions`` = not ended.

Settled from the package where the docs are silent: ties of ``started_at`` go by ``id`` descending (the keyset
order the cursor needs; the README only says "newest first"); an event id stored in another session is
``AlreadyExistsError`` even when the target session is closed; ``end_session(summary=None)`` keeps the summary.

``TestSessionModel`` runs the machine on an in-memory store; ``TestSessionModelReopen`` on a store directory that
a rule closes and opens again (every session is then read back in full). ``concurrent_writes`` awaits several
writes at once, so that they share a write group: each must behave as if run alone, in call order.
"""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from agentlog import (
    AlreadyExistsError,
    InvalidTransitionError,
    NotFoundError,
    SessionClosedError,
    SessionService,
    Store,
    ValidationError,
)
from tests.conftest import snapshot

# -- the model ------------------------------------------------------------------------------------------------

OPEN = {"created", "active", "paused"}
ENDED = {"terminated", "archived"}
MOVES = {
    "created": {"active", "terminated"},
    "active": {"paused", "terminated"},
    "paused": {"active", "terminated"},
    "terminated": {"archived"},
    "archived": set(),
}
LIFECYCLES = sorted(MOVES)
MAX_JSON_BYTES = 1_048_576
MAX_LIMIT = 100_000


def iso(moment: datetime) -> str:
    """The documented record timestamp: ISO-8601 UTC with microseconds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def json_copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def serialised_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


@dataclass
class ModelSession:
    id: uuid.UUID
    agent: str
    project_id: uuid.UUID | None
    user_id: str | None
    app_name: str | None
    metadata: dict[str, Any]
    state: dict[str, Any]
    started_at: str
    lifecycle: str = "created"
    summary: str | None = None
    ended_at: str | None = None
    updated_at: str | None = None
    """The last ``updated_at`` a write returned (``None``: not known, taken from the next read)."""
    changes: int = 0
    """How many changes of the session's row were planned (to know which write's ``updated_at`` is the last)."""
    events: list[dict[str, Any]] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        """The session record without ``updated_at`` (checked on its own) and without events."""
        return {
            "id": self.id,
            "agent": self.agent,
            "project_id": self.project_id,
            "user_id": self.user_id,
            "app_name": self.app_name,
            "lifecycle": self.lifecycle,
            "summary": self.summary,
            "metadata": self.metadata,
            "state": self.state,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
        }

    def order_key(self) -> tuple[datetime, int]:
        return parse(self.started_at), self.id.int


@dataclass
class Model:
    sessions: dict[uuid.UUID, ModelSession] = field(default_factory=dict)
    deleted: list[uuid.UUID] = field(default_factory=list)
    event_pool: list[uuid.UUID] = field(default_factory=list)
    """Every event id ever stored, including those of deleted sessions (to re-send them)."""

    def owner(self, event_id: uuid.UUID) -> uuid.UUID | None:
        for session in self.sessions.values():
            if any(e["id"] == event_id for e in session.events):
                return session.id
        return None

    def event(self, event_id: uuid.UUID) -> dict[str, Any]:
        for session in self.sessions.values():
            for event in session.events:
                if event["id"] == event_id:
                    return event
        raise KeyError(event_id)

    def newest_first(self, sessions: Any) -> list[ModelSession]:
        return sorted(sessions, key=ModelSession.order_key, reverse=True)

    def plan_append(self, sid: uuid.UUID, ids: list[uuid.UUID | None]) -> tuple[list[int], type[Exception] | None]:
        """Which of the events (by position) a batch stores, or the error it raises.

        Repeated ids keep their first occurrence; an id stored in this session is a duplicate; an id stored in
        another session is refused; new events need a session open for events.
        """
        session = self.sessions.get(sid)
        if session is None:
            return [], NotFoundError
        seen: set[uuid.UUID] = set()
        new: list[int] = []
        for position, event_id in enumerate(ids):
            if event_id is None:
                new.append(position)
                continue
            if event_id in seen:
                continue
            seen.add(event_id)
            owner = self.owner(event_id)
            if owner is None:
                new.append(position)
            elif owner != sid:
                return [], AlreadyExistsError
        if new and session.lifecycle in ENDED:
            return [], SessionClosedError
        return new, None


# -- strategies -------------------------------------------------------------------------------------------------

AGENTS = ["claude", "gemini", "gpt", "user"]
PROJECTS = [None, uuid.UUID("b231255f-6ed9-4440-80de-958bcf7b4f9f"), uuid.UUID("0f0e0d0c-0b0a-4908-8706-050403020100")]
ZONES = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]

# Start times relative to the machine's base time: whole days (the look-back windows of list_sessions start
# exactly there) at 6 h and 18 h past a day, never close to the boundary of a count_sessions / recent window
# (now - days), a microsecond apart, in the future, and the extremes of the years 1-9999.
OFFSETS = [
    timedelta(days=-days, hours=-hours, microseconds=-micro)
    for days in (0, 1, 6, 7, 8, 30, 31, 365, 400)
    for hours in (6, 18)
    for micro in (0, 1)
] + [timedelta(days=1), timedelta(days=3, hours=6)]
EARLIEST = datetime(1, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
MOMENTS = st.one_of(
    st.tuples(st.integers(0, len(OFFSETS) - 1), st.integers(0, len(ZONES) - 1)),
    st.sampled_from([EARLIEST, LATEST]),
)

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=6
)
keys = st.sampled_from(["a", "b", "c", "step"]) | text
json_objects = st.dictionaries(keys, json_values, max_size=4)
names = st.none() | st.sampled_from(["alice", "bob", "ci-bot", "Ünïcødé name"])
event_types = st.sampled_from(["task_created", "decision_made", "error_encountered", "response_item.function_call"])
summaries = st.sampled_from(["", "Fixed the TypeError", "Migrated the schema; 10 tables"]) | text
picks = st.integers(0, 10**6)
# an event id: None (new, generated), "new" (new, caller-chosen) or an index into every id stored so far
event_id_choices = st.one_of(st.none(), st.just("new"), picks)
event_specs = st.tuples(event_types, json_objects, st.none() | json_objects, event_id_choices, st.none() | MOMENTS)
batch_ops = st.one_of(
    st.tuples(st.just("create"), picks, st.tuples(st.sampled_from(["new", "deleted", "existing"]), MOMENTS)),
    st.tuples(st.just("event"), picks, event_specs),
    st.tuples(st.just("events"), picks, st.lists(event_specs, min_size=1, max_size=3)),
    st.tuples(st.just("state"), picks, json_objects),
    st.tuples(st.just("lifecycle"), picks, st.sampled_from(LIFECYCLES)),
    st.tuples(st.just("end"), picks, st.none() | summaries),
    st.tuples(st.just("summary"), picks, st.none() | json_objects),
    st.tuples(st.just("delete"), picks, st.none()),
)


def unknown_id() -> uuid.UUID:
    return uuid.uuid4()


def _equal(actual: Any, expected: Any) -> None:
    assert actual == expected


def _bad_calls(service: SessionService, sid: uuid.UUID) -> list[Any]:
    """Calls whose arguments the documented bounds reject (each a coroutine factory)."""
    naive = datetime(2026, 1, 1)
    ok = {"event_type": "task_created", "event_data": {}}
    return [
        lambda: service.create_session(""),
        lambda: service.create_session("x" * 129),
        lambda: service.create_session("a\nb"),
        lambda: service.create_session(123),
        lambda: service.create_session("claude", project_id="not-a-uuid"),
        lambda: service.create_session("claude", metadata={"a": float("nan")}),
        lambda: service.create_session("claude", metadata={1: "x"}),
        lambda: service.create_session("claude", metadata="text"),
        lambda: service.create_session("claude", started_at=naive),
        lambda: service.create_session("claude", user_id=""),
        lambda: service.create_session("claude", app_name="\x00"),
        lambda: service.create_session("claude", initial_state={"a": {1, 2}}),
        lambda: service.create_session("claude", session_id="zzz"),
        lambda: service.create_session("claude", started_at=datetime(1, 1, 1, tzinfo=ZONES[1])),
        lambda: service.add_event(sid, "1bad", {}),
        lambda: service.add_event(sid, "a" * 129, {}),
        lambda: service.add_event(sid, "task_created", "not a dict"),
        lambda: service.add_event(sid, "task_created", {"x": float("inf")}),
        lambda: service.add_event(sid, "task_created", {}, timestamp=naive),
        lambda: service.add_event(sid, "task_created", {}, event_id="bad"),
        lambda: service.add_event(sid, "task_created", {}, metadata=[1]),
        lambda: service.add_event("not-a-uuid", "task_created", {}),
        lambda: service.add_events(sid, [ok, {"event_type": "bad type", "event_data": {}}]),
        lambda: service.add_events(sid, [ok, {"event_type": "task_created"}]),
        lambda: service.add_events(sid, [ok, {**ok, "extra": 1}]),
        lambda: service.add_events(sid, [ok, {**ok, "id": uuid.uuid4(), "event_id": uuid.uuid4()}]),
        lambda: service.add_events(sid, [ok, {**ok, "timestamp": naive}]),
        lambda: service.add_events(sid, "text"),
        lambda: service.update_session_state(sid, None),
        lambda: service.update_session_state(sid, {"a": float("nan")}),
        lambda: service.update_session_state(sid, [("a", 1)]),
        lambda: service.update_lifecycle(sid, "done"),
        lambda: service.update_lifecycle(sid, "Active"),
        lambda: service.end_session(sid, summary=123),
        lambda: service.end_session(sid, summary="x" * (256 * 1024 + 1)),
        lambda: service.update_session_summary(sid, None),
        lambda: service.update_session_summary(sid, "ok", metadata={"a": object()}),
        lambda: service.list_sessions(limit=0),
        lambda: service.list_sessions(limit=100_001),
        lambda: service.list_sessions(offset=-1),
        lambda: service.list_sessions(since=naive),
        lambda: service.list_sessions(agent=""),
        lambda: service.list_sessions(cursor="bad"),
        lambda: service.count_sessions("claude", days=0),
        lambda: service.count_sessions("claude", days=36_501),
        lambda: service.count_sessions(""),
        lambda: service.get_recent_sessions("claude", limit=0),
        lambda: service.get_active_sessions(limit=0),
        lambda: service.get_session("bad"),
        lambda: service.delete_session("bad"),
    ]


# -- the machine ------------------------------------------------------------------------------------------------


@dataclass
class Planned:
    """A call planned against the model: what it must raise, or how to check its result (and finish the model)."""

    call: Callable[[], Awaitable[Any]]
    error: type[Exception] | None = None
    check: Callable[[Any], None] = lambda result: None


class SessionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.store = self.open_store()
        self.service = SessionService(self.store)
        self.model = Model()
        self.base = datetime.now(UTC).replace(microsecond=0)
        self.window = (self.base, self.base)
        """The wall-clock bounds of the calls being checked (store-chosen times must fall inside)."""
        self.dirty: set[uuid.UUID] = set()
        """Sessions a rule used since the last check: read back in full with their events."""

    def open_store(self) -> Store:
        return Store.memory(embedder=None)

    def teardown(self) -> None:
        self.store.close()
        self.runner.close()

    def run(self, coro: Any) -> Any:
        return self.runner.run(coro)

    def moment(self, drawn: Any) -> datetime:
        if isinstance(drawn, datetime):
            return drawn
        offset, zone = drawn
        return (self.base + OFFSETS[offset]).astimezone(ZONES[zone])

    def pick(self, index: int) -> ModelSession:
        ids = list(self.model.sessions)
        session = self.model.sessions[ids[index % len(ids)]]
        self.dirty.add(session.id)
        return session

    def pick_any(self, index: int) -> uuid.UUID:
        """A session id of the store, or of a deleted session (concurrent batches may delete one before use)."""
        ids = list(self.model.sessions) + self.model.deleted
        sid = ids[index % len(ids)] if ids else unknown_id()
        self.dirty.add(sid)
        return sid

    def now_inside(self, text: str) -> None:
        assert self.window[0] <= parse(text) <= self.window[1], (text, self.window)

    def rejected(self, error: type[Exception], make: Any) -> None:
        """Run a call that must raise exactly ``error`` and leave the store unchanged."""
        before = snapshot(self.store)
        with pytest.raises(error) as caught:
            self.run(make())
        assert type(caught.value) is error, repr(caught.value)
        assert snapshot(self.store) == before

    def execute(self, plans: list[Planned]) -> None:
        """Run planned calls at once (one write group when the writer is free), each checked against the model."""
        if len(plans) == 1 and plans[0].error is not None:
            self.rejected(plans[0].error, plans[0].call)
            return

        async def together() -> list[Any]:
            return list(await asyncio.gather(*(plan.call() for plan in plans), return_exceptions=True))

        start = datetime.now(UTC)
        outcomes = self.run(together())
        self.window = (start, datetime.now(UTC))
        for plan, outcome in zip(plans, outcomes, strict=True):
            if plan.error is not None:
                assert type(outcome) is plan.error, repr(outcome)
            else:
                assert not isinstance(outcome, BaseException), repr(outcome)
                plan.check(outcome)

    def check_session(self, actual: Any, session: ModelSession, *, events: bool) -> None:
        assert actual is not None, session.id
        got = dict(actual)
        updated = got.pop("updated_at")
        assert isinstance(updated, str) and parse(updated).tzinfo is not None
        if session.updated_at is None:
            session.updated_at = updated
        assert updated == session.updated_at, session.id
        if events:
            assert got.pop("events") == session.events
        assert got == session.record()

    def adopt(self, session: ModelSession, returned: Any) -> None:
        """Check a session record returned by a write and remember its ``updated_at``."""
        session.updated_at = None
        self.check_session(returned, session, events=False)

    # -- planners: each updates the model as the call will, in call order ----------------------------------------

    def plan_create(
        self,
        agent: str,
        project: uuid.UUID | None,
        user_id: str | None,
        app_name: str | None,
        metadata: dict[str, Any] | None,
        state: dict[str, Any] | None,
        started_at: datetime | None,
        session_id: uuid.UUID | None,
        as_str: bool,
    ) -> Planned:
        def call() -> Any:
            return self.service.create_session(
                agent,
                str(project) if as_str and project else project,
                metadata,
                user_id=user_id,
                app_name=app_name,
                initial_state=state,
                session_id=str(session_id) if as_str and session_id else session_id,
                started_at=started_at,
            )

        if session_id in self.model.sessions:
            return Planned(call, AlreadyExistsError)

        def add(sid: uuid.UUID, started: str) -> ModelSession:
            session = ModelSession(
                id=sid,
                agent=agent,
                project_id=project,
                user_id=user_id,
                app_name=app_name,
                metadata=json_copy(metadata or {}),
                state=json_copy(state or {}),
                started_at=started,
            )
            self.model.sessions[sid] = session
            self.dirty.add(sid)
            if sid in self.model.deleted:
                self.model.deleted.remove(sid)
            return session

        if session_id is not None and started_at is not None:  # all known: later calls of a batch may use it
            return Planned(call, check=self.checker(add(session_id, iso(started_at))))

        def check(record: Any) -> None:
            if started_at is None:
                self.now_inside(record["started_at"])
            sid = record["id"]
            assert isinstance(sid, uuid.UUID) and (session_id is None or sid == session_id)
            assert sid not in self.model.sessions
            self.adopt(add(sid, iso(started_at) if started_at is not None else record["started_at"]), record)

        return Planned(call, check=check)

    def plan_append(self, sid: uuid.UUID, rows: list[dict[str, Any]], call: Any, *, single: bool) -> Planned:
        """``add_event`` (``single``) or ``add_events`` of ``rows`` (each event's fields; ``id`` may be None)."""
        new, error = self.model.plan_append(sid, [r["id"] for r in rows])
        if error is not None:
            return Planned(call, error)
        session = self.model.sessions[sid]
        if single and not new:  # a retry: nothing stored, the stored event returned
            stored = self.model.event(rows[0]["id"])
            return Planned(call, check=lambda result: _equal(result, stored))
        expected = [self.new_event(session, rows[n]) for n in new]

        def check(result: Any) -> None:
            if single:
                self.check_new_event(result, expected[0])
                return
            assert result == {"session_id": sid, "inserted": len(new), "duplicates": len(rows) - len(new)}
            if (
                any(e["id"] is None or e["timestamp"] is None for e in expected)
                and self.model.sessions.get(sid) is session
            ):
                stored = {e["seq"]: e for e in self.run(self.service.get_session(sid))["events"]}
                for wanted in expected:
                    self.check_new_event(stored[wanted["seq"]], wanted)
            for wanted in expected:
                if wanted["id"] is not None:
                    self.model.event_pool.append(wanted["id"])

        return Planned(call, check=check)

    def new_event(self, session: ModelSession, row: dict[str, Any]) -> dict[str, Any]:
        """Append the model's event (its ``id`` / ``timestamp`` ``None`` when the store chooses them)."""
        event = {
            "id": row["id"],
            "session_id": session.id,
            "seq": len(session.events) + 1,
            "event_type": row["event_type"],
            "event_data": json_copy(row["event_data"]),
            "metadata": json_copy(row["metadata"] or {}),
            "timestamp": iso(row["timestamp"]) if row["timestamp"] is not None else None,
        }
        session.events.append(event)
        if session.lifecycle == "created":
            session.lifecycle = "active"
            session.changes += 1
            session.updated_at = None  # the activation is a change of the session
        return event

    def check_new_event(self, actual: dict[str, Any], expected: dict[str, Any]) -> None:
        if expected["id"] is None:
            assert isinstance(actual["id"], uuid.UUID)
            assert actual["id"] not in self.model.event_pool
            expected["id"] = actual["id"]
            self.model.event_pool.append(actual["id"])
        if expected["timestamp"] is None:
            self.now_inside(actual["timestamp"])
            expected["timestamp"] = actual["timestamp"]
        assert actual == expected

    def plan_add_event(self, sid: uuid.UUID, row: dict[str, Any], as_str: bool) -> Planned:
        def call() -> Any:
            return self.service.add_event(
                str(sid) if as_str else sid,
                row["event_type"],
                row["event_data"],
                metadata=row["metadata"],
                event_id=str(row["id"]) if as_str and row["id"] else row["id"],
                timestamp=row["timestamp"],
            )

        return self.plan_append(sid, [row], call, single=True)

    def plan_add_events(self, sid: uuid.UUID, rows: list[dict[str, Any]], as_table: bool, id_key: str) -> Planned:
        def call() -> Any:
            if as_table:
                # the optional columns only when some row has a value (ids: all rows have one, or none)
                columns: dict[str, Any] = {
                    "event_type": [r["event_type"] for r in rows],
                    "event_data": [json.dumps(r["event_data"], ensure_ascii=False) for r in rows],
                }
                if any(r["metadata"] is not None for r in rows):
                    columns["metadata"] = [json.dumps(r["metadata"] or {}) for r in rows]
                if rows[0]["id"] is not None:
                    columns["id"] = [str(r["id"]) for r in rows]
                if any(r["timestamp"] is not None for r in rows):
                    columns["timestamp"] = pa.array([r["timestamp"] for r in rows], pa.timestamp("us", tz="UTC"))
                return self.service.add_events(sid, pa.table(columns))
            events = []
            for r in rows:
                event = {"event_type": r["event_type"], "event_data": r["event_data"]}
                if r["metadata"] is not None:
                    event["metadata"] = r["metadata"]
                if r["id"] is not None:
                    event[id_key] = r["id"]
                if r["timestamp"] is not None:
                    event["timestamp"] = r["timestamp"]
                events.append(event)
            return self.service.add_events(str(sid), events)

        return self.plan_append(sid, rows, call, single=False)

    def plan_state(self, sid: uuid.UUID, updates: dict[str, Any]) -> Planned:
        def call() -> Any:
            return self.service.update_session_state(sid, updates)

        session = self.model.sessions.get(sid)
        if session is None:
            return Planned(call, NotFoundError)
        if serialised_size({**session.state, **updates}) > MAX_JSON_BYTES:
            return Planned(call, ValidationError)
        session.state.update(json_copy(updates))
        return Planned(call, check=self.checker(session))

    def plan_summary(self, sid: uuid.UUID, summary: str, metadata: dict[str, Any] | None) -> Planned:
        def call() -> Any:
            return self.service.update_session_summary(sid, summary, metadata)

        session = self.model.sessions.get(sid)
        if session is None:
            return Planned(call, NotFoundError)
        if serialised_size({**session.metadata, **(metadata or {})}) > MAX_JSON_BYTES:
            return Planned(call, ValidationError)
        session.summary = summary
        session.metadata.update(json_copy(metadata or {}))
        return Planned(call, check=self.checker(session))

    def plan_lifecycle(self, sid: uuid.UUID, target: str) -> Planned:
        def call() -> Any:
            return self.service.update_lifecycle(sid, target)

        session = self.model.sessions.get(sid)
        if session is None:
            return Planned(call, NotFoundError)
        if target == session.lifecycle:  # a no-op
            return Planned(call, check=self.checker(session, changed=False))
        if target not in MOVES[session.lifecycle]:
            return Planned(call, InvalidTransitionError)
        session.lifecycle = target
        return Planned(call, check=self.checker(session, ends=target == "terminated"))

    def plan_end(self, sid: uuid.UUID, summary: str | None) -> Planned:
        def call() -> Any:
            return self.service.end_session(sid, summary=summary)

        session = self.model.sessions.get(sid)
        if session is None:
            return Planned(call, NotFoundError)
        if session.lifecycle in ENDED:
            return Planned(call, InvalidTransitionError)
        session.lifecycle = "terminated"
        if summary is not None:
            session.summary = summary
        return Planned(call, check=self.checker(session, ends=True))

    def plan_delete(self, sid: uuid.UUID) -> Planned:
        def call() -> Any:
            return self.service.delete_session(sid)

        session = self.model.sessions.pop(sid, None)
        if session is None:
            return Planned(call, NotFoundError)
        self.model.deleted.append(sid)
        count = len(session.events)
        return Planned(call, check=lambda removed: _equal(removed, count))

    def checker(self, session: ModelSession, *, ends: bool = False, changed: bool = True) -> Callable[[Any], None]:
        """Check the record a write returns against the model as this write leaves it (later calls may change it).

        Times the store chooses (``ended_at``, ``updated_at``) are taken from the result; checks run in call order,
        so the ``ended_at`` of a session ended earlier in a batch is known by then.
        """
        expected = copy.deepcopy(session.record())
        ended_before = expected.pop("ended_at")
        if changed:
            session.changes += 1
            session.updated_at = None
        if ends:
            session.ended_at = None
        mine = session.changes

        def check(record: Any) -> None:
            got = dict(record)
            updated, ended = got.pop("updated_at"), got.pop("ended_at")
            assert got == expected
            if ends:  # now, or the start when that lies ahead of the clock (a session never ends before it starts)
                if parse(expected["started_at"]) > self.window[1]:
                    assert ended == expected["started_at"]
                else:
                    self.now_inside(ended)
                session.ended_at = ended
            elif expected["lifecycle"] in ENDED:
                assert ended == session.ended_at
            else:
                assert ended is None and ended_before is None
            if mine == session.changes:  # the last change of the session so far
                if changed or session.updated_at is None:
                    session.updated_at = updated
                assert updated == session.updated_at

        return check

    def event_row(self, spec: tuple[Any, ...]) -> dict[str, Any]:
        event_type, data, metadata, chosen, when = spec
        event_id = self.event_id(chosen)
        return {
            "event_type": event_type,
            "event_data": data,
            "metadata": metadata,
            "id": event_id,
            "timestamp": self.moment(when) if when is not None else None,
        }

    def event_id(self, chosen: Any) -> uuid.UUID | None:
        if chosen is None:
            return None
        if chosen == "new" or not self.model.event_pool:
            return unknown_id()
        return self.model.event_pool[chosen % len(self.model.event_pool)]

    # -- write rules ----------------------------------------------------------------------------------------------

    @rule(
        agent=st.sampled_from(AGENTS),
        project=st.sampled_from(PROJECTS),
        user_id=names,
        app_name=names,
        metadata=st.none() | json_objects,
        state=st.none() | json_objects,
        started=st.none() | MOMENTS | st.integers(0, 10**6).map(lambda n: ("tie", n)),
        chosen=st.sampled_from(["none", "new", "existing", "deleted"]),
        pick=picks,
        as_str=st.booleans(),
    )
    def create_session(
        self,
        agent: str,
        project: uuid.UUID | None,
        user_id: str | None,
        app_name: str | None,
        metadata: dict[str, Any] | None,
        state: dict[str, Any] | None,
        started: Any,
        chosen: str,
        pick: int,
        as_str: bool,
    ) -> None:
        if isinstance(started, tuple) and started[0] == "tie":  # the start of another session: a tie
            started = parse(self.pick(started[1]).started_at) if self.model.sessions else None
        started_at = self.moment(started) if started is not None else None
        session_id = self.session_id(chosen, pick)
        plan = self.plan_create(agent, project, user_id, app_name, metadata, state, started_at, session_id, as_str)
        self.execute([plan])

    def session_id(self, chosen: str, pick: int) -> uuid.UUID | None:
        if chosen == "new" or (chosen == "deleted" and not self.model.deleted):
            return unknown_id()
        if chosen == "deleted":
            return self.model.deleted[pick % len(self.model.deleted)]
        if chosen == "existing" and self.model.sessions:
            return self.pick(pick).id
        return None

    @precondition(lambda self: self.model.sessions)
    @rule(pick=picks, spec=event_specs, as_str=st.booleans())
    def add_event(self, pick: int, spec: tuple[Any, ...], as_str: bool) -> None:
        sid, row = self.pick(pick).id, self.event_row(spec)
        retry = row["id"] is not None and self.model.owner(row["id"]) == sid
        before = snapshot(self.store) if retry else None
        self.execute([self.plan_add_event(sid, row, as_str)])
        if retry:  # nothing stored, the stored event returned
            assert snapshot(self.store) == before

    @precondition(lambda self: self.model.sessions)
    @rule(
        pick=picks,
        specs=st.lists(event_specs, min_size=1, max_size=5),
        repeat=st.booleans(),
        as_table=st.booleans(),
        id_key=st.sampled_from(["event_id", "id"]),
    )
    def add_events(self, pick: int, specs: list[Any], repeat: bool, as_table: bool, id_key: str) -> None:
        rows = [self.event_row(spec) for spec in specs]
        if as_table and any(r["id"] is not None for r in rows):  # a table's id column has an id in every row
            rows = [{**r, "id": r["id"] or unknown_id()} for r in rows]
        if repeat and rows[0]["id"] is not None:  # the same id twice in one call: the first is kept
            rows.append({**rows[0], "event_data": {"repeated": True}})
        self.execute([self.plan_add_events(self.pick(pick).id, rows, as_table, id_key)])

    @precondition(lambda self: self.model.sessions)
    @rule(pick=picks, updates=json_objects)
    def update_session_state(self, pick: int, updates: dict[str, Any]) -> None:
        self.execute([self.plan_state(self.pick(pick).id, updates)])

    @precondition(lambda self: self.model.sessions)
    @rule(pick=picks, slot=st.sampled_from(["big1", "big2", "big3"]), where=st.sampled_from(["state", "metadata"]))
    def merge_large_value(self, pick: int, slot: str, where: str) -> None:
        """Large values under a few keys: two fit in 1 MiB, three do not (each update fits alone)."""
        sid = self.pick(pick).id
        updates = {slot: "x" * 400_000}
        self.execute([self.plan_state(sid, updates) if where == "state" else self.plan_summary(sid, "big", updates)])

    @precondition(lambda self: self.model.sessions)
    @rule(pick=picks, summary=summaries, metadata=st.none() | json_objects)
    def update_session_summary(self, pick: int, summary: str, metadata: dict[str, Any] | None) -> None:
        self.execute([self.plan_summary(self.pick(pick).id, summary, metadata)])

    @precondition(lambda self: self.model.sessions)
    @rule(
        pick=picks,
        moves=st.lists(
            st.tuples(st.sampled_from(["allowed", "refused", "allowed", "same"]), st.integers(0, 4)),
            min_size=1,
            max_size=6,
        ),
    )
    def update_lifecycle(self, pick: int, moves: list[tuple[str, int]]) -> None:
        """A walk of one session through the lifecycle: each step an allowed move, every refused one, or a no-op.

        Walking from the current state reaches every state and every move of each, which independent random
        requests hardly do (index 0 walks created -> active -> paused -> active ...).
        """
        session = self.pick(pick)
        for kind, index in moves:
            allowed = sorted(MOVES[session.lifecycle])
            refused = sorted(set(LIFECYCLES) - set(allowed) - {session.lifecycle})
            if kind == "refused":  # every refused move from here, each rejected with the store unchanged
                for lifecycle in refused:
                    self.execute([self.plan_lifecycle(session.id, lifecycle)])
            elif kind == "allowed" and allowed:
                self.execute([self.plan_lifecycle(session.id, allowed[index % len(allowed)])])
            else:  # a no-op: the store does not change
                before = snapshot(self.store)
                self.execute([self.plan_lifecycle(session.id, session.lifecycle)])
                assert snapshot(self.store) == before

    @precondition(lambda self: self.model.sessions)
    @rule(pick=picks, summary=st.none() | summaries)
    def end_session(self, pick: int, summary: str | None) -> None:
        self.execute([self.plan_end(self.pick(pick).id, summary)])

    @precondition(lambda self: self.model.sessions)
    @rule(pick=picks)
    def delete_session(self, pick: int) -> None:
        sid = self.pick(pick).id
        self.execute([self.plan_delete(sid)])
        assert self.run(self.service.get_session(sid)) is None

    @rule(ops=st.lists(batch_ops, min_size=2, max_size=6))
    def concurrent_writes(self, ops: list[tuple[Any, ...]]) -> None:
        """Several writes awaited together: each behaves as if run alone, in the order they were made."""
        plans = []
        for kind, pick, args in ops:
            sid = self.pick_any(pick)
            if kind == "create":
                chosen, started = args
                session_id = self.session_id(chosen, pick) or unknown_id()
                started_at = self.moment(started)
                plans.append(self.plan_create("claude", None, None, None, None, None, started_at, session_id, False))
            elif kind == "event":
                plans.append(self.plan_add_event(sid, self.event_row(args), False))
            elif kind == "events":
                plans.append(self.plan_add_events(sid, [self.event_row(spec) for spec in args], False, "event_id"))
            elif kind == "state":
                plans.append(self.plan_state(sid, args))
            elif kind == "lifecycle":
                plans.append(self.plan_lifecycle(sid, args))
            elif kind == "end":
                plans.append(self.plan_end(sid, args))
            elif kind == "summary":
                plans.append(self.plan_summary(sid, "s", args))
            else:
                plans.append(self.plan_delete(sid))
        self.execute(plans)

    # -- unknown ids and bad arguments ----------------------------------------------------------------------------

    @rule(
        op=st.sampled_from(
            [
                "add_event",
                "add_events",
                "add_table",
                "end_session",
                "update_session_summary",
                "update_session_state",
                "update_lifecycle",
                "delete_session",
                "require_session",
                "cursor",
            ]
        ),
        deleted=st.booleans(),
        pick=picks,
    )
    def unknown_session(self, op: str, deleted: bool, pick: int) -> None:
        sid = self.model.deleted[pick % len(self.model.deleted)] if deleted and self.model.deleted else unknown_id()
        service = self.service
        event = {"event_type": "task_created", "event_data": {}}
        calls = {
            "add_event": lambda: service.add_event(sid, "task_created", {}),
            "add_events": lambda: service.add_events(sid, [event]),
            "add_table": lambda: service.add_events(sid, pa.table({"event_type": ["x"], "event_data": ["{}"]})),
            "end_session": lambda: service.end_session(sid, "done"),
            "update_session_summary": lambda: service.update_session_summary(sid, "s", {"a": 1}),
            "update_session_state": lambda: service.update_session_state(sid, {"a": 1}),
            "update_lifecycle": lambda: service.update_lifecycle(sid, "paused"),
            "delete_session": lambda: service.delete_session(sid),
            "require_session": lambda: service.require_session(sid),
            "cursor": lambda: service.list_sessions(cursor=sid),
        }
        self.rejected(NotFoundError, calls[op])
        assert self.run(service.get_session(str(sid))) is None

    @rule(index=st.integers(0, 10**6), pick=picks)
    def bad_arguments(self, index: int, pick: int) -> None:
        sid = self.pick(pick).id if self.model.sessions else unknown_id()
        calls = _bad_calls(self.service, sid)
        self.rejected(ValidationError, calls[index % len(calls)])

    # -- reads ----------------------------------------------------------------------------------------------------

    def expected_list(
        self,
        agent: str | None = None,
        project: uuid.UUID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[ModelSession]:
        chosen = [
            s
            for s in self.model.sessions.values()
            if (agent is None or s.agent == agent)
            and (project is None or s.project_id == project)
            and (since is None or parse(s.started_at) >= since)
            and (until is None or parse(s.started_at) < until)
        ]
        return self.model.newest_first(chosen)

    def check_records(self, actual: list[Any], expected: list[ModelSession], *, extra: str | None = None) -> None:
        assert [r["id"] for r in actual] == [s.id for s in expected]
        for record, session in zip(actual, expected, strict=True):
            record = dict(record)
            if extra == "event_count":
                assert record.pop("event_count") == len(session.events)
            elif extra == "events":
                assert record.pop("events") == session.events
            assert "events" not in record and "event_count" not in record
            self.check_session(record, session, events=False)

    @rule(
        agent=st.none() | st.sampled_from(AGENTS),
        project=st.sampled_from(PROJECTS),
        since=st.none() | MOMENTS,
        until=st.none() | MOMENTS,
        limit=st.integers(1, 8),
        offset=st.integers(0, 6),
        cursor=st.none() | picks,
        walk=st.booleans(),
    )
    def list_sessions(
        self,
        agent: str | None,
        project: uuid.UUID | None,
        since: Any,
        until: Any,
        limit: int,
        offset: int,
        cursor: int | None,
        walk: bool,
    ) -> None:
        since_at = self.moment(since) if since is not None else None
        until_at = self.moment(until) if until is not None else None
        if since_at is not None and until_at is not None and until_at <= since_at:  # an empty window is not asked
            since_at, until_at = until_at, (since_at if until_at < since_at else None)
        expected = self.expected_list(agent, project, since_at, until_at)
        after = None
        if cursor is not None and self.model.sessions:
            position = self.pick(cursor)
            after = position.id
            expected = [s for s in expected if s.order_key() < position.order_key()]
        actual = self.run(
            self.service.list_sessions(agent, project, since_at, limit, until=until_at, offset=offset, cursor=after)
        )
        self.check_records(actual, expected[offset : offset + limit])
        if walk:
            self.paginate_with_cursor(agent, limit, since_at)

    def paginate_with_cursor(self, agent: str | None, page: int, since_at: datetime | None) -> None:
        """Walk every page with the cursor: the pages add up to the whole list, in order."""
        seen: list[Any] = []
        cursor = None
        while True:
            batch = self.run(self.service.list_sessions(agent=agent, since=since_at, limit=page, cursor=cursor))
            seen.extend(batch)
            if len(batch) < page:
                break
            cursor = batch[-1]["id"]
        self.check_records(seen, self.expected_list(agent, since=since_at))

    @rule(
        agent=st.sampled_from(AGENTS),
        days=st.sampled_from([1, 7, 30, 365, 36_500]),
        limit=st.integers(1, 8),
        offset=st.integers(0, 4),
    )
    def temporal_queries(self, agent: str, days: int, limit: int, offset: int) -> None:
        """count_sessions, get_recent_sessions (with event_count), a page of get_active_sessions, get_last_session."""
        since = datetime.now(UTC) - timedelta(days=days)  # no start lies within hours of this bound
        expected = self.expected_list(agent, since=since)
        assert self.run(self.service.count_sessions(agent, days=days)) == len(expected)
        recent = self.run(self.service.get_recent_sessions(agent, days=days, limit=limit, offset=offset))
        self.check_records(recent, expected[offset : offset + limit], extra="event_count")
        page = self.run(self.service.get_active_sessions(limit=limit, offset=offset))
        self.check_records(page, self.expected_active()[offset : offset + limit])
        newest = self.expected_list(agent)
        last = self.run(self.service.get_last_session(agent))
        if not newest:
            assert last is None
        else:
            self.check_records([last], newest[:1], extra="events")

    def expected_active(self) -> list[ModelSession]:
        return self.model.newest_first(s for s in self.model.sessions.values() if s.lifecycle in OPEN)

    @invariant()
    def store_matches_the_model(self) -> None:
        """The rows of every session and the events of each (count, seq gapless); the used sessions through the API.

        The rows are read with SQL (one statement; list_sessions is checked by its own rules) and compared field by
        field with the model.
        """
        rows = self.store.sql(
            "SELECT id, agent, project_id, user_id, app_name, lifecycle, summary, metadata, state, started_at, ended_at"
            " FROM sessions"
        ).fetchall()
        stored = {
            row[0]: {
                "id": row[0],
                "agent": row[1],
                "project_id": row[2],
                "user_id": row[3],
                "app_name": row[4],
                "lifecycle": row[5],
                "summary": row[6],
                "metadata": json.loads(row[7]),
                "state": json.loads(row[8]),
                "started_at": iso(row[9]),
                "ended_at": iso(row[10]) if row[10] is not None else None,
            }
            for row in rows
        }
        assert stored == {sid: s.record() for sid, s in self.model.sessions.items()}
        self.check_records(self.run(self.service.get_active_sessions()), self.expected_active())
        counts = self.store.sql(
            "SELECT session_id, count(*), count(DISTINCT seq), min(seq), max(seq) FROM events GROUP BY session_id"
        ).fetchall()
        assert {row[0]: row[1:] for row in counts} == {
            s.id: (len(s.events), len(s.events), 1, len(s.events)) for s in self.model.sessions.values() if s.events
        }
        used = [self.model.sessions[sid] for sid in self.dirty if sid in self.model.sessions]
        self.dirty.clear()

        async def read() -> list[Any]:
            return list(await asyncio.gather(*(self.service.get_session(s.id) for s in used)))

        for actual, session in zip(self.run(read()), used, strict=True):
            self.check_session(actual, session, events=True)
        for session in self.model.sessions.values():
            assert [e["seq"] for e in session.events] == list(range(1, len(session.events) + 1))
            assert (session.ended_at is None) == (session.lifecycle in OPEN)


class ReopenMachine(SessionMachine):
    """The same rules on a store directory, closed and opened again by a rule."""

    def open_store(self) -> Store:
        self.tmp = TemporaryDirectory()
        return Store(Path(self.tmp.name) / "store", embedder=None)

    def teardown(self) -> None:
        super().teardown()
        self.tmp.cleanup()

    @rule()
    def reopen(self) -> None:
        before = snapshot(self.store)
        self.store.close()
        self.store = Store(Path(self.tmp.name) / "store", embedder=None)
        self.service = SessionService(self.store)
        assert snapshot(self.store) == before
        self.dirty.update(self.model.sessions)


MACHINE_SETTINGS = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

TestSessionModel = SessionMachine.TestCase
TestSessionModel.settings = MACHINE_SETTINGS
TestSessionModelReopen = ReopenMachine.TestCase
TestSessionModelReopen.settings = settings(MACHINE_SETTINGS, max_examples=12)  # a file store: slower writes
