"""SQL for documents and their chunks, and the conversion of their rows to records.

Statements take bound parameters only (``$1``, ...). A document's reported
``sync_status`` is computed from the stored one and the vector index's
watermark (see :func:`effective_status`).
"""

from __future__ import annotations

import json
import uuid
from typing import Any, TypedDict

from agentlog.records import format_timestamp

__all__ = [
    "DELETE_CHUNKS_OF",
    "DELETE_CHUNKS_OF_MANY",
    "DELETE_DOCUMENTS",
    "DOCUMENT_BY_ID",
    "DOCUMENT_BY_PATH",
    "DOCUMENT_COLUMNS",
    "EXISTING_BY_PATHS",
    "FORGET_EMBEDDING_MODELS",
    "HITS_BY_CHUNK_IDS",
    "LIST_ALL",
    "LIST_BY_TYPE",
    "MARK_FAILED",
    "MARK_STALE",
    "MARK_SYNCED",
    "PATHS_UNDER",
    "PENDING",
    "RECORD_SYNCED",
    "STORED_DOCUMENT",
    "UPDATE_CONTENT",
    "UPDATE_METADATA",
    "DocumentRecord",
    "document_row",
    "effective_status",
]


class DocumentRecord(TypedDict, total=False):
    """A document, as the DocumentIndexService returns it (search hits add the chunk fields)."""

    id: uuid.UUID
    """The document id (stable across re-indexing of the same path)."""
    file_path: str
    """The path (or URI) it was indexed under; unique."""
    title: str
    """Its title."""
    document_type: str | None
    """design, specification, plan, report, markdown, ... (free identifier)."""
    namespace: str | None
    """The memory-style namespace it belongs to, if any."""
    content_hash: str
    """sha256 of the content, hex."""
    chunk_count: int
    """How many chunks the content was split into."""
    embedding_model: str | None
    """The embedder of its vectors, once synced."""
    metadata: dict[str, Any]
    """Free-form facts; ``last_error`` after :meth:`mark_failed`."""
    sync_status: str
    """``pending``, ``synced``, ``failed`` or ``stale``."""
    last_synced_at: str | None
    """When ``synced`` was last recorded."""
    created_at: str
    """When it was first indexed."""
    updated_at: str
    """When its content, title, type, namespace or metadata last changed."""
    content: str
    """The full content (on ``get_document`` and ``get_document_by_id``)."""
    chunk_id: uuid.UUID
    """On search hits: the matching chunk."""
    chunk_index: int
    """On search hits: the chunk's position (from 0)."""
    chunk_text: str
    """On search hits: the chunk's text."""
    similarity: float
    """On search hits: calibrated relevance in [0, 1]."""
    cosine: float
    """On search hits: raw cosine similarity."""
    score: float
    """On search hits in ``keyword`` and ``hybrid`` mode: the reciprocal-rank score Σ 1 / (60 + rank)."""
    keyword_match: bool
    """On search hits in ``keyword`` and ``hybrid`` mode: whether it matched the query's words."""


DOCUMENT_COLUMNS = (
    "id, file_path, title, document_type, namespace, content_hash, chunk_count, embedding_model, metadata, "
    "sync_status, last_synced_at, created_at, updated_at, index_lsn"
)
"""Columns of a document record, in the order :func:`document_row` reads them (``content`` may follow)."""

DOCUMENT_BY_PATH = f"SELECT {DOCUMENT_COLUMNS}, content FROM documents WHERE file_path = $1"
"""One document with its content, by path."""
DOCUMENT_BY_ID = f"SELECT {DOCUMENT_COLUMNS}, content FROM documents WHERE id = $1"
"""One document with its content, by id."""
LIST_ALL = f"SELECT {DOCUMENT_COLUMNS} FROM documents ORDER BY updated_at DESC, id DESC LIMIT $1"
"""The ``$1`` most recently changed documents, newest first."""
LIST_BY_TYPE = (
    f"SELECT {DOCUMENT_COLUMNS} FROM documents WHERE document_type = $1 ORDER BY updated_at DESC, id DESC LIMIT $2"
)
"""The ``$2`` most recently changed documents of type ``$1``, newest first."""
PENDING = f"""
SELECT {DOCUMENT_COLUMNS} FROM documents
WHERE sync_status = 'stale' OR (sync_status = 'pending' AND index_lsn > $1)
ORDER BY updated_at, id LIMIT $2
"""
"""The re-embed queue: stale documents and pending ones not yet indexed (``$1`` = watermark), oldest first."""

PATHS_UNDER = "SELECT id, file_path FROM documents WHERE starts_with(file_path, $1)"
"""Documents whose path starts with ``$1`` (a directory with its trailing separator)."""

HITS_BY_CHUNK_IDS = f"""
SELECT {", ".join("d." + c.strip() for c in DOCUMENT_COLUMNS.split(","))}, c.id, c.chunk_index, c.text
FROM document_chunks c JOIN documents d ON d.id = c.document_id
WHERE c.id IN (SELECT unnest($1::UUID[]))
"""
"""Search hits: the document columns, then chunk id, index and text."""

# -- writer side -------------------------------------------------------------------

EXISTING_BY_PATHS = """
SELECT id, file_path, title, document_type, namespace, content_hash, metadata, sync_status
FROM documents WHERE file_path IN (SELECT unnest($1::VARCHAR[]))
"""
"""The stored rows of the paths in ``$1``, to compare with new content
(:meth:`~agentlog.services.document_ops.PreparedDocument.same_as` reads them by position)."""
STORED_DOCUMENT = """
SELECT id, file_path, title, document_type, namespace, content_hash, metadata, sync_status, content
FROM documents WHERE id = $1
"""
"""One stored row by id: the columns of :data:`EXISTING_BY_PATHS`, then ``content``."""
DELETE_CHUNKS_OF = "DELETE FROM document_chunks WHERE document_id = $1"
"""Remove the chunks of one document."""
DELETE_CHUNKS_OF_MANY = "DELETE FROM document_chunks WHERE document_id IN (SELECT unnest($1::UUID[]))"
"""Remove the chunks of the documents in ``$1``."""
DELETE_DOCUMENTS = "DELETE FROM documents WHERE id IN (SELECT unnest($1::UUID[]))"
"""Remove the documents in ``$1`` (their chunks first: :data:`DELETE_CHUNKS_OF_MANY`)."""
UPDATE_CONTENT = """
UPDATE documents SET title = $2, document_type = $3, namespace = $4, content = $5, content_hash = $6,
    chunk_count = $7, metadata = $8, sync_status = 'pending', updated_at = $9, index_lsn = $10
WHERE id = $1
"""
"""New content (and chunks): back to ``pending``; ``index_lsn`` = the last chunk's change number."""
UPDATE_METADATA = "UPDATE documents SET metadata = $2, updated_at = $3 WHERE id = $1"
"""New metadata for unchanged content: chunks and vectors stay."""
MARK_SYNCED = "UPDATE documents SET sync_status = 'synced', last_synced_at = $2, embedding_model = $3 WHERE id = $1"
"""Record ``synced`` for one document, by hand (``mark_synced``)."""
RECORD_SYNCED = """
UPDATE documents SET sync_status = 'synced', last_synced_at = $1, embedding_model = $2
WHERE sync_status = 'pending' AND index_lsn <= $3 RETURNING id
"""
"""Record ``synced`` for every pending document the index has caught up with (``$3`` = watermark)."""
FORGET_EMBEDDING_MODELS = "UPDATE documents SET embedding_model = NULL WHERE embedding_model IS NOT NULL RETURNING id"
"""After a rebuild of the vectors: the recorded models are no longer those of the vectors."""
MARK_FAILED = "UPDATE documents SET sync_status = 'failed', metadata = $2, updated_at = $3 WHERE id = $1"
"""Record ``failed``, with the metadata that holds the error (``mark_failed``)."""
MARK_STALE = """
UPDATE documents SET sync_status = 'stale', content = $2, content_hash = $3, updated_at = $4 WHERE id = $1
"""
"""Record new content and ``stale``; the chunks (and vectors) stay those of the old content (``mark_stale``)."""


def effective_status(stored: str, index_lsn: int, watermark: int) -> str:
    """The ``sync_status`` to report: a pending document the indexer has caught up with is ``synced``.

    Example:
        >>> effective_status("pending", 10, 12), effective_status("pending", 10, 9), effective_status("stale", 1, 9)
        ('synced', 'pending', 'stale')
    """
    return "synced" if stored == "pending" and index_lsn <= watermark else stored


def document_row(row: tuple[Any, ...], watermark: int, model: str | None) -> DocumentRecord:
    """Convert a row of :data:`DOCUMENT_COLUMNS` (plus ``content`` when present) to a record.

    Args:
        row: The row.
        watermark: The vector index watermark (see :func:`effective_status`).
        model: The store's embedder name, reported for documents synced by the indexer.

    Example:
        >>> import datetime
        >>> t = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        >>> r = document_row((uuid.UUID(int=1), "a.md", "A", None, None, "ab", 1, None, "{}", "pending",
        ...                   None, t, t, 5), watermark=7, model="fake")
        >>> r["sync_status"], r["embedding_model"]
        ('synced', 'fake')
    """
    status = effective_status(row[9], int(row[13]), watermark)
    record: DocumentRecord = {
        "id": row[0],
        "file_path": row[1],
        "title": row[2],
        "document_type": row[3],
        "namespace": row[4],
        "content_hash": row[5],
        "chunk_count": int(row[6]),
        "embedding_model": row[7] if row[7] is not None or status != "synced" else model,
        "metadata": json.loads(row[8]),
        "sync_status": status,
        "last_synced_at": format_timestamp(row[10]),
        "created_at": format_timestamp(row[11]),  # type: ignore[typeddict-item]
        "updated_at": format_timestamp(row[12]),  # type: ignore[typeddict-item]
    }
    if len(row) > 14:
        record["content"] = row[14]
    return record
