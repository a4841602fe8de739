"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import json
import re
import shlex
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from agentlog.errors import NotAStoreError, ValidationError
from agentlog.store import Store
from agentlog.store.paths import resolve_store_path, store_exists
from agentlog.store.store import DEFAULT_EMBEDDER

if TYPE_CHECKING:
    from agentlog.embeddings import Embedder

__all__ = [
    "NoStoreError",
    "date_argument",
    "open_store",
    "parse_since",
    "positive_int",
    "printable",
    "printable_json",
    "require_store",
    "since_argument",
]


class NoStoreError(NotAStoreError):
    """A command that only reads was given a path that holds no store (``agentlog`` exits with status 2)."""


def require_store(path: str | None) -> None:
    """Check that ``path`` (``--store``; ``None`` for the default store) holds a store, creating nothing.

    For the commands that only read: opening a :class:`~agentlog.Store` on a mistyped path would create an
    empty store there and show nothing, silently.

    Args:
        path: The ``--store`` value, or ``None``.

    Raises:
        NoStoreError: If the path holds no store; the message names the path and how to create a store.

    Example:
        >>> require_store("/nonexistent/typo")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        agentlog.cli.common.NoStoreError: no agentlog store at /nonexistent/typo; create one with `agentlog ...
    """
    try:
        if store_exists(path):
            return
    except OSError:  # the directory cannot be examined: opening the store reports why, in its own words
        return
    where = resolve_store_path(path)
    if path is None:
        raise NoStoreError(
            f"no agentlog store at {printable(where)} (the default store: $AGENTLOG_HOME, else the per-user data "
            "directory); create one with `agentlog import LOGS` or `agentlog demo-data --recent`, "
            "or pass --store PATH"
        )
    quoted = printable(shlex.quote(str(where)))
    raise NoStoreError(
        f"no agentlog store at {printable(where)}; create one with `agentlog --store {quoted} import LOGS` "
        f"or `agentlog --store {quoted} demo` (demo data), or pass the right path"
    )


def open_store(
    args: argparse.Namespace, *, create: bool = False, embedder: str | Embedder | None = DEFAULT_EMBEDDER
) -> Store:
    """Open the store named by ``--store`` (or the default one).

    Args:
        args: The parsed command line; ``args.store`` is the ``--store`` value or ``None``.
        create: Create the store if the path holds none (commands that write); otherwise a path without a
            store is an error and nothing is created.
        embedder: As for :class:`~agentlog.Store` (``None``: no vector index is loaded).

    Raises:
        NoStoreError: If ``create`` is false and the path holds no store.

    Example:
        >>> import argparse, tempfile
        >>> open_store(argparse.Namespace(store=tempfile.mkdtemp()), create=True).close()
    """
    if not create:
        require_store(args.store)
    return Store(args.store, embedder=embedder)


def parse_since(text: str, option: str = "--since") -> datetime:
    """Parse ``--since``: an ISO date/datetime (UTC if no offset) or ``<N>d`` / ``<N>h`` ago.

    Args:
        text: The value given on the command line.
        option: The option's name, for the error message.

    Raises:
        ValidationError: Neither, or ``N`` reaches back before the year 1.

    Example:
        >>> parse_since("2026-01-02").isoformat()
        '2026-01-02T00:00:00+00:00'
        >>> parse_since("1000000d")
        Traceback (most recent call last):
        ...
        agentlog.errors.ValidationError: --since 1000000d reaches back before the year 1
    """
    value = text.strip()
    relative = value[:-1].isdigit() and value[-1:] in {"d", "h"}
    try:
        amount = int(value[:-1]) if relative else 0  # a ValueError for more digits than int() takes
        parsed = None if relative else datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"{option} must be an ISO date such as 2026-01-31, or 7d / 12h; got {text!r}", field=option.lstrip("-")
        ) from None
    if parsed is None:
        return _ago(amount, value[-1], option)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ago(amount: int, unit: str, option: str) -> datetime:
    """``amount`` days (``unit`` ``d``) or hours (``h``) before now."""
    try:
        return datetime.now(UTC) - (timedelta(days=amount) if unit == "d" else timedelta(hours=amount))
    except OverflowError:
        raise ValidationError(
            f"{option} {amount}{unit} reaches back before the year 1", field=option.lstrip("-")
        ) from None


def since_argument(text: str) -> datetime:
    """:func:`parse_since` as an ``argparse`` type: a bad value is a usage error (exit status 2).

    Example:
        >>> import argparse
        >>> parser = argparse.ArgumentParser()
        >>> _ = parser.add_argument("--since", type=since_argument)
        >>> parser.parse_args(["--since", "2026-01-02"]).since.year
        2026
    """
    try:
        return parse_since(text)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def date_argument(option: str) -> Callable[[str], datetime]:
    """An ``argparse`` type like :func:`since_argument` whose messages name ``option``.

    Example:
        >>> date_argument("--until")("2d") < datetime.now(UTC)
        True
    """

    def parse(text: str) -> datetime:
        try:
            return parse_since(text, option)
        except ValidationError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = "date"  # argparse names the type in some messages
    return parse


def positive_int(text: str) -> int:
    """An ``argparse`` type: a whole number of at least 1 (anything else is a usage error).

    Example:
        >>> positive_int("3")
        3
        >>> positive_int("0")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: must be a whole number of at least 1; got '0'
    """
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1; got {text!r}")
    return value


_CONTROL = re.compile("[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f]")
_CONTROL_OR_NEWLINE = re.compile("[\\x00-\\x1f\\x7f-\\x9f]")


def printable(value: object, *, newlines: bool = False) -> str:
    r"""``str(value)`` safe for a terminal: control characters (ESC, CR, DEL, C1...) shown as ``\xNN`` escapes.

    Args:
        value: Any value; ``None`` gives ``""``.
        newlines: Keep line feeds (for multi-line output); otherwise they are escaped too.

    Example:
        >>> printable("red \x1b[31mtext\r")
        'red \\x1b[31mtext\\r'
    """
    text = "" if value is None else str(value)
    pattern = _CONTROL if newlines else _CONTROL_OR_NEWLINE
    return pattern.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]


def printable_json(value: object, **options: Any) -> str:
    r"""``json.dumps(value, default=str, ensure_ascii=False, **options)`` with DEL and C1 characters as ``\u00NN``.

    ``json`` escapes the C0 controls itself; the others would reach the terminal raw.

    Example:
        >>> printable_json({"k": "a\x9bb"})
        '{"k": "a\\u009bb"}'
    """
    text = json.dumps(value, default=str, ensure_ascii=False, **options)
    return _C1.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


_C1 = re.compile("[\\x7f-\\x9f]")
