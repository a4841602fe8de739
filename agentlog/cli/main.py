"""Argument parsing and dispatch for the ``agentlog`` command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from agentlog._version import __version__
from agentlog.cli import demo, io, memory, report, search, sessions
from agentlog.cli.arguments import UsageError
from agentlog.cli.output import cli_wording, printable
from agentlog.cli.stores import NoStoreError, mismatch_message
from agentlog.errors import AgentlogError, EmbeddingMismatchError

__all__ = ["build_parser", "main"]

_COMMAND_MODULES = (demo, sessions, search, io, report, memory)


def build_parser() -> argparse.ArgumentParser:
    """Build the parser with every subcommand (used by ``main`` and by the help test).

    Example:
        >>> "demo" in build_parser().format_help()
        True
    """
    parser = argparse.ArgumentParser(
        prog="agentlog",
        description="Embedded memory for AI agents: sessions, events, memory and documents.",
    )
    parser.add_argument("--version", action="version", version=f"agentlog {__version__}")
    parser.add_argument(
        "--store",
        metavar="PATH",
        help="store directory (default: $AGENTLOG_HOME, else the per-user data directory)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Errors of agentlog print one line to stderr and exit with status 1; usage errors exit with 2: those
    ``argparse`` finds, a value the library would refuse (``--limit 100001``, ``--project notauuid``,
    ``show notauuid``, ``memory set Project:x``, ``--embedder nosuch``: checked when the command line is read, see
    :class:`~agentlog.cli.arguments.UsageError`), an empty ``--store``, and a command that only reads given a
    path that holds no store (one line, naming the path; nothing is created there). Messages use the
    command line's words (``--format codex``, not ``format='codex'``). Output piped into a reader that
    stops early (``| head``) ends quietly.

    Example:
        >>> main(["info", "--help"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        SystemExit: 0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.store is not None and not args.store.strip():
        parser.error("--store must name a directory; got an empty path (leave --store out for the default store)")
    try:
        status = args.handler(args)
    except (NoStoreError, UsageError) as exc:  # a mistyped --store, a bad option value: usage errors
        print(f"agentlog: error: {printable(cli_wording(str(exc)))}", file=sys.stderr)
        return 2
    except EmbeddingMismatchError as exc:
        print(f"agentlog: error: {printable(mismatch_message(args.store, exc))}", file=sys.stderr)
        return 1
    except AgentlogError as exc:
        print(f"agentlog: error: {printable(cli_wording(str(exc)))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C: the conventional status, one line instead of a traceback
        print("agentlog: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 1
    return int(status or 0)


def _silence_stdout() -> None:
    """Point stdout at devnull after a broken pipe, so that flushing it at exit does not fail again.

    The recipe of the Python docs' "Note on SIGPIPE" (``signal`` module).
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (captured): nothing to flush into a pipe
        pass
    finally:
        os.close(devnull)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
