"""A store loaded with demo data, in one call: what the notebooks start from."""

from __future__ import annotations

import os
import warnings
from datetime import timedelta
from typing import TYPE_CHECKING

from agentlog.demo.generator import DemoData, generate_demo_data
from agentlog.demo.loader import load_demo_data, shift_demo_data, stored_offset
from agentlog.demo.sample import DEMO_STORE_SESSIONS, read_sample, sample_path
from agentlog.errors import ValidationError
from agentlog.io import import_
from agentlog.store import Store
from agentlog.store.store import DEFAULT_EMBEDDER
from agentlog.validation import validate_positive_int

if TYPE_CHECKING:
    from agentlog.embeddings import Embedder

__all__ = ["DEMO_STORE_SESSIONS", "demo_store"]


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
    moved by whole weeks to end in the last seven days, so that weekdays stay
    weekdays), with a bad week of errors 21 to 14 days before the end.

    With the default size the data comes from the committed sample
    (:mod:`agentlog.demo.sample`, packaged with agentlog), restored with
    :func:`agentlog.io.import_`; other sizes, or an installation without the
    sample, use the generator (for the default size it makes the same data).
    Loading is idempotent: a ``path`` that already holds the dataset (moved or
    not) gets nothing new, and rows already stored are never changed, so such
    a store keeps the dates of its first load: ``recent=True`` on a store that
    got the fixed-date data (or a copy moved in an earlier week) does not make
    it end in the last seven days, and ``recent=False`` does not move it back.
    A :class:`UserWarning` then says where its data is; use a new ``path`` for
    the other dates. The vector index is built in the background; searches wait
    for it, or call ``store.wait_for_index()``.

    Args:
        path: A store directory to use; by default an ephemeral in-memory store,
            gone when closed.
        sessions: How many sessions (default :data:`DEMO_STORE_SESSIONS`; about 46
            events each).
        embedder: The store's embedder: by default ``AGENTLOG_EMBEDDER``, else the
            offline model; ``None`` for no vector index (analytics only, nothing
            to embed).
        recent: Move the data by whole weeks so that it ends in the last seven
            days instead of on ``DEFAULT_END`` (in a store that does not hold
            the dataset yet: see above).

    Returns:
        The open store; close it (or use it in a ``with`` block) when done.

    Raises:
        ValidationError: For a bad argument (no store is left open).

    Warns:
        UserWarning: If ``path`` already held the dataset at other dates (it keeps them).

    Example:
        >>> with demo_store(sessions=20, embedder=None) as store:
        ...     store.sql("SELECT count(*), count(DISTINCT agent) FROM sessions").fetchall()
        [(20, 4)]
    """
    count = DEMO_STORE_SESSIONS if sessions is None else validate_positive_int(sessions, "sessions")
    if not isinstance(recent, bool):
        raise ValidationError(f"recent must be True or False, got {recent!r}", field="recent", value=repr(recent))
    sample = sample_path() if count == DEMO_STORE_SESSIONS else None
    data: DemoData | None = None
    if sample is None or recent:  # the generator, or the sample's rows to move in time
        data = read_sample() if count == DEMO_STORE_SESSIONS else generate_demo_data(sessions=count)
        if recent:
            data = shift_demo_data(data)
    store = Store.memory(embedder=embedder) if path is None else Store(path, embedder=embedder)
    try:
        if data is None:
            assert sample is not None
            counts = import_(store, sample, progress=False).tables["sessions"]
            skipped = counts.skipped + counts.replaced
        else:
            skipped = load_demo_data(store, data).sessions_skipped
        if skipped:  # the dataset was there already: at the dates asked for?
            _warn_if_moved(store, data if data is not None else read_sample(), recent)
    except BaseException:
        store.close()
        raise
    return store


def _warn_if_moved(store: Store, data: DemoData, recent: bool) -> None:
    """Warn if ``store`` holds ``data``'s sessions at other dates than ``data``'s (an earlier load kept them)."""
    offset = stored_offset(store, data)
    if not offset:
        return
    weeks = abs(offset) // timedelta(weeks=1)
    wanted = "data that ends in the last seven days" if recent else "the fixed dates"
    warnings.warn(
        f"{store.path} already held the demo dataset at other dates: its data ends "
        f"{data.params.end + offset:%Y-%m-%d}, not {data.params.end:%Y-%m-%d} ({weeks} weeks "
        f"{'earlier' if offset < timedelta(0) else 'later'}). Loading does not change stored rows, so the store keeps "
        f"those dates; use a new path for {wanted}",
        UserWarning,
        stacklevel=3,
    )
