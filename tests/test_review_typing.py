"""The records the services return agree with their TypedDicts, key by key and type by type.

The TypedDicts are what a user's type checker (``mypy --strict``) sees: a key a record has at run time
that its TypedDict lacks (``search_events`` hits' ``agent``/``similarity``/``cosine``, keyword and hybrid
hits' ``score``/``keyword_match``) is an error in correct client code, and a key the TypedDict requires
that the record lacks is a crash the checker cannot see.
"""

from __future__ import annotations

import types
import typing
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import pytest

from agentlog import DocumentIndexService, MemoryService, SessionService, Store
from agentlog.records import EventHit, EventRecord, SessionRecord
from agentlog.services import DocumentRecord, MemoryRecord
from agentlog.services.session_service import AddEventsResult

MODES = ("vector", "keyword", "hybrid")


def _matches(value: Any, expected: Any) -> bool:
    if expected is Any:
        return True
    origin = get_origin(expected)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in get_args(expected))
    if expected is type(None):
        return value is None
    if origin is dict:
        return isinstance(value, dict) and all(isinstance(k, str) for k in value)
    if origin is list:
        (item,) = get_args(expected)
        return isinstance(value, list) and all(_matches(v, item) for v in value)
    if isinstance(expected, type) and typing.is_typeddict(expected):
        _check(value, expected)
        return True
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is float:
        return isinstance(value, float)
    return isinstance(value, expected)


def _check(record: Any, typed: Any, *, present: set[str] | frozenset[str] = frozenset()) -> None:
    """``record`` has only keys of ``typed``, all its required ones and ``present``, each of the declared type."""
    assert isinstance(record, dict)
    hints = get_type_hints(typed)
    keys = set(record)
    assert keys <= set(hints), f"keys not in {typed.__name__}: {sorted(keys - set(hints))}"
    assert typed.__required_keys__ <= keys, f"{typed.__name__} keys missing: {sorted(typed.__required_keys__ - keys)}"
    assert present <= keys, f"missing: {sorted(present - keys)}"
    for key in keys:
        assert _matches(record[key], hints[key]), f"{typed.__name__}[{key!r}] = {record[key]!r}, not {hints[key]}"


@pytest.fixture
def fake_store() -> typing.Iterator[Store]:
    with Store.memory(embedder="fake") as store:
        yield store


async def test_session_and_event_records_match_their_typeddicts(fake_store: Store) -> None:
    service = SessionService(fake_store)
    session = await service.create_session("claude", project_id=uuid.uuid4(), metadata={"task": "bug fix"})
    _check(session, SessionRecord)
    sid = session["id"]
    event = await service.add_event(sid, "error_encountered", {"error": "TypeError in line 42"}, metadata={"f": 1})
    _check(event, EventRecord)
    _check(await service.add_events(sid, [{"event_type": "decision_made", "event_data": {"d": 1}}]), AddEventsResult)
    _check(await service.get_session(sid), SessionRecord, present={"events"})
    for listed in await service.list_sessions():
        _check(listed, SessionRecord)
    for recent in await service.get_recent_sessions("claude"):
        _check(recent, SessionRecord, present={"event_count"})
    _check(await service.update_session_state(sid, {"step": 3}), SessionRecord)
    _check(await service.end_session(sid, "Fixed TypeError by adding validation to parse_input()"), SessionRecord)
    _check(await service.get_last_session("claude"), SessionRecord, present={"events"})
    scores = {"similarity", "cosine"}
    for mode in MODES:
        ranked = scores if mode == "vector" else scores | {"score", "keyword_match"}
        sessions = await service.search_sessions("TypeError", threshold=None, mode=mode)
        events = await service.search_events("TypeError", mode=mode)
        assert sessions and events, mode
        for hit in sessions:
            _check(hit, SessionRecord, present=ranked)
        for event_hit in events:
            _check(event_hit, EventHit, present=ranked | {"agent"})


async def test_memory_and_document_hits_match_their_typeddicts(fake_store: Store, tmp_path: Path) -> None:
    memory = MemoryService(fake_store)
    _check(await memory.put_memory("project:shop", "db", {"engine": "postgres"}, "semantic"), MemoryRecord)
    _check(await memory.update_memory("project:shop", "db", {"engine": "postgres", "pool": 40}), MemoryRecord)
    for version in await memory.get_memory_history("project:shop", "db"):
        _check(version, MemoryRecord, present={"is_current"})
    docs = DocumentIndexService(fake_store)
    await docs.index_document("notes/pool.md", "Connection pool", "Raise the pool size when requests time out.")
    _check(await docs.get_document("notes/pool.md"), DocumentRecord, present={"content"})
    await docs.wait_for_sync()
    chunk = {"chunk_id", "chunk_index", "chunk_text"}
    for mode in MODES:
        ranked = {"similarity", "cosine"} if mode == "vector" else {"similarity", "cosine", "score", "keyword_match"}
        memories = await memory.search_memories("engine", mode=mode)
        chunks = await docs.semantic_search("pool", mode=mode)
        assert memories and chunks, mode
        for hit in memories:
            _check(hit, MemoryRecord, present=ranked)
        for chunk_hit in chunks:
            _check(chunk_hit, DocumentRecord, present=ranked | chunk)


def test_search_events_is_typed_with_its_hits() -> None:
    assert get_type_hints(SessionService.search_events)["return"] == list[EventHit]
    assert EventHit.__required_keys__ == EventRecord.__required_keys__ | {"agent", "similarity", "cosine"}
    assert EventHit.__optional_keys__ == {"score", "keyword_match"}


async def test_json_object_arguments_are_mappings(fake_store: Store) -> None:
    """The annotations say ``Mapping`` (a TypedDict payload type-checks), and any mapping is accepted."""
    for method, name in [
        (SessionService.create_session, "metadata"),
        (SessionService.add_event, "event_data"),
        (SessionService.add_event, "metadata"),
        (SessionService.update_session_state, "state_updates"),
        (MemoryService.put_memory, "metadata"),
        (DocumentIndexService.index_document, "metadata"),
    ]:
        assert Mapping[str, Any] in (get_type_hints(method)[name], *get_args(get_type_hints(method)[name]))
    service = SessionService(fake_store)
    session = await service.create_session("claude", metadata=types.MappingProxyType({"task": "x"}))
    event = await service.add_event(session["id"], "task_created", types.MappingProxyType({"task_id": "1"}))
    state = await service.update_session_state(session["id"], types.MappingProxyType({"step": 1}))
    assert (session["metadata"], event["event_data"], state["state"]) == ({"task": "x"}, {"task_id": "1"}, {"step": 1})
    memory = await MemoryService(fake_store).put_memory("user:a", "k", 1, "semantic", types.MappingProxyType({"m": 1}))
    assert memory["metadata"] == {"m": 1}
