"""The errors agentlog raises.

Every error derives from one root, :class:`AgentlogError`, and also from the
builtin that matches its meaning, so code written against the documented API
(``except ValueError``) keeps working::

    AgentlogError
    ├── ValidationError            (ValueError)     bad argument; nothing was written
    │   └── ImportFormatError                       a file to import is malformed
    ├── NotFoundError              (LookupError, ValueError)
    ├── AlreadyExistsError         (ValueError)
    ├── InvalidTransitionError     (ValueError)     lifecycle change not allowed
    │   └── SessionClosedError                      events for a terminated/archived session
    ├── StoreError                 (RuntimeError)   the store cannot be used as asked
    │   ├── StoreClosedError                        used after close()
    │   ├── StoreLockedError                        another process holds the store
    │   ├── StoreVersionError                       written by a newer agentlog
    │   └── NotAStoreError                          the directory is not an agentlog store
    ├── EmbeddingMismatchError     (RuntimeError)   store indexed with another embedder
    ├── SearchUnavailableError     (RuntimeError)   no embedder, or the index cannot be updated
    │   └── IndexTimeoutError      (TimeoutError)   the index did not catch up in the time given
    └── EmbedderError              (RuntimeError)   an embedder could not produce vectors
        ├── EmbedderConfigError                     missing API key or optional dependency
        └── ModelFileError                          model/tokenizer file missing or altered

Errors carry the offending value as attributes where there is one, and their
message says what to do.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = [
    "AgentlogError",
    "AlreadyExistsError",
    "EmbedderConfigError",
    "EmbedderError",
    "EmbeddingMismatchError",
    "ImportFormatError",
    "IndexTimeoutError",
    "InvalidTransitionError",
    "ModelFileError",
    "NotAStoreError",
    "NotFoundError",
    "SearchUnavailableError",
    "SessionClosedError",
    "StoreClosedError",
    "StoreError",
    "StoreLockedError",
    "StoreVersionError",
    "ValidationError",
]


class AgentlogError(Exception):
    """Root of every error raised by agentlog."""


class ValidationError(AgentlogError, ValueError):
    """An argument was rejected before anything was written.

    Attributes:
        field: The name of the offending argument (or a path inside it, such as
            ``event_data['items'][3]``).
        value: A short ``repr`` of the offending value.
    """

    def __init__(self, message: str, *, field: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class ImportFormatError(ValidationError):
    """A file given to an importer is malformed, truncated or of the wrong schema.

    Attributes:
        path: The file (or dataset member) that failed.
        line: The 1-based line number where that makes sense, else ``None``.
    """

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None) -> None:
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f":{line}"
            where += ": "
        super().__init__(where + message, field="path", value=str(path) if path else None)
        self.path = str(path) if path is not None else None
        self.line = line


class NotFoundError(AgentlogError, LookupError, ValueError):
    """The session, memory or document named does not exist.

    It is a ``LookupError`` by meaning and a ``ValueError`` because the
    documented API says "raises ValueError" for unknown ids.

    Attributes:
        kind: What was looked up (``"session"``, ``"memory"``, ``"document"``).
        key: The id or key that was not found.
    """

    def __init__(self, kind: str, key: Any) -> None:
        super().__init__(f"{kind} not found: {key}")
        self.kind = kind
        self.key = key


class AlreadyExistsError(AgentlogError, ValueError):
    """A create call named something that already exists."""

    def __init__(self, kind: str, key: Any, hint: str = "") -> None:
        message = f"{kind} already exists: {key}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)
        self.kind = kind
        self.key = key


class InvalidTransitionError(AgentlogError, ValueError):
    """A session lifecycle change that the lifecycle does not allow.

    Attributes:
        current: The lifecycle state the session is in.
        requested: The state (or operation) that was asked for.
    """

    def __init__(self, message: str, *, current: str, requested: str) -> None:
        super().__init__(message)
        self.current = current
        self.requested = requested


class SessionClosedError(InvalidTransitionError):
    """An event was logged to a session that is terminated or archived."""


class StoreError(AgentlogError, RuntimeError):
    """The store cannot be used as asked."""


class StoreClosedError(StoreError):
    """The store (or a service on it) was used after ``close()``."""


class StoreLockedError(StoreError):
    """Another process has the store open (for reading or writing: one process at a time).

    Attributes:
        path: The store directory.
        pid: The process id holding it, when known.
    """

    def __init__(self, path: str | Path, pid: int | None = None) -> None:
        if pid == os.getpid():
            message = (
                f"store {path} is already open in this process (a Store made earlier and not closed; in a "
                "notebook, often a cell run twice). Use that store, or close it first (store.close()); a "
                "`with Store(...) as store:` block closes it for you."
            )
        else:
            holder = f"process {pid}" if pid else "another process"
            message = (
                f"store {path} is in use by {holder}. A store can be open in one process at a time, "
                "even to read it: close it there (store.close(), or end that program/kernel), "
                "or open a different store with --store PATH / AGENTLOG_HOME."
            )
        super().__init__(message)
        self.path = str(path)
        self.pid = pid


class StoreVersionError(StoreError):
    """The store was written by a newer agentlog than this one."""


class NotAStoreError(StoreError):
    """The path exists but is not an agentlog store."""


class EmbeddingMismatchError(AgentlogError, RuntimeError):
    """The store's vectors were made by another embedder than the one configured.

    Attributes:
        stored: ``(name, dimension)`` recorded in the store.
        configured: ``(name, dimension)`` of the embedder in use.
    """

    def __init__(self, path: str | Path, stored: tuple[str, int], configured: tuple[str, int]) -> None:
        super().__init__(
            f"store {path} was indexed with embedder {stored[0]!r} ({stored[1]}-d) but "
            f"{configured[0]!r} ({configured[1]}-d) is configured. Either open it with the "
            f"same embedder (AGENTLOG_EMBEDDER={stored[0]}), or rebuild every vector with the "
            f"new one: `agentlog --store {path} reindex --embedder {configured[0]}` "
            f"(or Store(path, embedder=None).reindex({configured[0]!r}))."
        )
        self.stored = stored
        self.configured = configured


class SearchUnavailableError(AgentlogError, RuntimeError):
    """Semantic search was asked of a store that has no embedder, or whose index cannot be updated."""


class IndexTimeoutError(SearchUnavailableError, TimeoutError):
    """``wait_for_index(timeout=...)`` returned before the index caught up (``except TimeoutError`` catches it).

    Example:
        >>> isinstance(IndexTimeoutError("late"), TimeoutError), isinstance(IndexTimeoutError("late"), RuntimeError)
        (True, True)
    """


class EmbedderError(AgentlogError, RuntimeError):
    """An embedder could not produce vectors (for example the API kept failing).

    Example:
        >>> isinstance(EmbedderError("boom"), RuntimeError)
        True
    """


class EmbedderConfigError(EmbedderError):
    """An embedder is not usable as configured: a missing key or optional package.

    The message says exactly what to set or install.

    Example:
        >>> str(EmbedderConfigError("set OPENAI_API_KEY"))
        'set OPENAI_API_KEY'
    """


class ModelFileError(EmbedderError):
    """A model or tokenizer file is missing or does not match its pinned checksum.

    Attributes:
        path: The file that failed the check.
        expected: The pinned sha256.
        actual: The sha256 found, or ``None`` if the file is missing.

    Example:
        >>> err = ModelFileError("/x/model.onnx", expected="ab", actual=None, fix="pip install m")
        >>> err.actual is None
        True
    """

    def __init__(self, path: str | Path, *, expected: str, actual: str | None, fix: str) -> None:
        if actual is None:
            problem = f"embedding model file {path} is missing"
        else:
            problem = (
                f"embedding model file {path} does not match its pinned checksum "
                f"(sha256 {actual}, expected {expected}); it is damaged or was replaced"
            )
        super().__init__(f"{problem}. Reinstall it: {fix}")
        self.path = str(path)
        self.expected = expected
        self.actual = actual
