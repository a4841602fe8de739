"""Reading one Parquet file of a dataset, checked against its manifest entry before and after parsing.

Example:
    >>> loose_schema(pa.schema([pa.field("id", pa.int64(), nullable=False)])).field("id").nullable
    True
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from agentlog._version import __version__
from agentlog.errors import ImportFormatError
from agentlog.io.dataset_manifest import DataFile, DatasetManifest

__all__ = ["check_size", "loose_schema", "read_data_file", "unknown_part"]


def check_size(path: Path, item: DataFile) -> None:
    """Raise :class:`ImportFormatError` unless the file has the size its manifest entry lists.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "x.parquet"
        >>> _ = path.write_bytes(b"PAR1")
        >>> check_size(path, DataFile(path="t/x.parquet", rows=0, bytes=4))
    """
    size = path.stat().st_size
    if size != item.bytes:
        raise ImportFormatError(
            f"file is {size} bytes but the manifest says {item.bytes}: truncated or replaced", path=path
        )


def unknown_part(what: str, manifest: DatasetManifest, where: Path) -> ImportFormatError:
    """The error for a part of a dataset (``what``) that this agentlog does not know: a newer one wrote it.

    Example:
        >>> m = DatasetManifest(agentlog_version="9.0", schema_version=1, created_at="2026-01-01T00:00:00Z", tables={})
        >>> str(unknown_part("table 'x' is not one", m, Path("manifest.json")))  # doctest: +ELLIPSIS
        "manifest.json: table 'x' is not one this agentlog (...) imports; ... agentlog 9.0: upgrade agentlog"
    """
    return ImportFormatError(
        f"{what} this agentlog ({__version__}) imports; the dataset was written by "
        f"agentlog {manifest.agentlog_version}: upgrade agentlog",
        path=where,
    )


def loose_schema(schema: pa.Schema) -> pa.Schema:
    """The schema with every field nullable (Parquet writers differ there; nulls are checked on the data).

    Example:
        >>> loose_schema(pa.schema([pa.field("x", pa.string(), nullable=False)]))
        x: string
    """
    return pa.schema([field.with_nullable(True) for field in schema])


def read_data_file(path: Path, item: DataFile, schema: pa.Schema, *, use_threads: bool) -> pa.Table:
    """Read a data file after checking its size, footer, columns and row count; check its data too.

    In that order, so that a truncated or replaced file is caught before it
    is parsed: size as listed, a readable Parquet footer, exactly the columns
    of ``schema`` (names and Arrow types), the listed row count; then the data
    is read and validated in full (UTF-8 included).

    Args:
        path: The file (already resolved inside the dataset).
        item: Its manifest entry.
        schema: The columns it must have.
        use_threads: Let pyarrow decode columns in parallel (for few large files).

    Returns:
        The rows, with :func:`loose_schema` of ``schema``.

    Raises:
        ImportFormatError: Naming the file and the problem.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "x.parquet"
        >>> pq.write_table(pa.table({"x": [1]}), path)
        >>> read_data_file(path, DataFile(path="t/x.parquet", rows=1, bytes=1), pa.schema([("x", pa.int64())]),
        ...     use_threads=False)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        agentlog.errors.ImportFormatError: ...x.parquet: file is ... bytes but the manifest says 1: truncated ...
    """
    check_size(path, item)
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
    return pa.Table.from_arrays(table.columns, schema=loose_schema(schema))
