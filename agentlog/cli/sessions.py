"""``agentlog info``, ``agentlog sessions`` and ``agentlog show``."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from agentlog.cli.common import open_store, parse_since
from agentlog.cli.output import format_table
from agentlog.errors import NotFoundError
from agentlog.services.session_service import SessionService

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add the session commands to the ``agentlog`` parser."""
    info = commands.add_parser("info", help="show where the store is and what it holds")
    info.set_defaults(handler=run_info)

    listing = commands.add_parser("sessions", help="list sessions, newest first")
    listing.add_argument("--agent", help="only this agent's sessions")
    listing.add_argument("--project", metavar="UUID", help="only this project's sessions")
    listing.add_argument("--since", help="started since: ISO date/time, or 7d / 12h ago")
    listing.add_argument("--active", action="store_true", help="only sessions that have not ended")
    listing.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    listing.set_defaults(handler=run_sessions)

    show = commands.add_parser("show", help="show one session with its events")
    show.add_argument("session_id", help="the session's UUID")
    show.add_argument("--json", action="store_true", help="print the record as JSON")
    show.set_defaults(handler=run_show)


def run_info(args: argparse.Namespace) -> int:
    """Print the store location, schema version and row counts."""
    with open_store(args) as store:
        counts = store.sql(
            "SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM events), "
            "(SELECT count(*) FROM sessions WHERE ended_at IS NULL)"
        ).fetchall()[0]
        print(f"store:          {store.path}")
        print(f"schema version: {store.schema_version}")
        print(f"sessions:       {counts[0]} ({counts[2]} not ended)")
        print(f"events:         {counts[1]}")
    return 0


def run_sessions(args: argparse.Namespace) -> int:
    """Print a table of sessions."""
    with open_store(args) as store:
        service = SessionService(store)
        if args.active:
            rows = asyncio.run(service.get_active_sessions(limit=args.limit))
        else:
            since = parse_since(args.since) if args.since else None
            rows = asyncio.run(
                service.list_sessions(agent=args.agent, project_id=args.project, since=since, limit=args.limit)
            )
    print(
        format_table(
            ["id", "agent", "started_at", "lifecycle", "summary"],
            [[s["id"], s["agent"], s["started_at"][:19], s["lifecycle"], s["summary"]] for s in rows],
        )
    )
    return 0


def run_show(args: argparse.Namespace) -> int:
    """Print one session and its events."""
    with open_store(args) as store:
        session = asyncio.run(SessionService(store).get_session(args.session_id))
    if session is None:
        raise NotFoundError("session", args.session_id)
    if args.json:
        print(json.dumps(session, default=str, indent=2, ensure_ascii=False))
        return 0
    print(f"session {session['id']}  agent={session['agent']}  lifecycle={session['lifecycle']}")
    print(f"started {session['started_at']}  ended {session['ended_at'] or '-'}")
    if session["summary"]:
        print(f"summary: {session['summary']}")
    events = session.get("events", [])
    print(
        format_table(
            ["seq", "timestamp", "event_type", "event_data"],
            [[e["seq"], (e["timestamp"] or "")[:19], e["event_type"], json.dumps(e["event_data"])] for e in events],
            max_width=80,
        )
    )
    return 0
