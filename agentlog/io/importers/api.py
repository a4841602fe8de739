"""Entry points: parse a file or a folder of agent logs in any known format.

:func:`parse_path` is what an import command calls: it never stops at a bad
file, and reports failures next to the sessions. :func:`iter_parse_path`
yields one :class:`FileResult` per file, so a caller can write sessions as it
goes (with a progress bar) and keep memory to one file at a time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from agentlog.errors import ImportFormatError, ValidationError
from agentlog.io.importers import claude_code, codex, jsonl, otel
from agentlog.io.importers.detect import (
    check_format,
    detect_format,
    iter_source_files,
    sniff_format,
)
from agentlog.io.importers.model import FileResult, ImportedSession, ParseResult

__all__ = ["PARSERS", "iter_parse_path", "merge_sessions", "parse_file", "parse_path"]

PARSERS: dict[str, Callable[[Path], list[ImportedSession]]] = {
    claude_code.FORMAT: claude_code.parse,
    codex.FORMAT: codex.parse,
    otel.FORMAT: otel.parse,
    jsonl.FORMAT: jsonl.parse,
}
"""Each format's ``parse(path) -> list[ImportedSession]``."""


def parse_file(path: str | Path, format: str = "auto") -> list[ImportedSession]:
    r"""Parse one file.

    Args:
        path: The file.
        format: A format name, or ``"auto"`` to detect it from the content.

    Returns:
        The sessions in the file.

    Raises:
        ImportFormatError: Unknown format or broken content.
        ValidationError: Unknown ``format`` name, or ``path`` is not a path.

    Example:
        The format comes from the content, not the file name:

        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp(), "bot.log")
        >>> _ = path.write_text('{"type":"session","agent":"my-bot"}\n{"type":"event","event_type":"reply"}\n')
        >>> [(s.agent, s.metadata["format"], len(s.events)) for s in parse_file(path)]
        [('my-bot', 'jsonl', 1)]
    """
    path = _as_path(path)
    name = detect_format(path) if check_format(format) == "auto" else _forced(path, format)
    return PARSERS[name](path)


def _forced(path: Path, format: str) -> str:
    """``format``, given for ``path``; an ``ImportFormatError`` if the file is plainly a log of another format.

    A Claude Code parser reads a Codex rollout without failing (as one session of unknown lines); a
    file that its first bytes show to be of another known format is refused instead.
    """
    found = sniff_format(path)
    if found is not None and found != format:
        raise ImportFormatError(f"this is a {found} log, not {format}; pass format='{found}' or 'auto'", path=path)
    return format


def _as_path(path: Any) -> Path:
    """``path`` as a ``Path`` (``~`` expanded), or a ``ValidationError`` if it cannot be a file's path."""
    if not isinstance(path, str | os.PathLike) or "\x00" in str(path):
        raise ValidationError(
            f"path must be a file or folder path without NUL characters, got {path!r}"[:300], field="path"
        )
    return Path(path).expanduser()


def iter_parse_path(
    path: str | Path, format: str = "auto", *, skip: Collection[Path] = frozenset()
) -> Iterator[FileResult]:
    r"""Parse a file or every log file under a folder, one result per file.

    In a folder walk with ``format="auto"``, files of no known format are
    reported as skipped (``status == "skipped"``); a single file of no known
    format, and any file that cannot be read or parsed, is a failure.
    Sessions with the same id may come from several files (Claude Code
    subagent transcripts carry their parent's session id): use
    :func:`merge_sessions` or add their events to the session already stored.

    Args:
        path: A file, or a folder such as ``~/.claude/projects``.
        format: A format name, or ``"auto"``.
        skip: Files (resolved paths, as :func:`iter_source_files` gives them) not to read: no
            result is yielded for them.

    Yields:
        A :class:`FileResult` per file, in sorted path order.

    Raises:
        ImportFormatError: ``path`` does not exist.
        ValidationError: Unknown ``format`` name, or ``path`` is not a path.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "bot.jsonl").write_text('{"type":"session","agent":"my-bot"}\n')
        >>> _ = (folder / "broken.jsonl").write_text('{"type":"session","agent":"my-bot"}\n{"type":"event"}\n')
        >>> _ = (folder / "package.json").write_text('{"name": "app", "version": "1.0.0"}\n')
        >>> for r in iter_parse_path(folder):
        ...     print(r.path.name, r.status, len(r.sessions))
        bot.jsonl ok 1
        broken.jsonl failed 0
        package.json skipped 0
    """
    check_format(format)
    root = _as_path(path)
    walking = root.is_dir()
    for file in iter_source_files(root, format):
        if file in skip:
            continue
        name: str | None = format
        try:
            if format == "auto":
                name = sniff_format(file) if walking else detect_format(file)
            else:
                name = _forced(file, format)
            if name is None:
                yield FileResult(file, None, ())
                continue
            yield FileResult(file, name, tuple(PARSERS[name](file)))
        except ImportFormatError as exc:
            yield FileResult(file, None if name == "auto" else name, (), exc)


def parse_path(path: str | Path, format: str = "auto") -> ParseResult:
    r"""Parse a file or a folder tree of agent logs, collecting failures.

    Args:
        path: A file, or a folder walked recursively, e.g.
            ``~/.claude/projects`` (``<encoded-cwd>/<sessionId>.jsonl``).
        format: ``"auto"`` (detect each file from its content) or one of
            ``"claude-code"``, ``"codex"``, ``"otel"``, ``"jsonl"``.

    Returns:
        A :class:`ParseResult`: the sessions (merged by id across files), the
        ``(path, error)`` failures, and the skipped files.

    Raises:
        ImportFormatError: ``path`` does not exist.
        ValidationError: Unknown ``format`` name, or ``path`` is not a path.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "bot.jsonl").write_text('{"type":"session","agent":"my-bot"}\n')
        >>> _ = (folder / "broken.jsonl").write_text('{"type":"session","agent":"other-bot"}\n{"type":"event"}\n')
        >>> result = parse_path(folder)
        >>> [s.agent for s in result.sessions], [(p.name, e.line) for p, e in result.failures]
        (['my-bot'], [('broken.jsonl', 2)])
    """
    result = ParseResult()
    sessions: list[ImportedSession] = []
    for item in iter_parse_path(path, format):
        if item.error is not None:
            result.failures.append((item.path, item.error))
        elif item.format is None:
            result.skipped.append(item.path)
        else:
            sessions.extend(item.sessions)
    result.sessions = merge_sessions(sessions)
    return result


def _sum_counts(into: dict[str, Any], extra: object) -> None:
    if isinstance(extra, dict):
        for key, value in extra.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                into[key] = into.get(key, 0) + value


def _listed(value: object) -> list[Any]:
    """A ``models``/``subagents`` value as a list: ``[]`` when it is not one (agentlog JSON lines set any metadata)."""
    return value if isinstance(value, list) else []


def _merge(group: list[ImportedSession]) -> ImportedSession:
    primary = next((s for s in group if not s.metadata.get("sidechain_only")), group[0])
    ordered = [primary, *(s for s in group if s is not primary)]
    metadata: dict[str, Any] = {}
    for session in reversed(ordered):
        metadata.update(session.metadata)
    metadata.pop("sidechain_only", None)
    if all(s.metadata.get("sidechain_only") for s in group):
        metadata["sidechain_only"] = True
    metadata["source_paths"] = [s.metadata.get("source_path") for s in ordered]
    models: list[Any] = []
    for session in ordered:
        models.extend(m for m in _listed(session.metadata.get("models")) if m not in models)
    metadata["models"] = models
    for key in ("tokens", "tools", "cost"):
        merged: dict[str, Any] = {}
        for session in ordered:
            _sum_counts(merged, session.metadata.get(key))
        if merged or key in metadata:
            metadata[key] = merged
    for key in ("errors", "messages", "sidechain_events", "span_count", "orphan_spans"):
        values = [s.metadata[key] for s in ordered if isinstance(s.metadata.get(key), int)]
        if values:
            metadata[key] = sum(values)
    subagents: list[Any] = []
    for session in ordered:
        subagents.extend(a for a in _listed(session.metadata.get("subagents")) if a not in subagents)
    if subagents:
        metadata["subagents"] = subagents
    starts = [s.started_at for s in ordered if s.started_at is not None]
    ends = [s.ended_at for s in ordered if s.ended_at is not None]
    summary = next((s.summary for s in ordered if s.summary is not None), None)
    started: datetime | None = min(starts) if starts else None
    ended: datetime | None = max(ends) if ends else None
    return ImportedSession(
        id=primary.id,
        agent=primary.agent,
        started_at=started,
        ended_at=ended,
        summary=summary,
        metadata=metadata,
        events=tuple(e for s in ordered for e in s.events),
        project_id=primary.project_id,
    )


def merge_sessions(sessions: Iterable[ImportedSession]) -> list[ImportedSession]:
    """Merge sessions that share an id (found in several files) into one each.

    The session that is not only subagent records comes first, then the
    others in the given order; events are concatenated in that order. Counts
    (``tokens``, ``tools``, ``cost``, ``errors``, ``messages``...) are summed,
    ``models`` and ``subagents`` united (a value that is not a list, as
    agentlog JSON lines may set, is ignored), the time span widened; other metadata comes from the
    first session that has it; ``source_paths`` lists every file.

    Args:
        sessions: Sessions, e.g. from several :class:`FileResult` objects.

    Returns:
        One session per id, in order of first appearance; sessions that
        appear once are returned unchanged.

    Example:
        >>> merge_sessions([])
        []
    """
    groups: dict[Any, list[ImportedSession]] = {}
    for session in sessions:
        groups.setdefault(session.id, []).append(session)
    return [group[0] if len(group) == 1 else _merge(group) for group in groups.values()]
