"""SessionService: the documented async API for agent sessions and their events.

The contract is the SessionService usage guide: method names, parameters,
defaults and return shapes follow it, so its examples run unchanged. Beyond
the guide the service has the session state and lifecycle of the service-layer
brief (``user_id``, ``app_name``, ``update_session_state``,
``update_lifecycle``), a bulk path (``add_events``), ``delete_session``, and
offset / keyset pagination on the list methods.

Every method validates its arguments in the caller's thread and raises
:class:`~agentlog.errors.ValidationError` (a ``ValueError``) before anything
is written; unknown sessions raise :class:`~agentlog.errors.NotFoundError`
(also a ``ValueError``) except on the getters, which return ``None`` as the
guide says. Writes return once committed.

Example:
    >>> import asyncio
    >>> from agentlog import SessionService, Store
    >>> async def demo():
    ...     with Store.memory() as store:
    ...         service = SessionService(store)
    ...         session = await service.create_session(agent="claude", metadata={"task": "bug fix"})
    ...         await service.add_event(session["id"], "decision_made", {"decision": "add validation"})
    ...         ended = await service.end_session(session["id"], summary="Fixed the TypeError")
    ...         return ended["lifecycle"], len((await service.get_session(session["id"]))["events"])
    >>> asyncio.run(demo())
    ('terminated', 1)
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict

from agentlog.errors import NotFoundError, ValidationError
from agentlog.records import EventHit, EventRecord, SessionRecord
from agentlog.services import session_queries as queries
from agentlog.services.event_batches import chooses_ids, prepare_event, prepare_event_rows, prepare_event_table
from agentlog.services.lifecycle import parse_lifecycle
from agentlog.services.session_ops import (
    AppendEvents,
    AppendEventTable,
    CreateSession,
    DeleteSession,
    EndSession,
    UpdateLifecycle,
    UpdateSessionState,
    UpdateSessionSummary,
)
from agentlog.store import Store
from agentlog.validation import (
    MAX_LIMIT,
    dump_json,
    validate_aware_datetime,
    validate_json_object,
    validate_limit,
    validate_name,
    validate_offset,
    validate_optional_name,
    validate_positive_int,
    validate_since_until,
    validate_text,
    validate_uuid,
)

__all__ = ["AddEventsResult", "SessionService"]

_MAX_DAYS = 36_500


class AddEventsResult(TypedDict):
    """What :meth:`SessionService.add_events` did."""

    session_id: uuid.UUID
    """The session the events were added to."""
    inserted: int
    """Events stored by this call."""
    duplicates: int
    """Events skipped because their id was already stored (or repeated in the call)."""


class SessionService:
    """Sessions and events of one store.

    Args:
        store: The store to use. :func:`agentlog.get_session_service` builds one
            on the default store.

    Attributes:
        store: The store this service reads and writes.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- sessions ---------------------------------------------------------------

    async def create_session(
        self,
        agent: str,
        project_id: uuid.UUID | str | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        user_id: str | None = None,
        app_name: str | None = None,
        initial_state: Mapping[str, Any] | None = None,
        session_id: uuid.UUID | str | None = None,
        started_at: datetime | None = None,
    ) -> SessionRecord:
        """Create a new agent session (lifecycle ``created``; its first event makes it ``active``).

        Args:
            agent: Agent identifier (claude, gemini, gpt, user, or any other name).
            project_id: Optional UUID of the associated project.
            metadata: Optional additional context (a JSON object).
            user_id: Optional user the agent works for.
            app_name: Optional application that created the session.
            initial_state: Optional initial session state (a JSON object).
            session_id: Optional id chosen by the caller (importers); must be new.
            started_at: Optional start time (aware datetime); default now.

        Returns:
            The created session with ``id``, ``agent``, ``started_at``, etc.

        Raises:
            ValidationError: For a bad argument.
            AlreadyExistsError: If ``session_id`` is already used.

        Example:
            ``session = await service.create_session(agent="claude", metadata={"phase": "Phase 2"})``
        """
        meta = validate_json_object(metadata, "metadata")
        state = validate_json_object(initial_state, "initial_state")
        op = CreateSession(
            id=validate_uuid(session_id, "session_id") if session_id is not None else uuid.uuid4(),
            agent=validate_name(agent, "agent"),
            project_id=validate_uuid(project_id, "project_id") if project_id is not None else None,
            user_id=validate_optional_name(user_id, "user_id"),
            app_name=validate_optional_name(app_name, "app_name"),
            metadata=meta,
            metadata_json=dump_json(meta, "metadata"),
            state=state,
            state_json=dump_json(state, "initial_state"),
            started_at=validate_aware_datetime(started_at, "started_at") if started_at is not None else None,
            caller_id=session_id is not None,
        )
        return await self.store.write_async(op)  # type: ignore[no-any-return]

    async def end_session(self, session_id: uuid.UUID | str, summary: str | None = None) -> SessionRecord:
        """End a session (lifecycle ``terminated``, ``ended_at`` set) and optionally add a summary.

        Args:
            session_id: UUID of the session to end.
            summary: Optional summary text (it can also be added later).

        Returns:
            The updated session.

        Raises:
            NotFoundError: If the session does not exist.
            InvalidTransitionError: If it has already ended.

        Example:
            ``await service.end_session(session["id"], summary="Completed the migration")``
        """
        sid = validate_uuid(session_id, "session_id")
        text = validate_text(summary, "summary") if summary is not None else None
        return await self.store.write_async(EndSession(sid, text))  # type: ignore[no-any-return]

    async def get_session(self, session_id: uuid.UUID | str) -> SessionRecord | None:
        """Get a session with all its events (in the order they were logged).

        Returns:
            The session with an ``events`` list, or ``None`` if not found.

        Example:
            ``session = await service.get_session(session_id)``
        """
        sid = validate_uuid(session_id, "session_id")
        # One snapshot: the session as it was when these events were its events.
        return await self.store.read_async(lambda cur: queries.get_session(cur, sid), snapshot=True)

    async def list_sessions(
        self,
        agent: str | None = None,
        project_id: uuid.UUID | str | None = None,
        since: datetime | None = None,
        limit: int = 20,
        *,
        until: datetime | None = None,
        offset: int = 0,
        cursor: uuid.UUID | str | None = None,
    ) -> list[SessionRecord]:
        """List sessions, newest first, without their events.

        Args:
            agent: Filter by agent name.
            project_id: Filter by project UUID.
            since: Only sessions started at or after this (aware) datetime.
            limit: Maximum number of sessions (default 20).
            until: Only sessions started before this (aware) datetime.
            offset: Skip this many sessions first.
            cursor: Keyset pagination: the ``id`` of the last session of the
                previous page; the page continues after it (stable under inserts).

        Returns:
            Session dicts (no ``events`` key).

        Raises:
            ValidationError: For a bad argument, such as a naive datetime or ``since`` not before ``until``
                (an empty window, as in :meth:`search_sessions`).

        Example:
            ``sessions = await service.list_sessions(agent="claude", limit=10)``
        """
        agent_name = validate_name(agent, "agent") if agent is not None else None
        project = validate_uuid(project_id, "project_id") if project_id is not None else None
        since_utc, until_utc = validate_since_until(since, until)
        count = validate_limit(limit)
        skip = validate_offset(offset)
        after = validate_uuid(cursor, "cursor") if cursor is not None else None
        return await self.store.read_async(
            lambda cur: queries.list_sessions(
                cur,
                agent=agent_name,
                project_id=project,
                since=since_utc,
                until=until_utc,
                limit=count,
                offset=skip,
                after=after,
            )
        )

    async def delete_session(self, session_id: uuid.UUID | str) -> int:
        """Delete a session, all its events and its memories (``session:<id>``), and through the index their vectors.

        Returns:
            The number of events deleted with it.

        Raises:
            NotFoundError: If the session does not exist.

        Example:
            ``removed = await service.delete_session(session_id)``
        """
        sid = validate_uuid(session_id, "session_id")
        return await self.store.write_async(DeleteSession(sid))  # type: ignore[no-any-return]

    # -- events -------------------------------------------------------------------

    async def add_event(
        self,
        session_id: uuid.UUID | str,
        event_type: str,
        event_data: Mapping[str, Any],
        *,
        metadata: Mapping[str, Any] | None = None,
        event_id: uuid.UUID | str | None = None,
        timestamp: datetime | None = None,
    ) -> EventRecord:
        """Log an event to a session.

        The event gets the next ``seq`` of its session. Re-sending an
        ``event_id`` that is already stored in the session stores nothing and
        returns the stored event, even after the session has ended (a retry
        stays idempotent). Events go to sessions that are created, active or
        paused; the first event of a ``created`` session makes it ``active``.

        Args:
            session_id: UUID of the parent session.
            event_type: Type of event (``task_created``, ``decision_made``, ... or your own).
            event_data: Event-specific data (a JSON object).
            metadata: Optional facts about the event (file, lines_changed, ...).
            event_id: Optional id chosen by the caller (for idempotent retries).
            timestamp: Optional aware datetime of the event (importers); default
                is the commit time.

        Returns:
            The created (or already stored) event.

        Raises:
            ValidationError: For a bad argument.
            NotFoundError: If the session does not exist.
            SessionClosedError: If the session is terminated or archived (and the event is new).
            AlreadyExistsError: If ``event_id`` is stored in another session.

        Example:
            ``await service.add_event(session["id"], "task_created", {"task_id": "123", "title": "..."})``
        """
        sid = validate_uuid(session_id, "session_id")
        event = prepare_event(event_type, event_data, metadata, event_id, timestamp)
        records, _ = await self.store.write_async(AppendEvents(sid, [event], check_duplicates=event_id is not None))
        return records[0]  # type: ignore[no-any-return]

    async def add_events(self, session_id: uuid.UUID | str, events: Any) -> AddEventsResult:
        """Append many events to one session in one batch (one commit).

        Args:
            session_id: UUID of the parent session.
            events: A sequence of dicts (``event_type``, ``event_data`` and
                optionally ``metadata``, ``event_id``/``id``, ``timestamp``), or
                a ``pyarrow.Table`` / ``polars.DataFrame`` with columns
                ``event_type``, ``event_data`` (JSON text) and optionally
                ``metadata`` (JSON text), ``id``, ``timestamp`` (the fast path;
                see :mod:`agentlog.services.event_batches`).

        Returns:
            How many events were stored and how many were duplicates.

        Raises:
            ValidationError: If any event is bad (then none is stored).
            NotFoundError: If the session does not exist.
            SessionClosedError: If the session is terminated or archived and an event is new
                (events all stored already count as duplicates, as a retry).
            AlreadyExistsError: If an event's id is stored in another session (then none is stored).

        Example:
            ``await service.add_events(sid, [{"event_type": "task_created", "event_data": {"task_id": "1"}}])``
        """
        sid = validate_uuid(session_id, "session_id")
        if isinstance(events, Sequence) and not isinstance(events, str | bytes):
            prepared = prepare_event_rows(events)
            op = AppendEvents(sid, prepared, check_duplicates=chooses_ids(events))
            _, inserted = await self.store.write_async(op)
            return {"session_id": sid, "inserted": inserted, "duplicates": len(events) - inserted}
        table, check = await self.store.read_async(lambda cur: prepare_event_table(events, cur))
        total = _row_count(events)
        op_table = AppendEventTable(sid, table, check, caller_ids=chooses_ids(events))
        inserted, skipped = await self.store.write_async(op_table)
        return {"session_id": sid, "inserted": inserted, "duplicates": skipped + (total - table.num_rows)}

    # -- temporal queries -------------------------------------------------------------

    async def get_last_session(self, agent: str) -> SessionRecord | None:
        """Get the most recent session of an agent, with its events (to resume context).

        Returns:
            The session, or ``None`` if the agent has none.

        Example:
            ``last = await service.get_last_session("claude")``
        """
        name = validate_name(agent, "agent")
        return await self.store.read_async(lambda cur: queries.last_session(cur, name), snapshot=True)

    async def count_sessions(self, agent: str, days: int = 30) -> int:
        """Count the sessions an agent started in the last ``days`` days.

        Example:
            ``week_count = await service.count_sessions("claude", days=7)``
        """
        name = validate_name(agent, "agent")
        since = _days_ago(days)
        return await self.store.read_async(lambda cur: queries.count_sessions(cur, name, since))

    async def get_recent_sessions(
        self, agent: str, days: int = 7, limit: int = 20, *, offset: int = 0
    ) -> list[SessionRecord]:
        """Get an agent's sessions of the last ``days`` days, newest first, each with ``event_count``.

        Example:
            ``recent = await service.get_recent_sessions("claude", days=7)``
        """
        name = validate_name(agent, "agent")
        since = _days_ago(days)
        count = validate_limit(limit)
        skip = validate_offset(offset)
        return await self.store.read_async(
            lambda cur: queries.recent_sessions(cur, name, since, count, skip), snapshot=True
        )

    async def get_active_sessions(self, *, limit: int = MAX_LIMIT, offset: int = 0) -> list[SessionRecord]:
        """Get the sessions that have not ended (created, active or paused), newest first.

        Example:
            ``active = await service.get_active_sessions()``
        """
        count = validate_limit(limit)
        skip = validate_offset(offset)
        return await self.store.read_async(lambda cur: queries.active_sessions(cur, count, skip))

    # -- summaries, state and lifecycle ---------------------------------------------------

    async def update_session_summary(
        self, session_id: uuid.UUID | str, summary: str, metadata: Mapping[str, Any] | None = None
    ) -> SessionRecord:
        """Set a session's summary and merge ``metadata`` keys into its metadata.

        The merge is shallow: each top-level key given replaces the stored one;
        other keys are kept. The session is re-embedded for search.

        Args:
            session_id: UUID of the session.
            summary: Summary text.
            metadata: Optional keys such as key_events, decisions, outcomes, next_steps.

        Returns:
            The updated session.

        Example:
            ``await service.update_session_summary(sid, "Completed ...", {"decisions": ["use DuckDB"]})``
        """
        sid = validate_uuid(session_id, "session_id")
        text = validate_text(summary, "summary")
        meta = validate_json_object(metadata, "metadata")
        dump_json(meta, "metadata")
        return await self.store.write_async(UpdateSessionSummary(sid, text, meta or None))  # type: ignore[no-any-return]

    async def update_session_state(
        self, session_id: uuid.UUID | str, state_updates: Mapping[str, Any]
    ) -> SessionRecord:
        """Merge keys into a session's state, atomically (concurrent updates never lose each other).

        Example:
            ``await service.update_session_state(sid, {"step": 3})``
        """
        sid = validate_uuid(session_id, "session_id")
        updates = validate_json_object(state_updates, "state_updates", allow_none=False)
        dump_json(updates, "state_updates")
        return await self.store.write_async(UpdateSessionState(sid, updates))  # type: ignore[no-any-return]

    async def update_lifecycle(self, session_id: uuid.UUID | str, lifecycle: str) -> SessionRecord:
        """Move a session to another lifecycle state (see :mod:`agentlog.services.lifecycle`).

        Raises:
            ValidationError: If ``lifecycle`` is not a state name.
            InvalidTransitionError: If the move is not allowed.

        Example:
            ``await service.update_lifecycle(sid, "paused")``
        """
        sid = validate_uuid(session_id, "session_id")
        state = parse_lifecycle(lifecycle)
        return await self.store.write_async(UpdateLifecycle(sid, state))  # type: ignore[no-any-return]

    # -- search -------------------------------------------------------------------------

    async def search_sessions(
        self,
        query: str,
        limit: int = 10,
        threshold: float | None = 0.7,
        *,
        agent: str | None = None,
        project_id: uuid.UUID | str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        mode: str = "vector",
    ) -> list[SessionRecord]:
        """Search sessions by meaning (their summary and key events), best first.

        Waits until everything committed before is indexed, so a session ended
        just before is found. Filters apply before the limit.

        Args:
            query: Search query text.
            limit: Maximum results to return.
            threshold: Minimum ``similarity`` (0-1, default 0.7; inclusive; ``None`` for none).
                Ignored in ``"keyword"`` mode (every keyword match is returned); in
                ``"hybrid"`` mode it only drops hits that did not match the keywords.
            agent: Only this agent's sessions.
            project_id: Only this project's sessions.
            since: Only sessions started at or after this aware datetime.
            until: Only sessions started before this aware datetime.
            mode: ``"vector"`` (default), ``"keyword"`` or ``"hybrid"`` (see :mod:`agentlog.index.search`).

        Returns:
            Matching sessions with ``similarity`` (calibrated, 0-1) and ``cosine`` (raw).

        Raises:
            SearchUnavailableError: If the store has no embedder.

        Example:
            ``results = await service.search_sessions("database migration errors", limit=5, threshold=0.7)``
        """
        from agentlog.index.search import search_sessions

        return await search_sessions(
            self.store,
            query,
            limit=limit,
            threshold=threshold,
            agent=agent,
            project_id=project_id,
            since=since,
            until=until,
            mode=mode,  # type: ignore[arg-type]
        )

    async def search_events(
        self,
        query: str,
        *,
        session_id: uuid.UUID | str | None = None,
        agent: str | None = None,
        event_type: str | Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 10,
        threshold: float | None = None,
        mode: str = "vector",
    ) -> list[EventHit]:
        """Search events by meaning (their type and payload), best first.

        Args:
            query: Search query text (for exact identifiers, use ``mode="hybrid"`` or ``"keyword"``).
            session_id: Only events of this session.
            agent: Only events of this agent's sessions.
            event_type: Only events of this type, or of these types.
            since: Only events at or after this aware datetime.
            until: Only events before this aware datetime.
            limit: Maximum results to return.
            threshold: Minimum ``similarity`` (0-1, inclusive; default: none). Ignored in ``"keyword"``
                mode; in ``"hybrid"`` mode it only drops hits that did not match the keywords.
            mode: ``"vector"``, ``"keyword"`` or ``"hybrid"``.

        Returns:
            Matching events with ``agent``, ``similarity`` and ``cosine``.

        Example:
            ``hits = await service.search_events("TypeError in parse_input", mode="hybrid", limit=5)``
        """
        from agentlog.index.search import search_events

        return await search_events(
            self.store,
            query,
            session_id=session_id,
            agent=agent,
            event_type=event_type,
            since=since,
            until=until,
            limit=limit,
            threshold=threshold,
            mode=mode,  # type: ignore[arg-type]
        )

    async def require_session(self, session_id: uuid.UUID | str) -> SessionRecord:
        """Like :meth:`get_session`, but raise :class:`NotFoundError` instead of returning ``None``.

        Example:
            ``session = await service.require_session(sid)``
        """
        session = await self.get_session(session_id)
        if session is None:
            raise NotFoundError("session", session_id)
        return session


def _days_ago(days: Any) -> datetime:
    count = validate_positive_int(days, "days", maximum=_MAX_DAYS)
    return datetime.now(UTC) - timedelta(days=count)


def _row_count(events: Any) -> int:
    rows = getattr(events, "num_rows", None)
    if isinstance(rows, int):
        return rows
    height = getattr(events, "height", None)
    if isinstance(height, int):
        return height
    raise ValidationError("events must be a list of dicts, a pyarrow.Table or a polars.DataFrame", field="events")
