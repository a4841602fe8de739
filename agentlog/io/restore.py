"""Import an agentlog Parquet dataset into a store: checked first, then one transaction.

Order of work, so that a bad dataset never touches the store:

1. the manifest (format, version, every path inside the folder);
2. every table of the manifest must be one this store has, with exactly the
   columns this agentlog writes (name, Arrow type, nullability);
3. every file: size as listed (a truncated or replaced file is caught
   before parsing), a readable Parquet footer, the expected Arrow schema,
   the listed row count, then its data (UTF-8 included) with pyarrow
   (:mod:`agentlog.io.dataset_files`);
4. every file's content as soon as it is read, then each table's keys and
   sequence numbers across its files (:mod:`agentlog.io.dataset_check`);
   all on a few threads, in parallel;
5. the vectors, when the dataset has some and the store's embedder made
   them (:mod:`agentlog.io.dataset_vectors`), then offered to the store's index;
6. one write op (:class:`~agentlog.io.restore_op.RestoreRows`), which checks
   parents and sequence numbers against the store, inserts what is new and
   replaces the sessions and documents the dataset has newer (``updated_at``),
   a document with its chunks.

Any problem in 1-5 raises :class:`~agentlog.errors.ImportFormatError` naming
the file; the store is unchanged. Importing the same dataset twice adds
nothing. The dataset is held in memory while it is checked (about the size
of the data uncompressed).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from agentlog._version import __version__
from agentlog.errors import ImportFormatError, SearchUnavailableError, StoreError
from agentlog.io.dataset_check import LoadedTable, check_keys, check_rows, check_sequence
from agentlog.io.dataset_files import loose_schema, read_data_file, unknown_part
from agentlog.io.dataset_manifest import MANIFEST_FILE, DataFile, DatasetManifest, read_dataset_manifest
from agentlog.io.dataset_paths import member, resolve_source
from agentlog.io.dataset_vectors import VectorReuse, plan_vectors, read_vectors
from agentlog.io.layout import TableLayout, store_layout
from agentlog.io.progress import progress_bar
from agentlog.io.restore_op import RestoreRows, TableCounts
from agentlog.store import Store, require_open_store

if TYPE_CHECKING:
    from agentlog.index.indexer import Indexer
    from agentlog.index.offers import VectorOffer

__all__ = ["DatasetImportResult", "import_"]

_READ_THREADS = 4
_GROUP_BYTES = 4 * 1024 * 1024
"""Compressed bytes of Parquet read and checked per task."""
_INDEX_POLL = 0.5
"""Seconds between progress updates while the index takes offered vectors."""
_COMBINE_BYTES = 512 * 1024 * 1024
"""Largest group whose rows are copied into one chunk per column (far below Arrow's 2 GiB string limit)."""


@dataclass(frozen=True, slots=True)
class DatasetImportResult:
    """What :func:`import_` stored.

    Attributes:
        path: The dataset folder.
        manifest: Its manifest.
        tables: Rows inserted, skipped (already stored) and replaced (newer
            in the dataset), by table.
        vectors: What became of the dataset's vectors (``None``: it has none):
            handed to the store's index, or ignored (another embedder, or
            none) with the rows embedded again; ``vectors.reason`` says which.

    Example:
        >>> import tempfile
        >>> from agentlog.io.dataset_export import export
        >>> with Store.memory(embedder=None) as a, Store.memory(embedder=None) as b:
        ...     result = import_(b, export(a, tempfile.mkdtemp() + "/x").path)
        >>> result.tables["events"]
        TableCounts(inserted=0, skipped=0, replaced=0)
    """

    path: Path
    manifest: DatasetManifest
    tables: dict[str, TableCounts]
    vectors: VectorReuse | None = None

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
    def replaced(self) -> int:
        """Stored rows replaced because the dataset has them newer (sessions, documents).

        Example:
            >>> from agentlog.io.dataset_manifest import DatasetManifest
            >>> m = DatasetManifest(
            ...     agentlog_version="0", schema_version=1, created_at="2026-01-01T00:00:00Z", tables={})
            >>> DatasetImportResult(Path("x"), m, {"sessions": TableCounts(2, 1, 3)}).replaced
            3
        """
        return sum(c.replaced for c in self.tables.values())

    @property
    def skipped(self) -> int:
        """Rows skipped because their key was already stored (and they were not newer).

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
    byte), idempotent and atomic (one transaction; a bad dataset changes
    nothing). A row whose id is already stored is skipped (the store's
    wins), except that a session or document whose ``updated_at`` in the
    dataset is later than the stored one replaces it: a document with its
    chunks (the old chunks' vectors are dropped), a session keeping the
    events it has and taking the dataset's new ones. Events, memory versions
    and the chunks of a document that is not replaced are never changed. So
    importing a newer export of the same store (an incremental backup) brings
    the copy up to date. Every restored row gets a fresh ``index_lsn``, so
    the vector index picks it up.

    A dataset exported ``with_vectors`` carries the vectors of its rows. When
    this store's embedder has the same name and dimension, they are checked
    like the tables (a bad vectors file is refused, the store unchanged) and
    handed to the index, which reuses them for the imported rows instead of
    embedding them again (a row whose text differs from the one a vector was
    computed from is embedded as usual); the import then returns once the
    index has taken them (the vectors live in memory only, so the store may
    be closed right after). Otherwise they are ignored and the rows are
    embedded in the background as usual; :attr:`DatasetImportResult.vectors`
    says which.

    Args:
        store: An open store.
        src: The dataset folder.
        progress: Show progress bars while reading (and while the index takes
            the dataset's vectors); ``None``: when stderr is a terminal.

    Returns:
        Rows inserted, skipped and replaced per table, and what became of the vectors.

    Raises:
        ImportFormatError: The dataset (vectors included) is malformed,
            truncated, of another schema or format version, or inconsistent;
            names the file.
        ValidationError: The dataset conflicts with the store (a session
            already has a different event with the same ``seq``, an event,
            memory version or chunk id is stored with another session,
            ``seq``, memory version or document, a document path is stored
            under another id, or a newer document has another path); or
            ``src`` is not a path that can be resolved.

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
    vectors = plan_vectors(root, manifest, store.embedder)
    loaded = _read_tables(plan, sum(item.bytes for _, files in plan for _, item in files), progress)
    index = store.index
    offer = None
    if vectors is not None and vectors.reuse.used and index is not None:
        found = read_vectors(vectors, {table.layout.name: table.rows for table in loaded})
        offer = index.offer_vectors(found)  # before the rows are committed and the indexer sees them
    try:
        counts = store.write(RestoreRows(tuple((t.layout, t.rows) for t in loaded), root))
    except BaseException as exc:
        if offer is not None and index is not None:
            index.retire_offer(offer)
        if isinstance(exc, StoreError) and isinstance(exc.__cause__, duckdb.ConstraintException):
            # a CHECK or UNIQUE rule of the store
            raise ImportFormatError(f"the store refused the dataset: {exc.__cause__}", path=root) from exc
        raise
    reuse = None if vectors is None else vectors.reuse
    if offer is not None and index is not None and reuse is not None:
        reuse = _index_offered(index, offer, store.committed_lsn, reuse, progress)
    return DatasetImportResult(root, manifest, counts, reuse)


def _index_offered(
    index: Indexer, offer: VectorOffer, lsn: int, reuse: VectorReuse, progress: bool | None
) -> VectorReuse:
    """Wait until the index has taken the offered vectors (the store may close right after), then retire them."""
    pending = sum(offer.rows.values())
    sources = sorted(name for name, count in offer.rows.items() if count)
    problem = None
    try:
        with progress_bar(pending, enabled=progress, desc="indexing", unit="vector") as bar:
            while True:
                try:
                    index.wait(lsn, timeout=_INDEX_POLL, sources=sources)
                    break
                except SearchUnavailableError as exc:
                    if index.error is not None:  # indexing fails: the rows wait in the store, not the vectors
                        problem = str(exc)
                        break
                finally:
                    left = sum(offer.rows.values())
                    bar.update(pending - left)
                    pending = left
    finally:
        index.retire_offer(offer, after=lsn)
    reused = sum(offer.taken.values())
    if problem is not None:
        reason = f"{reuse.reason}, but indexing failed ({problem}): rows not indexed yet will be embedded"
    else:
        reason = f"{reuse.reason}: {reused} imported rows took theirs instead of being embedded"
    return dataclasses.replace(reuse, reason=reason, reused=reused)


def _match_tables(root: Path, manifest: DatasetManifest, layouts: dict[str, TableLayout]) -> list[TableLayout]:
    """The store's layouts of the manifest's tables, in registry order; refuse unknown ones or other columns."""
    where = root / MANIFEST_FILE
    for name, entry in manifest.tables.items():
        layout = layouts.get(name)
        if layout is None:
            raise unknown_part(f"table {name!r} is not one", manifest, where)
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
    """Read and check every file on a few threads, then each table across its files.

    A group of files per task, checked as soon as it is read (checking overlaps
    reading); once all of a table's groups are in, its keys and its sequence
    numbers are checked as two more tasks. The first problem, in table order,
    is raised; the tasks still queued are then cancelled.
    """
    count = sum(len(files) for _, files in plan)
    use_threads = count < _READ_THREADS  # few files: let pyarrow parallelise inside each
    checker = duckdb.connect(config={"threads": 1})  # one cursor per thread, one core each
    local = threading.local()

    def cursor() -> Any:
        found = getattr(local, "cursor", None)
        if found is None:
            found = local.cursor = checker.cursor()
        return found

    def read(layout: TableLayout, group: list[tuple[Path, DataFile]]) -> LoadedTable:
        parts = [read_data_file(path, item, layout.schema, use_threads=use_threads) for path, item in group]
        rows = pa.concat_tables(parts) if parts else loose_schema(layout.schema).empty_table()
        if len(parts) > 1 and rows.nbytes <= _COMBINE_BYTES:
            # A file holds a chunk per row group; DuckDB inserts few large chunks much faster than
            # many small ones (measured: 20% less CPU for the events of the benchmark). Copying here
            # runs on the reading threads, in parallel.
            rows = rows.combine_chunks()
        part = LoadedTable(layout, rows, tuple((path, item.rows) for path, item in group))
        check_rows(part, cursor())
        return part

    def across(check: Callable[[LoadedTable, Any], None], table: LoadedTable) -> None:
        check(table, cursor())

    pool = ThreadPoolExecutor(_READ_THREADS)
    try:
        with progress_bar(total, enabled=progress, desc="reading") as bar:
            futures = [
                [(pool.submit(read, layout, group), sum(item.bytes for _, item in group)) for group in _groups(files)]
                for layout, files in plan
            ]
            loaded = []
            checks: list[Future[None]] = []
            for (layout, files), pending in zip(plan, futures, strict=True):
                parts = []
                for future, size in pending:
                    parts.append(future.result().rows)
                    bar.update(size)
                rows = pa.concat_tables(parts) if parts else loose_schema(layout.schema).empty_table()
                table = LoadedTable(layout, rows, tuple((path, item.rows) for path, item in files))
                loaded.append(table)
                checks += [pool.submit(across, check_keys, table), pool.submit(across, check_sequence, table)]
            for check in checks:
                check.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # after a failure: drop what is still queued
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
