"""MemoryService: bad input gets a typed error naming it, and the store does not change (hypothesis)."""

from __future__ import annotations

import asyncio
import math
import uuid
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentlog import AgentlogError, MemoryService, Store, ValidationError
from agentlog.services.namespaces import MAX_KEY_LENGTH, MAX_SEGMENT_LENGTH, SCOPES, validate_namespace
from agentlog.validation import MAX_JSON_BYTES, MAX_JSON_DEPTH
from tests.conftest import snapshot

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def seeded(store: Store) -> tuple[Store, MemoryService]:
    memory = MemoryService(store)

    async def setup() -> None:
        await memory.create_memory("project:x", "k", {"a": 1}, "semantic")
        await memory.create_memory("user:alice", "theme", "dark", "semantic")
        await memory.delete_memory("user:alice", "theme")

    asyncio.run(setup())
    return store, memory


def unchanged(store: Store, call: Any, error: type[BaseException] = ValidationError) -> BaseException:
    before = snapshot(store)
    with pytest.raises(error) as caught:
        asyncio.run(call)
    assert snapshot(store) == before
    assert isinstance(caught.value, AgentlogError)
    return caught.value


segment_chars = st.characters(categories=["L", "M", "N", "P", "S"], exclude_characters=":")
good_segments = st.text(segment_chars, min_size=1, max_size=12)
bad_chars = st.sampled_from([" ", "\t", "\n", "\x00", "\x7f", "\u200b", "\u202e", "\u2028", "\ufeff", "\xa0"])


@st.composite
def bad_namespaces(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["type", "scope", "bare", "empty_segment", "char", "long", "case"]))
    scope = draw(st.sampled_from(SCOPES))
    if kind == "type":
        return draw(st.one_of(st.none(), st.integers(), st.binary(max_size=4), st.lists(st.text(max_size=2))))
    if kind == "scope":
        other = draw(st.text(max_size=8).filter(lambda s: s not in SCOPES and ":" not in s))
        return f"{other}:{draw(good_segments)}"
    if kind == "bare":
        return scope
    if kind == "empty_segment":
        parts = [scope, *draw(st.lists(good_segments, min_size=1, max_size=3))]
        parts.insert(draw(st.integers(1, len(parts))), "")
        return ":".join(parts)
    if kind == "char":
        segment = draw(good_segments)
        at = draw(st.integers(0, len(segment)))
        return f"{scope}:{segment[:at]}{draw(bad_chars)}{segment[at:]}"
    if kind == "long":
        return f"{scope}:{'a' * (MAX_SEGMENT_LENGTH + draw(st.integers(1, 10)))}"
    return f"{scope.upper()}:{draw(good_segments)}"


bad_keys = st.one_of(
    st.none(),
    st.integers(),
    st.just(""),
    st.text(alphabet=" \t", min_size=1, max_size=4),
    st.text(min_size=MAX_KEY_LENGTH + 1, max_size=MAX_KEY_LENGTH + 10),
    st.text(min_size=1, max_size=5).map(lambda t: t + "\x00"),
    st.just("a\nb"),
    st.just("\ud800"),
)
bad_types = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=12).filter(lambda t: t not in ("short_term", "semantic", "episodic", "procedural")),
)


def nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


bad_values = st.one_of(
    st.just(math.nan),
    st.just(math.inf),
    st.builds(lambda x: {"a": [1, x]}, st.sampled_from([math.nan, -math.inf])),
    st.binary(max_size=3),
    st.sets(st.integers(), max_size=2),
    st.builds(uuid.uuid4),
    st.builds(datetime.now),
    st.builds(object),
    st.builds(lambda k: {k: 1}, st.one_of(st.integers(), st.none(), st.tuples(st.integers()))),
    st.integers(1, 5).map(lambda extra: nested(MAX_JSON_DEPTH + extra)),
    st.just("x" * (MAX_JSON_BYTES + 1)),
)


@SETTINGS
@given(namespace=bad_namespaces())
def test_bad_namespaces(seeded: Any, namespace: Any) -> None:
    store, memory = seeded
    error = unchanged(store, memory.create_memory(namespace, "k", 1, "semantic"))
    assert isinstance(error, ValidationError) and error.field == "namespace"
    unchanged(store, memory.update_memory(namespace, "k", 1))
    unchanged(store, memory.delete_memory(namespace, "k"))
    unchanged(store, memory.get_memory(namespace, "k"))
    if namespace not in SCOPES:  # a bare scope is a valid prefix
        unchanged(store, memory.list_memories_by_namespace(namespace))
        if namespace is not None:  # no prefix: search everything
            unchanged(store, memory.search_memories("q", namespace_prefix=namespace))


@SETTINGS
@given(key=bad_keys)
def test_bad_keys(seeded: Any, key: Any) -> None:
    store, memory = seeded
    unchanged(store, memory.create_memory("project:x", key, 1, "semantic"))
    unchanged(store, memory.put_memory("project:x", key, 1, "semantic"))
    unchanged(store, memory.restore_memory("project:x", key))


@SETTINGS
@given(memory_type=bad_types)
def test_bad_memory_types(seeded: Any, memory_type: Any) -> None:
    store, memory = seeded
    unchanged(store, memory.create_memory("project:x", "new", 1, memory_type))
    if memory_type is not None:
        unchanged(store, memory.list_memories_by_namespace("project", memory_type=memory_type))


@SETTINGS
@given(value=bad_values, call=st.sampled_from(["create", "update", "put", "metadata"]))
def test_bad_values(seeded: Any, value: Any, call: str) -> None:
    store, memory = seeded
    if call == "create":
        error = unchanged(store, memory.create_memory("project:x", "new", value, "semantic"))
    elif call == "update":
        error = unchanged(store, memory.update_memory("project:x", "k", value))
    elif call == "put":
        error = unchanged(store, memory.put_memory("project:x", "k", value, "semantic"))
    else:
        error = unchanged(store, memory.update_memory("project:x", "k", 1, metadata=value))
    assert isinstance(error, ValueError)


@SETTINGS
@given(
    limit=st.one_of(st.integers(max_value=0), st.integers(min_value=100_001), st.booleans(), st.floats()),
    version=st.one_of(st.integers(max_value=0), st.floats(), st.text(max_size=2), st.booleans()),
)
def test_bad_limits_and_versions(seeded: Any, limit: Any, version: Any) -> None:
    store, memory = seeded
    unchanged(store, memory.list_memories_by_namespace("project", limit=limit))
    unchanged(store, memory.search_memories("q", limit=limit))
    unchanged(store, memory.get_memory("project:x", "k", version=version))


@SETTINGS
@given(segments=st.lists(good_segments, min_size=1, max_size=4), extra=good_segments)
def test_any_valid_namespace_round_trips_and_prefixes_respect_boundaries(
    seeded: Any, segments: list[str], extra: str
) -> None:
    _, memory = seeded
    namespace = validate_namespace(":".join(["app", uuid.uuid4().hex, *segments]))  # unique per example
    sibling = namespace + extra  # extends the last segment: never under the namespace
    child = f"{namespace}:{extra}"

    async def run() -> tuple[list[str], list[str]]:
        for name in (namespace, sibling, child):
            await memory.put_memory(name, "k", name, "semantic")
        listed = [r["namespace"] for r in await memory.list_memories_by_namespace(namespace, limit=1000)]
        return listed, await memory.list_namespaces(namespace)

    listed, namespaces = asyncio.run(run())
    assert sorted(listed) == sorted({namespace, child}) and sibling not in listed
    assert namespaces == sorted({namespace, child})
