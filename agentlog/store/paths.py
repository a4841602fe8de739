r"""Where a store lives when the caller does not say.

Resolution order (first match wins):

1. an explicit path passed to :class:`~agentlog.Store` or ``--store PATH``;
2. the ``AGENTLOG_HOME`` environment variable;
3. the per-user data directory: ``$XDG_DATA_HOME/agentlog`` (default
   ``~/.local/share/agentlog``) on Linux and other Unix systems,
   ``~/Library/Application Support/agentlog`` on macOS, and
   ``%LOCALAPPDATA%\\agentlog`` on Windows.

An environment variable set to the empty string counts as unset (the
convention of the XDG Base Directory specification): ``AGENTLOG_HOME=``, like
``XDG_DATA_HOME=`` and ``LOCALAPPDATA=``, falls through to the next step
rather than naming the current directory.

Whether a path already holds a store (without creating anything) is
:func:`store_exists`.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from agentlog.errors import ValidationError
from agentlog.store.manifest import MANIFEST_NAME

__all__ = ["ENV_HOME", "default_store_path", "resolve_store_path", "store_exists"]

ENV_HOME = "AGENTLOG_HOME"
"""Environment variable naming the default store directory."""


def default_store_path() -> Path:
    """Return the default store directory (``AGENTLOG_HOME`` or the per-user data dir).

    An empty ``AGENTLOG_HOME`` (or ``XDG_DATA_HOME``) counts as unset.

    Example:
        >>> import os
        >>> os.environ["AGENTLOG_HOME"] = "/tmp/my-agentlog"
        >>> str(default_store_path())
        '/tmp/my-agentlog'
        >>> del os.environ["AGENTLOG_HOME"]
    """
    home = os.environ.get(ENV_HOME)
    if home:
        return Path(home).expanduser()
    if sys.platform == "win32":  # pragma: no cover - not tested on this platform
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":  # pragma: no cover - not tested on this platform
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "agentlog"


def resolve_store_path(path: str | os.PathLike[str] | None) -> Path:
    """Resolve an explicit store path, or the default when ``path`` is ``None``.

    Args:
        path: A directory path, or ``None``.

    Returns:
        An absolute path (not required to exist yet).

    Raises:
        ValidationError: ``path`` is not a ``str`` or ``os.PathLike`` of one, or is empty (which would
            name the current directory; ``None`` is the default store).

    Example:
        >>> resolve_store_path("/tmp/x").is_absolute()
        True
        >>> resolve_store_path("")
        Traceback (most recent call last):
        ...
        agentlog.errors.ValidationError: path is empty; give a directory, or None for the default store
    """
    if path is None:
        return default_store_path().resolve()
    text = os.fspath(path) if isinstance(path, str | os.PathLike) else None
    if not isinstance(text, str):
        raise ValidationError(
            f"path must be a directory path (a str or os.PathLike), got {type(path).__name__}",
            field="path",
            value=repr(path)[:80],
        )
    if not text.strip():
        raise ValidationError("path is empty; give a directory, or None for the default store", field="path")
    return Path(text).expanduser().resolve()


def store_exists(path: str | os.PathLike[str] | None) -> bool:
    """Whether ``path`` (the default store when ``None``) already holds an agentlog store; creates nothing.

    A store directory is recognised by its manifest (``agentlog.json``), or by its DuckDB file alone (a store
    whose first opening stopped before the manifest was written; :class:`~agentlog.Store` completes it).
    Opening a :class:`~agentlog.Store` on a path that holds none creates one: commands that only read
    check this first.

    Args:
        path: A directory path, or ``None`` for the default store.

    Returns:
        ``True`` if the directory holds a manifest or a DuckDB file.

    Raises:
        OSError: If the directory cannot be examined (no permission, for instance).

    Example:
        >>> import tempfile
        >>> store_exists(tempfile.mkdtemp()), store_exists("/nonexistent/agentlog-store")
        (False, False)
    """
    from agentlog.store.store import DUCKDB_NAME  # store.py imports this module

    directory = resolve_store_path(path)
    for name in (MANIFEST_NAME, DUCKDB_NAME):
        try:
            mode = (directory / name).stat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue
        if stat.S_ISREG(mode):
            return True
    return False
