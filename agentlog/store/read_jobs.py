"""A read that runs on one of a store's reader threads and that the caller waiting for it can stop.

Used by :meth:`agentlog.store.Store.read` and :meth:`~agentlog.store.Store.read_async`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from agentlog.errors import AgentlogError

__all__ = ["ReadJob", "ReadStopped"]


class ReadJob:
    """A read that runs on a reader thread and that the caller waiting for it can stop.

    DuckDB stops a query on Ctrl-C only when the thread running it gets back to
    Python between tasks of the query, and a long join or scan may not do so
    for minutes (measured: a Ctrl-C half a second into a 1-2 minute join was
    seen at once in half the runs and only when the query ended in the other
    half). So a read never runs its query on the main thread: the main thread
    waits for a reader thread (a wait that Ctrl-C ends at once) and
    :meth:`stop` interrupts the reader's query (``cursor.interrupt()``: it
    stops within milliseconds) before the ``KeyboardInterrupt`` goes on. A
    cancelled :meth:`Store.read_async` stops its job the same way, so that its
    reader thread is free for the next read.

    Args:
        fn: The read: called with the reader's cursor.
        snapshot: Run ``fn`` in one read transaction.

    Example:
        >>> import duckdb
        >>> job = ReadJob(lambda cursor: cursor.execute("SELECT 42").fetchall(), snapshot=False)
        >>> cursor = duckdb.connect()
        >>> job.start(cursor), job.fn(cursor)
        (True, [(42,)])
        >>> job.finish()
        >>> job.stop()  # it is over: returns at once
        >>> stopped = ReadJob(print, snapshot=False)
        >>> stopped.stop()  # before it started: it never will
        >>> stopped.start(cursor)
        False
    """

    def __init__(self, fn: Callable[[Any], Any], snapshot: bool) -> None:
        self.fn = fn
        self.snapshot = snapshot
        self._lock = threading.Lock()
        self._cursor: Any = None
        self._stopped = False
        self._started = False
        self._finished = threading.Event()

    def start(self, cursor: Any) -> bool:
        """Note that the job runs on ``cursor``; False if it was stopped before it started."""
        with self._lock:
            if self._stopped:
                return False
            self._cursor = cursor
            self._started = True
            return True

    def finish(self) -> None:
        """Note that the job no longer uses its cursor (which may go on to run other reads)."""
        with self._lock:
            self._cursor = None
            self._finished.set()

    def stop(self) -> None:
        """Stop the job: it will not start if it has not, and a running one is interrupted until it ends.

        Returns once the job is over or will never start. The interrupt is
        repeated every 50 ms: DuckDB forgets one that comes before its query
        has begun, and ``fn`` may run further statements. This needs nothing
        but the job, so it also stops a job whose submission a Ctrl-C cut short.
        """
        while True:
            with self._lock:
                self._stopped = True
                if not self._started or self._finished.is_set():
                    return
                self._cursor.interrupt()
            self._finished.wait(0.05)


class ReadStopped(AgentlogError):
    """A read job was stopped before it started (its caller gave up waiting; it never sees this)."""
