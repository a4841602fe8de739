r"""agentlog's own JSON-lines format, for logs of any other agent.

One JSON object per line. A ``session`` line opens a session; ``event`` lines
belong to the session named by their ``session_id`` (or, when that is
omitted, to the last session line above them). Sessions may interleave, and
a session line must come before its events. Blank lines are ignored::

    {"type": "session", "id": "0b6f3c1e-2f59-4d4c-a3de-0b7e7d1f8a10", "agent": "my-bot",
     "metadata": {"model": "gpt-4o"}}
    {"type": "event", "session_id": "0b6f3c1e-2f59-4d4c-a3de-0b7e7d1f8a10",
     "event_type": "user_message", "event_data": {"text": "hi"},
     "timestamp": "2026-01-01T10:00:00Z"}
    {"type": "event", "event_type": "tool_call", "event_data": {"tool": "search"},
     "metadata": {"is_error": true}, "timestamp": "2026-01-01T10:00:02+00:00"}

(each object on one line in a real file).

Session line members: ``type`` = ``"session"``; ``agent`` (required,
non-empty string); ``id`` (UUID; default: ``uuid5`` of the line's number and
content); ``started_at``/``ended_at`` (ISO-8601 with a timezone, ``ended_at``
not before ``started_at``; default: the earliest/latest event timestamp, an end
never before the start); ``summary`` (string); ``metadata`` (object);
``project_id`` (UUID).

Event line members: ``type`` = ``"event"``; ``event_type`` (required,
matching ``^[A-Za-z][A-Za-z0-9_.:-]{0,127}$``); ``session_id`` (UUID of an
earlier session line); ``id`` (UUID; default: ``uuid5`` of the session id,
line number and content); ``event_data`` and ``metadata`` (objects);
``timestamp`` (ISO-8601 with a timezone, or null).

Unknown members, naive timestamps, duplicate ids and events of an undeclared
session are errors (:class:`~agentlog.errors.ImportFormatError` with the
line number). ``event_data`` and ``metadata`` are taken as given;
``metadata["format"]`` and ``["source_path"]`` are added to a session's
metadata when it does not set them.

Example:
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp(), "my-bot.jsonl")
    >>> _ = path.write_text(
    ...     '{"type":"session","agent":"my-bot","metadata":{"model":"gpt-4o"}}\n'
    ...     '{"type":"event","event_type":"user_message","timestamp":"2026-01-01T10:00:00Z"}\n'
    ...     '{"type":"event","event_type":"tool_call","metadata":{"is_error":true}}\n'
    ... )
    >>> session = parse(path)[0]
    >>> session.agent, [e.event_type for e in session.events], session.metadata["model"]
    ('my-bot', ['user_message', 'tool_call'], 'gpt-4o')
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from agentlog.errors import ImportFormatError, ValidationError
from agentlog.io.importers import _common as c
from agentlog.io.importers.model import EVENT_TYPE_PATTERN, ImportedEvent, ImportedSession

__all__ = ["FORMAT", "EventLine", "SessionLine", "parse", "sniff"]

FORMAT = "jsonl"
"""The format name used by :func:`~agentlog.io.importers.detect_format`."""


_NUMBER = re.compile(r"\s*[-+]?[0-9]+(\.[0-9]*)?\s*")


def _iso_only(value: object) -> object:
    """Refuse what is not an ISO-8601 string: a number, or a number in a string (pydantic reads it as Unix time)."""
    if value is not None and (not isinstance(value, str) or _NUMBER.fullmatch(value)):
        raise ValueError("must be an ISO-8601 string with a timezone")
    return value


Timestamp = Annotated[AwareDatetime | None, pydantic.BeforeValidator(_iso_only)]


class SessionLine(BaseModel):
    """A ``{"type": "session", ...}`` line.

    Example:
        >>> SessionLine.model_validate({"type": "session", "agent": "bot"}).agent
        'bot'
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["session"]
    agent: str = Field(min_length=1, max_length=200, pattern=r"\S")
    id: uuid.UUID | None = None
    started_at: Timestamp = None
    ended_at: Timestamp = None
    summary: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    project_id: uuid.UUID | None = None


class EventLine(BaseModel):
    """A ``{"type": "event", ...}`` line.

    Example:
        >>> EventLine.model_validate({"type": "event", "event_type": "note"}).event_data
        {}
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["event"]
    event_type: str = Field(pattern=EVENT_TYPE_PATTERN.pattern)
    session_id: uuid.UUID | None = None
    id: uuid.UUID | None = None
    event_data: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    timestamp: Timestamp = None


_LINE: pydantic.TypeAdapter[SessionLine | EventLine] = pydantic.TypeAdapter(
    Annotated[SessionLine | EventLine, Field(discriminator="type")]
)


def sniff(head: bytes | str) -> bool:
    r"""Whether the start of a file looks like this format (a first ``session`` line).

    Example:
        >>> sniff(b'{"type": "session", "agent": "bot"}\n')
        True
        >>> sniff(b'{"type": "user", "sessionId": "x"}\n')
        False
    """
    records, partial = c.head_records(head)
    first = records[0] if records else c.leading_scalars(partial or "")
    return first.get("type") == "session" and "agent" in first


def _problem(exc: pydantic.ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    loc = list(error["loc"])
    if loc and loc[0] in ("session", "event"):  # the union's tag, not a member
        loc = loc[1:]
    where = ".".join(str(p) for p in loc) or "line"
    more = exc.error_count() - 1
    return f"{where}: {error['msg']}" + (f" (and {more} more problems)" if more else "")


@dataclass(slots=True)
class _Open:
    line: SessionLine
    session_id: uuid.UUID
    events: list[ImportedEvent] = field(default_factory=list)


def parse(path: Path) -> list[ImportedSession]:
    r"""Parse an agentlog JSON-lines file into its sessions.

    Args:
        path: The file.

    Returns:
        The sessions, in the order of their session lines.

    Raises:
        ImportFormatError: Unreadable file; a line that is not JSON or not a
            valid session/event line; an event before any session or naming
            an unknown session; a repeated session or event id.

    Example:
        Events without ``session_id`` belong to the last session line above them:

        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp(), "crew.jsonl")
        >>> _ = path.write_text(
        ...     '{"type":"session","agent":"planner"}\n{"type":"event","event_type":"plan"}\n'
        ...     '{"type":"session","agent":"coder"}\n{"type":"event","event_type":"edit"}\n'
        ...     '{"type":"event","event_type":"test"}\n'
        ... )
        >>> [(s.agent, [e.event_type for e in s.events]) for s in parse(path)]
        [('planner', ['plan']), ('coder', ['edit', 'test'])]
    """
    sessions: dict[uuid.UUID, _Open] = {}
    current: _Open | None = None
    event_ids: set[uuid.UUID] = set()
    for number, raw, record in c.iter_json_lines(path):
        try:
            line = _LINE.validate_python(record)
        except pydantic.ValidationError as exc:
            raise ImportFormatError(_problem(exc), path=path, line=number) from None
        if isinstance(line, SessionLine):
            session_id = line.id or c.derived_uuid(FORMAT, "session", number, c.digest(raw))
            if session_id in sessions:
                raise ImportFormatError(f"session {session_id} is declared twice", path=path, line=number)
            if line.started_at is not None and line.ended_at is not None and line.ended_at < line.started_at:
                raise ImportFormatError("ended_at is before started_at", path=path, line=number)
            current = sessions[session_id] = _Open(line, session_id)
            continue
        if line.session_id is not None:
            target = sessions.get(line.session_id)
            if target is None:
                raise ImportFormatError(
                    f"event for session {line.session_id}, which no session line above declares",
                    path=path,
                    line=number,
                )
        elif current is None:
            raise ImportFormatError("event before any session line", path=path, line=number)
        else:
            target = current
        event_id = line.id or c.derived_uuid(FORMAT, target.session_id, number, c.digest(raw))
        if event_id in event_ids:
            raise ImportFormatError(f"event id {event_id} is used twice", path=path, line=number)
        event_ids.add(event_id)
        try:
            event = ImportedEvent(event_id, line.event_type, line.event_data, line.metadata, line.timestamp)
        except ValidationError as exc:
            raise ImportFormatError(str(exc), path=path, line=number) from None
        target.events.append(event)
    try:
        return [_build(item, path) for item in sessions.values()]
    except ValidationError as exc:
        raise ImportFormatError(str(exc), path=path) from None


def _build(item: _Open, path: Path) -> ImportedSession:
    times = [e.timestamp for e in item.events if e.timestamp is not None]
    started: datetime | None = item.line.started_at or (min(times) if times else None)
    ended: datetime | None = item.line.ended_at or (max(times) if times else None)
    if started is not None and ended is not None and ended < started:  # events before a given start
        ended = started
    metadata = dict(item.line.metadata)
    metadata.setdefault("format", FORMAT)
    metadata.setdefault("source_path", str(path))
    return ImportedSession(
        id=item.session_id,
        agent=item.line.agent,
        started_at=started,
        ended_at=ended,
        summary=item.line.summary,
        metadata=metadata,
        events=tuple(item.events),
        project_id=item.line.project_id,
    )
