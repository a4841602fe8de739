"""``agentlog search`` and ``agentlog reindex``."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from agentlog.cli.common import date_argument, open_store, positive_int, printable_json
from agentlog.cli.output import format_table
from agentlog.index.search import MODES
from agentlog.services.session_service import SessionService

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add ``search`` and ``reindex`` to the ``agentlog`` parser."""
    search = commands.add_parser("search", help="find sessions (or events) by meaning")
    search.add_argument("query", help="what to look for, in words")
    search.add_argument("--events", action="store_true", help="search events instead of sessions")
    search.add_argument("--mode", choices=MODES, default="vector", help="vector (default), keyword or hybrid")
    search.add_argument("--agent", help="only this agent")
    search.add_argument("--since", type=date_argument("--since"), help="only since: ISO date/time, or 7d / 12h ago")
    search.add_argument("--limit", type=positive_int, default=10, help="how many hits (default 10)")
    search.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="minimum similarity 0-1 (default: 0.7 for sessions, none for events)",
    )
    search.add_argument("--json", action="store_true", help="print the hits as JSON lines")
    search.set_defaults(handler=run_search)

    reindex = commands.add_parser(
        "reindex",
        help="rebuild every vector from DuckDB (e.g. after changing the embedder)",
        description="Drop the vector index and embed every session summary and event again, with a progress bar.",
    )
    reindex.add_argument(
        "--embedder", help="embedder to use from now on: minilm (default), openai, fake, or a registered name"
    )
    reindex.set_defaults(handler=run_reindex)


def run_search(args: argparse.Namespace) -> int:
    """Print the best hits."""
    since = args.since
    with open_store(args) as store:
        service = SessionService(store)
        if args.events:
            hits: list[Any] = asyncio.run(
                service.search_events(
                    args.query,
                    agent=args.agent,
                    since=since,
                    limit=args.limit,
                    threshold=args.threshold,
                    mode=args.mode,
                )
            )
        else:
            threshold = 0.7 if args.threshold is None else args.threshold
            hits = asyncio.run(
                service.search_sessions(
                    args.query, limit=args.limit, threshold=threshold, agent=args.agent, since=since, mode=args.mode
                )
            )
    if args.json:
        for hit in hits:
            print(printable_json(hit))
        return 0
    if args.events:
        rows = [
            [
                f"{h['similarity']:.2f}",
                h["agent"],
                (h["timestamp"] or "")[:19],
                h["event_type"],
                json.dumps(h["event_data"], ensure_ascii=False),
            ]
            for h in hits
        ]
        print(format_table(["sim", "agent", "timestamp", "event_type", "event_data"], rows))
    else:
        rows = [[f"{h['similarity']:.2f}", h["agent"], h["started_at"][:19], h["summary"]] for h in hits]
        print(format_table(["sim", "agent", "started_at", "summary"], rows, max_width=90))
    return 0


def run_reindex(args: argparse.Namespace) -> int:
    """Rebuild the index, optionally with another embedder (of an existing store: one is not created)."""
    with open_store(args, embedder=None) as store:
        count = store.reindex(args.embedder) if args.embedder else store.reindex()
        name = store.embedder.name if store.embedder else "none"
    print(f"reindexed {count} rows with {name}")
    return 0
