"""Import an agentlog Parquet dataset into a store: checked first, then one transaction.

Order of work, so that a bad dataset never touches the store:

1. the manifest (format, version, every path inside the folder);
2. every table of the manifest must be one this store has, with exactly the
   columns this agentlog writes (name, Arrow type, nullability);
3. every file: size as listed (a truncated or replaced file is caught
   before parsing), a readable Parquet footer, the expected Arrow schema,
   the listed row count, then its data (UTF-8 included) with pyarrow;
4. every file's content as soon as it is read, then each table's keys and
   sequence numbers across its files (:mod:`agentlog.io.dataset_check`);
5. one write op (:class:`~agentlog.io.restore_op.RestoreRows`), which checks
   parents and sequence numbers against the store and inserts what is new.

Any problem in 1-4 raises :class:`~agentlog.errors.ImportFormatError` naming
the file; the store is unchanged. Importing the same dataset twice adds
nothing. The dataset is held in memory while it is checked (about the size
of the data uncompressed).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from agentlog._version import __version__
from agentlog.errors import ImportFormatError, StoreError
from agentlog.io.dataset_check import LoadedTable, check_across, check_rows
from agentlog.io.dataset_manifest import MANIFEST_FILE, DataFile, DatasetManifest, read_dataset_manifest
from agentlog.io.dataset_paths import member, resolve_source
from agentlog.io.layout import TableLayout, store_layout
from agentlog.io.progress import progress_bar
from agentlog.io.restore_op import RestoreRows, TableCounts
from agentlog.store import Store, require_open_store

__all__ = ["DatasetImportResult", "import_"]

_READ_THREADS = 4
_GROUP_BYTES = 4 * 1024 * 1024
"""Compressed bytes of Parquet read and checked per task."""


@dataclass(frozen=True, slots=True)
class DatasetImportResult:
    """What :func:`import_` stored.

    Attributes:
        path: The dataset folder.
        manifest: Its manifest.
        tables: Rows inserted and skipped (already stored), by table.

    Example:
        >>> import tempfile
        >>> from agentlog.io.dataset_export import export
        >>> with Store.memory(embedder=None) as a, Store.memory(embedder=None) as b:
        ...     result = import_(b, export(a, tempfile.mkdtemp() + "/x").path)
        >>> result.tables["events"]
        TableCounts(inserted=0, skipped=0)
    """

    path: Path
    manifest: DatasetManifest
    tables: dict[str, TableCounts]

    @property
    def inserted(self) -> int:
        """Rows inserted over all tables.

        Example:
            >>> from agentlog.io.dataset_manifest import DatasetManifest
            >>> m = DatasetManifest(
            ...     agentlog_version="0", schema_version=1, created_at="2026-01-01T00:00:00Z", tables={})
            >>> DatasetImportResult(Path("x"), m, {"events": TableCounts(2, 1)}).inserted
            2
        """
        return sum(c.inserted for c in self.tables.values())

    @property
    def skipped(self) -> int:
        """Rows skipped because their key was already stored.

        Example:
            >>> from agentlog.io.dataset_manifest import DatasetManifest
            >>> m = DatasetManifest(
            ...     agentlog_version="0", schema_version=1, created_at="2026-01-01T00:00:00Z", tables={})
            >>> DatasetImportResult(Path("x"), m, {"events": TableCounts(2, 1)}).skipped
            1
        """
        return sum(c.skipped for c in self.tables.values())


def import_(store: Store, src: str | Path, *, progress: bool | None = None) -> DatasetImportResult:
    """Restore a dataset written by :func:`~agentlog.io.export` into ``store``.

    Lossless (ids, ``seq``, timestamps to the microsecond, JSON text byte for
    byte), idempotent (rows whose id is stored are skipped) and atomic (one
    transaction; a bad dataset changes nothing). Every restored row gets a
    fresh ``index_lsn``, so the vector index embeds it.

    Args:
        store: An open store.
        src: The dataset folder.
        progress: Show a progress bar while reading (``None``: when stderr is a terminal).

    Returns:
        Rows inserted and skipped per table.

    Raises:
        ImportFormatError: The dataset is malformed, truncated, of another
            schema or format version, or inconsistent; names the file.
        ValidationError: The dataset conflicts with the store (a session
            already has a different event with the same ``seq``).

    Example:
        >>> import tempfile
        >>> from agentlog.io.dataset_export import export
        >>> with Store.memory(embedder=None) as a, Store.memory(embedder=None) as b:
        ...     folder = export(a, tempfile.mkdtemp() + "/x").path
        ...     import_(b, folder).inserted
        0
    """
    require_open_store(store)
    root = resolve_source(src)
    manifest = read_dataset_manifest(root)
    layouts = _match_tables(root, manifest, {layout.name: layout for layout in store.read(store_layout)})
    plan = [
        (layout, [(member(root, item.path), item) for item in manifest.tables[layout.name].files]) for layout in layouts
    ]
    loaded = _read_tables(plan, sum(item.bytes for _, files in plan for _, item in files), progress)
    con = duckdb.connect()
    try:
        for table in loaded:
            check_across(table, con)
    finally:
        con.close()
    try:
        counts = store.write(RestoreRows(tuple((t.layout, t.rows) for t in loaded), root))
    except StoreError as exc:
        if isinstance(exc.__cause__, duckdb.ConstraintException):  # a CHECK or UNIQUE rule of the store
            raise ImportFormatError(f"the store refused the dataset: {exc.__cause__}", path=root) from exc
        raise
    return DatasetImportResult(root, manifest, counts)


def _match_tables(root: Path, manifest: DatasetManifest, layouts: dict[str, TableLayout]) -> list[TableLayout]:
    """The store's layouts of the manifest's tables, in registry order; refuse unknown ones or other columns."""
    where = root / MANIFEST_FILE
    for name, entry in manifest.tables.items():
        layout = layouts.get(name)
        if layout is None:
            raise ImportFormatError(
                f"table {name!r} is not one this agentlog ({__version__}) imports; the dataset was written by "
                f"agentlog {manifest.agentlog_version}: upgrade agentlog",
                path=where,
            )
        expected = layout.column_specs()
        if entry.columns != expected:
            raise ImportFormatError(
                f"table {name!r} has columns {_describe(entry.columns)}, but this agentlog ({__version__}, schema "
                f"version {manifest.schema_version} in the dataset) expects {_describe(expected)}",
                path=where,
            )
    return [layout for name, layout in layouts.items() if name in manifest.tables]


def _describe(columns: list[Any]) -> str:
    return "[" + ", ".join(f"{c.name} {c.type}{'' if c.nullable else ' not null'}" for c in columns) + "]"


def _read_tables(
    plan: list[tuple[TableLayout, list[tuple[Path, DataFile]]]], total: int, progress: bool | None
) -> list[LoadedTable]:
    """Read and check every file on a few threads, a group of files per task (checking overlaps reading)."""
    count = sum(len(files) for _, files in plan)
    use_threads = count < _READ_THREADS  # few files: let pyarrow parallelise inside each
    checker = duckdb.connect(config={"threads": 1})  # one cursor per reading thread, one core each
    local = threading.local()

    def read(layout: TableLayout, group: list[tuple[Path, DataFile]]) -> LoadedTable:
        parts = [_read_file(path, item, layout.schema, use_threads) for path, item in group]
        rows = pa.concat_tables(parts) if parts else _loose(layout.schema).empty_table()
        part = LoadedTable(layout, rows, tuple((path, item.rows) for path, item in group))
        cursor = getattr(local, "cursor", None)
        if cursor is None:
            cursor = local.cursor = checker.cursor()
        check_rows(part, cursor)
        return part

    try:
        with progress_bar(total, enabled=progress, desc="reading") as bar, ThreadPoolExecutor(_READ_THREADS) as pool:
            futures = [
                [(pool.submit(read, layout, group), sum(item.bytes for _, item in group)) for group in _groups(files)]
                for layout, files in plan
            ]
            loaded = []
            for (layout, files), pending in zip(plan, futures, strict=True):
                parts = []
                for future, size in pending:
                    parts.append(future.result().rows)
                    bar.update(size)
                rows = pa.concat_tables(parts) if parts else _loose(layout.schema).empty_table()
                loaded.append(LoadedTable(layout, rows, tuple((path, item.rows) for path, item in files)))
    finally:
        checker.close()
    return loaded


def _groups(files: list[tuple[Path, DataFile]]) -> list[list[tuple[Path, DataFile]]]:
    """Consecutive files in groups of about :data:`_GROUP_BYTES` (few checks, still parallel)."""
    groups: list[list[tuple[Path, DataFile]]] = [[]]
    size = 0
    for path, item in files:
        if groups[-1] and size + item.bytes > _GROUP_BYTES:
            groups.append([])
            size = 0
        groups[-1].append((path, item))
        size += item.bytes
    return groups


def _loose(schema: pa.Schema) -> pa.Schema:
    """The schema with every field nullable (Parquet writers differ there; nulls are checked on the data)."""
    return pa.schema([field.with_nullable(True) for field in schema])


def _read_file(path: Path, item: DataFile, schema: pa.Schema, use_threads: bool) -> pa.Table:
    size = path.stat().st_size
    if size != item.bytes:
        raise ImportFormatError(
            f"file is {size} bytes but the manifest says {item.bytes}: truncated or replaced", path=path
        )
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ImportFormatError(f"not a readable Parquet file: {exc}", path=path) from None
    with parquet:
        found = parquet.schema_arrow
        if found.names != schema.names:
            raise ImportFormatError(f"columns are {found.names}, expected {schema.names}", path=path)
        for field in schema:
            if not found.field(field.name).type.equals(field.type):
                raise ImportFormatError(
                    f"column {field.name} is {found.field(field.name).type}, expected {field.type}", path=path
                )
        if parquet.metadata.num_rows != item.rows:
            raise ImportFormatError(
                f"file holds {parquet.metadata.num_rows} rows but the manifest says {item.rows}", path=path
            )
        try:
            table = parquet.read(use_threads=use_threads)
            table.validate(full=True)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise ImportFormatError(f"cannot read the data: {exc}", path=path) from None
    if table.num_rows != item.rows:  # pragma: no cover - the footer said otherwise
        raise ImportFormatError(f"file holds {table.num_rows} rows but the manifest says {item.rows}", path=path)
    return pa.Table.from_arrays(table.columns, schema=_loose(schema))
