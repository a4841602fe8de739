"""The guide's Quick Start and Workflows 1-5 run unchanged (only the import line differs)."""

from __future__ import annotations

from typing import Any

import pytest

from agentlog import get_session_service
from tests.guide import GUIDE, guide_examples, run_example

pytestmark = pytest.mark.skipif(not GUIDE.exists(), reason=f"the reference guide is not at {GUIDE}")

SEARCH_TITLES = {"5. Search Sessions", "Workflow 4: Semantic Memory Search"}


def test_examples_are_found() -> None:
    titles = [title for title, _ in guide_examples()]
    assert titles[:5] == [
        "1. Get Service Instance",
        "2. Create a Session",
        "3. Log Events",
        "4. End Session",
        "5. Search Sessions",
    ]
    assert [t for t in titles[5:]] == [
        f"Workflow {n}: {name}"
        for n, name in [
            (1, "Basic Session"),
            (2, "Project-Linked Session"),
            (3, "Context Resumption"),
            (4, "Semantic Memory Search"),
            (5, "Activity Analytics"),
        ]
    ]
    assert all("src.server" not in code for _, code in guide_examples())


async def test_quick_start_and_workflows_run_as_written() -> None:
    namespace: dict[str, Any] = {"__name__": "guide"}
    printed: dict[str, str] = {}
    for title, code in guide_examples():
        if title in SEARCH_TITLES:
            continue  # semantic search examples run in the search tests
        printed[title] = await run_example(code, namespace)
    service = get_session_service()
    assert namespace["service"] is service

    quick = await service.get_session(namespace["session"]["id"])
    assert quick is not None  # after Workflow 3 `session` is still Quick Start's project session
    assert printed["2. Create a Session"].startswith("Session started: ")

    claude = await service.list_sessions(agent="claude", limit=50)
    summaries = [s["summary"] for s in claude]
    assert "Fixed TypeError by adding validation to parse_input() function" in summaries
    assert "Implemented SessionService with 12 methods, comprehensive tests, and usage documentation" in summaries
    assert printed["Workflow 3: Context Resumption"].startswith("Resuming from: Implemented SessionService")
    resumed = namespace["new_session"]
    assert resumed["metadata"]["previous_session"] == str(namespace["last"]["id"])

    report = printed["Workflow 5: Activity Analytics"]
    week = await service.get_recent_sessions("claude", days=7)
    assert f"Sessions: {len(week)}" in report
    assert f"Events: {sum(s['event_count'] for s in week)}" in report
    assert "Most active day: " in report
