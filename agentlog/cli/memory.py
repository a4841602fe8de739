"""``agentlog memory ...`` and ``agentlog docs ...``: memories and documents from the terminal."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from agentlog.cli.arguments import checked_by, limit_argument, positive_int, threshold_argument, ttl_argument
from agentlog.cli.output import format_table, print_json_lines, printable, printable_json
from agentlog.cli.stores import open_store, wait_for_index
from agentlog.errors import AgentlogError
from agentlog.index.search import MODES
from agentlog.services.document_service import DocumentIndexService
from agentlog.services.document_sync import resolve_root
from agentlog.services.memory_args import MEMORY_TYPES
from agentlog.services.memory_service import MemoryService
from agentlog.services.namespaces import validate_key, validate_namespace, validate_namespace_prefix
from agentlog.validation import validate_json_value

__all__ = ["parse_value", "register"]


def parse_value(text: str) -> Any:
    """Read a value given on the command line: JSON if it parses, else the plain string.

    Example:
        >>> parse_value('{"theme": "dark"}'), parse_value("dark mode")
        ({'theme': 'dark'}, 'dark mode')
    """
    try:
        return json.loads(text)
    except ValueError:
        return text


def _memory_value(text: str, field: str) -> Any:
    """``VALUE`` of ``memory set``, read by :func:`parse_value` and checked as the library checks a value.

    Example:
        >>> _memory_value('{"theme": "dark"}', "value")
        {'theme': 'dark'}
        >>> _memory_value("NaN", "value")
        Traceback (most recent call last):
        ...
        agentlog.errors.ValidationError: value is nan; NaN and infinity are not valid JSON
    """
    return validate_json_value(parse_value(text), field)


_NAMESPACE = checked_by(validate_namespace, "namespace")
_KEY = checked_by(validate_key, "key")
_PREFIX = checked_by(validate_namespace_prefix, "prefix")


def register(commands: Any) -> None:
    """Add ``memory`` and ``docs`` to the ``agentlog`` parser."""
    memory = commands.add_parser("memory", help="read and write memories (namespace + key)")
    sub = memory.add_subparsers(dest="memory_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="live memories under a namespace prefix, latest change first")
    listing.add_argument("prefix", type=_PREFIX, help="a namespace (project:myapp) or a scope (user)")
    listing.add_argument("--type", choices=MEMORY_TYPES, help="only this memory type")
    listing.add_argument("--limit", type=limit_argument, default=100, help="how many (default 100)")
    listing.add_argument("--json", action="store_true", help="print the memory records as JSON lines")
    listing.set_defaults(handler=run_list)
    get = sub.add_parser("get", help="one memory as JSON (with --history: every version)")
    get.add_argument("namespace", type=_NAMESPACE)
    get.add_argument("key", type=_KEY)
    get.add_argument("--version", type=positive_int, help="a stored version instead of the latest")
    get.add_argument("--history", action="store_true", help="every version, newest first")
    get.set_defaults(handler=run_get)
    put = sub.add_parser("set", help="create or update a memory (VALUE is JSON, or else a string)")
    put.add_argument("namespace", type=_NAMESPACE)
    put.add_argument("key", type=_KEY)
    put.add_argument("value", type=checked_by(_memory_value, "value"), help="JSON, or else a string")
    put.add_argument("--type", choices=MEMORY_TYPES, default="semantic", help="memory type (default semantic)")
    put.add_argument("--ttl", type=ttl_argument, help="expire after this many seconds")
    put.set_defaults(handler=run_set)
    delete = sub.add_parser("delete", help="soft-delete a memory (restore with the API)")
    delete.add_argument("namespace", type=_NAMESPACE)
    delete.add_argument("key", type=_KEY)
    delete.set_defaults(handler=run_delete)
    search = sub.add_parser("search", help="find memories by meaning")
    search.add_argument("query")
    search.add_argument(
        "--prefix", type=checked_by(validate_namespace_prefix, "prefix"), help="only under this namespace (or scope)"
    )
    search.add_argument("--limit", type=limit_argument, default=10, help="how many hits (default 10)")
    search.add_argument("--json", action="store_true", help="print the hits as JSON lines")
    search.add_argument(
        "--threshold", type=threshold_argument, help="minimum similarity 0-1, 0 for none (default none)"
    )
    search.set_defaults(handler=run_memory_search)
    sweep = sub.add_parser("sweep", help="delete expired memories for good")
    sweep.add_argument("--ended-sessions", action="store_true", help="also memories of ended sessions")
    sweep.set_defaults(handler=run_sweep)

    docs = commands.add_parser("docs", help="index and search documents (markdown files)")
    dsub = docs.add_subparsers(dest="docs_command", metavar="ACTION", required=True)
    sync = dsub.add_parser("sync", help="index a folder: report added / changed / unchanged / removed")
    sync.add_argument("directory")
    sync.add_argument("--glob", default="**/*.md", help="which files (default **/*.md)")
    sync.add_argument("--namespace", type=_NAMESPACE, help="namespace given to the documents (e.g. project:myapp)")
    sync.add_argument("--no-wait", action="store_true", help="return before the documents are embedded")
    sync.set_defaults(handler=run_sync)
    dsearch = dsub.add_parser("search", help="find document chunks by meaning")
    dsearch.add_argument("query")
    dsearch.add_argument(
        "--namespace",
        type=checked_by(validate_namespace_prefix, "namespace"),
        help="only documents under this namespace",
    )
    dsearch.add_argument("--mode", choices=MODES, default="vector", help="vector (default), keyword or hybrid")
    dsearch.add_argument("--limit", type=limit_argument, default=10, help="how many hits (default 10)")
    dsearch.add_argument("--json", action="store_true", help="print the hits as JSON lines")
    dsearch.set_defaults(handler=run_docs_search)


def _print_memories(records: list[Any], *, score: bool = False, as_json: bool = False) -> None:
    if as_json:
        print_json_lines(records)
        return
    headers = (["sim"] if score else []) + ["namespace", "key", "v", "type", "value"]
    rows = [
        ([f"{r['similarity']:.2f}"] if score else [])
        + [r["namespace"], r["key"], r["version"], r["memory_type"], json.dumps(r["value"], ensure_ascii=False)]
        for r in records
    ]
    print(format_table(headers, rows))


def run_list(args: argparse.Namespace) -> int:
    """Print the memories under a prefix."""
    with open_store(args, embedder=None) as store:  # reads only: no model, any embedder's store
        records = asyncio.run(MemoryService(store).list_memories_by_namespace(args.prefix, args.type, args.limit))
    _print_memories(records, as_json=args.json)
    return 0


def run_get(args: argparse.Namespace) -> int:
    """Print one memory (or its history) as JSON.

    A missing memory, or a missing ``--version`` of one, is an error (exit status 1, one line on
    stderr naming what is missing and, for a version, the latest one).
    """
    with open_store(args, embedder=None) as store:  # reads only: no model, any embedder's store
        service = MemoryService(store)
        if args.history:
            found: Any = asyncio.run(service.get_memory_history(args.namespace, args.key))
        else:
            found = asyncio.run(service.get_memory(args.namespace, args.key, args.version))
        latest = asyncio.run(service.get_memory(args.namespace, args.key)) if not found else None
    if not found:
        raise MemoryNotFoundError(_missing(args, latest))
    print(printable_json(found, indent=2))
    return 0


class MemoryNotFoundError(AgentlogError, LookupError):
    """``memory get`` found no such memory, or no such version of it (the message says which)."""


def _missing(args: argparse.Namespace, latest: Any) -> str:
    """What ``memory get`` says when it finds nothing: the memory, or the version, that is missing."""
    name = f"{printable(args.namespace)} / {printable(args.key)}"
    if latest is None:
        return f"no memory {name} (it was never set, or it was deleted or has expired)"
    return f"memory {name} has no version {args.version} (latest: {latest['version']})"


def run_set(args: argparse.Namespace) -> int:
    """Create or update a memory (the store is created if the path holds none)."""
    with open_store(args, create=True) as store:
        record = asyncio.run(
            MemoryService(store).put_memory(args.namespace, args.key, args.value, args.type, ttl=args.ttl)
        )
    print(
        f"{printable(record['namespace'])} / {printable(record['key'])}: "
        f"version {record['version']} ({printable(record['change'])})"
    )
    return 0


def run_delete(args: argparse.Namespace) -> int:
    """Soft-delete a memory; a memory that is not there is an error (exit status 1)."""
    with open_store(args) as store:
        deleted = asyncio.run(MemoryService(store).delete_memory(args.namespace, args.key))
    if not deleted:
        raise MemoryNotFoundError(_missing(args, None))
    print(f"deleted {printable(args.namespace)} / {printable(args.key)}")
    return 0


def run_memory_search(args: argparse.Namespace) -> int:
    """Print the best memories for a query."""
    with open_store(args) as store:
        wait_for_index(store, ["memories"])
        hits = asyncio.run(
            MemoryService(store).search_memories(
                args.query, namespace_prefix=args.prefix, limit=args.limit, threshold=args.threshold
            )
        )
    _print_memories(hits, score=True, as_json=args.json)
    return 0


def run_sweep(args: argparse.Namespace) -> int:
    """Delete expired memories."""
    with open_store(args) as store:
        removed = asyncio.run(MemoryService(store).sweep_expired(ended_sessions=args.ended_sessions))
    print(f"removed {removed:,} {'memory' if removed == 1 else 'memories'}")
    return 0


def run_sync(args: argparse.Namespace) -> int:
    """Index a folder and print the report (the store is created if the path holds none).

    A folder that does not exist is an error (exit status 1) found before the store is opened: nothing is created.
    """
    resolve_root(args.directory)
    with open_store(args, create=True) as store:
        report = asyncio.run(
            DocumentIndexService(store).sync_directory(
                args.directory, args.glob, namespace=args.namespace, wait=not args.no_wait
            )
        )
    print(printable(report.summary(), newlines=True))
    for path, reason in report.skipped:
        print(f"skipped {printable(path)}: {printable(reason)}")
    return 0


def run_docs_search(args: argparse.Namespace) -> int:
    """Print the best document chunks for a query."""
    with open_store(args) as store:
        wait_for_index(store, ["document_chunks"])
        hits = asyncio.run(
            DocumentIndexService(store).semantic_search(
                args.query, namespace=args.namespace, limit=args.limit, mode=args.mode
            )
        )
    if args.json:
        print_json_lines(hits)
        return 0
    rows = [
        [f"{h['similarity']:.2f}", _tail(printable(h["file_path"])), h["chunk_index"], h["chunk_text"]] for h in hits
    ]
    print(format_table(["sim", "file", "chunk", "text"], rows, max_width=70))
    return 0


def _tail(path: str, width: int = 40) -> str:
    return path if len(path) <= width else "…" + path[-(width - 1) :]
