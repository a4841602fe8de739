"""SearchExplorer driven like a person would: typing, choosing, clicking; the table must follow."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime

import pytest

from agentlog import SessionService, Store, ValidationError
from agentlog.analytics import schemas
from agentlog.widgets import SearchExplorer


def table_rows(explorer: SearchExplorer) -> int:
    return explorer.table.value.count("<tr>") - 1 if explorer.table.value else 0


def headers(explorer: SearchExplorer) -> list[str]:
    return re.findall(r"<th[^>]*>([^<]*)</th>", explorer.table.value)


def test_typing_a_query_shows_the_hits(demo: Store) -> None:
    explorer = SearchExplorer(demo, limit=5)
    assert explorer.results.height == 0 and explorer.table.value == ""
    assert "Type a query" in explorer.status.value

    explorer.query.value = "flaky tests in CI"

    assert explorer.results.schema == schemas.SEARCH_SESSIONS
    assert explorer.results.height == 5
    assert table_rows(explorer) == 5
    assert headers(explorer) == ["rank", "similarity", "agent", "started_at", "summary", "session_id"]
    assert explorer.results["session_id"][0] in explorer.table.value
    assert "5 hits for &#x27;flaky tests in CI&#x27; (sessions, vector)" in explorer.status.value


def test_kind_mode_and_filters_change_the_results(demo: Store) -> None:
    explorer = SearchExplorer(demo, limit=8)
    explorer.query.value = "database connection pool"
    sessions = explorer.results

    explorer.kind.value = "events"
    assert explorer.results.schema == schemas.SEARCH_EVENTS
    assert "event_type" in headers(explorer) and not explorer.agent.disabled

    explorer.agent.value = "gpt"
    assert explorer.results.height > 0
    assert set(explorer.results["agent"].to_list()) == {"gpt"}

    explorer.mode.value = "hybrid"
    assert headers(explorer)[2] == "keyword_match"
    assert explorer.results["score"].is_not_null().all()

    explorer.mode.value = "vector"
    explorer.kind.value = "memories"  # agent and since do not apply to memories: disabled and ignored
    assert explorer.agent.disabled and explorer.since.disabled
    assert "agent" not in explorer.filters()
    assert explorer.results.height == 0 and explorer.results.schema == schemas.SEARCH_MEMORIES

    explorer.kind.value = "sessions"
    explorer.agent.value = ""
    assert explorer.results.equals(sessions)


def test_since_and_threshold(demo: Store) -> None:
    explorer = SearchExplorer(demo, limit=20)
    explorer.query.value = "deployment pipeline with canary releases"
    everything = explorer.results

    explorer.since.value = date(2026, 2, 1)
    assert explorer.filters()["since"] == datetime(2026, 2, 1, tzinfo=UTC)
    assert 0 < explorer.results.height < everything.height
    assert (explorer.results["started_at"] >= datetime(2026, 2, 1, tzinfo=UTC)).all()

    explorer.since.value = None
    explorer.threshold.value = 0.2
    above = everything.filter(everything["similarity"] >= 0.2)["session_id"].to_list()
    assert 0 < len(above) < everything.height  # the threshold keeps some of the hits, not none or all
    assert explorer.results["session_id"].to_list() == above
    assert table_rows(explorer) == explorer.results.height


async def test_the_button_searches_again_and_finds_new_sessions(demo: Store) -> None:
    explorer = SearchExplorer(demo)
    explorer.query.value = "zanzibar llama migration"
    before = explorer.results["session_id"].to_list()
    service = SessionService(demo)
    session = await service.create_session(agent="claude")
    await service.end_session(session["id"], summary="Finished the zanzibar llama migration <script>x</script>")

    await asyncio.to_thread(explorer.button.click)

    assert explorer.results["session_id"][0] == str(session["id"])
    assert explorer.results["session_id"].to_list() != before
    assert "&lt;script&gt;" in explorer.table.value and "<script>" not in explorer.table.value


def test_errors_show_in_the_status_line() -> None:
    with Store.memory(embedder=None) as store:
        explorer = SearchExplorer(store)
        explorer.query.value = "anything"
        assert "semantic search needs an embedder" in explorer.status.value
        assert "#d62728" in explorer.status.value  # red
        assert explorer.results.height == 0 and explorer.table.value == ""
        explorer.query.value = ""
        assert "Type a query" in explorer.status.value


def test_bad_arguments(demo: Store) -> None:
    with pytest.raises(ValidationError, match="kind"):
        SearchExplorer(demo, kind="notes")
    with pytest.raises(ValidationError, match="mode"):
        SearchExplorer(demo, mode="fuzzy")
    with pytest.raises(ValidationError, match="store"):
        SearchExplorer("not a store")  # type: ignore[arg-type]


def test_it_displays_as_its_widget(demo: Store) -> None:
    explorer = SearchExplorer(demo)
    bundle = explorer._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
