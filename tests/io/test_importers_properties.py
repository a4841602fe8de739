"""Property tests (any input gives sessions or ImportFormatError), idempotence, model, docs."""

from __future__ import annotations

import doctest
import json
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentlog.errors import ImportFormatError, ValidationError
from agentlog.io import importers
from agentlog.io.importers import (
    ImportedEvent,
    ImportedSession,
    _common,
    api,
    claude_code,
    codex,
    detect,
    jsonl,
    model,
    otel,
    parse_path,
)
from tests.io.support import DATA, fixture_dir

PARSERS = {
    "claude-code": claude_code.parse,
    "codex": codex.parse,
    "otel": otel.parse,
    "jsonl": jsonl.parse,
}

KEYS = [
    "type",
    "sessionId",
    "uuid",
    "timestamp",
    "message",
    "payload",
    "isSidechain",
    "summary",
    "leafUuid",
    "messageId",
    "content",
    "usage",
    "id",
    "model",
    "name",
    "is_error",
    "info",
    "total_token_usage",
    "exit_code",
    "call_id",
    "spans",
    "context",
    "trace_id",
    "span_id",
    "parent",
    "start_time",
    "attributes",
    "status",
    "resourceSpans",
    "scopeSpans",
    "traceId",
    "spanId",
    "intValue",
    "agent",
    "event_type",
    "session_id",
    "event_data",
]
VALUES = [
    "user",
    "assistant",
    "summary",
    "system",
    "session_meta",
    "event_msg",
    "response_item",
    "turn_context",
    "token_count",
    "exec_command_end",
    "tool_use",
    "tool_result",
    "session",
    "event",
    "2026-01-01T00:00:00Z",
    "not a time",
    "3f0c7c2e-8d7e-4a57-9a55-1f4b2d9e6c10",
    "0001-01-01T00:00:00+01:00",
    "2026-01-01T00:00:00",
    " ",
    "",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**130), max_value=2**130)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(VALUES)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=6),
    max_leaves=20,
)
records = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8)
garbage_line = st.one_of(
    records.map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=40),
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
)


def _check(parse: Any, text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.jsonl"
        if isinstance(text, str):
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        else:
            path.write_bytes(text)
        error: ImportFormatError | None = None
        sessions: list[ImportedSession] = []
        try:
            sessions = parse(path)
        except ImportFormatError as exc:
            error = exc
        if error is not None:
            assert error.path == str(path)
        for session in sessions:
            assert isinstance(session, ImportedSession)
            json.dumps(session.metadata)
            for event in session.events:
                json.dumps(event.event_data)
                json.dumps(event.metadata, default=str)


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(garbage_line, min_size=1, max_size=6))
def test_any_lines_give_sessions_or_import_format_error(name: str, lines: list[str]) -> None:
    _check(PARSERS[name], "\n".join(lines) + "\n")


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=100, deadline=None)
@given(doc=json_values)
def test_any_json_document_gives_sessions_or_import_format_error(name: str, doc: Any) -> None:
    _check(PARSERS[name], json.dumps(doc, indent=1))


SID = "3f0c7c2e-8d7e-4a57-9a55-1f4b2d9e6c10"
TEMPLATES: dict[str, list[dict[str, Any]]] = {
    "claude-code": [
        {"type": "summary", "summary": "s", "leafUuid": SID},
        {
            "type": "assistant",
            "sessionId": SID,
            "uuid": SID,
            "timestamp": "2026-01-01T00:00:00Z",
            "isSidechain": True,
            "agentId": "a",
            "message": {
                "id": "m",
                "model": "x",
                "usage": {"input_tokens": 1, "output_tokens": 2},
                "content": [{"type": "tool_use", "id": "t", "name": "Bash", "input": {}}],
            },
        },
        {
            "type": "user",
            "sessionId": SID,
            "uuid": SID,
            "timestamp": "2026-01-01T00:00:01Z",
            "message": {"content": [{"type": "tool_result", "tool_use_id": "t", "is_error": True}]},
        },
        {"type": "system", "subtype": "turn_duration", "sessionId": SID},
        {"type": "progress", "data": {"type": "hook_progress"}, "sessionId": SID},
        {"type": "file-history-snapshot", "messageId": SID, "snapshot": {}},
    ],
    "codex": [
        {
            "timestamp": "2026-01-01T00:00:00Z",
            "type": "session_meta",
            "payload": {"id": SID, "timestamp": "2026-01-01T00:00:00Z", "git": {"branch": "b"}},
        },
        {"timestamp": "2026-01-01T00:00:01Z", "type": "turn_context", "payload": {"model": "m"}},
        {
            "timestamp": "2026-01-01T00:00:02Z",
            "type": "response_item",
            "payload": {"type": "function_call", "name": "shell", "call_id": "c"},
        },
        {
            "timestamp": "2026-01-01T00:00:03Z",
            "type": "response_item",
            "payload": {
                "type": "function_call_output",
                "call_id": "c",
                "output": '{"metadata": {"exit_code": 1}}',
            },
        },
        {
            "timestamp": "2026-01-01T00:00:04Z",
            "type": "event_msg",
            "payload": {"type": "exec_command_end", "call_id": "c", "exit_code": 2},
        },
        {
            "timestamp": "2026-01-01T00:00:05Z",
            "type": "event_msg",
            "payload": {"type": "token_count", "info": {"total_token_usage": {"input_tokens": 5}}},
        },
        {
            "timestamp": "2026-01-01T00:00:06Z",
            "type": "event_msg",
            "payload": {"type": "mcp_tool_call_end", "result": {"Ok": {"isError": True}}},
        },
    ],
    "jsonl": [
        {"type": "session", "agent": "a", "id": SID, "metadata": {}},
        {"type": "event", "event_type": "e", "session_id": SID, "timestamp": None},
    ],
}
OTEL_TEMPLATE: dict[str, Any] = {
    "spans": [
        {
            "name": "call_llm",
            "context": {"trace_id": 2**127 + 5, "span_id": 2**63 + 1},
            "parent": {"trace_id": None, "span_id": 2**63 + 2},
            "start_time": 10,
            "end_time": 20,
            "status": {"status_code": "error"},
            "attributes": {
                "gen_ai.operation.name": "call_llm",
                "gen_ai.usage.input_tokens": 3,
                "gen_ai.usage.input_cost": 0.5,
                "gen_ai.request.model": "m",
            },
            "resource": {"attributes": {"service.name": "svc"}},
        },
        {
            "name": "invoke_agent",
            "context": {"trace_id": 2**127 + 5, "span_id": 2**63 + 2},
            "parent": None,
            "start_time": 5,
            "end_time": 25,
            "attributes": {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": "x",
                "gen_ai.tool.name": "t",
            },
        },
    ],
    "final_output": "done",
}


def _mutate(data: st.DataObject, value: Any, depth: int = 0) -> Any:
    """Replace one randomly chosen member somewhere inside ``value`` by a random JSON value."""
    if isinstance(value, dict) and value and depth < 6:
        key = data.draw(st.sampled_from(sorted(value)))
        action = data.draw(st.sampled_from(["replace", "descend", "delete"]))
        out = dict(value)
        if action == "replace":
            out[key] = data.draw(json_values)
        elif action == "delete":
            del out[key]
        else:
            out[key] = _mutate(data, value[key], depth + 1)
        return out
    if isinstance(value, list) and value and depth < 6:
        index = data.draw(st.integers(0, len(value) - 1))
        out_list = list(value)
        out_list[index] = _mutate(data, value[index], depth + 1)
        return out_list
    return data.draw(json_values)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_mutated_valid_records_give_sessions_or_import_format_error(name: str, data: st.DataObject) -> None:
    lines = list(TEMPLATES[name])
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.integers(0, len(lines) - 1))
        lines[index] = _mutate(data, lines[index])
    _check(PARSERS[name], "\n".join(json.dumps(r) for r in lines) + "\n")


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_mutated_trace_gives_sessions_or_import_format_error(data: st.DataObject) -> None:
    doc = OTEL_TEMPLATE
    for _ in range(data.draw(st.integers(1, 3))):
        doc = _mutate(data, doc)
    _check(otel.parse, json.dumps(doc))


def test_templates_are_valid() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name, lines in TEMPLATES.items():
            path = Path(folder) / f"{name}.jsonl"
            path.write_text("\n".join(json.dumps(r) for r in lines) + "\n")
            assert PARSERS[name](path)
        path = Path(folder) / "t.json"
        path.write_text(json.dumps(OTEL_TEMPLATE))
        (session,) = otel.parse(path)
        assert session.metadata["errors"] == 1
        assert session.agent == "x"


@settings(max_examples=150, deadline=None)
@given(head=st.binary(max_size=300))
def test_sniffers_never_raise(head: bytes) -> None:
    for sniff in (claude_code.sniff, codex.sniff, otel.sniff, jsonl.sniff):
        assert sniff(head) in (True, False)


def test_lone_surrogates_and_big_ints_are_made_storable(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(
        '{"type": "user", "sessionId": "3f0c7c2e-8d7e-4a57-9a55-1f4b2d9e6c10", '
        '"message": {"content": "cut \\ud83d"}, "n": 123456789012345678901234567890}\n'
    )
    (session,) = claude_code.parse(path)
    data = session.events[0].event_data
    assert data["message"]["content"] == "cut \ufffd"
    assert data["n"] == "123456789012345678901234567890"
    data_json = json.dumps(data, ensure_ascii=False)
    data_json.encode("utf-8")


def test_parsing_every_fixture_twice_gives_identical_ids() -> None:
    root = fixture_dir()
    first = parse_path(root)
    again = parse_path(root)
    assert first.ok
    assert [s.id for s in first.sessions] == [s.id for s in again.sessions]
    assert [e.id for s in first.sessions for e in s.events] == [e.id for s in again.sessions for e in s.events]
    all_ids = [e.id for s in first.sessions for e in s.events]
    assert len(all_ids) == len(set(all_ids))
    for session in first.sessions:
        json.dumps(session.metadata)
        for event in session.events:
            assert model.EVENT_TYPE_PATTERN.match(event.event_type)
            assert event.timestamp is None or event.timestamp.utcoffset() is not None
            json.dumps(event.event_data)


def test_model_rejects_bad_values() -> None:
    with pytest.raises(ValidationError, match="event_type"):
        ImportedEvent(uuid.uuid4(), "no spaces", {}, {}, None)
    with pytest.raises(ValidationError, match="timezone"):
        ImportedEvent(uuid.uuid4(), "ok", {}, {}, datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match="agent"):
        ImportedSession(uuid.uuid4(), " ", None, None, None, {}, ())


def test_event_type_helper_always_gives_a_valid_type() -> None:
    for parts in [("a b", "c/d"), ("",), ("9lives",), ("é",), ("x" * 300,), ("ok", None)]:
        assert model.EVENT_TYPE_PATTERN.match(_common.event_type(*parts))


@pytest.mark.parametrize("module", [importers, model, api, detect, claude_code, codex, otel, jsonl])
def test_docstring_examples_run(module: Any) -> None:
    failures, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert attempted > 0, "no examples: the test would pass whatever the module did"
    assert failures == 0


def test_own_otlp_fixture_is_valid_json() -> None:
    json.loads((DATA / "otlp_trace.json").read_text())
