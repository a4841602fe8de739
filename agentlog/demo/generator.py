"""Deterministic demo activity as Arrow tables shaped like the store's ``sessions`` and ``events``.

:func:`generate_demo_data` returns about 2,000 sessions and 100,000 events of four
agents over 90 days, with the shapes notebooks and the report expect to find:
working hours and quiet weekends per agent, a gentle growth trend, a "bad week"
of errors from 21 to 14 days before the end (:attr:`DemoParams.bad_week`), a few
still-active sessions, and summaries built from each session's own tasks,
decisions and errors.

The same arguments always give byte-identical tables, in any process: every
random draw comes from one seeded generator, and the default ``end`` is the
fixed :data:`DEFAULT_END`.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from agentlog.demo.content import (
    BAD_WEEK_ENDS_DAYS_BEFORE_END,
    BAD_WEEK_STARTS_DAYS_BEFORE_END,
    write_content,
)
from agentlog.demo.profiles import AGENTS
from agentlog.demo.timeline import DAY_US, build_timeline
from agentlog.errors import ValidationError
from agentlog.store.tables import EVENT_ROWS, SESSION_ROWS, TIMESTAMP

__all__ = ["DEFAULT_END", "EVENTS_SCHEMA", "SESSIONS_SCHEMA", "DemoData", "DemoParams", "generate_demo_data"]

DEFAULT_END = datetime(2026, 3, 6, tzinfo=UTC)
"""Where the default window ends: midnight UTC starting Friday 2026-03-06.

Pass ``end=datetime.now(UTC)`` to make the data look recent instead.

Example:
    >>> DEFAULT_END.isoformat()
    '2026-03-06T00:00:00+00:00'
"""

_TS = TIMESTAMP

SESSIONS_SCHEMA = SESSION_ROWS
"""Schema of :attr:`DemoData.sessions` (the store's ``sessions`` table).

Example:
    >>> SESSIONS_SCHEMA.names[:3]
    ['id', 'agent', 'project_id']
"""

EVENTS_SCHEMA = EVENT_ROWS
"""Schema of :attr:`DemoData.events` (the store's ``events`` table).

Example:
    >>> EVENTS_SCHEMA.field("seq").type
    DataType(int64)
"""

ARCHIVE_AFTER_DAYS = 60
ARCHIVE_RATE = 0.3
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class DemoParams:
    """The arguments a dataset was generated with, and what follows from them.

    Attributes:
        sessions: Base number of sessions (before ``scale``).
        days: Length of the activity window.
        end: End of the window (UTC); nothing happens at or after it.
        seed: Seed of every random draw.
        scale: Multiplier of ``sessions``.

    Example:
        >>> p = DemoParams(sessions=100, days=90, end=DEFAULT_END, seed=0, scale=2.0)
        >>> p.n_sessions
        200
    """

    sessions: int
    days: int
    end: datetime
    seed: int
    scale: float

    @property
    def n_sessions(self) -> int:
        """The number of sessions generated: ``round(sessions * scale)``, at least 1.

        Example:
            >>> DemoParams(sessions=2000, days=90, end=DEFAULT_END, seed=0, scale=0.5).n_sessions
            1000
        """
        return max(1, round(self.sessions * self.scale))

    @property
    def start(self) -> datetime:
        """Start of the activity window, ``end - days``.

        Example:
            >>> DemoParams(sessions=1, days=90, end=DEFAULT_END, seed=0, scale=1.0).start.date()
            datetime.date(2025, 12, 6)
        """
        return self.end - timedelta(days=self.days)

    @property
    def bad_week(self) -> tuple[datetime, datetime]:
        """The ``[start, end)`` of the week with an error spike (21 to 14 days before ``end``).

        It lies inside the last 30 days, so the default activity report shows it.

        Sessions starting in it log several times the usual share of errors, most
        of them a database connection pool exhaustion in ``billing-service``
        (and its echo, ``UpstreamUnavailable``, in other projects).

        Example:
            >>> lo, hi = DemoParams(sessions=1, days=90, end=DEFAULT_END, seed=0,
            ...                     scale=1.0).bad_week
            >>> (hi - lo).days, lo.date().isoformat()
            (7, '2026-02-13')
        """
        return (
            self.end - timedelta(days=BAD_WEEK_STARTS_DAYS_BEFORE_END),
            self.end - timedelta(days=BAD_WEEK_ENDS_DAYS_BEFORE_END),
        )


@dataclass(frozen=True, slots=True)
class DemoData:
    """A generated dataset: the two tables and the parameters that produced them.

    Attributes:
        sessions: One row per session, schema :data:`SESSIONS_SCHEMA`, sorted by
            ``started_at``.
        events: One row per event, schema :data:`EVENTS_SCHEMA`, grouped by session
            (in the order of ``sessions``) and sorted by ``seq`` within a session.
        params: The generation parameters.

    Example:
        >>> data = generate_demo_data(sessions=20)
        >>> data.sessions.num_rows, data.params.n_sessions
        (20, 20)
    """

    sessions: pa.Table
    events: pa.Table
    params: DemoParams


def generate_demo_data(
    *, sessions: int = 2000, days: int = 90, end: datetime | None = None, seed: int = 0, scale: float = 1.0
) -> DemoData:
    """Generate realistic, reproducible agent activity.

    The default gives about 2,000 sessions and 100,000 events (about 50 events per
    session), four agents (``claude`` > ``gpt`` ≈ ``gemini`` > ``user``), eight
    projects plus ~15% of sessions without one, a bad week of errors (see
    :attr:`DemoParams.bad_week`) and a few active sessions in the last two days.
    Sessions have 5-200 events, most 10-60; durations range from minutes to ten
    hours.

    Args:
        sessions: Number of sessions before scaling.
        days: Length of the window ending at ``end``; 90 by default. The bad week
            needs at least 21 days to appear.
        end: End of the window, timezone-aware; :data:`DEFAULT_END` if ``None``.
            Pass ``datetime.now(UTC)`` for data that ends now.
        seed: Seed; the same arguments always give byte-identical tables.
        scale: Multiplies ``sessions`` (and so the events): ``scale=10`` gives about
            20,000 sessions and 1,000,000 events for benchmarks.

    Returns:
        The sessions and events tables and the parameters.

    Raises:
        ValidationError: If an argument is out of range or ``end`` is naive.

    Example:
        >>> data = generate_demo_data(sessions=50, seed=7)
        >>> data.events.schema.names
        ['id', 'session_id', 'seq', 'event_type', 'event_data', 'metadata', 'timestamp']
        >>> data.sessions.equals(generate_demo_data(sessions=50, seed=7).sessions)
        True
    """
    params = _validate(sessions, days, end, seed, scale)
    end_us = (params.end - _EPOCH) // timedelta(microseconds=1)
    rng = np.random.default_rng(params.seed)

    timeline = build_timeline(rng, params.n_sessions, params.days, end_us)
    n, total = len(timeline.start), int(timeline.bounds[-1])
    session_ids = _uuid_bytes(rng, n)
    content = write_content(
        timeline,
        [str(uuid.UUID(bytes=row.tobytes())) for row in session_ids],
        seed=int(rng.integers(2**63)),
        days=params.days,
        end_us=end_us,
    )
    event_ids = _uuid_bytes(rng, total)

    active = timeline.active
    summarised = np.array([s is not None for s in content.summary], dtype=bool)
    archived = ~active & (timeline.ended < end_us - ARCHIVE_AFTER_DAYS * DAY_US) & (rng.random(n) < ARCHIVE_RATE)
    lifecycle = np.where(active, "active", np.where(archived, "archived", "terminated"))
    last_event = timeline.event_ts[timeline.bounds[1:] - 1]
    lag = np.where(
        archived,
        rng.integers(30 * DAY_US, 45 * DAY_US, n),
        np.where(summarised, rng.integers(1_000_000, 90_000_000, n), 0),
    )
    updated = np.where(active, last_event, np.minimum(timeline.ended + lag, end_us))

    owner = np.repeat(np.arange(n), timeline.counts)
    seq = np.arange(total, dtype=np.int64) - timeline.bounds[:-1][owner] + 1
    agents = np.array([a.name for a in AGENTS], dtype=object)[timeline.agent]

    sessions_table = pa.Table.from_arrays(
        [
            _uuid_array(session_ids),
            pa.array(agents, pa.string()),
            pa.ExtensionArray.from_storage(pa.uuid(), pa.array(content.project_id, pa.binary(16))),
            pa.array(content.user_id, pa.string()),
            pa.array(content.app_name, pa.string()),
            pa.array(lifecycle.astype(object), pa.string()),
            pa.array(content.summary, pa.string()),
            pa.array(content.metadata, pa.string()),
            pa.array(content.state, pa.string()),
            pa.array(timeline.start, _TS),
            pa.array(timeline.ended, _TS, mask=active),
            pa.array(updated, _TS),
        ],
        schema=SESSIONS_SCHEMA,
    )
    events_table = pa.Table.from_arrays(
        [
            _uuid_array(event_ids),
            _uuid_array(session_ids[owner]),
            pa.array(seq, pa.int64()),
            pa.array(content.event_type, pa.string()),
            pa.array(content.event_data, pa.string()),
            pa.array(content.event_metadata, pa.string()),
            pa.array(timeline.event_ts, _TS),
        ],
        schema=EVENTS_SCHEMA,
    )
    return DemoData(sessions=sessions_table, events=events_table, params=params)


def _validate(sessions: int, days: int, end: datetime | None, seed: int, scale: float) -> DemoParams:
    """Check the arguments and resolve defaults into :class:`DemoParams`."""
    for name, value in (("sessions", sessions), ("days", days), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"{name} must be an int, got {value!r}", field=name, value=repr(value))
    if sessions < 1:
        raise ValidationError(f"sessions must be at least 1, got {sessions}", field="sessions", value=repr(sessions))
    if not 1 <= days <= 3650:
        raise ValidationError(f"days must be between 1 and 3650, got {days}", field="days", value=repr(days))
    if seed < 0:
        raise ValidationError(f"seed must be non-negative, got {seed}", field="seed", value=repr(seed))
    if not (isinstance(scale, int | float) and math.isfinite(scale) and scale > 0):
        raise ValidationError(f"scale must be a positive number, got {scale!r}", field="scale", value=repr(scale))
    if end is None:
        end = DEFAULT_END
    elif not isinstance(end, datetime):
        raise ValidationError(f"end must be a datetime, got {end!r}", field="end", value=repr(end)[:80])
    elif end.tzinfo is None or end.utcoffset() is None:
        raise ValidationError(
            f"end must be timezone-aware, got naive {end!r}; pass e.g. datetime.now(UTC)", field="end", value=repr(end)
        )
    return DemoParams(sessions=sessions, days=days, end=end.astimezone(UTC), seed=seed, scale=float(scale))


def _uuid_bytes(rng: np.random.Generator, count: int) -> npt.NDArray[np.uint8]:
    """``count`` random version-4 UUIDs as a ``(count, 16)`` byte matrix."""
    raw = np.frombuffer(rng.bytes(16 * count), dtype=np.uint8).reshape(count, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    return raw


def _uuid_array(raw: npt.NDArray[np.uint8]) -> pa.ExtensionArray:
    """A ``pa.uuid()`` array over a ``(count, 16)`` byte matrix, without a Python loop."""
    storage = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(16), len(raw), [None, pa.py_buffer(np.ascontiguousarray(raw).tobytes())]
    )
    return pa.ExtensionArray.from_storage(pa.uuid(), storage)
