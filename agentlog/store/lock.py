"""An exclusive, process-wide lock on a store directory.

DuckDB already refuses a second read-write process, but with an I/O error
that names only the DuckDB file. agentlog takes its own lock first, on
``<store>/.lock``, with ``flock`` (released by the OS when the process dies,
even by SIGKILL), and reports a busy store as
:class:`~agentlog.errors.StoreLockedError` with the holder's pid.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO

from agentlog.errors import StoreError, StoreLockedError

__all__ = ["StoreLock"]

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows relies on DuckDB's own lock
    fcntl = None  # type: ignore[assignment]


class StoreLock:
    """Hold ``<directory>/.lock`` exclusively for the life of this object.

    Args:
        directory: The store directory (must exist).

    Raises:
        StoreLockedError: Immediately (no waiting) when another process holds it.
        StoreError: When the lock file cannot be opened (a directory, no permission, ...).

    Example:
        >>> import tempfile
        >>> lock = StoreLock(Path(tempfile.mkdtemp()))
        >>> lock.release()
    """

    def __init__(self, directory: Path) -> None:
        self.path = directory / ".lock"
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

    def _read_pid(self) -> int | None:
        assert self._file is not None
        self._file.seek(0)
        text = self._file.read().strip()
        return int(text) if text.isdigit() else None

    def release(self) -> None:
        """Release the lock (idempotent)."""
        if self._file is None:
            return
        with contextlib.suppress(OSError):
            self._file.seek(0)
            self._file.truncate()
        self._file.close()  # closing the descriptor releases the flock
        self._file = None
