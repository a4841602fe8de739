"""Validation of MemoryService arguments: memory types, values and expiry.

Namespaces and keys are checked by :mod:`agentlog.services.namespaces`. The
rules here:

* ``memory_type`` is one of :data:`MEMORY_TYPES`.
* A value is any JSON data (see :func:`agentlog.validation.validate_json_value`:
  finite numbers, string keys, at most 32 levels, 1 MiB serialised).
* Expiry: ``ttl`` (a positive :class:`~datetime.timedelta` or a number of
  seconds) or ``expires_at`` (an aware datetime in the future), not both, at
  most :data:`MAX_TTL` ahead. ``temp:`` memories always expire: without either
  they get the service's ``temp_ttl``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from agentlog.errors import ValidationError
from agentlog.validation import validate_aware_datetime

__all__ = ["MAX_TTL", "MEMORY_TYPES", "resolve_expiry", "validate_memory_type", "validate_ttl"]

MEMORY_TYPES: tuple[str, ...] = ("short_term", "semantic", "episodic", "procedural")
"""The allowed memory types."""

MAX_TTL = timedelta(days=36_500)
"""Longest time to live (about 100 years)."""


def validate_memory_type(value: Any, field: str = "memory_type") -> str:
    """Check a memory type.

    Example:
        >>> validate_memory_type("semantic")
        'semantic'
    """
    if not isinstance(value, str) or value not in MEMORY_TYPES:
        raise ValidationError(
            f"{field} must be one of {', '.join(MEMORY_TYPES)}; got {value!r}"[:300],
            field=field,
            value=repr(value)[:80],
        )
    return value


def validate_ttl(value: Any, field: str = "ttl") -> timedelta:
    """Check a time to live: a positive ``timedelta`` or number of seconds, at most :data:`MAX_TTL`.

    Example:
        >>> validate_ttl(90)
        datetime.timedelta(seconds=90)
    """
    if isinstance(value, bool) or not isinstance(value, timedelta | int | float):
        raise ValidationError(
            f"{field} must be a timedelta or a number of seconds, got {value!r}"[:300], field=field, value=repr(value)
        )
    try:
        ttl = value if isinstance(value, timedelta) else timedelta(seconds=value)
    except (OverflowError, ValueError):
        raise ValidationError(f"{field} is out of range: {value!r}", field=field, value=repr(value)) from None
    if not ttl > timedelta(0) or ttl > MAX_TTL:
        raise ValidationError(
            f"{field} must be more than 0 and at most {MAX_TTL.days} days, got {value!r}",
            field=field,
            value=repr(value),
        )
    return ttl


def resolve_expiry(ttl: Any, expires_at: Any, now: datetime) -> datetime | None:
    """Turn the ``ttl`` / ``expires_at`` arguments into an expiry time (``None`` when neither is given).

    Raises:
        ValidationError: Both given, a bad value, or an ``expires_at`` not after ``now``.

    Example:
        >>> from datetime import timezone
        >>> now = datetime(2026, 1, 1, tzinfo=timezone.utc)
        >>> resolve_expiry(3600, None, now).isoformat()
        '2026-01-01T01:00:00+00:00'
        >>> resolve_expiry(None, None, now) is None
        True
    """
    if ttl is not None and expires_at is not None:
        raise ValidationError("give ttl or expires_at, not both", field="ttl")
    if ttl is not None:
        return now + validate_ttl(ttl)
    if expires_at is not None:
        when = validate_aware_datetime(expires_at, "expires_at")
        if when <= now:
            raise ValidationError(
                f"expires_at {when.isoformat()} is not in the future; the memory would never be visible",
                field="expires_at",
                value=when.isoformat(),
            )
        if when - now > MAX_TTL:
            raise ValidationError(
                f"expires_at is more than {MAX_TTL.days} days ahead", field="expires_at", value=when.isoformat()
            )
        return when
    return None
