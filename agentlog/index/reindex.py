"""Rebuild a store's vector index from DuckDB, with a progress bar.

The documents' recorded ``embedding_model`` is cleared first: their vectors are
rebuilt by the new embedder, which synced documents then report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agentlog.index.sources import SOURCES
from agentlog.services.document_ops import ForgetEmbeddingModels

if TYPE_CHECKING:
    from agentlog.store import Store

__all__ = ["pending_rows", "rebuild"]


def pending_rows(cur: Any, after: int | Mapping[str, int] = 0, sources: Sequence[str] | None = None) -> int:
    """How many rows the index embeds for the changes after ``after``: what a progress bar counts to.

    A memory counts once however many of its versions changed (the index holds one vector per memory).

    Args:
        cur: A DuckDB read cursor.
        after: The change number after which to count, or one per source (an index's watermarks;
            a source left out counts from the start).
        sources: Names of the sources to count (default: all of :data:`~agentlog.index.sources.SOURCES`).

    Example:
        >>> from agentlog.store import Store
        >>> with Store.memory(embedder=None) as store:
        ...     store.read(pending_rows)
        0
    """
    total = 0
    for source in SOURCES:
        if sources is not None and source.name not in sources:
            continue
        mark = after.get(source.name, 0) if isinstance(after, Mapping) else after
        counted = "*" if source.key_column == "id" else f"DISTINCT {source.key_column}"
        query = f"SELECT count({counted}) FROM {source.lsn_table} WHERE index_lsn > ?"
        total += cur.execute(query, [mark]).fetchall()[0][0]
    return int(total)


def rebuild(
    store: Store,
    start_index: Callable[[Callable[[int], None]], None],
    progress: bool | Callable[[int, int], None],
) -> int:
    """Start a fresh index with ``start_index`` and wait until it has caught up.

    Every document's recorded ``embedding_model`` is cleared before the new
    index starts (synced documents report the store's embedder from then on).

    Args:
        store: The store (its old indexer already stopped).
        start_index: Starts the new indexer with a progress hook (rows indexed per round).
        progress: ``True`` for a tqdm bar, ``False`` for none, or a callable ``(done, total)``.

    Returns:
        The number of rows indexed.
    """
    total = store.read(pending_rows)
    done = 0
    bar: Any = None
    if progress is True:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc="reindex", unit="row")

    def report(rows: int) -> None:
        nonlocal done, total
        done += rows
        total = max(total, done)  # a memory whose versions fall in two batches is indexed twice
        if bar is not None:
            bar.total = total
            bar.update(rows)
        elif callable(progress):
            progress(done, total)

    try:
        store.write(ForgetEmbeddingModels())
        start_index(report)
        store.wait_for_index()
    finally:
        if bar is not None:
            bar.close()
    return done
