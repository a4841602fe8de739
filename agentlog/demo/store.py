"""A store loaded with demo data, in one call: what the notebooks start from."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from agentlog.demo.generator import generate_demo_data
from agentlog.demo.loader import load_demo_data, shift_demo_data
from agentlog.errors import ValidationError
from agentlog.store import Store
from agentlog.store.store import DEFAULT_EMBEDDER
from agentlog.validation import validate_positive_int

if TYPE_CHECKING:
    from agentlog.embeddings import Embedder

__all__ = ["DEMO_STORE_SESSIONS", "demo_store"]

DEMO_STORE_SESSIONS = 160
"""Sessions in :func:`demo_store` by default: about 7,300 events of four agents over 90 days.

Small on purpose: the offline model embeds every session summary and event
(~150-200 texts per second on two cores), so the index is ready in about a minute.
"""


def demo_store(
    path: str | os.PathLike[str] | None = None,
    *,
    sessions: int | None = None,
    embedder: str | Embedder | None = DEFAULT_EMBEDDER,
    recent: bool = False,
) -> Store:
    """Open a store holding the demo dataset (a temporary in-memory one unless ``path`` is given).

    The data is deterministic: four agents (claude, gemini, gpt, user) over the
    90 days before :data:`~agentlog.demo.DEFAULT_END` (with ``recent=True``:
    moved by whole days to end today), with a bad week of errors 21 to 14 days
    before the end. Loading is idempotent: a ``path`` that already holds the
    dataset gets nothing new. The vector index is built in the background;
    searches wait for it, or call ``store.wait_for_index()``.

    Args:
        path: A store directory to use; by default an ephemeral in-memory store,
            gone when closed.
        sessions: How many sessions (default :data:`DEMO_STORE_SESSIONS`; about 46
            events each).
        embedder: The store's embedder: by default ``AGENTLOG_EMBEDDER``, else the
            offline model; ``None`` for no vector index (analytics only, nothing
            to embed).
        recent: Move the data so that it ends today instead of on ``DEFAULT_END``.

    Returns:
        The open store; close it (or use it in a ``with`` block) when done.

    Raises:
        ValidationError: For a bad argument (no store is left open).

    Example:
        >>> with demo_store(sessions=20, embedder=None) as store:
        ...     store.sql("SELECT count(*), count(DISTINCT agent) FROM sessions").fetchall()
        [(20, 4)]
    """
    count = DEMO_STORE_SESSIONS if sessions is None else validate_positive_int(sessions, "sessions")
    if not isinstance(recent, bool):
        raise ValidationError(f"recent must be True or False, got {recent!r}", field="recent", value=repr(recent))
    data = generate_demo_data(sessions=count)
    if recent:
        data = shift_demo_data(data)
    store = Store.memory(embedder=embedder) if path is None else Store(path, embedder=embedder)
    try:
        load_demo_data(store, data)
    except BaseException:
        store.close()
        raise
    return store
