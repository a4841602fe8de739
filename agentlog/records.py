"""The shape of the records the services return, and conversions to it.

Records are plain dicts, as the documented API shows: ids are
:class:`uuid.UUID`, timestamps are ISO-8601 strings in UTC with microseconds
(``2026-02-14T09:30:00.000000+00:00``, so ``started_at.split('T')[0]`` is the
date), and ``metadata`` / ``state`` / ``event_data`` are dicts. The
``TypedDict`` classes below document the keys; they are ordinary dicts at run
time.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict

__all__ = [
    "ERROR_EVENT_TYPE",
    "EventHit",
    "EventRecord",
    "SessionRecord",
    "days_before",
    "epoch_us",
    "format_timestamp",
    "is_error_event",
    "load_json",
    "parse_timestamp",
]

ERROR_EVENT_TYPE = "error_encountered"
"""The documented event type of an error; importers flag other failures with ``metadata["is_error"]``."""


def is_error_event(event_type: str, metadata: Any) -> bool:
    """Whether an event counts as an error: the error type, or ``metadata["is_error"]`` set to ``True``.

    The one definition every count of errors uses (analytics, search frames, import reports).

    Example:
        >>> is_error_event("error_encountered", {}), is_error_event("tool_call", {"is_error": True})
        (True, True)
        >>> is_error_event("tool_call", {"is_error": "yes"}), is_error_event("tool_call", None)
        (False, False)
    """
    flagged = isinstance(metadata, dict) and metadata.get("is_error") is True
    return event_type == ERROR_EVENT_TYPE or flagged


class EventRecord(TypedDict):
    """One event of a session, as returned by ``add_event`` and ``get_session``."""

    id: uuid.UUID
    """The event id (caller-supplied or generated)."""
    session_id: uuid.UUID
    """The session it belongs to."""
    seq: int
    """1-based position in the session, assigned at write time; gapless and stable."""
    event_type: str
    """What happened, e.g. ``task_created``."""
    event_data: dict[str, Any]
    """The event payload."""
    metadata: dict[str, Any]
    """Facts about the event (file, lines_changed, is_error, ...)."""
    timestamp: str | None
    """When it happened (ISO-8601 UTC); ``None`` only for imported events without one."""


class _KeywordRanking(TypedDict, total=False):
    score: float
    """The reciprocal-rank score Σ 1 / (60 + rank), in ``keyword`` and ``hybrid`` mode."""
    keyword_match: bool
    """Whether the hit matched the query's words, in ``keyword`` and ``hybrid`` mode."""


class EventHit(EventRecord, _KeywordRanking):
    """An event found by ``search_events``: the event, its session's agent and the scores.

    ``score`` and ``keyword_match`` are present in ``keyword`` and ``hybrid`` mode.
    """

    agent: str
    """The agent of the event's session."""
    similarity: float
    """Calibrated relevance in [0, 1]."""
    cosine: float
    """Raw cosine similarity of the embeddings."""


class SessionRecord(TypedDict, total=False):
    """A session.

    ``events`` is present on ``get_session``/``get_last_session``, ``event_count``
    on ``get_recent_sessions``, ``similarity``/``cosine`` on search hits (and
    ``score``/``keyword_match`` on hits in ``keyword`` and ``hybrid`` mode).
    """

    id: uuid.UUID
    """The session id."""
    agent: str
    """Who worked: ``claude``, ``gemini``, ``gpt``, ``user`` or any other name."""
    project_id: uuid.UUID | None
    """The project the session belongs to, if any."""
    user_id: str | None
    """The user the agent worked for, if recorded."""
    app_name: str | None
    """The application that created the session, if recorded."""
    lifecycle: str
    """``created``, ``active``, ``paused``, ``terminated`` or ``archived``."""
    summary: str | None
    """What the session achieved (set by ``end_session`` or ``update_session_summary``)."""
    metadata: dict[str, Any]
    """Context: phase, task, key_events, decisions, outcomes, next_steps, ..."""
    state: dict[str, Any]
    """Working state, merged by ``update_session_state``."""
    started_at: str
    """When the session started (ISO-8601 UTC)."""
    ended_at: str | None
    """When it ended; ``None`` while it is not ended."""
    updated_at: str
    """When the session row last changed."""
    events: list[EventRecord]
    """Its events in order (``seq``), on the calls that include them."""
    event_count: int
    """Number of events, on ``get_recent_sessions``."""
    similarity: float
    """Calibrated relevance in [0, 1], on search hits."""
    cosine: float
    """Raw cosine similarity of the embeddings, on search hits."""
    score: float
    """The reciprocal-rank score Σ 1 / (60 + rank), on search hits in ``keyword`` and ``hybrid`` mode."""
    keyword_match: bool
    """Whether the session matched the query's words, on search hits in ``keyword`` and ``hybrid`` mode."""


def format_timestamp(value: datetime | None) -> str | None:
    """Format a datetime as ISO-8601 UTC with microseconds.

    Args:
        value: An aware datetime (any zone), or ``None``.

    Returns:
        The ISO string, or ``None``.

    Example:
        >>> from datetime import datetime, timezone
        >>> format_timestamp(datetime(2026, 2, 14, 9, 30, tzinfo=timezone.utc))
        '2026-02-14T09:30:00.000000+00:00'
    """
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def parse_timestamp(value: str) -> datetime:
    """Parse a timestamp produced by :func:`format_timestamp`.

    Example:
        >>> parse_timestamp('2026-02-14T09:30:00.000000+00:00').year
        2026
    """
    return datetime.fromisoformat(value)


def load_json(text: str | None) -> Any:
    """Decode a JSON column value (``None`` stays ``None``).

    Example:
        >>> load_json('{"a": 1}')
        {'a': 1}
    """
    return None if text is None else json.loads(text)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def days_before(moment: datetime, days: int) -> datetime:
    """``moment`` minus ``days`` days, or the earliest UTC instant Python has (year 1) if that is earlier.

    Example:
        >>> days_before(datetime(2026, 3, 8, tzinfo=UTC), 7).day
        1
        >>> days_before(datetime(1, 1, 3, tzinfo=UTC), 7).isoformat()
        '0001-01-01T00:00:00+00:00'
    """
    try:
        return moment - timedelta(days=days)
    except OverflowError:
        return _EARLIEST


_EARLIEST = datetime.min.replace(tzinfo=UTC)


def epoch_us(value: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (exact, no float rounding).

    Example:
        >>> epoch_us(datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC))
        1000000
    """
    return (value - _EPOCH) // timedelta(microseconds=1)
