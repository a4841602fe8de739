"""Logs that grow, sessions split over files, running sessions, missing times, bad and huge records."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agentlog import ImportFormatError, SessionService, Store, ValidationError
from agentlog.io import import_logs
from tests.conftest import snapshot
from tests.io.support import fixture_dir, write_lines
from tests.io.test_load_logs import claude_facts, stored_session

SID = uuid.UUID("0b6f3c1e-2f59-4d4c-a3de-0b7e7d1f8a10")
CLAUDE_ID = uuid.UUID("196820da-1026-4b6f-a513-a6aae42da1a6")


def claude_lines() -> list[str]:
    path = fixture_dir("claude-code") / f"{CLAUDE_ID}.jsonl"
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def events_of(store: Store, session_id: uuid.UUID) -> list[tuple[Any, ...]]:
    return store.sql(
        "SELECT id, seq, event_type, event_data, timestamp FROM events WHERE session_id = ? ORDER BY seq", [session_id]
    ).fetchall()


def jsonl(path: Path, events: list[dict[str, Any]], **session: Any) -> Path:
    records: list[Any] = [{"type": "session", "id": str(SID), "agent": "bot", **session}]
    records += [{"type": "event", "event_data": {}, **e} for e in events]
    return write_lines(path, records)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def test_a_log_that_grew_adds_only_its_new_events(tmp_path: Path) -> None:
    lines = claude_lines()
    log = tmp_path / "logs" / f"{CLAUDE_ID}.jsonl"
    write_lines(log, lines[:100])
    with Store.memory() as grown, Store.memory() as whole:
        first = import_logs(grown, log)
        assert first.events_inserted == 100
        write_lines(log, lines)  # the agent kept writing
        second = import_logs(grown, log)
        assert (second.sessions_created, second.sessions_updated) == (0, 1)
        assert (second.events_inserted, second.events_skipped) == (len(lines) - 100, 100)
        import_logs(whole, log)
        assert events_of(grown, CLAUDE_ID) == events_of(whole, CLAUDE_ID)  # same ids, seq 1..n, data
        a, b = stored_session(grown, CLAUDE_ID), stored_session(whole, CLAUDE_ID)
        assert a["metadata"] == b["metadata"]
        assert a["metadata"]["tokens"] == claude_facts(log)["tokens"]
        assert (a["started_at"], a["ended_at"]) == (b["started_at"], b["ended_at"])


def test_a_session_split_over_files_is_one_session(tmp_path: Path) -> None:
    lines = claude_lines()
    folder = tmp_path / "project"
    main = write_lines(folder / f"{CLAUDE_ID}.jsonl", lines[:120])
    sub = write_lines(folder / str(CLAUDE_ID) / "subagents" / "agent-1.jsonl", lines[120:])
    expected = {
        k: claude_facts(main)["tokens"][k] + claude_facts(sub)["tokens"][k] for k in claude_facts(main)["tokens"]
    }
    with Store.memory() as store:
        report = import_logs(store, folder)
        assert (report.files, report.sessions_created, report.sessions_updated) == (2, 1, 1)
        got = stored_session(store, CLAUDE_ID)
        assert got["seqs"] == list(range(1, len(lines) + 1))
        assert got["data"] == [json.loads(line) for line in lines]  # the main file's events, then the subagent's
        assert got["metadata"]["tokens"] == expected
        sources = got["metadata"]["import_sources"]  # each file's facts, keyed by its first event
        assert [facts["source_path"] for facts in sources.values()] == [str(main), str(sub)]
        first_events = [row[0] for row in events_of(store, CLAUDE_ID) if row[1] in (1, 121)]
        assert list(sources) == [str(event_id) for event_id in first_events]
        assert got["metadata"]["source_paths"] == [str(main), str(sub)]
        before = snapshot(store)
        import_logs(store, folder)  # again: tokens are not counted twice
        import_logs(store, sub)
        assert snapshot(store) == before


async def test_a_recent_log_is_a_running_session_until_it_goes_quiet(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    last = now - timedelta(minutes=1)
    log = jsonl(tmp_path / "bot.jsonl", [{"event_type": "a", "timestamp": iso(now - timedelta(minutes=3))}])
    with Store.memory() as store:
        import_logs(store, log)
        service = SessionService(store)
        active = await service.get_active_sessions()
        assert [s["id"] for s in active] == [SID] and active[0]["lifecycle"] == "active"
        assert active[0]["ended_at"] is None
        jsonl(
            log,
            [
                {"event_type": "a", "timestamp": iso(now - timedelta(minutes=3))},
                {"event_type": "b", "timestamp": iso(last)},
            ],
        )
        report = import_logs(store, log, running_window=timedelta(0))  # as if time passed: it went quiet
        assert (report.events_inserted, report.sessions_updated) == (1, 1)
        session = await service.get_session(SID)
        assert session is not None
        assert session["lifecycle"] == "terminated"
        assert session["ended_at"] == last.isoformat(timespec="microseconds")
        assert [e["seq"] for e in session["events"]] == [1, 2]
        assert await service.get_active_sessions() == []


def test_an_archived_session_stays_archived(tmp_path: Path) -> None:
    log = jsonl(tmp_path / "bot.jsonl", [{"event_type": "a", "timestamp": "2026-01-01T00:00:00Z"}])
    with Store.memory() as store:
        import_logs(store, log)
        import asyncio

        asyncio.run(SessionService(store).update_lifecycle(SID, "archived"))
        jsonl(log, [{"event_type": "a", "timestamp": "2026-01-01T00:00:00Z"}, {"event_type": "b"}])
        import_logs(store, log)
        assert store.sql("SELECT lifecycle FROM sessions").fetchall() == [("archived",)]
        assert len(events_of(store, SID)) == 2


def test_a_log_without_timestamps_takes_the_file_time(tmp_path: Path) -> None:
    log = jsonl(tmp_path / "bot.jsonl", [{"event_type": "a"}, {"event_type": "b"}])
    written = datetime(2025, 6, 1, 12, 30, 15, 250000, tzinfo=UTC)
    os.utime(log, (written.timestamp(), written.timestamp()))
    with Store.memory() as store:
        import_logs(store, log)
        got = stored_session(store, SID)
        assert (got["started_at"], got["ended_at"], got["lifecycle"]) == (written, written, "terminated")
        assert got["metadata"]["started_at_estimated"] == "file_mtime"
        assert [e[4] for e in events_of(store, SID)] == [None, None]  # events keep their missing time


def test_an_oversized_payload_is_shortened_not_fatal(tmp_path: Path) -> None:
    picture = "iVBORw0KGgo" * 200_000  # a pasted screenshot: 2.2 MB of base64
    log = jsonl(
        tmp_path / "bot.jsonl",
        [{"event_type": "user", "event_data": {"image": picture, "caption": "the bug"}}, {"event_type": "ok"}],
    )
    with Store.memory() as store:
        report = import_logs(store, log)
        assert (report.events_inserted, report.events_truncated) == (2, 1)
        data, metadata = store.sql("SELECT event_data, metadata FROM events WHERE seq = 1").fetchall()[0]
        assert json.loads(data) == {
            "image": f"[truncated by agentlog import: {len(picture) + 2} bytes]",
            "caption": "the bug",
        }
        assert json.loads(metadata)["truncated_bytes"] > 2_000_000
        assert "shortened" in report.summary()


def deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels):
        value = {"x": value}
    return value


def test_bad_files_fail_alone_in_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    good = jsonl(folder / "a-good.jsonl", [{"event_type": "a", "timestamp": "2026-01-01T00:00:00Z"}])
    claude_line = {"type": "user", "sessionId": str(uuid.uuid4()), "uuid": str(uuid.uuid4()), "parentUuid": None}
    too_deep = write_lines(
        folder / "b-deep.jsonl",
        [claude_line, claude_line | {"uuid": str(uuid.uuid4()), "message": deep(40)}],
    )
    deep_jsonl = write_lines(
        tmp_path / "deep.jsonl",
        [{"type": "session", "agent": "deep"}, {"type": "event", "event_type": "x", "event_data": deep(40)}],
    )
    broken = write_lines(folder / "c-broken.jsonl", [{"type": "session", "agent": "b"}, {"type": "event"}, "{nope"])
    notes = write_lines(folder / "notes.json", [{"hello": "world"}])
    with Store.memory() as store:
        report = import_logs(store, folder)
        assert report.files == 1 and report.events_inserted == 1 and not report.ok
        assert report.skipped == [notes.resolve()]
        failures = {path.name: error for path, error in report.failures}
        assert sorted(failures) == ["b-deep.jsonl", "c-broken.jsonl"]
        deep_error, broken_error = failures["b-deep.jsonl"], failures["c-broken.jsonl"]
        assert isinstance(deep_error, ImportFormatError) and deep_error.line == 2
        assert "nests deeper than 32 levels" in str(deep_error)
        assert isinstance(broken_error, ImportFormatError) and broken_error.line == 2
        summary = report.summary()
        assert "failed 2 files" in summary and f"{too_deep.resolve()}:2:" in summary
        assert store.sql("SELECT agent FROM sessions").fetchall() == [("bot",)]  # nothing of the bad files
        # a single bad file raises, naming the line
        with pytest.raises(ImportFormatError, match=r"c-broken\.jsonl:2: ") as caught:
            import_logs(store, broken)
        assert caught.value.line == 2
        with pytest.raises(ImportFormatError, match="not a recognised agent log"):
            import_logs(store, notes)
        with pytest.raises(ImportFormatError, match=r"deep\.jsonl: event 1 of its session \(.*\): event_data nests"):
            import_logs(store, deep_jsonl)  # this format records no line numbers
        assert good.exists()


def test_arguments_are_checked(tmp_path: Path) -> None:
    with Store.memory() as store:
        before = snapshot(store)
        with pytest.raises(ValidationError, match="import_"):
            import_logs(store, tmp_path, format="parquet")
        with pytest.raises(ValidationError, match="unknown format"):
            import_logs(store, tmp_path, format="yaml")
        with pytest.raises(ValidationError, match="running_window"):
            import_logs(store, tmp_path, running_window=timedelta(minutes=-1))
        with pytest.raises(ImportFormatError, match="no such file or folder"):
            import_logs(store, tmp_path / "absent")
        with pytest.raises(ValidationError, match="must be an agentlog Store"):
            import_logs("store", tmp_path)  # type: ignore[arg-type]
        assert snapshot(store) == before


def test_agent_names_the_store_refuses_fail_the_file(tmp_path: Path) -> None:
    log = write_lines(
        tmp_path / "x.jsonl", [{"type": "session", "agent": "a" * 150}, {"type": "event", "event_type": "e"}]
    )
    with Store.memory() as store, pytest.raises(ImportFormatError, match="agent is 150 characters long"):
        import_logs(store, log)


def test_progress_bar_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.memory() as store:
        import_logs(store, fixture_dir("otel-genai"), progress=True)
        assert "importing" in capsys.readouterr().err
        import_logs(store, fixture_dir("otel-genai"))  # not a terminal: no bar
        assert capsys.readouterr().err == ""
