"""DocumentIndexService: markdown (or any text) documents, chunked, embedded and searchable.

The API of the original project's document index (see
``reference/document-index-api.md``), with agentlog's changes:

* :meth:`~DocumentIndexService.index_document` is an **upsert by path**: the
  same content is a no-op; new content replaces the chunks and their vectors
  (no old vector is left behind). Content and chunks are stored in DuckDB
  (chunking: :mod:`agentlog.services.chunking`), vectors in LanceDB.
* :meth:`~DocumentIndexService.semantic_search` returns the best **chunks**
  with their document's fields, ``chunk_text`` and ``similarity``; filters
  (namespace prefix, document type) apply before the limit; ``mode="hybrid"``
  fuses keyword (BM25 over title + chunk) and vector ranks.
* :meth:`~DocumentIndexService.sync_directory` indexes a folder and reports
  what was added, changed, unchanged and removed.

**sync_status** with asynchronous embedding: a document is ``pending`` from
the moment its content is stored until the background indexer has embedded
all its chunks, then ``synced``. The switch needs no call: the reported status
is computed from the index's progress. ``last_synced_at`` and
``embedding_model`` are *recorded* when a call waits for the index
(:meth:`~DocumentIndexService.wait_for_sync`, which
:meth:`~DocumentIndexService.sync_document_to_vector_db` and
:meth:`~DocumentIndexService.sync_directory` use) or by
:meth:`~DocumentIndexService.mark_synced`; until then a synced document shows
the store's embedder as ``embedding_model`` and ``last_synced_at`` of its last
recorded sync (``None`` if never). ``mark_synced``, ``mark_failed`` and
``mark_stale`` set the status by hand as in the original API; ``mark_stale``
stores the new content but keeps the old chunks and vectors (still
searchable, reported ``stale``) until the document is indexed again, and
indexing a ``stale`` or ``failed`` document always re-chunks it (so does
``mark_synced``: a document recorded ``synced`` is searched by its content).

**update_embedding** is kept as a name only: it raises. The original stored
one vector per document by hand; here vectors are computed per chunk by the
store's embedder and are a derived index rebuilt from DuckDB
(``store.reindex``), so a hand-made vector would be lost on the next rebuild,
could come from another model or dimension, and cannot stand for several
chunks. To change the model, reindex the store with another embedder.

Example:
    >>> import asyncio
    >>> from agentlog import DocumentIndexService, Store
    >>> async def demo():
    ...     with Store.memory() as store:
    ...         docs = DocumentIndexService(store)
    ...         await docs.index_document("docs/storage.md", "Storage", "DuckDB is the source of truth.", "design")
    ...         hits = await docs.semantic_search("source of truth", limit=1)
    ...         return hits[0]["file_path"], hits[0]["chunk_text"]
    >>> asyncio.run(demo())
    ('docs/storage.md', 'DuckDB is the source of truth.')
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Mapping
from typing import Any

from agentlog.errors import NotFoundError, SearchUnavailableError, ValidationError
from agentlog.services import document_sql as sql
from agentlog.services.document_ops import (
    MarkFailed,
    MarkStale,
    MarkSynced,
    RecordSynced,
    RemoveDocuments,
    UpsertDocuments,
    needs_chunks,
    prepare_document,
    prepare_markdown,
    stored_document,
    validate_content,
    validate_document_type,
    validate_file_path,
)
from agentlog.services.document_sql import DocumentRecord
from agentlog.services.document_sync import (
    SyncReport,
    discover,
    is_real_file,
    load_documents,
    resolve_root,
    validate_glob,
)
from agentlog.services.namespaces import validate_namespace, validate_namespace_prefix
from agentlog.store import Store
from agentlog.validation import validate_limit, validate_text, validate_uuid

__all__ = ["SYNC_BATCH", "DocumentIndexService"]


def _chunks_watermark(cur: Any) -> int:
    """The watermark of the chunk vectors (imported lazily: the index package imports the services)."""
    from agentlog.index.indexer import read_watermark as read

    return read(cur, "document_chunks")


SYNC_BATCH = 64
"""Files read, chunked and written per write op by :meth:`DocumentIndexService.sync_directory`."""


class DocumentIndexService:
    """Documents of one store.

    Args:
        store: The store to use. :func:`agentlog.get_document_index_service`
            builds one on the default store.

    Attributes:
        store: The store this service reads and writes.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def _model(self) -> str | None:
        return self.store.embedder.name if self.store.embedder is not None else None

    async def _one(self, query: str, params: list[Any]) -> DocumentRecord | None:
        """The first document ``query`` returns, or ``None``."""
        model = self._model()

        def run(cur: Any) -> DocumentRecord | None:
            rows = cur.execute(query, params).fetchall()
            return sql.document_row(rows[0], _chunks_watermark(cur), model) if rows else None

        return await self.store.read_async(run)

    async def _many(self, query: str, params: list[Any], *, watermark_param: bool = False) -> list[DocumentRecord]:
        """The documents ``query`` returns (``watermark_param``: the chunk watermark is its first parameter)."""
        model = self._model()

        def run(cur: Any) -> list[DocumentRecord]:
            watermark = _chunks_watermark(cur)
            args = [watermark, *params] if watermark_param else params
            return [sql.document_row(row, watermark, model) for row in cur.execute(query, args).fetchall()]

        return await self.store.read_async(run)

    # -- indexing -----------------------------------------------------------------------

    async def index_document(
        self,
        file_path: str | os.PathLike[str],
        title: str,
        content: str,
        document_type: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        namespace: str | None = None,
    ) -> uuid.UUID:
        """Store a document and its chunks (upsert by ``file_path``); embedding follows in the background.

        Args:
            file_path: Path or URI identifying the document (unique; stored as given).
            title: Document title.
            content: Full text (markdown or plain).
            document_type: design, specification, plan, report, markdown, ... (an identifier). Indexing a
                path again sets it as given (``None`` clears it), like ``title`` and ``namespace``.
            metadata: Optional metadata (replaces the stored one; ``None`` keeps it: it holds what
                :meth:`mark_failed` recorded).
            namespace: Optional namespace (``scope:segment...``) for filtered search.

        Returns:
            The document id (the same when the path is indexed again).

        Example:
            ``doc_id = await docs.index_document("docs/design.md", "Design", text, "design")``
        """
        doc = await asyncio.to_thread(prepare_document, file_path, title, content, document_type, metadata, namespace)
        results = await self.store.write_async(UpsertDocuments([doc]))
        return results[0][0]  # type: ignore[no-any-return]

    async def sync_document_to_vector_db(
        self, namespace: str | None, file_path: str | os.PathLike[str], content: str
    ) -> DocumentRecord:
        """Index one markdown document, wait until it is embedded, and record it ``synced``.

        The title is the first markdown heading (else the file name), on one
        line: control characters become spaces, whitespace runs one space, and
        it is cut to :data:`~agentlog.services.document_ops.MAX_TITLE_LENGTH`
        characters. Validation, hashing and chunking run in a worker thread.

        Returns:
            The document record (``sync_status='synced'``).

        Raises:
            SearchUnavailableError: If the store has no embedder (nothing is
                stored), or embedding fails (the document is marked ``failed``).
            NotFoundError: If another call deleted the document before it was synced.

        Example:
            ``record = await docs.sync_document_to_vector_db("project:x", "docs/a.md", text)``
        """
        doc = await asyncio.to_thread(prepare_markdown, file_path, content, namespace)
        self.store.check_open()
        if self.store.index is None:
            raise SearchUnavailableError(
                "sync_document_to_vector_db needs an embedder, but this store was opened without one; "
                "use index_document to store the document without vectors"
            )
        [(doc_id, _)] = await self.store.write_async(UpsertDocuments([doc]))
        try:
            await self.wait_for_sync()
        except SearchUnavailableError as exc:
            with contextlib.suppress(NotFoundError):  # deleted meanwhile: nothing to mark, the error stands
                await self.store.write_async(MarkFailed(doc_id, str(exc)[:2000]))
            raise
        record = await self.get_document_by_id(doc_id)
        if record is None:  # deleted by another call (delete_document, sync_directory) meanwhile
            raise NotFoundError("document", doc.file_path)
        return record

    async def sync_directory(
        self,
        path: str | os.PathLike[str],
        glob: str = "**/*.md",
        *,
        namespace: str | None = None,
        document_type: str | None = "markdown",
        progress: bool = True,
        wait: bool = True,
    ) -> SyncReport:
        """Index every file under ``path`` matching ``glob``; delete documents whose file is gone.

        Files are stored under their resolved path and must resolve inside
        ``path`` (symlinks leading out are skipped and reported); the glob must
        be relative without ``..``. Unchanged files are read and hashed, not
        chunked or written. See :class:`~agentlog.services.document_sync.SyncReport`.

        A document stored under ``path`` is deleted (with its vectors) and
        reported in ``removed`` when its file no longer exists, is no longer a
        regular file at that resolved path (it became a symlink, or lies under
        one), or was skipped by this call (no longer UTF-8, too large,
        unreadable, ...; it is in ``skipped`` too): the index never keeps, as
        ``synced``, content the folder no longer holds.

        Args:
            path: The directory.
            glob: Which files (default ``"**/*.md"``).
            namespace: Namespace given to the documents.
            document_type: Type given to the documents (default ``"markdown"``).
            progress: Show a progress bar (tqdm; works in Jupyter).
            wait: Wait until the index has embedded everything and record
                ``synced`` (ignored when the store has no embedder).

        Returns:
            What was added, changed, unchanged, removed and skipped.

        Raises:
            ValidationError: If ``path`` is not an existing directory (given as
                ``str`` or ``os.PathLike`` of ``str``; ``~user`` must exist), or
                ``glob``, ``namespace`` or ``document_type`` is invalid.

        Example:
            ``report = await docs.sync_directory("docs/")``; ``print(report.summary())``
        """
        root = resolve_root(path)
        pattern = validate_glob(glob)
        ns = validate_namespace(namespace) if namespace is not None else None
        kind = validate_document_type(document_type) if document_type is not None else None
        files, skipped = await asyncio.to_thread(discover, root, pattern)
        report = SyncReport(str(root), skipped=skipped)
        bar: Any = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(files), desc="sync", unit="file")
        try:
            for start in range(0, len(files), SYNC_BATCH):
                batch = files[start : start + SYNC_BATCH]
                stored = await self._stored_rows([str(file) for file in batch])
                docs, bad = await asyncio.to_thread(
                    load_documents, batch, namespace=ns, document_type=kind, stored=stored
                )
                report.skipped.extend(bad)
                if docs:
                    results = await self.store.write_async(UpsertDocuments(docs))
                    for doc, (_, outcome) in zip(docs, results, strict=True):
                        getattr(report, outcome).append(doc.file_path)
                if bar is not None:
                    bar.update(len(batch))
        finally:
            if bar is not None:
                bar.close()
        await self._remove_missing(root, report)
        if wait and self.store.index is not None:
            await self.wait_for_sync()
        return report

    async def _stored_rows(self, paths: list[str]) -> dict[str, tuple[Any, ...]]:
        """The stored rows of these paths (``EXISTING_BY_PATHS``), by path."""
        rows = await self.store.read_async(lambda cur: cur.execute(sql.EXISTING_BY_PATHS, [paths]).fetchall())
        return {row[1]: row for row in rows}

    async def _remove_missing(self, root: Any, report: SyncReport) -> None:
        """Delete the documents under ``root`` whose file is gone, not a real file any more, or was skipped."""
        prefix = os.path.join(str(root), "")
        stored = await self.store.read_async(lambda cur: cur.execute(sql.PATHS_UNDER, [prefix]).fetchall())
        skipped = {p for p, _ in report.skipped}
        keep = await asyncio.to_thread(lambda: [p not in skipped and is_real_file(p) for _, p in stored])
        gone = [(doc_id, p) for (doc_id, p), present in zip(stored, keep, strict=True) if not present]
        if gone:
            await self.store.write_async(RemoveDocuments([doc_id for doc_id, _ in gone]))
            report.removed.extend(sorted(p for _, p in gone))

    async def delete_document(self, file_path: str | os.PathLike[str]) -> bool:
        """Delete a document, its chunks and vectors; returns whether it existed.

        Example:
            ``await docs.delete_document("docs/old.md")``
        """
        path = validate_file_path(file_path)
        record = await self._one(sql.DOCUMENT_BY_PATH, [path])
        if record is None:
            return False
        return bool(await self.store.write_async(RemoveDocuments([record["id"]])))

    async def wait_for_sync(self) -> int:
        """Wait until everything committed is embedded, then record ``synced`` for the pending documents.

        Returns:
            How many documents were recorded ``synced`` by this call.

        Raises:
            SearchUnavailableError: If the store has no embedder, or indexing fails.

        Example:
            ``await docs.wait_for_sync()``
        """
        self.store.check_open()
        index = self.store.index  # read once: a close() or reindex() in another thread may clear it
        if index is None:
            raise SearchUnavailableError("this store has no embedder: documents stay pending until it gets one")
        await index.wait_async(self.store.committed_lsn, sources=["document_chunks"])
        watermark = await self.store.read_async(_chunks_watermark)
        return await self.store.write_async(RecordSynced(watermark, self._model()))  # type: ignore[no-any-return]

    # -- status, by hand ---------------------------------------------------------------------

    async def update_embedding(self, doc_id: uuid.UUID | str, embedding: Any, embedding_model: str) -> None:
        """Not supported: vectors are computed per chunk by the store's embedder (see the module docstring).

        Raises:
            ValidationError: Always; nothing is stored.

        Example:
            ``await docs.update_embedding(doc_id, vector, "model")``  # raises ValidationError
        """
        validate_uuid(doc_id, "doc_id")
        raise ValidationError(
            "update_embedding is not supported: agentlog embeds each chunk of a document with the store's "
            "embedder in the background (sync_status shows when it is done). To use another model, "
            "reindex the store: store.reindex('<embedder>') or `agentlog reindex --embedder <name>`",
            field="embedding",
        )

    async def mark_synced(self, doc_id: uuid.UUID | str) -> None:
        """Record ``synced`` and ``last_synced_at`` now.

        A ``stale`` or ``failed`` document is first re-chunked from its stored content (as indexing it
        again would; chunking runs in a worker thread), so the content it reports is the content searches
        find once the index has caught up.

        Raises:
            NotFoundError: If there is no such document.

        Example:
            ``await docs.mark_synced(doc_id)``
        """
        ident = validate_uuid(doc_id, "doc_id")
        rows = await self.store.read_async(lambda cur: cur.execute(sql.STORED_DOCUMENT, [ident]).fetchall())
        chunked = None  # chunked here, off the writer thread, when the document needs new chunks
        if rows and needs_chunks(rows[0]):
            chunked = await asyncio.to_thread(stored_document, rows[0], chunk=True)
        await self.store.write_async(MarkSynced(ident, self._model(), chunked))

    async def mark_failed(self, doc_id: uuid.UUID | str, error_message: str) -> None:
        """Record ``failed``, keeping the error in ``metadata["last_error"]`` (other metadata kept).

        Raises:
            NotFoundError: If there is no such document.

        Example:
            ``await docs.mark_failed(doc_id, "embedding API timed out")``
        """
        ident = validate_uuid(doc_id, "doc_id")
        message = validate_text(error_message, "error_message", max_bytes=65_536)
        await self.store.write_async(MarkFailed(ident, message))

    async def mark_stale(self, file_path: str | os.PathLike[str], new_content: str) -> None:
        """Record that the file changed: new content and hash, ``stale`` until it is indexed again.

        Raises:
            NotFoundError: If no document is indexed under ``file_path``.

        Example:
            ``await docs.mark_stale("docs/design.md", new_text)``
        """
        path = validate_file_path(file_path)
        text = validate_content(new_content, "new_content")
        await self.store.write_async(MarkStale(path, text))

    # -- reading ---------------------------------------------------------------------------------

    async def get_document(self, file_path: str | os.PathLike[str]) -> DocumentRecord | None:
        """The document indexed under ``file_path`` (with ``content``), or ``None``.

        Example:
            ``doc = await docs.get_document("docs/design.md")``
        """
        return await self._one(sql.DOCUMENT_BY_PATH, [validate_file_path(file_path)])

    async def get_document_by_id(self, doc_id: uuid.UUID | str) -> DocumentRecord | None:
        """The document with this id (with ``content``), or ``None``.

        Example:
            ``doc = await docs.get_document_by_id(doc_id)``
        """
        return await self._one(sql.DOCUMENT_BY_ID, [validate_uuid(doc_id, "doc_id")])

    async def get_pending_documents(self, limit: int = 100) -> list[DocumentRecord]:
        """Documents whose vectors are missing or out of date (``pending`` and ``stale``), oldest first.

        Example:
            ``queue = await docs.get_pending_documents()``
        """
        return await self._many(sql.PENDING, [validate_limit(limit)], watermark_param=True)

    async def search_by_type(self, document_type: str, limit: int = 50) -> list[DocumentRecord]:
        """Documents of one type, newest first.

        Example:
            ``designs = await docs.search_by_type("design")``
        """
        return await self._many(sql.LIST_BY_TYPE, [validate_document_type(document_type), validate_limit(limit)])

    async def list_all_documents(self, limit: int = 100) -> list[DocumentRecord]:
        """All documents, newest first.

        Example:
            ``everything = await docs.list_all_documents()``
        """
        return await self._many(sql.LIST_ALL, [validate_limit(limit)])

    async def semantic_search(
        self,
        query_text: str,
        namespace: str | None = None,
        limit: int = 10,
        threshold: float | None = None,
        *,
        document_type: str | None = None,
        mode: str = "vector",
    ) -> list[DocumentRecord]:
        """Find the document chunks closest to ``query_text``, best first.

        Args:
            query_text: What to look for.
            namespace: Only documents in this namespace and below (or this scope).
            limit: Maximum hits (chunks; several may come from one document).
            threshold: Minimum ``similarity`` (0-1, inclusive; default none; 0.7 = clearly the same topic).
                Ignored in ``"keyword"`` mode (every keyword match is returned); in
                ``"hybrid"`` mode it only drops hits that did not match the keywords.
            document_type: Only documents of this type.
            mode: ``"vector"`` (default), ``"keyword"`` or ``"hybrid"`` (exact names and identifiers).

        Returns:
            Document records (without ``content``) plus ``chunk_id``,
            ``chunk_index``, ``chunk_text``, ``similarity`` and ``cosine``.

        Raises:
            SearchUnavailableError: If the store has no embedder.

        Example:
            ``hits = await docs.semantic_search("how are vectors stored", namespace="project:agentlog")``
        """
        from agentlog.index.lance_filter import Filter
        from agentlog.index.search import search_table, validate_query

        text, chosen_mode, minimum = validate_query(query_text, mode, threshold)
        prefix = validate_namespace_prefix(namespace, "namespace") if namespace is not None else None
        kind = validate_document_type(document_type) if document_type is not None else None
        count = validate_limit(limit)
        where = Filter().starts_with("namespace", prefix, separator=":").equals("document_type", kind).sql()
        model = self._model()

        def fetch(cur: Any, hits: list[Any]) -> dict[str, dict[str, Any]]:
            watermark = _chunks_watermark(cur)
            rows = cur.execute(sql.HITS_BY_CHUNK_IDS, [[uuid.UUID(h.id) for h in hits]]).fetchall()
            found: dict[str, dict[str, Any]] = {}
            for row in rows:
                record: dict[str, Any] = dict(sql.document_row(row[:14], watermark, model))
                record.update(chunk_id=row[14], chunk_index=int(row[15]), chunk_text=row[16])
                found[str(row[14])] = record
            return found

        found = await search_table(
            self.store,
            "document_chunks",
            text,
            where=where,
            limit=count,
            threshold=minimum,
            mode=chosen_mode,
            fetch=fetch,
        )
        return found  # type: ignore[return-value]
