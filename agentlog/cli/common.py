"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentlog.embeddings import create_embedder
from agentlog.embeddings.registry import ENV_EMBEDDER
from agentlog.errors import AgentlogError, EmbeddingMismatchError, NotAStoreError, ValidationError
from agentlog.index.reindex import pending_rows
from agentlog.store import Store
from agentlog.store.manifest import read_manifest
from agentlog.store.paths import resolve_store_path, store_exists
from agentlog.store.store import DEFAULT_EMBEDDER
from agentlog.validation import MAX_LIMIT, validate_uuid

if TYPE_CHECKING:
    from agentlog.embeddings import Embedder

__all__ = [
    "INDEX_NOTICE_ROWS",
    "EmbedderChoiceError",
    "NoStoreError",
    "UsageError",
    "check_out",
    "cli_wording",
    "date_argument",
    "limit_argument",
    "mismatch_message",
    "open_store",
    "parse_since",
    "positive_int",
    "printable",
    "printable_json",
    "recorded_embedder",
    "require_store",
    "since_argument",
    "threshold_argument",
    "unindexed_rows",
    "uuid_argument",
    "wait_for_index",
]

INDEX_NOTICE_ROWS = 500
"""A search whose index is behind by more rows than this says so on stderr before it waits."""


class NoStoreError(NotAStoreError):
    """A command that only reads was given a path that holds no store (``agentlog`` exits with status 2)."""


class UsageError(ValidationError):
    """A command-line value refused after parsing: a usage error (``agentlog`` exits with status 2, like ``argparse``).

    Option values the library checks are checked when the command line is read (the ``argparse`` types of
    this module), so that a bad one is a usage error; this is for the checks that need more than one value
    or the file system (``demo --out``, ``reindex --embedder``).
    """


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
        agentlog.cli.common.NoStoreError: no agentlog store at /nonexistent/typo; create one with `agentlog ...
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
            "directory); create one with `agentlog import LOGS` or `agentlog demo-data --recent`, "
            "or pass --store PATH"
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


def unindexed_rows(store: Store, sources: Sequence[str] | None = None, *, from_start: bool = False) -> int:
    """How many rows of ``sources`` (default: all) the store's vector index has still to embed.

    A memory counts once however many versions it has (the index holds one vector per memory).

    Args:
        store: An open store.
        sources: Names of index sources (``sessions``, ``events``, ``memories``, ``document_chunks``).
        from_start: Count every row, as a reindex embeds them; otherwise the rows above the index's
            watermarks (``0`` if the store has no index).

    Example:
        >>> with Store.memory(embedder="fake") as store:
        ...     unindexed_rows(store), unindexed_rows(store, from_start=True)
        (0, 0)
    """
    index = store.index
    if index is None and not from_start:
        return 0
    marks = {} if from_start or index is None else dict(index.watermarks)
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


def limit_argument(text: str) -> int:
    """An ``argparse`` type for ``--limit``: a whole number from 1 to the library's ``MAX_LIMIT``.

    Example:
        >>> limit_argument("20")
        20
        >>> limit_argument("100001")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: must be a whole number of at least 1 and at most 100,000; got '100001'
    """
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of at least 1 and at most {MAX_LIMIT:,}; got {text!r}"
        )
    return value


def uuid_argument(text: str) -> str:
    """An ``argparse`` type for an id option (``--project``): a UUID.

    Example:
        >>> uuid_argument("notauuid")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: must be a UUID such as 00000000-0000-4000-8000-000000000000; got 'notauuid'
    """
    try:
        return str(validate_uuid(text, "id"))
    except ValidationError:
        raise argparse.ArgumentTypeError(
            f"must be a UUID such as 00000000-0000-4000-8000-000000000000; got {text!r}"
        ) from None


def threshold_argument(text: str) -> float:
    """An ``argparse`` type: a similarity threshold from 0 to 1 (``0``: no threshold).

    Example:
        >>> threshold_argument("0.5")
        0.5
        >>> threshold_argument("1.5")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: must be a number from 0 to 1 (0: no threshold); got '1.5'
    """
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:  # NaN too
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1 (0: no threshold); got {text!r}")
    return value


_PYTHON_FORMAT = re.compile(r"\bpass format=(\.\.\.|'[^']*'|\"[^\"]*\"|[\w-]+)")


def cli_wording(message: str) -> str:
    """A library message in command-line words: ``pass format=...`` becomes ``pass --format ...``.

    Example:
        >>> cli_wording("not a recognised agent log; pass format=... if you know better")
        'not a recognised agent log; pass --format ... if you know better'
        >>> cli_wording("pass format='codex'")
        'pass --format codex'
    """
    return _PYTHON_FORMAT.sub(lambda match: f"pass --format {match.group(1).strip(chr(39) + chr(34))}", message)


def parse_since(text: str, option: str = "--since") -> datetime:
    """Parse ``--since``: an ISO date/datetime (UTC if no offset) or ``<N>d`` / ``<N>h`` ago.

    Args:
        text: The value given on the command line.
        option: The option's name, for the error message.

    Raises:
        ValidationError: Neither, or ``N`` reaches back before the year 1.

    Example:
        >>> parse_since("2026-01-02").isoformat()
        '2026-01-02T00:00:00+00:00'
        >>> parse_since("1000000d")
        Traceback (most recent call last):
        ...
        agentlog.errors.ValidationError: --since 1000000d reaches back before the year 1
    """
    value = text.strip()
    relative = value[:-1].isdigit() and value[-1:] in {"d", "h"}
    try:
        amount = int(value[:-1]) if relative else 0  # a ValueError for more digits than int() takes
        parsed = None if relative else datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"{option} must be an ISO date such as 2026-01-31, or 7d / 12h; got {text!r}", field=option.lstrip("-")
        ) from None
    if parsed is None:
        return _ago(amount, value[-1], option)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ago(amount: int, unit: str, option: str) -> datetime:
    """``amount`` days (``unit`` ``d``) or hours (``h``) before now."""
    try:
        return datetime.now(UTC) - (timedelta(days=amount) if unit == "d" else timedelta(hours=amount))
    except OverflowError:
        raise ValidationError(
            f"{option} {amount}{unit} reaches back before the year 1", field=option.lstrip("-")
        ) from None


def since_argument(text: str) -> datetime:
    """:func:`parse_since` as an ``argparse`` type: a bad value is a usage error (exit status 2).

    Example:
        >>> import argparse
        >>> parser = argparse.ArgumentParser()
        >>> _ = parser.add_argument("--since", type=since_argument)
        >>> parser.parse_args(["--since", "2026-01-02"]).since.year
        2026
    """
    try:
        return parse_since(text)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def date_argument(option: str) -> Callable[[str], datetime]:
    """An ``argparse`` type like :func:`since_argument` whose messages name ``option``.

    Example:
        >>> date_argument("--until")("2d") < datetime.now(UTC)
        True
    """

    def parse(text: str) -> datetime:
        try:
            return parse_since(text, option)
        except ValidationError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = "date"  # argparse names the type in some messages
    return parse


def positive_int(text: str) -> int:
    """An ``argparse`` type: a whole number of at least 1 (anything else is a usage error).

    Example:
        >>> positive_int("3")
        3
        >>> positive_int("0")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: must be a whole number of at least 1; got '0'
    """
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1; got {text!r}")
    return value


_CONTROL = re.compile("[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f]")
_CONTROL_OR_NEWLINE = re.compile("[\\x00-\\x1f\\x7f-\\x9f]")


def printable(value: object, *, newlines: bool = False) -> str:
    r"""``str(value)`` safe for a terminal: control characters (ESC, CR, DEL, C1...) shown as ``\xNN`` escapes.

    Args:
        value: Any value; ``None`` gives ``""``.
        newlines: Keep line feeds (for multi-line output); otherwise they are escaped too.

    Example:
        >>> printable("red \x1b[31mtext\r")
        'red \\x1b[31mtext\\r'
    """
    text = "" if value is None else str(value)
    pattern = _CONTROL if newlines else _CONTROL_OR_NEWLINE
    return pattern.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]


def printable_json(value: object, **options: Any) -> str:
    r"""``json.dumps(value, default=str, ensure_ascii=False, **options)`` with DEL and C1 characters as ``\u00NN``.

    ``json`` escapes the C0 controls itself; the others would reach the terminal raw.

    Example:
        >>> printable_json({"k": "a\x9bb"})
        '{"k": "a\\u009bb"}'
    """
    text = json.dumps(value, default=str, ensure_ascii=False, **options)
    return _C1.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


_C1 = re.compile("[\\x7f-\\x9f]")


def check_out(value: str) -> Path:
    """The ``--out`` of ``demo`` or ``report`` as a path, refused at once if no report could be written there.

    Args:
        value: The ``--out`` value.

    Raises:
        UsageError: The path is empty, is a directory, or its folder does not exist.

    Example:
        >>> check_out("")
        Traceback (most recent call last):
        ...
        agentlog.cli.common.UsageError: --out is empty; give the path of an .html file
    """
    if not value.strip():
        raise UsageError("--out is empty; give the path of an .html file", field="out")
    target = Path(value).expanduser().resolve()
    if target.is_dir():
        raise UsageError(f"--out {printable(target)} is a directory; give the path of an .html file", field="out")
    if not target.parent.is_dir():
        what = "is not a directory" if target.parent.exists() else "does not exist"
        raise UsageError(f"--out: directory {printable(target.parent)} {what}; create it first", field="out")
    return Path(value).expanduser()
