"""A store: one directory holding a DuckDB file, a LanceDB directory and a manifest.

::

    <store>/
        agentlog.json     manifest: format, schema version, embedder
        agentlog.duckdb   the source of truth (sessions, events, ...)
        lance/            vector index, rebuildable from DuckDB
        .lock             held by the process that has the store open

Open one with an explicit path, with ``AGENTLOG_HOME``, or at the per-user
default (see :mod:`agentlog.store.paths`); or make an ephemeral in-memory store
for tests and quick notebooks with :meth:`Store.memory`. Close it with
:meth:`Store.close` or a ``with`` block; any use after that raises
:class:`~agentlog.errors.StoreClosedError`.

All writes go through the store's :class:`~agentlog.store.writer.Writer`;
reads run on cursors of their own (one per reading thread), so a long read
never blocks a write and sees only committed data.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb

from agentlog._version import __version__
from agentlog.errors import (
    EmbeddingMismatchError,
    NotAStoreError,
    SearchUnavailableError,
    StoreClosedError,
    StoreError,
    StoreLockedError,
    StoreVersionError,
    ValidationError,
)
from agentlog.store.lock import StoreLock
from agentlog.store.manifest import MANIFEST_NAME, EmbedderInfo, StoreManifest, read_manifest, write_manifest
from agentlog.store.migrations import LATEST_SCHEMA_VERSION, apply_migrations
from agentlog.store.paths import resolve_store_path
from agentlog.store.read_jobs import ReadJob, ReadStopped
from agentlog.store.read_only_sql import require_reads
from agentlog.store.writer import WriteOp, Writer

if TYPE_CHECKING:
    from agentlog.embeddings import Embedder
    from agentlog.index.indexer import Indexer

__all__ = ["DEFAULT_EMBEDDER", "DUCKDB_NAME", "LANCE_DIR", "Store", "require_open_store"]

T = TypeVar("T")


class _DefaultEmbedder:
    def __repr__(self) -> str:
        return "DEFAULT_EMBEDDER"


DEFAULT_EMBEDDER: Any = _DefaultEmbedder()
"""Sentinel for "the embedder named by ``AGENTLOG_EMBEDDER``, else the offline default"."""

DUCKDB_NAME = "agentlog.duckdb"
"""File name of the DuckDB database inside a store."""
LANCE_DIR = "lance"
"""Directory of the LanceDB tables inside a store."""

_LSN_COLUMNS = ("index_lsn", "watermark")
"""Columns holding change numbers: the next one is above all of them, so the index never skips a row."""

_READ_THREADS = 4

_QUERY_INTERRUPTED = "Query interrupted"
"""What DuckDB's ``RuntimeError`` says when a Ctrl-C (SIGINT) stopped a query of the main thread."""

logger = logging.getLogger(__name__)

_open_stores: weakref.WeakSet[Store] = weakref.WeakSet()
"""Stores open in this process, closed at exit by :func:`_close_open_stores`."""


def _close_open_stores() -> None:
    """Close the stores still open when the interpreter exits (an ``atexit`` hook).

    A store left open (a script that raised, a notebook kernel shut down) still
    has its indexer and writer threads, daemons that may be inside DuckDB,
    LanceDB or the model when Python finalises; Python then ends them with
    ``pthread_exit``, whose unwinding through that native code aborted the
    process ("terminate called after throwing an instance of ''", exit status
    134). Closing first stops them cleanly and commits the queued writes.
    """
    for store in list(_open_stores):
        try:
            store.close()
        except Exception:  # one store failing to close must not keep the others open
            logger.exception("agentlog: closing %r at exit failed", store)


atexit.register(_close_open_stores)

_DISABLED_COMPRESSION = "rle"
"""DuckDB compression left out of the segments this store writes.

Bulk loads store the events of a session next to each other, so DuckDB
run-length encodes ``events.session_id``. An index lookup then fetches its rows
one by one, and fetching a row from an RLE segment walks the runs from the
segment's start: looking a session up cost time in proportion to where its
rows lie in their row group (measured on 1M events: a session of 10 events,
0.6 ms at the start of a row group, 1.2 ms at its end; counting the events of
20 sessions, 6 ms instead of 1.5 ms). Uncompressed ids cost 16 bytes a row
(+35% file size for a bulk-loaded store of 1M events, no change in load time)
and nothing for events written one by one, which RLE does not compress anyway.
A store's ``duckdb_config`` may set ``disabled_compression_methods`` itself.
Segments written before keep their encoding.
"""


class _ReaderState(threading.local):
    """What a thread keeps for reading one store: its cursor, and whether a snapshot read is open on it.

    Being thread-local, it goes when its thread ends, and with it the thread's
    cursor (DuckDB closes a connection when it is freed). A thread that reuses
    the id of an ended one starts afresh, and a thread that is still running
    never loses its cursor, whether the threading module started it or not.
    """

    cursor: Any = None
    snapshot: bool = False
    in_pool: bool = False
    """The thread is one of the store's reader pool (which :meth:`Store.close` then does not wait for)."""


class Store:
    """An agentlog store.

    Args:
        path: The store directory. ``None`` means ``AGENTLOG_HOME`` or the
            per-user default. It is created if missing; an existing non-empty
            directory must already be a store.
        memory: Make an ephemeral store that lives in memory (``path`` must be
            ``None``); see :meth:`memory`.
        embedder: What embeds sessions and events for semantic search: a name
            (``"minilm"``, ``"openai"``, ``"fake"``), an
            :class:`~agentlog.embeddings.Embedder`, ``None`` for no vector index
            (searches then raise :class:`SearchUnavailableError`), or by default
            ``AGENTLOG_EMBEDDER``, else the offline model. A store remembers its
            embedder; opening it with another raises
            :class:`~agentlog.errors.EmbeddingMismatchError` (see :meth:`reindex`).
        duckdb_config: Extra DuckDB settings (e.g. ``{"threads": 2}``). DuckDB's automatic download of
            extensions is off (a ``read_parquet('https://...')`` in :meth:`sql` would fetch ``httpfs``);
            ``{"autoinstall_known_extensions": True}`` turns it back on.

    Raises:
        StoreLockedError: Another process has this store open.
        StoreVersionError: The store was written by a newer agentlog.
        NotAStoreError: ``path`` is a non-empty directory that is not a store.
        EmbeddingMismatchError: The store's vectors come from another embedder.
        ValidationError: ``path`` is empty or not a path, or given with ``memory=True``.

    Example:
        >>> import tempfile
        >>> with Store(tempfile.mkdtemp(), embedder="fake") as store:
        ...     store.schema_version >= 1
        True
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        memory: bool = False,
        embedder: str | Embedder | None = DEFAULT_EMBEDDER,
        duckdb_config: dict[str, Any] | None = None,
    ) -> None:
        self._closed = True
        self._closing = False
        self._released = True  # nothing to release yet: close() has nothing to do
        self._pid = os.getpid()  # a forked child's copy of the store must leave the files alone
        self._close_lock = threading.RLock()
        self._reader = _ReaderState()
        self.embedder: Embedder | None = None
        """The embedder of this store's vectors (``None``: no vector index)."""
        self.index: Indexer | None = None
        """The background indexer, when there is an embedder."""
        self._lock: StoreLock | None = None
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self._close_callbacks: list[Callable[[], None]] = []
        self._commit_listeners: list[Callable[[int], None]] = []
        if memory and path is not None:
            raise ValidationError("pass either a path or memory=True, not both", field="memory")
        self.in_memory = memory
        self.path: Path | None = None if memory else resolve_store_path(path)
        try:
            database = ":memory:" if self.path is None else str(self._prepare_directory(self.path))
            self._db = self._connect(database, duckdb_config)
            self.schema_version = apply_migrations(self._db)
            if self.path is not None:
                self._update_manifest()
            first_lsn = self._max_lsn()
            self._writer = Writer(self._db.cursor(), first_lsn=first_lsn, on_commit=self._notify_commit)
            self._reader_lock = threading.Lock()
            self._reader_cursors: weakref.WeakSet[Any] = weakref.WeakSet()  # the live ones, for close()
            self._readers = ThreadPoolExecutor(max_workers=_READ_THREADS, thread_name_prefix="agentlog-read")
            self._closed = False
            self._released = False
            self._start_index(embedder, check=True)
            _open_stores.add(self)
        except BaseException:
            self.close()
            self._release_resources()
            raise

    @classmethod
    def memory(
        cls, *, embedder: str | Embedder | None = DEFAULT_EMBEDDER, duckdb_config: dict[str, Any] | None = None
    ) -> Store:
        """Make an ephemeral in-memory store (gone when closed); the arguments are those of :class:`Store`.

        Example:
            >>> with Store.memory(embedder=None) as store:
            ...     store.in_memory
            True
        """
        return cls(memory=True, embedder=embedder, duckdb_config=duckdb_config)

    # -- opening ----------------------------------------------------------------

    def _prepare_directory(self, path: Path) -> Path:
        if path.exists() and not path.is_dir():
            raise NotAStoreError(f"{path} is a file, not a store directory")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a parent is a file, no permission, ...
            raise StoreError(f"cannot create the store directory {path}: {exc}") from exc
        manifest = read_manifest(path)
        if manifest is None and not (path / DUCKDB_NAME).exists():
            stray = [p.name for p in path.iterdir() if p.name != ".lock"]
            if stray:
                raise NotAStoreError(
                    f"{path} is not empty and not an agentlog store (no {MANIFEST_NAME}); "
                    "choose an empty or new directory"
                )
        self._lock = StoreLock(path)
        if manifest is not None and manifest.schema_version > LATEST_SCHEMA_VERSION:
            raise StoreVersionError(
                f"store {path} is at schema version {manifest.schema_version}, but this agentlog "
                f"({__version__}) only knows up to {LATEST_SCHEMA_VERSION}: it was written by a "
                "newer agentlog. Upgrade: pip install -U agentlog"
            )
        return path / DUCKDB_NAME

    def _connect(self, database: str, config: dict[str, Any] | None) -> Any:
        settings = {"autoinstall_known_extensions": False, **(config or {})}  # no download behind a read's back
        try:
            db = duckdb.connect(database, config=settings)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower() and self.path is not None:
                raise StoreLockedError(self.path) from exc
            raise StoreError(f"cannot open the database {database}: {exc}") from exc
        except duckdb.Error as exc:  # a corrupt or foreign file
            raise StoreError(f"cannot open the database {database}: {exc}") from exc
        db.execute("SET GLOBAL TimeZone = 'UTC'")
        if "disabled_compression_methods" not in (config or {}):
            db.execute(f"SET GLOBAL disabled_compression_methods = '{_DISABLED_COMPRESSION}'")
        return db

    def _update_manifest(self) -> None:
        assert self.path is not None
        current = read_manifest(self.path)
        if current is None:
            manifest = StoreManifest(schema_version=self.schema_version, agentlog_version=__version__)
        elif current.schema_version != self.schema_version or current.agentlog_version != __version__:
            manifest = current.model_copy(
                update={"schema_version": self.schema_version, "agentlog_version": __version__}
            )
        else:
            return
        write_manifest(self.path, manifest)

    def _start_index(
        self,
        embedder: str | Embedder | None,
        *,
        check: bool,
        rebuild: bool = False,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        from agentlog.embeddings import resolve_embedder
        from agentlog.index.indexer import Indexer
        from agentlog.index.vectors import VectorTables

        chosen = None if embedder is None else resolve_embedder(None if embedder is DEFAULT_EMBEDDER else embedder)
        if chosen is None:
            return
        if self.path is not None:
            manifest = read_manifest(self.path)
            assert manifest is not None
            stored = manifest.embedder
            if check and stored is not None and (stored.name, stored.dimension) != (chosen.name, chosen.dimension):
                raise EmbeddingMismatchError(
                    self.path, (stored.name, stored.dimension), (chosen.name, chosen.dimension)
                )
            rebuild = rebuild or manifest.rebuild_pending  # a reindex was cut short: finish it
            if stored is None or not check or rebuild:
                info = EmbedderInfo(name=chosen.name, dimension=chosen.dimension)
                write_manifest(self.path, manifest.model_copy(update={"embedder": info, "rebuild_pending": rebuild}))
            directory = self.path / LANCE_DIR
        else:
            if self._tempdir is None:
                self._tempdir = tempfile.TemporaryDirectory(prefix="agentlog-lance-")
            directory = Path(self._tempdir.name)
        indexer = Indexer(self, chosen, VectorTables(directory, chosen.dimension))
        indexer.on_progress = on_progress
        self.add_commit_listener(indexer.notify)  # before start: no commit may slip between the two
        try:
            indexer.start(rebuild=rebuild)
        except BaseException:
            # an interrupted start (Ctrl-C, a failing drop) must not leave an indexer without a thread
            self._commit_listeners.remove(indexer.notify)
            with contextlib.suppress(Exception):
                indexer.close()
            raise
        if rebuild and self.path is not None:
            self._clear_rebuild_pending()  # the old vectors are gone: a crash from now on resumes from DuckDB
        self.embedder = chosen
        self.index = indexer

    def _clear_rebuild_pending(self) -> None:
        assert self.path is not None
        manifest = read_manifest(self.path)
        if manifest is not None and manifest.rebuild_pending:
            write_manifest(self.path, manifest.model_copy(update={"rebuild_pending": False}))

    def _stop_index(self) -> None:
        """Stop the indexer, if any (safe to call again after an interrupted call)."""
        index = self.index
        if index is not None:
            index.close()
            if index.notify in self._commit_listeners:
                self._commit_listeners.remove(index.notify)
            self.index = None
            self.embedder = None

    def reindex(
        self,
        embedder: str | Embedder | None = DEFAULT_EMBEDDER,
        *,
        progress: bool | Callable[[int, int], None] = True,
    ) -> int:
        """Rebuild every vector from DuckDB, optionally with another embedder.

        Drops the LanceDB tables, records the new embedder in the manifest,
        and embeds every session summary, event, memory and document chunk
        again, showing a progress bar on stderr (``progress=False`` for none,
        or a callable ``(done, total)``).

        Args:
            embedder: The embedder to use from now on (default: the configured
                one, ``AGENTLOG_EMBEDDER`` or the offline model).
            progress: Show progress.

        Returns:
            The number of rows indexed.

        Example:
            >>> with Store.memory(embedder="fake") as store:
            ...     store.reindex("fake", progress=False)
            0
        """
        from agentlog.index.reindex import rebuild

        self.check_open()
        self._stop_index()
        return rebuild(
            self, lambda report: self._start_index(embedder, check=False, rebuild=True, on_progress=report), progress
        )

    def wait_for_index(self, timeout: float | None = None) -> None:
        """Block until everything committed so far is in the vector index.

        Args:
            timeout: Seconds to wait at most (None: until it has).

        Raises:
            SearchUnavailableError: If the store has no embedder, or indexing fails.
            IndexTimeoutError: If ``timeout`` passed first (a ``TimeoutError`` too).
            StoreClosedError: If the store is closed, or closes while waiting.
        """
        self.check_open()
        index = self.index  # read once: a close() or reindex() in another thread may clear it
        if index is None:
            raise SearchUnavailableError(
                "this store has no embedder (opened with embedder=None or AGENTLOG_EMBEDDER=none)"
            )
        index.wait(self.committed_lsn, timeout)

    def _max_lsn(self) -> int:
        found = self._db.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' AND column_name IN (SELECT unnest($1::VARCHAR[])) ORDER BY ALL",
            [list(_LSN_COLUMNS)],
        ).fetchall()
        parts = " UNION ALL ".join(f'SELECT max("{column}") AS m FROM "{table}"' for table, column in found)
        row = self._db.execute(f"SELECT coalesce(max(m), 0) FROM ({parts})").fetchall()[0]
        return int(row[0])

    # -- lifecycle --------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closed

    def close(self) -> None:
        """Stop background work, commit queued writes and release the store (idempotent).

        Rows not yet indexed stay queued (by change number) and are indexed
        the next time the store is opened. A close that was interrupted (by
        Ctrl-C while it waited for queued writes, say) leaves the store closed
        to new work; calling ``close()`` again finishes it. In a process forked
        from the one that opened the store, ``close()`` only marks this copy
        closed: closing DuckDB there would checkpoint the database under the
        parent, which would then lose the writes it makes afterwards at a crash.

        Raises:
            StoreError: If called on the writer thread (from a write op or a
                commit listener): closing waits for that thread.
        """
        if os.getpid() != self._pid:  # a forked child's copy: the database and the lock are the parent's
            self._closed = self._released = True
            return
        if not self._released and self._writer.on_writer_thread:
            raise StoreError(
                f"{self!r} cannot be closed from a write op or a commit listener (close() waits for "
                "the writer thread they run on); close it from another thread"
            )
        with self._close_lock:  # two threads closing at once: the second waits, then finds it closed
            if self._released:
                return
            self._closing = True
            self._close_open_store()

    def _close_open_store(self) -> None:
        """Close what is open, in order; each step may run again after an interrupted close."""
        while self._close_callbacks:
            callback = self._close_callbacks.pop()  # last added first, and each once
            with contextlib.suppress(Exception):
                callback()
        self._stop_index()
        self._closed = True
        self._writer.close()
        self._readers.shutdown(wait=not self._reader.in_pool)  # a pool thread cannot wait for itself
        with self._reader_lock:
            for cursor in list(self._reader_cursors):
                with contextlib.suppress(Exception):
                    cursor.close()
            self._reader_cursors.clear()
        self._release_resources()
        self._released = True

    def _release_resources(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            with contextlib.suppress(Exception):
                # DuckDB checkpoints at close only after writes through this connection: the log a crash left
                # (replayed at open) stayed beside a near-empty file, and was replayed at every open until one.
                db.execute("CHECKPOINT")
            with contextlib.suppress(Exception):
                db.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        where = ":memory:" if self.in_memory else str(self.path)
        state = "closed" if self._closed else "open"
        return f"<agentlog.Store {where} ({state})>"

    def check_open(self) -> None:
        """Raise :class:`StoreClosedError` if the store is closed, or this is a process forked from its own.

        A forked child has a copy of the store object but not its writer thread
        (a write would wait for ever) nor a DuckDB that is safe to use there.
        """
        if os.getpid() != self._pid:
            raise StoreClosedError(
                f"{self!r} was opened by process {self._pid} and cannot be used in process {os.getpid()} forked "
                "from it (nor open it again there: DuckDB keeps the copy the fork made); start workers with "
                "multiprocessing's 'spawn' or 'forkserver' context, or fork before opening the store"
            )
        if self._closed:
            raise StoreClosedError(f"{self!r} is closed; open the store again to use it")

    def add_close_callback(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` when the store closes (before the writer stops), last added first."""
        self._close_callbacks.append(callback)

    # -- writing ----------------------------------------------------------------

    def submit(self, op: WriteOp) -> Future[Any]:
        """Queue a write op; the future resolves once its group has committed.

        Raises:
            StoreClosedError: If the store is closed.
        """
        self.check_open()
        return self._writer.submit(op)

    def write(self, op: WriteOp) -> Any:
        """Run a write op and block until it is committed; returns its result.

        Raises:
            StoreClosedError: If the store is closed.
            StoreError: If called on the writer thread (from a write op or a commit
                listener), which would wait for itself forever; :meth:`submit` instead.
        """
        if self._writer.on_writer_thread:
            raise StoreError(
                "store.write() cannot wait on the writer thread (in a write op or a commit listener): "
                "it would wait for itself; use store.submit() without waiting, or do the work in the op"
            )
        return self.submit(op).result()

    async def write_async(self, op: WriteOp) -> Any:
        """Run a write op without blocking the event loop; returns once committed.

        Cancelling the wait (or interrupting the loop) does not withdraw the op:
        once queued, it is committed all the same.
        """
        self.check_open()
        return await self._writer.submit_async(op)

    @property
    def committed_lsn(self) -> int:
        """The highest change number committed so far (see the indexer)."""
        return self._writer.committed_lsn

    def add_commit_listener(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(committed_lsn)`` on the writer thread after each commit that changed data."""
        self._commit_listeners.append(listener)

    def _notify_commit(self, lsn: int) -> None:
        for listener in list(self._commit_listeners):  # listeners come and go on other threads
            listener(lsn)

    # -- reading ----------------------------------------------------------------

    def _cursor_for_thread(self) -> Any:
        """Return the calling thread's read cursor, made on first use and freed when the thread ends.

        Raises:
            StoreClosedError: If the store is closed and the thread has no cursor yet.
        """
        cursor = self._reader.cursor
        if cursor is None:
            with self._reader_lock:
                self.check_open()
                cursor = self._reader.cursor = self._db.cursor()
                self._reader_cursors.add(cursor)
        return cursor

    @contextlib.contextmanager
    def cursor(self) -> Iterator[Any]:
        """Yield a read cursor (a DuckDB connection) for the calling thread.

        Example:
            >>> with Store.memory() as store, store.cursor() as cur:
            ...     cur.execute("SELECT count(*) FROM sessions").fetchall()[0]
            (0,)
        """
        self.check_open()
        yield self._cursor_for_thread()

    def read(self, fn: Callable[[Any], T], *, snapshot: bool = False) -> T:
        """Run ``fn(cursor)`` on a read cursor and return its result.

        Called from the main thread, ``fn`` runs on a reader thread while the
        main thread waits, so that Ctrl-C stops its query at once (DuckDB may
        not see it for minutes on the thread that runs the query); from any
        other thread it runs on that thread's own cursor.

        Args:
            fn: What to run; it gets a DuckDB cursor.
            snapshot: Run ``fn`` in one read transaction, so that all its
                statements see the same committed state (a session and its
                events, say); otherwise each statement sees the latest commit.

        Raises:
            KeyboardInterrupt: On Ctrl-C, once ``fn``'s query has stopped.
            StoreClosedError: If the store is closed, or closes during the read.
        """
        self.check_open()
        if threading.current_thread() is not threading.main_thread():
            with self._closed_errors():
                return self._read_on(self._cursor_for_thread(), fn, snapshot)
        job = ReadJob(fn, snapshot)
        try:
            return self._submit_read(job).result()  # type: ignore[no-any-return]
        except KeyboardInterrupt:  # also one that cut the submission short
            job.stop()  # a second Ctrl-C gives up waiting
            raise

    async def read_async(self, fn: Callable[[Any], T], *, snapshot: bool = False) -> T:
        """Run ``fn(cursor)`` on a reader thread without blocking the event loop (``snapshot``: as in :meth:`read`).

        Cancelling the await interrupts ``fn``'s running query, so the reader thread is soon free again.
        """
        self.check_open()
        job = ReadJob(fn, snapshot)
        future = self._submit_read(job)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            threading.Thread(target=job.stop, name="agentlog-read-stop", daemon=True).start()
            raise

    def _submit_read(self, job: ReadJob) -> Future[Any]:
        try:
            return self._readers.submit(self._read_in_pool, job)
        except RuntimeError as exc:  # the reader pool was shut down by a close() since check_open()
            if self._closing or self._closed:
                raise StoreClosedError(f"{self!r} was closed during the read; open the store again") from exc
            raise

    def _read_in_pool(self, job: ReadJob) -> Any:
        self._reader.in_pool = True
        with self._closed_errors():
            cursor = self._cursor_for_thread()
            if not job.start(cursor):
                raise ReadStopped
            try:
                return self._read_on(cursor, job.fn, job.snapshot)
            finally:
                job.finish()

    def _read_on(self, cursor: Any, fn: Callable[[Any], T], snapshot: bool) -> T:
        if not snapshot or self._reader.snapshot:
            return fn(cursor)  # a snapshot read inside another one runs in the outer snapshot
        cursor.begin()
        self._reader.snapshot = True
        try:
            return fn(cursor)
        finally:
            self._reader.snapshot = False
            cursor.rollback()  # it only read: nothing to commit

    @contextlib.contextmanager
    def _closed_errors(self) -> Iterator[None]:
        """Raise :class:`StoreClosedError` for a DuckDB error of a read that raced :meth:`close`.

        A Ctrl-C that lands in the read's query is raised as :class:`KeyboardInterrupt` (DuckDB stops the
        query and raises ``RuntimeError("Query interrupted")``, which callers would take for a failure).
        """
        try:
            yield
        except duckdb.Error as exc:
            if self._closing or self._closed:
                raise StoreClosedError(f"{self!r} was closed during the read; open the store again") from exc
            raise
        except RuntimeError as exc:
            if type(exc) is RuntimeError and str(exc) == _QUERY_INTERRUPTED:
                raise KeyboardInterrupt from exc
            raise

    def sql(self, query: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        """Run a read query and return a DuckDB relation (``.pl()``, ``.to_arrow_table()``, ``.fetchall()``).

        This is the documented way to query a store directly (tables:
        ``sessions``, ``events`` and those of later features). Only reads are
        run (``SELECT``, ``FROM``, ``WITH``, ``VALUES``, ``DESCRIBE``, ``SHOW``,
        ``SUMMARIZE``, and ``EXPLAIN`` or ``EXPLAIN ANALYZE`` of one of those):
        a write here would bypass the writer, its checks and the vector index,
        so changes go through the services. A read may not call the DuckDB
        functions that change something all the same (``checkpoint``,
        ``enable_profiling``, ``enable_logging``, ``nextval``... see
        ``_STATE_FUNCTIONS``) nor those that run SQL given as text (``query``,
        ``json_execute_serialized_sql``). Reading local files with DuckDB's
        table functions (``read_csv``, ``read_parquet``...) is allowed: it is
        the caller's own query, and it changes nothing.
        DuckDB's own errors (an unknown column, say) are raised as DuckDB
        raises them.

        Raises:
            ValidationError: If ``query`` is not a string, is not SQL (or not
                encodable as UTF-8), holds a statement that is not a read, or
                calls a function that changes DuckDB's state.
            StoreClosedError: If the store is closed.

        Example:
            >>> with Store.memory() as store:
            ...     store.sql("SELECT count(*) AS n FROM events").fetchall()
            [(0,)]
            >>> with Store.memory() as store:
            ...     store.sql("DELETE FROM events")
            Traceback (most recent call last):
            ...
            agentlog.errors.ValidationError: store.sql runs reads only; got a DELETE statement (write through ...
        """
        self.check_open()
        require_reads(query)
        with self._closed_errors():
            return self._cursor_for_thread().sql(query, params=params)


def require_open_store(store: object) -> Store:
    """Check that ``store`` is an open :class:`Store` (what every function taking a store needs).

    Args:
        store: The argument a caller passed as the store.

    Returns:
        ``store``, typed as a :class:`Store`.

    Raises:
        ValidationError: If it is something else.
        StoreClosedError: If it is closed.

    Example:
        >>> with Store.memory(embedder=None) as store:
        ...     require_open_store(store) is store
        True
        >>> require_open_store("x")
        Traceback (most recent call last):
        ...
        agentlog.errors.ValidationError: store must be an agentlog Store, got str
    """
    if not isinstance(store, Store):
        raise ValidationError(
            f"store must be an agentlog Store, got {type(store).__name__}", field="store", value=repr(store)[:80]
        )
    store.check_open()
    return store
