"""Codex CLI rollouts: real fixture facts and the format's traps."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from agentlog.errors import ImportFormatError
from agentlog.io.importers import codex
from tests.io.support import fixture_dir, fixture_files, raw_lines, write_lines

FILES = fixture_files("codex-cli", "rollout-*.jsonl")
SID = "019e0000-0000-7000-8000-000000000001"


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.mark.parametrize("path", FILES, ids=[p.name[-20:] for p in FILES])
def test_fixture_facts(path: Path) -> None:
    fixture_dir("codex-cli")
    lines = raw_lines(path)
    meta = next(r["payload"] for _, r in lines if r["type"] == "session_meta")
    totals = [
        r["payload"]["info"]["total_token_usage"]
        for _, r in lines
        if r["payload"].get("type") == "token_count" and r["payload"].get("info")
    ]
    failed = [
        r
        for _, r in lines
        if r["payload"].get("type") == "exec_command_end" and r["payload"].get("exit_code") not in (0, None)
    ]
    models = [r["payload"]["model"] for _, r in lines if r["type"] == "turn_context"]
    calls = Counter(
        r["payload"]["name"]
        for _, r in lines
        if r["type"] == "response_item" and r["payload"].get("type") in ("function_call", "custom_tool_call")
    )
    stamps = [_ts(r["timestamp"]) for _, r in lines] + [_ts(meta["timestamp"])]

    (session,) = codex.parse(path)
    assert str(session.id) == meta["id"]
    assert session.agent == "codex"
    assert len(session.events) == len(lines)
    assert [e.event_data for e in session.events] == [r for _, r in lines]
    expected_types = Counter(
        r["type"] if r["type"] in ("session_meta", "turn_context") else f"{r['type']}.{r['payload']['type']}"
        for _, r in lines
    )
    assert Counter(e.event_type for e in session.events) == expected_types
    last = totals[-1]
    assert session.metadata["tokens"] == {
        "input": last["input_tokens"],
        "cache_read": last["cached_input_tokens"],
        "output": last["output_tokens"],
        "reasoning": last["reasoning_output_tokens"],
        "total": last["total_tokens"],
    }
    assert session.metadata["errors"] == len(failed)
    flagged = [e for e in session.events if e.metadata.get("is_error")]
    assert [e.event_data for e in flagged] == failed
    assert session.metadata["model"] == Counter(models).most_common(1)[0][0]
    assert session.metadata["models"] == list(dict.fromkeys(models))
    for name, count in calls.items():
        assert session.metadata["tools"][name] == count
    assert session.started_at == min(stamps)
    assert session.ended_at == max(stamps)
    assert session.metadata["cwd"] == meta["cwd"]
    assert session.metadata["cli_version"] == meta["cli_version"]
    assert len({e.id for e in session.events}) == len(lines)


def test_concrete_facts_of_the_fixture() -> None:
    folder = fixture_dir("codex-cli")
    (session,) = codex.parse(folder / FILES[0].name)
    assert str(session.id) == "019e1625-789d-76c0-80ab-3724b5ddb799"
    assert len(session.events) == 386
    assert session.metadata["model"] == "gpt-5.5"
    assert session.metadata["tokens"]["total"] == 6064954
    assert session.metadata["tokens"]["input"] == 6055836
    assert session.metadata["errors"] == 4
    assert session.started_at == datetime.fromisoformat("2026-05-11T08:26:55.042000+00:00")
    assert session.ended_at == datetime.fromisoformat("2026-05-11T08:44:58.544000+00:00")
    assert session.metadata["git_branch"] == "feat/codex-agent-plugin"


def _line(ts: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"timestamp": ts, "type": kind, "payload": payload}


def _meta() -> dict[str, Any]:
    return _line(
        "2026-01-01T10:00:00.100Z",
        "session_meta",
        {"id": SID, "timestamp": "2026-01-01T10:00:00Z", "cwd": "/r", "cli_version": "0.1"},
    )


def _tokens(ts: str, total: int) -> dict[str, Any]:
    usage = {
        "input_tokens": total,
        "cached_input_tokens": 0,
        "output_tokens": 1,
        "reasoning_output_tokens": 0,
        "total_tokens": total + 1,
    }
    return _line(
        ts,
        "event_msg",
        {"type": "token_count", "info": {"total_token_usage": usage, "last_token_usage": usage}},
    )


def test_token_totals_are_cumulative_and_model_can_be_missing(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "r.jsonl",
        [
            _meta(),
            _line("2026-01-01T10:00:01Z", "turn_context", {"cwd": "/r"}),
            _tokens("2026-01-01T10:00:02Z", 100),
            _line("2026-01-01T10:00:03Z", "event_msg", {"type": "token_count", "info": None}),
            _tokens("2026-01-01T10:00:04Z", 250),
        ],
    )
    (session,) = codex.parse(path)
    assert session.metadata["tokens"]["input"] == 250
    assert "model" not in session.metadata
    assert session.metadata["models"] == []


def test_a_failed_call_counts_once_across_event_msg_and_response_item(tmp_path: Path) -> None:
    output = json.dumps({"output": "boom", "metadata": {"exit_code": 1}})
    path = write_lines(
        tmp_path / "r.jsonl",
        [
            _meta(),
            _line(
                "2026-01-01T10:00:01Z",
                "response_item",
                {"type": "function_call", "name": "shell", "arguments": "{}", "call_id": "c1"},
            ),
            _line(
                "2026-01-01T10:00:02Z",
                "event_msg",
                {"type": "exec_command_end", "call_id": "c1", "exit_code": 1},
            ),
            _line(
                "2026-01-01T10:00:02Z",
                "response_item",
                {"type": "function_call_output", "call_id": "c1", "output": output},
            ),
            _line(
                "2026-01-01T10:00:03Z",
                "event_msg",
                {"type": "patch_apply_end", "call_id": "c2", "success": False},
            ),
            _line("2026-01-01T10:00:04Z", "event_msg", {"type": "agent_message", "message": "hi"}),
            _line(
                "2026-01-01T10:00:04Z",
                "response_item",
                {"type": "message", "role": "assistant", "content": [{"text": "hi"}]},
            ),
        ],
    )
    (session,) = codex.parse(path)
    flags = [bool(e.metadata.get("is_error")) for e in session.events]
    assert flags == [False, False, True, True, True, False, False]
    assert session.metadata["errors"] == 2
    assert session.metadata["tools"] == {"shell": 1}
    assert session.events[2].metadata["tool"] == "shell"
    assert session.events[2].metadata["exit_code"] == 1
    assert session.events[6].metadata["role"] == "assistant"


def test_ids_are_stable_and_depend_on_content(tmp_path: Path) -> None:
    records = [
        _meta(),
        _line("2026-01-01T10:00:01Z", "event_msg", {"type": "user_message", "message": "a"}),
    ]
    first = codex.parse(write_lines(tmp_path / "a.jsonl", records))[0]
    again = codex.parse(write_lines(tmp_path / "b.jsonl", records))[0]
    assert [e.id for e in first.events] == [e.id for e in again.events]
    records[1]["payload"]["message"] = "b"
    changed = codex.parse(write_lines(tmp_path / "c.jsonl", records))[0]
    assert changed.events[0].id == first.events[0].id
    assert changed.events[1].id != first.events[1].id
    assert first.id == uuid.UUID(SID)


@pytest.mark.parametrize(
    ("records", "line", "message"),
    [
        ([_line("2026-01-01T10:00:01Z", "event_msg", {"type": "x"})], 1, "session_meta"),
        ([_meta(), {"type": "event_msg", "payload": {}}], 2, "timestamp"),
        ([_meta(), {"timestamp": "2026-01-01T10:00:00Z", "type": "event_msg"}], 2, "payload"),
        ([_meta(), {"timestamp": "2026-01-01T10:00:00Z", "payload": {}}], 2, "type"),
        ([_line("2026-01-01T10:00:01Z", "session_meta", {"cwd": "/"})], 1, "id"),
        ([_meta(), "{oops"], 2, "invalid JSON"),
    ],
)
def test_broken_input_is_reported_with_its_line(tmp_path: Path, records: list[Any], line: int, message: str) -> None:
    path = write_lines(tmp_path / "r.jsonl", records)
    with pytest.raises(ImportFormatError, match=message) as info:
        codex.parse(path)
    assert info.value.line == line


def test_empty_file_has_no_sessions(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n")
    assert codex.parse(path) == []


def test_sniff_reads_a_cut_first_line() -> None:
    fixture_dir("codex-cli")
    head = FILES[0].read_bytes()[:4096]
    assert b"\n" not in head  # the real first line is longer than the head
    assert codex.sniff(head)
