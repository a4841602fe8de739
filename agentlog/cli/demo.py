"""``agentlog demo``: the main job of the README's first command."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from typing import Any
from uuid import UUID

from agentlog.cli.output import format_table
from agentlog.services.session_service import SessionService
from agentlog.store import Store

__all__ = ["register", "run_demo"]

_PROJECT = UUID("b231255f-6ed9-4440-80de-958bcf7b4f9f")


def register(commands: Any) -> None:
    """Add ``demo`` to the ``agentlog`` parser."""
    demo = commands.add_parser(
        "demo",
        help="log a few sessions through the documented API and print them",
        description="Create a store (a temporary one unless --store is given), log sessions and "
        "events through SessionService, and print what was stored.",
    )
    demo.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo on ``--store`` or on a temporary store."""
    if args.store:
        with Store(args.store) as store:
            asyncio.run(_demo(store))
        print(f"\nstore: {store.path}")
        return 0
    with tempfile.TemporaryDirectory(prefix="agentlog-demo-") as directory, Store(directory) as store:
        asyncio.run(_demo(store))
        print(f"\nstore: {store.path} (temporary; pass --store PATH to keep it)")
    return 0


async def _demo(store: Store) -> None:
    service = SessionService(store)
    fix = await service.create_session(agent="claude", metadata={"task": "bug fix"})
    await service.add_event(fix["id"], "error_encountered", {"error": "TypeError in line 42"})
    await service.add_event(fix["id"], "decision_made", {"decision": "add type validation"})
    await service.end_session(fix["id"], summary="Fixed TypeError by adding validation to parse_input() function")

    migration = await service.create_session(agent="gemini", project_id=_PROJECT, metadata={"phase": "Phase 2"})
    await service.add_events(
        migration["id"],
        [
            {"event_type": "task_created", "event_data": {"task_id": "7", "title": "Write schema migration"}},
            {"event_type": "decision_made", "event_data": {"decision": "use DuckDB", "rationale": "embedded"}},
            {"event_type": "task_completed", "event_data": {"task_id": "7", "outcome": "success"}},
        ],
    )
    await service.end_session(
        migration["id"], summary="Completed database migration with 10 new tables and semantic search"
    )
    ongoing = await service.create_session(agent="gpt", metadata={"feature": "dashboard"})
    await service.add_event(ongoing["id"], "task_created", {"task_id": "9", "title": "Draft the dashboard"})

    sessions = await service.list_sessions(limit=10)
    print(
        format_table(
            ["agent", "started_at", "lifecycle", "summary"],
            [[s["agent"], s["started_at"][:19], s["lifecycle"], s["summary"]] for s in sessions],
        )
    )
    last = await service.get_last_session("claude")
    assert last is not None
    print(f"\nlast claude session: {len(last['events'])} events")
    for event in last["events"]:
        print(f"  {event['seq']}. {event['event_type']}: {event['event_data']}")
    active = await service.get_active_sessions()
    print(f"active sessions: {len(active)}")
