"""An exclusive, process-wide lock on a store directory.

DuckDB already refuses a second read-write process, but with an I/O error
that names only the DuckDB file. agentlog takes its own lock first, on
``<store>/.lock``, with ``flock`` (released by the OS when the process dies,
even by SIGKILL), and reports a busy store as
:class:`~agentlog.errors.StoreLockedError` with the holder's pid.

A ``flock`` belongs to the open file, which a forked child shares: a child
forked while a store is open (a ``multiprocessing`` worker, say) would keep the
store locked after the parent closed it, for as long as the child lives. So the
child closes its copies of the lock files at once, leaving the parent's locks
as they are.

Nor may the child open such a store itself, even once the parent has closed it:
DuckDB keeps one database per file in a process, and the child's is the copy it
inherited, which never sees the parent's later writes and whose own are lost
(and which must not be closed there either: closing would checkpoint the copy
into the parent's file). The child refuses those directories with
:class:`~agentlog.errors.StoreError`.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from pathlib import Path
from typing import IO

from agentlog.errors import StoreError, StoreLockedError

__all__ = ["StoreLock"]

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows relies on DuckDB's own lock
    fcntl = None  # type: ignore[assignment]


_HELD: weakref.WeakSet[StoreLock] = weakref.WeakSet()
"""The locks this process holds (what a forked child must let go of)."""

_INHERITED: set[Path] = set()
"""Store directories a process this one was forked from had open at the fork: this process cannot open them."""


def _forget_locks_in_child() -> None:
    """Close a forked child's copies of the parent's lock files (runs in the child, right after ``fork``)."""
    for lock in list(_HELD):
        _INHERITED.add(lock.path.parent)
        lock.forget()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget_locks_in_child)


class StoreLock:
    """Hold ``<directory>/.lock`` exclusively for the life of this object.

    Args:
        directory: The store directory (must exist).

    Raises:
        StoreLockedError: Immediately (no waiting) when another process holds it.
        StoreError: When the lock file cannot be opened (a directory, no permission, ...), or this process
            was forked from one that had the store open (see the module docstring).

    Example:
        >>> import tempfile
        >>> lock = StoreLock(Path(tempfile.mkdtemp()))
        >>> lock.release()
    """

    def __init__(self, directory: Path) -> None:
        self.path = directory / ".lock"
        if directory in _INHERITED:
            raise StoreError(
                f"store {directory} was open in the process this one was forked from, and DuckDB here still holds "
                "the copy of it that came with the fork (it would not see that process's later writes, and would "
                "lose its own); open the store in a process started with multiprocessing's 'spawn' or "
                "'forkserver' context, or fork before opening it"
            )
        try:
            self._file: IO[str] | None = open(self.path, "a+")  # noqa: SIM115 - held until release()
        except OSError as exc:
            raise StoreError(f"cannot open the lock file {self.path}: {exc}; remove it or fix its permissions") from exc
        if fcntl is not None:
            try:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pid = self._read_pid()
                self._file.close()
                self._file = None
                raise StoreLockedError(directory, pid) from None
            except OSError as exc:  # no locks on this file system, ...
                self._file.close()
                self._file = None
                raise StoreError(f"cannot lock {self.path}: {exc}") from exc
        self._file.seek(0)
        self._file.truncate()
        self._file.write(str(os.getpid()))
        self._file.flush()
        _HELD.add(self)

    def _read_pid(self) -> int | None:
        assert self._file is not None
        self._file.seek(0)
        text = self._file.read().strip()
        return int(text) if text.isdigit() else None

    def forget(self) -> None:
        """Close this copy of the lock file without releasing the lock (in a forked child: the parent keeps it)."""
        _HELD.discard(self)
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()  # closes a descriptor only: the lock goes with the parent's last one
            self._file = None

    def release(self) -> None:
        """Release the lock (idempotent)."""
        _HELD.discard(self)
        if self._file is None:
            return
        with contextlib.suppress(OSError):
            self._file.seek(0)
            self._file.truncate()
        self._file.close()  # closing the descriptor releases the flock
        self._file = None
