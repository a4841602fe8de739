"""Export a store (or part of it) as agentlog's Parquet dataset.

Layout of ``DEST/`` (every table is a folder, readable with one glob,
``DEST/<table>/**/*.parquet``)::

    manifest.json                                   written last (see dataset_manifest)
    sessions/part-0.parquet
    events/date=2026-02-14/part-0.parquet           one folder per UTC day of the event timestamp
    events/date=__HIVE_DEFAULT_PARTITION__/part-0.parquet   events without a timestamp
    memories/part-0.parquet, documents/..., document_chunks/...   when the store has them
    vectors/events/part-0.parquet, vectors/sessions/...   with_vectors=True (see dataset_vectors)

Files are zstd-compressed Parquet written by DuckDB (``COPY ... PARTITION_BY``,
measured faster than pyarrow's dataset writer here). Columns are the store's,
without ``index_lsn``: ids as Parquet UUID, JSON as Parquet JSON (the stored
text, byte for byte), timestamps as microseconds UTC. Rows are in the store's
order; sort by ``(session_id, seq)`` for session order.

All tables are read in one transaction, so the dataset is a consistent
snapshot even while agents keep writing. With ``with_vectors=True`` the
export first waits for the vector index to catch up, then writes, in the same
transaction, the vectors of exactly the row versions it exports.

Example:
    >>> import tempfile
    >>> from agentlog.store import Store
    >>> with Store.memory(embedder=None) as store:
    ...     result = export(store, tempfile.mkdtemp() + "/backup")
    >>> result.rows["sessions"], (result.path / "manifest.json").is_file()
    (0, True)
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

from agentlog._version import __version__
from agentlog.errors import ValidationError
from agentlog.io.dataset_manifest import (
    DataFile,
    DatasetManifest,
    ExportFilters,
    TableEntry,
    VectorsEntry,
    write_dataset_manifest,
)
from agentlog.io.dataset_paths import fsync_tree, install, prepare_destination, staging_folder
from agentlog.io.dataset_sql import PARTITION_COLUMN, Filters, copy_sql, select_rows_sql
from agentlog.io.dataset_vectors import write_vectors
from agentlog.io.layout import TableLayout, store_layout
from agentlog.store import Store, require_open_store
from agentlog.store.manifest import EmbedderInfo, read_manifest
from agentlog.validation import validate_name, validate_since_until

if TYPE_CHECKING:
    from agentlog.index.vectors import VectorTables

__all__ = ["ExportResult", "export"]

_EMPTY_PARTITION = f"{PARTITION_COLUMN}=__HIVE_DEFAULT_PARTITION__"


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What :func:`export` wrote.

    Attributes:
        path: The dataset folder.
        manifest: Its manifest.

    Example:
        >>> import tempfile
        >>> with Store.memory(embedder=None) as store:
        ...     result = export(store, tempfile.mkdtemp() + "/x")
        >>> result.path.name, result.manifest.format_version
        ('x', 1)
    """

    path: Path
    manifest: DatasetManifest

    @property
    def rows(self) -> dict[str, int]:
        """Rows written per table.

        Example:
            >>> ExportResult(Path("x"), DatasetManifest(agentlog_version="0", schema_version=1,
            ...     created_at="2026-01-01T00:00:00Z", tables={})).rows
            {}
        """
        return {name: table.rows for name, table in self.manifest.tables.items()}

    @property
    def bytes(self) -> int:
        """Total size of the data files, vectors included.

        Example:
            >>> ExportResult(Path("x"), DatasetManifest(agentlog_version="0", schema_version=1,
            ...     created_at="2026-01-01T00:00:00Z", tables={})).bytes
            0
        """
        tables = list(self.manifest.tables.values())
        if self.manifest.vectors is not None:
            tables += self.manifest.vectors.tables.values()
        return sum(f.bytes for table in tables for f in table.files)


def check_filters(since: Any, until: Any, agents: Any) -> Filters:
    """Validate export filters: aware datetimes with ``since < until``, and agent names.

    ``agents`` may be one name or an iterable of names.

    Example:
        >>> check_filters(None, None, "claude").agents
        ('claude',)
    """
    start, end = validate_since_until(since, until)
    names: tuple[str, ...] | None = None
    if agents is not None:
        items = [agents] if isinstance(agents, str) else agents
        if not isinstance(items, Iterable):
            raise ValidationError(
                f"agents must be a name or a list of names, got {type(agents).__name__}", field="agents"
            )
        names = tuple(validate_name(a, f"agents[{i}]") for i, a in enumerate(items))
        if not names:
            raise ValidationError("agents must name at least one agent (None means every agent)", field="agents")
    return Filters(start, end, names)


def export(
    store: Store,
    dest: str | Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    agents: str | Iterable[str] | None = None,
    with_vectors: bool = False,
) -> ExportResult:
    """Write the store's tables to ``dest`` as a Parquet dataset.

    Args:
        store: An open store.
        dest: A new folder, an empty one, or an earlier export to replace
            (anything else is refused; see :mod:`agentlog.io.dataset_paths`).
        since: Keep sessions started at or after this (timezone-aware) instant.
        until: Keep sessions started before this instant.
        agents: Keep sessions of this agent or these agents.
        with_vectors: Also write the vectors of the exported rows (sessions,
            events, memories, document chunks) under ``vectors/``, with the
            embedder's name and dimension in the manifest. The export first
            waits for the index to catch up with everything committed; a
            vector travels only with the version of its row the snapshot has.
            An import into a store with the same embedder then reuses them
            instead of embedding the rows again.

    The filters select sessions (``since <= started_at < until``, agent in
    ``agents``) and with them their events (and their vectors); tables that
    do not belong to a session (memories, documents) are exported whole.

    Returns:
        The folder and its manifest.

    Raises:
        ValidationError: A bad argument or destination, or ``with_vectors``
            on a store without an embedder; nothing was written.
        SearchUnavailableError: ``with_vectors``, and the index cannot catch up
            (indexing keeps failing).
        StoreClosedError: The store is closed.

    Example:
        >>> import tempfile
        >>> from datetime import datetime, timezone
        >>> with Store.memory(embedder=None) as store:
        ...     r = export(store, tempfile.mkdtemp(), since=datetime(2026, 1, 1, tzinfo=timezone.utc))
        >>> r.manifest.filters.since.year
        2026
    """
    require_open_store(store)
    filters = check_filters(since, until, agents)
    if not isinstance(with_vectors, bool):
        raise ValidationError(
            f"with_vectors must be True or False, got {type(with_vectors).__name__}", field="with_vectors"
        )
    index = store.index
    if with_vectors and (index is None or store.embedder is None):
        raise ValidationError(
            "with_vectors=True needs a store with an embedder (a vector index); this one was opened with "
            "embedder=None. Open it with its embedder, or export without vectors (an import embeds the rows).",
            field="with_vectors",
        )
    target = prepare_destination(dest)
    if with_vectors:
        store.wait_for_index()  # every row committed so far has its vector (later ones may too)
    tmp = staging_folder(target)
    try:
        tables = index.tables if with_vectors and index is not None else None
        entries, vectors = store.read(lambda cursor: _write_snapshot(cursor, tmp, filters, tables))
        manifest = DatasetManifest(
            agentlog_version=__version__,
            schema_version=store.schema_version,
            created_at=datetime.now(UTC),
            filters=ExportFilters(
                since=filters.since, until=filters.until, agents=list(filters.agents) if filters.agents else None
            ),
            embedder=_embedder(store),
            vectors=_vectors_entry(store, vectors),
            tables=entries,
        )
        fsync_tree(tmp)
        write_dataset_manifest(tmp, manifest)
        install(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # ours: made above
        raise
    return ExportResult(target.path, manifest)


def _embedder(store: Store) -> EmbedderInfo | None:
    """The embedder of the store's vectors: the one in use, else the one its manifest records."""
    if store.embedder is not None:
        return EmbedderInfo(name=store.embedder.name, dimension=store.embedder.dimension)
    stored = read_manifest(store.path) if store.path is not None else None
    return stored.embedder if stored is not None else None


def _vectors_entry(store: Store, vectors: dict[str, TableEntry] | None) -> VectorsEntry | None:
    if vectors is None:
        return None
    assert store.embedder is not None  # checked before
    return VectorsEntry(
        embedder=EmbedderInfo(name=store.embedder.name, dimension=store.embedder.dimension), tables=vectors
    )


def _write_snapshot(
    cursor: Any, tmp: Path, filters: Filters, vector_tables: VectorTables | None
) -> tuple[dict[str, TableEntry], dict[str, TableEntry] | None]:
    cursor.execute("BEGIN TRANSACTION")  # one snapshot for every table (and the vectors)
    try:
        layouts = store_layout(cursor)
        entries = {layout.name: _write_table(cursor, tmp, layout, filters) for layout in layouts}
        vectors = None
        if vector_tables is not None:
            by_name = {layout.name: layout for layout in layouts}
            vectors = write_vectors(cursor, tmp, vector_tables, by_name, filters)
    finally:
        cursor.execute("ROLLBACK")  # read only
    return entries, vectors


def _write_table(cursor: Any, tmp: Path, layout: TableLayout, filters: Filters) -> TableEntry:
    spec = layout.spec
    partitioned = spec.partition_by_date is not None
    folder = tmp / spec.name
    select, params = select_rows_sql(spec, layout.schema.names, filters)
    if partitioned:
        target = folder
    else:
        folder.mkdir()
        target = folder / "part-0.parquet"
    written = cursor.execute(copy_sql(select, partitioned=partitioned), [*params, str(target)]).fetchall()
    stats = sorted((Path(row[0]).resolve(), int(row[1])) for row in written)
    if not stats:  # a partitioned copy of no rows writes nothing: keep one empty file, readers need a schema
        empty = folder / _EMPTY_PARTITION / "part-0.parquet"
        empty.parent.mkdir(parents=True)
        pq.write_table(layout.schema.empty_table(), empty, compression="zstd")
        stats = [(empty.resolve(), 0)]
    root = tmp.resolve()
    files = [
        DataFile(path=path.relative_to(root).as_posix(), rows=rows, bytes=path.stat().st_size) for path, rows in stats
    ]
    total = sum(f.rows for f in files)
    partitioned_by = f"date({spec.partition_by_date})" if partitioned else None
    return TableEntry(rows=total, columns=layout.column_specs(), partitioned_by=partitioned_by, files=files)
