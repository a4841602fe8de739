"""The single writer of a store: one thread, one DuckDB connection, group commit.

Every change to a store is a :class:`WriteOp` submitted to the :class:`Writer`.
The writer thread takes whatever ops are queued, runs them in order inside one
transaction, inserts the rows they produced as one Arrow batch per table
(``INSERT INTO t BY NAME SELECT * FROM batch``), commits once, and only then
resolves every caller's future (group commit). So:

* an awaited write has been committed when it returns;
* a lone write costs one small commit, and a thousand concurrent writes cost a
  handful;
* after a group of several ops, the next group waits up to
  :data:`GROUP_WAIT_S` for as many ops as the last one had: concurrent writers
  that each await their commit come back one by one, and committing the first
  of them alone would cost a whole commit (about 2 ms of DuckDB's CPU) for one
  op. It waits only while that pays: not after a group of one (a lone writer
  never waits), not when its first op comes more than :data:`GROUP_WAIT_S`
  after the last commit (the writers of that group are not coming back), and
  not right after a group that waited in vain;
* writes are totally ordered, and an op sees the effects of the ops before it.

Failure handling keeps one bad op from failing its neighbours. An op that
raises :class:`~agentlog.errors.AgentlogError` *before changing anything*
(validation against the current data, lifecycle rules) fails alone: its
buffered rows are dropped and the group goes on. Any other exception, or an
error after the op changed something or after a statement failed inside the
transaction (DuckDB then aborts it, and would roll it back silently at
``COMMIT``), rolls the whole group back and re-runs each op in a transaction of
its own, so only the culprit fails.

Ops run on the writer thread only. They read with :meth:`Transaction.query`,
change rows with :meth:`Transaction.execute`, and add rows with
:meth:`Transaction.append` (buffered and inserted in bulk) or
:meth:`Transaction.insert_table` (inserted at once). Writer-side caches
(``Transaction.cache``) are dropped whenever a transaction rolls back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, InvalidStateError
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

import numpy as np
import pyarrow as pa

from agentlog.errors import AgentlogError, StoreClosedError, StoreError, ValidationError
from agentlog.store.tables import SCHEMAS

__all__ = ["GROUP_WAIT_S", "MAX_GROUP_OPS", "Transaction", "WriteOp", "Writer"]

logger = logging.getLogger("agentlog.writer")

T = TypeVar("T")

MAX_GROUP_OPS = 4096
"""Most ops committed together (bounds the latency of one group)."""

GROUP_WAIT_S = 0.002
"""Longest a group waits for more ops after the first, when the group before it had several."""

_TICK = timedelta(microseconds=1)
"""The step of :meth:`Writer.now` when the clock stands still or goes back (timestamps are stored in microseconds)."""


class WriteOp(Protocol):
    """A unit of work for the writer.

    ``apply`` runs on the writer thread inside the group's transaction and
    returns the op's result. It should raise expected errors (``AgentlogError``)
    before its first :meth:`Transaction.execute` or :meth:`Transaction.insert_table`;
    rows added with :meth:`Transaction.append` are dropped automatically when it
    raises. An error raised after a change rolls the whole group back and
    retries its ops one by one, so the op should then raise again, before any
    change, when it is retried.
    """

    def apply(self, tx: Transaction) -> Any:
        """Do the work and return the result handed to the caller."""
        ...


class _Waiter:
    """Where an op's outcome goes: a concurrent Future, or an asyncio future on a loop."""

    __slots__ = ("future", "loop")

    def __init__(self, future: Future[Any] | asyncio.Future[Any], loop: asyncio.AbstractEventLoop | None) -> None:
        self.future = future
        self.loop = loop


class Transaction:
    """The writer's view of the transaction an op runs in.

    Attributes:
        cache: Writer-side caches by key (see :meth:`cached`); cleared on rollback.
    """

    def __init__(self, writer: Writer, ops: Sequence[WriteOp] = ()) -> None:
        self._writer = writer
        self._con = writer.connection
        self.ops = ops
        """The ops of this group, in order (for ops that batch work across the group)."""
        self.local: dict[type, Any] = {}
        """State that lives for this transaction only (e.g. ids appended so far)."""
        self._columns: dict[str, dict[str, list[Any]]] = {}
        self._op_rows = 0
        self._op_changed = False
        self._op_mark: dict[str, int] = {}
        self.begun = False
        self.aborted = False
        """A statement failed inside the transaction: DuckDB has aborted it, and its COMMIT would silently roll back."""

    # -- reading and changing ------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] | None = None, *, flush: bool = True) -> list[tuple[Any, ...]]:
        """Run a read-only query in the transaction and return all rows.

        Rows appended so far are inserted first, so the query sees them,
        unless ``flush`` is false (for reads that cannot concern them).
        """
        if flush:
            self.flush()
        with self._statement():
            return self._con.execute(sql, params or []).fetchall()  # type: ignore[no-any-return]

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a statement that changes data (UPDATE, DELETE, INSERT ... RETURNING) and return its rows."""
        self.flush()
        self._begin()
        self._op_changed = True
        with self._statement():
            return self._con.execute(sql, params or []).fetchall()  # type: ignore[no-any-return]

    def append(self, table: str, row: dict[str, Any]) -> None:
        """Buffer one row for ``table`` (a key per column of :data:`~agentlog.store.tables.SCHEMAS`)."""
        columns = self._columns.get(table)
        if columns is None:
            columns = self._columns[table] = {name: [] for name in SCHEMAS[table].names}
        for name, values in columns.items():
            values.append(row[name])
        self._op_rows += 1

    def insert_table(self, table: str, rows: pa.Table) -> None:
        """Insert an Arrow table of rows for ``table`` now (rows appended before are inserted first).

        Unlike rows buffered by :meth:`append`, an error of the ``INSERT`` (a value that does
        not fit its column, such as text that is not JSON for a ``JSON`` column)
        is raised here, inside the op. The transaction can then only roll back:
        the writer retries the group op by op, so the op should raise again,
        before changing anything, when it is retried.
        """
        schema = SCHEMAS[table]
        agentlog_batch = rows.select(schema.names).cast(schema)  # read by DuckDB's replacement scan below
        if agentlog_batch.num_rows == 0:
            return
        self.flush()
        self._begin()
        self._op_changed = True
        with self._statement():
            self._con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM agentlog_batch")

    def new_rows(self, table: str, rows: pa.Table) -> pa.Table:
        """The rows whose ``id`` is not yet stored in ``table`` (ids must be unique within ``rows``).

        Rows appended earlier in this group are inserted first, so they count as stored.
        """
        name = f"agentlog_candidates_{table}"
        numbered = pa.table({"id": rows.column("id"), "n": pa.array(np.arange(rows.num_rows, dtype=np.int64))})
        self.register(name, numbered)
        try:
            self.flush()
            # the joins run in DuckDB: a count first (the usual answer is none), then only positions come back
            with self._statement():
                stored = self._con.execute(
                    f"SELECT count(*) FROM {name} c WHERE EXISTS (SELECT 1 FROM {table} t WHERE t.id = c.id)"
                ).fetchall()[0][0]
            if stored == 0:
                return rows
            absent = f"SELECT c.n FROM {name} c WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = c.id)"
            with self._statement():
                fresh = self._con.sql(absent + " ORDER BY c.n").to_arrow_table()
        finally:
            self.unregister(name)
        return rows.take(fresh.column("n"))

    def register(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table readable as ``name`` in queries of this transaction."""
        self._con.register(name, table)

    def unregister(self, name: str) -> None:
        """Forget a name made by :meth:`register`."""
        self._con.unregister(name)

    @property
    def last_lsn(self) -> int:
        """The last change number allocated so far; it moves whenever an op adds, changes or deletes indexed rows."""
        return self._writer.last_allocated_lsn

    def next_lsn(self) -> int:
        """Return the next store change number (monotonic; gaps are allowed)."""
        return self._writer.allocate_lsn(1)

    def allocate_lsns(self, count: int) -> int:
        """Reserve ``count`` consecutive change numbers and return the first."""
        return self._writer.allocate_lsn(count)

    def now(self) -> datetime:
        """Return the current UTC time, always later than a time returned before (see :meth:`Writer.now`)."""
        return self._writer.now()

    def cached(self, key: type[T], factory: Callable[[], T]) -> T:
        """Return the writer-side cache object for ``key``, creating it with ``factory``.

        Caches live across transactions and are dropped on every rollback, so
        they only ever reflect committed data plus the current transaction.
        """
        cache = self._writer.caches.get(key)
        if cache is None:
            cache = self._writer.caches[key] = factory()
        return cache

    def flush(self, *, final: bool = False) -> None:
        """Insert every buffered row, one Arrow batch per table.

        Args:
            final: The group is complete; when nothing was changed yet and
                only one table has rows, its single INSERT may run in
                autocommit mode (one statement is atomic), saving the
                BEGIN/COMMIT round trips.
        """
        tables = [t for t, c in self._columns.items() if next(iter(c.values()))]
        if not tables:
            return
        if self._op_rows:
            self._op_changed = True  # the current op's rows are in DuckDB now
            self._op_rows = 0
        self._op_mark = {}  # the buffers restart empty: every row buffered from now on is the current op's
        if not (final and len(tables) == 1 and not self.begun):
            self._begin()
        for table in tables:
            agentlog_batch = self._take(table)  # read by DuckDB's replacement scan below
            if agentlog_batch is None or agentlog_batch.num_rows == 0:
                continue
            with self._statement():
                self._con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM agentlog_batch")

    def _begin(self) -> None:
        if not self.begun:
            self._con.execute("BEGIN TRANSACTION")
            self.begun = True

    @contextlib.contextmanager
    def _statement(self) -> Iterator[None]:
        """Mark the transaction aborted when the statement run inside fails (ops may catch the error itself)."""
        try:
            yield
        except BaseException:
            if self.begun:
                self.aborted = True
            raise

    # -- per-op bookkeeping used by the writer -----------------------------------

    def _begin_op(self) -> None:
        """Mark where the current op's buffered rows start (a flush moves the mark to the empty buffers)."""
        self._op_rows = 0
        self._op_changed = False
        self._op_mark = {t: len(next(iter(c.values()))) for t, c in self._columns.items()}

    def _undo_op(self) -> bool:
        """Drop the current op's buffered rows; False if it already changed DuckDB or a statement failed."""
        if self._op_changed or self.aborted:
            return False
        for table, columns in self._columns.items():
            keep = self._op_mark.get(table, 0)
            for values in columns.values():
                del values[keep:]
        self._op_rows = 0
        return True

    def _take(self, table: str) -> pa.Table | None:
        schema = SCHEMAS[table]
        columns = self._columns.pop(table, None)
        if not columns or not columns[schema.names[0]]:
            return None
        return pa.Table.from_arrays([pa.array(columns[f.name], type=f.type) for f in schema], schema=schema)

    def _discard(self) -> None:
        self._columns.clear()
        self._op_rows = 0


class Writer:
    """Own the write connection of a store and commit queued ops in groups.

    Args:
        connection: A DuckDB connection used by this writer only.
        first_lsn: The last change number already used in the store.
        on_commit: Called on the writer thread after each commit with the
            highest change number committed so far.
        group_wait: Longest a group waits for more ops, in seconds (see
            :data:`GROUP_WAIT_S`); 0 commits whatever is queued at once. At most 60.

    Example:
        >>> import duckdb
        >>> from agentlog.store.writer import Writer
        >>> con = duckdb.connect()
        >>> _ = con.execute("CREATE TABLE t (x INTEGER)")
        >>> class Insert:
        ...     def apply(self, tx):
        ...         return tx.execute("INSERT INTO t VALUES (1) RETURNING x")[0][0]
        >>> writer = Writer(con.cursor())
        >>> writer.submit(Insert()).result()
        1
        >>> writer.close()
    """

    def __init__(
        self,
        connection: Any,
        *,
        first_lsn: int = 0,
        on_commit: Callable[[int], None] | None = None,
        name: str = "agentlog-writer",
        group_wait: float = GROUP_WAIT_S,
    ) -> None:
        if isinstance(group_wait, bool) or not isinstance(group_wait, int | float) or not 0 <= group_wait <= 60:
            raise ValidationError(
                f"group_wait must be between 0 and 60 seconds, got {group_wait!r}",
                field="group_wait",
                value=repr(group_wait),
            )
        self.connection = connection
        self._group_wait = group_wait
        self.caches: dict[type, Any] = {}
        self._lsn = first_lsn
        self._committed_lsn = first_lsn
        self._last_now = datetime.min.replace(tzinfo=UTC)
        self._on_commit = on_commit
        self._queue: queue.SimpleQueue[tuple[WriteOp, _Waiter] | None] = queue.SimpleQueue()
        self._closing = False
        self._submit_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    # -- public ----------------------------------------------------------------

    @property
    def committed_lsn(self) -> int:
        """The highest change number made durable so far."""
        return self._committed_lsn

    def submit(self, op: WriteOp) -> Future[Any]:
        """Queue ``op`` and return a future resolved after its group commits.

        Raises:
            StoreClosedError: If the writer is closed.
        """
        future: Future[Any] = Future()
        self._put(op, _Waiter(future, None))
        return future

    async def submit_async(self, op: WriteOp) -> Any:
        """Queue ``op`` and wait, without blocking the event loop, until it commits.

        Returns:
            The op's result.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._put(op, _Waiter(future, loop))
        return await future

    @property
    def on_writer_thread(self) -> bool:
        """Whether the caller runs on the writer thread (in a write op or an ``on_commit`` callback)."""
        return threading.current_thread() is self._thread

    def close(self) -> None:
        """Commit what is queued, stop the thread and wait for it (idempotent).

        Every call waits, so calling again after an interrupted call (Ctrl-C) still waits
        until the queued ops are committed; on the writer thread itself, it does not wait.
        """
        with self._submit_lock:
            if not self._closing:
                self._closing = True
                self._queue.put(None)
        if not self.on_writer_thread:
            self._thread.join()

    # -- used by Transaction ---------------------------------------------------

    @property
    def last_allocated_lsn(self) -> int:
        """The last change number allocated, committed or not (writer thread only)."""
        return self._lsn

    def allocate_lsn(self, count: int) -> int:
        """Reserve ``count`` consecutive change numbers and return the first (writer thread only)."""
        first = self._lsn + 1
        self._lsn += count
        return first

    def now(self) -> datetime:
        """Return the current UTC time, always later than a time returned before (writer thread only).

        When the clock has not moved on (or went back), the time is a microsecond after the last one, so
        that rows written later never sort as older ("newest first", ``get_last_session``), nor tie.
        """
        current = datetime.now(UTC)
        if current <= self._last_now:
            current = self._last_now + _TICK
        self._last_now = current
        return current

    # -- the thread --------------------------------------------------------------

    def _put(self, op: WriteOp, waiter: _Waiter) -> None:
        with self._submit_lock:
            if self._closing:
                raise StoreClosedError("the store is closed; open it again to write")
            self._queue.put((op, waiter))

    def _run(self) -> None:
        expected = 1  # ops worth waiting for in the next group (1: do not wait)
        last_commit = time.monotonic()
        while True:
            first = self._queue.get()
            if first is None:
                break
            if time.monotonic() - last_commit > self._group_wait:
                expected = 1  # a late first op: the last group's writers are not coming back
            group, stop, filled = self._collect(first, expected)
            expected = len(group) if filled else 1
            try:
                self._commit_group(group)
            except BaseException as exc:  # pragma: no cover - last-resort guard
                logger.exception("agentlog writer: unexpected failure")
                self._fail_group(group, exc)
            last_commit = time.monotonic()
            if stop:
                break

    def _fail_group(self, group: list[tuple[WriteOp, _Waiter]], exc: BaseException) -> None:
        """Fail the futures of ``group`` not resolved yet; never raises (the thread must live on)."""
        try:
            self._resolve([(w, None, exc) for _, w in group])
        except BaseException:  # pragma: no cover - nothing may kill the writer thread
            logger.exception("agentlog writer: could not fail the futures of a group")

    def _collect(
        self, first: tuple[WriteOp, _Waiter], expected: int
    ) -> tuple[list[tuple[WriteOp, _Waiter]], bool, bool]:
        """The group that starts with ``first``, whether the writer is closing, and whether the group filled.

        Takes what is queued; while that is fewer than ``expected`` ops, waits for
        more until :data:`GROUP_WAIT_S` after the first. The group has *filled*
        unless that wait ran out.
        """
        group = [first]
        deadline: float | None = None
        while len(group) < MAX_GROUP_OPS:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                if len(group) >= expected:
                    break
                if deadline is None:
                    deadline = time.monotonic() + self._group_wait
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return group, False, False
                try:
                    item = self._queue.get(timeout=remaining)
                except queue.Empty:
                    return group, False, False
            if item is None:
                return group, True, True
            group.append(item)
        return group, False, True

    def _commit_group(self, group: list[tuple[WriteOp, _Waiter]]) -> None:
        outcomes = self._try_group(group)
        if outcomes is None:
            # Something failed in a way that may have touched the transaction:
            # run each op alone so only the culprit fails.
            outcomes = []
            for op, waiter in group:
                single = self._try_group([(op, waiter)], isolated=True)
                assert single is not None
                outcomes.extend(single)
        self._resolve(outcomes)

    def _try_group(
        self, group: list[tuple[WriteOp, _Waiter]], *, isolated: bool = False
    ) -> list[tuple[_Waiter, Any, BaseException | None]] | None:
        """Run ops in one transaction; None means "rolled back, retry one by one"."""
        tx = Transaction(self, [op for op, _ in group])
        outcomes: list[tuple[_Waiter, Any, BaseException | None]] = []
        lsn_before = self._lsn
        try:
            for op, waiter in group:
                tx._begin_op()
                try:
                    result = op.apply(tx)
                except AgentlogError as exc:
                    if not tx._undo_op():
                        if isolated:
                            raise
                        raise _RetryAlone from exc
                    outcomes.append((waiter, None, exc))
                    continue
                outcomes.append((waiter, result, None))
            tx.flush(final=True)
            if tx.aborted:  # an op caught a failed statement and went on: DuckDB would roll back at COMMIT
                raise StoreError("a statement failed inside the transaction, which DuckDB then aborted")
            if tx.begun:
                self.connection.execute("COMMIT")
        except BaseException as exc:
            tx._discard()
            self._rollback(tx.begun)
            if not isolated:
                return None
            error = exc.__cause__ if isinstance(exc, _RetryAlone) and exc.__cause__ else exc
            if not isinstance(error, AgentlogError):
                wrapped = StoreError(f"write failed and was rolled back: {type(error).__name__}: {error}")
                wrapped.__cause__ = error
                error = wrapped
            return [(waiter, None, error) for _, waiter in group]
        if self._lsn != lsn_before:
            self._committed_lsn = self._lsn
            if self._on_commit is not None:
                try:
                    self._on_commit(self._committed_lsn)
                except Exception:  # pragma: no cover - listeners must not break writes
                    logger.exception("agentlog writer: commit listener failed")
        return outcomes

    def _rollback(self, begun: bool) -> None:
        self.caches.clear()
        if begun:
            with contextlib.suppress(Exception):
                self.connection.execute("ROLLBACK")

    @staticmethod
    def _resolve(outcomes: Iterable[tuple[_Waiter, Any, BaseException | None]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Waiter, Any, BaseException | None]]] = {}
        for outcome in outcomes:
            waiter = outcome[0]
            if waiter.loop is None:
                future = waiter.future
                assert isinstance(future, Future)
                _resolve_future(future, outcome[1], outcome[2])
            else:
                by_loop.setdefault(waiter.loop, []).append(outcome)
        for loop, items in by_loop.items():
            # a closed loop raises RuntimeError: nobody is waiting any more
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve_on_loop, items)


def _resolve_future(future: Future[Any], result: Any, error: BaseException | None) -> None:
    """Resolve a concurrent future unless it is already done (cancelled by the caller; the write itself stands)."""
    if future.done():
        return
    with contextlib.suppress(InvalidStateError):  # cancelled between the check and now
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


def _resolve_on_loop(items: list[tuple[_Waiter, Any, BaseException | None]]) -> None:
    resolved = 0
    try:
        for waiter, result, error in items:
            future = waiter.future
            if not future.done():  # done: cancelled by the caller; the write itself stands
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(result)
            resolved += 1
    finally:
        if resolved < len(items):
            # Ctrl-C (KeyboardInterrupt) landed in this callback and stops the loop: the rest are resolved when
            # it runs again (the next notebook cell), or their callers would wait for ever
            rest = items[resolved:]
            loop = rest[0][0].loop
            assert loop is not None
            loop.call_soon(_resolve_on_loop, rest)


class _RetryAlone(Exception):
    """Internal: an op raised after changing data; retry the group op by op."""
