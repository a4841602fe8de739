"""Search hits as Polars frames: sessions, events, memories and document chunks, best first.

:func:`search_frame` runs one of agentlog's searches (the same ones as
``SessionService.search_sessions`` / ``search_events``,
``MemoryService.search_memories`` and ``DocumentIndexService.semantic_search``)
and returns the hits as an eager :class:`polars.DataFrame` with the columns of
:data:`~agentlog.analytics.schemas.SEARCH_SCHEMAS` ``[kind]``: ``rank``,
``similarity``, ``cosine``, ``score``, ``keyword_match``, then the row's own
columns (ids as strings, instants as ``Datetime("us", "UTC")``, JSON as text).

The searches are coroutines; this function is synchronous like every analytics
function. It runs the coroutine on a private event loop in a background thread
and waits for it, so it works the same in a script (no loop running) and in
Jupyter or inside ``async`` code (a loop already running on the calling
thread, which ``asyncio.run()`` would refuse), without touching the caller's loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, TypeVar

import polars as pl

from agentlog.analytics import schemas
from agentlog.errors import ValidationError
from agentlog.records import is_error_event
from agentlog.store import Store, require_open_store
from agentlog.validation import validate_limit

__all__ = ["SEARCH_FILTERS", "SEARCH_KINDS", "SearchKind", "search_frame"]

T = TypeVar("T")

SearchKind = Literal["sessions", "events", "memories", "documents"]
"""What :func:`search_frame` searches."""

SEARCH_KINDS: tuple[str, ...] = ("sessions", "events", "memories", "documents")
"""The kinds :func:`search_frame` accepts."""

SEARCH_FILTERS: Mapping[str, tuple[str, ...]] = {
    "sessions": ("agent", "project_id", "since", "until"),
    "events": ("agent", "session_id", "event_type", "since", "until"),
    "memories": ("namespace", "memory_type"),
    "documents": ("namespace", "document_type"),
}
"""The filter arguments of :func:`search_frame` that apply to each kind (the others must stay ``None``).

Example:
    >>> SEARCH_FILTERS["memories"]
    ('namespace', 'memory_type')
"""


class _BackgroundLoop:
    """A private event loop in a daemon thread, started on first use, that runs coroutines for sync callers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._thread is None or not self._thread.is_alive():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="agentlog-analytics-loop", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the background loop and return its result (or raise its error)."""
        loop = self._running_loop()
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("a sync agentlog analytics call cannot run on its own background loop")
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # e.g. KeyboardInterrupt in Jupyter: stop the search too
            raise

    def forget(self) -> None:
        """Drop the loop (after ``fork``, its thread does not exist in the child)."""
        self._lock = threading.Lock()
        self._loop = None
        self._thread = None


_LOOP = _BackgroundLoop()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_LOOP.forget)


def search_frame(
    store: Store,
    query: str,
    *,
    kind: SearchKind = "sessions",
    mode: str = "vector",
    limit: int = 10,
    threshold: float | None = None,
    agent: str | None = None,
    project_id: uuid.UUID | str | None = None,
    session_id: uuid.UUID | str | None = None,
    event_type: str | Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    namespace: str | None = None,
    memory_type: str | None = None,
    document_type: str | None = None,
) -> pl.DataFrame:
    """Search sessions, events, memories or documents and return the hits as a frame, best first.

    Waits until everything committed so far is indexed (read-your-writes), as
    every agentlog search does. Filters apply before the limit.

    Args:
        store: The store to search (opened with an embedder).
        query: What to look for, in words (or an exact name with ``mode="keyword"`` / ``"hybrid"``).
        kind: ``"sessions"`` (by summary and key events), ``"events"`` (by type and
            payload), ``"memories"`` (live memories, by key and value) or
            ``"documents"`` (document chunks).
        mode: ``"vector"`` (by meaning), ``"keyword"`` (BM25 on the indexed text) or
            ``"hybrid"`` (both, fused by rank).
        limit: Most hits (1-100,000).
        threshold: Keep hits with ``similarity >= threshold`` (0-1); ``None`` (the
            default, for every kind) keeps all: the frame shows each hit's
            ``similarity`` for you to judge. (``SessionService.search_sessions``
            defaults to 0.7.) Ignored in ``"keyword"`` mode; in ``"hybrid"`` mode it
            only drops hits that did not match the keywords.
        agent: Sessions / events: only this agent's.
        project_id: Sessions: only this project's (UUID or string).
        session_id: Events: only this session's.
        event_type: Events: only this type, or these types.
        since: Sessions: started at or after; events: timestamped at or after (aware datetime).
            An event without a timestamp counts as at its session's start, as in the analytics windows.
        until: Sessions: started before; events: timestamped before (aware datetime).
        namespace: Memories / documents: only this namespace and below (``"project:a"``
            matches ``project:a`` and ``project:a:...``, never ``project:ab``).
        memory_type: Memories: only this type.
        document_type: Documents: only this type.

    Returns:
        A frame with the columns of
        :data:`~agentlog.analytics.schemas.SEARCH_SCHEMAS` ``[kind]``, one row per hit,
        ``rank`` 1 first.

    Raises:
        ValidationError: For a bad argument, or a filter that does not apply to
            ``kind`` (see :data:`SEARCH_FILTERS`).
        SearchUnavailableError: If the store has no embedder.

    Example:
        >>> from agentlog import Store
        >>> from agentlog.demo import generate_demo_data, load_demo_data
        >>> with Store.memory(embedder="fake") as store:
        ...     _ = load_demo_data(store, generate_demo_data(sessions=20))
        ...     hits = search_frame(store, "flaky tests in CI", kind="sessions", limit=3)
        >>> hits.height, hits["rank"].to_list(), hits.schema["started_at"]
        (3, [1, 2, 3], Datetime(time_unit='us', time_zone='UTC'))
    """
    checked = require_open_store(store)
    chosen = _check_kind(kind)
    count = validate_limit(limit)
    filters = {
        "agent": agent,
        "project_id": project_id,
        "session_id": session_id,
        "event_type": event_type,
        "since": since,
        "until": until,
        "namespace": namespace,
        "memory_type": memory_type,
        "document_type": document_type,
    }
    given = {name: value for name, value in filters.items() if value is not None}
    stray = sorted(set(given) - set(SEARCH_FILTERS[chosen]))
    if stray:
        raise ValidationError(
            f"{', '.join(stray)} does not apply to kind={chosen!r}; its filters are "
            f"{', '.join(SEARCH_FILTERS[chosen])}",
            field=stray[0],
        )
    records = _LOOP.run(_search(checked, chosen, query, mode=mode, limit=count, threshold=threshold, filters=given))
    return _frame(chosen, records)


def _check_kind(kind: Any) -> SearchKind:
    if kind == "sessions":
        return "sessions"
    if kind == "events":
        return "events"
    if kind == "memories":
        return "memories"
    if kind == "documents":
        return "documents"
    raise ValidationError(
        f"kind must be one of {', '.join(SEARCH_KINDS)}; got {kind!r}", field="kind", value=repr(kind)[:80]
    )


async def _search(
    store: Store,
    kind: SearchKind,
    query: str,
    *,
    mode: str,
    limit: int,
    threshold: float | None,
    filters: dict[str, Any],
) -> list[dict[str, Any]]:
    # Imported here: the index and the services import the store, which the analytics package must not cycle on.
    from agentlog.index.search import search_events, search_sessions
    from agentlog.services import DocumentIndexService, MemoryService

    found: Sequence[Mapping[str, Any]]
    if kind == "sessions":
        found = await search_sessions(store, query, mode=mode, limit=limit, threshold=threshold, **filters)  # type: ignore[arg-type]
    elif kind == "events":
        found = await search_events(store, query, mode=mode, limit=limit, threshold=threshold, **filters)  # type: ignore[arg-type]
    elif kind == "memories":
        found = await MemoryService(store).search_memories(
            query,
            namespace_prefix=filters.get("namespace"),
            memory_type=filters.get("memory_type"),
            limit=limit,
            threshold=threshold,
            mode=mode,
        )
    else:
        found = await DocumentIndexService(store).semantic_search(
            query,
            namespace=filters.get("namespace"),
            limit=limit,
            threshold=threshold,
            document_type=filters.get("document_type"),
            mode=mode,
        )
    return [dict(record) for record in found]


Extract = Callable[[Mapping[str, Any]], Any]


def _ident(key: str) -> Extract:
    return lambda record: None if record.get(key) is None else str(record[key])


def _field(key: str) -> Extract:
    return lambda record: record.get(key)


def _instant(key: str) -> Extract:
    return lambda record: None if record.get(key) is None else datetime.fromisoformat(record[key])


def _json(key: str) -> Extract:
    return lambda record: json.dumps(record.get(key), ensure_ascii=False, separators=(",", ":"))


def _is_error(record: Mapping[str, Any]) -> bool:
    return is_error_event(record.get("event_type", ""), record.get("metadata"))


_COLUMNS: dict[str, dict[str, Extract]] = {
    "sessions": {
        "session_id": _ident("id"),
        "agent": _field("agent"),
        "project_id": _ident("project_id"),
        "user_id": _field("user_id"),
        "app_name": _field("app_name"),
        "lifecycle": _field("lifecycle"),
        "summary": _field("summary"),
        "started_at": _instant("started_at"),
        "ended_at": _instant("ended_at"),
    },
    "events": {
        "event_id": _ident("id"),
        "session_id": _ident("session_id"),
        "seq": _field("seq"),
        "agent": _field("agent"),
        "event_type": _field("event_type"),
        "timestamp": _instant("timestamp"),
        "is_error": _is_error,
        "event_data": _json("event_data"),
        "metadata": _json("metadata"),
    },
    "memories": {
        "memory_id": _ident("memory_id"),
        "namespace": _field("namespace"),
        "key": _field("key"),
        "value": _json("value"),
        "memory_type": _field("memory_type"),
        "version": _field("version"),
        "metadata": _json("metadata"),
        "created_at": _instant("created_at"),
        "updated_at": _instant("updated_at"),
        "expires_at": _instant("expires_at"),
    },
    "documents": {
        "chunk_id": _ident("chunk_id"),
        "document_id": _ident("id"),
        "file_path": _field("file_path"),
        "title": _field("title"),
        "document_type": _field("document_type"),
        "namespace": _field("namespace"),
        "chunk_index": _field("chunk_index"),
        "chunk_text": _field("chunk_text"),
        "updated_at": _instant("updated_at"),
    },
}


def _frame(kind: SearchKind, records: list[dict[str, Any]]) -> pl.DataFrame:
    """The records of one search (best first) as a frame of ``SEARCH_SCHEMAS[kind]``."""
    columns: dict[str, list[Any]] = {
        "rank": list(range(1, len(records) + 1)),
        "similarity": [float(r["similarity"]) for r in records],
        "cosine": [float(r["cosine"]) for r in records],
        "score": [r.get("score") for r in records],
        "keyword_match": [r.get("keyword_match") for r in records],
    }
    for name, extract in _COLUMNS[kind].items():
        columns[name] = [extract(record) for record in records]
    return pl.DataFrame(columns, schema=schemas.SEARCH_SCHEMAS[kind])
