"""Turn parsed agent-log sessions into rows the store accepts.

Runs in the caller's thread, before anything is queued for the writer, so a
file the store would refuse fails alone with an
:class:`~agentlog.errors.ImportFormatError` naming the file (and line):

* ``agent`` must be a valid name and ``summary`` at most 256 KiB;
* JSON payloads are serialised compactly (``ensure_ascii=False``), must nest
  at most 32 levels, and must be finite (no NaN/Infinity);
* an ``event_data`` larger than the store's 1 MiB bound (a pasted screenshot
  in base64, a huge tool output) is kept with its largest strings replaced by
  ``"[truncated by agentlog import: N bytes]"`` and
  ``metadata["truncated_bytes"]`` = the original size, rather than failing
  the whole session; if that is not enough, the file fails;
* an event id that appears twice in the file keeps its first occurrence.

Times: ``started_at`` is the earliest timestamp the parser found; a log with
no timestamp at all falls back to the file's modification time (UTC), and
the session says so with ``metadata["started_at_estimated"] = "file_mtime"``.
The session's last activity is its latest timestamp, else that same time.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from agentlog.errors import ImportFormatError, ValidationError
from agentlog.io.importers import ImportedEvent, ImportedSession
from agentlog.records import is_error_event
from agentlog.store.tables import TIMESTAMP
from agentlog.validation import MAX_JSON_BYTES, MAX_JSON_DEPTH, validate_name, validate_text

__all__ = ["TRUNCATED_MARKER", "PreparedLogSession", "prepare_sessions", "source_key"]

TRUNCATED_MARKER = "[truncated by agentlog import: {size} bytes]"
"""What replaces a long string of an over-sized event payload."""
_SHRINK_MIN_CHARS = 1024
"""Strings shorter than this are never truncated."""
_BATCH_EVENTS = 2048
"""Events converted to Arrow at a time at most (see :func:`_event_batch`)."""
_BATCH_CHARS = 64 * 2**20
"""Characters of payload converted to Arrow at a time at most (a batch's strings stay far below 2 GiB)."""


@dataclass(frozen=True, slots=True)
class PreparedLogSession:
    """A parsed session, validated and in Arrow form, ready for the writer.

    Attributes:
        id: The session id.
        agent: The agent name.
        project_id: The project, if the log names one.
        summary: The summary, if the log has one.
        metadata: The parser's session metadata (facts of this one file).
        started_at: Earliest timestamp, or the file's modification time.
        last_activity: Latest timestamp, or the file's modification time.
        estimated: The log has no timestamps; both times are the file's.
        complete: The format only exports finished sessions (OpenTelemetry traces).
        source: The key of this file's facts in the session's
            ``metadata["import_sources"]``: the id of the session's first event
            in the file (see :func:`source_key`).
        events: ``id, event_type, event_data, metadata, timestamp, is_error`` in source order.
        truncated: How many events had their payload shortened.
        repeated: How many events were left out as repeats of an event id met before in the file.

    Example:
        >>> import tempfile
        >>> from agentlog.io.importers import ImportedSession
        >>> log = Path(tempfile.mkdtemp()) / "x.jsonl"
        >>> _ = log.write_text("")
        >>> s = ImportedSession(id=uuid.UUID(int=1), agent="bot", started_at=None, ended_at=None,
        ...     summary=None, metadata={}, events=())
        >>> prepared = prepare_sessions([s], log)[0]
        >>> prepared.estimated, prepared.events.num_rows
        (True, 0)
    """

    id: uuid.UUID
    agent: str
    project_id: uuid.UUID | None
    summary: str | None
    metadata: dict[str, Any]
    started_at: datetime
    last_activity: datetime
    estimated: bool
    complete: bool
    source: str
    events: pa.Table
    truncated: int
    repeated: int = 0


EVENT_COLUMNS = pa.schema(
    [
        pa.field("id", pa.uuid(), nullable=False),
        pa.field("event_type", pa.string(), nullable=False),
        pa.field("event_data", pa.string(), nullable=False),
        pa.field("metadata", pa.string(), nullable=False),
        pa.field("timestamp", TIMESTAMP),
        pa.field("is_error", pa.bool_(), nullable=False),
    ]
)
"""Columns of :attr:`PreparedLogSession.events`."""


def dump(value: Any) -> str:
    """Compact JSON text, as the store keeps it.

    Example:
        >>> dump({"a": [1, "é"]})
        '{"a":[1,"é"]}'
    """
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def prepare_sessions(sessions: Sequence[ImportedSession], path: Path) -> list[PreparedLogSession]:
    """Validate and convert the sessions parsed from one file.

    Args:
        sessions: What the parser found in the file.
        path: The file (its modification time is the fallback time).

    Raises:
        ImportFormatError: A value the store cannot hold (naming the file and line),
            or two sessions with the same id.

    Example:
        >>> prepare_sessions([], Path("empty.jsonl"))
        []
    """
    if not sessions:
        return []
    ids = [session.id for session in sessions]
    if len(set(ids)) != len(ids):
        repeated = next(i for i in ids if ids.count(i) > 1)
        raise ImportFormatError(f"session {repeated} is parsed twice from this file", path=path)
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    seen: set[uuid.UUID] = set()
    return [_prepare(session, path, mtime, seen) for session in sessions]


def source_key(first_event: uuid.UUID | None, path: Path) -> str:
    """The key of one file's facts about a session: the id of the session's first event in the file.

    A log that grew (or a copy of it, or the same file reached by another
    path) starts with the same event, so re-importing it replaces its own
    facts; another file of the session (a subagent transcript, the next
    day's trace) starts with another event and adds its facts. A session
    with no event in the file is keyed by the file name.

    Example:
        >>> source_key(uuid.UUID(int=1), Path("a.jsonl")), source_key(None, Path("a.jsonl"))
        ('00000000-0000-0000-0000-000000000001', 'file:a.jsonl')
    """
    return str(first_event) if first_event is not None else f"file:{path.name}"


def _prepare(session: ImportedSession, path: Path, mtime: datetime, seen: set[uuid.UUID]) -> PreparedLogSession:
    try:
        agent = validate_name(session.agent, "agent")
        summary = validate_text(session.summary, "summary") if session.summary is not None else None
        dump(session.metadata)
    except (ValidationError, ValueError, TypeError) as exc:
        raise ImportFormatError(f"session {session.id}: {exc}", path=path) from None
    columns: dict[str, list[Any]] = {name: [] for name in EVENT_COLUMNS.names}
    batches: list[pa.RecordBatch] = []
    first_event: uuid.UUID | None = None
    truncated = repeated = gathered = 0
    for position, event in enumerate(session.events, start=1):
        if event.id in seen:
            repeated += 1
            continue
        seen.add(event.id)
        if first_event is None:
            first_event = event.id
        data, meta, cut = _payloads(event, path, position)
        truncated += cut
        columns["id"].append(event.id.bytes)
        columns["event_type"].append(event.event_type)
        columns["event_data"].append(data)
        columns["metadata"].append(meta)
        columns["timestamp"].append(event.timestamp)
        columns["is_error"].append(is_error_event(event.event_type, event.metadata))
        gathered += len(data) + len(meta)
        if len(columns["id"]) == _BATCH_EVENTS or gathered >= _BATCH_CHARS:
            batches.append(_event_batch(columns, session.id, path))
            gathered = 0
    batches.append(_event_batch(columns, session.id, path))
    estimated = session.started_at is None
    started = session.started_at or mtime
    return PreparedLogSession(
        id=session.id,
        agent=agent,
        project_id=session.project_id,
        summary=summary,
        metadata=dict(session.metadata),
        started_at=started,
        last_activity=session.ended_at or started,
        estimated=estimated,
        complete=session.metadata.get("format") == "otel",
        source=source_key(first_event, path),
        events=pa.Table.from_batches(batches, EVENT_COLUMNS),
        truncated=truncated,
        repeated=repeated,
    )


def _event_batch(columns: dict[str, list[Any]], session_id: uuid.UUID, path: Path) -> pa.RecordBatch:
    """The events gathered in ``columns`` as one Arrow batch; ``columns`` is emptied.

    Converting every few thousand events keeps one copy of a file's payloads
    (in Arrow) instead of a list of JSON strings plus the table built from it.
    """
    try:
        batch = pa.RecordBatch.from_pydict(columns, schema=EVENT_COLUMNS)
    except (pa.ArrowException, UnicodeError) as exc:
        raise ImportFormatError(f"session {session_id}: events cannot be stored: {exc}", path=path) from None
    for values in columns.values():
        values.clear()
    return batch


def _payloads(event: ImportedEvent, path: Path, position: int) -> tuple[str, str, int]:
    """``(event_data, metadata, truncated)`` as JSON text for one event.

    Errors carry the event's line when the importer recorded it, else say
    which event of its session it is.
    """
    line = event.metadata.get("line") if isinstance(event.metadata.get("line"), int) else None
    which = "" if line is not None else f"event {position} of its session ({event.id}): "
    try:
        data = dump(event.event_data)
        metadata = event.metadata
        cut = 0
        if len(data) > MAX_JSON_BYTES // 4 and len(data.encode("utf-8")) > MAX_JSON_BYTES:
            size = len(data.encode("utf-8"))
            shrunk = _shrink(event.event_data, size)
            if shrunk is None:
                raise ImportFormatError(
                    f"{which}event_data is {size} bytes, more than the {MAX_JSON_BYTES} the store takes, and it is not "
                    "made of long strings that could be shortened",
                    path=path,
                    line=line,
                )
            data, metadata, cut = shrunk, {**metadata, "truncated_bytes": size}, 1
        for text, name in ((data, "event_data"), (dump(metadata), "metadata")):
            if text.count("{") + text.count("[") > MAX_JSON_DEPTH and _depth(json.loads(text)) > MAX_JSON_DEPTH:
                raise ImportFormatError(
                    f"{which}{name} nests deeper than {MAX_JSON_DEPTH} levels", path=path, line=line
                )
        return data, dump(metadata), cut
    except (ValueError, TypeError) as exc:
        if isinstance(exc, ImportFormatError):
            raise
        raise ImportFormatError(f"{which}event cannot be stored as JSON: {exc}", path=path, line=line) from None


def _depth(value: Any) -> int:
    """Nesting depth of a JSON value (a scalar is 0, ``{}`` is 1)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def _shrink(data: dict[str, Any], size: int) -> str | None:
    """``data`` as JSON with its largest strings replaced until it fits, or None if it cannot."""
    copy = json.loads(dump(data))
    leaves: list[tuple[int, Any, Any]] = []
    stack: list[Any] = [copy]
    while stack:
        item = stack.pop()
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in pairs:
            if isinstance(child, str) and len(child) >= _SHRINK_MIN_CHARS:
                leaves.append((len(dump(child).encode("utf-8")), item, key))
            elif isinstance(child, dict | list):
                stack.append(child)
    leaves.sort(key=lambda leaf: leaf[0], reverse=True)
    for length, container, key in leaves:
        if size <= MAX_JSON_BYTES:
            break
        marker = TRUNCATED_MARKER.format(size=length)
        container[key] = marker
        size -= length - len(dump(marker).encode("utf-8"))
    text = dump(copy)
    return text if len(text.encode("utf-8")) <= MAX_JSON_BYTES else None
