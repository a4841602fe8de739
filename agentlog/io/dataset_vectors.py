"""A dataset's vectors: written by ``export(..., with_vectors=True)``, checked and reused by ``import_``.

Layout, beside the tables (``vectors/<source>/part-N.parquet``, one folder per
index source of :mod:`agentlog.index.sources`)::

    vectors/sessions/part-0.parquet          id (UUID), text, vector (float32 list)
    vectors/events/part-0.parquet, part-1.parquet, ...   a new file about every 64 MB
    vectors/memories/..., vectors/document_chunks/...

``id`` is the id of the row the vector was computed from (a memory's
``memory_id``: one vector per memory), ``text`` what was embedded. The
manifest records the embedder (name, dimension) and the rows per source
(:class:`~agentlog.io.dataset_manifest.VectorsEntry`).

Export: after waiting for the index, the vectors are streamed from LanceDB
and joined, inside the export's snapshot transaction, with the rows the
export keeps (:func:`~agentlog.io.dataset_sql.vector_rows_sql`): a vector
travels only with the very version of the row it was computed from.

Import: when the target store's embedder has the same name and dimension,
the files are checked like the tables (size, footer, columns, row count, then
no nulls, ``dimension`` finite values per vector, unique ids, every id one of
the dataset's rows) and handed to the store's indexer, which reuses a vector
for a row whose text is unchanged instead of embedding it
(:mod:`agentlog.index.offers`). Otherwise they are not read, only listed
(present, of the listed size), and the rows are embedded as usual.

Example:
    >>> [c.name for c in vector_columns()]
    ['id', 'text', 'vector']
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from agentlog.errors import ImportFormatError
from agentlog.index.sources import SOURCES, IndexSource
from agentlog.io.dataset_check import first_true, locate_row, with_row_numbers
from agentlog.io.dataset_files import check_size, loose_schema, read_data_file, unknown_part
from agentlog.io.dataset_manifest import MANIFEST_FILE, VECTORS_DIR, ColumnSpec, DataFile, DatasetManifest, TableEntry
from agentlog.io.dataset_paths import member
from agentlog.io.dataset_sql import (
    Filters,
    copy_sql,
    duplicate_key_sql,
    scan_sql,
    unknown_ids_sql,
    vector_rows_sql,
)
from agentlog.io.layout import TableLayout, type_name

if TYPE_CHECKING:
    from agentlog.embeddings import Embedder
    from agentlog.index.vectors import VectorTables

__all__ = [
    "VECTORS_SCHEMA",
    "VECTOR_FILE_BYTES",
    "VectorReuse",
    "VectorsPlan",
    "plan_vectors",
    "read_vectors",
    "vector_columns",
    "write_vectors",
]

VECTORS_SCHEMA = pa.schema(
    [
        pa.field("id", pa.uuid(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("vector", pa.list_(pa.field("element", pa.float32())), nullable=False),
    ]
)
"""The columns of every vectors file, as pyarrow reads them back."""

VECTOR_FILE_BYTES = 64 * 1024 * 1024
"""About the largest vectors file an export writes (whole row groups), so an import reads several in parallel."""

_SCANNED = "agentlog_vectors"
_KEYS = "agentlog_vector_keys"


def vector_columns() -> list[ColumnSpec]:
    """The columns of a vectors file, as the manifest records them.

    Example:
        >>> vector_columns()[2].type
        'list<element: float>'
    """
    return [ColumnSpec(name=f.name, type=type_name(f.type), nullable=f.nullable) for f in VECTORS_SCHEMA]


# -- export --------------------------------------------------------------------------------


def write_vectors(
    cursor: Any, tmp: Path, tables: VectorTables, layouts: Mapping[str, TableLayout], filters: Filters
) -> dict[str, TableEntry]:
    """Write the vectors of the rows an export keeps to ``tmp/vectors/<source>/``.

    Runs inside the export's snapshot transaction, after the tables.

    Args:
        cursor: The export's read cursor (in its transaction).
        tmp: The dataset folder being written.
        tables: The store's LanceDB tables.
        layouts: The store's exported tables by name.
        filters: The export's filters.

    Returns:
        An entry per index source whose table the store has.
    """
    entries = {}
    root = tmp.resolve()
    for source in SOURCES:
        layout = layouts.get(source.lsn_table)
        if layout is None:
            continue
        folder = tmp / VECTORS_DIR / source.name
        folder.parent.mkdir(exist_ok=True)
        select, params = vector_rows_sql(layout.spec, source.key_column, _SCANNED, filters)
        cursor.register(_SCANNED, tables.scan(source.name, ["id", "index_lsn", "text", "vector"]))
        try:
            sql = copy_sql(select, partitioned=False, file_bytes=VECTOR_FILE_BYTES)
            written = cursor.execute(sql, [*params, str(folder)]).fetchall()
        finally:
            with contextlib.suppress(duckdb.Error):  # in an aborted transaction: keep the first error
                cursor.unregister(_SCANNED)
        stats = sorted((Path(row[0]).resolve(), int(row[1])) for row in written if int(row[1]))
        if not stats:  # no vector: keep one empty file, readers need a schema
            for path in folder.glob("*.parquet"):  # an empty file DuckDB may have left
                path.unlink()
            folder.mkdir(parents=True, exist_ok=True)
            empty = folder / "part-0.parquet"
            pq.write_table(VECTORS_SCHEMA.empty_table(), empty, compression="zstd")
            stats = [(empty.resolve(), 0)]
        files = [DataFile(path=p.relative_to(root).as_posix(), rows=n, bytes=p.stat().st_size) for p, n in stats]
        total = sum(f.rows for f in files)
        entries[source.name] = TableEntry(rows=total, columns=vector_columns(), partitioned_by=None, files=files)
    return entries


# -- import --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VectorReuse:
    """What an import did with the vectors a dataset carries.

    Attributes:
        used: Whether they were handed to the store's index.
        rows: Vectors in the dataset, by index source.
        reason: One sentence saying what happened and why.
        reused: How many of them imported rows took instead of being embedded
            (rows already stored, or whose text differs, take none).

    Example:
        >>> VectorReuse(False, {"events": 3}, "this store has no embedder").used
        False
    """

    used: bool
    rows: dict[str, int]
    reason: str
    reused: int = 0


@dataclass(frozen=True, slots=True)
class VectorsPlan:
    """The vectors an import will read: the decision, and the files by source (when used).

    Example:
        >>> VectorsPlan(VectorReuse(False, {}, "x"), 8, ()).reuse.used
        False
    """

    reuse: VectorReuse
    dimension: int
    files: tuple[tuple[IndexSource, tuple[tuple[Path, DataFile], ...]], ...]


def plan_vectors(root: Path, manifest: DatasetManifest, embedder: Embedder | None) -> VectorsPlan | None:
    """Check the manifest's vectors and decide whether the store can reuse them.

    Always checked: every source is one this agentlog indexes, with the
    expected columns, whose table is in the dataset; every file is inside the
    dataset and of its listed size. They are used when ``embedder`` (the
    store's) has the name and dimension of the dataset's.

    Returns:
        ``None`` when the dataset has no vectors.

    Raises:
        ImportFormatError: Naming the manifest or the file.

    Example:
        >>> import tempfile
        >>> m = DatasetManifest(agentlog_version="0", schema_version=1, created_at="2026-01-01T00:00:00Z", tables={})
        >>> plan_vectors(Path(tempfile.mkdtemp()), m, None) is None
        True
    """
    entry = manifest.vectors
    if entry is None:
        return None
    where = root / MANIFEST_FILE
    known = {source.name: source for source in SOURCES}
    planned = []
    for name, table in entry.tables.items():
        source = known.get(name)
        if source is None:
            raise unknown_part(f"vectors of {name!r} are not of an index source", manifest, where)
        if table.columns != vector_columns():
            raise ImportFormatError(
                f"vectors of {name!r} have columns {[c.model_dump() for c in table.columns]}, expected "
                f"{[c.model_dump() for c in vector_columns()]}",
                path=where,
            )
        if source.lsn_table not in manifest.tables:
            raise ImportFormatError(f"vectors of {name!r} but no {source.lsn_table!r} table", path=where)
        files = []
        for item in table.files:
            path = member(root, item.path)
            check_size(path, item)
            files.append((path, item))
        planned.append((source, tuple(files)))
    rows = {name: table.rows for name, table in entry.tables.items()}
    made = f"{entry.embedder.name} ({entry.embedder.dimension}-d)"
    if embedder is None:
        reason = f"not used: this store has no embedder (no vector index) for the dataset's vectors of {made}"
        return VectorsPlan(VectorReuse(False, rows, reason), entry.embedder.dimension, ())
    if (embedder.name, embedder.dimension) != (entry.embedder.name, entry.embedder.dimension):
        reason = (
            f"not used: the dataset's vectors come from {made} but this store embeds with {embedder.name} "
            f"({embedder.dimension}-d); its index embeds the imported rows again"
        )
        return VectorsPlan(VectorReuse(False, rows, reason), entry.embedder.dimension, ())
    reason = f"{sum(rows.values())} vectors of {made} handed to the index"
    return VectorsPlan(VectorReuse(True, rows, reason), entry.embedder.dimension, tuple(planned))


def read_vectors(plan: VectorsPlan, tables: Mapping[str, pa.Table]) -> dict[str, pa.Table]:
    """Read and check the vectors files of a plan that uses them.

    Args:
        plan: From :func:`plan_vectors`.
        tables: The dataset's rows by table name (each vector's id must be one of them).

    Returns:
        By source, the table to offer to the index (``id``, ``text``, ``vector``).

    Raises:
        ImportFormatError: Naming the file and the row.

    Example:
        >>> read_vectors(VectorsPlan(VectorReuse(True, {}, "x"), 8, ()), {})
        {}
    """
    found = {}
    con = duckdb.connect()
    try:
        for source, files in plan.files:
            parts = []
            for path, item in files:
                part = read_data_file(path, item, VECTORS_SCHEMA, use_threads=True)
                _check_file(path, part, plan.dimension)
                parts.append(part)
            rows = pa.concat_tables(parts) if parts else loose_schema(VECTORS_SCHEMA).empty_table()
            located = tuple((path, item.rows) for path, item in files)
            _check_ids(con, source, rows, located, tables[source.lsn_table])
            found[source.name] = rows
    finally:
        con.close()
    return found


def _check_file(path: Path, rows: pa.Table, dimension: int) -> None:
    for name in VECTORS_SCHEMA.names:
        column = rows.column(name)
        if column.null_count:
            raise ImportFormatError(f"row {first_true(pc.is_null(column))}: {name} is null", path=path)
    vectors = rows.column("vector")
    lengths = pc.list_value_length(vectors)
    row = first_true(pc.not_equal(lengths, dimension))
    if row is not None:
        raise ImportFormatError(
            f"row {row}: vector has {lengths[row].as_py()} values, but the manifest's embedder has "
            f"dimension {dimension}",
            path=path,
        )
    values = pc.list_flatten(vectors)
    bad = first_true(pc.invert(pc.fill_null(pc.is_finite(values), False)))
    if bad is not None:
        raise ImportFormatError(
            f"row {bad // dimension}: vector holds {values[bad].as_py()}, not a finite number", path=path
        )


def _check_ids(
    con: Any, source: IndexSource, rows: pa.Table, files: tuple[tuple[Path, int], ...], dataset: pa.Table
) -> None:
    """Ids unique, and each one a row of the dataset (its ``key_column``)."""
    ids = rows.select(["id"])
    con.register(_SCANNED, with_row_numbers(ids))
    try:
        total, distinct = con.execute(scan_sql(_SCANNED, [], [("id",)])).fetchall()[0]
        if total != distinct:
            first, last = (int(n) - 1 for n in con.execute(duplicate_key_sql(("id",), _SCANNED)).fetchall()[0])
            where, inside = locate_row(files, first)
            path, row = locate_row(files, last)
            value = rows.column("id")[first].as_py()
            raise ImportFormatError(f"row {row}: id {value} is repeated (first at row {inside} of {where})", path=path)
        con.register(_KEYS, pa.table({"key": dataset.column(source.key_column)}))
        try:
            unknown = con.execute(unknown_ids_sql(_SCANNED, _KEYS)).fetchall()[0][0]
        finally:
            con.unregister(_KEYS)
    finally:
        con.unregister(_SCANNED)
    if unknown is not None:
        path, row = locate_row(files, int(unknown) - 1)
        value = rows.column("id")[int(unknown) - 1].as_py()
        raise ImportFormatError(
            f"row {row}: id {value} is not the {source.key_column} of a row of the dataset's {source.lsn_table}",
            path=path,
        )
