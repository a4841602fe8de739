"""The LanceDB side of a store's index: one table of vectors per source.

Each table has ``id`` (text), ``index_lsn``, ``text`` (what was embedded),
the source's filter columns and ``vector`` (float32, cosine). It is a derived
index: it can be dropped and rebuilt from DuckDB at any time.

Maintenance follows what was measured on this stack (see ``benchmarks/search.py``):

* many small appends fragment a table and slow searches down (each small
  fragment cost a search 0.25 ms at 200k rows: 7.6 ms with none, 14 ms with
  25), so appends come in batches and, once fragments pile up (more than
  :data:`MAX_FRAGMENTS` beside the full ones of :data:`LANCE_FRAGMENT_ROWS`
  rows, which a table of millions of rows holds however often it is
  compacted), the rows that came since the indexes last took everything in
  (the *tail*) are merged into one fragment by an atomic ``merge_insert``,
  indexes untouched; the table is compacted (``optimize``, which also folds
  the tail into the indexes) only once that tail passes :data:`MAX_UNINDEXED`
  rows or 1/:data:`TAIL_SHARE` of the table (LanceDB scans it in every
  search: +4 ms for 10,000 rows at 1M), or with no ANN index yet. Where the
  tail starts (the highest ``index_lsn`` the last compaction took in) is kept
  next to the tables (:mod:`agentlog.index.tail_floors`), so that short
  processes (one agent run, one import) merge too; a table without a
  recorded start (an index from an earlier agentlog) is compacted once;
* brute-force search is exact and fast enough for small tables, so an ANN
  index (:mod:`agentlog.index.ann`) is built only from
  :data:`~agentlog.index.ann.ANN_MIN_ROWS` rows: IVF_SQ (8-bit scalar
  quantisation; it trained 6x faster than IVF_PQ here and kept recall@10 at
  1.0 with a small refine step) with partitions of a *target size*,
  sqrt(rows) at build time, retrained when the table outgrows it 4x; scalar
  indexes on the filter columns come with it;
* every compaction adds the rows that came since the last one to the ANN
  index as a new *segment* (a delta with its own partitions; LanceDB's
  ``optimize`` never merges them) and every search ranks and probes each
  segment: at 100k rows a search cost 0.6 ms more per segment (12 ms with 4,
  19-20 ms with 16). So a compaction that would give the index more than
  :data:`~agentlog.index.ann.MAX_INDEX_SEGMENTS` segments rebuilds it
  instead, which costs O(rows) (~48 s at 1M); merging small tails rather than compacting them is
  what keeps that rare (a segment per :data:`MAX_UNINDEXED` rows, not per
  :data:`MAX_FRAGMENTS` appends: with one-event appends at 1M rows, a
  compaction of 15-20 s every 24 events and a rebuild every 192);
* the index is given a target partition size, never a partition count:
  ``optimize`` splits and joins IVF partitions towards the index's target,
  and an index built with a count has none, so LanceDB joined its partitions
  into a few of its default size (1,000 partitions became 31 at 1M rows,
  and every search then compared 65% of the table). An index built that way
  by an older agentlog is rebuilt at the next maintenance. A rebuild creates
  the new index before it drops the old one, so searches keep an ANN index;
* a full-text index on ``text`` serves keyword and hybrid search (rows added
  after it was built are still searched, by a scan); it keeps words of up to
  :data:`FTS_MAX_TOKEN_LENGTH` characters (LanceDB's default of 40 dropped git
  SHAs and long exception names), and one built with the default is rebuilt;
* every append, delete, merge and compaction is a new version of the table
  with files of its own, which LanceDB keeps until an ``optimize`` prunes
  them (after 7 days by default: 300 appends of 50 events, then updates and
  deletes, kept every compaction's rewrite, 5-11x the live data):
  compactions prune the versions replaced over :data:`VERSION_RETENTION`
  ago, never one a search may still be reading (see :func:`cleanup_age`),
  and a table without an ANN index is compacted once it holds more than
  :data:`MAX_VERSIONS` versions (replacing and deleting rows adds versions,
  not fragments).

How many partitions a search probes, and why searches go through LanceDB's
async API, is told in :mod:`agentlog.index.ann`; :class:`VectorTables` keeps,
per table, the async handle searches use and the row counts of recent filters.

LanceDB's own log goes to standard error from Rust, at level ``warn`` by
default; its warnings during maintenance are about internals handled here
(k-means leaving clusters empty on duplicate vectors, index deltas of
different partition counts, which the next rebuild merges). Unless
``LANCEDB_LOG`` is set, importing this module sets it to
:data:`LANCEDB_LOG_LEVEL` (in the process environment, so child processes
inherit it; it acts only if LanceDB is imported afterwards);
``LANCEDB_LOG=warn`` brings them back.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from agentlog.index import ann
from agentlog.index.lance_filter import Filter, literal
from agentlog.index.sources import SOURCES, IndexSource
from agentlog.index.tail_floors import read_tail_floors, write_tail_floors

__all__ = [
    "FTS_MAX_TOKEN_LENGTH",
    "FTS_TOKENIZER",
    "LANCEDB_LOG_LEVEL",
    "LANCE_FRAGMENT_ROWS",
    "MAX_FRAGMENTS",
    "MAX_UNINDEXED",
    "MAX_VERSIONS",
    "TAIL_SHARE",
    "VERSION_RETENTION",
    "VectorTables",
    "cleanup_age",
    "excess_fragments",
    "lost_commit_race",
]

logger = logging.getLogger("agentlog.index")

LANCEDB_LOG_LEVEL = "error"
"""LanceDB's log level when ``LANCEDB_LOG`` is not set (see the module docstring)."""
# Read once, when LanceDB's Rust side loads; set at import, before any thread of LanceDB runs.
os.environ.setdefault("LANCEDB_LOG", LANCEDB_LOG_LEVEL)

MAX_FRAGMENTS = 24
"""Fragments a table may have, beyond its full ones, before it is compacted (see :func:`excess_fragments`)."""
LANCE_FRAGMENT_ROWS = 1024 * 1024
"""Rows of a full LanceDB fragment: the most an append writes to one file, and what compaction aims for."""
MAX_UNINDEXED = 10_000
"""Rows added since the last index update (the tail searches scan) before the table is compacted into the indexes."""
MERGE_TIMEOUT = timedelta(seconds=5)
"""How long a tail merge retries against concurrent deletes of tail rows before it gives up as a lost race.

LanceDB's default is 30 s, with the maintenance lock held throughout; the maintenance thread retries a lost
race after a pause anyway (see :func:`lost_commit_race`).
"""
MAX_VERSIONS = 100
"""Versions a table without an ANN index may hold before it is compacted, which prunes the old ones.

Replacing rows (memories, summaries) and deleting them makes versions but seldom fragments: a table of 20
memories updated 200 times had 203 versions in 20 fragments, and would never have been compacted.
"""
TAIL_SHARE = 20
"""With an ANN index, the tail is also compacted once it holds more than 1/TAIL_SHARE of the rows (5%)."""
VERSION_RETENTION = timedelta(minutes=5)
"""How long a table version replaced by a newer one keeps its files at least (see :func:`cleanup_age`).

Every append, delete, merge and compaction makes a version; LanceDB keeps the files of old versions until an
``optimize`` prunes them, by default once they are 7 days old, so a store that logged for a week kept every
compaction's rewrite of its tables (300 appends of 50 events: 124 MB for 24 MB of vectors, 10x after deletes).
Compactions drop the versions replaced longer ago than this (a search takes milliseconds, a scan of every
vector seconds); tail merges cannot (LanceDB prunes only in ``optimize``, which also compacts): their old
tails go at the next compaction.
"""
_FILTER_COUNTS_KEPT = 256
"""Filter counts a :class:`VectorTables` keeps (all are dropped when there are more: a cache, not a record)."""
FTS_MAX_TOKEN_LENGTH = 128
"""Longest word the full-text index keeps (LanceDB's default, 40, dropped git SHAs and long exception names)."""
_BITMAP_COLUMNS = frozenset({"agent", "event_type", "project_id", "memory_type", "document_type"})
_BTREE_COLUMNS = frozenset({"session_id", "document_id", "namespace"})
FTS_TOKENIZER = "icu/split"
"""How the full-text index finds words: ICU word boundaries, then LanceDB's splitting at punctuation.

LanceDB's default (``simple``) kept a run of Chinese or Japanese without spaces as one word, so no word inside
it could be found by keyword; with ICU, ``会議`` finds ``東京都の会議で``, and identifiers are still split as
before (``os.path.join`` is found by ``path``). On 100,000 English texts the index built 1.2x slower.
"""
_TEXT_INDEX = f"text_fts_icu_t{FTS_MAX_TOKEN_LENGTH}"
"""Name of the full-text index (its tokenizer and longest word in the name: an index of another name is rebuilt)."""


class VectorTables:
    """Open (or create) the LanceDB tables of a store's index.

    Args:
        directory: The ``lance`` directory of the store.
        dimension: Vector dimension of the store's embedder.
        sources: The sources to hold (default: all of :data:`~agentlog.index.sources.SOURCES`).
        ann_min_rows: Rows from which a table gets an ANN index.

    Example:
        >>> import tempfile
        >>> tables = VectorTables(Path(tempfile.mkdtemp()), dimension=4)
        >>> tables.count("events")
        0
    """

    def __init__(
        self,
        directory: Path,
        dimension: int,
        sources: Sequence[IndexSource] = SOURCES,
        *,
        ann_min_rows: int = ann.ANN_MIN_ROWS,
    ) -> None:
        import lancedb  # imported here: it takes a second and only the index needs it

        self.directory = directory
        self.ann_min_rows = ann_min_rows
        self.dimension = dimension
        self.sources = {source.name: source for source in sources}
        self._db = lancedb.connect(str(directory))
        self._tables: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._maintenance_locks: dict[str, threading.Lock] = {}  # one per table: maintenances never overlap
        # ANN target partition sizes, read by every search: list_indices() costs about 0.5 ms, and only
        # this object changes them (_build_ann and _drop_indexes during a maintenance, drop_all at start).
        self._partitions: dict[str, int | None] = {}
        self._partitions_generation = 0  # bumped around every change, so a read that overlaps one is not kept
        # Per table: the highest index_lsn this object appended, and the highest that was in the table when
        # its indexes last took in every row (an optimize; or a build, for the ANN index). Rows above the
        # second are the unindexed tail that _merge_tail rewrites; it is kept in the tail floors file.
        self._appended_through: dict[str, int] = {}
        self._indexed_through: dict[str, int] = read_tail_floors(directory, self.sources)
        self._floors_to_check = set(self._indexed_through)  # read from the file: checked against the table once
        # Searches use handles of LanceDB's async API (see the module docstring): per table, the handle and the
        # write count it has seen; every write through this object counts, so a search sees the writes before it.
        self._async_db: Any = None
        self._search_handles: dict[str, tuple[Any, int]] = {}
        self._writes: dict[str, int] = {}
        # Per (table, filter): the write count they were counted at and (rows passing the filter, rows), which
        # set a filtered search's probes; counting them costs 1.5-2 ms at 1M rows, so a count is reused
        # until the next write to the table.
        self._filter_counts: dict[tuple[str, str], tuple[int, tuple[int, int]]] = {}

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
        self._write(name, rows, vectors, replace=False)

    def upsert(self, name: str, rows: pa.Table, vectors: npt.NDArray[np.float32]) -> None:
        """Write rows as :meth:`add` does, replacing the rows of the same ``id`` in the same commit.

        One atomic ``merge_insert`` (matched on ``id`` with the B-tree index): a search running meanwhile
        finds a re-summarised session either with its old vector or with its new one, never without one
        (a delete and then an add left it out in between). The ids of ``rows`` must be distinct.
        """
        self._write(name, rows, vectors, replace=True)

    def _write(self, name: str, rows: pa.Table, vectors: npt.NDArray[np.float32], *, replace: bool) -> None:
        if rows.num_rows == 0:
            return
        schema = self.schema(self.sources[name])
        flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).ravel(), pa.float32())
        column = pa.FixedSizeListArray.from_arrays(flat, self.dimension)
        table = rows.append_column("vector", column).select(schema.names).cast(schema)
        try:
            if replace:
                self.table(name).merge_insert("id").when_matched_update_all().when_not_matched_insert_all().execute(
                    table
                )
            else:
                self.table(name).add(table)
        finally:
            self._wrote(name)
        highest = pc.max(rows.column("index_lsn")).as_py()
        with self._lock:
            self._appended_through[name] = max(self._appended_through.get(name, highest), highest)

    def delete_where(self, name: str, column: str, ids: Sequence[str], *, indexed_through: int | None = None) -> None:
        """Delete the rows whose ``column`` is one of ``ids`` (UUID strings).

        Args:
            name: The table.
            column: The column matched against ``ids``.
            ids: The values to delete.
            indexed_through: Delete only rows indexed from a change at or below this number (rows
                written since, from later changes, stay).
        """
        try:
            for start in range(0, len(ids), 1000):
                chosen = Filter().one_of(column, list(ids[start : start + 1000]))
                if indexed_through is not None:
                    chosen.below("index_lsn", indexed_through + 1)
                where = chosen.sql()
                self.table(name).delete(where)
        finally:
            self._wrote(name)

    def delete_after(self, lsn: int, name: str) -> None:
        """Delete the rows of table ``name`` indexed from a change after ``lsn`` (recovery after a crash)."""
        if name in self.existing():
            try:
                self.table(name).delete(f"index_lsn > {literal(lsn)}")
            finally:
                self._wrote(name)
            with self._lock:
                floor = self._indexed_through.get(name)
                if floor is not None and floor > lsn:  # the rows indexed again come above ``lsn``: the tail
                    self._indexed_through[name] = lsn
                    write_tail_floors(self.directory, self._indexed_through)

    def drop_all(self) -> None:
        """Drop every table of the index (before a full rebuild)."""
        with self._lock:
            for name in self.existing():
                self._db.drop_table(name)
            self._tables.clear()
            self._search_handles.clear()
            self._filter_counts.clear()
            self._appended_through.clear()
            self._indexed_through.clear()
            write_tail_floors(self.directory, self._indexed_through)
        self._forget_partitions(None)

    def maintain(self, name: str) -> None:
        """Compact a fragmented table; build or refresh the ANN, scalar and full-text indexes.

        One maintenance of a table at a time (the maintenance thread, a keyword
        search that finds no full-text index, an explicit call); appends and
        deletes may go on meanwhile.
        """
        with self._maintenance_lock(name):
            try:
                self._maintain(name)
            finally:
                self._wrote(name)  # compactions, merges and index builds make new versions

    def _maintenance_lock(self, name: str) -> threading.Lock:
        """The lock that keeps two maintenances (or index builds) of table ``name`` from overlapping."""
        with self._lock:
            return self._maintenance_locks.setdefault(name, threading.Lock())

    def _ensure_text_index(self, name: str) -> None:
        """Build table ``name``'s full-text index if it has rows and none: what a keyword search needs.

        Only that index: a whole maintenance might train the ANN index first (48 s at 1M rows).
        """
        with self._maintenance_lock(name):
            table = self.table(name)
            listed = [index for index in table.list_indices() if tuple(index.columns) == ("text",)]
            if listed or table.count_rows() == 0:
                return
            try:
                self._build_text_index(table, None)
            finally:
                self._wrote(name)

    def _maintain(self, name: str) -> None:
        """The work of :meth:`maintain`: merge the tail, compact, build or rebuild (rules: the module docstring)."""
        table = self.table(name)
        rows = table.count_rows()
        if rows == 0:
            return
        listed = list(table.list_indices())
        indexes = {tuple(index.columns): index for index in listed}
        self._build_text_index(table, indexes.get(("text",)))
        if ("id",) not in indexes:
            from lancedb.index import BTree

            table.create_index("id", config=BTree())  # for deletes by id (replacing a row) and tail merges
        vectors = ann.vector_indexes(listed)
        if len(vectors) > 1 and vectors[-1].name.startswith(ann.VECTOR_INDEX_PREFIX):
            # A rebuild stopped between creating its index (which commits whole) and dropping the old ones:
            # finish it rather than train a third.
            self._drop_indexes(table, name, [old.name for old in vectors[:-1]])
            vectors = vectors[-1:]
        vector_index = vectors[0] if vectors else None  # the one LanceDB searches with
        fragments = excess_fragments(table.stats())
        unindexed = vector_index.num_unindexed_rows if vector_index is not None else 0
        with self._lock:
            tail_floor = self._indexed_through.get(name)
            unchecked = name in self._floors_to_check
            self._floors_to_check.discard(name)
        if tail_floor is not None and unchecked and tail_floor > self._highest_lsn(table, name):
            tail_floor = None  # a recorded floor above every row (an edited file?): where the tail starts is unknown
        # Small appends pile up fragments (each costs every search a file to scan). With an ANN index and a
        # tail small enough to scan, they are merged into one fragment and the indexes are left alone;
        # otherwise the table is compacted, which adds the tail to the ANN index as a segment.
        tail_limit = MAX_UNINDEXED if vector_index is None else min(MAX_UNINDEXED, rows // TAIL_SHARE)
        mergeable = fragments > MAX_FRAGMENTS and vector_index is not None and unindexed <= tail_limit
        merge_above = tail_floor if mergeable else None  # None: no merge (also when the tail's start is unknown)
        compact = (fragments > MAX_FRAGMENTS or unindexed > tail_limit) and merge_above is None
        versions = None  # listed once (about 25 ms at 150 versions); a later change only adds newer ones
        if not compact and vector_index is None:
            versions = table.list_versions()
            compact = len(versions) > MAX_VERSIONS  # cheap below ann_min_rows, and the only way LanceDB prunes
        built = False
        if vector_index is None:
            if rows >= self.ann_min_rows:
                self._build_ann(table, name, rows)
                built = True
        elif (
            ann.outdated(vectors)
            or rows > 4 * ann.partition_size(vector_index.name) ** 2
            or (compact and ann.segments(vector_index) >= ann.MAX_INDEX_SEGMENTS)
        ):
            # outdated (see ann_outdated), outgrown its partitions, or a compaction would add a segment too many
            built = self._rebuild_ann(table, name, rows, compact=compact)
        if built:
            # The new index holds every row and recorded its floor: no tail to merge (a merge above the old
            # floor would move rows it has just taken in back out of it). A build does not compact, though:
            # left fragmented, every later maintenance would merge a tail and leave the fragments below it.
            merge_above = None
            compact = fragments > MAX_FRAGMENTS
        if merge_above is not None:
            self._merge_tail(table, merge_above)
            if excess_fragments(table.stats()) <= MAX_FRAGMENTS:
                return
            # Still fragmented: the rows below the floor are in many fragments themselves (a floor recorded
            # before a crash): compact, or every maintenance would merge again; within the segment bound.
            compact = True
            if vector_index is not None and ann.segments(vector_index) >= ann.MAX_INDEX_SEGMENTS:
                self._rebuild_ann(table, name, rows, compact=True)
        if compact:
            floor = self._highest_lsn(table, name)
            # also brings the full-text and scalar indexes up to date, and drops the versions replaced long ago
            versions = table.list_versions() if versions is None else versions
            table.optimize(cleanup_older_than=cleanup_age(versions))
            self._set_indexed_through(name, floor)

    @staticmethod
    def _build_text_index(table: Any, text_index: Any) -> None:
        """Build the full-text index unless ``text_index`` (the one on ``text``, or ``None``) is the current kind."""
        from lancedb.index import FTS

        if text_index is not None and text_index.name == _TEXT_INDEX:
            return
        # a new store, or one whose index an earlier agentlog built (words over 40 characters dropped; no ICU)
        table.create_index(
            "text",
            config=FTS(with_position=True, max_token_length=FTS_MAX_TOKEN_LENGTH, base_tokenizer=FTS_TOKENIZER),
            replace=True,
            name=_TEXT_INDEX,
        )
        if text_index is not None and any(index.name == text_index.name for index in table.list_indices()):
            table.drop_index(text_index.name)  # replace=True replaced it here; drop it if it is still there

    def _rebuild_ann(self, table: Any, name: str, rows: int, *, compact: bool) -> bool:
        """Rebuild the ANN index; whether it was rebuilt (``False``: it failed, and a compaction follows)."""
        try:
            self._build_ann(table, name, rows)
        except Exception as exc:
            if not compact or lost_commit_race(exc):
                raise  # a lost race is retried soon (see the indexer's maintenance thread)
            # a rebuild that keeps failing must not stop compaction as well
            logger.exception("agentlog: rebuilding the ANN index of %s failed; compacting it all the same", name)
            return False
        return True

    def _merge_tail(self, table: Any, floor: int) -> None:
        """Rewrite the rows above ``floor`` (the unindexed tail, in many small fragments) as one fragment.

        One atomic ``merge_insert``: every search sees each row once, and the indexes are not touched, so
        no segment is added. Rows are matched on ``id`` and updated only where ``index_lsn`` is still
        the one read, so a row the indexer deletes or replaces meanwhile is not written back. Matching on
        ``id`` alone lets LanceDB find the rows with the B-tree index on ``id`` (and scan only the
        unindexed fragments): matching on both columns joined the tail with the whole table (5,000 tail
        rows at 1M rows: 0.6-1.0 s, against 0.13-0.23 s; it grows with the table), and a compaction that
        rewrites the last large fragment and adds a segment costs 15-20 s at 1M (see ``benchmarks/search.py``
        part (d)).
        """
        tail = table.search().where(f"index_lsn > {literal(floor)}").limit(None).to_arrow()
        if tail.num_rows:
            schema = table.schema
            table.merge_insert("id").when_matched_update_all(where="target.index_lsn = source.index_lsn").execute(
                tail.select(schema.names).cast(schema), timeout=MERGE_TIMEOUT
            )

    def _highest_lsn(self, table: Any, name: str) -> int:
        """The highest ``index_lsn`` in table ``name`` now (0 if empty): known from the appends, else read."""
        with self._lock:
            known = self._appended_through.get(name)
        if known is not None:
            return known
        column = table.search().select(["index_lsn"]).limit(None).to_arrow().column("index_lsn")
        return int(pc.max(column).as_py() or 0)

    def _wrote(self, name: str) -> None:
        """Count a write to table ``name``: the next search moves its handle to the latest version."""
        with self._lock:
            self._writes[name] = self._writes.get(name, 0) + 1

    def _set_indexed_through(self, name: str, lsn: int) -> None:
        """Record ``lsn`` as table ``name``'s tail floor, here and in the tail floors file."""
        with self._lock:
            self._indexed_through[name] = lsn
            write_tail_floors(self.directory, self._indexed_through)

    def _build_ann(self, table: Any, name: str, rows: int) -> None:
        """Build the ANN index (target partition size sqrt(``rows``)), drop the ones it replaces, add scalar indexes.

        Every row in the table when it starts is then indexed: its highest ``index_lsn`` is the new tail floor.
        """
        from lancedb.index import Bitmap, BTree, IvfSq

        target = max(1, int(math.sqrt(rows)))
        floor = self._highest_lsn(table, name)
        previous = [index.name for index in self._listed_vector_indexes(name)]
        while f"{ann.VECTOR_INDEX_PREFIX}{target}" in previous:
            target += 1  # a rebuild at the size of the index it replaces (to merge segments) needs another name
        index_name = f"{ann.VECTOR_INDEX_PREFIX}{target}"
        self._forget_partitions(name)
        # The new index first, then the old one goes: searches meanwhile keep an ANN index
        # (LanceDB uses the older of two) instead of scanning the whole table.
        table.create_index(
            "vector",
            config=IvfSq(distance_type="cosine", target_partition_size=target, sample_rate=ann.IVF_SAMPLE_RATE),
            name=index_name,
        )
        self._drop_indexes(table, name, previous)
        self._set_indexed_through(name, floor)
        existing = {tuple(index.columns) for index in table.list_indices()}
        for field in self.sources[name].fields:
            if (field.name,) in existing:
                continue
            if field.name in _BITMAP_COLUMNS:
                table.create_index(field.name, config=Bitmap())
            elif field.name in _BTREE_COLUMNS:
                table.create_index(field.name, config=BTree())

    def _drop_indexes(self, table: Any, name: str, index_names: Sequence[str]) -> None:
        """Drop replaced vector indexes of table ``name``; forget its remembered partition size."""
        for index_name in index_names:
            table.drop_index(index_name)
        self._forget_partitions(name)

    # -- reading (any thread) --------------------------------------------------------

    def ann_outdated(self, name: str) -> bool:
        """Whether a table's ANN index needs rebuilding regardless of its size.

        True for an index built with a partition count (by an earlier agentlog:
        compaction merges its partitions away), for two indexes on ``vector``
        (a rebuild cut short before it dropped the old one, which searches use)
        and for an index of more than :data:`~agentlog.index.ann.MAX_INDEX_SEGMENTS` segments (an
        earlier agentlog let compactions add them without end).

        Example:
            >>> import tempfile
            >>> VectorTables(Path(tempfile.mkdtemp()), dimension=4).ann_outdated("events")
            False
        """
        return ann.outdated(self._listed_vector_indexes(name))

    def _listed_vector_indexes(self, name: str) -> list[Any]:
        """Table ``name``'s indexes on ``vector``, oldest (the one searches use) first."""
        return ann.vector_indexes(self.table(name).list_indices())

    def ann_partition_size(self, name: str) -> int | None:
        """The target partition size of a table's ANN index, or None without one (remembered between calls)."""
        with self._lock:
            if name in self._partitions:
                return self._partitions[name]
            generation = self._partitions_generation
        vectors = self._listed_vector_indexes(name)
        found = ann.partition_size(vectors[0].name) if vectors else None
        with self._lock:
            if generation == self._partitions_generation:
                self._partitions[name] = found
        return found

    def _forget_partitions(self, name: str | None) -> None:
        """Drop the remembered partition size of ``name`` (of every table: ``None``)."""
        with self._lock:
            self._partitions_generation += 1
            if name is None:
                self._partitions.clear()
            else:
                self._partitions.pop(name, None)

    def unindexed_rows(self, name: str) -> int:
        """Rows of a table that its ANN index does not cover yet (searched by a scan); 0 without an index.

        Example:
            >>> import tempfile
            >>> VectorTables(Path(tempfile.mkdtemp()), dimension=4).unindexed_rows("events")
            0
        """
        vectors = self._listed_vector_indexes(name)
        return int(vectors[0].num_unindexed_rows) if vectors else 0

    def ann_segments(self, name: str) -> int:
        """Segments of a table's ANN index (the index and the deltas compactions added to it); 0 without one.

        Example:
            >>> import tempfile
            >>> VectorTables(Path(tempfile.mkdtemp()), dimension=4).ann_segments("events")
            0
        """
        vectors = self._listed_vector_indexes(name)
        return ann.segments(vectors[0]) if vectors else 0

    def has_ann_index(self, name: str) -> bool:
        """Whether a table has an ANN index on ``vector`` (one that searches use)."""
        return self.ann_partition_size(name) is not None

    def vector_search(
        self,
        name: str,
        vector: npt.NDArray[np.float32],
        *,
        where: str | None,
        limit: int,
        columns: Sequence[str] = (),
    ) -> pa.Table:
        """Nearest rows by cosine distance, filtered before the limit: ``id, index_lsn, <columns>, _distance``.

        Runs on LanceDB's background event loop (its async API, in one round trip; see :mod:`agentlog.index.ann`).
        """
        from lancedb.background_loop import LOOP

        # Everything that takes self._lock or uses the sync API happens here, on the calling thread: the
        # coroutine runs on LanceDB's one event-loop thread, which sync API calls made under the lock wait
        # for (taking the lock there, or calling the sync API from there, could deadlock that loop).
        self.table(name)  # created if missing
        size = self.ann_partition_size(name)
        with self._lock:
            writes = self._writes.get(name, 0)
            handle, seen = self._search_handles.get(name, (None, -1))
            database = self._async_db
            counted = self._filter_counts.get((name, where)) if where else None
        search = ann.nearest(
            self.directory if database is None else database,
            handle,
            name,
            np.asarray(vector, dtype=np.float32),
            refresh=seen < writes,
            where=where,
            limit=limit,
            columns=columns,
            size=size,
            counts=counted[1] if counted is not None and counted[0] == writes else None,
        )
        found, database, handle, counts = LOOP.run(search)  # type: ignore[no-untyped-call]  # (the sync API's loop)
        with self._lock:
            if self._async_db is None:
                self._async_db = database
            known = self._search_handles.get(name)
            if known is None or known[1] < writes:
                self._search_handles[name] = (handle, writes)
            if where and counts is not None:
                if len(self._filter_counts) >= _FILTER_COUNTS_KEPT:
                    self._filter_counts.clear()
                self._filter_counts[(name, where)] = (writes, counts)
        found_rows: pa.Table = found
        return found_rows

    def keyword_search(
        self, name: str, text: str, *, where: str | None, limit: int, columns: Sequence[str] = ()
    ) -> pa.Table:
        """Best full-text (BM25) matches, filtered before the limit: ``id, index_lsn, <columns>, vector, _score``."""
        table = self.table(name)
        if not self._has_text_index(table):
            self._ensure_text_index(name)
            if not self._has_text_index(table):  # an empty table: no index is built on nothing
                schema = self.schema(self.sources[name])
                score = pa.field("_score", pa.float32())
                names = ("id", "index_lsn", *columns, "vector")
                return pa.schema([*(schema.field(c) for c in names), score]).empty_table()
        query = table.search(text, query_type="fts")
        if where:
            query = query.where(where, prefilter=True)
        return query.select(["id", "index_lsn", *columns, "vector", "_score"]).limit(limit).to_arrow()

    @staticmethod
    def _has_text_index(table: Any) -> bool:
        return any(tuple(index.columns) == ("text",) for index in table.list_indices())

    def scan(self, name: str, columns: Sequence[str]) -> pa.RecordBatchReader:
        """Stream every row of a table (some of its columns), batch by batch, in no particular order.

        Example:
            >>> import tempfile
            >>> VectorTables(Path(tempfile.mkdtemp()), dimension=4).scan("events", ["id", "vector"]).read_all().num_rows
            0
        """
        reader: pa.RecordBatchReader = self.table(name).search().select(list(columns)).limit(None).to_batches()
        return reader

    def vectors(
        self, name: str, ids: Sequence[str] | None = None, *, where: str | None = None
    ) -> tuple[list[str], npt.NDArray[np.float32]]:
        """The stored vectors (all, or of ``ids``, or of the rows ``where`` keeps) as ``(ids, matrix)``.

        Args:
            name: The table.
            ids: Only these rows.
            where: Only the rows this Lance SQL condition keeps (build it with
                :class:`~agentlog.index.lance_filter.Filter`).

        Example:
            >>> import tempfile
            >>> VectorTables(Path(tempfile.mkdtemp()), dimension=4).vectors("sessions")[1].shape
            (0, 4)
        """
        query = self.table(name).search()
        condition = (
            Filter().one_of("id", list(ids) if ids is not None else None).extend([f"({where})"] if where else []).sql()
        )
        if condition is not None:
            query = query.where(condition)
        table = query.select(["id", "vector"]).limit(None).to_arrow()
        matrix = np.asarray(table.column("vector").combine_chunks().flatten(), dtype=np.float32)
        return table.column("id").to_pylist(), matrix.reshape(-1, self.dimension)


def lost_commit_race(exc: BaseException) -> bool:
    """Whether a LanceDB write failed only because other writes committed first (worth retrying soon).

    Example:
        >>> lost_commit_race(RuntimeError("lance error: Retryable commit conflict for version 9"))
        True
        >>> lost_commit_race(RuntimeError("k-means ran out of memory"))
        False
    """
    message = str(exc).lower()
    return "commit conflict" in message or "too many concurrent writers" in message


def cleanup_age(versions: Sequence[Mapping[str, Any]], *, now: float | None = None) -> timedelta:
    """The ``cleanup_older_than`` of a compaction: it removes only versions replaced over :data:`VERSION_RETENTION` ago.

    LanceDB removes every version but the latest that was *created* before the cutoff, and with it the
    files no kept version uses. A version created long ago may have been the latest a moment ago, though,
    and a search may still be reading it: so the cutoff is the creation of the version that was the latest
    :data:`VERSION_RETENTION` ago, less :data:`VERSION_RETENTION` again (the compaction runs before the
    prune, and moves LanceDB's clock on: this keeps the bound for compactions shorter than that). Every
    version created before that cutoff was replaced (by the next one) before it, over
    :data:`VERSION_RETENTION` ago. Searches move to the latest version after every write (see
    :meth:`VectorTables.vector_search`), so one on an older version is one that started before it was replaced.

    Args:
        versions: What the table's ``list_versions()`` returned (``timestamp``: naive local time, as LanceDB gives it).
        now: The time (seconds since the epoch; default: now).

    Example:
        >>> from datetime import datetime
        >>> versions = [{"version": n, "timestamp": datetime.fromtimestamp(1000.0 + 60 * n)} for n in range(60)]
        >>> cleanup_age(versions, now=1000.0 + 60 * 60) == 2 * VERSION_RETENTION  # version 55 was the latest then
        True
        >>> cleanup_age(versions[-2:], now=1000.0 + 60 * 60) == 2 * VERSION_RETENTION  # none was replaced long ago
        True
    """
    now = time.time() if now is None else now
    then = now - VERSION_RETENTION.total_seconds()
    created = [float(version["timestamp"].timestamp()) for version in versions]
    latest_then = max((moment for moment in created if moment <= then), default=then)
    # at least 1 ms: 0 would remove every version but the latest (LanceDB warns about it)
    return max(timedelta(seconds=now - latest_then) + VERSION_RETENTION, timedelta(milliseconds=1))


def excess_fragments(stats: Any) -> int:
    """Fragments of a LanceDB table beyond the full ones a compacted table of its rows would have.

    What compaction could merge: a table of 30M rows holds at least 28 full fragments
    (:data:`LANCE_FRAGMENT_ROWS` rows each) however often it is compacted, so counting
    every fragment against :data:`MAX_FRAGMENTS` would compact it, and add a segment to
    its ANN index, at every maintenance from about 25M rows on.

    Args:
        stats: What the table's ``stats()`` returned.

    Example:
        >>> stats = {"num_rows": 30_000_000, "fragment_stats": {"num_fragments": 31}}
        >>> excess_fragments(stats)  # 28 full fragments, 3 others (a partial one and two small appends)
        3
        >>> excess_fragments({"num_rows": 5_000, "fragment_stats": {"num_fragments": 7}})
        7
    """
    if not isinstance(stats, dict):
        return 0
    full = int(stats.get("num_rows") or 0) // LANCE_FRAGMENT_ROWS
    return max(0, int(stats["fragment_stats"]["num_fragments"]) - full)
