"""The real offline model behind the store: search finds what the guide says it finds."""

from __future__ import annotations

from typing import Any

import pytest

from agentlog import SessionService, Store, get_session_service
from tests.guide import GUIDE, guide_examples, run_example

pytestmark = pytest.mark.model

MIGRATION = "Completed database migration with 10 new tables and semantic search"  # the guide's end_session example


async def test_relevant_session_ranks_first_with_the_real_model() -> None:
    with Store.memory(embedder="minilm") as store:
        service = SessionService(store)
        summaries = [
            "Fixed TypeError by adding validation to parse_input() function",
            MIGRATION,
            "Switched the settings page to a dark theme and updated the colour tokens",
            "Reduced p99 latency of the search endpoint by caching embeddings",
        ]
        ids = []
        for summary in summaries:
            session = await service.create_session("claude")
            await service.end_session(session["id"], summary=summary)
            ids.append(session["id"])
        hits = await service.search_sessions("database migration schema changes", limit=4, threshold=None)
        assert hits[0]["id"] == ids[1]
        assert hits[0]["similarity"] >= 0.7
        assert all(h["similarity"] < 0.7 for h in hits[1:])
        theme = await service.search_sessions("UI theme preference", limit=1, threshold=0.5)
        assert [h["id"] for h in theme] == [ids[2]]


@pytest.mark.skipif(not GUIDE.exists(), reason=f"the reference guide is not at {GUIDE}")
async def test_guide_examples_with_search_and_the_default_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTLOG_EMBEDDER")  # the default: the offline model
    service = get_session_service()
    assert service.store.embedder is not None and service.store.embedder.name == "all-MiniLM-L6-v2-int8"
    seeded = await service.create_session(agent="claude", metadata={"phase": "Phase 2", "day": 1})
    await service.end_session(session_id=seeded["id"], summary=MIGRATION)

    namespace: dict[str, Any] = {"__name__": "guide"}
    printed = {title: await run_example(code, namespace) for title, code in guide_examples()}

    quick = printed["5. Search Sessions"].strip().splitlines()
    assert quick and quick[0].endswith(MIGRATION)
    assert all("TypeError" not in line for line in quick)
    workflow = printed["Workflow 4: Semantic Memory Search"]
    assert workflow.startswith("Found ")
    summaries = [line.removeprefix("Summary: ") for line in workflow.splitlines() if line.startswith("Summary: ")]
    assert summaries[0] == MIGRATION
    assert not any("TypeError" in s for s in summaries)
    assert namespace["results"][0]["similarity"] >= 0.7
