r"""Opening a file that someone else named, refusing anything that is not a regular file.

A FIFO, a device or a socket named as a log file or as a dataset's
``manifest.json`` would make a plain ``open`` block until a writer appears (a
FIFO) or a read never end (``/dev/zero``, ``/dev/urandom``). :func:`open_regular_file`
opens without blocking, checks on the open descriptor (so a file swapped
after a check is caught too) that it is a regular file, and only then hands
it back for ordinary, blocking reads.

Example:
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "log.jsonl"
    >>> _ = path.write_bytes(b"{}\n")
    >>> with open_regular_file(path) as handle:
    ...     handle.read()
    b'{}\n'
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from agentlog.errors import ImportFormatError

__all__ = ["open_regular_file"]

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
"""Opening a FIFO for reading with this returns at once instead of waiting for a writer (POSIX)."""


def open_regular_file(path: Path) -> BinaryIO:
    """Open ``path`` for binary reading if it is a regular file (symlinks followed).

    Args:
        path: The file.

    Returns:
        The open file, in blocking mode.

    Raises:
        ImportFormatError: It is a folder, a FIFO, a device or a socket.
        OSError: It cannot be opened (missing, no permission, a symlink loop...).

    Example:
        >>> open_regular_file(Path("/dev/null"))
        Traceback (most recent call last):
        ...
        agentlog.errors.ImportFormatError: /dev/null: not a regular file but a device
    """
    fd = os.open(path, os.O_RDONLY | _NONBLOCK | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ImportFormatError(f"not a regular file but {_kind(mode)}", path=path)
        if _NONBLOCK:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _kind(mode: int) -> str:
    """What a non-regular file is, for the error message."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"
