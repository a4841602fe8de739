"""The indexer: embeds committed rows in batches, off the write path.

After every commit the writer tells the indexer the store's highest change
number (``index_lsn``). The indexer thread keeps a *watermark* per source
(LanceDB table): every change up to it is reflected in that table. Each round
it visits every source that is behind, takes its changes above its watermark
(at most :data:`BATCH` rows), embeds the texts in one call, writes the
vectors (replacing a row of the same id in one atomic upsert: a re-summarised
session never leaves the index), applies the deletions (tombstones) meant for
its table to the rows indexed before (a re-indexed document's old chunks go
after its new ones are in), and records the new watermarks in DuckDB
(``index_state``) through the writer.

* ``add_event`` never waits for a model: indexing happens after the commit.
* Searches call :meth:`Indexer.wait` / :meth:`Indexer.wait_async` with the
  store's committed change number and the sources they read first, so a write
  followed by a search finds what was written (read-your-writes). The sources
  a search waits for are advanced first (see :data:`FIRST_ROUNDS`), so a
  session search does not wait for a large backlog of events to be embedded.
* Crash safety: LanceDB rows carry the change number they were indexed from.
  On start, rows above the recorded watermark are deleted and their changes
  processed again, so a crash between a LanceDB write and the watermark
  update never leaves duplicates or gaps.
* If the LanceDB directory is missing (deleted, or a copied DuckDB file), the
  index is rebuilt from DuckDB.
* An error while indexing (say the model cannot load) is kept and raised to
  every waiting search; the indexer retries with a growing pause.
* Maintenance (compaction, index updates and rebuilds: seconds to minutes on
  a large table) runs on a thread of its own, so new rows keep being indexed
  meanwhile and a search never waits for it. LanceDB lets the two write the
  same table; when a compaction loses a commit race with the indexer's
  deletes, it is tried again after a pause.
* Vectors computed elsewhere (a dataset exported with its vectors) can be
  offered before their rows are written (:meth:`Indexer.offer_vectors`, see
  :mod:`agentlog.index.offers`): a row whose id and text match an offered
  vector takes it instead of being embedded. :attr:`Indexer.stats` counts both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from agentlog.errors import IndexTimeoutError, SearchUnavailableError, StoreClosedError, ValidationError
from agentlog.index.offers import VectorOffer
from agentlog.index.sources import SOURCES, TOMBSTONE_RULES, IndexSource
from agentlog.index.text_vectors import RecentTextVectors
from agentlog.index.vectors import MAX_FRAGMENTS, VectorTables, lost_commit_race
from agentlog.priority import lower_thread_priority
from agentlog.store.writer import Transaction

if TYPE_CHECKING:
    from agentlog.embeddings import Embedder
    from agentlog.store import Store

__all__ = ["BATCH", "OFFERED_BATCH", "IndexStats", "Indexer", "SetWatermarks", "read_watermark", "read_watermarks"]

logger = logging.getLogger("agentlog.index")

BATCH = 256
"""Most rows of one source embedded per step."""
OFFERED_BATCH = 4096
"""Most rows of one source per step while vectors are on offer for it (most rows then need no embedding)."""
_MAINTAIN_AFTER_ROWS = 4096
_LEGACY_WATERMARK = "vectors"
"""The ``index_state`` row of the one watermark an earlier agentlog kept for every source (see read_watermarks)."""

FIRST_ROUNDS = 4
"""Rounds in a row that may advance only the sources a search waits for (then one round advances all).

A session search on a store that was just loaded (2,000 summaries and 100,000 events behind, say) then
waits for the sessions alone, not for a batch of events between two batches of sessions; the bound keeps
the other sources moving while searches keep coming.
"""


@dataclass(slots=True)
class SetWatermarks:
    """Record index watermarks and forget the tombstones every source has applied."""

    watermarks: dict[str, int]
    """New watermark of each source that advanced."""
    tombstone_floor: int
    """The lowest watermark of all sources: tombstones at or below it are done."""

    def apply(self, tx: Transaction) -> None:
        """Upsert the watermark rows; delete applied tombstones."""
        now = tx.now()
        for name, watermark in self.watermarks.items():
            tx.execute(
                "INSERT INTO index_state (name, watermark, updated_at) VALUES ($1, $2, $3) "
                "ON CONFLICT (name) DO UPDATE SET watermark = excluded.watermark, updated_at = excluded.updated_at",
                [name, watermark, now],
            )
        tx.execute("DELETE FROM index_tombstones WHERE index_lsn <= ?", [self.tombstone_floor])


@dataclass(frozen=True, slots=True)
class IndexStats:
    """What an indexer has done since it started.

    Example:
        >>> IndexStats(embedded=3, reused=2).embedded
        3
    """

    embedded: int
    """Rows given a vector by the embedder (a text embedded moments before gives its vector again)."""
    reused: int
    """Rows that took an offered vector instead (see :meth:`Indexer.offer_vectors`)."""


def read_watermarks(cur: Any, sources: tuple[IndexSource, ...] | None = None) -> dict[str, int]:
    """The recorded watermark of each source (0 for a source never indexed).

    Example:
        >>> from agentlog.store import Store
        >>> with Store.memory(embedder=None) as store:
        ...     store.read(read_watermarks)["events"]
        0
    """
    stored = dict(cur.execute("SELECT name, watermark FROM index_state").fetchall())
    # A store indexed before each source had a watermark of its own has one row for all (sessions and events,
    # then): every change up to it is indexed, and later rows of any source come above it. Without it, the
    # first open after an upgrade deleted every vector and embedded the whole store again.
    legacy = int(stored.get(_LEGACY_WATERMARK, 0))
    return {s.name: int(stored.get(s.name, legacy)) for s in (sources or SOURCES)}


def read_watermark(cur: Any, source: str | None = None) -> int:
    """The recorded watermark of one source, or the lowest of all (everything up to it is indexed).

    Example:
        >>> from agentlog.store import Store
        >>> with Store.memory(embedder=None) as store:
        ...     store.read(read_watermark)
        0
    """
    marks = read_watermarks(cur)
    return marks[source] if source is not None else min(marks.values())


class Indexer:
    """Keep a store's vector index up to date in a background thread.

    Args:
        store: The store (its writer reports commits to :meth:`notify`).
        embedder: The embedder of this store's vectors.
        tables: The LanceDB tables.
        sources: What to index (default: everything in :mod:`agentlog.index.sources`).
    """

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        tables: VectorTables,
        sources: tuple[IndexSource, ...] | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.tables = tables
        self.sources = tuple(sources or SOURCES)
        self.watermarks: dict[str, int] = {s.name: 0 for s in self.sources}
        """Per source: every change up to this number is in its LanceDB table."""
        self.error: BaseException | None = None
        """The failure of the last round, raised to waiting searches; ``None`` once a round succeeds."""
        self.on_progress: Callable[[int], None] | None = None
        """Called on the indexer thread after each round with the number of rows it indexed (all sources)."""
        self._target = 0
        self._closing = False
        self._cond = threading.Condition()
        self._waiters: list[tuple[int, frozenset[str], asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._blocking_waits: list[tuple[int, frozenset[str]]] = []  # what threads blocked in wait() wait for
        self._first_rounds = 0  # rounds in a row that advanced only awaited sources
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._maintenance_thread: threading.Thread | None = None
        self._maintenance_wanted = False
        self._rows_since_maintenance = 0
        self._appends_since_maintenance = 0
        self._round_failed = False  # the last round raised: the next one first undoes its unrecorded appends
        self._offers: list[VectorOffer] = []
        self._embedded = 0
        self._recent = RecentTextVectors()  # agents repeat themselves: the same text is embedded once
        self._reused = 0

    @property
    def watermark(self) -> int:
        """The lowest watermark: every change up to it is indexed in every table."""
        return min(self.watermarks.values())

    # -- life ------------------------------------------------------------------

    def start(self, *, rebuild: bool = False) -> None:
        """Recover from an interrupted run (or drop everything, with ``rebuild``) and start the thread."""
        self.watermarks = self.store.read(lambda cur: read_watermarks(cur, self.sources))
        existing = self.tables.existing()
        # A missing table matters only if rows it should hold were indexed already
        # (the lance/ directory was deleted, or a DuckDB file was copied alone); a new
        # kind of data has no such rows and just gets its empty table.
        lost = [s.name for s in self.sources if s.name not in existing and self._indexed_rows(s)]
        foreign = self._foreign_tables(existing)
        if rebuild or lost or foreign:
            if lost and not rebuild:
                logger.warning("agentlog: vector tables %s are missing; rebuilding the index", sorted(lost))
            if foreign and not rebuild:
                logger.warning(
                    "agentlog: vector tables %s hold vectors of another dimension; rebuilding the index", foreign
                )
            self.tables.drop_all()
            self.watermarks = {s.name: 0 for s in self.sources}
            self.store.write(SetWatermarks(dict(self.watermarks), 0))
        else:
            for source in self.sources:
                self.tables.delete_after(self.watermarks[source.name], source.name)
        for source in self.sources:
            self.tables.table(source.name)
        self._target = max(self.store.committed_lsn, max(self.watermarks.values(), default=0))
        self._thread = threading.Thread(target=self._run, name="agentlog-indexer", daemon=True)
        self._thread.start()
        self._maintenance_thread = threading.Thread(
            target=self._run_maintenance, name="agentlog-index-maintenance", daemon=True
        )
        self._maintenance_thread.start()

    def _foreign_tables(self, existing: set[str]) -> list[str]:
        """The tables on disk whose vectors are not of the embedder's dimension (a reindex cut short)."""
        import lancedb

        names = sorted(existing & {s.name for s in self.sources})
        if not names:
            return []
        db = lancedb.connect(str(self.tables.directory))
        foreign = []
        for name in names:
            vector = db.open_table(name).schema.field("vector").type
            if getattr(vector, "list_size", None) != self.tables.dimension:
                foreign.append(name)
        return foreign

    def _indexed_rows(self, source: IndexSource) -> int:
        """How many rows of ``source`` are at or below its watermark (should be in LanceDB)."""
        query = f"SELECT count(*) FROM {source.lsn_table} WHERE index_lsn <= ?"
        mark = self.watermarks[source.name]
        return int(self.store.read(lambda cur: cur.execute(query, [mark]).fetchall()[0][0]))

    def close(self) -> None:
        """Stop after the current step; the rest is indexed on the next open."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        for thread in (self._thread, self._maintenance_thread):
            if thread is not None and thread is not threading.current_thread():
                thread.join()
        with self._cond:
            self._offers.clear()
        self._fail_waiters(StoreClosedError("the store was closed while a search waited for the index"))

    @property
    def closing(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closing

    @property
    def waiting(self) -> int:
        """How many async searches (:meth:`wait_async`) wait for the index to catch up (a snapshot, lock-free).

        Example:
            >>> from agentlog.store import Store
            >>> with Store.memory(embedder="fake") as store:
            ...     store.index.waiting
            0
        """
        return len(self._waiters)

    def notify(self, committed: int) -> None:
        """Tell the indexer that changes up to ``committed`` are durable (writer thread)."""
        with self._cond:
            if committed > self._target:
                self._target = committed
                self._cond.notify_all()

    # -- vectors computed elsewhere ----------------------------------------------------------

    @property
    def stats(self) -> IndexStats:
        """Rows embedded and rows that took an offered vector, since the indexer started."""
        with self._cond:
            return IndexStats(embedded=self._embedded, reused=self._reused)

    @property
    def offered(self) -> dict[str, int]:
        """Vectors still on offer (not yet taken by a row, nor retired), by source; empty when none."""
        totals: dict[str, int] = {}
        with self._cond:
            for offer in self._offers:
                for name, count in offer.rows.items():
                    if count:
                        totals[name] = totals.get(name, 0) + count
        return totals

    def offer_vectors(self, vectors: Mapping[str, pa.Table]) -> VectorOffer:
        """Offer precomputed vectors for rows about to be written, so that they are not embedded again.

        Call it before the write that adds the rows, then :meth:`retire_offer`
        after it (or on failure). A row takes an offered vector only when its id
        and the text it would be embedded from are those of the offer; the
        caller must make sure the vectors come from an embedder with this
        one's name and dimension (:attr:`embedder`).

        Args:
            vectors: By source name, a table of ``id`` (UUID), ``text`` and
                ``vector`` (see :class:`~agentlog.index.offers.VectorOffer`).

        Returns:
            The offer, to pass to :meth:`retire_offer`.

        Raises:
            ValidationError: An unknown source, or a malformed table.
        """
        unknown = sorted(set(vectors) - set(self.watermarks))
        if unknown:
            raise ValidationError(
                f"no index source named {unknown}; expected some of {sorted(self.watermarks)}", field="vectors"
            )
        offer = VectorOffer(vectors, self.tables.dimension)
        with self._cond:
            self._offers.append(offer)
        return offer

    def retire_offer(self, offer: VectorOffer, *, after: int | None = None) -> None:
        """Drop an offer: now (``after=None``), or once every source it covers is indexed up to change ``after``.

        After a successful write, ``after`` is the store's committed change
        number: every row written is at or below it, so what is left of the
        offer then belongs to rows that were not written (already stored).
        """
        with self._cond:
            if offer not in self._offers:
                return
            if after is None or self._caught_up(after, offer.sources):
                self._offers.remove(offer)
            else:
                offer.retire_after = after

    def _retire_offers(self) -> None:
        """Drop the offers whose rows are all indexed (under ``_cond``)."""
        self._offers = [
            offer
            for offer in self._offers
            if offer.retire_after is None or not self._caught_up(offer.retire_after, offer.sources)
        ]

    def _vectors(self, name: str, rows: pa.Table) -> npt.NDArray[np.float32]:
        """The vectors of ``rows`` (``id``, ``text``): offered ones where they match, the embedder's for the rest."""
        texts = rows.column("text").to_pylist()
        matrix = np.zeros((len(texts), self.tables.dimension), np.float32)
        found = np.zeros(len(texts), bool)
        with self._cond:
            offers = [offer for offer in self._offers if name in offer.sources]
        reused = 0
        if offers and texts:
            ids = rows.column("id").to_pylist()
            for offer in offers:
                reused += offer.take(name, ids, texts, matrix, found)
        missing = np.flatnonzero(~found)
        if len(missing):
            matrix[missing] = self._recent.embed(self.embedder, [texts[i] for i in missing.tolist()])
        with self._cond:
            self._embedded += len(missing)
            self._reused += reused
        return matrix

    # -- waiting (read-your-writes) -----------------------------------------------------

    def _names(self, sources: Sequence[str] | None) -> frozenset[str]:
        """The source names a wait is for (``None``: every source)."""
        return frozenset(self.watermarks) if sources is None else frozenset(sources)

    def _caught_up(self, lsn: int, names: frozenset[str]) -> bool:
        """Whether every source in ``names`` is indexed up to change ``lsn``."""
        return all(self.watermarks[name] >= lsn for name in names)

    def wait(self, lsn: int, timeout: float | None = None, *, sources: Sequence[str] | None = None) -> None:
        """Block until every change up to ``lsn`` is indexed (in ``sources``, default all).

        Raises:
            SearchUnavailableError: If indexing keeps failing (the cause is attached).
            IndexTimeoutError: On timeout (a ``TimeoutError`` too).
            StoreClosedError: If the store closes first.
        """
        names = self._names(sources)
        deadline = None if timeout is None else time.monotonic() + timeout
        wanted = (lsn, names)
        with self._cond:
            self._blocking_waits.append(wanted)
            try:
                while not self._caught_up(lsn, names):
                    self._raise_if_broken()
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        raise IndexTimeoutError(f"the index did not catch up with change {lsn} in {timeout} s")
                    self._cond.wait(remaining if remaining is not None else 1.0)
            finally:
                self._blocking_waits.remove(wanted)

    async def wait_async(self, lsn: int, *, sources: Sequence[str] | None = None) -> None:
        """Like :meth:`wait`, without blocking the event loop."""
        names = self._names(sources)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._cond:
            if self._caught_up(lsn, names):
                return
            self._raise_if_broken()
            self._waiters.append((lsn, names, loop, future))
        await future

    def _raise_if_broken(self) -> None:
        if self._closing:
            raise StoreClosedError("the store is closed")
        if self.error is not None:
            raise SearchUnavailableError(f"the vector index cannot be updated: {self.error}") from self.error
        if self._stopped or self._thread is None or not self._thread.is_alive():
            raise SearchUnavailableError(
                "the vector index is not being updated (its indexer stopped or never started); "
                "open the store again or run reindex()"
            )

    # -- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        lower_thread_priority()  # embedding yields the CPU to the writes it indexes (see agentlog.priority)
        try:
            self._index_until_closed()
        finally:
            with self._cond:
                self._stopped = True
                self._cond.notify_all()
            if not self._closing:  # the thread died: nobody would ever release these waiters
                self._fail_waiters(SearchUnavailableError("the vector index is not being updated (its indexer died)"))

    def _index_until_closed(self) -> None:
        pause = 0.5
        while True:
            with self._cond:
                while self._target <= self.watermark and not self._closing:
                    self._cond.wait()
                if self._closing:
                    return
                target = self._target
            try:
                self._round(target)
                pause = 0.5
            except Exception as exc:
                self._round_failed = True
                if self.closing:  # the store is closing under the step: not an indexing failure
                    return
                logger.exception("agentlog: indexing failed; retrying in %.1f s", pause)
                with self._cond:
                    self.error = exc
                    self._cond.notify_all()
                self._fail_waiters(SearchUnavailableError(f"the vector index cannot be updated: {exc}"))
                with self._cond:
                    self._cond.wait(pause)
                pause = min(pause * 2, 30.0)

    def _round(self, target: int) -> None:
        """Advance the sources that are behind by one batch each, then record the watermarks.

        Which sources: see :meth:`_sources_for_round`.

        A round that fails part way may have appended some sources' rows without recording their
        watermarks: the round after it first deletes every row above the recorded watermarks (as
        recovery does at open), or it would append them again (events are appended, not replaced).
        """
        if self._round_failed:
            for source in self.sources:
                self.tables.delete_after(self.watermarks[source.name], source.name)
            self._round_failed = False
        advanced: dict[str, int] = {}
        processed = 0
        for source in self._sources_for_round(target):
            after = self.watermarks[source.name]
            upto, rows = self._step(source, after, target)
            advanced[source.name] = upto
            processed += rows
        floor = min({**self.watermarks, **advanced}.values())
        self.store.write(SetWatermarks(advanced, floor))
        with self._cond:
            self.watermarks.update(advanced)
            self.error = None
            self._retire_offers()
            self._cond.notify_all()
        self._release_waiters()
        if self.on_progress is not None:
            self.on_progress(processed)
        self._rows_since_maintenance += processed
        if self._rows_since_maintenance >= _MAINTAIN_AFTER_ROWS or self._appends_since_maintenance >= MAX_FRAGMENTS:
            self._rows_since_maintenance = self._appends_since_maintenance = 0
            with self._cond:
                self._maintenance_wanted = True
                self._cond.notify_all()

    def _sources_for_round(self, target: int) -> list[IndexSource]:
        """The sources a round advances: those behind ``target``, the ones searches wait for first.

        While a search waits for some sources (a session search for ``sessions``), up to
        :data:`FIRST_ROUNDS` rounds in a row advance only those; the round after advances every source.
        """
        behind = [source for source in self.sources if self.watermarks[source.name] < target]
        with self._cond:
            waits = [(lsn, names) for lsn, names, _, _ in self._waiters] + self._blocking_waits
            awaited = {name for lsn, names in waits for name in names if self.watermarks.get(name, lsn) < lsn}
        first = [source for source in behind if source.name in awaited]
        if first and len(first) < len(behind) and self._first_rounds < FIRST_ROUNDS:
            self._first_rounds += 1
            return first
        self._first_rounds = 0
        return behind

    def _step(self, source: IndexSource, after: int, target: int) -> tuple[int, int]:
        """Index one batch of ``source``'s changes above ``after``; return the new watermark and the row count."""
        with self._cond:
            offered = any(source.name in offer.sources for offer in self._offers)
        batch = OFFERED_BATCH if offered else BATCH

        def read(cur: Any) -> tuple[int, pa.Table, list[tuple[str, Any]]]:
            boundary = source.boundary(cur, after, batch)
            upto = target if boundary is None else min(target, boundary)
            tombstones = cur.execute(
                "SELECT kind, item_id FROM index_tombstones WHERE index_lsn > $1 AND index_lsn <= $2",
                [after, upto],
            ).fetchall()
            return upto, source.changes(cur, after, upto), tombstones

        upto, rows, tombstones = self.store.read(read)
        # The old vectors keep serving searches until the new ones are in: first the model, then the
        # writes, and the tombstones' deletions last.
        has_text = rows.column("text").is_valid()
        keep = rows.filter(has_text)
        vectors = self._vectors(source.name, keep)
        if rows.num_rows:
            if source.replaces:  # a row without text (a deleted memory) loses its vector; the rest replace theirs
                gone = rows.filter(pc.invert(has_text)).column("id").to_pylist()
                if gone:
                    self.tables.delete_where(source.name, "id", gone)
                self.tables.upsert(source.name, keep, vectors)
            else:
                self.tables.add(source.name, keep, vectors)
            self._appends_since_maintenance += 1
        # A tombstone removes everything of its parent (all chunks of a re-chunked document, say) that was
        # indexed before this step: the rows just written (a re-indexed document's new chunks) stay. A
        # search meanwhile may meet the old chunks, which DuckDB no longer has (it drops them), never none.
        for rule in TOMBSTONE_RULES:
            ids = [str(item) for kind, item in tombstones if kind == rule.kind]
            if ids and rule.source == source.name:
                self.tables.delete_where(rule.source, rule.column, ids, indexed_through=after)
        return upto, rows.num_rows

    def maintain(self) -> None:
        """Compact tables and build indexes where they pay, now, on the calling thread.

        The indexer's maintenance thread does this every few thousand indexed
        rows; call it to bring a table to its maintained state at once (a
        benchmark, a test). A source whose maintenance fails is logged and left
        for the next time.
        """
        self._maintain_sources()

    def _maintain_sources(self) -> bool:
        """Maintain every source's table; return whether one lost a commit race (worth retrying soon).

        Other failures are logged and left until the indexer next asks for maintenance.
        """
        lost_race = False
        for source in self.sources:
            if self._closing:
                break
            try:
                self.tables.maintain(source.name)
            except Exception as exc:  # maintenance must never stop indexing
                if lost_commit_race(exc):
                    lost_race = True
                    logger.info("agentlog: maintenance of %s lost a commit race; it will be retried", source.name)
                else:
                    logger.exception("agentlog: maintenance of %s failed", source.name)
        return lost_race

    def _run_maintenance(self) -> None:
        """The maintenance thread: maintain the tables whenever the indexer asks; retry lost races after a pause."""
        # an index an earlier build made (or one a crash left beside its replacement) is redone at once
        try:
            outdated = any(self.tables.ann_outdated(source.name) for source in self.sources)
        except Exception:  # the thread must live on: the indexer's requests still come
            logger.exception("agentlog: could not check the vector indexes")
            outdated = False
        if outdated:
            with self._cond:
                self._maintenance_wanted = True
        pause = 1.0
        while True:
            with self._cond:
                while not self._maintenance_wanted and not self._closing:
                    self._cond.wait()
                if self._closing:
                    return
                self._maintenance_wanted = False
            if not self._maintain_sources():
                pause = 1.0
                continue
            deadline = time.monotonic() + pause  # commits wake the condition: wait out the whole pause
            with self._cond:
                while not self._closing and (left := deadline - time.monotonic()) > 0:
                    self._cond.wait(left)
                self._maintenance_wanted = True
            pause = min(pause * 2, 60.0)

    def _release_waiters(self) -> None:
        with self._cond:
            ready = [w for w in self._waiters if self._caught_up(w[0], w[1])]
            self._waiters = [w for w in self._waiters if not self._caught_up(w[0], w[1])]
        for _, _, loop, future in ready:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_set_result, future)

    def _fail_waiters(self, error: BaseException) -> None:
        with self._cond:
            waiting, self._waiters = self._waiters, []
        for _, _, loop, future in waiting:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_set_exception, future, error)


def _set_result(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _set_exception(future: asyncio.Future[None], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
