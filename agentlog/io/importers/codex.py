r"""OpenAI Codex CLI rollouts (``~/.codex/sessions/YYYY/MM/DD/rollout-<ts>-<uuid>.jsonl``).

Every line is ``{"timestamp", "type", "payload"}`` and becomes one event, in
file order. A file is one session, named by its first ``session_meta`` line.

Event types:

====================================  ==========================================
line                                  ``event_type``
====================================  ==========================================
``session_meta``                      ``session_meta``
``turn_context``                      ``turn_context``
``response_item`` (payload type X)    ``response_item.X`` (``.message``,
                                      ``.reasoning``, ``.function_call``,
                                      ``.function_call_output``,
                                      ``.custom_tool_call``...)
``event_msg`` (payload type X)        ``event_msg.X`` (``.user_message``,
                                      ``.agent_message``, ``.token_count``,
                                      ``.exec_command_end``...)
anything else                         its ``type`` (``compacted``), plus
                                      ``.X`` when the payload has a type
====================================  ==========================================

Ids: session id = ``session_meta.payload.id`` (a UUID; other strings give a
stable ``uuid5``). Lines have no id of their own, so event ids are ``uuid5``
of (format, session id, line number, content hash).

Failures (``metadata["is_error"]``): ``exec_command_end`` with a non-zero
``exit_code`` (or ``status: "failed"``), ``patch_apply_end`` with
``success: false``, ``mcp_tool_call_end`` with an error result, ``event_msg``
of type ``error``, and tool outputs whose JSON ``metadata.exit_code`` is
non-zero (older rollouts). The same call can show as both an ``event_msg``
and a ``response_item``, so ``metadata["errors"]`` counts failed calls once
per ``call_id``.

Session metadata: ``format``, ``source_path``, ``cwd``, ``originator``,
``cli_version``, ``source``, ``model_provider``, ``git_branch``,
``git_commit``, ``git_repository``, ``models``/``model`` (from
``turn_context.model``; absent when no line names one, never guessed),
``tokens`` (the *last* ``token_count`` total: ``input`` (which in Codex
includes cached input), ``cache_read``, ``output``, ``reasoning``, ``total``;
totals are cumulative, so they are never summed), ``tools`` (calls from
``response_item`` only, once per ``call_id``, so the matching ``event_msg``
is not counted twice), ``errors``. ``started_at`` also considers
``session_meta.payload.timestamp`` (when the session was created).

Example:
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp(), "rollout-2026-05-11T11-26-55.jsonl")
    >>> _ = path.write_text(
    ...     '{"timestamp":"2026-05-11T08:26:55Z","type":"session_meta",'
    ...     '"payload":{"id":"019e1625-789d-76c0-80ab-3724b5ddb799","cwd":"/work/app"}}\n'
    ...     '{"timestamp":"2026-05-11T08:27:20Z","type":"event_msg","payload":{"type":"user_message","message":"hi"}}\n'
    ... )
    >>> session = parse(path)[0]
    >>> session.agent, [e.event_type for e in session.events]
    ('codex', ['session_meta', 'event_msg.user_message'])
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from agentlog.errors import ImportFormatError
from agentlog.io.importers import _common as c
from agentlog.io.importers.model import ImportedEvent, ImportedSession

__all__ = ["AGENT", "FORMAT", "parse", "sniff"]

FORMAT = "codex"
"""The format name used by :func:`~agentlog.io.importers.detect_format`."""
AGENT = "codex"
"""The ``agent`` of every session this importer makes."""

_KNOWN_TYPES = frozenset({"session_meta", "turn_context", "response_item", "event_msg", "compacted"})
_TOKEN_FIELDS = {
    "input_tokens": "input",
    "cached_input_tokens": "cache_read",
    "output_tokens": "output",
    "reasoning_output_tokens": "reasoning",
    "total_tokens": "total",
}
_GIT_FIELDS = {
    "branch": "git_branch",
    "commit_hash": "git_commit",
    "repository_url": "git_repository",
}
_META_FIELDS = ("cwd", "originator", "cli_version", "source", "model_provider")


def sniff(head: bytes | str) -> bool:
    r"""Whether the start of a file looks like a Codex rollout.

    Args:
        head: The first bytes of the file (a few KB; the last line may be cut).

    Example:
        >>> sniff(b'{"timestamp":"2026-01-01T00:00:00Z","type":"session_meta","payload":{"id')
        True
        >>> sniff(b'{"type":"user","sessionId":"x"}\n')
        False
    """
    records, partial = c.head_records(head)
    if records:
        first = records[0]
        return _known(first.get("type")) and "timestamp" in first and isinstance(first.get("payload"), dict)
    if partial is None:
        return False
    leading = c.leading_scalars(partial)
    return _known(leading.get("type")) and "timestamp" in leading


def _known(kind: object) -> bool:
    """Whether a line's ``type`` is a Codex line type (any JSON value may be there: a list is not hashable)."""
    return isinstance(kind, str) and kind in _KNOWN_TYPES


@dataclass(slots=True)
class _Line:
    number: int
    record: dict[str, Any]
    event_type: str
    timestamp: datetime | None
    metadata: dict[str, Any]
    content_digest: str
    error_key: str | None


def _output_exit_code(output: object) -> int | None:
    """``metadata.exit_code`` of a JSON tool output string (older rollouts)."""
    if not isinstance(output, str) or not output.startswith("{"):
        return None
    try:
        parsed = c.loads(output)
    except (ValueError, RecursionError):
        return None
    meta = parsed.get("metadata") if isinstance(parsed, dict) else None
    return c.as_int(meta.get("exit_code")) if isinstance(meta, dict) else None


def _failed(kind: str, ptype: object, payload: dict[str, Any]) -> bool:
    if kind == "event_msg":
        if ptype == "exec_command_end":
            code = c.as_int(payload.get("exit_code"))
            return (code is not None and code != 0) or payload.get("status") == "failed"
        if ptype == "patch_apply_end":
            return payload.get("success") is False
        if ptype == "mcp_tool_call_end":
            result = payload.get("result")
            if isinstance(result, dict):
                ok = result.get("Ok")
                return "Err" in result or (isinstance(ok, dict) and ok.get("isError") is True)
            return False
        return ptype == "error"
    if kind == "response_item" and ptype in ("function_call_output", "custom_tool_call_output"):
        code = _output_exit_code(payload.get("output"))
        return code is not None and code != 0
    return False


def _read_line(number: int, raw: bytes, record: dict[str, Any], *, path: Path, tool_names: dict[str, str]) -> _Line:
    kind = record.get("type")
    if not isinstance(kind, str) or not kind:
        raise ImportFormatError("missing 'type' (a non-empty string)", path=path, line=number)
    if "timestamp" not in record:
        raise ImportFormatError("missing 'timestamp'", path=path, line=number)
    timestamp = c.parse_timestamp(record["timestamp"], path=path, line=number)
    payload = record.get("payload")
    if not isinstance(payload, dict):
        raise ImportFormatError(f"'payload' must be an object, got {c.type_name(payload)}", path=path, line=number)
    ptype = payload.get("type")
    if kind in ("session_meta", "turn_context"):
        etype = kind
    else:
        etype = c.event_type(kind, ptype if isinstance(ptype, str) else None)

    meta: dict[str, Any] = {"line": number}
    for key in ("turn_id", "call_id", "role"):
        if isinstance(payload.get(key), str):
            meta[key] = payload[key]
    call_id = meta.get("call_id")
    if kind == "turn_context" and isinstance(payload.get("model"), str):
        meta["model"] = payload["model"]
    if kind == "response_item" and isinstance(ptype, str) and ptype.endswith("_call"):
        given = payload.get("name")
        name = given if isinstance(given, str) and given else ptype[:-5]
        meta["tool"] = name
        if call_id is not None:
            tool_names.setdefault(call_id, name)
    elif call_id is not None and call_id in tool_names:
        meta["tool"] = tool_names[call_id]
    if ptype == "exec_command_end" and c.as_int(payload.get("exit_code")) is not None:
        meta["exit_code"] = payload["exit_code"]
    error_key = None
    if _failed(kind, ptype, payload):
        meta["is_error"] = True
        error_key = f"call:{call_id}" if call_id is not None else f"line:{number}"
    return _Line(number, record, etype, timestamp, meta, c.digest(raw), error_key)


def parse(path: Path) -> list[ImportedSession]:
    r"""Parse one Codex rollout into its session.

    Args:
        path: A ``rollout-*.jsonl`` file.

    Returns:
        One session (or none for an empty file).

    Raises:
        ImportFormatError: The file cannot be read; a line is not valid JSON,
            lacks ``timestamp``/``type``/``payload`` or has them of the wrong
            type; or the file has no ``session_meta`` line with an ``id``.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp(), "rollout-2026-05-11T11-26-55.jsonl")
        >>> _ = path.write_text(
        ...     '{"timestamp":"2026-05-11T08:26:55Z","type":"session_meta",'
        ...     '"payload":{"id":"019e1625-789d-76c0-80ab-3724b5ddb799"}}\n'
        ...     '{"timestamp":"2026-05-11T08:27:18Z","type":"turn_context","payload":{"model":"gpt-5.5"}}\n'
        ...     '{"timestamp":"2026-05-11T08:27:27Z","type":"event_msg",'
        ...     '"payload":{"type":"exec_command_end","call_id":"call_1","exit_code":1}}\n'
        ... )
        >>> session = parse(path)[0]
        >>> session.metadata["model"], session.metadata["errors"]
        ('gpt-5.5', 1)
    """
    tool_names: dict[str, str] = {}
    lines: list[_Line] = []
    meta_line: _Line | None = None
    for number, raw, record in c.iter_json_lines(path):
        item = _read_line(number, raw, record, path=path, tool_names=tool_names)
        lines.append(item)
        if meta_line is None and record["type"] == "session_meta":
            if not isinstance(record["payload"].get("id"), str) or not record["payload"]["id"]:
                raise ImportFormatError("session_meta has no 'id' string", path=path, line=number)
            meta_line = item
    if not lines:
        return []
    if meta_line is None:
        raise ImportFormatError("no session_meta line: not a complete Codex rollout", path=path, line=lines[0].number)

    meta_payload: dict[str, Any] = meta_line.record["payload"]
    session_id = c.session_uuid(FORMAT, meta_payload["id"])
    metadata: dict[str, Any] = {"format": FORMAT, "source_path": str(path)}
    for key in _META_FIELDS:
        if isinstance(meta_payload.get(key), str):
            metadata[key] = meta_payload[key]
    git = meta_payload.get("git")
    if isinstance(git, dict):
        for key, name in _GIT_FIELDS.items():
            if isinstance(git.get(key), str):
                metadata[name] = git[key]

    totals = c.Totals()
    totals.see_time(
        c.parse_timestamp(
            meta_payload.get("timestamp"),
            path=path,
            line=meta_line.number,
            where="session_meta.payload.timestamp",
        )
    )
    counted_calls: set[str] = set()
    last_usage: dict[str, int] | None = None
    events: list[ImportedEvent] = []
    for item in lines:
        totals.see_time(item.timestamp)
        payload = item.record["payload"]
        if "model" in item.metadata:
            totals.models[item.metadata["model"]] += 1
        if item.record["type"] == "response_item" and "tool" in item.metadata:
            call_id = item.metadata.get("call_id")
            if call_id is None or call_id not in counted_calls:
                totals.tools[item.metadata["tool"]] += 1
                if call_id is not None:
                    counted_calls.add(call_id)
        if item.error_key is not None:
            totals.error(item.error_key)
        if payload.get("type") == "token_count" and isinstance(payload.get("info"), dict):
            total = payload["info"].get("total_token_usage")
            if isinstance(total, dict):
                last_usage = {
                    name: value
                    for source, name in _TOKEN_FIELDS.items()
                    if (value := c.as_int(total.get(source))) is not None
                }
        event_id = c.derived_uuid(FORMAT, session_id, item.number, item.content_digest)
        events.append(ImportedEvent(event_id, item.event_type, item.record, item.metadata, item.timestamp))
    if last_usage:
        totals.add_tokens(last_usage)
    metadata.update(totals.metadata())
    return [
        ImportedSession(
            id=session_id,
            agent=AGENT,
            started_at=totals.first,
            ended_at=totals.last,
            summary=None,
            metadata=metadata,
            events=tuple(events),
        )
    ]
