"""Process-wide services on the default store.

``get_session_service()``, ``get_memory_service()`` and
``get_document_index_service()`` return one service per process (each), built on one :class:`~agentlog.Store`
opened at the default location (``AGENTLOG_HOME`` or the per-user data
directory) on first use and closed when the interpreter exits.
:func:`close_default_store` closes it earlier (the next ``get_*`` call opens it
again), e.g. to let another process open the store or to switch
``AGENTLOG_HOME`` in a notebook. A process forked from this one does not
inherit them: its first ``get_*`` call opens the default store anew (which
raises :class:`~agentlog.errors.StoreError` if this process had it open at the
fork, see :mod:`agentlog.store.lock`).
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from agentlog.services.document_service import DocumentIndexService
from agentlog.services.memory_service import MemoryService
from agentlog.services.session_service import SessionService
from agentlog.store import Store

__all__ = [
    "close_default_store",
    "default_service",
    "default_store",
    "get_document_index_service",
    "get_memory_service",
    "get_session_service",
]

T = TypeVar("T")
"""The class of a process-wide service (see :func:`default_service`)."""

_lock = threading.RLock()
_store: Store | None = None
_services: dict[type, Any] = {}


def default_store() -> Store:
    """Return the process-wide store at the default location, opening it if needed.

    Example:
        >>> import os, tempfile
        >>> os.environ["AGENTLOG_HOME"] = tempfile.mkdtemp()
        >>> default_store().path == default_store().path
        True
        >>> close_default_store()
        >>> del os.environ["AGENTLOG_HOME"]
    """
    global _store
    with _lock:
        if _store is None or _store.closed:
            if _store is not None:
                # finish a close that was interrupted (Ctrl-C) or that another thread is still running: until
                # it is done the store's directory stays locked, and opening it again would raise StoreLockedError
                _store.close()
            _services.clear()
            _store = Store()
        return _store


def default_service(kind: type[T], factory: Callable[[Store], T] | None = None) -> T:
    """Return the process-wide service of class ``kind`` on the default store.

    Args:
        kind: The service class.
        factory: How to build it from the store (default ``kind(store)``).
    """
    with _lock:
        store = default_store()
        service = _services.get(kind)
        if service is None:
            service = _services[kind] = (factory or kind)(store)  # type: ignore[call-arg]
        return service


def get_session_service() -> SessionService:
    """Return the process-wide :class:`SessionService` on the default store.

    Example:
        >>> import os, tempfile
        >>> os.environ["AGENTLOG_HOME"] = tempfile.mkdtemp()
        >>> get_session_service() is get_session_service()
        True
        >>> close_default_store()
        >>> del os.environ["AGENTLOG_HOME"]
    """
    return default_service(SessionService)


def get_memory_service() -> MemoryService:
    """Return the process-wide :class:`MemoryService` on the default store.

    Example:
        >>> import os, tempfile
        >>> os.environ["AGENTLOG_HOME"] = tempfile.mkdtemp()
        >>> get_memory_service() is get_memory_service()
        True
        >>> get_memory_service().store is get_session_service().store
        True
        >>> close_default_store()
        >>> del os.environ["AGENTLOG_HOME"]
    """
    return default_service(MemoryService)


def get_document_index_service() -> DocumentIndexService:
    """Return the process-wide :class:`DocumentIndexService` on the default store.

    Example:
        >>> import os, tempfile
        >>> os.environ["AGENTLOG_HOME"] = tempfile.mkdtemp()
        >>> get_document_index_service() is get_document_index_service()
        True
        >>> close_default_store()
        >>> del os.environ["AGENTLOG_HOME"]
    """
    return default_service(DocumentIndexService)


def close_default_store() -> None:
    """Close the process-wide store (idempotent); the next ``get_*`` call reopens it.

    Example:
        >>> close_default_store()
    """
    global _store
    with _lock:
        if _store is not None:
            _store.close()
            _store = None
        _services.clear()


def _forget_in_child() -> None:
    """Drop the parent's store and services in a forked child (runs in the child, right after ``fork``).

    The child's copy of the store cannot be used there (see :meth:`Store.check_open`), and a lock held by
    another thread of the parent at the fork would never be released in the child.
    """
    global _lock, _store
    _lock = threading.RLock()
    _store = None
    _services.clear()


atexit.register(close_default_store)
if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget_in_child)
