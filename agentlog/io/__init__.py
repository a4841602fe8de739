"""Import and export: agentlog's own Parquet dataset, and real agent logs.

* :func:`export` writes a store (or the sessions of some agents or dates,
  with their events) to a Parquet dataset: one folder per table, events
  partitioned by UTC date, and a ``manifest.json``; with ``with_vectors=True``
  also the vectors of the exported rows.
* :func:`import_` restores such a dataset: lossless, idempotent, atomic;
  rows already stored are kept, except sessions and documents the dataset
  has newer (``updated_at``), which replace them; a store with the same
  embedder reuses the dataset's vectors instead of embedding the rows again.
* :func:`import_logs` imports Claude Code transcripts, Codex CLI rollouts,
  OpenTelemetry GenAI traces and agentlog JSON lines (parsers in
  :mod:`agentlog.io.importers`).
* :func:`is_dataset` tells a dataset folder from a folder of logs.
* :func:`write_sample_logs` writes a small made-up log in each of those
  formats, for demos and tests without real logs.

Example:
    >>> import tempfile
    >>> from agentlog import Store
    >>> from agentlog.io import export, import_
    >>> with Store.memory(embedder=None) as source, Store.memory(embedder=None) as target:
    ...     folder = export(source, tempfile.mkdtemp() + "/backup").path
    ...     import_(target, folder).tables["sessions"].inserted
    0
"""

from pathlib import Path

from agentlog.io.dataset_export import ExportResult, export
from agentlog.io.dataset_manifest import MANIFEST_FILE, DatasetManifest, read_dataset_manifest
from agentlog.io.dataset_vectors import VectorReuse
from agentlog.io.load_logs import LogImportReport, import_logs
from agentlog.io.log_op import RUNNING_WINDOW
from agentlog.io.registry import EXPORT_TABLES, ExportTable
from agentlog.io.restore import DatasetImportResult, import_
from agentlog.io.restore_op import TableCounts
from agentlog.io.sample_logs import write_sample_logs

__all__ = [
    "EXPORT_TABLES",
    "RUNNING_WINDOW",
    "DatasetImportResult",
    "DatasetManifest",
    "ExportResult",
    "ExportTable",
    "LogImportReport",
    "TableCounts",
    "VectorReuse",
    "export",
    "import_",
    "import_logs",
    "is_dataset",
    "read_dataset_manifest",
    "write_sample_logs",
]


def is_dataset(path: str | Path) -> bool:
    """Whether ``path`` is a folder with an agentlog dataset manifest (as :func:`export` writes).

    Example:
        >>> import tempfile
        >>> is_dataset(tempfile.mkdtemp())
        False
    """
    folder = Path(path).expanduser()
    return folder.is_dir() and (folder / MANIFEST_FILE).is_file()
