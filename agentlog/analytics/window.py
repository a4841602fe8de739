"""Argument checking shared by the analytics functions: the store, time windows, buckets, time zones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from agentlog.errors import ValidationError
from agentlog.records import days_before
from agentlog.store import Store, require_open_store
from agentlog.validation import (
    validate_aware_datetime,
    validate_optional_name,
    validate_positive_int,
    validate_since_until,
)

__all__ = ["MAX_DAYS", "Freq", "Scope", "Window", "check_freq", "check_tz", "resolve_window", "scope"]

MAX_DAYS = 36_500
"""Longest window a ``days`` argument may ask for (100 years), as in the SessionService."""

Freq = Literal["day", "week"]
"""Bucket sizes of the time series: calendar days, or ISO weeks starting on Monday."""

_TZ_KNOWN = "SELECT count(*) FROM pg_timezone_names() WHERE name = $tz"


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open time window ``[since, until)``, both ends aware and in UTC.

    Attributes:
        since: First instant inside the window.
        until: First instant after it.

    Example:
        >>> w = Window(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 8, tzinfo=UTC))
        >>> w.length.days
        7
    """

    since: datetime
    until: datetime

    @property
    def length(self) -> timedelta:
        """``until - since``.

        Example:
            >>> Window(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)).length
            datetime.timedelta(days=1)
        """
        return self.until - self.since

    def params(self) -> dict[str, Any]:
        """The window as the ``$since`` / ``$until`` bind parameters of the analytics SQL.

        Example:
            >>> sorted(Window(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)).params())
            ['since', 'until']
        """
        return {"since": self.since, "until": self.until}


def resolve_window(
    since: Any = None,
    until: Any = None,
    days: Any = None,
    *,
    default_days: int = 30,
    now: datetime | None = None,
) -> Window:
    """Turn the ``since`` / ``until`` / ``days`` arguments of an analytics function into a :class:`Window`.

    ``until`` defaults to now; ``since`` defaults to ``until - days`` (``days``
    defaulting to ``default_days``). Giving both ``since`` and ``days`` is an
    error, as is a naive datetime or an empty window.

    Args:
        since: Start of the window (aware datetime) or ``None``.
        until: End of the window (aware datetime, excluded) or ``None`` for now.
        days: Length of the window in days when ``since`` is not given.
        default_days: The length used when neither ``since`` nor ``days`` is given.
        now: What "now" is (an aware datetime, for tests); the current time by default.

    Returns:
        The window in UTC.

    Raises:
        ValidationError: For a naive or non-datetime bound (or ``now``), ``days`` not an int in
            1..:data:`MAX_DAYS`, both ``since`` and ``days``, or ``since >= until``.

    Example:
        >>> end = datetime(2026, 3, 6, tzinfo=UTC)
        >>> resolve_window(until=end, days=7).since.isoformat()
        '2026-02-27T00:00:00+00:00'
    """
    if until is not None:
        end = validate_aware_datetime(until, "until")
    else:
        end = datetime.now(UTC) if now is None else validate_aware_datetime(now, "now")
    if since is not None:
        if days is not None:
            raise ValidationError("pass either since or days, not both", field="days", value=repr(days))
        start = validate_aware_datetime(since, "since")
    else:
        count = validate_positive_int(default_days if days is None else days, "days", maximum=MAX_DAYS)
        start = days_before(end, count)
    validate_since_until(start, end)
    return Window(start, end)


def check_freq(freq: Any) -> Freq:
    """Check a bucket size: ``"day"`` or ``"week"``.

    Example:
        >>> check_freq("week")
        'week'
    """
    if freq == "day":
        return "day"
    if freq == "week":
        return "week"
    raise ValidationError(f"freq must be 'day' or 'week', got {freq!r}", field="freq", value=repr(freq))


def check_tz(store: Store, tz: Any) -> str:
    """Check a time-zone name (IANA, e.g. ``"Europe/Paris"``) against those DuckDB knows.

    Example:
        >>> with Store.memory(embedder=None) as store:
        ...     check_tz(store, "Europe/Paris")
        'Europe/Paris'
    """
    if not isinstance(tz, str) or not tz:
        raise ValidationError(f"tz must be a time-zone name such as 'UTC', got {tz!r}", field="tz", value=repr(tz))
    if tz == "UTC":
        return tz
    known = store.sql(_TZ_KNOWN, {"tz": tz}).fetchall()[0][0]
    if not known:
        raise ValidationError(
            f"unknown time zone {tz!r}; use an IANA name such as 'UTC' or 'Europe/Paris'", field="tz", value=repr(tz)
        )
    return tz


@dataclass(frozen=True, slots=True)
class Scope:
    """The checked arguments of one analytics call: where to look, when, for whom, in which time zone."""

    store: Store
    window: Window
    agent: str | None
    tz: str

    def params(self) -> dict[str, Any]:
        """Every bind parameter a query of this scope may use.

        Example:
            >>> with Store.memory(embedder=None) as store:
            ...     sorted(scope(store, agent="claude", days=7).params())
            ['agent', 'since', 'tz', 'until']
        """
        return {**self.window.params(), "tz": self.tz, "agent": self.agent}


def scope(
    store: Any,
    *,
    agent: Any = None,
    since: Any = None,
    until: Any = None,
    days: Any = None,
    tz: Any = "UTC",
    default_days: int = 30,
) -> Scope:
    """Check the common arguments of an analytics function (see :func:`resolve_window`).

    Raises:
        ValidationError: For any bad argument (nothing is queried before all pass).

    Example:
        >>> with Store.memory(embedder=None) as store:
        ...     scope(store, days=7, until=datetime(2026, 3, 6, tzinfo=UTC)).window.since.day
        27
    """
    checked = require_open_store(store)
    name = validate_optional_name(agent, "agent")
    window = resolve_window(since, until, days, default_days=default_days)
    return Scope(checked, window, name, check_tz(checked, tz))
