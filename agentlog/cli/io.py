"""``agentlog export`` and ``agentlog import``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from agentlog.cli.common import open_store, since_argument
from agentlog.cli.output import format_table
from agentlog.io import export, import_, import_logs, is_dataset
from agentlog.io.importers import FORMATS

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add ``export`` and ``import`` to the ``agentlog`` parser.

    Example:
        >>> from agentlog.cli import build_parser
        >>> build_parser().parse_args(["import", "logs/", "--format", "codex"]).format
        'codex'
    """
    out = commands.add_parser(
        "export",
        help="write the store to a Parquet dataset (a folder)",
        description="Write sessions, events, memories and documents to DEST as zstd Parquet (events partitioned "
        "by UTC date) with a manifest.json. DEST must be new, empty, or an earlier export (which is replaced).",
    )
    out.add_argument("dest", help="the dataset folder to write")
    out.add_argument("--since", type=since_argument, help="only sessions started since: ISO date/time, or 7d / 12h ago")
    out.add_argument(
        "--until", type=since_argument, help="only sessions started before: ISO date/time, or 7d / 12h ago"
    )
    out.add_argument("--agent", action="append", help="only this agent's sessions (repeat for several)")
    out.add_argument(
        "--with-vectors",
        action="store_true",
        help="also write the vectors of the exported rows (waits for the index first); an import into a store "
        "with the same embedder reuses them instead of embedding the rows again",
    )
    out.set_defaults(handler=run_export)

    into = commands.add_parser(
        "import",
        help="import an agentlog export or real agent logs",
        description="Import PATH: a folder written by `agentlog export`, or agent logs (a file, or a folder "
        "walked recursively: Claude Code transcripts, Codex CLI rollouts, OpenTelemetry traces, agentlog JSON "
        "lines). Importing again adds nothing new; a log that grew adds its new events.",
    )
    into.add_argument("path", help="a dataset folder, a log file, or a folder of logs")
    into.add_argument(
        "--format",
        choices=("auto", *FORMATS, "parquet"),
        default="auto",
        help="auto (default: an export folder is parquet, log files are detected from their content)",
    )
    into.add_argument("--no-progress", action="store_true", help="no progress bar")
    into.set_defaults(handler=run_import)


def run_export(args: argparse.Namespace) -> int:
    """Export the store and print what was written.

    Example:
        >>> import tempfile
        >>> from agentlog.cli import main
        >>> base = tempfile.mkdtemp()
        >>> main(["--store", base + "/s", "import", tempfile.mkdtemp()])  # doctest: +ELLIPSIS
        imported 0 files...
        0
        >>> main(["--store", base + "/s", "export", base + "/backup"])  # doctest: +ELLIPSIS
        table            rows  files
        ...
        0
    """
    with open_store(args) as store:
        result = export(
            store, args.dest, since=args.since, until=args.until, agents=args.agent, with_vectors=args.with_vectors
        )
    rows = [[name, table.rows, len(table.files)] for name, table in result.manifest.tables.items()]
    vectors = result.manifest.vectors
    if vectors is not None:
        rows += [[f"vectors/{name}", table.rows, len(table.files)] for name, table in vectors.tables.items()]
    print(format_table(["table", "rows", "files"], rows))
    if vectors is not None:
        print(f"\nvectors of {vectors.embedder.name} ({vectors.embedder.dimension}-d)")
    print(f"\nwrote {result.path} ({result.bytes / 1e6:.1f} MB)")
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Import a dataset or logs and print a summary; exit status 1 if a file failed.

    The store is created if the path holds none.

    Example:
        >>> import tempfile
        >>> from agentlog.cli import main
        >>> base = tempfile.mkdtemp()
        >>> main(["--store", base + "/s", "import", tempfile.mkdtemp()])
        imported 0 files: 0 new sessions, 0 updated; 0 new events (0 errors), 0 already stored
        0
    """
    progress = False if args.no_progress else None
    dataset = args.format == "parquet" or (args.format == "auto" and is_dataset(args.path))
    with open_store(args, create=True) as store:
        if dataset:
            result = import_(store, args.path, progress=progress)
            rows = [[name, c.inserted, c.skipped, c.replaced] for name, c in result.tables.items()]
            print(format_table(["table", "inserted", "already stored", "replaced (newer)"], rows))
            if result.vectors is not None:
                print(f"\nvectors: {result.vectors.reason}")
            print(f"\nimported {Path(result.path)}")
            return 0
        report = import_logs(store, args.path, format=args.format, progress=progress)
    print(report.summary())
    return 0 if report.ok else 1
