"""activity_report gives what the guide's Workflow 5 prints, run as written on the same store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agentlog import SessionService, Store
from agentlog.analytics import activity_report
from tests.guide import GUIDE, guide_examples, run_example

pytestmark = pytest.mark.skipif(not GUIDE.exists(), reason=f"the reference guide is not at {GUIDE}")


def workflow5() -> str:
    (code,) = [code for title, code in guide_examples() if title == "Workflow 5: Activity Analytics"]
    return code


async def log_sessions(service: SessionService, agent: str, ages_and_events: list[tuple[timedelta, int]]) -> None:
    now = datetime.now(UTC)
    for age, count in ages_and_events:
        session = await service.create_session(agent=agent, started_at=now - age)
        for n in range(count):
            event_type = "error_encountered" if n == 1 else "task_created"
            await service.add_event(session["id"], event_type, {"n": n}, timestamp=now - age + timedelta(minutes=n))
        await service.end_session(session["id"])


async def run_workflow5(store: Store) -> str:
    namespace: dict[str, Any] = {"__name__": "guide", "service": SessionService(store)}
    return (await run_example(workflow5(), namespace)).rstrip("\n")


async def test_same_numbers_as_workflow5(store: Store) -> None:
    service = SessionService(store)
    await log_sessions(
        service,
        "claude",
        [
            (timedelta(hours=20), 3),
            (timedelta(hours=21), 2),
            (timedelta(days=3), 4),
            (timedelta(days=6, hours=23), 1),
            (timedelta(days=10), 5),  # outside the 7 days
        ],
    )
    await log_sessions(service, "gemini", [(timedelta(hours=5), 7)])
    printed = await run_workflow5(store)
    report = activity_report(store, "claude", days=7)
    assert str(report) == printed
    assert (report.sessions, report.events) == (4, 10)
    assert f"Avg events/session: {10 / 4:.1f}" in printed


async def test_more_than_twenty_sessions_needs_limit_20(store: Store) -> None:
    """get_recent_sessions returns 20 sessions by default, so Workflow 5 only sees the newest 20."""
    service = SessionService(store)
    await log_sessions(service, "claude", [(timedelta(hours=6 * n + 1), n % 3 + 1) for n in range(25)])
    printed = await run_workflow5(store)
    assert str(activity_report(store, "claude", days=7, limit=20)) == printed
    everything = activity_report(store, "claude", days=7)
    assert everything.sessions == 25 and f"Sessions: {everything.sessions}" not in printed


async def test_a_busiest_day_of_one_session_is_printed_in_the_guides_words(store: Store) -> None:
    """Workflow 5 prints ``(1 sessions)``; whether a run meets that case depends on the hour it runs at."""
    service = SessionService(store)
    await log_sessions(service, "claude", [(timedelta(days=2), 2)])
    printed = await run_workflow5(store)
    assert printed.endswith(" (1 sessions)"), printed
    assert str(activity_report(store, "claude", days=7)) == printed
