"""Validated document inputs and the write ops for documents (run on the writer thread).

Indexing is an upsert keyed by ``file_path``:

* a new path inserts the document and its chunks (``pending``);
* the same content, title, type and namespace is a no-op (metadata, when
  given and different, is updated without touching chunks or vectors),
  unless the document is ``stale`` or ``failed``, which re-chunks it
  (:class:`MarkSynced` re-chunks those too);
* anything else replaces the chunks: a ``document`` tombstone (which removes
  every vector of the document indexed from an earlier change) gets a change
  number *before* the new chunk rows', so the index can add the new vectors
  first and then drop the old ones: no stale vector is left behind, and the
  document is never missing from the index meanwhile.

A document's ``index_lsn`` is the change number of its last chunk (or of the
document itself when it has none): once the index watermark reaches it, the
document's vectors are all in the index.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from agentlog.errors import NotFoundError, ValidationError
from agentlog.services import document_sql as sql
from agentlog.services.chunking import CONTROL_CHARACTERS, Chunk, content_hash, markdown_title, split_chunks
from agentlog.services.namespaces import validate_namespace
from agentlog.services.tombstones import DOCUMENT_TOMBSTONE
from agentlog.store.writer import Transaction
from agentlog.validation import EVENT_TYPE_PATTERN, dump_json, validate_json_object, validate_text

__all__ = [
    "MAX_CONTENT_BYTES",
    "MAX_PATH_LENGTH",
    "MAX_TITLE_LENGTH",
    "ForgetEmbeddingModels",
    "MarkFailed",
    "MarkStale",
    "MarkSynced",
    "Outcome",
    "PreparedDocument",
    "RecordSynced",
    "RemoveDocuments",
    "UpsertDocuments",
    "derived_title",
    "needs_chunks",
    "prepare_document",
    "prepare_markdown",
    "stored_document",
    "validate_content",
    "validate_document_type",
    "validate_file_path",
    "validate_title",
]

MAX_CONTENT_BYTES = 8 * 1024 * 1024
"""Largest document content, in bytes of UTF-8 (8 MiB)."""
MAX_PATH_LENGTH = 4096
"""Longest ``file_path``, in characters."""
MAX_TITLE_LENGTH = 1000
"""Longest title, in characters."""

Outcome = Literal["added", "changed", "unchanged"]
"""What :class:`UpsertDocuments` did with one document (the lists of a sync report have the same names)."""


def _validate_line(value: Any, field: str, max_length: int) -> str:
    """A non-blank string of at most ``max_length`` characters with no control characters."""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string, got {value!r}"[:200], field=field, value=repr(value)[:80])
    if not value.strip():
        raise ValidationError(f"{field} must not be empty", field=field, value=repr(value)[:80])
    if len(value) > max_length:
        raise ValidationError(
            f"{field} is {len(value)} characters long; at most {max_length} are allowed",
            field=field,
            value=repr(value)[:80],
        )
    if CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            f"{field} contains control characters: {value[:60]!r}", field=field, value=repr(value)[:80]
        )
    validate_text(value, field)  # valid Unicode (no lone surrogates)
    return value


def validate_file_path(value: Any, field: str = "file_path") -> str:
    """Check a document path or URI: 1 to :data:`MAX_PATH_LENGTH` characters, no control characters.

    ``os.PathLike`` values are turned into strings; nothing else is changed
    (the path is an identifier here; :meth:`sync_directory` resolves real files).

    Example:
        >>> validate_file_path("docs/design.md")
        'docs/design.md'
    """
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    return _validate_line(value, field, MAX_PATH_LENGTH)


def validate_title(value: Any, field: str = "title") -> str:
    """Check a document title: 1 to :data:`MAX_TITLE_LENGTH` characters, no control characters.

    Example:
        >>> validate_title("Storage design")
        'Storage design'
    """
    return _validate_line(value, field, MAX_TITLE_LENGTH)


def validate_document_type(value: Any, field: str = "document_type") -> str:
    """Check a document type: an identifier such as ``design`` or ``markdown`` (like event types).

    Example:
        >>> validate_document_type("specification")
        'specification'
    """
    if not isinstance(value, str) or not EVENT_TYPE_PATTERN.fullmatch(value):
        raise ValidationError(
            f"{field} must start with a letter and contain only letters, digits and _ . : - "
            f"(at most 128 characters), got {value!r}"[:300],
            field=field,
            value=repr(value)[:80],
        )
    return value


def validate_content(value: Any, field: str = "content") -> str:
    r"""Check document content: a string of at most :data:`MAX_CONTENT_BYTES` bytes of UTF-8.

    Example:
        >>> validate_content("# Title\n\ntext")
        '# Title\n\ntext'
    """
    return validate_text(value, field, max_bytes=MAX_CONTENT_BYTES)


def derived_title(content: str, fallback: str) -> str:
    r"""The title a document gets when the caller gives none: its first heading (else ``fallback``'s name).

    The text of :func:`~agentlog.services.chunking.markdown_title` (one line,
    no control characters), cut to :data:`MAX_TITLE_LENGTH` characters, so a
    valid document always has a valid title.

    Example:
        >>> derived_title("# Hello\tWorld\n\nbody", "tab.md")
        'Hello World'
        >>> len(derived_title("# " + "x" * 5000, "long.md")) == MAX_TITLE_LENGTH
        True
    """
    return markdown_title(content, fallback)[:MAX_TITLE_LENGTH].rstrip()


@dataclass(slots=True)
class PreparedDocument:
    """One validated document, hashed, and chunked when its chunks are first needed."""

    file_path: str
    title: str
    document_type: str | None
    namespace: str | None
    content: str
    content_hash: str
    metadata: dict[str, Any] | None
    """``None`` keeps the stored metadata (``{}`` for a new document)."""
    chunked: list[Chunk] | None = field(default=None, repr=False)
    """The chunks, once made (see :attr:`chunks`)."""

    @property
    def chunks(self) -> list[Chunk]:
        """The content's chunks (made on first use: an unchanged document never needs them)."""
        if self.chunked is None:
            self.chunked = split_chunks(self.content)
        return self.chunked

    def same_content(self, row: Sequence[Any]) -> bool:
        """Whether a stored row (of ``EXISTING_BY_PATHS``) holds this content, title, type and namespace."""
        return (row[5], row[2], row[3], row[4]) == (self.content_hash, self.title, self.document_type, self.namespace)

    def same_as(self, row: Sequence[Any] | None) -> bool:
        """Whether a stored row (of ``EXISTING_BY_PATHS``) holds this content, title, type and namespace.

        A ``stale`` or ``failed`` document is never the same: indexing it again re-chunks it.
        """
        return row is not None and self.same_content(row) and not needs_chunks(row)


def prepare_document(
    file_path: Any, title: Any, content: Any, document_type: Any, metadata: Any, namespace: Any, *, chunk: bool = True
) -> PreparedDocument:
    r"""Validate the arguments of ``index_document`` and chunk the content (``chunk=False``: when first needed).

    Example:
        >>> doc = prepare_document("a.md", "A", "# A\n\nhello world", "markdown", None, "project:x")
        >>> doc.title, len(doc.chunks), doc.content_hash[:8]
        ('A', 1, '6bdd69e1')
    """
    path = validate_file_path(file_path)
    name = validate_title(title)
    text = validate_content(content)
    kind = validate_document_type(document_type) if document_type is not None else None
    meta = validate_json_object(metadata, "metadata") if metadata is not None else None
    if meta is not None:
        dump_json(meta, "metadata")
    ns = validate_namespace(namespace) if namespace is not None else None
    document = PreparedDocument(path, name, kind, ns, text, content_hash(text), meta)
    if chunk:
        _ = document.chunks  # here, in the caller's thread, not on the writer's
    return document


def prepare_markdown(file_path: Any, content: Any, namespace: Any) -> PreparedDocument:
    r"""Validate the arguments of ``sync_document_to_vector_db`` and chunk the content (title: :func:`derived_title`).

    Example:
        >>> prepare_markdown("a.md", "# Hello\tWorld\n\nbody", None).title
        'Hello World'
    """
    path = validate_file_path(file_path)
    text = validate_content(content)
    return prepare_document(path, derived_title(text, path), text, "markdown", None, namespace)


def _append_chunks(tx: Transaction, document_id: uuid.UUID, chunks: list[Chunk]) -> int:
    """Buffer the chunk rows with fresh change numbers; returns the document's ``index_lsn``."""
    first = tx.allocate_lsns(max(1, len(chunks)))
    for offset, chunk in enumerate(chunks):
        tx.append(
            "document_chunks",
            {
                "id": uuid.uuid4().bytes,
                "document_id": document_id.bytes,
                "chunk_index": chunk.index,
                "text": chunk.text,
                "start_char": chunk.start,
                "end_char": chunk.end,
                "index_lsn": first + offset,
            },
        )
    return first + max(1, len(chunks)) - 1


def _metadata_json(metadata: dict[str, Any] | None, stored: str | None) -> str:
    if metadata is None:
        return stored if stored is not None else "{}"
    return dump_json(metadata, "metadata")


def _canonical_json(value: Any) -> str:
    """JSON text that tells ``1``, ``1.0`` and ``true`` apart but not key order (for change detection)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _metadata_changed(metadata: dict[str, Any] | None, stored: str) -> bool:
    """Whether new metadata (``None``: keep the stored one) differs from the stored JSON text as JSON."""
    return metadata is not None and _canonical_json(metadata) != _canonical_json(json.loads(stored))


def _replace_chunks(tx: Transaction, doc_id: uuid.UUID, doc: PreparedDocument, metadata: str, now: datetime) -> None:
    """Store ``doc`` as the new content of ``doc_id``: its chunks replace the old ones (``pending`` again)."""
    tombstone = tx.next_lsn()  # before the new chunks' change numbers: it removes only older vectors
    tx.execute(sql.DELETE_CHUNKS_OF, [doc_id])
    last = _append_chunks(tx, doc_id, doc.chunks)
    tx.execute(
        sql.UPDATE_CONTENT,
        [
            doc_id, doc.title, doc.document_type, doc.namespace, doc.content, doc.content_hash,
            len(doc.chunks), metadata, now, last,
        ],
    )  # fmt: skip
    tx.append("index_tombstones", {"kind": DOCUMENT_TOMBSTONE, "item_id": doc_id.bytes, "index_lsn": tombstone})


@dataclass(slots=True)
class UpsertDocuments:
    """Index documents by path (see the module docstring); the result is ``[(id, outcome), ...]``."""

    documents: list[PreparedDocument]

    def apply(self, tx: Transaction) -> list[tuple[uuid.UUID, Outcome]]:
        """Compare with the stored rows, then insert, re-chunk or skip each document."""
        paths = [doc.file_path for doc in self.documents]
        if len(set(paths)) != len(paths):  # pragma: no cover - the service removes duplicates
            raise ValidationError("the same file_path twice in one batch", field="file_path")
        stored = {row[1]: row for row in tx.query(sql.EXISTING_BY_PATHS, [paths])}
        now = tx.now()
        results: list[tuple[uuid.UUID, Outcome]] = []
        for doc in self.documents:
            row = stored.get(doc.file_path)
            if row is None:
                results.append((self._insert(tx, doc, now), "added"))
                continue
            doc_id: uuid.UUID = row[0]
            if doc.same_as(row):
                if _metadata_changed(doc.metadata, row[6]):
                    tx.execute(sql.UPDATE_METADATA, [doc_id, _metadata_json(doc.metadata, None), now])
                    results.append((doc_id, "changed"))
                else:
                    results.append((doc_id, "unchanged"))
                continue
            _replace_chunks(tx, doc_id, doc, _metadata_json(doc.metadata, row[6]), now)
            results.append((doc_id, "changed"))
        return results

    @staticmethod
    def _insert(tx: Transaction, doc: PreparedDocument, now: datetime) -> uuid.UUID:
        doc_id = uuid.uuid4()
        last = _append_chunks(tx, doc_id, doc.chunks)
        tx.append(
            "documents",
            {
                "id": doc_id.bytes,
                "file_path": doc.file_path,
                "title": doc.title,
                "document_type": doc.document_type,
                "namespace": doc.namespace,
                "content": doc.content,
                "content_hash": doc.content_hash,
                "chunk_count": len(doc.chunks),
                "embedding_model": None,
                "metadata": _metadata_json(doc.metadata, None),
                "sync_status": "pending",
                "last_synced_at": None,
                "created_at": now,
                "updated_at": now,
                "index_lsn": last,
            },
        )
        return doc_id


@dataclass(slots=True)
class RemoveDocuments:
    """Delete documents, their chunks and (through tombstones) their vectors; the result is how many."""

    ids: list[uuid.UUID]

    def apply(self, tx: Transaction) -> int:
        """Delete the rows that exist."""
        present = [
            row[0] for row in tx.query("SELECT id FROM documents WHERE id IN (SELECT unnest($1::UUID[]))", [self.ids])
        ]
        if not present:
            return 0
        tx.execute(sql.DELETE_CHUNKS_OF_MANY, [present])
        tx.execute(sql.DELETE_DOCUMENTS, [present])
        first = tx.allocate_lsns(len(present))
        for offset, doc_id in enumerate(present):
            tx.append(
                "index_tombstones", {"kind": DOCUMENT_TOMBSTONE, "item_id": doc_id.bytes, "index_lsn": first + offset}
            )
        return len(present)


def _require(tx: Transaction, doc_id: uuid.UUID) -> tuple[Any, ...]:
    rows = tx.query("SELECT id, metadata FROM documents WHERE id = $1", [doc_id])
    if not rows:
        raise NotFoundError("document", doc_id)
    return rows[0]


def stored_document(row: Sequence[Any], *, chunk: bool = False) -> PreparedDocument:
    """A row of ``STORED_DOCUMENT`` as a :class:`PreparedDocument` (``chunk``: chunked now, else when needed)."""
    file_path, title, document_type, namespace, digest, _, _, content = row[1:]
    document = PreparedDocument(file_path, title, document_type, namespace, content, digest, None)
    if chunk:
        _ = document.chunks
    return document


def needs_chunks(row: Sequence[Any]) -> bool:
    """Whether a stored row (``EXISTING_BY_PATHS``, ``STORED_DOCUMENT``) is ``stale`` or ``failed``.

    The chunks of such a document may be those of older content (``mark_stale`` keeps them).
    """
    return row[7] in ("stale", "failed")


@dataclass(slots=True)
class MarkSynced:
    """Record ``synced`` (and ``last_synced_at``, ``embedding_model``) by hand.

    A ``stale`` or ``failed`` document is first re-chunked from its stored content, as indexing it again
    would: ``synced`` with the chunks of older content would leave the new content out of every search for
    good (indexing the same content again is a no-op on a synced document).
    """

    document_id: uuid.UUID
    model: str | None
    chunked: PreparedDocument | None = None
    """The stored document, chunked by the caller off the writer thread; used if it is still what is stored."""

    def apply(self, tx: Transaction) -> None:
        """Check the document exists, re-chunk it if it needs it, then update it."""
        rows = tx.query(sql.STORED_DOCUMENT, [self.document_id])
        if not rows:
            raise NotFoundError("document", self.document_id)
        row, now = rows[0], tx.now()
        if needs_chunks(row):
            doc = self.chunked
            if doc is None or not doc.same_content(row):
                doc = stored_document(row)  # changed since the caller read it: chunked here
            _replace_chunks(tx, self.document_id, doc, row[6], now)
        tx.execute(sql.MARK_SYNCED, [self.document_id, now, self.model])


@dataclass(slots=True)
class MarkFailed:
    """Record ``failed`` and keep the error in ``metadata.last_error`` (other keys kept)."""

    document_id: uuid.UUID
    error_message: str

    def apply(self, tx: Transaction) -> None:
        """Merge the error into the metadata and update the row."""
        row = _require(tx, self.document_id)
        metadata = json.loads(row[1])
        metadata["last_error"] = self.error_message
        tx.execute(sql.MARK_FAILED, [self.document_id, dump_json(metadata, "metadata"), tx.now()])


@dataclass(slots=True)
class MarkStale:
    """Record new content for a path and ``stale`` (the chunks and vectors are those of the old content)."""

    file_path: str
    content: str

    def apply(self, tx: Transaction) -> uuid.UUID:
        """Update the row found by path; returns its id."""
        rows = tx.query("SELECT id FROM documents WHERE file_path = $1", [self.file_path])
        if not rows:
            raise NotFoundError("document", self.file_path)
        doc_id: uuid.UUID = rows[0][0]
        tx.execute(sql.MARK_STALE, [doc_id, self.content, content_hash(self.content), tx.now()])
        return doc_id


@dataclass(slots=True)
class RecordSynced:
    """Record ``synced`` for every pending document whose vectors are all indexed (up to ``watermark``)."""

    watermark: int
    model: str | None

    def apply(self, tx: Transaction) -> int:
        """Update them; returns how many."""
        return len(tx.execute(sql.RECORD_SYNCED, [tx.now(), self.model, self.watermark]))


@dataclass(slots=True)
class ForgetEmbeddingModels:
    """Clear the recorded ``embedding_model`` of every document (run when the vectors are rebuilt).

    A synced document then reports the store's current embedder (see
    :func:`~agentlog.services.document_sql.document_row`); the result is how many rows changed.
    """

    def apply(self, tx: Transaction) -> int:
        """Update the rows that have a recorded model."""
        return len(tx.execute(sql.FORGET_EMBEDDING_MODELS))
