"""Real agent logs into the store: facts of each fixture file, computed here with plain json."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agentlog import Store
from agentlog.io import import_logs
from tests.conftest import snapshot
from tests.io.support import fixture_dir, fixture_files, raw_lines

CLAUDE = fixture_files("claude-code", "*.jsonl")
CODEX = fixture_files("codex-cli", "rollout-*.jsonl")
OTEL = fixture_files("otel-genai", "*_trace.json")


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def ns(value: int) -> datetime:
    return datetime.fromtimestamp(value // 1000 // 1_000_000, tz=UTC).replace(microsecond=value // 1000 % 1_000_000)


def claude_facts(path: Path) -> dict[str, Any]:
    lines = raw_lines(path)
    usage: dict[str, dict[str, int]] = {}
    errors = 0
    for _, rec in lines:
        msg = rec.get("message") if isinstance(rec.get("message"), dict) else {}
        blocks = (
            [b for b in msg.get("content", []) if isinstance(b, dict)] if isinstance(msg.get("content"), list) else []
        )
        if rec.get("type") == "assistant" and isinstance(msg.get("usage"), dict) and msg.get("model") != "<synthetic>":
            seen = usage.setdefault(msg["id"], {})
            for key, value in msg["usage"].items():
                if isinstance(value, int):
                    seen[key] = max(seen.get(key, 0), value)
        failed = any(b.get("type") == "tool_result" and b.get("is_error") is True for b in blocks)
        api = rec.get("isApiErrorMessage") is True or (
            rec.get("type") == "system" and (rec.get("level") == "error" or rec.get("subtype") == "api_error")
        )
        errors += failed or api
    stamps = [ts(r["timestamp"]) for _, r in lines if "timestamp" in r]
    total = {k: sum(u.get(k, 0) for u in usage.values()) for k in ("input_tokens", "output_tokens")}
    total |= {
        k: sum(u.get(k, 0) for u in usage.values()) for k in ("cache_read_input_tokens", "cache_creation_input_tokens")
    }
    return {
        "id": uuid.UUID(next(r["sessionId"] for _, r in lines if "sessionId" in r)),
        "agent": "claude-code",
        "records": [r for _, r in lines],
        "types": Counter(r["type"] for _, r in lines),
        "type_of": lambda event_type: event_type.split(".")[0],
        "tokens": {
            "input": total["input_tokens"],
            "output": total["output_tokens"],
            "cache_read": total["cache_read_input_tokens"],
            "cache_creation": total["cache_creation_input_tokens"],
        },
        "errors": errors,
        "first": min(stamps),
        "last": max(stamps),
    }


def codex_facts(path: Path) -> dict[str, Any]:
    lines = raw_lines(path)
    meta = next(r["payload"] for _, r in lines if r["type"] == "session_meta")
    last = [
        r["payload"]["info"]["total_token_usage"]
        for _, r in lines
        if r["payload"].get("type") == "token_count" and r["payload"].get("info")
    ][-1]

    def failed(rec: dict[str, Any]) -> bool:
        p = rec["payload"]
        return (
            (p.get("type") == "exec_command_end" and p.get("exit_code") not in (0, None))
            or (p.get("type") == "patch_apply_end" and p.get("success") is False)
            or (rec["type"] == "event_msg" and p.get("type") == "error")
        )

    stamps = [ts(r["timestamp"]) for _, r in lines] + [ts(meta["timestamp"])]
    return {
        "id": uuid.UUID(meta["id"]),
        "agent": "codex",
        "records": [r for _, r in lines],
        "types": Counter(
            r["type"] if r["type"] in ("session_meta", "turn_context") else f"{r['type']}.{r['payload']['type']}"
            for _, r in lines
        ),
        "type_of": lambda event_type: event_type,
        "tokens": {
            "input": last["input_tokens"],
            "cache_read": last["cached_input_tokens"],
            "output": last["output_tokens"],
            "reasoning": last["reasoning_output_tokens"],
            "total": last["total_tokens"],
        },
        "errors": sum(1 for _, r in lines if failed(r)),
        "first": min(stamps),
        "last": max(stamps),
    }


def otel_facts(path: Path) -> dict[str, Any]:
    doc = json.loads(path.read_text())  # exact Python ints
    spans = doc["spans"]
    root = next(s for s in spans if s["parent"]["span_id"] is None)
    llm = [s["attributes"] for s in spans if s["attributes"]["gen_ai.operation.name"] == "call_llm"]
    return {
        "id": uuid.UUID(int=spans[0]["context"]["trace_id"]),
        "agent": root["attributes"]["gen_ai.agent.name"],
        "records": None,
        "names": [s["name"] for s in spans],
        "types": Counter(s["attributes"]["gen_ai.operation.name"] for s in spans),
        "type_of": lambda event_type: event_type,
        "tokens": {
            "input": sum(a["gen_ai.usage.input_tokens"] for a in llm),
            "output": sum(a["gen_ai.usage.output_tokens"] for a in llm),
        },
        "errors": sum(1 for s in spans if s["status"]["status_code"] == "error"),
        "first": ns(min(s["start_time"] for s in spans)),
        "last": ns(max(s["end_time"] for s in spans)),
    }


CASES = [(p, claude_facts) for p in CLAUDE] + [(p, codex_facts) for p in CODEX] + [(p, otel_facts) for p in OTEL]


def stored_session(store: Store, session_id: uuid.UUID) -> dict[str, Any]:
    row = store.sql(
        "SELECT agent, lifecycle, started_at, ended_at, metadata FROM sessions WHERE id = ?", [session_id]
    ).fetchall()
    assert len(row) == 1, f"session {session_id} not stored once"
    agent, lifecycle, started, ended, metadata = row[0]
    events = store.sql(
        "SELECT seq, event_type, event_data, metadata FROM events WHERE session_id = ? ORDER BY seq", [session_id]
    ).fetchall()
    return {
        "agent": agent,
        "lifecycle": lifecycle,
        "started_at": started,
        "ended_at": ended,
        "metadata": json.loads(metadata),
        "seqs": [e[0] for e in events],
        "types": [e[1] for e in events],
        "data": [json.loads(e[2]) for e in events],
        "errors": sum(1 for e in events if json.loads(e[3]).get("is_error") is True),
    }


@pytest.mark.parametrize(("path", "facts"), CASES, ids=[p.name[:24] for p, _ in CASES])
def test_each_fixture_file_lands_in_the_store(store: Store, path: Path, facts: Any) -> None:
    fixture_dir()
    expected = facts(path)
    report = import_logs(store, path)
    assert report.ok and report.files == 1 and report.sessions_created == 1
    got = stored_session(store, expected["id"])
    assert got["agent"] == expected["agent"]
    assert got["seqs"] == list(range(1, sum(expected["types"].values()) + 1))  # source order, 1..n
    assert Counter(expected["type_of"](t) for t in got["types"]) == expected["types"]
    if expected["records"] is not None:
        assert got["data"] == expected["records"]  # the raw records, in file order
    else:
        assert [d["name"] for d in got["data"]] == expected["names"]
    assert got["metadata"]["tokens"] == expected["tokens"]
    assert got["errors"] == report.error_events == expected["errors"]
    assert got["metadata"]["errors"] == expected["errors"]
    assert (got["started_at"], got["ended_at"]) == (expected["first"], expected["last"])
    assert got["lifecycle"] == "terminated"  # these logs are months old
    assert report.events_inserted == len(got["seqs"])


def test_concrete_facts_of_the_fixtures(store: Store) -> None:
    report = import_logs(store, fixture_dir())
    assert (report.files, report.sessions_created, report.events_inserted) == (7, 7, 685)
    assert report.error_events == 7 and not report.failures and not report.skipped
    codex = stored_session(store, uuid.UUID("019e1625-789d-76c0-80ab-3724b5ddb799"))
    assert len(codex["seqs"]) == 386 and codex["errors"] == 4
    assert codex["metadata"]["tokens"]["total"] == 6_064_954
    claude = stored_session(store, uuid.UUID("196820da-1026-4b6f-a513-a6aae42da1a6"))
    assert len(claude["seqs"]) == 233 and claude["errors"] == 2
    assert claude["started_at"] == datetime(2026, 1, 8, 20, 53, 23, 465000, tzinfo=UTC)


def test_importing_again_adds_nothing(store: Store) -> None:
    first = import_logs(store, fixture_dir())
    before = snapshot(store)
    again = import_logs(store, fixture_dir(), reparse=True)  # every file read and stored again
    assert snapshot(store) == before
    assert (again.files, again.unchanged) == (first.files, 0)
    assert (again.sessions_created, again.sessions_updated, again.events_inserted) == (0, 0, 0)
    assert again.events_skipped == first.events_inserted
    unread = import_logs(store, fixture_dir())  # the default: unchanged files are not read
    assert snapshot(store) == before
    assert (unread.files, unread.unchanged) == (first.files, first.files)
    assert (unread.events_inserted, unread.events_skipped) == (0, 0)


def test_imported_rows_reach_the_vector_index(tmp_path: Path) -> None:
    with Store(tmp_path / "s", embedder="fake") as store:
        report = import_logs(store, fixture_dir("otel-genai"))
        store.wait_for_index(timeout=60)
        assert store.index is not None
        assert store.index.tables.count("events") == report.events_inserted == 26
