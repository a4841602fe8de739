"""Recognising log formats from content, and finding log files in folders.

:func:`detect_format` reads only the first :data:`HEAD_BYTES` of a file and
asks each format's ``sniff`` in a fixed order (``otel``, ``codex``,
``claude-code``, ``jsonl``); the file name plays no part. When the first line
is longer than that, the formats recognise it from the scalar members at its
start (``{"timestamp":"...","type":"session_meta",...``).

:func:`iter_source_files` lists the files an import of a path covers: the
path itself when it is a file, else the log files under the folder, found
recursively in a deterministic (sorted) order, each real file once (a
symlink gives the file it leads to).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from agentlog.errors import ImportFormatError, ValidationError
from agentlog.io.importers import claude_code, codex, jsonl, otel
from agentlog.regular_files import open_regular_file

__all__ = [
    "FORMATS",
    "HEAD_BYTES",
    "LOG_SUFFIXES",
    "check_format",
    "detect_format",
    "iter_source_files",
    "sniff_format",
]

HEAD_BYTES = 16 * 1024
"""How much of a file :func:`detect_format` reads."""

FORMATS: tuple[str, ...] = (otel.FORMAT, codex.FORMAT, claude_code.FORMAT, jsonl.FORMAT)
"""The format names, in the order detection tries them."""

LOG_SUFFIXES: dict[str, frozenset[str]] = {
    claude_code.FORMAT: frozenset({".jsonl"}),
    codex.FORMAT: frozenset({".jsonl"}),
    jsonl.FORMAT: frozenset({".jsonl"}),
    otel.FORMAT: frozenset({".json", ".jsonl"}),
    "auto": frozenset({".json", ".jsonl"}),
}
"""Which file suffixes a folder walk picks up, per format (``"auto"``: any)."""

_SNIFFERS: dict[str, Callable[[bytes], bool]] = {
    otel.FORMAT: otel.sniff,
    codex.FORMAT: codex.sniff,
    claude_code.FORMAT: claude_code.sniff,
    jsonl.FORMAT: jsonl.sniff,
}


def detect_format(path: str | Path) -> str:
    r"""The format of a log file, judged from its first few KB.

    Args:
        path: A file.

    Returns:
        One of :data:`FORMATS`: ``"claude-code"``, ``"codex"``, ``"otel"`` or
        ``"jsonl"``.

    Raises:
        ImportFormatError: The file cannot be read or is of no known format.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp(), "session.log")
        >>> _ = path.write_text(
        ...     '{"timestamp":"2026-05-11T08:26:55Z","type":"session_meta",'
        ...     '"payload":{"id":"019e1625-789d-76c0-80ab-3724b5ddb799","cwd":"/work/app"}}\n'
        ... )
        >>> detect_format(path)
        'codex'
    """
    path = Path(path).expanduser()
    name = sniff_format(path)
    if name is None:
        raise ImportFormatError(
            "not a recognised agent log (expected a Claude Code transcript, a Codex rollout, "
            "an OpenTelemetry trace export or agentlog JSON lines); pass format=... if you "
            "know better",
            path=path,
        )
    return name


def sniff_format(path: str | Path) -> str | None:
    r"""Like :func:`detect_format`, but ``None`` for a readable file of no known format.

    Raises:
        ImportFormatError: The file cannot be read, or is not a regular file (a FIFO, a device).

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "notes.txt").write_text("Rotate the logs on Friday.\n")
        >>> _ = (folder / "bot.jsonl").write_text('{"type":"session","agent":"my-bot"}\n')
        >>> sniff_format(folder / "notes.txt"), sniff_format(folder / "bot.jsonl")
        (None, 'jsonl')
    """
    path = Path(path).expanduser()
    try:
        with open_regular_file(path) as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as exc:
        raise ImportFormatError(f"cannot read file: {exc.strerror or exc}", path=path) from None
    for name, sniff in _SNIFFERS.items():
        if sniff(head):
            return name
    return None


def check_format(format: str) -> str:
    """Validate a format argument (a name from :data:`FORMATS`, or ``"auto"``).

    Raises:
        ValidationError: Unknown name.

    Example:
        >>> check_format("codex")
        'codex'
    """
    if format != "auto" and format not in FORMATS:
        raise ValidationError(
            f"unknown format {format!r}; use one of: auto, {', '.join(FORMATS)}",
            field="format",
            value=repr(format),
        )
    return format


def iter_source_files(path: str | Path, format: str = "auto") -> Iterator[Path]:
    r"""The files an import of ``path`` covers, each once.

    A file is returned as is, whatever its name. A folder is walked
    recursively in sorted order; hidden files and folders (``.name``), files
    whose suffix is not a log suffix of ``format`` (see
    :data:`LOG_SUFFIXES`), symlinked folders, and symlinks that lead outside
    the folder or to nothing are skipped. A symlink to a file of the folder
    gives that file (once, however many links lead to it); a symlink loop is
    returned as it is, so that reading it fails and the import reports it.
    Content is not read here.

    Args:
        path: A file or a folder, e.g. ``~/.claude/projects``.
        format: A name from :data:`FORMATS`, or ``"auto"``.

    Yields:
        Resolved file paths (a symlink loop: its own path), each real file once.

    Raises:
        ImportFormatError: ``path`` does not exist (or is a symlink that leads nowhere).
        ValidationError: Unknown ``format``.

    Example:
        >>> import tempfile
        >>> projects = Path(tempfile.mkdtemp())
        >>> (projects / "-work-app").mkdir()
        >>> for name in ("-work-app/9eda1058.jsonl", "-work-app/.draft.jsonl", "notes.txt", "trace.json"):
        ...     _ = (projects / name).write_text("{}\n")
        >>> (projects / "alias.json").symlink_to(projects / "trace.json")
        >>> [p.name for p in iter_source_files(projects)], [p.name for p in iter_source_files(projects, "claude-code")]
        (['trace.json', '9eda1058.jsonl'], ['9eda1058.jsonl'])
    """
    suffixes = LOG_SUFFIXES[check_format(format)]
    root = Path(path).expanduser()
    if not root.exists():
        dangling = root.is_symlink()
        raise ImportFormatError("a symlink that leads nowhere" if dangling else "no such file or folder", path=root)
    root = root.resolve()
    if not root.is_dir():
        yield root
        return
    seen: set[Path] = set()
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or Path(name).suffix.lower() not in suffixes:
                continue
            found = _log_file(Path(folder, name), root)
            if found is not None and found not in seen:
                seen.add(found)
                yield found


def _log_file(candidate: Path, root: Path) -> Path | None:
    """The file a folder entry stands for (a symlink: its target inside ``root``), or None to skip it."""
    if not candidate.is_symlink():
        return candidate if candidate.is_file() else None
    try:
        os.stat(candidate)
    except OSError as exc:
        return candidate if exc.errno == errno.ELOOP else None  # a loop fails when read; a dangling link is skipped
    target = candidate.resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return None
    return target
