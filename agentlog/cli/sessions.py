"""``agentlog info``, ``agentlog sessions`` and ``agentlog show``."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from agentlog.cli.arguments import checked_by, date_argument, limit_argument, positive_int, uuid_argument
from agentlog.cli.output import format_table, print_json_lines, printable, printable_json
from agentlog.cli.stores import open_store
from agentlog.errors import NotFoundError
from agentlog.services.session_service import SessionService
from agentlog.store.manifest import StoreManifest, read_manifest
from agentlog.validation import validate_name
from agentlog.wording import plural

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add the session commands to the ``agentlog`` parser."""
    info = commands.add_parser("info", help="show where the store is, its embedder and what it holds")
    info.add_argument("--json", action="store_true", help="print the facts as one JSON object")
    info.set_defaults(handler=run_info)

    listing = commands.add_parser("sessions", help="list sessions, newest first")
    listing.add_argument("--agent", type=checked_by(validate_name, "agent"), help="only this agent's sessions")
    listing.add_argument("--project", metavar="UUID", type=uuid_argument, help="only this project's sessions")
    listing.add_argument("--since", type=date_argument("--since"), help="started since: ISO date/time, or 7d / 12h ago")
    listing.add_argument(
        "--active", action="store_true", help="only sessions that have not ended (not with --agent/--project/--since)"
    )
    listing.add_argument("--limit", type=limit_argument, default=20, help="how many (default 20)")
    listing.add_argument("--json", action="store_true", help="print the session records as JSON lines")
    listing.set_defaults(handler=run_sessions, parser=listing)

    show = commands.add_parser("show", help="show one session with its events")
    show.add_argument("session_id", type=uuid_argument, help="the session's UUID")
    show.add_argument("--json", action="store_true", help="print the record as JSON")
    show.add_argument("--tail", type=positive_int, metavar="N", help="only the last N events")
    show.set_defaults(handler=run_show)


def run_info(args: argparse.Namespace) -> int:
    """Print the store location, schema version, the embedder recorded in the store and row counts.

    The store is opened without an embedder: ``info`` shows the one recorded in the manifest (whatever
    ``AGENTLOG_EMBEDDER`` says) and loads no model.
    """
    with open_store(args, embedder=None) as store:
        counts = store.sql(_COUNTS).fetchall()[0]
        assert store.path is not None  # the command line opens stores in directories
        manifest = read_manifest(store.path)
        if args.json:
            print(printable_json(_info_record(store.path, store.schema_version, manifest, counts), indent=2))
            return 0
        print(f"store:          {printable(store.path)}")
        print(f"schema version: {store.schema_version}")
        print(f"embedder:       {_embedder_line(manifest)}")
        print(f"sessions:       {counts[0]:,} ({counts[2]:,} not ended)")
        print(f"events:         {counts[1]:,}")
        print(f"memories:       {counts[3]:,} (live keys; {plural(counts[4], 'stored version')})")
        print(f"documents:      {counts[5]:,} ({plural(counts[6], 'chunk')})")
    return 0


_COUNTS = """
SELECT
    (SELECT count(*) FROM sessions),
    (SELECT count(*) FROM events),
    (SELECT count(*) FROM sessions WHERE ended_at IS NULL),
    (SELECT count(*) FROM (
        SELECT change, expires_at FROM memories
        QUALIFY row_number() OVER (PARTITION BY memory_id ORDER BY version DESC) = 1
    ) WHERE change <> 'deleted' AND (expires_at IS NULL OR expires_at > current_timestamp)),
    (SELECT count(*) FROM memories),
    (SELECT count(*) FROM documents),
    (SELECT count(*) FROM document_chunks)
"""
"""What ``info`` counts; a memory is live when its latest version is not a delete marker and has not expired."""


def _info_record(path: Path, schema_version: int, manifest: StoreManifest | None, counts: Any) -> dict[str, Any]:
    """What ``info --json`` prints: the facts of the text output, with ``null`` for no embedder recorded yet."""
    embedder = manifest.embedder if manifest is not None else None
    return {
        "store": str(path),
        "schema_version": schema_version,
        "embedder": None if embedder is None else {"name": embedder.name, "dimension": embedder.dimension},
        "reindex_pending": bool(manifest is not None and manifest.rebuild_pending),
        "sessions": counts[0],
        "sessions_not_ended": counts[2],
        "events": counts[1],
        "memories": counts[3],
        "memory_versions": counts[4],
        "documents": counts[5],
        "document_chunks": counts[6],
    }


def _embedder_line(manifest: StoreManifest | None) -> str:
    """What ``info`` says of the embedder recorded in the store's manifest."""
    embedder = manifest.embedder if manifest is not None else None
    if manifest is None or embedder is None:
        return "none recorded yet (the first command that embeds, such as search or import, records it)"
    line = f"{printable(embedder.name)} ({embedder.dimension} dimensions)"
    return line + (
        "; a reindex was cut short: the next command that embeds finishes it" if manifest.rebuild_pending else ""
    )


def run_sessions(args: argparse.Namespace) -> int:
    """Print a table of sessions.

    ``--active`` lists every session that has not ended: combined with a filter it is a usage error
    (exit status 2) rather than a filter silently ignored.
    """
    if args.active:
        _reject_filters_with_active(args)
    with open_store(args, embedder=None) as store:  # reads only: no model, any embedder's store
        service = SessionService(store)
        if args.active:
            rows = asyncio.run(service.get_active_sessions(limit=args.limit))
        else:
            rows = asyncio.run(
                service.list_sessions(agent=args.agent, project_id=args.project, since=args.since, limit=args.limit)
            )
    if args.json:
        print_json_lines(rows)
        return 0
    print(
        format_table(
            ["id", "agent", "started_at", "lifecycle", "summary"],
            [[s["id"], s["agent"], s["started_at"][:19], s["lifecycle"], s["summary"]] for s in rows],
        )
    )
    return 0


def _reject_filters_with_active(args: argparse.Namespace) -> None:
    """Exit with a usage error if a filter that ``--active`` does not apply was given."""
    given = [f"--{name}" for name in ("agent", "project", "since") if getattr(args, name) is not None]
    if given:
        args.parser.error(f"--active cannot be combined with {', '.join(given)}")


def run_show(args: argparse.Namespace) -> int:
    """Print one session and its events (``--tail N``: only the last N of them)."""
    with open_store(args, embedder=None) as store:  # reads only: no model, any embedder's store
        session = asyncio.run(SessionService(store).get_session(args.session_id))
    if session is None:
        raise NotFoundError("session", args.session_id)
    events = session.get("events", [])
    total = len(events)
    if args.tail is not None:
        session["events"] = events = events[-args.tail :]
    if args.json:
        print(printable_json(session, indent=2))
        return 0
    print(
        f"session {printable(session['id'])}  agent={printable(session['agent'])}  "
        f"lifecycle={printable(session['lifecycle'])}"
    )
    print(f"project {printable(session['project_id'] or '-')}")
    print(f"started {printable(session['started_at'])}  ended {printable(session['ended_at'] or '-')}")
    if session["summary"]:
        print(f"summary: {printable(session['summary'], newlines=True)}")
    if len(events) < total:
        print(f"the last {len(events):,} of {total:,} events:")
    print(
        format_table(
            ["seq", "timestamp", "event_type", "event_data"],
            [[e["seq"], (e["timestamp"] or "")[:19], e["event_type"], json.dumps(e["event_data"])] for e in events],
            max_width=80,
        )
    )
    return 0
