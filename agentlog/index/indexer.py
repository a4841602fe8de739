"""The indexer: embeds committed rows in batches, off the write path.

After every commit the writer tells the indexer the store's highest change
number (``index_lsn``). The indexer thread keeps a *watermark*: every change
up to it is reflected in LanceDB. Each step it takes the changes above the
watermark (at most :data:`BATCH` rows per source), embeds their texts in one
call, replaces or appends their vectors, applies deletions (tombstones), and
then records the new watermark in DuckDB (``index_state``) through the writer.

* ``add_event`` never waits for a model: indexing happens after the commit.
* Searches call :meth:`Indexer.wait` / :meth:`Indexer.wait_async` with the
  store's committed change number first, so a write followed by a search
  finds what was written (read-your-writes).
* Crash safety: LanceDB rows carry the change number they were indexed from.
  On start, rows above the recorded watermark are deleted and their changes
  processed again, so a crash between a LanceDB write and the watermark
  update never leaves duplicates or gaps.
* If the LanceDB directory is missing (deleted, or a copied DuckDB file), the
  index is rebuilt from DuckDB.
* An error while indexing (say the model cannot load) is kept and raised to
  every waiting search; the indexer retries with a growing pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from agentlog.errors import SearchUnavailableError, StoreClosedError
from agentlog.index.sources import SOURCES, TOMBSTONE_RULES, IndexSource
from agentlog.index.vectors import MAX_FRAGMENTS, VectorTables
from agentlog.store.writer import Transaction

if TYPE_CHECKING:
    from agentlog.embeddings import Embedder
    from agentlog.store import Store

__all__ = ["BATCH", "Indexer", "SetWatermark", "read_watermark"]

logger = logging.getLogger("agentlog.index")

BATCH = 256
"""Most rows of one source embedded per step."""
_STATE_NAME = "vectors"
_MAINTAIN_AFTER_ROWS = 4096


@dataclass(slots=True)
class SetWatermark:
    """Record the index watermark and forget the tombstones it covers."""

    watermark: int

    def apply(self, tx: Transaction) -> None:
        """Upsert the watermark row; delete applied tombstones."""
        tx.execute(
            "INSERT INTO index_state (name, watermark, updated_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (name) DO UPDATE SET watermark = excluded.watermark, updated_at = excluded.updated_at",
            [_STATE_NAME, self.watermark, tx.now()],
        )
        tx.execute("DELETE FROM index_tombstones WHERE index_lsn <= ?", [self.watermark])


def read_watermark(cur: Any) -> int:
    """The recorded watermark (0 when nothing was ever indexed).

    Example:
        >>> from agentlog.store import Store
        >>> with Store.memory(embedder=None) as store:
        ...     store.read(read_watermark)
        0
    """
    rows = cur.execute("SELECT watermark FROM index_state WHERE name = ?", [_STATE_NAME]).fetchall()
    return int(rows[0][0]) if rows else 0


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
        self.watermark = 0
        self.error: BaseException | None = None
        self.on_progress: Callable[[int], None] | None = None
        """Called on the indexer thread with the number of rows of each step."""
        self._target = 0
        self._closing = False
        self._cond = threading.Condition()
        self._waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._thread: threading.Thread | None = None
        self._rows_since_maintenance = 0
        self._appends_since_maintenance = 0

    # -- life ------------------------------------------------------------------

    def start(self, *, rebuild: bool = False) -> None:
        """Recover from an interrupted run (or drop everything, with ``rebuild``) and start the thread."""
        self.watermark = self.store.read(read_watermark)
        existing = self.tables.existing()
        # A missing table matters only if rows it should hold were indexed already
        # (the lance/ directory was deleted, or a DuckDB file was copied alone); a new
        # kind of data has no such rows and just gets its empty table.
        lost = [s.name for s in self.sources if s.name not in existing and self._indexed_rows(s)]
        if rebuild or (self.watermark and lost):
            if not rebuild:
                logger.warning("agentlog: vector tables %s are missing; rebuilding the index", sorted(lost))
            self.tables.drop_all()
            self.store.write(SetWatermark(0))
            self.watermark = 0
        else:
            self.tables.delete_after(self.watermark)
        for source in self.sources:
            self.tables.table(source.name)
        self._target = max(self.store.committed_lsn, self.watermark)
        self._thread = threading.Thread(target=self._run, name="agentlog-indexer", daemon=True)
        self._thread.start()

    def _indexed_rows(self, source: IndexSource) -> int:
        """How many rows of ``source`` are at or below the watermark (should be in LanceDB)."""
        query = f"SELECT count(*) FROM {source.lsn_table} WHERE index_lsn <= ?"
        return int(self.store.read(lambda cur: cur.execute(query, [self.watermark]).fetchall()[0][0]))

    def close(self) -> None:
        """Stop after the current step; the rest is indexed on the next open."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._fail_waiters(StoreClosedError("the store was closed while a search waited for the index"))

    @property
    def closing(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closing

    def notify(self, committed: int) -> None:
        """Tell the indexer that changes up to ``committed`` are durable (writer thread)."""
        with self._cond:
            if committed > self._target:
                self._target = committed
                self._cond.notify_all()

    # -- waiting (read-your-writes) -----------------------------------------------------

    def wait(self, lsn: int, timeout: float | None = None) -> None:
        """Block until every change up to ``lsn`` is indexed.

        Raises:
            SearchUnavailableError: If indexing keeps failing (the cause is attached),
                or on timeout.
            StoreClosedError: If the store closes first.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self.watermark < lsn:
                self._raise_if_broken()
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise SearchUnavailableError(f"the index did not catch up with change {lsn} in {timeout} s")
                self._cond.wait(remaining if remaining is not None else 1.0)

    async def wait_async(self, lsn: int) -> None:
        """Like :meth:`wait`, without blocking the event loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._cond:
            if self.watermark >= lsn:
                return
            self._raise_if_broken()
            self._waiters.append((lsn, loop, future))
        await future

    def _raise_if_broken(self) -> None:
        if self._closing:
            raise StoreClosedError("the store is closed")
        if self.error is not None:
            raise SearchUnavailableError(f"the vector index cannot be updated: {self.error}") from self.error

    # -- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        pause = 0.5
        while True:
            with self._cond:
                while self._target <= self.watermark and not self._closing:
                    self._cond.wait()
                if self._closing:
                    return
                target = self._target
            try:
                self._step(target)
                pause = 0.5
            except Exception as exc:
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

    def _step(self, target: int) -> None:
        after = self.watermark
        upto = self.store.read(lambda cur: self._range_end(cur, after, target))
        changes = self.store.read(lambda cur: [(s, s.changes(cur, after, upto)) for s in self.sources])
        tombstones = self.store.read(
            lambda cur: cur.execute(
                "SELECT kind, item_id FROM index_tombstones WHERE index_lsn > $1 AND index_lsn <= $2",
                [after, upto],
            ).fetchall()
        )
        texts = [t for _, rows in changes for t in rows.column("text").to_pylist() if t is not None]
        vectors = self.embedder.embed(texts) if texts else np.zeros((0, self.tables.dimension), np.float32)
        # Deletions first: a tombstone removes everything of its parent (all chunks of a
        # re-chunked document, say); rows written again after it come next in the same step.
        for rule in TOMBSTONE_RULES:
            ids = [str(item) for kind, item in tombstones if kind == rule.kind]
            if ids and rule.source in {s.name for s in self.sources}:
                self.tables.delete_where(rule.source, rule.column, ids)
        offset = 0
        for source, rows in changes:
            if rows.num_rows == 0:
                continue
            if source.replaces:
                self.tables.delete_where(source.name, "id", rows.column("id").to_pylist())
            keep = rows.filter(rows.column("text").is_valid())
            self.tables.add(source.name, keep, vectors[offset : offset + keep.num_rows])
            offset += keep.num_rows
            self._appends_since_maintenance += 1
        self.store.write(SetWatermark(upto))
        with self._cond:
            self.watermark = upto
            self.error = None
            self._cond.notify_all()
        self._release_waiters()
        processed = sum(rows.num_rows for _, rows in changes)
        if self.on_progress is not None:
            self.on_progress(processed)
        self._rows_since_maintenance += processed
        if self._rows_since_maintenance >= _MAINTAIN_AFTER_ROWS or self._appends_since_maintenance >= MAX_FRAGMENTS:
            self._rows_since_maintenance = self._appends_since_maintenance = 0
            self.maintain()

    def _range_end(self, cur: Any, after: int, target: int) -> int:
        end = target
        for source in self.sources:
            boundary = source.boundary(cur, after, BATCH)
            if boundary is not None:
                end = min(end, boundary)
        return end

    def maintain(self) -> None:
        """Compact tables and build indexes where they pay (indexer thread, or when idle)."""
        for source in self.sources:
            try:
                self.tables.maintain(source.name)
            except Exception:  # maintenance must never stop indexing
                logger.exception("agentlog: maintenance of %s failed", source.name)

    def _release_waiters(self) -> None:
        with self._cond:
            ready = [w for w in self._waiters if w[0] <= self.watermark]
            self._waiters = [w for w in self._waiters if w[0] > self.watermark]
        for _, loop, future in ready:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_set_result, future)

    def _fail_waiters(self, error: BaseException) -> None:
        with self._cond:
            waiting, self._waiters = self._waiters, []
        for _, loop, future in waiting:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_set_exception, future, error)


def _set_result(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _set_exception(future: asyncio.Future[None], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
