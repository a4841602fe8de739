"""Semantic, keyword and hybrid search over the background vector index (fake embedder)."""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lancedb.index import IvfSq

from agentlog import EmbeddingMismatchError, SearchUnavailableError, SessionService, Store, ValidationError
from agentlog.embeddings import FakeEmbedder
from agentlog.index import ann as ann_module
from agentlog.index import vectors as vectors_module
from agentlog.index.vectors import MAX_FRAGMENTS
from agentlog.store.manifest import read_manifest


def poll(condition: Callable[[], bool], timeout: float) -> bool:
    """Whether ``condition`` holds within ``timeout`` seconds (checked every 50 ms)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def wait_through_a_failed_round(store: Store, timeout: float) -> None:
    """``wait_for_index``, again while it raises: waiters fail while a failed round's error stands (the indexer
    retries it), and the test that failed the round cannot tell when the indexer has recorded the error."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            store.wait_for_index()
            return
        except SearchUnavailableError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


async def summarised(service: SessionService, agent: str, summary: str, **kwargs: object) -> uuid.UUID:
    session = await service.create_session(agent, **kwargs)  # type: ignore[arg-type]
    await service.end_session(session["id"], summary=summary)
    return session["id"]


async def test_relevant_session_first_with_similarity_and_threshold(service: SessionService) -> None:
    migration = await summarised(service, "claude", "Completed database migration with 10 new tables")
    typeerror = await summarised(service, "claude", "Fixed TypeError by adding validation to parse_input()")
    await service.create_session("claude")  # no summary: not searchable
    hits = await service.search_sessions("database migration", limit=5, threshold=None)
    assert [h["id"] for h in hits] == [migration, typeerror]
    assert 0 <= hits[1]["similarity"] < hits[0]["similarity"] <= 1
    assert hits[0]["cosine"] > hits[1]["cosine"]
    assert hits[0]["summary"].startswith("Completed") and "events" not in hits[0]
    above = await service.search_sessions("database migration", limit=5, threshold=0.7)
    assert [h["id"] for h in above] == [migration]
    exact = hits[0]["similarity"]
    assert [h["id"] for h in await service.search_sessions("database migration", threshold=exact)] == [migration]


async def test_filters_apply_before_the_limit_and_values_are_escaped(service: SessionService) -> None:
    for n in range(30):
        await summarised(service, "claude", f"database migration number {n}")
    odd_agents = ["o'hara", "a_c", "%", "x -- y", "abc"]
    wanted = {name: await summarised(service, name, "database migration for a tricky agent") for name in odd_agents}
    for name, session_id in wanted.items():
        hits = await service.search_sessions("database migration", limit=3, threshold=None, agent=name)
        assert [h["id"] for h in hits] == [session_id], name
    injection = await service.search_sessions("database migration", threshold=None, agent="x' OR '1'='1")
    assert injection == []
    many = await service.search_sessions("database migration", limit=25, threshold=None, agent="claude")
    assert len(many) == 25 and {h["agent"] for h in many} == {"claude"}


async def test_session_filters_by_project_and_time(service: SessionService) -> None:
    project = uuid.uuid4()
    now = datetime.now(UTC)
    old = await summarised(service, "gpt", "database migration long ago", started_at=now - timedelta(days=30))
    new = await summarised(service, "gpt", "database migration this week", project_id=project)
    assert [
        h["id"] for h in await service.search_sessions("database migration", threshold=None, project_id=project)
    ] == [new]
    recent = await service.search_sessions("database migration", threshold=None, since=now - timedelta(days=7))
    assert [h["id"] for h in recent] == [new]
    older = await service.search_sessions("database migration", threshold=None, until=now - timedelta(days=7))
    assert [h["id"] for h in older] == [old]


async def test_search_events_filters(service: SessionService) -> None:
    first = await service.create_session("claude")
    second = await service.create_session("gemini")
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(5):
        await service.add_event(
            first["id"], "error_encountered", {"error": f"timeout in sync job {n}"}, timestamp=t0 + timedelta(days=n)
        )
        await service.add_event(
            second["id"], "decision_made", {"decision": f"retry the sync job {n}"}, timestamp=t0 + timedelta(days=n)
        )
    only_session = await service.search_events("sync job", session_id=second["id"], limit=10)
    assert len(only_session) == 5 and {h["session_id"] for h in only_session} == {second["id"]}
    typed = await service.search_events("sync job", event_type=["error_encountered"], limit=10)
    assert len(typed) == 5 and {h["event_type"] for h in typed} == {"error_encountered"}
    assert {h["agent"] for h in typed} == {"claude"}
    by_agent = await service.search_events("sync job", agent="gemini", limit=10)
    assert {h["agent"] for h in by_agent} == {"gemini"} and len(by_agent) == 5
    window = await service.search_events("sync job", since=t0 + timedelta(days=1), until=t0 + timedelta(days=3))
    assert sorted(h["event_data"]["error" if "error" in h["event_data"] else "decision"][-1] for h in window) == [
        "1",
        "1",
        "2",
        "2",
    ]
    assert all(0 <= h["similarity"] <= 1 for h in window)


async def test_read_your_writes_after_1000_concurrent_events(service: SessionService) -> None:
    sessions = [(await service.create_session("claude"))["id"] for _ in range(4)]
    needle = 617

    async def log(n: int) -> None:
        data = {"note": "zebra quasar lighthouse"} if n == needle else {"note": f"routine step {n}"}
        await service.add_event(sessions[n % 4], "context_shared", data)

    await asyncio.gather(*(log(n) for n in range(1000)))
    hits = await service.search_events("zebra quasar lighthouse", limit=3)
    assert hits and hits[0]["event_data"] == {"note": "zebra quasar lighthouse"}
    # the events are all indexed (the sessions' rows may come after: the search waited for events only)
    assert service.store.index is not None and service.store.index.watermarks["events"] >= service.store.committed_lsn


async def test_keyword_and_hybrid_on_an_empty_store_find_nothing(service: SessionService) -> None:
    for mode in ("keyword", "hybrid"):
        assert await service.search_events("QueuePoolExhausted", mode=mode) == [], mode
        assert await service.search_sessions("QueuePoolExhausted", mode=mode) == [], mode


async def test_hybrid_and_keyword_find_exact_identifiers(service: SessionService) -> None:
    session = await service.create_session("claude")
    for n in range(40):
        await service.add_event(session["id"], "task_updated", {"file": f"src/module_{n}.py", "note": "refactor"})
    await service.add_event(
        session["id"], "error_encountered", {"error": "QueuePoolExhausted", "file": "src/agentlog/store/writer.py"}
    )
    other = await service.create_session("gemini")
    await service.add_event(other["id"], "error_encountered", {"error": "QueuePoolExhausted again"})
    agents = {session["id"]: "claude", other["id"]: "gemini"}
    for mode in ("keyword", "hybrid"):
        hits = await service.search_events("QueuePoolExhausted", mode=mode, limit=5)
        assert hits[0]["event_data"]["error"].startswith("QueuePoolExhausted"), mode
        assert hits[0]["keyword_match"] is True
        # the agent, carried by the index on both paths, is each hit's own
        assert {h["agent"] for h in hits} == {"claude", "gemini"}, mode
        assert all(h["agent"] == agents[h["session_id"]] for h in hits), mode
        path = await service.search_events("src/agentlog/store/writer.py", mode=mode, limit=5)
        assert path[0]["event_data"].get("file") == "src/agentlog/store/writer.py", mode
    hybrid = await service.search_events("QueuePoolExhausted", mode="hybrid", limit=10, threshold=0.99)
    assert sorted(h["event_data"].get("error") for h in hybrid) == ["QueuePoolExhausted", "QueuePoolExhausted again"]


async def test_resummarising_replaces_and_deleting_removes_vectors(service: SessionService) -> None:
    store = service.store
    session = await summarised(service, "claude", "Completed database migration with 10 new tables")
    await service.update_session_summary(session, "Tuned the dark mode theme colours")
    store.wait_for_index()
    assert store.index is not None
    ids, _ = store.index.tables.vectors("sessions")
    assert ids.count(str(session)) == 1
    assert await service.search_sessions("database migration", threshold=0.7) == []
    assert [h["id"] for h in await service.search_sessions("dark mode theme", threshold=0.7)] == [session]
    other = await service.create_session("gemini")
    for n in range(3):
        await service.add_event(other["id"], "task_created", {"title": f"dark mode task {n}"})
    await service.end_session(other["id"], summary="dark mode theme work")
    await service.delete_session(other["id"])
    assert [h["id"] for h in await service.search_sessions("dark mode theme", threshold=None)] == [session]
    assert await service.search_events("dark mode task", limit=10) == []
    event_ids, _ = store.index.tables.vectors("events")
    assert event_ids == []


async def test_threshold_and_query_validation(service: SessionService) -> None:
    for bad in (
        {"query": ""},
        {"query": "  "},
        {"query": 3},
        {"query": "x", "threshold": 1.5},
        {"query": "x", "threshold": True},
        {"query": "x", "mode": "fuzzy"},
        {"query": "x", "limit": 0},
        {"query": "x", "since": datetime(2026, 1, 1)},
        {"query": "x", "agent": ""},
    ):
        with pytest.raises(ValidationError):
            await service.search_sessions(**bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        await service.search_events("x", event_type="not a type!")


async def test_store_without_embedder_says_search_is_unavailable() -> None:
    with Store.memory(embedder=None) as store:
        service = SessionService(store)
        await summarised(service, "claude", "database migration")
        with pytest.raises(SearchUnavailableError, match="embedder"):
            await service.search_sessions("database migration")
        with pytest.raises(SearchUnavailableError):
            store.wait_for_index()


async def test_mismatch_then_reindex(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with Store(path, embedder="fake") as store:
        service = SessionService(store)
        await summarised(service, "claude", "database migration")
        await service.add_event((await service.create_session("claude"))["id"], "task_created", {"t": "x"})
    other = FakeEmbedder(dimension=32)
    with pytest.raises(EmbeddingMismatchError) as caught:
        Store(path, embedder=other)
    message = str(caught.value)
    assert "fake-hash-64" in message and "fake-hash-32" in message and "reindex" in message
    with Store(path, embedder=None) as store:
        seen: list[tuple[int, int]] = []
        assert store.reindex(other, progress=lambda done, total: seen.append((done, total))) == 3  # 2 sessions, 1 event
        assert seen[-1] == (3, 3)
    manifest = read_manifest(path)
    assert manifest is not None and manifest.embedder is not None and manifest.embedder.dimension == 32
    with Store(path, embedder=other) as store:
        hits = await SessionService(store).search_sessions("database migration", threshold=None)
        assert len(hits) == 1


async def test_reindex_progress_counts_a_memory_once(tmp_path: Path) -> None:
    # the index holds one vector per memory, not per stored version: the bar's total counted every version
    from agentlog import MemoryService

    path = tmp_path / "store"
    with Store(path, embedder="fake") as store:
        memory = MemoryService(store)
        for key in ("db", "cache", "queue"):
            await memory.create_memory("project:shop", key, {"v": 1}, "semantic")
        await memory.update_memory("project:shop", "db", {"v": 2})
        await memory.update_memory("project:shop", "db", {"v": 3})  # 5 stored versions of 3 memories
    with Store(path, embedder=None) as store:
        seen: list[tuple[int, int]] = []
        assert store.reindex("fake", progress=lambda done, total: seen.append((done, total))) == 3
        assert seen[-1] == (3, 3)


async def test_missing_lance_directory_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with Store(path) as store:
        session = await summarised(SessionService(store), "claude", "database migration")
        store.wait_for_index()
    shutil.rmtree(path / "lance")
    with Store(path) as store:
        hits = await SessionService(store).search_sessions("database migration", threshold=None)
        assert [h["id"] for h in hits] == [session]


async def test_many_small_appends_are_compacted(file_store: Store) -> None:
    service = SessionService(file_store)
    session = await service.create_session("claude")
    for n in range(MAX_FRAGMENTS * 3):
        await service.add_event(session["id"], "task_created", {"n": n})
        file_store.wait_for_index()
    assert file_store.index is not None
    file_store.index.maintain()
    stats = file_store.index.tables.table("events").stats()
    assert stats["fragment_stats"]["num_fragments"] <= MAX_FRAGMENTS
    assert file_store.index.tables.count("events") == MAX_FRAGMENTS * 3


async def test_a_search_does_not_wait_for_maintenance(file_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # Maintenance of a large table takes seconds to minutes (a compaction at 1M rows: ~17 s);
    # it runs on its own thread, so rows written meanwhile are indexed and found at once.
    assert file_store.index is not None
    tables = file_store.index.tables
    entered, release, finished = threading.Event(), threading.Event(), threading.Event()
    maintain = tables.maintain

    def blocked_maintain(name: str) -> None:
        entered.set()
        release.wait(120)
        finished.set()
        maintain(name)

    monkeypatch.setattr(tables, "maintain", blocked_maintain)
    service = SessionService(file_store)
    session = await service.create_session("claude")
    try:
        events = [{"event_type": "task_updated", "event_data": {"n": n}} for n in range(5000)]
        await service.add_events(session["id"], events)  # enough rows for the indexer to ask for maintenance
        assert await asyncio.to_thread(entered.wait, 60)
        await service.add_event(session["id"], "note", {"text": "zebra quasar lighthouse"})
        hits = await asyncio.wait_for(service.search_events("zebra quasar lighthouse", limit=1), timeout=30)
        assert not finished.is_set()  # found while maintenance was still running
        assert hits[0]["event_data"] == {"text": "zebra quasar lighthouse"}
    finally:
        release.set()


async def test_an_index_from_an_earlier_build_is_rebuilt_at_open(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with Store(path) as store:
        service = SessionService(store)
        session = await service.create_session("claude")
        await service.add_events(session["id"], [{"event_type": "note", "event_data": {"n": n}} for n in range(600)])
        store.wait_for_index()
        assert store.index is not None
        store.index.tables.table("events").create_index(
            "vector", config=IvfSq(distance_type="cosine", num_partitions=4), name="vector_ivfsq_p4"
        )
    with Store(path) as store:  # no writes: maintenance is asked for at open
        assert store.index is not None
        tables = store.index.tables
        assert await asyncio.to_thread(poll, lambda: not tables.ann_outdated("events"), 60)
        names = [i.name for i in tables.table("events").list_indices() if i.columns == ["vector"]]
        assert names == ["vector_ivfsq_t24"]  # sqrt(600) rows per partition


async def test_failed_maintenance_waits_for_the_next_request(
    file_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert file_store.index is not None
    tables = file_store.index.tables
    calls: list[str] = []
    conflicts = [True]  # the first call loses a commit race, later ones fail for good

    def failing_maintain(name: str) -> None:
        calls.append(name)
        if conflicts.pop() if conflicts else False:
            raise RuntimeError("lance error: Retryable commit conflict for version 7 (test)")
        raise OSError("disk full (test)")

    monkeypatch.setattr(tables, "maintain", failing_maintain)
    service = SessionService(file_store)
    session = await service.create_session("claude")
    await service.add_events(session["id"], [{"event_type": "note", "event_data": {"n": n}} for n in range(5000)])
    # one pass over every source, then (a race was lost) a second one after a pause
    passes = 2 * len(file_store.index.sources)
    assert await asyncio.to_thread(poll, lambda: len(calls) >= passes, 30)
    await asyncio.sleep(0.3)
    assert len(calls) == passes and calls.count("events") == 2
    seen = len(calls)
    for n in range(15):  # every commit wakes the threads; a failure is not retried on each of them
        await service.add_event(session["id"], "note", {"n": n})
        await asyncio.to_thread(file_store.wait_for_index)
    await asyncio.sleep(0.3)
    assert len(calls) == seen


async def test_a_round_that_fails_part_way_is_not_appended_twice(
    file_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A round indexes the sources one after another and records their watermarks at its end: when a later
    # source fails, the events it appended before were appended again by the retried round (events are not
    # replaced by id), and the duplicates made every later tail merge fail ("ambiguous merge").
    from agentlog import MemoryService

    assert file_store.index is not None
    tables = file_store.index.tables
    upsert = tables.upsert  # memories replace their vectors by id
    failures = [OSError("disk full (test)")]

    def upsert_failing_once_for_memories(name: str, rows: Any, vectors: Any) -> None:
        upsert(name, rows, vectors)
        if name == "memories" and failures:
            raise failures.pop()

    monkeypatch.setattr(tables, "upsert", upsert_failing_once_for_memories)
    service = SessionService(file_store)
    session = await service.create_session("claude")
    await service.add_events(session["id"], [{"event_type": "note", "event_data": {"n": n}} for n in range(50)])
    await MemoryService(file_store).create_memory("project:a", "db", {"engine": "postgres"}, "semantic")
    index = file_store.index
    assert await asyncio.to_thread(poll, lambda: not failures, 30)  # the round failed
    await asyncio.to_thread(wait_through_a_failed_round, file_store, 30)  # and was retried
    assert index.error is None
    for name, expected in (("events", 50), ("memories", 1)):
        ids, _ = tables.vectors(name)
        assert len(ids) == len(set(ids)) == expected, name


class SlowFake(FakeEmbedder):
    """The fake embedder, with a pause per call: a stand-in for a slow model."""

    def embed(self, texts):  # type: ignore[no-untyped-def]
        import time

        time.sleep(0.2)
        return super().embed(texts)


async def test_session_search_does_not_wait_for_the_event_backlog() -> None:
    with Store.memory(embedder=SlowFake()) as store:
        service = SessionService(store)
        session = await service.create_session("claude")
        await service.add_events(session["id"], [{"event_type": "step", "event_data": {"n": n}} for n in range(2000)])
        await service.end_session(session["id"], summary="database migration")
        hits = await service.search_sessions("database migration", threshold=None)
        assert [h["id"] for h in hits] == [session["id"]]
        assert store.index is not None
        assert store.index.watermarks["events"] < store.committed_lsn, "events were still being embedded"
        committed = store.committed_lsn
        assert len(await service.search_events("step", limit=3)) == 3  # event search waits for them
        assert store.index.watermarks["events"] >= committed


async def test_hits_are_read_back_whether_or_not_their_lsn_still_matches(service: SessionService) -> None:
    from agentlog.index.search import Hit, rows_for_hits

    session = await service.create_session("claude")
    events = [await service.add_event(session["id"], "task_created", {"n": n}) for n in range(5)]
    store = service.store
    lsns = dict(store.sql("SELECT id, index_lsn FROM events").fetchall())

    def hit(event_id: uuid.UUID, lsn: int | None) -> Hit:
        return Hit(str(event_id), cosine=0.5, similarity=0.5, score=0.0, keyword=False, index_lsn=lsn)

    hits = [
        hit(events[0]["id"], lsns[events[0]["id"]]),  # as indexed
        hit(events[1]["id"], lsns[events[1]["id"]] + 1_000),  # the row changed since it was indexed
        hit(events[2]["id"], None),  # no lsn known
        hit(uuid.uuid4(), lsns[events[3]["id"]]),  # gone (deleted since): left out
    ]
    rows = store.read(lambda cur: rows_for_hits(cur, "SELECT id, seq FROM events", hits))
    assert rows == {str(e["id"]): (e["id"], e["seq"]) for e in events[:3]}


async def test_searches_find_new_events_while_maintenance_compacts_and_retrains(
    file_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Maintenance merges the small fragments of the unindexed tail, compacts once that tail outgrows
    # MAX_UNINDEXED (adding a segment to the ANN index) and retrains the index rather than give it a segment
    # too many (see agentlog.index.vectors); searches and read-your-writes must hold throughout, with
    # maintenance running beside them as its thread does.
    monkeypatch.setattr(vectors_module, "MAX_FRAGMENTS", 2)
    monkeypatch.setattr(vectors_module, "MAX_UNINDEXED", 3)
    monkeypatch.setattr(ann_module, "MAX_INDEX_SEGMENTS", 2)
    assert file_store.index is not None
    tables = file_store.index.tables
    tables.ann_min_rows = 500
    service = SessionService(file_store)
    session = await service.create_session("claude")
    await service.add_events(session["id"], [{"event_type": "note", "event_data": {"n": n}} for n in range(600)])
    await asyncio.to_thread(file_store.wait_for_index)
    table = tables.table("events")
    builds: list[str] = []
    create_index = table.create_index
    monkeypatch.setattr(table, "create_index", lambda column, **kw: builds.append(column) or create_index(column, **kw))
    merges: list[list[str]] = []
    merge_insert = table.merge_insert
    monkeypatch.setattr(table, "merge_insert", lambda on: merges.append(on) or merge_insert(on))
    await asyncio.to_thread(file_store.index.maintain)
    assert tables.has_ann_index("events")
    stop = threading.Event()

    def maintain_until_stopped() -> None:
        while not stop.wait(0.02):
            tables.maintain("events")

    maintenance = threading.Thread(target=maintain_until_stopped)
    maintenance.start()
    try:
        for n in range(20):
            marker = f"marker {n} kestrel obsidian"
            await service.add_event(session["id"], "note", {"text": marker})
            # the event's own text: its vector is the query's, so even an ANN search must rank it first
            hits = await service.search_events(f"note. text: {marker}", limit=1)
            assert hits[0]["event_data"] == {"text": marker}, (n, hits[0]["event_data"], hits[0]["cosine"])
    finally:
        stop.set()
        await asyncio.to_thread(maintenance.join, 120)
    assert builds.count("vector") >= 2  # the first build, then at least one retrain that merged segments
    assert tables.ann_segments("events") <= 2
    assert merges  # and tails merged without a segment in between
