"""Where each vector table's unindexed tail starts: a small JSON file beside the tables.

A table's *tail floor* is the highest ``index_lsn`` that was in the table when its indexes last took in
every row (a compaction, or an ANN build); rows above it are the tail that a merge rewrites (see
:mod:`agentlog.index.vectors`). Kept on disk so that short processes (one agent run, one import) merge too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping
from pathlib import Path

__all__ = ["TAIL_FLOORS_FILE", "read_tail_floors", "write_tail_floors"]

TAIL_FLOORS_FILE = "tail_floors.json"
"""File (in the index directory) recording, per table, the highest ``index_lsn`` its last compaction (or ANN
build) took in.

Written after the compaction (or build) commits. A crash in between leaves an older, lower floor: the next merge then
rewrites some rows the index holds as part of the tail (they are scanned until the next compaction: slower,
never wrong). Recovery (:meth:`~agentlog.index.vectors.VectorTables.delete_after`) lowers it, so rows
indexed again are in the tail.
"""


def read_tail_floors(directory: Path, tables: Collection[str]) -> dict[str, int]:
    """The recorded tail floors of ``tables`` (none if the file is missing or unreadable: those tables compact once).

    Args:
        directory: The index directory.
        tables: The names of the tables a floor may be recorded for (others are ignored).

    Example:
        >>> import tempfile
        >>> directory = Path(tempfile.mkdtemp())
        >>> read_tail_floors(directory, ["events"])
        {}
        >>> write_tail_floors(directory, {"events": 42})
        >>> read_tail_floors(directory, ["events", "sessions"])
        {'events': 42}
    """
    try:
        recorded = json.loads((directory / TAIL_FLOORS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(recorded, dict):
        return {}
    return {
        name: lsn
        for name, lsn in recorded.items()
        if name in tables and isinstance(lsn, int) and not isinstance(lsn, bool) and 0 <= lsn < 2**63
    }


def write_tail_floors(directory: Path, floors: Mapping[str, int]) -> None:
    """Record the tail floors, atomically: a crash leaves the old file or the new one.

    Nothing is written while there are no floors and no file (an index that never compacted).

    Args:
        directory: The index directory.
        floors: Every table's floor (the file is replaced by these).

    Example:
        >>> import tempfile
        >>> directory = Path(tempfile.mkdtemp())
        >>> write_tail_floors(directory, {})  # no floors, no file: nothing written
        >>> (directory / TAIL_FLOORS_FILE).exists()
        False
    """
    path = directory / TAIL_FLOORS_FILE
    if not floors and not path.exists():
        return
    partial = path.with_name(f"{TAIL_FLOORS_FILE}.partial")
    partial.write_text(json.dumps(dict(floors), sort_keys=True), encoding="utf-8")
    os.replace(partial, path)
