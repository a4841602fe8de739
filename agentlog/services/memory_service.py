"""MemoryService: long-term agent memory in hierarchical namespaces, versioned and searchable.

The API of the service-layer brief (``create_memory``, ``get_memory``,
``list_memories_by_namespace``, ``update_memory``, ``delete_memory``), with its
flaws fixed:

* **Namespaces** are validated (``scope:segment[:segment...]``, see
  :mod:`agentlog.services.namespaces`) and prefix listing respects segment
  boundaries with no wildcards: ``"project:a"`` lists ``project:a`` and
  ``project:a:...``, never ``project:ab``; ``_ % * '`` are literal.
* **Versions are rows.** Each change appends a version (``change`` says
  ``created``, ``updated``, ``deleted`` or ``restored``); an update supersedes
  the previous version without marking it deleted, and
  :meth:`~MemoryService.get_memory_history` shows them all. The next version
  is computed inside the single writer's transaction, so concurrent updates
  get consecutive versions and none is lost.
* **Deletes are soft**: a delete marker version; :meth:`~MemoryService.restore_memory`
  undoes it with a new version.
* **Expiry**: a memory with ``ttl`` / ``expires_at`` (and every ``temp:``
  memory, by default 24 hours after it was written) is invisible to every read
  and search once expired, and :meth:`~MemoryService.sweep_expired` deletes
  its rows. Expiry belongs to each version, as the value it was given with: a
  memory whose latest version expired is gone with its history (creating it
  again starts at version 1), and an older version whose own expiry passed
  drops out of the history of a memory that lives on. ``session:<id>``
  memories are removed with :meth:`~MemoryService.clear_session_memories`, with
  their session by ``SessionService.delete_session``, or for every session that
  ended or is gone by ``sweep_expired(ended_sessions=True)``.
* **Search**: each memory is embedded from ``key: flattened value``; an update
  replaces its vector and a delete removes it.

Records are dicts (:class:`~agentlog.services.memory_sql.MemoryRecord`); ids
are UUIDs and timestamps ISO-8601 UTC strings, as everywhere in agentlog.

Example:
    >>> import asyncio
    >>> from agentlog import MemoryService, Store
    >>> async def demo():
    ...     with Store.memory() as store:
    ...         memory = MemoryService(store)
    ...         await memory.create_memory("user:alice", "ui_theme", "user prefers dark mode", "semantic")
    ...         await memory.update_memory("user:alice", "ui_theme", "user prefers light mode")
    ...         current = await memory.get_memory("user:alice", "ui_theme")
    ...         history = await memory.get_memory_history("user:alice", "ui_theme")
    ...         return current["value"], [(h["version"], h["change"]) for h in history]
    >>> asyncio.run(demo())
    ('user prefers light mode', [(2, 'updated'), (1, 'created')])
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from agentlog.errors import NotFoundError
from agentlog.records import epoch_us
from agentlog.services import memory_sql as sql
from agentlog.services.memory_args import resolve_expiry, validate_memory_type, validate_ttl
from agentlog.services.memory_ops import (
    ClearMemories,
    DeleteMemory,
    RestoreMemory,
    SweepMemories,
    WriteMemory,
)
from agentlog.services.memory_sql import MemoryRecord
from agentlog.services.namespaces import (
    memory_uuid,
    scope_of,
    session_namespace,
    validate_key,
    validate_namespace,
    validate_namespace_prefix,
)
from agentlog.store import Store
from agentlog.validation import (
    dump_json,
    validate_aware_datetime,
    validate_json_object,
    validate_json_value,
    validate_limit,
    validate_positive_int,
    validate_uuid,
)

__all__ = ["DEFAULT_TEMP_TTL", "MemoryService"]

DEFAULT_TEMP_TTL = timedelta(hours=24)
"""How long a ``temp:`` memory lives when no ``ttl`` / ``expires_at`` is given."""


class MemoryService:
    """Memories of one store.

    Args:
        store: The store to use. :func:`agentlog.get_memory_service` builds one
            on the default store.
        temp_ttl: Time to live of ``temp:`` memories written without ``ttl`` /
            ``expires_at`` (default 24 hours).
        clock: Returns the current aware time, for expiry (default: the system
            clock; tests pass a fake one). A naive time is refused (``ValidationError``) when it is used.

    Attributes:
        store: The store this service reads and writes.
        temp_ttl: Time to live of ``temp:`` memories written without ``ttl`` / ``expires_at``.
    """

    def __init__(
        self,
        store: Store,
        *,
        temp_ttl: timedelta = DEFAULT_TEMP_TTL,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.temp_ttl = validate_ttl(temp_ttl, "temp_ttl")
        self._clock = clock or (lambda: datetime.now(UTC))

    def _now(self) -> datetime:
        return validate_aware_datetime(self._clock(), "clock()")  # a naive time would be taken as local time

    # -- writing ------------------------------------------------------------------

    def _write_op(
        self,
        mode: str,
        namespace: Any,
        key: Any,
        value: Any,
        memory_type: Any,
        metadata: Any,
        ttl: Any,
        expires_at: Any,
    ) -> WriteMemory:
        ns = validate_namespace(namespace)
        name = validate_key(key)
        validate_json_value(value, "value")
        value_json = dump_json(value, "value")
        kind = validate_memory_type(memory_type) if memory_type is not None else None
        meta = validate_json_object(metadata, "metadata") if metadata is not None else None
        meta_json = dump_json(meta, "metadata") if meta is not None else None
        now = self._now()
        expiry = resolve_expiry(ttl, expires_at, now)
        default = now + self.temp_ttl if scope_of(ns) == "temp" else None
        return WriteMemory(
            mode=mode,  # type: ignore[arg-type]
            memory_id=memory_uuid(ns, name),
            namespace=ns,
            key=name,
            value_json=value_json,
            memory_type=kind,
            metadata=meta,
            metadata_json=meta_json,
            expiry_given=expiry is not None,
            expires_at=expiry,
            default_expires_at=default,
            now=now,
        )

    async def create_memory(
        self,
        namespace: str,
        key: str,
        value: Any,
        memory_type: str,
        metadata: Mapping[str, Any] | None = None,
        *,
        ttl: timedelta | float | None = None,
        expires_at: datetime | None = None,
    ) -> uuid.UUID:
        """Create a memory: version 1, or the next version after a delete.

        A memory whose latest version expired is gone with its history, so
        creating it again starts at version 1 (see the module docstring).

        Args:
            namespace: Hierarchical namespace, e.g. ``"project:myapp:agent"`` or ``"user:alice"``.
            key: Memory key within the namespace.
            value: Memory value (any JSON data).
            memory_type: ``short_term``, ``semantic``, ``episodic`` or ``procedural``.
            metadata: Optional metadata (a JSON object).
            ttl: Optional time to live (``timedelta`` or seconds).
            expires_at: Optional aware expiry time (instead of ``ttl``).

        Returns:
            The id of the new version's row (``get_memory(...)["id"]``).

        Raises:
            ValidationError: For a bad argument.
            AlreadyExistsError: If the key is live in the namespace (use
                :meth:`update_memory`, or :meth:`put_memory` to create or update).

        Example:
            ``memory_id = await memory.create_memory("user:alice", "ui_theme", "dark", "semantic")``
        """
        op = self._write_op(
            "create", namespace, key, value, validate_memory_type(memory_type), metadata, ttl, expires_at
        )
        record: MemoryRecord = await self.store.write_async(op)
        return record["id"]

    async def put_memory(
        self,
        namespace: str,
        key: str,
        value: Any,
        memory_type: str,
        metadata: Mapping[str, Any] | None = None,
        *,
        ttl: timedelta | float | None = None,
        expires_at: datetime | None = None,
    ) -> MemoryRecord:
        """Create the memory, or update it if it is live (value, type, and metadata / expiry when given).

        Example:
            ``record = await memory.put_memory("user:alice", "ui_theme", "dark", "semantic")``
        """
        op = self._write_op("put", namespace, key, value, validate_memory_type(memory_type), metadata, ttl, expires_at)
        return await self.store.write_async(op)  # type: ignore[no-any-return]

    async def update_memory(
        self,
        namespace: str,
        key: str,
        value: Any,
        *,
        metadata: Mapping[str, Any] | None = None,
        ttl: timedelta | float | None = None,
        expires_at: datetime | None = None,
    ) -> MemoryRecord:
        """Write a new version of a live memory; the previous one stays in the history (superseded).

        The type, metadata and expiry are kept unless given.

        Returns:
            The new version.

        Raises:
            NotFoundError: If the memory does not exist, was deleted or expired.

        Example:
            ``await memory.update_memory("user:alice", "ui_theme", "light")``
        """
        op = self._write_op("update", namespace, key, value, None, metadata, ttl, expires_at)
        return await self.store.write_async(op)  # type: ignore[no-any-return]

    async def delete_memory(self, namespace: str, key: str) -> bool:
        """Soft-delete a memory: it disappears from reads and search; the history keeps it.

        Returns:
            ``True``; ``False`` if there was no live memory to delete (never set, deleted, or expired),
            in which case nothing changes. Like the brief's ``delete_memory`` (and
            ``DocumentIndexService.delete_document``), a missing memory is not an error.

        Example:
            ``await memory.delete_memory("user:alice", "ui_theme")``
        """
        ns, name = validate_namespace(namespace), validate_key(key)
        try:
            await self.store.write_async(DeleteMemory(memory_uuid(ns, name), ns, name, self._now()))
        except NotFoundError:  # raised before the op changed anything
            return False
        return True

    async def restore_memory(self, namespace: str, key: str) -> MemoryRecord:
        """Undo a soft delete: a new version with the deleted value (``change='restored'``).

        Raises:
            NotFoundError: If the memory does not exist (or expired).
            AlreadyExistsError: If it is not deleted.

        Example:
            ``record = await memory.restore_memory("user:alice", "ui_theme")``
        """
        ns, name = validate_namespace(namespace), validate_key(key)
        return await self.store.write_async(RestoreMemory(memory_uuid(ns, name), ns, name, self._now()))  # type: ignore[no-any-return]

    async def sweep_expired(self, *, ended_sessions: bool = False) -> int:
        """Delete the rows of expired memories (they are invisible already), returning how many memories went.

        Args:
            ended_sessions: Also delete every memory under ``session:<id>`` whose
                session has ended (``end_session``, lifecycle terminated/archived)
                or is not in the store (deleted).

        Example:
            ``removed = await memory.sweep_expired(ended_sessions=True)``
        """
        return await self.store.write_async(SweepMemories(self._now(), bool(ended_sessions)))  # type: ignore[no-any-return]

    async def clear_session_memories(self, session_id: uuid.UUID | str) -> int:
        """Delete (for good, all versions) the memories of ``session:<session_id>`` and below; returns how many.

        Call it when the session ends::

            await sessions.end_session(sid, summary="...")
            await memory.clear_session_memories(sid)

        Example:
            ``await memory.clear_session_memories(session["id"])``
        """
        sid = validate_uuid(session_id, "session_id")
        return await self.store.write_async(ClearMemories(session_namespace(sid)))  # type: ignore[no-any-return]

    # -- reading --------------------------------------------------------------------

    async def get_memory(self, namespace: str, key: str, version: int | None = None) -> MemoryRecord | None:
        """Get the live memory (latest version), or one stored version.

        Args:
            namespace: Memory namespace.
            key: Memory key.
            version: A version number to read instead of the latest (it may be
                superseded or a delete marker: see its ``change``).

        Returns:
            The record, or ``None`` (no such memory, expired, no such version, or, when no
            ``version`` is asked, deleted: the versions of a deleted memory stay readable).

        Example:
            ``record = await memory.get_memory("user:alice", "ui_theme")``
        """
        ns, name = validate_namespace(namespace), validate_key(key)
        wanted = validate_positive_int(version, "version") if version is not None else None
        now = self._now()
        ident = memory_uuid(ns, name)
        rows = await self.store.read_async(
            lambda cur: cur.execute(sql.HEAD_AND_VERSION_OF, {"id": ident, "version": wanted}).fetchall()
        )
        if not rows or _expired(rows[0], now):
            return None
        if wanted is None:
            return sql.memory_row(rows[0]) if rows[0][5] != "deleted" else None
        for row in rows:
            if row[4] == wanted and not _expired(row, now):
                return sql.memory_row(row)
        return None

    async def get_memory_history(self, namespace: str, key: str) -> list[MemoryRecord]:
        """Every stored version of a memory, newest first, each with ``change`` and ``is_current``.

        Superseded versions have ``is_current=False`` and their own ``change``
        (``created``/``updated``/``restored``); a delete shows as a version with
        ``change='deleted'``. An expired memory has no history, and a version
        whose own expiry has passed is left out (see the module docstring).

        Example:
            ``versions = await memory.get_memory_history("user:alice", "ui_theme")``
        """
        ns, name = validate_namespace(namespace), validate_key(key)
        now = self._now()
        rows = await self._versions(ns, name)
        if not rows or _expired(rows[0], now):
            return []
        records = []
        for position, row in enumerate(rows):
            if _expired(row, now):
                continue
            record = sql.memory_row(row)
            record["is_current"] = position == 0
            records.append(record)
        return records

    async def list_memories_by_namespace(
        self, namespace_prefix: str, memory_type: str | None = None, limit: int = 100
    ) -> list[MemoryRecord]:
        """List live memories in a namespace and below it, most recently changed first.

        Args:
            namespace_prefix: A namespace (``"project:myapp"`` lists it and
                ``project:myapp:...``, never ``project:myapp2``) or a bare scope (``"user"``).
            memory_type: Only memories of this type.
            limit: Maximum results (default 100).

        Example:
            ``memories = await memory.list_memories_by_namespace("project:myapp", memory_type="semantic")``
        """
        prefix = validate_namespace_prefix(namespace_prefix)
        kind = validate_memory_type(memory_type) if memory_type is not None else None
        count = validate_limit(limit)
        query = sql.list_memories_sql(prefix=True, memory_type=kind is not None)
        params: dict[str, Any] = {"prefix": prefix, "now": self._now(), "limit": count}
        if kind is not None:
            params["type"] = kind
        rows = await self.store.read_async(lambda cur: cur.execute(query, params).fetchall())
        return [sql.memory_row(row) for row in rows]

    async def list_namespaces(self, prefix: str | None = None) -> list[str]:
        """The namespaces that hold live memories (under ``prefix``, if given), sorted.

        Example:
            ``await memory.list_namespaces("project")``
        """
        chosen = validate_namespace_prefix(prefix, "prefix") if prefix is not None else None
        query = sql.list_namespaces_sql(prefix=chosen is not None)
        params: dict[str, Any] = {"now": self._now()}
        if chosen is not None:
            params["prefix"] = chosen
        rows = await self.store.read_async(lambda cur: cur.execute(query, params).fetchall())
        return [row[0] for row in rows]

    async def search_memories(
        self,
        query: str,
        namespace_prefix: str | None = None,
        memory_type: str | None = None,
        limit: int = 10,
        threshold: float | None = None,
        *,
        mode: str = "vector",
    ) -> list[MemoryRecord]:
        """Find live memories by meaning, best first (filters apply before the limit).

        Args:
            query: What to look for, in words.
            namespace_prefix: Only memories in this namespace and below (or this scope).
            memory_type: Only memories of this type.
            limit: Maximum results (default 10).
            threshold: Minimum ``similarity`` (0-1, inclusive; default none). Ignored in ``"keyword"``
                mode; in ``"hybrid"`` mode it only drops hits that did not match the keywords.
            mode: ``"vector"`` (default), ``"keyword"`` or ``"hybrid"``.

        Returns:
            Memory records with ``similarity`` (calibrated, 0-1) and ``cosine`` (raw).

        Raises:
            SearchUnavailableError: If the store has no embedder.

        Example:
            ``hits = await memory.search_memories("UI theme preference", namespace_prefix="user:alice")``
        """
        from agentlog.index.lance_filter import Filter
        from agentlog.index.search import search_table, validate_query

        text, chosen_mode, minimum = validate_query(query, mode, threshold)
        prefix = validate_namespace_prefix(namespace_prefix) if namespace_prefix is not None else None
        kind = validate_memory_type(memory_type) if memory_type is not None else None
        count = validate_limit(limit)
        now = self._now()
        where = (
            Filter()
            .starts_with("namespace", prefix, separator=":")
            .equals("memory_type", kind)
            .at_least("expires_us", epoch_us(now) + 1)
            .sql()
        )
        live = sql.live_by_ids_sql()

        def fetch(cur: Any, hits: list[Any]) -> dict[str, dict[str, Any]]:
            rows = cur.execute(live, {"ids": [uuid.UUID(h.id) for h in hits], "now": now}).fetchall()
            records = [dict(sql.memory_row(row)) for row in rows]
            # The type may have changed (put_memory) since the vector was indexed: filter the current version too.
            return {str(r["memory_id"]): r for r in records if kind is None or r["memory_type"] == kind}

        found = await search_table(
            self.store, "memories", text, where=where, limit=count, threshold=minimum, mode=chosen_mode, fetch=fetch
        )
        return found  # type: ignore[return-value]

    async def _versions(self, namespace: str, key: str) -> list[tuple[Any, ...]]:
        ident = memory_uuid(namespace, key)
        return await self.store.read_async(lambda cur: cur.execute(sql.VERSIONS_OF, {"id": ident}).fetchall())

    async def require_memory(self, namespace: str, key: str) -> MemoryRecord:
        """Like :meth:`get_memory`, but raise :class:`NotFoundError` instead of returning ``None``.

        Example:
            ``record = await memory.require_memory("user:alice", "ui_theme")``
        """
        record = await self.get_memory(namespace, key)
        if record is None:
            raise NotFoundError("memory", f"{namespace} / {key}")
        return record


def _expired(row: tuple[Any, ...], now: datetime) -> bool:
    expires_at = row[9]
    return expires_at is not None and expires_at <= now
