"""The store a command acts on: ``--store`` or the default one, the embedder it is opened with, its index's lag."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from agentlog.cli.output import printable
from agentlog.embeddings import create_embedder
from agentlog.embeddings.registry import ENV_EMBEDDER
from agentlog.errors import AgentlogError, EmbeddingMismatchError, NotAStoreError
from agentlog.index.reindex import pending_rows
from agentlog.store import Store
from agentlog.store.manifest import read_manifest
from agentlog.store.paths import resolve_store_path, store_exists
from agentlog.store.store import DEFAULT_EMBEDDER

if TYPE_CHECKING:
    from agentlog.embeddings import Embedder

__all__ = [
    "INDEX_NOTICE_ROWS",
    "EmbedderChoiceError",
    "NoStoreError",
    "mismatch_message",
    "open_store",
    "recorded_embedder",
    "require_store",
    "unindexed_rows",
    "wait_for_index",
]

INDEX_NOTICE_ROWS = 500
"""A search whose index is behind by more rows than this says so on stderr before it waits."""


class NoStoreError(NotAStoreError):
    """A command that only reads was given a path that holds no store (``agentlog`` exits with status 2)."""


def require_store(path: str | None) -> None:
    """Check that ``path`` (``--store``; ``None`` for the default store) holds a store, creating nothing.

    For the commands that only read: opening a :class:`~agentlog.Store` on a mistyped path would create an
    empty store there and show nothing, silently.

    Args:
        path: The ``--store`` value, or ``None``.

    Raises:
        NoStoreError: If the path holds no store; the message names the path and how to create a store.

    Example:
        >>> require_store("/nonexistent/typo")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        agentlog.cli.stores.NoStoreError: no agentlog store at /nonexistent/typo; create one with `agentlog ...
    """
    try:
        if store_exists(path):
            return
    except OSError:  # the directory cannot be examined: opening the store reports why, in its own words
        return
    where = resolve_store_path(path)
    if path is None:
        raise NoStoreError(
            f"no agentlog store at {printable(where)} (the default store: $AGENTLOG_HOME, else the per-user data "
            "directory); create one with `agentlog import LOGS`, pass --store PATH, or try `agentlog demo` "
            "(demo data in a temporary store)"
        )
    quoted = printable(shlex.quote(str(where)))
    raise NoStoreError(
        f"no agentlog store at {printable(where)}; create one with `agentlog --store {quoted} import LOGS` "
        f"or `agentlog --store {quoted} demo` (demo data), or pass the right path"
    )


class EmbedderChoiceError(AgentlogError):
    """The store was indexed with another embedder than the one configured, and the CLI cannot use the store's."""


def recorded_embedder(path: str | None) -> Embedder | None:
    """The embedder a store records, when nothing else chooses one and it can be used here.

    The command line uses it for an existing store unless ``AGENTLOG_EMBEDDER`` (or a command's
    ``--embedder``) chooses another: after ``agentlog reindex --embedder fake`` the store keeps working
    without setting the variable.

    Args:
        path: The ``--store`` value, or ``None`` for the default store.

    Returns:
        The recorded embedder, built; ``None`` if ``AGENTLOG_EMBEDDER`` is set, the path holds no store, the
        store records no embedder, or the recorded one is unknown here or cannot be built (then the
        configured embedder is used, and opening the store reports the mismatch).

    Example:
        >>> import os, tempfile
        >>> from agentlog.store import Store
        >>> path = tempfile.mkdtemp()
        >>> Store(path, embedder="fake-hash-8").close()
        >>> saved = os.environ.pop("AGENTLOG_EMBEDDER", None)
        >>> recorded_embedder(path).name
        'fake-hash-8'
        >>> if saved is not None:
        ...     os.environ["AGENTLOG_EMBEDDER"] = saved
    """
    if os.environ.get(ENV_EMBEDDER, "").strip():
        return None
    try:
        manifest = read_manifest(resolve_store_path(path))
    except (OSError, AgentlogError, ValueError):  # opening the store reports what is wrong
        return None
    stored = manifest.embedder if manifest is not None else None
    if stored is None:
        return None
    try:
        embedder = create_embedder(stored.name)
    except AgentlogError:  # not registered here, or not usable (openai without a key, ...)
        return None
    return embedder if embedder.dimension == stored.dimension else None


def open_store(
    args: argparse.Namespace, *, create: bool = False, embedder: str | Embedder | None = DEFAULT_EMBEDDER
) -> Store:
    """Open the store named by ``--store`` (or the default one).

    With the default ``embedder``, an existing store is opened with the embedder it records (see
    :func:`recorded_embedder`) unless ``AGENTLOG_EMBEDDER`` chooses one.

    Args:
        args: The parsed command line; ``args.store`` is the ``--store`` value or ``None``.
        create: Create the store if the path holds none (commands that write); otherwise a path without a
            store is an error and nothing is created.
        embedder: As for :class:`~agentlog.Store` (``None``: no vector index is loaded).

    Raises:
        NoStoreError: If ``create`` is false and the path holds no store.
        EmbedderChoiceError: The store records another embedder than the configured one, and its own
            cannot be used; the message says what to do.

    Example:
        >>> import argparse, tempfile
        >>> open_store(argparse.Namespace(store=tempfile.mkdtemp()), create=True).close()
    """
    if not create:
        require_store(args.store)
    if embedder is DEFAULT_EMBEDDER:
        embedder = recorded_embedder(args.store) or DEFAULT_EMBEDDER
    try:
        return Store(args.store, embedder=embedder)
    except EmbeddingMismatchError as exc:
        raise EmbedderChoiceError(mismatch_message(args.store, exc)) from None


def mismatch_message(path: str | None, error: EmbeddingMismatchError) -> str:
    """What the command line says of an :class:`~agentlog.errors.EmbeddingMismatchError`: the two ways out.

    Example:
        >>> from agentlog.errors import EmbeddingMismatchError
        >>> print(mismatch_message("s", EmbeddingMismatchError("s", ("fake-hash-64", 64), ("minilm-x", 384))))
        ... # doctest: +NORMALIZE_WHITESPACE +ELLIPSIS
        store ...s was indexed with embedder 'fake-hash-64' (64-d) but 'minilm-x' (384-d) is configured; either use
        the store's embedder (set AGENTLOG_EMBEDDER=fake-hash-64), or re-embed everything with the configured one:
        `agentlog --store s reindex --embedder minilm-x`
    """
    (stored, stored_dim), (configured, configured_dim) = error.stored, error.configured
    where = resolve_store_path(path)
    store_flag = f"--store {shlex.quote(str(path))} " if path is not None else ""
    why = ""
    try:
        create_embedder(stored)
    except AgentlogError as exc:
        why = f" (it cannot be used here: {exc})"
    return printable(
        f"store {where} was indexed with embedder {stored!r} ({stored_dim}-d) but {configured!r} "
        f"({configured_dim}-d) is configured; either use the store's embedder (set "
        f"{ENV_EMBEDDER}={shlex.quote(stored)}){why}, or re-embed everything with the configured one: "
        f"`agentlog {store_flag}reindex --embedder {shlex.quote(configured)}`"
    )


def unindexed_rows(store: Store, sources: Sequence[str] | None = None) -> int:
    """How many rows of ``sources`` (default: all) the store's vector index has still to embed (0 without one).

    A memory counts once however many versions it has (the index holds one vector per memory).

    Args:
        store: An open store.
        sources: Names of index sources (``sessions``, ``events``, ``memories``, ``document_chunks``).

    Example:
        >>> with Store.memory(embedder="fake") as store:
        ...     unindexed_rows(store)
        0
    """
    index = store.index
    if index is None:
        return 0
    marks = dict(index.watermarks)
    return store.read(lambda cur: pending_rows(cur, marks, sources))


def wait_for_index(store: Store, sources: Sequence[str]) -> None:
    """Before a search of ``sources``: if the index is far behind, say so on stderr and wait for it.

    A search waits until every committed row is indexed (read-your-writes); on a store just loaded that
    can take minutes, so more than :data:`INDEX_NOTICE_ROWS` rows to go prints one line first, and a
    progress bar when stderr is a terminal. Fewer: nothing is printed (the search waits by itself).

    Example:
        >>> with Store.memory(embedder="fake") as store:
        ...     wait_for_index(store, ["sessions"])
    """
    index = store.index
    if index is None:
        return  # the search says that it needs an embedder
    behind = unindexed_rows(store, sources)
    if behind <= INDEX_NOTICE_ROWS:
        return
    print(f"agentlog: indexing {behind:,} rows before searching (Ctrl-C to stop)...", file=sys.stderr, flush=True)
    if not sys.stderr.isatty():
        index.wait(store.committed_lsn, sources=sources)
        return
    from tqdm.auto import tqdm

    with tqdm(total=behind, desc="indexing", unit="row", file=sys.stderr) as bar:
        previous = index.on_progress

        def report(rows: int) -> None:
            bar.update(min(rows, max(behind - bar.n, 0)))  # steps of other sources count too: stop at the total
            if previous is not None:
                previous(rows)

        index.on_progress = report
        try:
            index.wait(store.committed_lsn, sources=sources)
        finally:
            index.on_progress = previous
