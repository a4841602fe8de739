r"""Claude Code transcripts (``~/.claude/projects/<encoded-cwd>/<sessionId>.jsonl``).

One JSON object per line; every line becomes one event, in file order.

Event types (``type`` of the line, refined where it helps):

=========================  =====================================================
line                       ``event_type``
=========================  =====================================================
``user`` with tool_result  ``user.tool_result``
``user`` (prompt, command) ``user``
``assistant``              ``assistant.tool_use`` / ``assistant.text`` /
                           ``assistant.thinking`` (by content block, tool_use
                           first), else ``assistant.<block type>`` or
                           ``assistant``
``system``                 ``system.<subtype>`` (``system.turn_duration``...)
``progress``               ``progress.<data.type>`` or ``progress``
``queue-operation``        ``queue-operation.<operation>`` (``...enqueue``)
anything else              its ``type`` (``summary``, ``file-history-snapshot``)
=========================  =====================================================

Sessions and ids:

* Session id = ``sessionId`` (a UUID; other strings give a stable ``uuid5``).
  A file may hold several sessions; lines whose ``sessionId`` spells the same
  UUID differently (upper or lower case) belong to one. Subagent records (``isSidechain: true``)
  carry the parent's ``sessionId`` and stay in that session, flagged with
  ``metadata["is_sidechain"]`` (and ``agent_id``).
* Lines without ``sessionId`` (``summary``, ``file-history-snapshot``) go to
  the session of the record they point at (``leafUuid`` / ``messageId``) when
  it is in the file, else to the file's session (the first ``sessionId`` in
  the file; for a file with none, the file name when it is a UUID).
* Event id = the line's ``uuid``; lines without one (or repeating one already
  seen in the file) get a ``uuid5`` of (format, session id, line number,
  content hash).
* A ``summary`` line is used as the session summary only when its
  ``leafUuid`` is a ``uuid`` in this file (Claude Code writes summaries of
  *other* sessions too); the last such line wins.
* Timestamps: the line's ``timestamp`` or ``None`` (never taken from nested
  fields such as ``snapshot.timestamp``). Ties keep file order.

Session metadata: ``format``, ``source_path``, ``cwd``, ``git_branch``,
``cli_version`` (``version``), ``slug``, ``models``/``model`` (most used;
``<synthetic>`` ignored), ``tokens`` (``input``, ``output``, ``cache_read``,
``cache_creation``: one API response is split over several lines sharing
``message.id``, so usage is counted once per id, taking each field's maximum),
``messages`` (distinct API responses), ``tools`` (``tool_use`` blocks, once
per block id), ``errors`` (``tool_result`` blocks with ``is_error: true``,
``isApiErrorMessage`` lines and ``system`` lines with ``level: "error"`` or
subtype ``api_error``; each such event has ``metadata["is_error"]``),
``sidechain_events``, ``subagents``, ``sidechain_only`` (the file is a
subagent transcript).

Event metadata: ``line``, and where they apply ``message_id``, ``model``,
``tool`` (for a tool_result, the name of the tool_use it answers),
``tool_use_ids``/``tool_use_id``, ``is_error``, ``is_sidechain``,
``agent_id``, ``is_meta``, ``leaf_in_file`` (summaries), ``duplicate_uuid``.

Example:
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp(), "9eda1058-9706-484a-b992-d03f9cfa2546.jsonl")
    >>> _ = path.write_text(
    ...     '{"type":"assistant","sessionId":"9eda1058-9706-484a-b992-d03f9cfa2546","message":{"id":"msg_01",'
    ...     '"content":[{"type":"tool_use","id":"toolu_01","name":"Bash","input":{"command":"ls"}}]}}\n'
    ...     '{"type":"user","sessionId":"9eda1058-9706-484a-b992-d03f9cfa2546","message":{"role":"user",'
    ...     '"content":[{"type":"tool_result","tool_use_id":"toolu_01","is_error":true}]}}\n'
    ... )
    >>> session = parse(path)[0]
    >>> session.agent, [e.event_type for e in session.events], session.metadata["errors"]
    ('claude-code', ['assistant.tool_use', 'user.tool_result'], 1)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from agentlog.errors import ImportFormatError
from agentlog.io.importers import _common as c
from agentlog.io.importers.model import ImportedEvent, ImportedSession

__all__ = ["AGENT", "FORMAT", "parse", "sniff"]

FORMAT = "claude-code"
"""The format name used by :func:`~agentlog.io.importers.detect_format`."""
AGENT = "claude-code"
"""The ``agent`` of every session this importer makes."""

_MESSAGE_TYPES = frozenset({"user", "assistant", "system", "summary", "progress", "tag"})
_KNOWN_TYPES = _MESSAGE_TYPES | {"file-history-snapshot", "queue-operation", "custom-title"}
_MARKER_KEYS = ("sessionId", "leafUuid", "messageId", "parentUuid", "uuid")
_BLOCK_PRIORITY = ("tool_use", "text", "thinking", "redacted_thinking")
_FACTS = {"cwd": "cwd", "gitBranch": "git_branch", "version": "cli_version", "slug": "slug"}
_USAGE_FIELDS = {
    "input_tokens": "input",
    "output_tokens": "output",
    "cache_read_input_tokens": "cache_read",
    "cache_creation_input_tokens": "cache_creation",
}


def sniff(head: bytes | str) -> bool:
    r"""Whether the start of a file looks like a Claude Code transcript.

    Args:
        head: The first bytes of the file (a few KB; the last line may be cut).

    Example:
        >>> sniff(b'{"type":"summary","summary":"x","leafUuid":"a"}\n')
        True
        >>> sniff(b'{"timestamp":"t","type":"session_meta","payload":{}}\n')
        False
    """
    records, partial = c.head_records(head)
    if records:
        return _looks_like_line(records[0])
    return partial is not None and _looks_like_line(c.leading_scalars(partial))


def _looks_like_line(record: dict[str, Any]) -> bool:
    if "payload" in record:
        return False
    kind = record.get("type")
    if isinstance(kind, str) and kind in _KNOWN_TYPES and any(k in record for k in _MARKER_KEYS):
        return True
    return "sessionId" in record and "parentUuid" in record


@dataclass(slots=True)
class _Line:
    number: int
    record: dict[str, Any]
    event_type: str
    timestamp: datetime | None
    metadata: dict[str, Any]
    session_key: str | None
    ref: str | None
    source_id: uuid.UUID | None
    content_digest: str | None
    error_keys: tuple[str, ...]


@dataclass(slots=True)
class _Session:
    key: str
    lines: list[_Line] = field(default_factory=list)
    summary: str | None = None


def _blocks(message: dict[str, Any] | None) -> list[dict[str, Any]]:
    if message is None:
        return []
    content = message.get("content")
    if not isinstance(content, list):
        return []
    return [b for b in content if isinstance(b, dict)]


def _classify(record: dict[str, Any], message: dict[str, Any] | None) -> str:
    kind: str = record["type"]
    if kind == "user":
        blocks = _blocks(message)
        if any(b.get("type") == "tool_result" for b in blocks):
            return "user.tool_result"
        return "user"
    if kind == "assistant":
        types = [b.get("type") for b in _blocks(message) if isinstance(b.get("type"), str)]
        for wanted in _BLOCK_PRIORITY:
            if wanted in types:
                return "assistant.thinking" if wanted == "redacted_thinking" else f"assistant.{wanted}"
        return c.event_type("assistant", types[0]) if types else "assistant"
    if kind == "system":
        return c.event_type("system", record.get("subtype"))
    if kind == "progress":
        data = record.get("data")
        return c.event_type("progress", data.get("type") if isinstance(data, dict) else None)
    if kind == "queue-operation":
        return c.event_type("queue-operation", record.get("operation"))
    return c.event_type(kind)


def _check(record: dict[str, Any], key: str, kind: type, what: str, *, path: Path, line: int) -> Any:
    value = record.get(key)
    if value is not None and not isinstance(value, kind):
        raise ImportFormatError(f"{key!r} must be {what}, got {c.type_name(value)}", path=path, line=line)
    return value


def _read_line(
    number: int,
    raw: bytes,
    record: dict[str, Any],
    *,
    path: Path,
    seen_ids: set[uuid.UUID],
    tool_names: dict[str, str],
) -> _Line:
    kind = record.get("type")
    if not isinstance(kind, str) or not kind:
        raise ImportFormatError("missing 'type' (a non-empty string)", path=path, line=number)
    session_key = _check(record, "sessionId", str, "a string", path=path, line=number)
    own_id = _check(record, "uuid", str, "a string", path=path, line=number)
    sidechain = _check(record, "isSidechain", bool, "a boolean", path=path, line=number)
    message = _check(record, "message", dict, "an object", path=path, line=number)
    timestamp = c.parse_timestamp(record.get("timestamp"), path=path, line=number)

    meta: dict[str, Any] = {"line": number}
    if sidechain:
        meta["is_sidechain"] = True
        if isinstance(record.get("agentId"), str):
            meta["agent_id"] = record["agentId"]
    if record.get("isMeta") is True:
        meta["is_meta"] = True
    if message is not None:
        if isinstance(message.get("id"), str):
            meta["message_id"] = message["id"]
        if isinstance(message.get("model"), str) and message["model"] != "<synthetic>":
            meta["model"] = message["model"]
    blocks = _blocks(message)
    uses = [b for b in blocks if b.get("type") == "tool_use" and isinstance(b.get("name"), str)]
    if uses:
        meta["tool"] = uses[0]["name"]
        ids = [b["id"] for b in uses if isinstance(b.get("id"), str)]
        meta["tool_use_ids"] = ids
        for block in uses:
            if isinstance(block.get("id"), str):
                tool_names[block["id"]] = block["name"]
    results = [b for b in blocks if b.get("type") == "tool_result"]
    errors: list[str] = []
    if results:
        use_id = results[0].get("tool_use_id")
        if isinstance(use_id, str):
            meta["tool_use_id"] = use_id
            if use_id in tool_names:
                meta["tool"] = tool_names[use_id]
        for index, block in enumerate(results):
            if block.get("is_error") is True:
                failed = block.get("tool_use_id")
                errors.append(f"tool_result:{failed}" if isinstance(failed, str) else f"line:{number}:{index}")
    api_error = kind == "system" and (record.get("level") == "error" or record.get("subtype") == "api_error")
    if record.get("isApiErrorMessage") is True or api_error:
        errors.append(f"line:{number}")
    if errors:
        meta["is_error"] = True

    ref = None
    if kind == "summary":
        ref = _check(record, "leafUuid", str, "a string", path=path, line=number)
        _check(record, "summary", str, "a string", path=path, line=number)
    elif isinstance(record.get("messageId"), str):
        ref = record["messageId"]

    source_id = c.as_uuid(own_id)
    content_digest = None
    if source_id is None or source_id in seen_ids:
        if source_id is not None:
            meta["duplicate_uuid"] = str(source_id)
        source_id = None
        content_digest = c.digest(raw)
    else:
        seen_ids.add(source_id)
    return _Line(
        number,
        record,
        _classify(record, message),
        timestamp,
        meta,
        session_key,
        ref,
        source_id,
        content_digest,
        tuple(errors),
    )


def parse(path: Path) -> list[ImportedSession]:
    r"""Parse one Claude Code transcript into sessions (usually one).

    Args:
        path: A ``.jsonl`` transcript.

    Returns:
        The sessions of the file, in order of first appearance.

    Raises:
        ImportFormatError: The file cannot be read, or a line is not valid JSON,
            has no ``type``, or has a field of the wrong type (the error carries
            the 1-based line number).

    Example:
        One API response split over two lines (same ``message.id``) counts its tokens once:

        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp(), "9eda1058-9706-484a-b992-d03f9cfa2546.jsonl")
        >>> _ = path.write_text(
        ...     '{"type":"assistant","sessionId":"9eda1058-9706-484a-b992-d03f9cfa2546","message":{"id":"msg_01",'
        ...     '"content":[{"type":"thinking","thinking":"..."}],"usage":{"input_tokens":12,"output_tokens":30}}}\n'
        ...     '{"type":"assistant","sessionId":"9eda1058-9706-484a-b992-d03f9cfa2546","message":{"id":"msg_01",'
        ...     '"content":[{"type":"text","text":"Done."}],"usage":{"input_tokens":12,"output_tokens":30}}}\n'
        ... )
        >>> session = parse(path)[0]
        >>> len(session.events), session.metadata["messages"], session.metadata["tokens"]
        (2, 1, {'input': 12, 'output': 30})
    """
    seen_ids: set[uuid.UUID] = set()
    tool_names: dict[str, str] = {}
    lines = [
        _read_line(number, raw, record, path=path, seen_ids=seen_ids, tool_names=tool_names)
        for number, raw, record in c.iter_json_lines(path)
    ]
    if not lines:
        return []

    owner: dict[str, str] = {}
    file_key: str | None = None
    for item in lines:
        if item.session_key is not None:
            file_key = file_key or item.session_key
            own = item.record.get("uuid")
            if isinstance(own, str):
                owner.setdefault(own, item.session_key)
    if file_key is None:
        file_key = path.stem if c.as_uuid(path.stem) else f"file:{path.name}"

    sessions: dict[uuid.UUID, _Session] = {}
    for item in lines:
        key = item.session_key
        if key is None:
            key = owner.get(item.ref, file_key) if item.ref is not None else file_key
        # grouped by the session id the key becomes: two spellings of one UUID are one session
        session = sessions.setdefault(c.session_uuid(FORMAT, key), _Session(key))
        session.lines.append(item)
        if item.record["type"] == "summary":
            in_file = item.ref in owner
            item.metadata["leaf_in_file"] = in_file
            if in_file:
                session.summary = item.record.get("summary")
    return [_build(session, path) for session in sessions.values()]


def _build(session: _Session, path: Path) -> ImportedSession:
    session_id = c.session_uuid(FORMAT, session.key)
    totals = c.Totals()
    usage: dict[str, dict[str, int]] = {}
    message_models: dict[str, str] = {}
    tool_blocks: set[str] = set()
    facts: dict[str, Any] = {}
    sidechain = 0
    subagents: list[str] = []
    events: list[ImportedEvent] = []
    for item in session.lines:
        record, meta = item.record, item.metadata
        totals.see_time(item.timestamp)
        for key, name in _FACTS.items():
            if name not in facts and isinstance(record.get(key), str) and record[key]:
                facts[name] = record[key]
        if meta.get("is_sidechain"):
            sidechain += 1
            agent_id = meta.get("agent_id")
            if agent_id is not None and agent_id not in subagents:
                subagents.append(agent_id)
        message = record.get("message")
        if record["type"] == "assistant" and isinstance(message, dict):
            message_key = meta.get("message_id") or f"line:{item.number}"
            if "model" in meta:
                message_models[message_key] = meta["model"]
            raw_usage = message.get("usage")
            if isinstance(raw_usage, dict) and message.get("model") != "<synthetic>":
                counted = usage.setdefault(message_key, {})
                for source, name in _USAGE_FIELDS.items():
                    value = c.as_int(raw_usage.get(source))
                    if value is not None:
                        counted[name] = max(counted.get(name, 0), value)
            for block in _blocks(message):
                if block.get("type") == "tool_use" and isinstance(block.get("name"), str):
                    block_key = block.get("id") if isinstance(block.get("id"), str) else None
                    if block_key is None or block_key not in tool_blocks:
                        if block_key is not None:
                            tool_blocks.add(block_key)
                        totals.tools[block["name"]] += 1
        for key in item.error_keys:
            totals.error(key)
        event_id = item.source_id or c.derived_uuid(FORMAT, session_id, item.number, item.content_digest or "")
        events.append(ImportedEvent(event_id, item.event_type, record, meta, item.timestamp))
    for model in message_models.values():
        totals.models[model] += 1
    for counted in usage.values():
        totals.add_tokens(counted)
    metadata: dict[str, Any] = {"format": FORMAT, "source_path": str(path), **facts}
    metadata.update(totals.metadata())
    metadata["messages"] = len(message_models.keys() | usage.keys())
    metadata["sidechain_events"] = sidechain
    if subagents:
        metadata["subagents"] = subagents
    conversational = [i for i in session.lines if i.record["type"] in ("user", "assistant")]
    if conversational and all(i.metadata.get("is_sidechain") for i in conversational):
        metadata["sidechain_only"] = True
    return ImportedSession(
        id=session_id,
        agent=AGENT,
        started_at=totals.first,
        ended_at=totals.last,
        summary=session.summary,
        metadata=metadata,
        events=tuple(events),
    )
