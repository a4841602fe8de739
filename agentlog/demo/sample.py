"""The committed demo sample: the demo dataset of :func:`~agentlog.demo.demo_store`, as agentlog's Parquet dataset.

The sample is what :func:`~agentlog.demo.generate_demo_data` makes of
:data:`SAMPLE_PARAMS` (:data:`DEMO_STORE_SESSIONS` sessions, about 7,300
events, the 90 days before :data:`~agentlog.demo.DEFAULT_END`, seed 0),
exported with :func:`agentlog.io.export` from a store without an embedder (so
without vectors). It is committed twice, byte for byte the same:

* ``data/demo/`` at the top of the repository, the documented copy to read
  with DuckDB, Polars or ``agentlog import``;
* ``agentlog/demo/data/`` inside the package (package data), the copy that
  :func:`~agentlog.demo.demo_store` and ``agentlog demo`` load. It is there in
  every installation, editable or not, whatever the working directory.

The tests check that both copies are identical and hold exactly what the
generator makes now, so neither can drift. ``python -m agentlog.demo.write_sample``
(from the root of a checkout) rewrites them after the generator or the format
changed.

Example:
    >>> sample_path() is not None
    True
    >>> read_sample().sessions.num_rows == DEMO_STORE_SESSIONS
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from agentlog.demo.generator import (
    DEFAULT_END,
    EVENTS_SCHEMA,
    SESSIONS_SCHEMA,
    DemoData,
    DemoParams,
    generate_demo_data,
)
from agentlog.demo.loader import load_demo_data
from agentlog.errors import ImportFormatError
from agentlog.io import ExportResult, export, import_, is_dataset
from agentlog.services.import_ops import check_rows
from agentlog.store import Store

__all__ = [
    "DEMO_STORE_SESSIONS",
    "PACKAGED_SAMPLE",
    "SAMPLE_PARAMS",
    "generate_sample",
    "read_sample",
    "sample_path",
    "write_sample",
]

DEMO_STORE_SESSIONS = 160
"""Sessions in :func:`~agentlog.demo.demo_store` by default (and in the sample): about 7,300 events over 90 days.

Small on purpose: the offline model embeds every session summary and event
(about 130-170 texts per second on two cores), so the index is ready in about a minute.

Example:
    >>> DEMO_STORE_SESSIONS
    160
"""

SAMPLE_PARAMS = DemoParams(sessions=DEMO_STORE_SESSIONS, days=90, end=DEFAULT_END, seed=0, scale=1.0)
"""The generator arguments of the sample.

Example:
    >>> SAMPLE_PARAMS.n_sessions, SAMPLE_PARAMS.start.date().isoformat()
    (160, '2025-12-06')
"""

PACKAGED_SAMPLE = Path(__file__).resolve().with_name("data")
"""The package's copy of the sample (``agentlog/demo/data/``; ``data/demo/`` in a checkout is the same).

Example:
    >>> PACKAGED_SAMPLE.name, (PACKAGED_SAMPLE / "manifest.json").is_file()
    ('data', True)
"""

_SESSIONS_IN_ORDER = "SELECT * EXCLUDE (index_lsn) FROM sessions ORDER BY started_at, id"
_EVENTS_IN_ORDER = """
SELECT e.* EXCLUDE (index_lsn) FROM events e JOIN sessions s ON s.id = e.session_id
ORDER BY s.started_at, s.id, e.seq
"""


def sample_path() -> Path | None:
    """The packaged sample folder, or ``None`` if this installation lacks it.

    Example:
        >>> sample_path() == PACKAGED_SAMPLE
        True
    """
    return PACKAGED_SAMPLE if is_dataset(PACKAGED_SAMPLE) else None


def generate_sample() -> DemoData:
    """Generate the sample's data anew (what the committed files must hold).

    Example:
        >>> generate_sample().params == SAMPLE_PARAMS
        True
    """
    p = SAMPLE_PARAMS
    return generate_demo_data(sessions=p.sessions, days=p.days, end=p.end, seed=p.seed, scale=p.scale)


def read_sample(path: str | Path | None = None) -> DemoData:
    """The sample as a :class:`~agentlog.demo.DemoData`, read from its Parquet files.

    The folder is restored with :func:`agentlog.io.import_` into a scratch
    in-memory store, so it gets every check of the format, and read back in
    the generator's order and types: the result equals :func:`generate_sample`.

    Args:
        path: A folder holding the sample (``data/demo``); by default the
            packaged copy, or, if this installation lacks it, the generator's
            output (the same data).

    Returns:
        The data, with :data:`SAMPLE_PARAMS`.

    Raises:
        ImportFormatError: ``path`` is not a readable agentlog dataset, or holds
            another number of sessions than the sample.
        ValidationError: ``path`` is not a path.

    Example:
        >>> data = read_sample()
        >>> data.events.num_rows == generate_sample().events.num_rows
        True
    """
    if path is None:
        packaged = sample_path()
        if packaged is None:
            return generate_sample()
        path = packaged
    with Store.memory(embedder=None) as scratch:
        result = import_(scratch, path, progress=False)
        sessions, events = scratch.read(_read_rows)
    if sessions.num_rows != SAMPLE_PARAMS.n_sessions:
        raise ImportFormatError(
            f"holds {sessions.num_rows} sessions, the demo sample has {SAMPLE_PARAMS.n_sessions}: not the demo sample",
            path=result.path,
        )
    return DemoData(
        sessions=check_rows(sessions, SESSIONS_SCHEMA, "sessions"),
        events=check_rows(events, EVENTS_SCHEMA, "events"),
        params=SAMPLE_PARAMS,
    )


def _read_rows(cursor: Any) -> tuple[pa.Table, pa.Table]:
    """Sessions and events of the scratch store, UUIDs as ``arrow.uuid`` (the setting is the scratch store's only)."""
    cursor.execute("SET arrow_lossless_conversion = true")
    return cursor.sql(_SESSIONS_IN_ORDER).to_arrow_table(), cursor.sql(_EVENTS_IN_ORDER).to_arrow_table()


def write_sample(dest: str | Path) -> ExportResult:
    """Generate the sample and export it to ``dest`` as agentlog's Parquet dataset (without vectors).

    Args:
        dest: A new or empty folder, or an earlier export to replace (see
            :func:`agentlog.io.export`).

    Returns:
        What the export wrote.

    Raises:
        ValidationError: ``dest`` is not a place an export may write.

    Example:
        >>> import tempfile
        >>> write_sample(tempfile.mkdtemp() + "/demo").rows["sessions"]
        160
    """
    with Store.memory(embedder=None) as scratch:
        load_demo_data(scratch, generate_sample())
        return export(scratch, dest)
