"""The sample logs agentlog writes itself: one per format, each detected and imported as that format.

Expected facts (agent, session id, events, failures) are read from the written
files with plain ``json``, independently of the importers under test.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agentlog import Store, ValidationError, analytics
from agentlog.io import import_logs, write_sample_logs
from agentlog.io.importers import detect_format
from tests.conftest import snapshot
from tests.io.support import raw_lines

FORMATS = ["claude-code", "codex", "otel", "jsonl"]
"""The format of each returned file, in the documented order."""


def written_facts(path: Path, format: str) -> dict[str, Any]:
    """Agent, session id, event count and failures of one sample file, counted from its records."""
    if format == "otel":
        spans = json.loads(path.read_text(encoding="utf-8"))["spans"]
        (root,) = [s for s in spans if s["parent"]["span_id"] is None]
        return {
            "agent": root["attributes"]["gen_ai.agent.name"],
            "id": uuid.UUID(int=root["context"]["trace_id"]),
            "events": len(spans),
            "errors": sum(s["status"]["status_code"] == "error" for s in spans),
        }
    records = [record for _, record in raw_lines(path)]
    if format == "claude-code":
        blocks = [
            b for r in records if isinstance(r.get("message", {}).get("content"), list) for b in r["message"]["content"]
        ]
        (session,) = {r["sessionId"] for r in records if "sessionId" in r}
        errors = sum(b.get("type") == "tool_result" and b.get("is_error") is True for b in blocks)
        return {"agent": "claude-code", "id": uuid.UUID(session), "events": len(records), "errors": errors}
    if format == "codex":
        payloads = [r["payload"] for r in records]
        errors = sum(p.get("type") == "exec_command_end" and p["exit_code"] != 0 for p in payloads)
        (meta,) = [r["payload"] for r in records if r["type"] == "session_meta"]
        return {"agent": "codex", "id": uuid.UUID(meta["id"]), "events": len(records), "errors": errors}
    (head,) = [r for r in records if r["type"] == "session"]
    events = [r for r in records if r["type"] == "event"]
    errors = sum(
        e["event_type"] == "error_encountered" or e.get("metadata", {}).get("is_error") is True for e in events
    )
    return {"agent": head["agent"], "id": uuid.UUID(head["id"]), "events": len(events), "errors": errors}


def facts_of(files: list[Path]) -> list[dict[str, Any]]:
    """:func:`written_facts` of each returned file, with its format."""
    return [written_facts(path, format) | {"format": format} for path, format in zip(files, FORMATS, strict=True)]


@pytest.fixture
def sample(tmp_path: Path) -> tuple[Path, list[Path]]:
    folder = tmp_path / "sample"
    return folder, write_sample_logs(folder)


@pytest.fixture
def store() -> Iterator[Store]:
    with Store.memory(embedder=None) as opened:
        yield opened


def test_one_file_per_format_each_detected_as_that_format(sample: tuple[Path, list[Path]]) -> None:
    folder, files = sample
    assert sorted(p for p in folder.rglob("*") if p.is_file()) == sorted(files)
    assert [detect_format(path) for path in files] == FORMATS
    assert files[0].parent.relative_to(folder) == Path("claude", "projects", "-home-dev-shop-api")
    assert files[1].parent.relative_to(folder).parts[:2] == ("codex", "sessions")
    assert files[1].name.startswith("rollout-")
    for facts in facts_of(files):
        assert 5 <= facts["events"] <= 12, facts
        assert facts["errors"] == 1, facts
    agents = [facts["agent"] for facts in facts_of(files)]
    assert agents[:2] == ["claude-code", "codex"] and len(set(agents)) == 4


def test_import_gives_four_sessions_with_their_agents_events_and_one_error(
    sample: tuple[Path, list[Path]], store: Store
) -> None:
    folder, files = sample
    expected = {facts["id"]: facts for facts in facts_of(files)}
    report = import_logs(store, folder)
    assert report.ok and report.skipped == []
    assert (report.files, report.sessions_created, report.sessions_updated) == (4, 4, 0)
    assert report.events_inserted == sum(f["events"] for f in expected.values())
    assert report.error_events == 4 and report.events_skipped == 0
    rows = store.sql(
        "SELECT s.id, s.agent, s.metadata->>'format', count(e.id), "
        "count(e.id) FILTER (WHERE e.event_type = 'error_encountered' OR e.metadata->>'is_error' = 'true') "
        "FROM sessions s LEFT JOIN events e ON e.session_id = s.id GROUP BY ALL"
    ).fetchall()
    found = {row[0]: {"agent": row[1], "format": row[2], "events": row[3], "errors": row[4]} for row in rows}
    assert found == {sid: {k: f[k] for k in ("agent", "format", "events", "errors")} for sid, f in expected.items()}
    first, last = store.sql("SELECT min(timestamp), max(timestamp) FROM events").fetchall()[0]
    assert isinstance(first, datetime) and isinstance(last, datetime)
    by_agent = analytics.errors_by_agent(store, since=first, until=last + timedelta(seconds=1))
    assert dict(zip(by_agent["agent"], by_agent["errors"], strict=True)) == {f["agent"]: 1 for f in expected.values()}


def test_importing_twice_adds_nothing(sample: tuple[Path, list[Path]], store: Store) -> None:
    folder, _ = sample
    first = import_logs(store, folder)
    before = snapshot(store)
    again = import_logs(store, folder, reparse=True)
    assert (again.files, again.sessions_created, again.sessions_updated, again.events_inserted) == (4, 0, 0, 0)
    assert again.events_skipped == first.events_inserted and again.error_events == 0
    assert snapshot(store) == before


def test_the_same_bytes_every_time(tmp_path: Path, sample: tuple[Path, list[Path]]) -> None:
    folder, files = sample
    contents = {p.relative_to(folder): p.read_bytes() for p in files}
    other = write_sample_logs(tmp_path / "other")
    assert {p.relative_to(tmp_path / "other"): p.read_bytes() for p in other} == contents
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    assert write_sample_logs(folder) == files  # rewriting in place: same files, same bytes, the rest untouched
    assert {p.relative_to(folder): p.read_bytes() for p in files} == contents
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_bad_folder_is_rejected_and_nothing_written(tmp_path: Path) -> None:
    target = tmp_path / "a-file.jsonl"
    target.write_text("keep", encoding="utf-8")
    with pytest.raises(ValidationError, match="not a folder") as caught:
        write_sample_logs(target)
    assert caught.value.field == "folder"
    assert target.read_text(encoding="utf-8") == "keep" and sorted(tmp_path.iterdir()) == [target]
    for bad in (42, None, b"/tmp/x", ["logs"]):
        with pytest.raises(ValidationError, match="folder must be a path"):
            write_sample_logs(bad)  # type: ignore[arg-type]
    assert sorted(tmp_path.iterdir()) == [target]
