r"""Parsers that turn real agent logs into normalised sessions and events.

Formats (one module each, each with ``parse(path)`` and ``sniff(head)``):

* ``claude-code``: Claude Code transcripts (:mod:`.claude_code`)
* ``codex``: OpenAI Codex CLI rollouts (:mod:`.codex`)
* ``otel``: OpenTelemetry GenAI traces, any-agent exports and OTLP/JSON (:mod:`.otel`)
* ``jsonl``: agentlog's own JSON-lines format for any other agent (:mod:`.jsonl`)

Parsing is pure: no database is touched. Ids are stable, so importing a file
again yields the same session and event ids.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from agentlog.io.importers import parse_path
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "my-bot.jsonl").write_text('{"type":"session","agent":"my-bot"}\n')
    >>> _ = (folder / "9eda1058-9706-484a-b992-d03f9cfa2546.jsonl").write_text(
    ...     '{"type":"user","sessionId":"9eda1058-9706-484a-b992-d03f9cfa2546",'
    ...     '"message":{"role":"user","content":"hi"}}\n'
    ... )
    >>> [(s.agent, s.metadata["format"]) for s in parse_path(folder).sessions]
    [('claude-code', 'claude-code'), ('my-bot', 'jsonl')]
"""

from agentlog.io.importers.api import (
    PARSERS,
    iter_parse_path,
    merge_sessions,
    parse_file,
    parse_path,
)
from agentlog.io.importers.detect import (
    FORMATS,
    HEAD_BYTES,
    LOG_SUFFIXES,
    detect_format,
    iter_source_files,
)
from agentlog.io.importers.model import (
    EVENT_TYPE_PATTERN,
    FileResult,
    ImportedEvent,
    ImportedSession,
    ParseResult,
)

__all__ = [
    "EVENT_TYPE_PATTERN",
    "FORMATS",
    "HEAD_BYTES",
    "LOG_SUFFIXES",
    "PARSERS",
    "FileResult",
    "ImportedEvent",
    "ImportedSession",
    "ParseResult",
    "detect_format",
    "iter_parse_path",
    "iter_source_files",
    "merge_sessions",
    "parse_file",
    "parse_path",
]
