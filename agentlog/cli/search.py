"""``agentlog search`` and ``agentlog reindex``."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from typing import TYPE_CHECKING, Any

from agentlog.cli.arguments import UsageError, checked_by, date_argument, limit_argument, threshold_argument
from agentlog.cli.output import format_table, print_json_lines, printable
from agentlog.cli.stores import open_store, recorded_embedder, require_store, wait_for_index
from agentlog.embeddings import resolve_embedder
from agentlog.embeddings.registry import ENV_EMBEDDER
from agentlog.errors import ValidationError
from agentlog.index.search import MODES
from agentlog.services.session_service import SessionService
from agentlog.store.store import DEFAULT_EMBEDDER
from agentlog.validation import validate_name
from agentlog.wording import plural

if TYPE_CHECKING:
    from agentlog.embeddings import Embedder

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add ``search`` and ``reindex`` to the ``agentlog`` parser."""
    search = commands.add_parser("search", help="find sessions (or events) by meaning")
    search.add_argument("query", help="what to look for, in words")
    search.add_argument("--events", action="store_true", help="search events instead of sessions")
    search.add_argument("--mode", choices=MODES, default="vector", help="vector (default), keyword or hybrid")
    search.add_argument("--agent", type=checked_by(validate_name, "agent"), help="only this agent")
    search.add_argument("--since", type=date_argument("--since"), help="only since: ISO date/time, or 7d / 12h ago")
    search.add_argument("--limit", type=limit_argument, default=10, help="how many hits (default 10)")
    search.add_argument(
        "--threshold",
        type=threshold_argument,
        default=None,
        help="minimum similarity 0-1, 0 for none (default: 0.7 for sessions, none for events)",
    )
    search.add_argument("--json", action="store_true", help="print the hits as JSON lines")
    search.set_defaults(handler=run_search)

    reindex = commands.add_parser(
        "reindex",
        help="rebuild every vector from DuckDB (e.g. after changing the embedder)",
        description="Drop the vector index and embed everything again (session summaries, events, memories and "
        "document chunks), with a progress bar on stderr. Without --embedder: the one AGENTLOG_EMBEDDER names, "
        "else the one the store records, else the offline default.",
    )
    reindex.add_argument(
        "--embedder",
        help="embedder to use from now on: minilm (the default for a new store), openai, fake, or a registered name",
    )
    reindex.set_defaults(handler=run_reindex)


def run_search(args: argparse.Namespace) -> int:
    """Print the best hits."""
    since = args.since
    with open_store(args) as store:
        service = SessionService(store)
        wait_for_index(store, ["events" if args.events else "sessions"])
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
        print_json_lines(hits)
        return 0
    if args.events:
        rows = [
            [
                f"{h['similarity']:.2f}",
                h["session_id"],
                h["agent"],
                (h["timestamp"] or "")[:19],
                h["event_type"],
                json.dumps(h["event_data"], ensure_ascii=False),
            ]
            for h in hits
        ]
        print(format_table(["sim", "session", "agent", "timestamp", "event_type", "event_data"], rows))
    else:
        rows = [[f"{h['similarity']:.2f}", h["id"], h["agent"], h["started_at"][:19], h["summary"]] for h in hits]
        print(format_table(["sim", "session", "agent", "started_at", "summary"], rows, max_width=90))
    return 0


def run_reindex(args: argparse.Namespace) -> int:
    """Rebuild the index, optionally with another embedder (of an existing store: one is not created).

    ``--embedder`` is checked before anything is drawn; without it, ``AGENTLOG_EMBEDDER`` or else the
    embedder the store records is used. The progress bar's total is what is embedded: one row per
    session, event and document chunk, and one per memory (not per stored version).
    """
    require_store(args.store)
    embedder = _reindex_embedder(args)
    with open_store(args, embedder=None) as store:
        count = store.reindex(DEFAULT_EMBEDDER if embedder is None else embedder)  # a bar on stderr
        name = store.embedder.name if store.embedder else "none"
    print(f"reindexed {plural(count, 'row')} with {printable(name)}")
    return 0


def _reindex_embedder(args: argparse.Namespace) -> Embedder | None:
    """The embedder ``reindex`` uses (``None``: the configured default), built before the store is touched."""
    if args.embedder is None:
        return recorded_embedder(args.store) or (resolve_embedder() if _configured() else None)
    try:
        chosen = resolve_embedder(args.embedder)
    except ValidationError as exc:  # an unknown name: a usage error, before anything is drawn
        raise UsageError(str(exc), field="embedder") from None
    if chosen is None:
        raise UsageError("--embedder none: a reindex needs an embedder", field="embedder")
    return chosen


def _configured() -> bool:
    """Whether ``AGENTLOG_EMBEDDER`` is set (its errors are reported before the bar is drawn)."""
    return bool(os.environ.get(ENV_EMBEDDER, "").strip())
