"""The manifest of an agentlog Parquet dataset (``manifest.json``).

The manifest is written last, into the temporary folder the export then
renames into place, so a folder with a manifest is a complete dataset. It
says what the dataset holds: the format version, the agentlog and schema
versions that wrote it, the filters used, the embedder of the source store,
for every table its columns (name, Arrow type, nullability), its row count
and its files (relative path, rows, bytes), and the same for the vectors of
each index source when the export carried them (:class:`VectorsEntry`).

Reading is strict: unknown keys, a newer format version, a path that could
leave the dataset folder, or a file count that does not add up are
:class:`~agentlog.errors.ImportFormatError`.

Example:
    >>> DATASET_FORMAT, FORMAT_VERSION, MANIFEST_FILE
    ('agentlog-dataset', 1, 'manifest.json')
"""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from agentlog.errors import ImportFormatError
from agentlog.regular_files import open_regular_file
from agentlog.store.manifest import EmbedderInfo

__all__ = [
    "DATASET_FORMAT",
    "FORMAT_VERSION",
    "MANIFEST_FILE",
    "MAX_MANIFEST_BYTES",
    "VECTORS_DIR",
    "ColumnSpec",
    "DataFile",
    "DatasetManifest",
    "ExportFilters",
    "TableEntry",
    "VectorsEntry",
    "read_dataset_manifest",
    "write_dataset_manifest",
]

DATASET_FORMAT = "agentlog-dataset"
"""The ``format`` of every manifest."""
FORMAT_VERSION = 1
"""The dataset format this agentlog writes and the newest it reads."""
MANIFEST_FILE = "manifest.json"
"""The manifest's file name inside a dataset folder."""
VECTORS_DIR = "vectors"
"""The folder of a dataset's vectors (``vectors/<source>/``), beside the tables."""
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
"""Largest manifest read (a dataset of a million files stays far below)."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ColumnSpec(_Strict):
    """One column of a table's files.

    Example:
        >>> ColumnSpec(name="seq", type="int64", nullable=False).type
        'int64'
    """

    name: str
    """Column name."""
    type: str
    """Arrow type: ``uuid``, ``json``, else as pyarrow prints it (``int64``, ``string``, ``timestamp[us, tz=UTC]``)."""
    nullable: bool
    """Whether the column may hold nulls."""


class DataFile(_Strict):
    """One Parquet file of a table.

    Example:
        >>> DataFile(path="sessions/part-0.parquet", rows=3, bytes=2048).rows
        3
    """

    path: str
    """Relative POSIX path inside the dataset folder, ``<table>/...parquet``."""
    rows: int = Field(ge=0)
    """Rows in the file."""
    bytes: int = Field(ge=0)
    """Size of the file."""

    @field_validator("path")
    @classmethod
    def _relative_inside(cls, value: str) -> str:
        pure = PurePosixPath(value)
        if (
            not value
            or "\\" in value
            or "\x00" in value
            or pure.is_absolute()
            or any(part in ("", ".", "..") for part in value.split("/"))
            or pure.suffix != ".parquet"
        ):
            raise ValueError(f"file path {value!r} must be a relative path to a .parquet file inside the dataset")
        return value


class TableEntry(_Strict):
    """One table of the dataset.

    Example:
        >>> TableEntry(rows=0, columns=[], partitioned_by=None, files=[]).rows
        0
    """

    rows: int = Field(ge=0)
    """Rows over all files."""
    columns: list[ColumnSpec]
    """The columns of every file, in order."""
    partitioned_by: str | None
    """``"date(<column>)"`` when files are in ``date=YYYY-MM-DD`` folders (UTC), else ``None``."""
    files: list[DataFile]
    """The files, each ``<table>/...``."""

    @model_validator(mode="after")
    def _rows_add_up(self) -> TableEntry:
        total = sum(f.rows for f in self.files)
        if total != self.rows:
            raise ValueError(f"rows is {self.rows} but its files hold {total}")
        return self


class ExportFilters(_Strict):
    """The filters an export used (all ``None``: everything).

    Example:
        >>> ExportFilters().agents is None
        True
    """

    since: AwareDatetime | None = None
    """Sessions started at or after this instant."""
    until: AwareDatetime | None = None
    """Sessions started before this instant."""
    agents: list[str] | None = None
    """Sessions of these agents."""


class VectorsEntry(_Strict):
    """The vectors a dataset carries (``export(..., with_vectors=True)``).

    One folder per index source (``vectors/sessions/``, ``vectors/events/``,
    ``vectors/memories/``, ``vectors/document_chunks/``), each like a table:
    files with ``id`` (the row's id; a memory's ``memory_id``), ``text`` (what
    was embedded) and ``vector`` (``embedder.dimension`` float32 values). An
    import into a store whose embedder has the same name and dimension hands
    them to its index, so rows whose text is unchanged are not embedded again;
    otherwise they are ignored and the rows are embedded as usual (every
    restored row gets a fresh ``index_lsn``), so a dataset loses nothing
    without them but the time to embed again.

    Example:
        >>> VectorsEntry(embedder=EmbedderInfo(name="fake", dimension=8), tables={}).embedder.dimension
        8
    """

    embedder: EmbedderInfo
    """The embedder that made the vectors."""
    tables: dict[str, TableEntry]
    """Vectors by index source, files under ``vectors/<source>/``; ``rows`` is the count per source."""


class DatasetManifest(_Strict):
    """Contents of ``manifest.json``.

    Example:
        >>> m = DatasetManifest(agentlog_version="0.1.0", schema_version=1,
        ...     created_at="2026-01-01T00:00:00Z", tables={})
        >>> m.format, m.format_version, m.vectors
        ('agentlog-dataset', 1, None)
    """

    format: Literal["agentlog-dataset"] = "agentlog-dataset"
    """Always ``agentlog-dataset``."""
    format_version: int = Field(default=FORMAT_VERSION, ge=1)
    """Version of this layout; a reader refuses newer ones."""
    agentlog_version: str
    """The agentlog that wrote the dataset."""
    schema_version: int = Field(ge=1)
    """The store schema version of that agentlog."""
    created_at: AwareDatetime
    """When the export ran."""
    filters: ExportFilters = ExportFilters()
    """The filters the export used."""
    embedder: EmbedderInfo | None = None
    """The embedder of the source store, if it had indexed anything."""
    vectors: VectorsEntry | None = None
    """Vectors, when the export carried them (``None``: the rows are embedded after import)."""
    tables: dict[str, TableEntry]
    """The tables, by name."""

    @model_validator(mode="after")
    def _files_under_their_table(self) -> DatasetManifest:
        seen: set[str] = set()
        folders = [(f"{name}/", f"table {name!r}", table) for name, table in self.tables.items()]
        if self.vectors is not None:
            for name, table in self.vectors.tables.items():
                if not name or "/" in name or name in (".", ".."):
                    raise ValueError(f"vectors source name {name!r} is not a folder name")
                folders.append((f"{VECTORS_DIR}/{name}/", f"vectors of {name!r}", table))
        for prefix, owner, table in folders:
            for item in table.files:
                if not item.path.startswith(prefix):
                    raise ValueError(f"file {item.path!r} of {owner} must be under {prefix}")
                if item.path in seen:
                    raise ValueError(f"file {item.path!r} is listed twice")
                seen.add(item.path)
        return self

    def files(self) -> list[str]:
        """Every data file the manifest lists (relative paths), vectors included.

        Example:
            >>> DatasetManifest(agentlog_version="0", schema_version=1,
            ...     created_at="2026-01-01T00:00:00Z", tables={}).files()
            []
        """
        files = [item.path for table in self.tables.values() for item in table.files]
        if self.vectors is not None:
            files += [item.path for table in self.vectors.tables.values() for item in table.files]
        return files


def _format_error(exc: PydanticValidationError) -> str:
    problems = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "(top level)"
        problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems)


def read_dataset_manifest(folder: Path) -> DatasetManifest:
    """Read and validate ``<folder>/manifest.json``.

    Args:
        folder: The dataset folder (already resolved).

    Raises:
        ImportFormatError: Missing, unreadable, not a regular file, too large, not JSON, not an
            agentlog dataset, of a newer format version, or invalid (naming
            the offending field).

    Example:
        >>> import tempfile
        >>> read_dataset_manifest(Path(tempfile.mkdtemp()))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        agentlog.errors.ImportFormatError: ...manifest.json: no manifest: not an agentlog export ...
    """
    path = folder / MANIFEST_FILE
    try:
        with open_regular_file(path) as handle:
            raw = handle.read(MAX_MANIFEST_BYTES + 1)  # bounded: the file may grow after any check of its size
        if len(raw) > MAX_MANIFEST_BYTES:
            raise ImportFormatError(f"manifest is more than {MAX_MANIFEST_BYTES} bytes", path=path)
    except FileNotFoundError:
        raise ImportFormatError(
            "no manifest: not an agentlog export (a folder written by `agentlog export`)", path=path
        ) from None
    except OSError as exc:
        raise ImportFormatError(f"cannot read the manifest: {exc.strerror or exc}", path=path) from None
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ImportFormatError(f"manifest is not valid JSON: {exc}", path=path) from None
    if not isinstance(data, dict) or data.get("format") != DATASET_FORMAT:
        raise ImportFormatError(
            f"manifest is not an agentlog dataset manifest (format != {DATASET_FORMAT!r})", path=path
        )
    version = data.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise ImportFormatError(
            f"dataset format version {version} is newer than this agentlog reads ({FORMAT_VERSION}); "
            "upgrade agentlog: pip install -U agentlog",
            path=path,
        )
    try:
        return DatasetManifest.model_validate(data)
    except PydanticValidationError as exc:
        problem = _format_error(exc)
    # Raised outside the except block: the pydantic error (which holds our validators' exceptions and
    # their frames where the garbage collector cannot see them) must not stay reachable from this one.
    raise ImportFormatError(f"invalid manifest: {problem}", path=path)


def write_dataset_manifest(folder: Path, manifest: DatasetManifest) -> None:
    """Write ``<folder>/manifest.json`` and flush it to disk.

    Example:
        >>> import tempfile
        >>> d = Path(tempfile.mkdtemp())
        >>> m = DatasetManifest(agentlog_version="0", schema_version=1, created_at="2026-01-01T00:00:00Z", tables={})
        >>> write_dataset_manifest(d, m)
        >>> read_dataset_manifest(d) == m
        True
    """
    path = folder / MANIFEST_FILE
    with path.open("w", encoding="utf-8") as handle:
        handle.write(manifest.model_dump_json(indent=2) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
