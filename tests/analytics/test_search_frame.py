"""search_frame: the hits of each kind of search as a frame with a fixed schema, sync in and out of a loop."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from agentlog import DocumentIndexService, MemoryService, SearchUnavailableError, SessionService, Store, ValidationError
from agentlog.analytics import SEARCH_FILTERS, schemas, search_frame
from tests.conftest import snapshot

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


async def sessions_store(store: Store) -> dict[str, uuid.UUID]:
    service = SessionService(store)
    ids: dict[str, uuid.UUID] = {}
    for name, agent, summary, start in [
        ("migration", "claude", "Migrated the billing database to Postgres 16 with alembic", T0),
        ("css", "gemini", "Restyled the settings page buttons with dark mode colours", T0 + timedelta(hours=1)),
        ("migration2", "gpt", "Planned the database migration rollback for billing", T0 + timedelta(hours=2)),
    ]:
        session = await service.create_session(agent=agent, started_at=start)
        await service.add_event(session["id"], "task_created", {"title": name}, timestamp=start)
        await service.end_session(session["id"], summary=summary)
        ids[name] = session["id"]
    return ids


async def test_sessions_frame_has_the_schema_and_the_best_hit_first(store: Store) -> None:
    ids = await sessions_store(store)

    frame = search_frame(store, "billing database migration", kind="sessions", limit=5)

    assert frame.schema == schemas.SEARCH_SESSIONS
    assert frame["rank"].to_list() == list(range(1, frame.height + 1))
    assert set(frame["session_id"].head(2).to_list()) == {str(ids["migration"]), str(ids["migration2"])}
    assert frame["similarity"].is_sorted(descending=True)
    assert frame["similarity"].is_between(0, 1).all()
    assert frame["score"].is_null().all() and frame["keyword_match"].is_null().all()  # vector mode
    first = frame.row(0, named=True)
    assert first["started_at"] in (T0, T0 + timedelta(hours=2))
    assert first["lifecycle"] == "terminated" and first["ended_at"] is not None


async def test_sessions_filters_and_threshold(store: Store) -> None:
    ids = await sessions_store(store)

    only_gpt = search_frame(store, "billing database migration", agent="gpt")
    assert only_gpt["session_id"].to_list() == [str(ids["migration2"])]
    later = search_frame(store, "billing database migration", since=T0 + timedelta(minutes=30))
    assert str(ids["migration"]) not in later["session_id"].to_list()
    everything = search_frame(store, "billing database migration", limit=10)
    strict = search_frame(store, "billing database migration", threshold=0.7)
    assert strict.height < everything.height
    assert (strict["similarity"] >= 0.7).all()


async def test_hybrid_mode_fills_score_and_keyword_match(store: Store) -> None:
    await sessions_store(store)

    frame = search_frame(store, "alembic", kind="sessions", mode="hybrid")

    assert frame.height >= 1
    assert frame["score"].is_not_null().all()
    assert frame.row(0, named=True)["keyword_match"] is True
    assert "alembic" in frame.row(0, named=True)["summary"]


async def test_events_frame(store: Store) -> None:
    service = SessionService(store)
    session = await service.create_session(agent="claude", started_at=T0)
    await service.add_event(session["id"], "task_created", {"title": "Write the release notes"}, timestamp=T0)
    await service.add_event(
        session["id"], "error_encountered", {"error": "TypeError in parse_input"}, timestamp=T0 + timedelta(minutes=5)
    )
    await service.add_event(
        session["id"],
        "tool_called",
        {"tool": "pytest", "output": "TypeError again"},
        metadata={"is_error": True},
        timestamp=T0 + timedelta(minutes=6),
    )
    other = await service.create_session(agent="gpt", started_at=T0)
    await service.add_event(other["id"], "error_encountered", {"error": "TypeError in parse_input"}, timestamp=T0)

    frame = search_frame(store, "TypeError in parse_input", kind="events", session_id=session["id"], limit=5)

    assert frame.schema == schemas.SEARCH_EVENTS
    assert frame.height == 3
    assert set(frame["session_id"].to_list()) == {str(session["id"])}
    best = frame.row(0, named=True)
    assert best["event_type"] == "error_encountered" and best["seq"] == 2 and best["agent"] == "claude"
    assert json.loads(best["event_data"]) == {"error": "TypeError in parse_input"}
    assert best["timestamp"] == T0 + timedelta(minutes=5)
    errors = dict(zip(frame["event_type"].to_list(), frame["is_error"].to_list(), strict=True))
    assert errors == {"error_encountered": True, "tool_called": True, "task_created": False}

    typed = search_frame(store, "TypeError", kind="events", event_type="error_encountered")
    assert set(typed["event_type"].to_list()) == {"error_encountered"} and typed.height == 2


async def test_memories_frame(store: Store) -> None:
    memory = MemoryService(store)
    await memory.create_memory("user:alice", "ui_theme", "user prefers dark mode", "semantic")
    await memory.create_memory("user:bob", "ui_theme", "user prefers light mode", "semantic")
    await memory.create_memory("project:billing", "db", {"engine": "postgres", "version": 16}, "semantic")
    await memory.update_memory("user:alice", "ui_theme", "user prefers dark mode everywhere")

    frame = search_frame(store, "dark mode theme", kind="memories", namespace="user:alice")

    assert frame.schema == schemas.SEARCH_MEMORIES
    assert frame.height == 1
    hit = frame.row(0, named=True)
    assert (hit["namespace"], hit["key"], hit["version"]) == ("user:alice", "ui_theme", 2)
    assert json.loads(hit["value"]) == "user prefers dark mode everywhere"
    assert hit["created_at"] <= hit["updated_at"] and hit["expires_at"] is None
    structured = search_frame(store, "postgres database engine", kind="memories", limit=1)
    assert json.loads(structured["value"][0]) == {"engine": "postgres", "version": 16}


async def test_documents_frame(store: Store) -> None:
    docs = DocumentIndexService(store)
    await docs.index_document("docs/storage.md", "Storage", "DuckDB is the source of truth.", "design")
    await docs.index_document("docs/ui.md", "Interface", "Buttons use the dark mode palette.", "guide")

    frame = search_frame(store, "source of truth duckdb", kind="documents", limit=2)

    assert frame.schema == schemas.SEARCH_DOCUMENTS
    first = frame.row(0, named=True)
    assert (first["file_path"], first["title"], first["chunk_index"]) == ("docs/storage.md", "Storage", 0)
    assert first["chunk_text"] == "DuckDB is the source of truth."
    uuid.UUID(first["chunk_id"]), uuid.UUID(first["document_id"])
    only_guides = search_frame(store, "source of truth duckdb", kind="documents", document_type="guide")
    assert only_guides["file_path"].to_list() == ["docs/ui.md"]


def test_no_hits_gives_an_empty_frame_with_the_schema(store: Store) -> None:
    for kind, schema in schemas.SEARCH_SCHEMAS.items():
        frame = search_frame(store, "anything at all", kind=kind)  # type: ignore[arg-type]
        assert frame.height == 0
        assert frame.schema == schema


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_keyword_modes_on_a_kind_with_no_rows_give_an_empty_frame(store: Store, mode: str) -> None:
    frame = search_frame(store, "anything", kind="memories", mode=mode)
    assert frame.height == 0 and frame.schema == schemas.SEARCH_MEMORIES


async def test_filters_that_do_not_apply_are_rejected_and_nothing_changes(store: Store) -> None:
    await sessions_store(store)
    before = snapshot(store)
    with pytest.raises(ValidationError, match="namespace does not apply to kind='sessions'"):
        search_frame(store, "billing", kind="sessions", namespace="user:alice")
    with pytest.raises(ValidationError, match="agent does not apply to kind='memories'"):
        search_frame(store, "billing", kind="memories", agent="claude")
    with pytest.raises(ValidationError, match="kind must be one of"):
        search_frame(store, "billing", kind="notes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="query"):
        search_frame(store, "   ")
    with pytest.raises(ValidationError, match="mode"):
        search_frame(store, "billing", mode="fuzzy")
    with pytest.raises(ValidationError, match="limit"):
        search_frame(store, "billing", limit=0)
    with pytest.raises(ValidationError, match="since"):
        search_frame(store, "billing", since=datetime(2026, 3, 1))  # naive
    assert snapshot(store) == before
    assert set(SEARCH_FILTERS) == set(schemas.SEARCH_SCHEMAS)


def test_a_store_without_embedder_cannot_search() -> None:
    with Store.memory(embedder=None) as store, pytest.raises(SearchUnavailableError):
        search_frame(store, "billing")


async def test_works_inside_a_running_event_loop_and_from_threads(store: Store) -> None:
    await sessions_store(store)
    asyncio.get_running_loop()  # this test runs inside a loop, as a Jupyter cell does

    inside = search_frame(store, "dark mode buttons")  # no asyncio.run(): would fail inside a loop
    in_threads = await asyncio.gather(*(asyncio.to_thread(search_frame, store, "dark mode buttons") for _ in range(4)))

    assert inside["summary"][0].startswith("Restyled the settings page")
    assert all(frame.equals(inside) for frame in in_threads)


def test_errors_raised_by_the_search_reach_the_caller(store: Store) -> None:
    with pytest.raises(ValidationError, match="namespace"):
        search_frame(store, "x", kind="memories", namespace="no scope here")
    frame = search_frame(store, "x", kind="memories")  # the loop still works afterwards
    assert isinstance(frame, pl.DataFrame)


def test_since_and_until_date_events_without_a_timestamp_at_their_sessions_start(store: Store) -> None:
    from tests.analytics.builders import Ev, Sess, load

    choice = {"choice": "use postgres for billing"}
    early = T0 - timedelta(days=3)
    load(store, [Sess("S", "claude", early, early + timedelta(hours=1), [Ev("decision_made", None, data=choice)] * 2)])
    load(store, [Sess("D", "claude", T0, T0 + timedelta(hours=1), [Ev("decision_made", T0, data=choice)])])
    everything = search_frame(store, "postgres for billing", kind="events")
    assert everything.height == 3 and everything["timestamp"].null_count() == 2
    dated = search_frame(store, "postgres for billing", kind="events", since=T0 - timedelta(days=1))
    assert dated["timestamp"].to_list() == [T0]
    undated = search_frame(store, "postgres for billing", kind="events", until=T0 - timedelta(days=1))
    assert undated.height == 2 and undated["timestamp"].null_count() == 2
