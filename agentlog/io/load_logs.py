"""Import real agent logs (Claude Code, Codex CLI, OpenTelemetry, JSON lines) into a store.

:func:`import_logs` parses a file, or every log file under a folder, with
:mod:`agentlog.io.importers` (the format is detected from each file's content
unless given), converts the sessions (:mod:`agentlog.io.log_rows`) and loads
each file in one transaction (:mod:`agentlog.io.log_op`), parsing the next
file while the writer stores the previous one. Importing the same files
again adds nothing; a log that grew adds only its new events, and a file
that has not changed since an import stored it is not read again (see
:mod:`agentlog.io.log_files` for how that is judged).

A file that cannot be parsed or stored fails alone: the others still import
and the report lists it. (Given a single file, the error is raised.)

See :mod:`agentlog.io.log_op` for what lifecycle and ``ended_at`` an imported
session gets, and :mod:`agentlog.io.log_rows` for the fallback when a log has
no timestamps.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from agentlog.errors import AgentlogError, ImportFormatError, ValidationError
from agentlog.io.importers import iter_parse_path, iter_source_files
from agentlog.io.importers.detect import check_format
from agentlog.io.log_files import FileStamp, ImportedFile, unchanged_files
from agentlog.io.log_op import RUNNING_WINDOW, LoadCounts, LoadLogSessions
from agentlog.io.log_rows import prepare_sessions
from agentlog.io.progress import progress_bar
from agentlog.store import Store, require_open_store
from agentlog.wording import plural

__all__ = ["LogImportReport", "import_logs"]

_IN_FLIGHT = 2
"""Files handed to the writer and not yet committed (parsing overlaps storing)."""


@dataclass(slots=True)
class LogImportReport:
    """What :func:`import_logs` did.

    Attributes:
        path: The file or folder imported.
        files: Files imported (including ones that added nothing new and unchanged ones).
        unchanged: Files not read again: unchanged since an import stored them
            (see :mod:`agentlog.io.log_files`).
        sessions_created: New sessions.
        sessions_updated: Stored sessions that got new events or changed.
        events_inserted: New events.
        events_skipped: Events already stored (or repeated in a file).
        error_events: New events marking a failure: ``metadata["is_error"]`` or the type
            ``error_encountered`` (the definition :mod:`agentlog.analytics` counts).
        events_truncated: New events whose over-sized payload was shortened.
        failures: ``(file, error)`` for each file that failed.
        skipped: Files of a folder that are not agent logs.

    Example:
        >>> LogImportReport(Path("logs")).ok
        True
    """

    path: Path
    files: int = 0
    unchanged: int = 0
    sessions_created: int = 0
    sessions_updated: int = 0
    events_inserted: int = 0
    events_skipped: int = 0
    error_events: int = 0
    events_truncated: int = 0
    failures: list[tuple[Path, AgentlogError]] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No file failed.

        Example:
            >>> LogImportReport(Path("x"), failures=[(Path("a"), ImportFormatError("bad"))]).ok
            False
        """
        return not self.failures

    def add(self, counts: LoadCounts, truncated: int) -> None:
        """Count one imported file.

        Example:
            >>> r = LogImportReport(Path("x"))
            >>> r.add(LoadCounts(1, 0, 5, 0, 1), 0)
            >>> r.events_inserted, r.files
            (5, 1)
        """
        self.files += 1
        self.sessions_created += counts.sessions_created
        self.sessions_updated += counts.sessions_updated
        self.events_inserted += counts.events_inserted
        self.events_skipped += counts.events_skipped
        self.error_events += counts.error_events
        self.events_truncated += truncated

    def summary(self) -> str:
        """A few lines for people: totals, then each failure.

        Error events are called so: they are events that mark a failure, not errors of the import.

        Example:
            >>> print(LogImportReport(Path("logs")).summary())
            imported 0 files: 0 new sessions, 0 updated; 0 new events (0 error events), 0 already stored
            >>> one = LogImportReport(Path("logs"), files=1, sessions_created=1, events_inserted=3, error_events=1)
            >>> print(one.summary())
            imported 1 file: 1 new session, 0 updated; 3 new events (1 error event), 0 already stored
            >>> print(LogImportReport(Path("logs"), files=2, unchanged=1).summary().split(":")[0])
            imported 2 files (1 unchanged, not read again)
        """
        unchanged = f" ({self.unchanged:,} unchanged, not read again)" if self.unchanged else ""
        lines = [
            f"imported {plural(self.files, 'file')}{unchanged}: {plural(self.sessions_created, 'new session')}, "
            f"{self.sessions_updated:,} updated; {plural(self.events_inserted, 'new event')} "
            f"({plural(self.error_events, 'error event')}), {self.events_skipped:,} already stored"
        ]
        if self.events_truncated:
            payloads = "an over-sized payload" if self.events_truncated == 1 else "over-sized payloads"
            lines.append(f"{plural(self.events_truncated, 'event')} had {payloads} shortened")
        if self.skipped:
            lines.append(f"skipped {plural(len(self.skipped), 'file')} (not agent logs)")
        if self.failures:
            lines.append(f"failed {plural(len(self.failures), 'file')}:")
            lines.extend(f"  {_describe(path, error)}" for path, error in self.failures)
        return "\n".join(lines)


def import_logs(
    store: Store,
    path: str | Path,
    *,
    format: str = "auto",
    progress: bool | None = None,
    running_window: timedelta = RUNNING_WINDOW,
    reparse: bool = False,
) -> LogImportReport:
    r"""Import agent logs from a file or a folder tree.

    Args:
        store: An open store.
        path: A log file, or a folder walked recursively (e.g. ``~/.claude/projects``,
            ``~/.codex/sessions``).
        format: ``"auto"`` (detect each file from its content), ``"claude-code"``,
            ``"codex"``, ``"otel"`` or ``"jsonl"``.
        progress: Show a progress bar (``None``: when stderr is a terminal).
        running_window: A session whose last activity is this close to now is
            taken to be still running (``active``, no ``ended_at``); see
            :mod:`agentlog.io.log_op`. ``timedelta(0)``: every session has ended.
        reparse: Read every file, even one unchanged since an import stored it
            (which is left unread by default: see :mod:`agentlog.io.log_files`).

    Returns:
        The report: counts, failed files and skipped files.

    Raises:
        ImportFormatError: ``path`` does not exist, or it is a single file that
            cannot be parsed or stored (naming the line where that applies).
        ValidationError: Unknown ``format`` (``"parquet"``: use :func:`~agentlog.io.import_`), a
            negative ``running_window``, or a ``path`` that is not a path.

    Example:
        >>> import tempfile, json
        >>> log = Path(tempfile.mkdtemp()) / "bot.jsonl"
        >>> _ = log.write_text(json.dumps({"type": "session", "agent": "bot"}) + "\n"
        ...     + json.dumps({"type": "event", "event_type": "hello", "timestamp": "2026-01-01T00:00:00Z"}) + "\n")
        >>> with Store.memory(embedder=None) as store:
        ...     import_logs(store, log).events_inserted
        1
    """
    require_open_store(store)
    if format == "parquet":
        raise ValidationError(
            "format='parquet' is an agentlog dataset: restore it with agentlog.io.import_()", field="format"
        )
    check_format(format)
    if not isinstance(running_window, timedelta) or running_window < timedelta(0):
        raise ValidationError(
            f"running_window must be a timedelta >= 0, got {running_window!r}", field="running_window"
        )
    if not isinstance(reparse, bool):
        raise ValidationError(f"reparse must be True or False, got {reparse!r}", field="reparse")
    if not isinstance(path, str | os.PathLike):
        raise ValidationError(f"path must be a file or folder path, got {type(path).__name__}", field="path")
    root = Path(path).expanduser()
    single = not root.is_dir()  # a file, or a FIFO or device: its error is raised
    stamps = {file: FileStamp.of(file) for file in iter_source_files(root, format)}  # before anything is read
    unchanged = set() if reparse else store.read(lambda cursor: unchanged_files(cursor, stamps, format))
    report = LogImportReport(root, files=len(unchanged), unchanged=len(unchanged))
    pending: deque[tuple[Path, Future[Any], int]] = deque()
    with progress_bar(sum(_size(stamp) for stamp in stamps.values()), enabled=progress, desc="importing") as bar:
        bar.update(sum(_size(stamps[file]) for file in unchanged))
        for result in iter_parse_path(root, format, skip=unchanged):
            bar.update(_size(stamps.get(result.path)))
            if result.error is not None:
                _fail(report, result.path, result.error, single)
                continue
            if result.format is None:
                report.skipped.append(result.path)
                continue
            file, parsed_as = result.path, result.format
            try:
                prepared = prepare_sessions(result.sessions, file)
            except ImportFormatError as exc:
                _fail(report, file, exc, single)
                continue
            finally:
                del result  # the parsed objects go now, not after the next file is parsed
            imported = ImportedFile(file, parsed_as, stamps.get(file))
            future = store.submit(LoadLogSessions(tuple(prepared), running_window, imported))
            pending.append((file, future, sum(s.truncated for s in prepared)))
            del prepared  # kept by the op until it is stored
            while len(pending) > _IN_FLIGHT:
                _collect(report, *pending.popleft(), single)
        while pending:
            _collect(report, *pending.popleft(), single)
    return report


def _size(stamp: FileStamp | None) -> int:
    """A file's size for the progress bar; 0 when it has no stamp (the parse reports why)."""
    return 0 if stamp is None else stamp.size


def _describe(path: Path, error: AgentlogError) -> str:
    if isinstance(error, ImportFormatError) and error.path is not None:
        return str(error)  # names the file (and line) already
    return f"{path}: {error}"


def _fail(report: LogImportReport, path: Path, error: AgentlogError, single: bool) -> None:
    if single:
        raise error
    report.failures.append((path, error))


def _collect(report: LogImportReport, path: Path, future: Future[Any], truncated: int, single: bool) -> None:
    try:
        counts = future.result()
    except AgentlogError as exc:
        _fail(report, path, exc, single)
        return
    report.add(counts, truncated)
