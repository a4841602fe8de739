"""The LanceDB side of a store's index: one table of vectors per source.

Each table has ``id`` (text), ``index_lsn``, ``text`` (what was embedded),
the source's filter columns and ``vector`` (float32, cosine). It is a derived
index: it can be dropped and rebuilt from DuckDB at any time.

Maintenance follows what was measured on this stack: many small appends
fragment a table and slow searches down, so appends come in batches and the
table is compacted (``optimize``) once fragments pile up; brute-force search
is exact and fast enough for small tables, so an ANN index (IVF_PQ, with
``nprobes`` and a refine step for recall) and scalar indexes on the filter
columns are only built once a table passes :data:`ANN_MIN_ROWS` rows; a
full-text index on ``text`` serves keyword and hybrid search (rows added
after it was built are still searched, by a scan).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from agentlog.index.lance_filter import Filter, literal
from agentlog.index.sources import SOURCES, IndexSource

__all__ = ["ANN_MIN_ROWS", "MAX_FRAGMENTS", "VectorTables"]

logger = logging.getLogger("agentlog.index")

ANN_MIN_ROWS = 50_000
"""Rows from which a table gets an ANN index (below it, exact search is used)."""
MAX_FRAGMENTS = 24
"""Fragments a table may have before it is compacted."""
NPROBES = 20
"""IVF partitions probed per search."""
REFINE_FACTOR = 10
"""Candidates re-ranked with exact distances, as a multiple of the limit."""

_SCALAR_INDEXES = {"agent": "BITMAP", "event_type": "BITMAP", "session_id": "BTREE", "project_id": "BITMAP"}


class VectorTables:
    """Open (or create) the LanceDB tables of a store's index.

    Args:
        directory: The ``lance`` directory of the store.
        dimension: Vector dimension of the store's embedder.
        sources: The sources to hold (default: all of :data:`~agentlog.index.sources.SOURCES`).

    Example:
        >>> import tempfile
        >>> tables = VectorTables(Path(tempfile.mkdtemp()), dimension=4)
        >>> tables.count("events")
        0
    """

    def __init__(self, directory: Path, dimension: int, sources: Sequence[IndexSource] = SOURCES) -> None:
        import lancedb  # imported here: it takes a second and only the index needs it

        self.directory = directory
        self.dimension = dimension
        self.sources = {source.name: source for source in sources}
        self._db = lancedb.connect(str(directory))
        self._tables: dict[str, Any] = {}
        self._lock = threading.Lock()

    def schema(self, source: IndexSource) -> pa.Schema:
        """The LanceDB schema of a source's table."""
        return pa.schema(
            [
                pa.field("id", pa.string(), nullable=False),
                pa.field("index_lsn", pa.int64(), nullable=False),
                pa.field("text", pa.string()),
                *source.fields,
                pa.field("vector", pa.list_(pa.float32(), self.dimension)),
            ]
        )

    def existing(self) -> set[str]:
        """Names of the tables present on disk."""
        listing = self._db.list_tables()
        names = getattr(listing, "tables", listing)
        return set(names)

    def table(self, name: str) -> Any:
        """The LanceDB table of source ``name``, created empty if missing."""
        table = self._tables.get(name)
        if table is None:
            with self._lock:
                table = self._tables.get(name)
                if table is None:
                    source = self.sources[name]
                    table = self._db.create_table(name, schema=self.schema(source), exist_ok=True)
                    self._tables[name] = table
        return table

    def count(self, name: str) -> int:
        """Number of vectors in a table."""
        return int(self.table(name).count_rows())

    # -- writing (indexer thread) -------------------------------------------------

    def add(self, name: str, rows: pa.Table, vectors: npt.NDArray[np.float32]) -> None:
        """Append rows (``id, index_lsn, text, <fields>``) with their vectors."""
        if rows.num_rows == 0:
            return
        flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).ravel(), pa.float32())
        column = pa.FixedSizeListArray.from_arrays(flat, self.dimension)
        table = rows.append_column("vector", column).select(self.schema(self.sources[name]).names)
        self.table(name).add(table.cast(self.schema(self.sources[name])))

    def delete_where(self, name: str, column: str, ids: Sequence[str]) -> None:
        """Delete the rows whose ``column`` is one of ``ids`` (UUID strings)."""
        for start in range(0, len(ids), 1000):
            where = Filter().one_of(column, list(ids[start : start + 1000])).sql()
            self.table(name).delete(where)

    def delete_after(self, lsn: int) -> None:
        """Delete every row indexed from a change after ``lsn`` (recovery after a crash)."""
        for name in self.existing() & self.sources.keys():
            self.table(name).delete(f"index_lsn > {literal(lsn)}")

    def drop_all(self) -> None:
        """Drop every table of the index (before a full rebuild)."""
        with self._lock:
            for name in self.existing():
                self._db.drop_table(name)
            self._tables.clear()

    def maintain(self, name: str) -> None:
        """Compact a fragmented table; build the ANN, scalar and full-text indexes when they pay."""
        from lancedb.index import FTS

        table = self.table(name)
        rows = table.count_rows()
        if rows == 0:
            return
        indexes = {tuple(index.columns): index.index_type for index in table.list_indices()}
        if ("text",) not in indexes:
            table.create_index("text", config=FTS(with_position=True), replace=True)
        if rows >= ANN_MIN_ROWS and ("vector",) not in indexes:
            partitions = max(1, int(math.sqrt(rows)))
            sub_vectors = self.dimension // 4 if self.dimension % 4 == 0 else self.dimension // 2
            table.create_index(
                metric="cosine", index_type="IVF_PQ", num_partitions=partitions, num_sub_vectors=sub_vectors
            )
            for field in self.sources[name].fields:
                kind = _SCALAR_INDEXES.get(field.name)
                if kind is not None and (field.name,) not in indexes:
                    table.create_scalar_index(field.name, index_type=kind, replace=True)
        stats = table.stats()
        fragments = stats["fragment_stats"]["num_fragments"] if isinstance(stats, dict) else 0
        if fragments > MAX_FRAGMENTS:
            table.optimize()

    # -- reading (any thread) --------------------------------------------------------

    def has_ann_index(self, name: str) -> bool:
        """Whether a table has an ANN index on ``vector``."""
        return any(tuple(index.columns) == ("vector",) for index in self.table(name).list_indices())

    def vector_search(self, name: str, vector: npt.NDArray[np.float32], *, where: str | None, limit: int) -> pa.Table:
        """Nearest rows by cosine distance, filtered before the limit: ``id, text, _distance``."""
        query = self.table(name).search(np.asarray(vector, dtype=np.float32)).metric("cosine")
        if where:
            query = query.where(where, prefilter=True)
        if self.has_ann_index(name):
            query = query.nprobes(NPROBES).refine_factor(REFINE_FACTOR)
        return query.select(["id", "text", "_distance"]).limit(limit).to_arrow()

    def keyword_search(self, name: str, text: str, *, where: str | None, limit: int) -> pa.Table:
        """Best full-text (BM25) matches, filtered before the limit: ``id, text, vector, _score``."""
        table = self.table(name)
        if not any(tuple(index.columns) == ("text",) for index in table.list_indices()):
            self.maintain(name)
        query = table.search(text, query_type="fts")
        if where:
            query = query.where(where, prefilter=True)
        return query.select(["id", "text", "vector", "_score"]).limit(limit).to_arrow()

    def vectors(self, name: str, ids: Sequence[str] | None = None) -> tuple[list[str], npt.NDArray[np.float32]]:
        """The stored vectors (all, or of ``ids``) as ``(ids, matrix)``.

        Example:
            >>> import tempfile
            >>> VectorTables(Path(tempfile.mkdtemp()), dimension=4).vectors("sessions")[1].shape
            (0, 4)
        """
        query = self.table(name).search()
        if ids is not None:
            query = query.where(Filter().one_of("id", list(ids)).sql())
        table = query.select(["id", "vector"]).limit(None).to_arrow()
        matrix = np.asarray(table.column("vector").combine_chunks().flatten(), dtype=np.float32)
        return table.column("id").to_pylist(), matrix.reshape(-1, self.dimension)
