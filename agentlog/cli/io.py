"""``agentlog export`` and ``agentlog import``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from agentlog.cli.arguments import UsageError, checked_by, date_argument
from agentlog.cli.output import cli_wording, format_table, printable
from agentlog.cli.stores import open_store
from agentlog.errors import AgentlogError, ImportFormatError
from agentlog.io import export, import_, import_logs, is_dataset
from agentlog.io.importers import FORMATS, iter_source_files
from agentlog.io.importers.detect import detect_format, sniff_format
from agentlog.validation import validate_name

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
    out.add_argument(
        "--since", type=date_argument("--since"), help="only sessions started since: ISO date/time, or 7d / 12h ago"
    )
    out.add_argument(
        "--until", type=date_argument("--until"), help="only sessions started before: ISO date/time, or 7d / 12h ago"
    )
    out.add_argument(
        "--agent",
        action="append",
        type=checked_by(validate_name, "agent"),
        help="only this agent's sessions (repeat for several)",
    )
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
        "lines). Importing again adds nothing new; a log that grew adds its new events; a log unchanged since an "
        "import stored it is not read again.",
    )
    into.add_argument("path", help="a dataset folder, a log file, or a folder of logs")
    into.add_argument(
        "--format",
        choices=("auto", *FORMATS, "parquet"),
        default="auto",
        help="auto (default: an export folder is parquet, log files are detected from their content)",
    )
    into.add_argument(
        "--reparse",
        action="store_true",
        help="read every log file, even one unchanged since an import stored it (left unread by default)",
    )
    into.add_argument("--no-progress", action="store_true", help="no progress bar")
    into.set_defaults(handler=run_import)


def run_export(args: argparse.Namespace) -> int:
    """Export the store and print what was written.

    Example:
        >>> import tempfile
        >>> from agentlog.cli import main
        >>> base = tempfile.mkdtemp()
        >>> main(["--store", base + "/s", "memory", "set", "user:alice", "theme", "dark"])
        user:alice / theme: version 1 (created)
        0
        >>> main(["--store", base + "/s", "export", base + "/backup"])  # doctest: +ELLIPSIS
        table            rows  files
        ...
        0
    """
    if args.since is not None and args.until is not None and args.since >= args.until:
        raise UsageError(
            f"--since ({args.since.isoformat()}) must be before --until ({args.until.isoformat()})", field="since"
        )
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
    print(f"\nwrote {printable(result.path)} ({result.bytes / 1e6:.1f} MB)")
    return 0


def run_import(args: argparse.Namespace) -> int:
    r"""Import a dataset or logs and print a summary; exit status 1 if a file failed.

    The store is created if the path holds none (not if ``PATH`` does not exist, is a file of no known format,
    or is a folder in which no log file of the format is found: those are errors first, exit status 1, and
    nothing is created). Hidden folders (``.name``) are not walked, so the Claude Code logs of ``~/.claude``
    are imported by naming ``~/.claude/projects``.

    Example:
        >>> import json, tempfile
        >>> from pathlib import Path
        >>> from agentlog.cli import main
        >>> base = Path(tempfile.mkdtemp())
        >>> _ = (base / "bot.jsonl").write_text(json.dumps({"type": "session", "agent": "bot"}) + "\n")
        >>> main(["--store", str(base / "s"), "import", str(base / "bot.jsonl")])
        imported 1 file: 1 new session, 0 updated; 0 new events (0 error events), 0 already stored
        0
    """
    progress = False if args.no_progress else None
    source = Path(os.path.expanduser(args.path))
    if not source.exists():  # found before the store is opened: nothing is created
        raise ImportFormatError(
            "a symlink that leads nowhere" if source.is_symlink() else "no such file or folder", path=source
        )
    dataset = args.format == "parquet" or (args.format == "auto" and is_dataset(args.path))
    if not dataset and source.is_dir():
        found, skipped = _first_log(source, args.format)
        if not found:  # before the store is opened: nothing is created
            raise NothingImportedError(_nothing_found(source, skipped, args.format))
    elif not dataset and args.format == "auto":
        detect_format(source)  # a file of no known format: an error before the store is opened
    with open_store(args, create=True) as store:
        if dataset:
            result = import_(store, args.path, progress=progress)
            rows = [[name, c.inserted, c.skipped, c.replaced] for name, c in result.tables.items()]
            print(format_table(["table", "inserted", "already stored", "replaced (newer)"], rows))
            if result.vectors is not None:
                print(f"\nvectors: {result.vectors.reason}")
            print(f"\nimported {printable(Path(result.path))}")
            return 0
        report = import_logs(store, args.path, format=args.format, progress=progress, reparse=args.reparse)
    if report.ok and report.files == 0 and report.path.is_dir():
        raise NothingImportedError(_nothing_found(report.path, len(report.skipped), args.format))
    print(cli_wording(printable(report.summary(), newlines=True)))
    return 0 if report.ok else 1


class NothingImportedError(AgentlogError):
    """``agentlog import`` found no log file it recognises under the folder it was given."""


def _first_log(folder: Path, format: str) -> tuple[bool, int]:
    """Whether ``folder`` holds a file an import in ``format`` would take, and how many it would skip before it.

    With ``auto`` a file counts if its first bytes show a known format (or it cannot be read: the import
    reports that); with a named format, any file of its suffixes.
    """
    skipped = 0
    for file in iter_source_files(folder, format):
        if format != "auto":
            return True, skipped
        try:
            if sniff_format(file) is not None:
                return True, skipped
        except AgentlogError:
            return True, skipped
        skipped += 1
    return False, skipped


def _nothing_found(folder: Path, skipped_files: int, format: str) -> str:
    """The message of :class:`NothingImportedError`: what was looked for, and where else to look."""
    what = "agent log files" if format == "auto" else f"{format} log files"
    skipped = (
        f" ({skipped_files:,} {'file was' if skipped_files == 1 else 'files were'} not agent logs)"
        if skipped_files
        else ""
    )
    try:
        hidden = sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.is_dir())
    except OSError:
        hidden = []
    where = f"; it has hidden folders ({', '.join(printable(name) for name in hidden)})" if hidden else ""
    return (
        f"found no {what} under {printable(folder)}{skipped}; hidden folders (.name) are skipped{where}: "
        "name the folder that holds the logs, e.g. ~/.claude/projects or ~/.codex/sessions"
        + ("" if format == "auto" else ", or try --format auto")
    )
