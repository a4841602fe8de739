r"""Where a store lives when the caller does not say.

Resolution order (first match wins):

1. an explicit path passed to :class:`~agentlog.Store` or ``--store PATH``;
2. the ``AGENTLOG_HOME`` environment variable;
3. the per-user data directory: ``$XDG_DATA_HOME/agentlog`` (default
   ``~/.local/share/agentlog``) on Linux and other Unix systems,
   ``~/Library/Application Support/agentlog`` on macOS, and
   ``%LOCALAPPDATA%\\agentlog`` on Windows.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["ENV_HOME", "default_store_path", "resolve_store_path"]

ENV_HOME = "AGENTLOG_HOME"
"""Environment variable naming the default store directory."""


def default_store_path() -> Path:
    """Return the default store directory (``AGENTLOG_HOME`` or the per-user data dir).

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

    Example:
        >>> resolve_store_path("/tmp/x").is_absolute()
        True
    """
    chosen = Path(path).expanduser() if path is not None else default_store_path()
    return chosen.resolve()
