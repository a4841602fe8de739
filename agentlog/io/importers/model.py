"""The normalised records every importer produces.

Importers turn one source file into :class:`ImportedSession` objects, each with
its :class:`ImportedEvent` objects in source order. They are plain frozen
values: no database, no I/O. The store's import code writes them; ids are
stable, so importing the same file twice yields the same ids and the store can
ignore what it already has.

:class:`FileResult` and :class:`ParseResult` report what a (possibly
recursive) import found: sessions, files that failed and files that were
skipped because they are not agent logs.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agentlog.errors import ImportFormatError, ValidationError

__all__ = [
    "EVENT_TYPE_PATTERN",
    "FileResult",
    "ImportedEvent",
    "ImportedSession",
    "ParseResult",
]

EVENT_TYPE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,127}$")
"""What an ``event_type`` must look like (also enforced by the store)."""


def _utc(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ValidationError(f"{name} must be a datetime or None", field=name, value=repr(value))
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            f"{name} must be timezone-aware (got naive {value.isoformat()}); "
            "attach a timezone, e.g. value.replace(tzinfo=datetime.UTC)",
            field=name,
            value=value.isoformat(),
        )
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValidationError(f"{name} is out of range in UTC", field=name, value=value.isoformat()) from None


@dataclass(frozen=True, slots=True)
class ImportedEvent:
    """One source record (a log line, a trace span) as an event.

    Attributes:
        id: The source's own id when it is a UUID (Claude Code ``uuid``), else a
            stable ``uuid5`` derived from the source, so re-importing gives the
            same id.
        event_type: A short type name matching :data:`EVENT_TYPE_PATTERN`; each
            importer documents its mapping.
        event_data: The raw source record, unchanged except that integers outside
            the signed 64-bit range become decimal strings and lone UTF-16
            surrogates become U+FFFD, so it can be stored as JSON.
        metadata: Facts derived by the importer, e.g. ``{"line": 12,
            "is_error": True, "tool": "Bash", "model": "..."}``.
        timestamp: Timezone-aware UTC time of the record; ``None`` when the
            record has none (never invented). Naive input is rejected.

    Example:
        >>> import uuid
        >>> from datetime import datetime, UTC
        >>> ev = ImportedEvent(
        ...     id=uuid.UUID(int=1), event_type="user", event_data={"type": "user"},
        ...     metadata={"line": 1}, timestamp=datetime(2026, 1, 1, tzinfo=UTC))
        >>> ev.event_type
        'user'
    """

    id: uuid.UUID
    event_type: str
    event_data: dict[str, Any]
    metadata: dict[str, Any]
    timestamp: datetime | None

    def __post_init__(self) -> None:
        if not isinstance(self.id, uuid.UUID):
            raise ValidationError("event id must be a uuid.UUID", field="id", value=repr(self.id))
        if not isinstance(self.event_type, str) or not EVENT_TYPE_PATTERN.match(self.event_type):
            raise ValidationError(
                f"event_type {self.event_type!r} must match {EVENT_TYPE_PATTERN.pattern}",
                field="event_type",
                value=repr(self.event_type),
            )
        object.__setattr__(self, "timestamp", _utc(self.timestamp, "timestamp"))


@dataclass(frozen=True, slots=True)
class ImportedSession:
    """One agent session found in a source file, with its events.

    Attributes:
        id: The source's session id when it is a UUID, else a stable ``uuid5``.
        agent: ``"claude-code"``, ``"codex"``, or for traces the root span's
            agent name.
        started_at: Earliest known timestamp of the session (UTC), or ``None``.
        ended_at: Latest known timestamp of the session (UTC), or ``None``.
        summary: A summary that belongs to this session, else ``None``.
        metadata: Source facts: ``format``, ``source_path``, ``cwd``,
            ``git_branch``, ``cli_version``, ``model``/``models``, ``tokens``,
            ``tools``, ``errors``... (each importer documents its keys).
        events: The events in source order.
        project_id: The project the session belongs to, if known.

    Example:
        >>> import uuid
        >>> s = ImportedSession(id=uuid.UUID(int=7), agent="codex", started_at=None,
        ...     ended_at=None, summary=None, metadata={"format": "codex"}, events=())
        >>> len(s.events)
        0
    """

    id: uuid.UUID
    agent: str
    started_at: datetime | None
    ended_at: datetime | None
    summary: str | None
    metadata: dict[str, Any]
    events: tuple[ImportedEvent, ...]
    project_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, uuid.UUID):
            raise ValidationError("session id must be a uuid.UUID", field="id", value=repr(self.id))
        if not isinstance(self.agent, str) or not self.agent.strip():
            raise ValidationError("agent must be a non-empty string", field="agent")
        object.__setattr__(self, "started_at", _utc(self.started_at, "started_at"))
        object.__setattr__(self, "ended_at", _utc(self.ended_at, "ended_at"))
        object.__setattr__(self, "events", tuple(self.events))  # a list is accepted too


@dataclass(frozen=True, slots=True)
class FileResult:
    """What parsing one file gave.

    Exactly one of three outcomes: parsed (``format`` set, ``error`` is
    ``None``), failed (``error`` set) or skipped (``format`` and ``error`` both
    ``None``: not recognised as an agent log during a folder walk).

    Attributes:
        path: The file.
        format: The format it was parsed as, or ``None`` when skipped or when
            detection failed.
        sessions: The sessions found (empty on failure or skip).
        error: Why the file failed, if it did.

    Example:
        >>> r = FileResult(Path("x.jsonl"), None, ())
        >>> r.status
        'skipped'
    """

    path: Path
    format: str | None
    sessions: tuple[ImportedSession, ...]
    error: ImportFormatError | None = None

    @property
    def status(self) -> str:
        """``"ok"``, ``"failed"`` or ``"skipped"``.

        Example:
            >>> FileResult(Path("a.json"), "otel", ()).status
            'ok'
        """
        if self.error is not None:
            return "failed"
        return "skipped" if self.format is None else "ok"


@dataclass(slots=True)
class ParseResult:
    """Everything a :func:`~agentlog.io.importers.parse_path` call found.

    Attributes:
        sessions: Parsed sessions (sessions with the same id found in several
            files, such as Claude Code subagent transcripts, are merged).
        failures: ``(path, error)`` for every file that could not be parsed.
        skipped: Files of a folder walk that are not recognised agent logs.

    Example:
        >>> r = ParseResult()
        >>> r.ok
        True
    """

    sessions: list[ImportedSession] = field(default_factory=list)
    failures: list[tuple[Path, ImportFormatError]] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """``True`` when no file failed.

        Example:
            >>> ParseResult(failures=[(Path("x"), ImportFormatError("bad"))]).ok
            False
        """
        return not self.failures

    @property
    def event_count(self) -> int:
        """The number of events over all sessions.

        Example:
            >>> ParseResult().event_count
            0
        """
        return sum(len(s.events) for s in self.sessions)
