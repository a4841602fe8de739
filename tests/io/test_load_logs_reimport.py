"""Importing logs again: what the API changed is kept, and each file's facts count once.

A re-import with no new events changes nothing; a session the user ended is
never revived; keys the user set survive. A file reached twice (a symlink, a
copy) counts once; two files of one session that share a name (rotated trace
exports in dated folders) both count.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agentlog import ImportFormatError, SessionService, Store
from agentlog.io import import_logs, log_rows
from agentlog.io.importers import ImportedEvent, ImportedSession
from agentlog.io.log_rows import prepare_sessions
from tests.conftest import snapshot
from tests.io.support import fixture_dir, write_lines
from tests.io.test_load_logs import stored_session

SID = uuid.UUID("0b6f3c1e-2f59-4d4c-a3de-0b7e7d1f8a10")
TRACE = "5b8efff798038103d269b633813fc60c"


def bot_log(path: Path, *minutes_ago: int) -> Path:
    """An agentlog JSON-lines log of session SID with one event per ``minutes_ago``."""
    now = datetime.now(UTC)
    events = [
        {"type": "event", "event_type": "step", "timestamp": (now - timedelta(minutes=m)).isoformat()}
        for m in minutes_ago
    ]
    return write_lines(path, [{"type": "session", "agent": "bot", "id": str(SID)}, *events])


async def test_reimporting_an_unchanged_log_keeps_what_the_api_changed(tmp_path: Path) -> None:
    log = bot_log(tmp_path / "bot.jsonl", 1)  # recent: imported as a running session
    with Store.memory() as store:
        service = SessionService(store)
        import_logs(store, log)
        await service.update_session_summary(SID, "my summary", metadata={"outcome": "fixed"})
        await service.end_session(SID)
        before = snapshot(store)
        report = import_logs(store, log)
        assert (report.sessions_updated, report.events_inserted) == (0, 0)
        assert snapshot(store) == before  # not revived (terminated -> active is not allowed), nothing dropped
        session = await service.get_session(SID)
        assert session is not None
        assert (session["lifecycle"], session["summary"]) == ("terminated", "my summary")
        assert session["ended_at"] is not None and session["metadata"]["outcome"] == "fixed"


async def test_a_paused_session_stays_paused_until_its_log_grows(tmp_path: Path) -> None:
    log = bot_log(tmp_path / "bot.jsonl", 2)
    with Store.memory() as store:
        service = SessionService(store)
        import_logs(store, log)
        await service.update_lifecycle(SID, "paused")
        import_logs(store, log)
        assert (await service.get_session(SID) or {})["lifecycle"] == "paused"
        bot_log(log, 2, 1)  # the agent went on
        import_logs(store, log)
        assert (await service.get_session(SID) or {})["lifecycle"] == "active"


async def test_a_grown_log_updates_the_facts_and_keeps_the_users_keys(tmp_path: Path) -> None:
    source = fixture_dir("claude-code") / "196820da-1026-4b6f-a513-a6aae42da1a6.jsonl"
    session_id = uuid.UUID(source.stem)
    lines = [line for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    log = write_lines(tmp_path / "logs" / source.name, lines[:100])
    with Store.memory() as grown, Store.memory() as whole:
        import_logs(grown, log)
        await SessionService(grown).update_session_summary(
            session_id, "my summary", metadata={"outcome": "fixed", "model": "my own label"}
        )
        write_lines(log, lines)
        import_logs(grown, log)
        import_logs(whole, log)
        got, expected = stored_session(grown, session_id), stored_session(whole, session_id)
        assert got["metadata"]["tokens"] == expected["metadata"]["tokens"]  # the log's facts follow it
        assert got["metadata"]["outcome"] == "fixed"  # a key the user added
        assert got["metadata"]["model"] == "my own label"  # a key the user changed
        other = {k: v for k, v in got["metadata"].items() if k not in ("outcome", "model")}
        assert other == {k: v for k, v in expected["metadata"].items() if k != "model"}
        assert (got["lifecycle"], got["ended_at"]) == (expected["lifecycle"], expected["ended_at"])


def test_a_file_reached_twice_counts_once(tmp_path: Path) -> None:
    source = next(fixture_dir("codex-cli").glob("*.jsonl"))
    logs = tmp_path / "logs"
    logs.mkdir()
    shutil.copy(source, logs / source.name)
    with Store.memory() as store:
        import_logs(store, logs)
        records = {"imported_logs"}  # the files added below are recorded
        before = snapshot(store, skip=records)
        os.symlink(logs / source.name, logs / "alias.jsonl")  # sorts first: the walk gives the real file once
        shutil.copy(source, logs / "zz-copy.jsonl")  # the same log under another name
        lines = source.read_text(encoding="utf-8").splitlines()
        write_lines(logs / "zz-older.jsonl", lines[:50])  # an older copy of it (a backup taken earlier)
        report = import_logs(store, logs)
        assert report.files == 3 and report.unchanged == 1 and report.events_inserted == 0
        assert snapshot(store, skip=records) == before  # tokens, errors and tool counts neither doubled nor set back
        import_logs(store, logs, reparse=True)
        assert snapshot(store, skip=records) == before


def otlp(spans: list[str], tokens: int) -> dict[str, Any]:
    """An OTLP/JSON trace export holding ``spans`` of trace TRACE, each with ``tokens`` input tokens."""
    attributes = [
        {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
        {"key": "gen_ai.usage.input_tokens", "value": {"intValue": str(tokens)}},
    ]
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "bot"}}]},
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "name": "chat",
                                "traceId": TRACE,
                                "spanId": span,
                                "startTimeUnixNano": "1767225600000000000",
                                "endTimeUnixNano": "1767225601000000000",
                                "attributes": attributes,
                            }
                            for span in spans
                        ]
                    }
                ],
            }
        ]
    }


def test_files_of_one_session_that_share_a_name_both_count(tmp_path: Path) -> None:
    day1, day2 = tmp_path / "day1" / "traces.json", tmp_path / "day2" / "traces.json"
    for path, spans in ((day1, ["eee19b7ec3c1b174", "eee19b7ec3c1b175"]), (day2, ["eee19b7ec3c1b176"])):
        path.parent.mkdir()
        path.write_text(json.dumps(otlp(spans, 100)))
    with Store.memory() as store:
        import_logs(store, tmp_path)
        metadata = stored_session(store, uuid.UUID(TRACE))["metadata"]
        assert (metadata["span_count"], metadata["tokens"]) == (3, {"input": 300})
        assert sorted(facts["source_path"] for facts in metadata["import_sources"].values()) == [
            str(day1.resolve()),
            str(day2.resolve()),
        ]
        before = snapshot(store)
        import_logs(store, day2)  # the file alone: still the same file
        import_logs(store, tmp_path)
        assert snapshot(store) == before


def test_a_symlink_loop_fails_alone(tmp_path: Path) -> None:
    good = bot_log(tmp_path / "good.jsonl", 60)
    os.symlink(tmp_path / "b.jsonl", tmp_path / "a.jsonl")
    os.symlink(tmp_path / "a.jsonl", tmp_path / "b.jsonl")
    with Store.memory() as store:
        report = import_logs(store, tmp_path)
        assert report.files == 1 and report.events_inserted == 1
        assert sorted(path.name for path, _ in report.failures) == ["a.jsonl", "b.jsonl"]
        assert all(isinstance(error, ImportFormatError) for _, error in report.failures)
        assert "failed 2 files" in report.summary()
        assert good.exists()


def test_one_session_id_spelled_in_two_cases_is_one_session(tmp_path: Path) -> None:
    sid = "9eda1058-9706-484a-b992-d03f9cfa2546"
    record = {"type": "user", "message": {"role": "user", "content": "hi"}}
    log = write_lines(
        tmp_path / "t.jsonl",
        [
            record | {"sessionId": sid, "uuid": str(uuid.UUID(int=1)), "timestamp": "2026-01-01T00:00:00Z"},
            record | {"sessionId": sid.upper(), "uuid": str(uuid.UUID(int=2)), "timestamp": "2026-01-01T00:00:01Z"},
        ],
    )
    with Store.memory() as store:
        report = import_logs(store, log)
        assert (report.sessions_created, report.events_inserted) == (1, 2)
        assert stored_session(store, uuid.UUID(sid))["seqs"] == [1, 2]


def test_two_sessions_with_one_id_from_one_file_fail_that_file(tmp_path: Path) -> None:
    log = write_lines(tmp_path / "x.jsonl", [{"type": "session", "agent": "bot"}])
    twins = [
        ImportedSession(id=SID, agent="bot", started_at=None, ended_at=None, summary=None, metadata={}, events=())
    ] * 2
    with pytest.raises(ImportFormatError, match=f"session {SID} is parsed twice from this file"):
        prepare_sessions(twins, log)


@pytest.mark.parametrize("chars_per_batch", [None, 500])
def test_a_session_of_many_events_keeps_their_order_across_conversion_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chars_per_batch: int | None
) -> None:
    """Events are converted to Arrow a few thousand (or a few MB) at a time; the table is the whole session in order."""
    if chars_per_batch is not None:
        monkeypatch.setattr(log_rows, "_BATCH_CHARS", chars_per_batch)
    log = tmp_path / "long.jsonl"
    log.write_text("")
    ids = [uuid.UUID(int=n + 1) for n in range(5000)]
    order = [ids[0], *ids[:3], *ids[3:2047], ids[5], *ids[2047:]]  # repeats before and across the first batch
    events = tuple(
        ImportedEvent(id=i, event_type="step", event_data={"n": i.int}, metadata={"line": n}, timestamp=None)
        for n, i in enumerate(order, start=1)
    )
    session = ImportedSession(
        id=SID, agent="bot", started_at=None, ended_at=None, summary=None, metadata={}, events=events
    )
    (prepared,) = prepare_sessions([session], log)
    assert prepared.repeated == 2
    assert prepared.events.column("id").to_pylist() == ids
    assert [json.loads(d)["n"] for d in prepared.events.column("event_data").to_pylist()] == [i.int for i in ids]
    assert prepared.source == str(ids[0])
