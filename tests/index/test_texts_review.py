"""Session texts from metadata that is not a plain list of strings (a single value, objects, nested lists)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentlog import SessionService, Store
from agentlog.index.texts import session_text


def text(**metadata: Any) -> str | None:
    return session_text("Fixed it", json.dumps(metadata))


def test_lists_of_strings_keep_their_text() -> None:
    assert text(key_events=["a", "", None, 3], decisions=["use DuckDB"], outcomes=[]) == (
        "Fixed it. Key events: a, , None, 3. Decisions: use DuckDB."
    )


def test_a_single_value_is_one_item() -> None:
    assert text(key_events="KeyboardInterruptHandler fixed", outcomes=2) == (
        "Fixed it. Key events: KeyboardInterruptHandler fixed. Outcomes: 2."
    )
    assert text(key_events="  ", decisions=None) == "Fixed it."


def test_object_and_list_items_are_flattened_like_event_payloads() -> None:
    metadata = {
        "key_events": [{"type": "error", "detail": "KeyError in parse"}, "tests green"],
        "decisions": [["retry", "backoff"], {"db": {"engine": "duckdb"}}],
        "outcomes": {"tests": "pass", "coverage": [90, 95]},
    }
    assert session_text("Fixed it", json.dumps(metadata)) == (
        "Fixed it. Key events: type: error; detail: KeyError in parse, tests green. "
        "Decisions: retry, backoff, db.engine: duckdb. Outcomes: tests: pass; coverage: 90, 95."
    )
    assert "{" not in (text(key_events=[{"type": "error"}]) or "")


def test_items_that_flatten_to_nothing_are_left_out() -> None:
    assert text(key_events=[{}, []], outcomes={}) == "Fixed it."


@pytest.mark.parametrize("key_events", ["KeyboardInterruptHandler fixed", [{"error": "KeyboardInterruptHandler"}]])
async def test_keyword_search_finds_a_single_or_object_key_event(key_events: Any) -> None:
    store = Store.memory(embedder="fake")
    try:
        service = SessionService(store)
        session = await service.create_session("alpha")
        await service.end_session(session["id"], summary="plain summary")
        await service.update_session_summary(session["id"], "plain summary", {"key_events": key_events})
        hits = await service.search_sessions("KeyboardInterruptHandler", mode="keyword")
        assert [hit["id"] for hit in hits] == [session["id"]]
    finally:
        store.close()
