"""The ANN index of a vector table: its parameters, its names, and how a search uses it.

The index is IVF_SQ (see :mod:`agentlog.index.vectors` for when it is built, extended and rebuilt), named
after its target partition size, so that a search knows the size from the index's name. A search
(:func:`nearest`) sets its probe count from that size (:func:`probes`). A filter makes the probed
partitions hold fewer candidates, so a filtered search probes enough partitions to see about
:data:`FILTERED_CANDIDATES` rows that pass it (counted with the scalar indexes, once per filter until
the next write to the table), any search enough to see :data:`CANDIDATES_PER_HIT` rows per hit asked
for (a large ``limit``), and a search that would probe every partition, or whose filter at most
:data:`EXACT_FILTERED_ROWS` rows pass (one session's events), is exact, without the ANN index.

Searches go through LanceDB's async API (on LanceDB's own background event
loop): the sync API plans a query in six round trips to that loop (three of them
re-reading the table schema) and streams its result batch by batch, the async
one in one; at 1M rows that saved 2-2.6 ms of a 10-12 ms vector search. Writes
and maintenance keep the sync API. The search handles are separate LanceDB
handles, so they are moved to the table's latest version before a search
whenever the :class:`~agentlog.index.vectors.VectorTables` that holds them wrote
to the table since the last one (a version check costs ~0.3 ms; one process
writes a store's index, the store lock sees to it).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

__all__ = [
    "ANN_MIN_ROWS",
    "CANDIDATES_PER_HIT",
    "COUNTED_INDEX_PREFIX",
    "EXACT_FILTERED_ROWS",
    "FILTERED_CANDIDATES",
    "IVF_SAMPLE_RATE",
    "MAX_INDEX_SEGMENTS",
    "NPROBES",
    "REFINE_FACTOR",
    "VECTOR_INDEX_PREFIX",
    "nearest",
    "outdated",
    "partition_size",
    "probes",
    "segments",
    "vector_indexes",
]

ANN_MIN_ROWS = 20_000
"""Rows from which a table gets an ANN index (below it, exact search is used)."""
MAX_INDEX_SEGMENTS = 8
"""Segments (the ANN index and the deltas compactions add to it) before the index is rebuilt in one."""
NPROBES = 20
"""IVF partitions probed by an unfiltered search."""
REFINE_FACTOR = 3
"""Candidates re-ranked with exact distances, as a multiple of the limit."""
IVF_SAMPLE_RATE = 64
"""Rows per IVF partition that k-means trains on (LanceDB's default is 256).

At 1M rows (1,000 partitions), in runs alternating the two on the same
vectors, 64 built the index in 46-48 s instead of 77-78 s, with the same
recall@10 (1.0) and search latency; a rebuild (see :data:`MAX_INDEX_SEGMENTS`)
costs that much.
"""
EXACT_FILTERED_ROWS = 1000
"""Rows passing a filter up to which a search compares the query with each of them instead of using the ANN index.

A filter as narrow as one session makes an ANN search probe every partition for its few rows; comparing with
them is exact and cheaper. At 1M rows (LanceDB alone): 50 rows 12 ms instead of 45 ms, 1,000 rows 33 instead of
69 ms, 2,000 rows 56 instead of 68 ms, 4,000 rows 81 instead of 64 ms.
"""
FILTERED_CANDIDATES = 3000
"""Rows passing a filter that a filtered search tries to see (sets its probe count)."""
CANDIDATES_PER_HIT = 10
"""Rows (passing the filter) a search tries to see per hit asked for: a large ``limit`` probes more partitions.

With a fixed probe count, asking for 5,000 hits of a 25,000-row table returned 3,717: the probed partitions
held no more. A search that would probe every partition is exact instead.
"""
VECTOR_INDEX_PREFIX = "vector_ivfsq_t"
"""Name prefix of the ANN index, followed by its target partition size."""
COUNTED_INDEX_PREFIX = "vector_ivfsq_p"
"""Name prefix of an ANN index an earlier build made with a partition count (sqrt(rows): also its size then)."""


async def nearest(
    database: Any,
    handle: Any,
    name: str,
    vector: npt.NDArray[np.float32],
    *,
    refresh: bool,
    where: str | None,
    limit: int,
    columns: Sequence[str],
    size: int | None,
    counts: tuple[int, int] | None,
) -> tuple[pa.Table, Any, Any, tuple[int, int] | None]:
    """One vector search on LanceDB's event loop; returns ``(rows, database, handle, counts)``.

    ``database`` is the async connection, or the directory to open one on; ``handle`` is the async API's
    handle of table ``name`` (``None``: opened here, at the latest version), moved to the latest version
    first when ``refresh``. ``counts`` are the rows passing ``where`` and all rows, if known; the ones the
    search counted (or was given) are returned. Takes no lock and makes no sync call (see
    :meth:`agentlog.index.vectors.VectorTables.vector_search`, which runs it on LanceDB's loop).

    Example:
        ``rows, database, handle, counts = await nearest(lance_dir, None, "events", vector, refresh=False,
        where=None, limit=10, columns=(), size=None, counts=None)``
    """
    import lancedb

    if isinstance(database, Path):
        database = await lancedb.connect_async(str(database))
    if handle is None:
        handle = await database.open_table(name)
    elif refresh:
        await handle.checkout_latest()
    query = handle.query().nearest_to(vector).distance_type("cosine")
    if where:
        query = query.where(where)  # a prefilter: applied before the limit
    if size is not None:
        rows = matching = None
        if where:
            if counts is None:
                passing, every = await asyncio.gather(handle.count_rows(where), handle.count_rows())  # in parallel
                counts = (int(passing), int(every))
            matching, rows = counts
        elif CANDIDATES_PER_HIT * limit > NPROBES * size:
            rows = await handle.count_rows()
        probed = probes(limit, size, rows=rows, matching=matching)
        # None: compare the query with every row that passes
        if probed is None:
            query = query.bypass_vector_index()
        elif where:
            # At least ``probed`` partitions, more while too few rows passing the filter were found: the
            # rows a filter lets through can sit in partitions far from the query (an agent whose events
            # are about other topics), where a fixed probe count found none of them. (Unfiltered, the
            # probed partitions always hold enough rows, and a fixed count searched 30% faster.)
            query = query.maximum_nprobes(0).minimum_nprobes(probed).refine_factor(REFINE_FACTOR)
        else:
            query = query.nprobes(probed).refine_factor(REFINE_FACTOR)
    found = await query.select(["id", "index_lsn", *columns, "_distance"]).limit(limit).to_arrow()
    return found, database, handle, counts if where else None


def probes(limit: int, size: int, *, rows: int | None, matching: int | None) -> int | None:
    """IVF partitions a search should probe, or ``None`` to search exactly (see the module docstring).

    Enough to see about :data:`CANDIDATES_PER_HIT` rows that pass the filter per hit asked for (at
    least :data:`FILTERED_CANDIDATES` with a filter): the partitions hold about ``size`` rows each,
    ``matching / rows`` of them pass. When that is most of the partitions, an exact search is cheaper
    and finds them all.

    Args:
        limit: Hits asked for.
        size: Target partition size of the ANN index.
        rows: Rows of the table; ``None`` if not counted (an unfiltered search whose :data:`NPROBES`
            partitions hold enough rows).
        matching: Rows passing the search's filter; ``None`` without a filter.

    Example:
        >>> probes(10, 1000, rows=None, matching=None), probes(10, 1000, rows=1_000_000, matching=50_000)
        (20, 60)
        >>> probes(10, 1000, rows=1_000_000, matching=900) is None  # few rows pass: exact
        True
    """
    if rows is None:
        return NPROBES
    if matching is not None and matching <= EXACT_FILTERED_ROWS:
        return None  # few rows pass: compare the query with each of them
    wanted = max(FILTERED_CANDIDATES if matching is not None else 0, CANDIDATES_PER_HIT * limit)
    count = max(NPROBES, math.ceil(wanted * rows / (size * (matching or rows))))
    return None if count * size >= rows else count


def vector_indexes(listed: Iterable[Any]) -> list[Any]:
    """The indexes on ``vector`` among a table's ``list_indices()``, oldest first.

    LanceDB searches with the oldest, but lists indexes by name.

    Example:
        >>> from types import SimpleNamespace as Index
        >>> listed = [Index(name="vector_ivfsq_t90", columns=["vector"], created_at=datetime(2026, 2, 1, tzinfo=UTC)),
        ...           Index(name="agent_idx", columns=["agent"], created_at=None),
        ...           Index(name="vector_ivfsq_t40", columns=["vector"], created_at=datetime(2026, 1, 1, tzinfo=UTC))]
        >>> [index.name for index in vector_indexes(listed)]
        ['vector_ivfsq_t40', 'vector_ivfsq_t90']
    """
    found = [index for index in listed if tuple(index.columns) == ("vector",)]
    return sorted(found, key=lambda index: index.created_at or _NEVER)


_NEVER = datetime.min.replace(tzinfo=UTC)
"""Creation time assumed for an index that reports none (LanceDB's type allows it; none seen so far)."""


def segments(index: Any) -> int:
    """Segments of an ANN index: itself and the deltas compactions added to it.

    Example:
        >>> from types import SimpleNamespace as Index
        >>> segments(Index(num_segments=3)), segments(Index(num_segments=None))
        (3, 1)
    """
    return int(index.num_segments or 1)


def outdated(vectors: Sequence[Any]) -> bool:
    """Whether a table's vector indexes need a rebuild whatever its size.

    See :meth:`~agentlog.index.vectors.VectorTables.ann_outdated`.

    Example:
        >>> from types import SimpleNamespace as Index
        >>> outdated([Index(name="vector_ivfsq_t316", num_segments=2)])
        False
        >>> outdated([Index(name="vector_ivfsq_p1000", num_segments=1)])  # built with a partition count
        True
    """
    return (
        len(vectors) > 1
        or any(not index.name.startswith(VECTOR_INDEX_PREFIX) for index in vectors)
        or any(segments(index) > MAX_INDEX_SEGMENTS for index in vectors)
    )


def partition_size(index_name: str) -> int:
    """The partition size recorded in the name of an ANN index built by agentlog (``1`` for another name).

    Example:
        >>> partition_size("vector_ivfsq_t316"), partition_size("vector_ivfsq_p1000"), partition_size("other")
        (316, 1000, 1)
    """
    for prefix in (VECTOR_INDEX_PREFIX, COUNTED_INDEX_PREFIX):
        size = index_name.removeprefix(prefix)
        if index_name.startswith(prefix) and size.isdigit():
            return int(size)
    return 1
