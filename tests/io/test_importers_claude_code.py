"""Claude Code transcripts: real fixture facts and the format's traps."""

from __future__ import annotations

import shutil
import uuid
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from agentlog.errors import ImportFormatError
from agentlog.io.importers import claude_code, parse_path
from tests.io.support import fixture_dir, fixture_files, raw_lines, write_lines

FILES = fixture_files("claude-code", "*.jsonl")
SID = "3f0c7c2e-8d7e-4a57-9a55-1f4b2d9e6c10"


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _expected(path: Path) -> dict[str, Any]:
    """Facts of a transcript computed with plain json, not the importer."""
    lines = raw_lines(path)
    usage: dict[str, dict[str, int]] = {}
    tool_ids: dict[str, str] = {}
    errors = 0
    for _, rec in lines:
        msg: dict[str, Any] = rec["message"] if isinstance(rec.get("message"), dict) else {}
        content: list[Any] = msg["content"] if isinstance(msg.get("content"), list) else []
        if rec.get("type") == "assistant" and msg.get("usage"):
            seen = usage.setdefault(msg["id"], {})
            for key, value in msg["usage"].items():
                if isinstance(value, int):
                    seen[key] = max(seen.get(key, 0), value)
        for block in content:
            if block.get("type") == "tool_use":
                tool_ids[block["id"]] = block["name"]
            if block.get("type") == "tool_result" and block.get("is_error") is True:
                errors += 1
    stamps = [_ts(r["timestamp"]) for _, r in lines if "timestamp" in r]
    return {
        "session_ids": {r["sessionId"] for _, r in lines if "sessionId" in r},
        "count": len(lines),
        "types": Counter(r["type"] for _, r in lines),
        "no_timestamp": sum(1 for _, r in lines if "timestamp" not in r),
        "tokens": {
            "input": sum(u.get("input_tokens", 0) for u in usage.values()),
            "output": sum(u.get("output_tokens", 0) for u in usage.values()),
            "cache_read": sum(u.get("cache_read_input_tokens", 0) for u in usage.values()),
            "cache_creation": sum(u.get("cache_creation_input_tokens", 0) for u in usage.values()),
        },
        "messages": len(usage),
        "tools": dict(Counter(tool_ids.values())),
        "errors": errors,
        "first": min(stamps),
        "last": max(stamps),
        "models": {r["message"]["model"] for _, r in lines if r.get("type") == "assistant"},
        "uuids": [r.get("uuid") for _, r in lines],
        "records": [r for _, r in lines],
    }


@pytest.mark.parametrize("path", FILES, ids=[p.name[:8] for p in FILES])
def test_fixture_facts(path: Path) -> None:
    fixture_dir("claude-code")
    expected = _expected(path)
    sessions = claude_code.parse(path)
    assert len(sessions) == 1
    session = sessions[0]
    assert {str(session.id)} == expected["session_ids"]
    assert session.agent == "claude-code"
    assert len(session.events) == expected["count"]
    assert [e.event_data for e in session.events] == expected["records"]
    assert Counter(e.event_type.split(".")[0] for e in session.events) == expected["types"]
    assert sum(1 for e in session.events if e.timestamp is None) == expected["no_timestamp"]
    assert session.metadata["tokens"] == expected["tokens"]
    assert session.metadata["messages"] == expected["messages"]
    assert session.metadata["tools"] == expected["tools"]
    assert session.metadata["errors"] == expected["errors"]
    assert sum(1 for e in session.events if e.metadata.get("is_error")) == expected["errors"]
    assert session.started_at == expected["first"]
    assert session.ended_at == expected["last"]
    assert set(session.metadata["models"]) == expected["models"]
    assert session.metadata["model"] in expected["models"]
    for event, own in zip(session.events, expected["uuids"], strict=True):
        if own is not None:
            assert event.id == uuid.UUID(own)
    assert len({e.id for e in session.events}) == len(session.events)
    assert [e.metadata["line"] for e in session.events] == sorted(e.metadata["line"] for e in session.events)


def test_concrete_facts_of_the_larger_fixture() -> None:
    path = fixture_dir("claude-code") / "196820da-1026-4b6f-a513-a6aae42da1a6.jsonl"
    (session,) = claude_code.parse(path)
    assert len(session.events) == 233
    assert session.metadata["tokens"] == {
        "input": 6711,
        "output": 65263,
        "cache_read": 2560506,
        "cache_creation": 1473882,
    }
    assert session.metadata["errors"] == 2
    assert session.metadata["model"] == "claude-sonnet-4-5-20250929"
    assert session.started_at == datetime.fromisoformat("2026-01-08T20:53:23.465000+00:00")
    assert session.ended_at == datetime.fromisoformat("2026-01-08T21:38:58.720000+00:00")
    assert session.metadata["git_branch"] == "conversations"
    assert session.metadata["cli_version"] == "2.0.76"


def test_summaries_of_other_sessions_are_not_used() -> None:
    path = fixture_dir("claude-code") / "9eda1058-9706-484a-b992-d03f9cfa2546.jsonl"
    lines = raw_lines(path)
    uuids = {r.get("uuid") for _, r in lines}
    summaries = [r for _, r in lines if r["type"] == "summary"]
    assert summaries
    assert all(s["leafUuid"] not in uuids for s in summaries)
    (session,) = claude_code.parse(path)
    assert session.summary is None
    assert [e.metadata["leaf_in_file"] for e in session.events if e.event_type == "summary"] == [False] * len(summaries)


def _user(uid: str, ts: str | None, text: str = "hi", **extra: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "parentUuid": None,
        "isSidechain": False,
        "sessionId": SID,
        "type": "user",
        "message": {"role": "user", "content": text},
        "uuid": uid,
        "cwd": "/repo",
    }
    if ts is not None:
        rec["timestamp"] = ts
    rec.update(extra)
    return rec


def _assistant(uid: str, msg_id: str, block: dict[str, Any], output: int, **extra: Any) -> dict[str, Any]:
    rec = {
        "parentUuid": None,
        "isSidechain": False,
        "sessionId": SID,
        "type": "assistant",
        "uuid": uid,
        "timestamp": "2026-01-01T10:00:01.000Z",
        "message": {
            "id": msg_id,
            "model": "claude-x",
            "role": "assistant",
            "content": [block],
            "usage": {
                "input_tokens": 10,
                "output_tokens": output,
                "cache_read_input_tokens": 100,
                "cache_creation_input_tokens": 5,
            },
        },
    }
    rec.update(extra)
    return rec


def test_summary_whose_leaf_is_in_the_file_is_used(tmp_path: Path) -> None:
    leaf = str(uuid.uuid4())
    path = write_lines(
        tmp_path / "s.jsonl",
        [
            {"type": "summary", "summary": "Other session", "leafUuid": str(uuid.uuid4())},
            {"type": "summary", "summary": "This session", "leafUuid": leaf},
            _user(leaf, "2026-01-01T10:00:00Z"),
        ],
    )
    (session,) = claude_code.parse(path)
    assert session.summary == "This session"


def test_split_message_counts_tokens_once(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "s.jsonl",
        [
            _user(str(uuid.uuid4()), "2026-01-01T10:00:00Z"),
            _assistant(str(uuid.uuid4()), "msg_1", {"type": "thinking", "thinking": "..."}, 3),
            _assistant(str(uuid.uuid4()), "msg_1", {"type": "text", "text": "ok"}, 3),
            _assistant(
                str(uuid.uuid4()),
                "msg_1",
                {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}},
                50,
            ),
            _assistant(str(uuid.uuid4()), "msg_2", {"type": "text", "text": "done"}, 7),
        ],
    )
    (session,) = claude_code.parse(path)
    assert session.metadata["tokens"] == {
        "input": 20,
        "output": 57,
        "cache_read": 200,
        "cache_creation": 10,
    }
    assert session.metadata["messages"] == 2
    assert session.metadata["tools"] == {"Bash": 1}
    assert [e.event_type for e in session.events] == [
        "user",
        "assistant.thinking",
        "assistant.text",
        "assistant.tool_use",
        "assistant.text",
    ]


def test_tied_and_missing_timestamps_keep_file_order(tmp_path: Path) -> None:
    ids = [str(uuid.uuid4()) for _ in range(4)]
    path = write_lines(
        tmp_path / "s.jsonl",
        [
            _user(ids[0], "2026-01-01T10:00:00.500Z", "b"),
            _user(ids[1], "2026-01-01T10:00:00.500Z", "a"),
            {
                "type": "file-history-snapshot",
                "messageId": ids[0],
                "snapshot": {"timestamp": "2030-01-01T00:00:00Z"},
            },
            _user(ids[2], "2026-01-01T09:59:59Z", "earlier but later in file"),
            _user(ids[3], None, "no time"),
        ],
    )
    (session,) = claude_code.parse(path)
    assert [e.metadata["line"] for e in session.events] == [1, 2, 3, 4, 5]
    assert [str(e.id) for e in session.events if e.event_type == "user"] == ids
    assert session.events[2].timestamp is None  # not taken from snapshot.timestamp
    assert session.events[4].timestamp is None
    assert session.started_at == datetime.fromisoformat("2026-01-01T09:59:59+00:00")


def test_sidechain_records_stay_in_the_parent_session(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "s.jsonl",
        [
            _user(str(uuid.uuid4()), "2026-01-01T10:00:00Z"),
            _user(str(uuid.uuid4()), "2026-01-01T10:00:01Z", isSidechain=True, agentId="a1"),
        ],
    )
    (session,) = claude_code.parse(path)
    assert str(session.id) == SID
    assert session.events[1].metadata["is_sidechain"] is True
    assert session.events[1].metadata["agent_id"] == "a1"
    assert session.metadata["sidechain_events"] == 1
    assert session.metadata["subagents"] == ["a1"]


def test_tool_result_errors_and_tool_names(tmp_path: Path) -> None:
    result = {"type": "tool_result", "tool_use_id": "toolu_9", "is_error": True, "content": "x"}
    path = write_lines(
        tmp_path / "s.jsonl",
        [
            _assistant(
                str(uuid.uuid4()),
                "m",
                {"type": "tool_use", "id": "toolu_9", "name": "Edit", "input": {}},
                1,
            ),
            _user(str(uuid.uuid4()), "2026-01-01T10:00:02Z", text=[result]),  # type: ignore[arg-type]
        ],
    )
    (session,) = claude_code.parse(path)
    event = session.events[1]
    assert event.event_type == "user.tool_result"
    assert event.metadata["is_error"] is True
    assert event.metadata["tool"] == "Edit"
    assert session.metadata["errors"] == 1


def test_duplicate_and_missing_uuids_get_stable_derived_ids(tmp_path: Path) -> None:
    same = str(uuid.uuid4())
    path = write_lines(
        tmp_path / "s.jsonl",
        [
            _user(same, "2026-01-01T10:00:00Z"),
            _user(same, "2026-01-01T10:00:01Z", "again"),
            {
                "type": "queue-operation",
                "operation": "enqueue",
                "sessionId": SID,
                "timestamp": "2026-01-01T10:00:02Z",
            },
        ],
    )
    first = claude_code.parse(path)[0]
    again = claude_code.parse(path)[0]
    assert [e.id for e in first.events] == [e.id for e in again.events]
    assert first.events[0].id == uuid.UUID(same)
    assert first.events[1].id != uuid.UUID(same)
    assert first.events[1].metadata["duplicate_uuid"] == same
    assert first.events[2].event_type == "queue-operation.enqueue"


def test_file_without_session_id_uses_a_uuid_file_name(tmp_path: Path) -> None:
    name = str(uuid.uuid4())
    path = write_lines(
        tmp_path / f"{name}.jsonl",
        [
            {"type": "summary", "summary": "x", "leafUuid": "nope"},
        ],
    )
    (session,) = claude_code.parse(path)
    assert str(session.id) == name
    assert session.started_at is None


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"sessionId": "x"}', "type"),
        ('{"type": "user", "timestamp": 5}', "timestamp"),
        ('{"type": "user", "timestamp": "yesterday"}', "timestamp"),
        ('{"type": "user", "isSidechain": "no"}', "isSidechain"),
        ('{"type": "assistant", "message": "text"}', "message"),
        ('{"type": "user", "x": NaN}', "NaN"),
    ],
)
def test_broken_line_reports_its_line_number(tmp_path: Path, bad: str, message: str) -> None:
    path = write_lines(tmp_path / "s.jsonl", [_user(str(uuid.uuid4()), "2026-01-01T10:00:00Z"), "", bad])
    with pytest.raises(ImportFormatError, match=message) as info:
        claude_code.parse(path)
    assert info.value.line == 3
    assert info.value.path == str(path)


def test_broken_line_inside_a_real_transcript(tmp_path: Path) -> None:
    source = fixture_dir("claude-code") / "9eda1058-9706-484a-b992-d03f9cfa2546.jsonl"
    lines = source.read_text(encoding="utf-8").splitlines()
    lines[16] = lines[16][:-7]  # line 17, cut short
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ImportFormatError) as info:
        claude_code.parse(broken)
    assert info.value.line == 17


def test_projects_folder_tree_and_subagent_transcripts(tmp_path: Path) -> None:
    source = fixture_dir("claude-code")
    projects = tmp_path / ".claude" / "projects"
    for path in FILES:
        target = projects / "-Users-user-repo" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    parent_id = FILES[0].stem
    write_lines(
        projects / "-Users-user-repo" / parent_id / "subagents" / "agent-a1.jsonl",
        [
            {
                **_user(str(uuid.uuid4()), "2026-01-08T20:55:00Z", isSidechain=True, agentId="a1"),
                "sessionId": parent_id,
            },
        ],
    )
    (projects / "-Users-user-repo" / "notes.txt").write_text("not a log")
    result = parse_path(projects)
    assert result.ok
    assert not result.skipped
    assert sorted(str(s.id) for s in result.sessions) == sorted(p.stem for p in FILES)
    merged = next(s for s in result.sessions if str(s.id) == parent_id)
    expected = len(raw_lines(source / FILES[0].name)) + 1
    assert len(merged.events) == expected
    assert merged.events[-1].metadata["is_sidechain"] is True
    assert merged.metadata["subagents"] == ["a1"]
    assert len(merged.metadata["source_paths"]) == 2
    assert "sidechain_only" not in merged.metadata


def test_sniff_on_real_heads() -> None:
    fixture_dir("claude-code")
    for path in FILES:
        head = path.read_bytes()[:4096]
        assert claude_code.sniff(head)
        assert claude_code.sniff(head[:120])  # first line cut short
