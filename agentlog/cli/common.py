"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from agentlog.errors import ValidationError
from agentlog.store import Store

__all__ = ["open_store", "parse_since", "since_argument"]


def open_store(args: argparse.Namespace) -> Store:
    """Open the store named by ``--store`` (or the default one).

    Example:
        >>> import argparse, tempfile
        >>> open_store(argparse.Namespace(store=tempfile.mkdtemp())).close()
    """
    return Store(args.store)


def parse_since(text: str) -> datetime:
    """Parse ``--since``: an ISO date/datetime (UTC if no offset) or ``<N>d`` / ``<N>h`` ago.

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
            f"--since must be an ISO date such as 2026-01-31, or 7d / 12h; got {text!r}", field="since"
        ) from None
    if parsed is None:
        return _ago(amount, value[-1])
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ago(amount: int, unit: str) -> datetime:
    """``amount`` days (``unit`` ``d``) or hours (``h``) before now."""
    try:
        return datetime.now(UTC) - (timedelta(days=amount) if unit == "d" else timedelta(hours=amount))
    except OverflowError:
        raise ValidationError(f"--since {amount}{unit} reaches back before the year 1", field="since") from None


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
