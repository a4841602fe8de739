"""The MemoryService contract, run against an in-memory and a file store."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from agentlog import (
    AlreadyExistsError,
    MemoryService,
    NotFoundError,
    SessionService,
    Store,
    ValidationError,
    get_memory_service,
    get_session_service,
)
from agentlog.services.namespaces import memory_uuid
from tests.conftest import snapshot

NS = "project:agentlog"


class Clock:
    """A settable clock for expiry tests."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def memory(store: Store) -> MemoryService:
    return MemoryService(store)


async def test_create_and_get_return_the_documented_record(memory: MemoryService) -> None:
    memory_id = await memory.create_memory(NS, "db", {"engine": "duckdb", "tables": 4}, "semantic", {"source": "me"})
    assert isinstance(memory_id, uuid.UUID)
    record = await memory.get_memory(NS, "db")
    assert record is not None
    assert record["id"] == memory_id
    assert record["memory_id"] == memory_uuid(NS, "db")
    assert record["namespace"] == NS and record["key"] == "db"
    assert record["value"] == {"engine": "duckdb", "tables": 4}
    assert record["memory_type"] == "semantic" and record["version"] == 1 and record["change"] == "created"
    assert record["metadata"] == {"source": "me"} and record["expires_at"] is None
    created = datetime.fromisoformat(record["created_at"])
    assert created.utcoffset() == timedelta(0) and record["created_at"] == record["updated_at"]
    assert await memory.get_memory(NS, "nope") is None
    assert await memory.get_memory("project:other", "db") is None


@pytest.mark.parametrize("value", [None, 0, -1.5, "text", [1, "a", None], {"nested": {"list": [True, False]}}, ""])
async def test_any_json_value_round_trips(memory: MemoryService, value: object) -> None:
    await memory.create_memory(NS, "v", value, "short_term")
    record = await memory.get_memory(NS, "v")
    assert record is not None and record["value"] == value


async def test_update_keeps_history_and_superseded_is_not_deleted(memory: MemoryService) -> None:
    await memory.create_memory(NS, "k", "one", "episodic", {"m": 1})
    updated = await memory.update_memory(NS, "k", "two")
    assert updated["version"] == 2 and updated["change"] == "updated" and updated["value"] == "two"
    assert updated["memory_type"] == "episodic" and updated["metadata"] == {"m": 1}  # kept
    first = await memory.get_memory(NS, "k", version=1)
    assert first is not None and first["value"] == "one" and first["change"] == "created"
    assert updated["created_at"] == first["created_at"] and updated["updated_at"] >= first["updated_at"]
    await memory.update_memory(NS, "k", "three", metadata={"m": 2})
    history = await memory.get_memory_history(NS, "k")
    assert [(h["version"], h["value"], h["change"], h["is_current"]) for h in history] == [
        (3, "three", "updated", True),
        (2, "two", "updated", False),
        (1, "one", "created", False),
    ]
    assert history[0]["metadata"] == {"m": 2} and history[1]["metadata"] == {"m": 1}
    assert await memory.get_memory(NS, "k", version=4) is None


async def test_delete_is_soft_and_restore_undoes_it(memory: MemoryService) -> None:
    await memory.create_memory(NS, "k", "v1", "semantic")
    await memory.update_memory(NS, "k", "v2")
    await memory.delete_memory(NS, "k")
    assert await memory.get_memory(NS, "k") is None
    assert await memory.list_memories_by_namespace(NS) == []
    history = await memory.get_memory_history(NS, "k")
    assert [(h["version"], h["change"]) for h in history] == [(3, "deleted"), (2, "updated"), (1, "created")]
    assert history[0]["value"] == "v2"  # the marker shows what was deleted
    marker = await memory.get_memory(NS, "k", version=3)
    assert marker is not None and marker["change"] == "deleted"
    with pytest.raises(NotFoundError):
        await memory.update_memory(NS, "k", "v3")
    assert await memory.delete_memory(NS, "k") is False  # nothing live to delete: nothing changes
    assert (await memory.get_memory_history(NS, "k"))[0]["version"] == 3
    restored = await memory.restore_memory(NS, "k")
    assert (restored["version"], restored["change"], restored["value"]) == (4, "restored", "v2")
    current = await memory.get_memory(NS, "k")
    assert current is not None and current["value"] == "v2" and current["version"] == 4
    with pytest.raises(AlreadyExistsError):
        await memory.restore_memory(NS, "k")
    with pytest.raises(NotFoundError):
        await memory.restore_memory(NS, "never")


async def test_create_on_live_key_raises_and_put_creates_or_updates(memory: MemoryService, store: Store) -> None:
    await memory.create_memory(NS, "k", 1, "semantic")
    before = snapshot(store)
    with pytest.raises(AlreadyExistsError) as caught:
        await memory.create_memory(NS, "k", 2, "semantic")
    assert isinstance(caught.value, ValueError) and "put_memory" in str(caught.value)
    assert snapshot(store) == before
    put = await memory.put_memory(NS, "k", 3, "procedural", {"why": "put"})
    assert (put["version"], put["change"], put["memory_type"], put["metadata"]) == (
        2,
        "updated",
        "procedural",
        {"why": "put"},
    )
    fresh = await memory.put_memory(NS, "new", "x", "semantic")
    assert (fresh["version"], fresh["change"]) == (1, "created")
    await memory.delete_memory(NS, "k")
    again = await memory.create_memory(NS, "k", 4, "semantic")  # a deleted key can be created again
    current = await memory.get_memory(NS, "k")
    assert current is not None and current["id"] == again and current["version"] == 4 and current["change"] == "created"


async def test_update_of_missing_key_raises_not_found_and_changes_nothing(memory: MemoryService, store: Store) -> None:
    before = snapshot(store)
    with pytest.raises(NotFoundError) as caught:
        await memory.update_memory(NS, "missing", 1)
    assert isinstance(caught.value, LookupError) and isinstance(caught.value, ValueError)
    assert snapshot(store) == before


async def test_20_concurrent_updates_make_versions_2_to_21(memory: MemoryService, store: Store) -> None:
    await memory.create_memory(NS, "counter", -1, "short_term")
    records = await asyncio.gather(*(memory.update_memory(NS, "counter", n) for n in range(20)))
    assert sorted(r["version"] for r in records) == list(range(2, 22))
    rows = store.sql(
        "SELECT version, value::INT FROM memories WHERE namespace = ? AND key = ? ORDER BY version", [NS, "counter"]
    ).fetchall()
    assert [v for v, _ in rows] == list(range(1, 22)), "gap or duplicate"
    assert sorted(value for _, value in rows[1:]) == list(range(20)), "an update was lost"
    by_version = {r["version"]: r["value"] for r in records}
    assert all(by_version[v] == value for v, value in rows[1:])
    assert store.index is not None
    store.wait_for_index()
    ids, _ = store.index.tables.vectors("memories")
    assert ids == [str(memory_uuid(NS, "counter"))], "one vector per memory"
    hit = (await memory.search_memories("counter", limit=1))[0]
    assert hit["version"] == 21 and hit["value"] == by_version[21]


async def test_concurrent_creates_of_one_key_one_wins(memory: MemoryService, store: Store) -> None:
    outcomes = await asyncio.gather(
        *(memory.create_memory(NS, "race", n, "semantic") for n in range(10)), return_exceptions=True
    )
    assert sum(isinstance(o, uuid.UUID) for o in outcomes) == 1
    assert all(isinstance(o, AlreadyExistsError) for o in outcomes if not isinstance(o, uuid.UUID))
    puts = await asyncio.gather(*(memory.put_memory(NS, "race2", n, "semantic") for n in range(10)))
    assert sorted(p["version"] for p in puts) == list(range(1, 11))
    count = store.sql("SELECT count(*) FROM memories WHERE key IN ('race', 'race2')").fetchall()[0][0]
    assert count == 11


async def test_prefix_listing_respects_segments_wildcards_quotes_and_case(memory: MemoryService) -> None:
    names = [
        "project:a", "project:a:x", "project:a:x:y", "project:ab", "project:a_b", "project:axb", "project:a%",
        "project:a%b", "project:a*", "project:aa", "project:A", "project:a'b", 'project:a"b', "project:a\\b",
        "project:a[b]", "app:a", "project:b:a",
    ]  # fmt: skip
    for name in names:
        await memory.create_memory(name, "k", name, "semantic")

    async def listed(prefix: str) -> list[str]:
        return sorted(r["namespace"] for r in await memory.list_memories_by_namespace(prefix))

    assert await listed("project:a") == ["project:a", "project:a:x", "project:a:x:y"]
    assert await listed("project:a:x") == ["project:a:x", "project:a:x:y"]
    assert await listed("project:a_b") == ["project:a_b"]
    assert await listed("project:a%") == ["project:a%"]
    assert await listed("project:a*") == ["project:a*"]
    assert await listed("project:A") == ["project:A"]
    assert await listed("project:a'b") == ["project:a'b"]
    assert await listed('project:a"b') == ['project:a"b']
    assert await listed("project:a\\b") == ["project:a\\b"]
    assert await listed("project:a[b]") == ["project:a[b]"]
    assert await listed("app") == ["app:a"]
    assert len(await listed("project")) == len(names) - 1
    assert await listed("project:zzz") == []
    namespaces = await memory.list_namespaces("project:a")
    assert namespaces == ["project:a", "project:a:x", "project:a:x:y"]
    assert await memory.list_namespaces() == sorted(names)


async def test_list_filters_by_type_orders_by_change_and_limits(memory: MemoryService) -> None:
    for n in range(5):
        await memory.create_memory(f"{NS}:m", f"k{n}", n, "semantic" if n % 2 else "episodic")
    await memory.update_memory(f"{NS}:m", "k0", "touched")
    listing = await memory.list_memories_by_namespace(NS)
    assert [r["key"] for r in listing] == ["k0", "k4", "k3", "k2", "k1"]
    assert all(r["version"] == (2 if r["key"] == "k0" else 1) for r in listing)
    semantic = await memory.list_memories_by_namespace(NS, memory_type="semantic")
    assert [r["key"] for r in semantic] == ["k3", "k1"]
    assert len(await memory.list_memories_by_namespace(NS, limit=2)) == 2


async def test_namespaces_and_keys_are_exact_and_case_sensitive(memory: MemoryService) -> None:
    await memory.create_memory("user:Alice", "Theme", "a", "semantic")
    await memory.create_memory("user:alice", "theme", "b", "semantic")
    await memory.create_memory("user:alice", "théme", "c", "semantic")
    assert (await memory.get_memory("user:Alice", "Theme"))["value"] == "a"  # type: ignore[index]
    assert await memory.get_memory("user:Alice", "theme") is None
    assert (await memory.get_memory("user:alice", "théme"))["value"] == "c"  # type: ignore[index]
    assert [r["key"] for r in await memory.list_memories_by_namespace("user:Alice")] == ["Theme"]


@pytest.mark.parametrize(
    "namespace",
    ["project", "project:", "project::a", ":a", "Project:a", "global:a", "project:a b", "project:a\tb", "project:a\x00",
     "project:a\u200bb", "project:a:", "", "x" * 600, "session:not-an-id",
     "session:0B6F8A2E-9C1D-4E5F-8A7B-1C2D3E4F5A6B", "session:0b6f8a2e9c1d4e5f8a7b1c2d3e4f5a6b"],
)  # fmt: skip
async def test_bad_namespaces_are_rejected(memory: MemoryService, namespace: str) -> None:
    with pytest.raises(ValidationError) as caught:
        await memory.create_memory(namespace, "k", 1, "semantic")
    assert caught.value.field == "namespace"


@pytest.mark.parametrize("memory_type", ["long_term", "Semantic", "", None, 3])
async def test_bad_memory_types_are_rejected(memory: MemoryService, memory_type: object) -> None:
    with pytest.raises(ValidationError):
        await memory.create_memory(NS, "k", 1, memory_type)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        await memory.list_memories_by_namespace(NS, memory_type="long_term")


async def test_ttl_expiry_hides_everywhere_and_sweep_removes(store: Store) -> None:
    clock = Clock()
    memory = MemoryService(store, clock=clock)
    await memory.create_memory("user:bob", "soon", "expires soon", "short_term", ttl=60)
    await memory.create_memory(
        "user:bob", "later", "expires later", "short_term", expires_at=clock.now + timedelta(hours=2)
    )
    await memory.create_memory("user:bob", "never", "stays", "semantic")
    record = await memory.get_memory("user:bob", "soon")
    assert record is not None and record["expires_at"] is not None
    await memory.update_memory("user:bob", "soon", "still soon")  # keeps the expiry
    assert (await memory.get_memory("user:bob", "soon"))["expires_at"] == record["expires_at"]  # type: ignore[index]
    clock.advance(seconds=61)
    assert await memory.get_memory("user:bob", "soon") is None
    assert await memory.get_memory_history("user:bob", "soon") == []
    assert sorted(r["key"] for r in await memory.list_memories_by_namespace("user:bob")) == ["later", "never"]
    assert "soon" not in [h["key"] for h in await memory.search_memories("expires soon", limit=5)]
    with pytest.raises(NotFoundError):
        await memory.update_memory("user:bob", "soon", "x")
    assert await memory.sweep_expired() == 1
    assert store.sql("SELECT count(*) FROM memories WHERE key = 'soon'").fetchall()[0][0] == 0
    recreated = await memory.create_memory("user:bob", "soon", "back", "short_term")
    assert (await memory.get_memory("user:bob", "soon"))["id"] == recreated  # type: ignore[index]
    clock.advance(hours=3)
    assert await memory.sweep_expired() == 1
    assert sorted(r["key"] for r in await memory.list_memories_by_namespace("user")) == ["never", "soon"]


async def test_expired_memories_are_filtered_before_the_search_limit(store: Store) -> None:
    clock = Clock()
    memory = MemoryService(store, clock=clock)
    for n in range(5):
        await memory.create_memory("user:eve", f"exact{n}", "quarterly budget review meeting", "episodic", ttl=10)
    await memory.create_memory("user:eve", "live", "budget review", "episodic")
    clock.advance(seconds=11)
    hits = await memory.search_memories("quarterly budget review meeting", limit=1)
    assert [h["key"] for h in hits] == ["live"]


async def test_temp_memories_always_expire(store: Store) -> None:
    clock = Clock()
    memory = MemoryService(store, clock=clock, temp_ttl=timedelta(minutes=5))
    await memory.create_memory("temp:scratch", "note", "draft", "short_term")
    record = await memory.get_memory("temp:scratch", "note")
    assert record is not None
    assert datetime.fromisoformat(record["expires_at"]) == clock.now + timedelta(minutes=5)  # type: ignore[arg-type]
    await memory.create_memory("temp:scratch", "long", "x", "short_term", ttl=timedelta(hours=1))
    clock.advance(minutes=6)
    assert [r["key"] for r in await memory.list_memories_by_namespace("temp")] == ["long"]
    assert await memory.list_namespaces("temp") == ["temp:scratch"]
    assert await memory.sweep_expired() == 1


async def test_expiry_arguments_are_checked(memory: MemoryService) -> None:
    past = datetime.now(UTC) - timedelta(seconds=1)
    soon = datetime.now(UTC) + timedelta(hours=1)
    bad: list[dict[str, object]] = [
        {"ttl": 0}, {"ttl": -5}, {"ttl": "1h"}, {"ttl": True}, {"ttl": timedelta(days=50_000)}, {"expires_at": past},
        {"expires_at": datetime(2030, 1, 1)}, {"ttl": 5, "expires_at": soon},
        {"expires_at": datetime.max.replace(tzinfo=timezone(timedelta(hours=-5)))},  # past 9999 in UTC
    ]  # fmt: skip
    for kwargs in bad:
        with pytest.raises(ValidationError):
            await memory.create_memory(NS, "k", 1, "semantic", **kwargs)  # type: ignore[arg-type]


async def test_session_memories_are_cleared_when_the_session_ends(store: Store) -> None:
    sessions = SessionService(store)
    memory = MemoryService(store)
    ended = await sessions.create_session("claude")
    running = await sessions.create_session("claude")
    for session in (ended, running):
        await memory.create_memory(f"session:{session['id']}", "goal", "fix the parser", "short_term")
        await memory.create_memory(f"session:{session['id']}:scratch", "step", 1, "short_term")
    await memory.create_memory("user:carol", "goal", "unrelated", "semantic")
    await sessions.end_session(ended["id"], summary="done")
    assert await memory.sweep_expired() == 0  # the option is off by default
    assert await memory.sweep_expired(ended_sessions=True) == 2
    assert await memory.list_memories_by_namespace(f"session:{ended['id']}") == []
    assert len(await memory.list_memories_by_namespace(f"session:{running['id']}")) == 2
    assert await memory.clear_session_memories(running["id"]) == 2
    assert await memory.list_namespaces() == ["user:carol"]
    assert "fix the parser" not in [h["value"] for h in await memory.search_memories("fix the parser")]


async def test_a_deleted_session_takes_its_memories_with_it(store: Store) -> None:
    sessions = SessionService(store)
    memory = MemoryService(store)
    session = await sessions.create_session("claude")
    await memory.create_memory(f"session:{session['id']}", "goal", "fix the parser", "short_term")
    await memory.create_memory(f"session:{session['id']}:scratch", "step", 1, "short_term")
    await memory.create_memory("user:carol", "goal", "unrelated", "semantic")
    await sessions.delete_session(session["id"])
    assert await memory.list_namespaces() == ["user:carol"]
    hits = await memory.search_memories("fix the parser", threshold=0.0)
    assert [h["namespace"] for h in hits] == ["user:carol"]


async def test_the_sweep_of_ended_sessions_takes_memories_of_sessions_no_longer_stored(store: Store) -> None:
    memory = MemoryService(store)
    gone, running = uuid.uuid4(), (await SessionService(store).create_session("claude"))["id"]
    await memory.create_memory(f"session:{gone}", "goal", "left behind", "short_term")
    await memory.create_memory(f"session:{running}", "goal", "in progress", "short_term")
    assert await memory.sweep_expired(ended_sessions=True) == 1
    assert await memory.list_namespaces() == [f"session:{running}"]


async def test_creating_an_expired_memory_again_starts_a_new_history(store: Store) -> None:
    clock = Clock()
    memory = MemoryService(store, clock=clock)
    await memory.create_memory(NS, "token", "old secret", "short_term")
    await memory.update_memory(NS, "token", "short-lived", ttl=60)
    clock.advance(minutes=2)  # the memory expired: gone, history and all, even before a sweep
    assert await memory.get_memory_history(NS, "token") == []
    await memory.create_memory(NS, "token", "fresh", "short_term")
    record = await memory.require_memory(NS, "token")
    assert record["version"] == 1 and record["change"] == "created"
    history = await memory.get_memory_history(NS, "token")
    assert [(h["version"], h["value"]) for h in history] == [(1, "fresh")]
    values = {row[0] for row in store.sql("SELECT value FROM memories").fetchall()}
    assert values == {'"fresh"'}  # the old rows were deleted, not merely hidden


async def test_put_over_an_expired_memory_starts_a_new_history_too(store: Store) -> None:
    clock = Clock()
    memory = MemoryService(store, clock=clock)
    await memory.create_memory(NS, "k", "v1", "short_term", ttl=60)
    await memory.update_memory(NS, "k", "v2")
    clock.advance(minutes=2)
    record = await memory.put_memory(NS, "k", "v3", "short_term")
    assert (record["version"], record["change"]) == (1, "created")
    assert [h["value"] for h in await memory.get_memory_history(NS, "k")] == ["v3"]


async def test_each_version_keeps_its_own_expiry(store: Store) -> None:
    # a ttl is how long that value may be kept: a longer one on an update does not keep the older value longer
    clock = Clock()
    memory = MemoryService(store, clock=clock)
    await memory.create_memory(NS, "k", "v1", "short_term", ttl=60)
    await memory.update_memory(NS, "k", "v2", ttl=3600)
    clock.advance(minutes=2)
    assert [h["version"] for h in await memory.get_memory_history(NS, "k")] == [2]
    assert (await memory.get_memory(NS, "k"))["value"] == "v2"  # type: ignore[index]
    assert await memory.sweep_expired() == 0  # no memory went; the expired version's row did
    assert store.sql("SELECT version FROM memories").fetchall() == [(2,)]


async def test_search_finds_updates_and_forgets_deletes(memory: MemoryService, store: Store) -> None:
    await memory.create_memory("user:dana", "ui_theme", "user prefers dark mode", "semantic")
    await memory.create_memory("user:dana", "editor", "vim keybindings everywhere", "procedural")
    hits = await memory.search_memories("dark mode preference", limit=2)
    assert hits[0]["key"] == "ui_theme" and 0 <= hits[0]["similarity"] <= 1 and "cosine" in hits[0]
    await memory.update_memory("user:dana", "ui_theme", "user prefers light pastel colours")
    assert store.index is not None and store.index.tables.count("memories") == 2  # replaced, not added
    hits = await memory.search_memories("light pastel colours", limit=1)
    assert hits[0]["key"] == "ui_theme" and hits[0]["version"] == 2
    await memory.delete_memory("user:dana", "ui_theme")
    assert [h["key"] for h in await memory.search_memories("light pastel colours ui theme", limit=5)] == ["editor"]
    assert store.index.tables.count("memories") == 1
    await memory.restore_memory("user:dana", "ui_theme")
    assert (await memory.search_memories("light pastel colours", limit=1))[0]["change"] == "restored"


async def test_search_filters_apply_before_the_limit_with_odd_namespaces(memory: MemoryService) -> None:
    for n in range(30):
        await memory.create_memory(f"project:noise:{n}", "db", f"database migration notes {n}", "semantic")
    odd = ["project:a_b", "project:a%b", "project:a*b", "project:o'hara", 'project:say "hi"'.replace(" ", "_")]
    for name in odd:
        await memory.create_memory(name, "db", "database migration notes", "episodic")
        await memory.create_memory(f"{name}:child", "db", "database migration notes", "episodic")
    await memory.create_memory("project:axb", "db", "database migration notes", "episodic")
    for name in odd:
        hits = await memory.search_memories("database migration", namespace_prefix=name, limit=5)
        assert sorted(h["namespace"] for h in hits) == [name, f"{name}:child"], name
    typed = await memory.search_memories("database migration", memory_type="episodic", limit=50)
    assert len(typed) == 2 * len(odd) + 1 and {h["memory_type"] for h in typed} == {"episodic"}
    many = await memory.search_memories("database migration", namespace_prefix="project:noise", limit=25)
    assert len(many) == 25
    assert await memory.search_memories("database migration", namespace_prefix="project:a_", limit=5) == []
    top = (await memory.search_memories("database migration notes 7", limit=1))[0]["similarity"]
    assert len(await memory.search_memories("database migration notes 7", threshold=top, limit=50)) >= 1
    assert all(
        h["similarity"] >= top for h in await memory.search_memories("database migration notes 7", threshold=top)
    )


async def test_hybrid_and_keyword_modes(memory: MemoryService) -> None:
    await memory.create_memory("project:x", "error", "TypeError in parse_input_v2", "episodic")
    await memory.create_memory("project:x", "other", "the weather was fine", "episodic")
    hits = await memory.search_memories("parse_input_v2", mode="keyword")
    assert [h["key"] for h in hits] == ["error"] and hits[0]["keyword_match"] is True
    assert (await memory.search_memories("parse_input_v2", mode="hybrid"))[0]["key"] == "error"
    with pytest.raises(ValidationError):
        await memory.search_memories("x", mode="fuzzy")


async def test_search_without_an_embedder_raises(tmp_path: object) -> None:
    from agentlog import SearchUnavailableError

    with Store.memory(embedder=None) as store:
        memory = MemoryService(store)
        await memory.create_memory(NS, "k", "v", "semantic")
        with pytest.raises(SearchUnavailableError):
            await memory.search_memories("v")


async def test_process_wide_service_shares_the_default_store() -> None:
    memory = get_memory_service()
    assert memory is get_memory_service() and memory.store is get_session_service().store
    await memory.create_memory(NS, "k", "v", "semantic")
    assert (await get_memory_service().get_memory(NS, "k"))["value"] == "v"  # type: ignore[index]


async def test_memories_survive_reopening(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "store"
    with Store(path) as store:
        memory = MemoryService(store)
        await memory.create_memory(NS, "k", "v1", "semantic")
        await memory.update_memory(NS, "k", "v2")
    with Store(path) as store:
        memory = MemoryService(store)
        await memory.update_memory(NS, "k", "v3")  # the writer's cache starts empty: versions continue
        assert [h["version"] for h in await memory.get_memory_history(NS, "k")] == [3, 2, 1]
        assert (await memory.search_memories("v3", limit=1))[0]["value"] == "v3"
