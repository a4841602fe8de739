"""The write op that loads the sessions of one agent-log file into the store.

For each session of the file, on the writer thread, in one transaction:

* events whose id is stored already (anywhere) are skipped; the others are
  appended in source order with ``seq`` after the session's last stored one
  (1..n for a new session), so a log that grew since the last import only
  adds its new lines, and a session split over several files (Claude Code
  subagent transcripts carry their parent's session id) becomes one session
  whose events follow file by file;
* a new session is inserted; a stored one that came from logs is brought up
  to date (see below). A session created through the API that shares the id
  only gets the new events.

Metadata: each file's own facts about a session (tokens, tools, models...)
are kept in ``metadata["import_sources"]``, keyed by the id of the session's
first event in that file (:func:`~agentlog.io.log_rows.source_key`). The
entry of the same file (same ``source_path``; a symlink is resolved) is
replaced; so is the entry of the same log found elsewhere (same key: a copy,
a moved folder) when this file brought new events, and otherwise that entry
stays. So re-importing a file (grown or not) or a copy of it never counts its
tokens twice, while the files of a split session (a subagent transcript, a
trace exported over two days) add up. The top-level facts are those entries
merged (:func:`~agentlog.io.importers.merge_sessions`). A key the user set or
changed through the API (``update_session_summary(..., metadata=...)``) is
kept as it is: only the keys whose stored value is still the importer's own
follow the log. (Sessions imported before ``import_sources`` was written for
every session have no record of which keys were the importer's: their
metadata is taken as the importer's at the first re-import.) The summary
comes from the log only while the session has none.

Times: ``started_at`` only moves earlier (a file with real timestamps wins
over a file's modification time), and a re-import of a file with no new
events changes nothing at all, except that a running session that went quiet
is ended.

Lifecycle: a log cannot say that its session is over, so a session whose
last activity is within :data:`RUNNING_WINDOW` of the import (either way, for
clock skew) is taken to be still running: ``active`` with no ``ended_at``; a
later import appends what came since and ends it once it has gone quiet.
Older sessions, and OpenTelemetry traces (exported once finished), are
``terminated`` with ``ended_at`` = their last activity. An import never moves
a session backwards: a ``terminated`` or ``archived`` session (ended by an
earlier import or through the API) stays so, its ``ended_at`` only widened to
new events that came later; a ``paused`` one becomes ``active`` only when
the file brought new events.

The file itself is recorded in the same transaction (:mod:`agentlog.io.log_files`), so that a later
import can leave it unread while it does not change.

Rows are inserted with :class:`~agentlog.services.import_ops.ImportRows`
(idempotent, ``index_lsn`` for the vector index); changed sessions get a new
``updated_at`` and ``index_lsn``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from agentlog.errors import ImportFormatError, ValidationError
from agentlog.io.importers import ImportedSession, merge_sessions
from agentlog.io.log_files import ImportedFile, record_file
from agentlog.io.log_rows import PreparedLogSession
from agentlog.services.import_ops import ImportRows, check_rows
from agentlog.services.lifecycle import ENDED, Lifecycle
from agentlog.services.session_ops import SessionCache
from agentlog.store.tables import EVENT_ROWS, SESSION_ROWS, TIMESTAMP
from agentlog.store.writer import Transaction
from agentlog.validation import dump_json, validate_json_object

__all__ = ["RUNNING_WINDOW", "LoadCounts", "LoadLogSessions", "decide_lifecycle"]

RUNNING_WINDOW = timedelta(minutes=10)
"""A log whose last activity is this close to the import is taken to be still running."""

ESTIMATED_KEY = "started_at_estimated"
"""Session metadata key set when the log had no timestamps (value: ``"file_mtime"``)."""
SOURCES_KEY = "import_sources"
"""Session metadata key holding each file's own facts (see the module docstring)."""

STORED_SESSIONS = """
SELECT s.id, s.lifecycle, s.summary, s.metadata, s.started_at, s.ended_at,
       (SELECT coalesce(max(e.seq), 0) FROM events e WHERE e.session_id = s.id),
       (SELECT max(e.timestamp) FROM events e WHERE e.session_id = s.id)
FROM sessions s WHERE s.id IN (SELECT unnest($1::UUID[]))
"""
UPDATE_SESSION = """
UPDATE sessions SET metadata = ?, summary = ?, lifecycle = ?, started_at = ?, ended_at = ?,
                    updated_at = ?, index_lsn = ?
WHERE id = ?
"""


@dataclass(frozen=True, slots=True)
class LoadCounts:
    """What loading one file changed.

    Example:
        >>> LoadCounts(1, 0, 10, 0, 2).events_inserted
        10
    """

    sessions_created: int
    sessions_updated: int
    events_inserted: int
    events_skipped: int
    error_events: int


@dataclass(frozen=True, slots=True)
class _Stored:
    lifecycle: str
    summary: str | None
    metadata: str
    started_at: datetime
    ended_at: datetime | None
    max_seq: int
    last_event: datetime | None


def decide_lifecycle(
    last_activity: datetime, now: datetime, *, complete: bool, window: timedelta = RUNNING_WINDOW
) -> tuple[str, datetime | None]:
    """``(lifecycle, ended_at)`` of a session from a log.

    Example:
        >>> from datetime import UTC, datetime
        >>> decide_lifecycle(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC), complete=False)[0]
        'terminated'
    """
    if not complete and abs(now - last_activity) < window:
        return "active", None
    return "terminated", last_activity


@dataclass(slots=True)
class LoadLogSessions:
    """Load the prepared sessions of one file (see the module docstring).

    Attributes:
        sessions: The file's sessions.
        window: How close to the import a last activity counts as still running.
        file: The file and its stamp, recorded with its sessions (see :mod:`agentlog.io.log_files`);
            None: not recorded.

    Example:
        >>> from agentlog.store import Store
        >>> with Store.memory(embedder=None) as store:
        ...     store.write(LoadLogSessions(())).sessions_created
        0
    """

    sessions: tuple[PreparedLogSession, ...]
    window: timedelta = RUNNING_WINDOW
    file: ImportedFile | None = None

    def apply(self, tx: Transaction) -> LoadCounts:
        """Append new events, insert or update sessions, record the file; returns the counts.

        Example:
            >>> from agentlog.store import Store
            >>> with Store.memory(embedder=None) as store:
            ...     store.write(LoadLogSessions(())).events_inserted
            0
        """
        counts = self._load(tx) if self.sessions else LoadCounts(0, 0, 0, 0, 0)
        if self.file is not None:
            now = tx.now()
            running = any(
                decide_lifecycle(s.last_activity, now, complete=s.complete, window=self.window)[0] != "terminated"
                for s in self.sessions
            )
            record_file(tx, self.file, (s.id for s in self.sessions), running=running)
        return counts

    def _load(self, tx: Transaction) -> LoadCounts:
        rows = tx.query(STORED_SESSIONS, [[s.id for s in self.sessions]])
        stored = {row[0]: _Stored(*row[1:]) for row in rows}
        numbered = [
            s.events.append_column("agentlog_session", pa.array([i] * s.events.num_rows, pa.int32()))
            for i, s in enumerate(self.sessions)
        ]
        candidates = pa.concat_tables(numbered)
        new = tx.new_rows("events", candidates)  # ids are unique within a file (prepare_sessions)
        now = tx.now()
        new_sessions: list[dict[str, Any]] = []
        event_parts: list[pa.Table] = []
        updates: list[list[Any]] = []
        created = updated = skipped = errors = 0
        for index, session in enumerate(self.sessions):
            fresh = new if len(self.sessions) == 1 else new.filter(pc.equal(new.column("agentlog_session"), index))
            skipped += session.events.num_rows - fresh.num_rows + session.repeated  # stored, or repeated in the file
            prior = stored.get(session.id)
            first_seq = prior.max_seq + 1 if prior else 1
            if fresh.num_rows:
                event_parts.append(_event_rows(session.id, fresh, first_seq))
                errors += int(pc.sum(fresh.column("is_error")).as_py() or 0)
            if prior is None:
                new_sessions.append(_new_session(session, now, self.window))
                created += 1
                continue
            change = _updated_session(prior, session, now, self.window, fresh.num_rows > 0)
            if change is not None:
                updates.append([*change, now, tx.next_lsn(), session.id])
            if change is not None or fresh.num_rows:
                updated += 1
        sessions_table = _session_table(new_sessions) if new_sessions else None
        events_table = check_rows(pa.concat_tables(event_parts), EVENT_ROWS, "events") if event_parts else None
        result = ImportRows(sessions_table, events_table).apply(tx)
        cache = tx.cached(SessionCache, SessionCache)
        for params in updates:
            tx.execute(UPDATE_SESSION, params)
            cache.forget(params[-1])  # lifecycle may have changed
        return LoadCounts(created, updated, result.events_inserted, skipped + result.events_skipped, errors)


def _event_rows(session_id: uuid.UUID, fresh: pa.Table, first_seq: int) -> pa.Table:
    count = fresh.num_rows
    return pa.table(
        {
            "id": fresh.column("id"),
            "session_id": pa.array([session_id.bytes] * count, pa.uuid()),
            "seq": pa.array(np.arange(first_seq, first_seq + count, dtype=np.int64)),
            "event_type": fresh.column("event_type"),
            "event_data": fresh.column("event_data"),
            "metadata": fresh.column("metadata"),
            "timestamp": fresh.column("timestamp"),
        }
    )


def _new_session(session: PreparedLogSession, now: datetime, window: timedelta) -> dict[str, Any]:
    lifecycle, ended = decide_lifecycle(session.last_activity, now, complete=session.complete, window=window)
    metadata = {**session.metadata, SOURCES_KEY: {session.source: session.metadata}}
    if session.estimated:
        metadata[ESTIMATED_KEY] = "file_mtime"
    return {
        "id": session.id.bytes,
        "agent": session.agent,
        "project_id": session.project_id.bytes if session.project_id else None,
        "user_id": None,
        "app_name": None,
        "lifecycle": lifecycle,
        "summary": session.summary,
        "metadata": _metadata_text(metadata, session),
        "state": "{}",
        "started_at": session.started_at,
        "ended_at": ended,
        "updated_at": now,
    }


def _session_table(rows: list[dict[str, Any]]) -> pa.Table:
    columns = {name: [row[name] for row in rows] for name in SESSION_ROWS.names}
    types = {"id": pa.uuid(), "project_id": pa.uuid(), "started_at": TIMESTAMP, "ended_at": TIMESTAMP}
    types["updated_at"] = TIMESTAMP
    table = pa.table({name: pa.array(values, types.get(name, pa.string())) for name, values in columns.items()})
    return check_rows(table, SESSION_ROWS, "sessions")


def _own_facts(metadata: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metadata.items() if k not in (ESTIMATED_KEY, SOURCES_KEY)}


def _stored_sources(stored: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """The per-file facts of a stored session, or None for a session made through the API."""
    recorded = stored.get(SOURCES_KEY)
    if isinstance(recorded, dict):
        return {key: facts for key, facts in recorded.items() if isinstance(facts, dict)}
    if isinstance(stored.get("source_path"), str):  # imported before every session recorded its sources
        return {Path(stored["source_path"]).name: _own_facts(stored)}
    return None


def _with_source(
    sources: dict[str, dict[str, Any]], session: PreparedLogSession, fresh: bool
) -> dict[str, dict[str, Any]]:
    """``sources`` with the file's facts in place of its earlier ones (same ``source_path``, or same key).

    The same log found elsewhere (same key, another path: a copy, a moved
    folder) replaces the stored facts only when it brought new events (it is
    the more complete copy); otherwise they stay, so importing both never
    flips between them.
    """
    path = session.metadata.get("source_path")
    same_path = path is not None and any(facts.get("source_path") == path for facts in sources.values())
    if session.source in sources and not same_path and not fresh:
        return sources
    result: dict[str, dict[str, Any]] = {}
    for key, facts in sources.items():
        if key == session.source or (path is not None and facts.get("source_path") == path):
            result.setdefault(session.source, session.metadata)  # where the file's entry was: the merge order stays
        else:
            result[key] = facts
    result.setdefault(session.source, session.metadata)
    return result


def _kept_keys(stored: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """The stored keys that are not the importer's: set through the API, or changed there since the import."""
    return {
        key: value
        for key, value in stored.items()
        if key not in (SOURCES_KEY, ESTIMATED_KEY) and (key not in before or before[key] != value)
    }


def _session_metadata(
    stored: dict[str, Any], sources: dict[str, dict[str, Any]], session: PreparedLogSession, fresh: bool
) -> dict[str, Any]:
    """The stored metadata brought up to date with the file's facts (see the module docstring)."""
    before = _merged_facts(sources, session.agent)
    updated = _with_source(sources, session, fresh)
    metadata = _merged_facts(updated, session.agent)
    metadata.update(_kept_keys(stored, before))
    metadata[SOURCES_KEY] = updated
    return metadata


def _next_lifecycle(
    prior: _Stored, session: PreparedLogSession, now: datetime, window: timedelta, fresh: bool
) -> tuple[str, datetime | None]:
    """``(lifecycle, ended_at)`` after the import: decided from the log, never backwards."""
    current = Lifecycle(prior.lifecycle)
    if current in ENDED:
        ended = prior.ended_at
        if fresh and (ended is None or session.last_activity > ended):
            ended = session.last_activity
        return prior.lifecycle, ended
    last = max(t for t in (session.last_activity, prior.last_event) if t is not None)
    decided, ended = decide_lifecycle(last, now, complete=session.complete, window=window)
    if decided == Lifecycle.TERMINATED or fresh:
        return decided, ended
    return prior.lifecycle, prior.ended_at  # nothing new: a paused session stays paused


def _start(prior: _Stored, estimated_before: bool, session: PreparedLogSession) -> tuple[datetime, bool]:
    """``(started_at, estimated)``: the earliest real start, else the earliest estimated one."""
    real = [t for t, est in ((prior.started_at, estimated_before), (session.started_at, session.estimated)) if not est]
    if real:
        return min(real), False
    return min(prior.started_at, session.started_at), True


def _updated_session(
    prior: _Stored, session: PreparedLogSession, now: datetime, window: timedelta, fresh: bool
) -> tuple[str, str | None, str, datetime, datetime | None] | None:
    """New ``(metadata, summary, lifecycle, started_at, ended_at)`` of a stored session, or None if unchanged.

    ``fresh``: the file brought new events for the session.
    """
    stored = json.loads(prior.metadata)
    sources = _stored_sources(stored) if isinstance(stored, dict) else None
    if sources is None:
        return None  # made through the API, not from a log: only its events grow
    metadata = _session_metadata(stored, sources, session, fresh)
    started, estimated = _start(prior, ESTIMATED_KEY in stored, session)
    if estimated:
        metadata[ESTIMATED_KEY] = "file_mtime"
    lifecycle, ended = _next_lifecycle(prior, session, now, window, fresh)
    summary = prior.summary if prior.summary is not None else session.summary
    text = _metadata_text(metadata, session)
    if (json.loads(text), summary, lifecycle, started, ended) == (stored, *_fields(prior)):
        return None  # compared as JSON: key order is not a change
    return text, summary, lifecycle, started, ended


def _metadata_text(metadata: dict[str, Any], session: PreparedLogSession) -> str:
    """The session's metadata as JSON text, within the bounds the store keeps for any JSON column.

    The file's facts are stored twice (at the top and under ``import_sources``, one level deeper than
    the parser's metadata), so a log can pass its own checks and still make metadata the store, and
    an import of its export, would refuse: that fails the file instead.

    Raises:
        ImportFormatError: Naming the file: the metadata nests too deeply or is too large.
    """
    try:
        return dump_json(validate_json_object(metadata, "metadata"), "metadata")
    except ValidationError as exc:
        source = session.metadata.get("source_path")
        where = source if isinstance(source, str) else None
        raise ImportFormatError(f"session {session.id}: metadata cannot be stored: {exc}", path=where) from None


def _fields(prior: _Stored) -> tuple[str | None, str, datetime, datetime | None]:
    return prior.summary, prior.lifecycle, prior.started_at, prior.ended_at


def _merged_facts(sources: dict[str, Any], agent: str) -> dict[str, Any]:
    """Session metadata over several files: the importers' own merge (counts summed, models united...)."""
    if not sources:
        return {}
    stubs = [
        ImportedSession(
            id=uuid.UUID(int=0), agent=agent, started_at=None, ended_at=None, summary=None, metadata=facts, events=()
        )
        for facts in sources.values()
    ]
    (merged,) = merge_sessions(stubs)
    return dict(merged.metadata)
