"""Semantic, keyword and hybrid search over the vector index.

Every search first waits until everything committed before it is indexed
(read-your-writes), embeds the query, and asks LanceDB for the nearest rows
with the filters applied *before* the limit (prefiltering), so a search never
returns fewer hits than exist. Hits are then read from DuckDB (the source of
truth) and returned as records with:

* ``cosine``: the raw cosine similarity of query and row;
* ``similarity``: the embedder's calibrated score in [0, 1] (0.7 = clearly the
  same topic, 0.5 = loosely related; see :mod:`agentlog.embeddings`).
  ``threshold`` keeps hits with ``similarity >= threshold``.

Modes:

* ``"vector"``: nearest by meaning.
* ``"keyword"``: BM25 full-text matches on the indexed text (exact names,
  error types, file paths), best first; ``threshold`` is not applied.
* ``"hybrid"``: both lists fused by reciprocal rank (``score`` =
  Σ 1 / (60 + rank)); a hit is kept when it matched the keywords or its
  similarity reaches the threshold.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyarrow as pa

from agentlog.errors import SearchUnavailableError, ValidationError
from agentlog.index.lance_filter import Filter
from agentlog.index.vectors import VectorTables
from agentlog.records import EventHit, SessionRecord, epoch_us
from agentlog.services import session_sql as sql
from agentlog.store import Store
from agentlog.validation import (
    validate_event_types,
    validate_limit,
    validate_name,
    validate_since_until,
    validate_text,
    validate_uuid,
)

if TYPE_CHECKING:
    from agentlog.index.indexer import Indexer

__all__ = [
    "MODES",
    "Fetch",
    "Hit",
    "SearchMode",
    "rank",
    "require_index",
    "rows_for_hits",
    "search_events",
    "search_sessions",
    "search_table",
    "sessions_filter",
    "validate_query",
]

SearchMode = Literal["vector", "keyword", "hybrid"]
"""A search mode (see the module docstring)."""
MODES: tuple[str, ...] = ("vector", "keyword", "hybrid")
"""The search modes."""

RRF_K = 60
"""The constant of reciprocal-rank fusion."""
MAX_QUERY_CHARS = 10_000
"""Longest query text."""
VANISHED_RETRIES = 2
"""Times a search runs again when some of its hits were deleted or replaced while it ran (see :func:`search_table`).

A document indexed again gets new chunk ids: a search that found the old chunks in the index and then read
DuckDB after the new ones were committed dropped every hit. With a document re-indexed every 50 ms, a
review's probe saw 80 of 300 searches come back empty; each run again has that chance of meeting one more.
"""


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked row of the index.

    ``index_lsn`` is the change that indexed the row: the same number sits on
    the DuckDB row it was built from (unless that row changed since), which
    lets a fetch skip the row groups of other changes. ``fields`` holds the
    index columns a search asked to carry (values that never change once
    written, such as an event's agent, so the fetch need not look them up).
    """

    id: str
    """The row's id in the index (UUID text)."""
    cosine: float
    """Raw cosine similarity of the query and the row, in [-1, 1]."""
    similarity: float
    """The embedder's calibrated score in [0, 1]."""
    score: float
    """Reciprocal-rank fusion score, Σ 1 / (:data:`RRF_K` + rank) over the lists that found the row."""
    keyword: bool
    """Whether the keyword (full-text) search found the row."""
    index_lsn: int | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)


def validate_query(query: Any, mode: Any, threshold: Any) -> tuple[str, SearchMode, float | None]:
    """Check the common search arguments; the query comes back in Unicode NFC, as indexed texts are.

    Example:
        >>> validate_query("database migration", "vector", 0.7)
        ('database migration', 'vector', 0.7)
        >>> validate_query("cafe\u0301", "keyword", None)[0] == "caf\u00e9"
        True
    """
    if not isinstance(query, str) or not query.strip():
        raise ValidationError("query must be a non-empty string", field="query", value=repr(query)[:80])
    if len(query) > MAX_QUERY_CHARS:
        raise ValidationError(f"query is longer than {MAX_QUERY_CHARS} characters", field="query")
    validate_text(query, "query", max_bytes=4 * MAX_QUERY_CHARS)  # a lone surrogate cannot be embedded
    if mode not in MODES:
        raise ValidationError(f"mode must be one of {', '.join(MODES)}; got {mode!r}", field="mode", value=repr(mode))
    if threshold is not None:
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
            raise ValidationError(
                f"threshold must be a number from 0 to 1 (or None), got {threshold!r}", field="threshold"
            )
        threshold = float(threshold)
    return unicodedata.normalize("NFC", query), mode, threshold


def _window(since: datetime | None, until: datetime | None) -> tuple[int | None, int | None]:
    """``since`` and ``until`` in microseconds, checked by :func:`~agentlog.validation.validate_since_until`."""
    start, end = validate_since_until(since, until)
    return (None if start is None else epoch_us(start)), (None if end is None else epoch_us(end))


def require_index(store: Store) -> Indexer:
    """Return the store's indexer, or raise :class:`SearchUnavailableError` when it has none.

    Example:
        >>> with Store.memory(embedder=None) as store:
        ...     require_index(store)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        agentlog.errors.SearchUnavailableError: semantic search needs an embedder, but this store was opened ...
    """
    store.check_open()
    if store.index is None:
        raise SearchUnavailableError(
            "semantic search needs an embedder, but this store was opened without one "
            "(embedder=None or AGENTLOG_EMBEDDER=none); open it with an embedder, e.g. Store(path) for the "
            "offline default"
        )
    return store.index


Fetch = Callable[[Any, list[Hit]], dict[str, dict[str, Any]]]
"""``fetch(cursor, hits)`` returns the DuckDB records of the hits by id (leaving out rows that are gone)."""


async def search_table(
    store: Store,
    table: str,
    query: str,
    *,
    where: str | None,
    limit: int,
    threshold: float | None,
    mode: SearchMode,
    fetch: Fetch,
    carry: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Search one LanceDB table for an already validated query; return the hits' records, best first.

    Waits until ``table`` holds everything committed so far, embeds the query
    on a reader thread, ranks the rows (:func:`rank`), reads the hits' rows
    from DuckDB with ``fetch``, and adds ``similarity`` and ``cosine`` (plus
    ``score`` and ``keyword_match`` outside vector mode). Every semantic search
    of agentlog (sessions, events, memories, document chunks) goes through here.

    A hit whose row ``fetch`` no longer finds (deleted, or replaced by a new
    version, after the index was read) is left out; if writes were committed
    while the search ran, it runs again (at most :data:`VANISHED_RETRIES`
    times) on the index brought up to them, so that rows replaced meanwhile are
    found under their new ids and the limit is filled again.

    Args:
        store: The store.
        table: The LanceDB table (a source name).
        query: The query text.
        where: A filter built with :class:`~agentlog.index.lance_filter.Filter`.
        limit: Most hits.
        threshold: Minimum similarity (``None``: none).
        mode: ``"vector"``, ``"keyword"`` or ``"hybrid"``.
        fetch: Reads the records of the hits.
        carry: Index columns to bring along in each hit's ``fields``.

    Raises:
        SearchUnavailableError: If the store has no embedder, or indexing fails.

    Example:
        ``hits = await search_table(store, "memories", "dark mode", where=None, limit=5, threshold=None,
        mode="vector", fetch=fetch)``
    """
    index = require_index(store)
    tables, embedder = index.tables, index.embedder
    embedded: list[np.ndarray] = []  # the query's vector, embedded by the first run

    def run(cur: Any) -> tuple[list[dict[str, Any]], bool]:
        if not embedded:
            embedded.append(embedder.embed([query])[0])
        vector = embedded[0]
        hits = rank(
            tables,
            table,
            vector,
            query,
            where=where,
            limit=limit,
            threshold=threshold,
            mode=mode,
            calibrate=embedder.calibration,
            carry=carry,
        )
        records = fetch(cur, hits) if hits else {}
        results = []
        for hit in hits:
            record = records.get(hit.id)
            if record is None:
                continue  # deleted or replaced since it was indexed
            record = dict(record)
            record["similarity"] = hit.similarity
            record["cosine"] = hit.cosine
            if mode != "vector":
                record["score"] = hit.score
                record["keyword_match"] = hit.keyword
            results.append(record)
        return results, len(results) < len(hits)

    for attempt in range(VANISHED_RETRIES + 1):
        indexed = store.committed_lsn
        await index.wait_async(indexed, sources=[table])
        results, vanished = await store.read_async(run)
        if not vanished or store.committed_lsn == indexed or attempt == VANISHED_RETRIES:
            break
    return results


def _clamped(cosine: float) -> float:
    """A cosine in [-1, 1]: float32 vectors of length 1 give 1.0000001 for a text and itself."""
    return min(1.0, max(-1.0, cosine))


def rank(
    tables: VectorTables,
    table: str,
    query_vector: np.ndarray,
    query: str,
    *,
    where: str | None,
    limit: int,
    threshold: float | None,
    mode: SearchMode,
    calibrate: Any,
    carry: Sequence[str] = (),
) -> list[Hit]:
    """Rank the rows of one LanceDB table for a query (the shared core of every search).

    ``carry`` names index columns whose values each hit brings along in ``fields``.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> tables = VectorTables(Path(tempfile.mkdtemp()), dimension=4)
        >>> rank(tables, "events", np.ones(4, np.float32) / 2, "x", where=None, limit=3,
        ...      threshold=None, mode="vector", calibrate=lambda c: c)
        []
    """
    pool = limit if mode == "vector" else max(limit * 4, 40)
    hits: dict[str, dict[str, Any]] = {}
    if mode in ("vector", "hybrid"):
        found = tables.vector_search(table, query_vector, where=where, limit=pool, columns=carry)
        for position, (row_id, lsn, distance, carried) in enumerate(
            zip(
                *(found.column(c).to_pylist() for c in ("id", "index_lsn", "_distance")),
                _carried(found, carry),
                strict=True,
            )
        ):
            hits[row_id] = {
                "cosine": _clamped(1.0 - float(distance)),
                "vector_rank": position,
                "keyword_rank": None,
                "lsn": lsn,
                "fields": carried,
            }
    if mode in ("keyword", "hybrid"):
        found = tables.keyword_search(table, query, where=where, limit=pool, columns=carry)
        vectors = _matrix(found.column("vector"), tables.dimension)
        cosines = vectors @ np.asarray(query_vector, np.float32) if len(vectors) else np.zeros(0)
        for position, (row_id, lsn, carried) in enumerate(
            zip(
                found.column("id").to_pylist(),
                found.column("index_lsn").to_pylist(),
                _carried(found, carry),
                strict=True,
            )
        ):
            entry = hits.setdefault(
                row_id,
                {"cosine": _clamped(float(cosines[position])), "vector_rank": None, "lsn": lsn, "fields": carried},
            )
            entry["keyword_rank"] = position
    ranked: list[Hit] = []
    # one call for every hit: the calibration's numpy work costs about 80 us per call, whatever its size
    similarities = np.asarray(calibrate(np.array([e["cosine"] for e in hits.values()], np.float64))).tolist()
    for (row_id, entry), similarity in zip(hits.items(), similarities, strict=True):
        score = sum(1.0 / (RRF_K + 1 + r) for r in (entry["vector_rank"], entry["keyword_rank"]) if r is not None)
        keyword = entry["keyword_rank"] is not None
        if mode == "vector" and threshold is not None and similarity < threshold:
            continue
        if mode == "hybrid" and threshold is not None and similarity < threshold and not keyword:
            continue
        ranked.append(Hit(row_id, entry["cosine"], similarity, score, keyword, entry["lsn"], entry["fields"]))
    if mode == "vector":
        ranked.sort(key=lambda h: -h.cosine)
    elif mode == "keyword":
        ranked.sort(key=lambda h: hits[h.id]["keyword_rank"])
    else:
        ranked.sort(key=lambda h: (-h.score, -h.cosine))
    return ranked[:limit]


def _carried(found: pa.Table, carry: Sequence[str]) -> list[dict[str, Any]]:
    """The carried columns of each row of a search result, as one dict per row."""
    columns = {name: found.column(name).to_pylist() for name in carry}
    return [{name: values[row] for name, values in columns.items()} for row in range(found.num_rows)]


def _matrix(column: pa.ChunkedArray, dimension: int) -> np.ndarray:
    """A column of vectors as a ``(rows, dimension)`` float32 matrix."""
    if len(column) == 0:
        return np.zeros((0, dimension), np.float32)
    flat = np.asarray(column.combine_chunks().flatten(), dtype=np.float32)
    return flat.reshape(-1, dimension)


def sessions_filter(
    *,
    agent: str | None = None,
    project_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> str | None:
    """The condition on the sessions vector table keeping these sessions (``None``: all); arguments checked.

    Sessions started in ``[since, until)``, of ``agent`` and ``project_id`` when given.

    Example:
        >>> from datetime import UTC
        >>> sessions_filter(agent="claude", since=datetime(2026, 1, 1, tzinfo=UTC))
        "agent = 'claude' AND started_us >= 1767225600000000"
        >>> sessions_filter() is None
        True
    """
    return (
        Filter()
        .equals("agent", agent)
        .equals("project_id", project_id)
        .at_least("started_us", None if since is None else epoch_us(since))
        .below("started_us", None if until is None else epoch_us(until))
        .sql()
    )


async def search_sessions(
    store: Store,
    query: str,
    *,
    limit: int = 10,
    threshold: float | None = 0.7,
    agent: str | None = None,
    project_id: uuid.UUID | str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    mode: SearchMode = "vector",
) -> list[SessionRecord]:
    """Find sessions (by their summary and key events) relevant to ``query``, best first.

    Args:
        store: The store.
        query: What to look for, in words.
        limit: Most hits to return.
        threshold: Keep hits with ``similarity >= threshold`` (``None``: no threshold).
        agent: Only this agent's sessions.
        project_id: Only this project's sessions.
        since: Only sessions started at or after this aware datetime.
        until: Only sessions started before this aware datetime (after ``since``).
        mode: ``"vector"``, ``"keyword"`` or ``"hybrid"``.

    Returns:
        Session records (without events) plus ``similarity`` and ``cosine``.

    Example:
        ``hits = await search_sessions(store, "database migration", limit=5)``
    """
    query, mode, threshold = validate_query(query, mode, threshold)
    count = validate_limit(limit)
    start, end = validate_since_until(since, until)
    where = sessions_filter(
        agent=validate_name(agent, "agent") if agent is not None else None,
        project_id=validate_uuid(project_id, "project_id") if project_id is not None else None,
        since=start,
        until=end,
    )

    def fetch(cur: Any, hits: list[Hit]) -> dict[str, dict[str, Any]]:
        rows = rows_for_hits(cur, f"SELECT {sql.SESSION_COLUMNS} FROM sessions", hits)
        return {key: dict(sql.session_row(row)) for key, row in rows.items()}

    found = await search_table(
        store, "sessions", query, where=where, limit=count, threshold=threshold, mode=mode, fetch=fetch
    )
    return found  # type: ignore[return-value]


async def search_events(
    store: Store,
    query: str,
    *,
    session_id: uuid.UUID | str | None = None,
    agent: str | None = None,
    event_type: str | Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10,
    threshold: float | None = None,
    mode: SearchMode = "vector",
) -> list[EventHit]:
    """Find events (by type and payload) relevant to ``query``, best first.

    Args:
        store: The store.
        query: What to look for, in words (or an exact identifier, with ``mode="keyword"``/``"hybrid"``).
        session_id: Only events of this session.
        agent: Only events of this agent's sessions.
        event_type: Only events of this type (or of these types).
        since: Only events at or after this aware datetime (one without a timestamp: its session's start).
        until: Only events before this aware datetime (after ``since``).
        limit: Most hits to return.
        threshold: Keep hits with ``similarity >= threshold`` (default: no threshold).
        mode: ``"vector"``, ``"keyword"`` or ``"hybrid"``.

    Returns:
        Event records plus ``agent``, ``similarity`` and ``cosine``.

    Example:
        ``hits = await search_events(store, "TypeError in parse_input", mode="hybrid")``
    """
    query, mode, threshold = validate_query(query, mode, threshold)
    count = validate_limit(limit)
    types = validate_event_types(event_type) if event_type is not None else None
    start, end = _window(since, until)
    where = (
        Filter()
        .equals("session_id", validate_uuid(session_id, "session_id") if session_id is not None else None)
        .equals("agent", validate_name(agent, "agent") if agent is not None else None)
        .one_of("event_type", types)
        .at_least("timestamp_us", start)
        .below("timestamp_us", end)
        .sql()
    )

    def fetch(cur: Any, hits: list[Hit]) -> dict[str, dict[str, Any]]:
        rows = rows_for_hits(
            cur, "SELECT id, session_id, seq, event_type, event_data, metadata, timestamp FROM events", hits
        )
        # A session's agent never changes: the index's copy saves a lookup (joining sessions would scan them all).
        agents = {hit.id: hit.fields["agent"] for hit in hits}
        return {key: {**sql.event_row(row), "agent": agents[key]} for key, row in rows.items()}

    found = await search_table(
        store,
        "events",
        query,
        where=where,
        limit=count,
        threshold=threshold,
        mode=mode,
        fetch=fetch,
        carry=("agent",),
    )
    return found  # type: ignore[return-value]


def rows_for_hits(cur: Any, select: str, hits: list[Hit]) -> dict[str, tuple[Any, ...]]:
    """The rows of ``select`` (first column ``id``, table with ``index_lsn``) for the hits, by id.

    Rows are looked up by ``index_lsn`` and id together, which DuckDB answers
    from the row groups of those changes alone (events have no index on ``id``:
    it would slow every append); hits whose row changed since it was indexed,
    or that carry no lsn, are looked up by id alone.

    Args:
        cur: A DuckDB read cursor.
        select: ``SELECT id, ... FROM table`` (no ``WHERE``).
        hits: The hits to read.

    Returns:
        The rows by ``str(id)``; hits whose row is gone are left out.

    Example:
        >>> gone = Hit(str(uuid.uuid4()), cosine=1.0, similarity=1.0, score=0.0, keyword=False, index_lsn=7)
        >>> with Store.memory(embedder=None) as store:
        ...     store.read(lambda cur: rows_for_hits(cur, "SELECT id, agent FROM sessions", [gone]))
        {}
    """
    if not hits:
        return {}
    lsns = sorted({h.index_lsn for h in hits if h.index_lsn is not None})
    rows: dict[str, tuple[Any, ...]] = {}
    if lsns:
        found = cur.execute(
            f"{select} WHERE index_lsn = ANY($2::BIGINT[]) AND id = ANY($1::UUID[])",
            [[uuid.UUID(h.id) for h in hits if h.index_lsn is not None], lsns],
        ).fetchall()
        rows = {str(row[0]): row for row in found}
    missing = [uuid.UUID(h.id) for h in hits if h.id not in rows]
    if missing:
        found = cur.execute(f"{select} WHERE id = ANY($1::UUID[])", [missing]).fetchall()
        rows.update((str(row[0]), row) for row in found)
    return rows
