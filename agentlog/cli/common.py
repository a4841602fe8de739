"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from agentlog.errors import ValidationError
from agentlog.store import Store

__all__ = ["open_store", "parse_since"]


def open_store(args: argparse.Namespace) -> Store:
    """Open the store named by ``--store`` (or the default one).

    Example:
        >>> import argparse, tempfile
        >>> open_store(argparse.Namespace(store=tempfile.mkdtemp())).close()
    """
    return Store(args.store)


def parse_since(text: str) -> datetime:
    """Parse ``--since``: an ISO date/datetime (UTC if no offset) or ``<N>d`` / ``<N>h`` ago.

    Example:
        >>> parse_since("2026-01-02").isoformat()
        '2026-01-02T00:00:00+00:00'
    """
    from datetime import timedelta

    value = text.strip()
    if value[:-1].isdigit() and value[-1:] in {"d", "h"}:
        amount = int(value[:-1])
        delta = timedelta(days=amount) if value.endswith("d") else timedelta(hours=amount)
        return datetime.now(UTC) - delta
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"--since must be an ISO date such as 2026-01-31, or 7d / 12h; got {text!r}", field="since"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
