"""Which agent-log files a store has imported as they are now, so that an import need not read them again.

Importing a folder such as ``~/.claude/projects`` again is the normal way to
keep a store up to date, and most of its files have not changed since the
last time. A file is recorded in the ``imported_logs`` table, in the same
transaction that stores its sessions, with its stamp (:class:`FileStamp`:
size, modification and change times in nanoseconds, inode and device, as
``rsync`` and ``make`` judge a file unchanged), the format it was read as, the
ids of its sessions and the agentlog version that read it. A later import
leaves it unread (:func:`unchanged_files`) when all of these still hold:

* the file's stamp is the recorded one;
* the import's format is ``"auto"`` or the recorded one;
* every session of the file is still in the store (one deleted through the
  API comes back from its log, as it did before files were recorded);
* the same agentlog version read it (a newer parser may find more).

A file is not recorded while one of its sessions is taken to be still
running (its last activity within the import's running window, see
:mod:`agentlog.io.log_op`): the next import reads it again, appends what
came since and ends the session once it has gone quiet. Reading a file that
is recorded changes nothing, so leaving it unread gives the same store.
``import_logs(..., reparse=True)`` reads every file anyway.
"""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentlog._version import __version__
from agentlog.store.writer import Transaction

__all__ = ["FileStamp", "ImportedFile", "record_file", "unchanged_files"]

_UNCHANGED = """
WITH wanted AS (SELECT * FROM imported_logs WHERE path IN (SELECT unnest($paths::VARCHAR[]))),
     listed AS (SELECT path, unnest(session_ids) AS id FROM wanted),
     missing AS (SELECT DISTINCT listed.path FROM listed ANTI JOIN sessions s ON s.id = listed.id)
SELECT path, format, size, mtime_ns, ctime_ns, inode, device
FROM wanted
WHERE agentlog_version = $version AND path NOT IN (SELECT path FROM missing)
"""
_RECORD = """
INSERT INTO imported_logs
    (path, format, size, mtime_ns, ctime_ns, inode, device, session_ids, agentlog_version, imported_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (path) DO UPDATE SET
    format = excluded.format, size = excluded.size, mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns,
    inode = excluded.inode, device = excluded.device, session_ids = excluded.session_ids,
    agentlog_version = excluded.agentlog_version, imported_at = excluded.imported_at
WHERE imported_logs.format <> excluded.format OR imported_logs.size <> excluded.size
   OR imported_logs.mtime_ns <> excluded.mtime_ns OR imported_logs.ctime_ns <> excluded.ctime_ns
   OR imported_logs.inode <> excluded.inode OR imported_logs.device <> excluded.device
   OR imported_logs.session_ids <> excluded.session_ids OR imported_logs.agentlog_version <> excluded.agentlog_version
"""
_FORGET = "DELETE FROM imported_logs WHERE path = $1"


@dataclass(frozen=True, slots=True)
class FileStamp:
    r"""What a file's ``stat`` says about its content: equal stamps are taken as the same content.

    Attributes:
        size: Size in bytes.
        mtime_ns: Modification time (ns).
        ctime_ns: Status change time (ns): moves with every write, and cannot be set back by ``touch``.
        inode: Inode number (a file replaced by another has a new one).
        device: Device number.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "log.jsonl"
        >>> _ = path.write_text("{}\n")
        >>> FileStamp.of(path).size
        3
        >>> FileStamp.of(path.parent) is None  # not a regular file
        True
    """

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, path: Path) -> FileStamp | None:
        """The stamp of ``path`` now, or None for anything but a readable regular file with a UTF-8 path.

        Example:
            >>> FileStamp.of(Path("/no/such/file")) is None
            True
        """
        try:
            str(path).encode("utf-8")
            info = os.stat(path)
        except (OSError, UnicodeEncodeError):
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        return cls(info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


@dataclass(frozen=True, slots=True)
class ImportedFile:
    """A file being imported: where, as what, and its stamp taken before it was read.

    Attributes:
        path: The resolved path.
        format: The format it was parsed as.
        stamp: Its stamp before it was read (None: it is not recorded).

    Example:
        >>> ImportedFile(Path("/logs/a.jsonl"), "claude-code", None).format
        'claude-code'
    """

    path: Path
    format: str
    stamp: FileStamp | None


def unchanged_files(cursor: Any, stamps: Mapping[Path, FileStamp | None], format: str) -> set[Path]:
    """The files of ``stamps`` that an import in ``format`` can leave unread (see the module docstring).

    Args:
        cursor: A read cursor of the store.
        stamps: Each file's stamp, taken before the import reads anything.
        format: The import's format (``"auto"`` or a name).

    Returns:
        The paths recorded with the same stamp, format and agentlog version, whose sessions are all stored.

    Example:
        >>> from agentlog.store import Store
        >>> with Store.memory(embedder=None) as store:
        ...     store.read(lambda cur: unchanged_files(cur, {Path("/logs/a.jsonl"): None}, "auto"))
        set()
    """
    wanted = {str(path): stamp for path, stamp in stamps.items() if stamp is not None}
    if not wanted:
        return set()
    rows = cursor.execute(_UNCHANGED, {"paths": list(wanted), "version": __version__}).fetchall()
    unchanged: set[Path] = set()
    for path, recorded_format, *recorded in rows:
        if FileStamp(*recorded) == wanted[path] and format in ("auto", recorded_format):
            unchanged.add(Path(path))
    return unchanged


def record_file(tx: Transaction, file: ImportedFile, session_ids: Iterable[uuid.UUID], *, running: bool) -> None:
    """Record that ``file`` is stored as it was when stamped, or forget it when a session of it is still running.

    Runs in the transaction that stores the file's sessions, so the record is
    committed exactly when they are. A record that would not change is left
    as it is (``imported_at`` says when the file was first stored as it is).

    Args:
        tx: The writer's transaction.
        file: The file, with the stamp taken before it was read.
        session_ids: The ids of the file's sessions.
        running: A session of the file was taken to be still running: the file must be read again.

    Example:
        >>> from agentlog.store import Store
        >>> stamp = FileStamp(3, 1, 1, 7, 1)
        >>> class Record:
        ...     def apply(self, tx):
        ...         record_file(tx, ImportedFile(Path("/logs/a.jsonl"), "jsonl", stamp), [], running=False)
        >>> with Store.memory(embedder=None) as store:
        ...     store.write(Record())
        ...     store.read(lambda cur: unchanged_files(cur, {Path("/logs/a.jsonl"): stamp}, "auto"))
        {PosixPath('/logs/a.jsonl')}
    """
    if file.stamp is None or running:
        tx.execute(_FORGET, [str(file.path)])
        return
    stamp = file.stamp
    tx.execute(
        _RECORD,
        [
            str(file.path),
            file.format,
            stamp.size,
            stamp.mtime_ns,
            stamp.ctime_ns,
            stamp.inode,
            stamp.device,
            list(session_ids),
            __version__,
            tx.now(),
        ],
    )
