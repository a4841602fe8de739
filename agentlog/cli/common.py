"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from agentlog.errors import ValidationError
from agentlog.store import Store

__all__ = [
    "date_argument",
    "open_store",
    "parse_since",
    "positive_int",
    "printable",
    "printable_json",
    "since_argument",
]


def open_store(args: argparse.Namespace) -> Store:
    """Open the store named by ``--store`` (or the default one).

    Example:
        >>> import argparse, tempfile
        >>> open_store(argparse.Namespace(store=tempfile.mkdtemp())).close()
    """
    return Store(args.store)


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
