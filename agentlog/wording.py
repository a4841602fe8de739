"""Small helpers for text shown to people (reports, CLI output)."""

from __future__ import annotations

__all__ = ["plural"]


def plural(count: int, noun: str) -> str:
    """``count`` and ``noun``, with an ``s`` unless the count is one.

    Example:
        >>> plural(1, "session"), plural(3, "error"), plural(0, "file")
        ('1 session', '3 errors', '0 files')
    """
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
