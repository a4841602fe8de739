"""Regressions from a review of import and export: logs being written, odd paths, typed errors, round trips."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agentlog import ImportFormatError, SessionService, Store, ValidationError
from agentlog.io import export, import_, import_logs
from agentlog.io.importers import parse_file, parse_path
from tests.io.support import fixture_dir

TABLES = ("sessions", "events", "memories", "documents", "document_chunks")


def rows(store: Store) -> dict[str, list[Any]]:
    """Every row of the exported tables, without the store-local ``index_lsn``."""

    def read(cursor: Any) -> dict[str, list[Any]]:
        out = {}
        for table in TABLES:
            columns = [c for (c,) in cursor.execute(f"SELECT name FROM pragma_table_info('{table}')").fetchall()]
            listed = ", ".join(c for c in columns if c != "index_lsn")
            out[table] = cursor.execute(f"SELECT {listed} FROM {table} ORDER BY ALL").fetchall()
        return out

    return store.read(read)


def sessions_and_events(store: Store) -> tuple[list[Any], list[Any]]:
    return store.read(
        lambda c: (
            c.execute("SELECT id, lifecycle, summary, metadata, started_at, ended_at FROM sessions").fetchall(),
            c.execute("SELECT id, session_id, seq, event_type, event_data, metadata, timestamp FROM events").fetchall(),
        )
    )


@pytest.mark.parametrize("kind", ["claude-code", "codex-cli"])
def test_a_log_whose_last_line_is_still_being_written_imports_what_is_complete(tmp_path: Path, kind: str) -> None:
    source = sorted(fixture_dir(kind).glob("*.jsonl"))[0]
    data = source.read_bytes()
    lines = data.count(b"\n")
    log = tmp_path / source.name
    log.write_bytes(data[: data.rindex(b"\n", 0, len(data) - 1) + 200])  # the last line, cut short
    with Store.memory() as growing, Store.memory() as whole:
        report = import_logs(growing, log, running_window=timedelta(0))
        assert (report.ok, report.events_inserted) == (True, lines - 1)
        log.write_bytes(data)  # the agent finished writing the line
        report = import_logs(growing, log, running_window=timedelta(0))
        assert (report.events_inserted, report.events_skipped) == (1, lines - 1)
        import_logs(whole, log, running_window=timedelta(0))
        assert sorted(sessions_and_events(growing)[1]) == sorted(sessions_and_events(whole)[1])


def test_a_cut_line_is_still_an_error_where_it_cannot_be_an_unfinished_write(tmp_path: Path) -> None:
    session = {"type": "session", "agent": "bot"}
    cut_then_more = tmp_path / "middle.jsonl"
    cut_then_more.write_text(json.dumps(session) + '\n{"type": "event", "event_ty\n')  # has its newline
    with pytest.raises(ImportFormatError, match="invalid JSON") as info:
        parse_file(cut_then_more)
    assert info.value.line == 2
    complete = tmp_path / "complete.jsonl"
    complete.write_text(json.dumps(session) + '\n{"type": "event", "event_type": "last"}')  # no newline, complete
    assert [e.event_type for e in parse_file(complete)[0].events] == ["last"]
    not_an_object = tmp_path / "array.jsonl"
    not_an_object.write_text(json.dumps(session) + "\n[1, 2]")
    with pytest.raises(ImportFormatError, match="JSON object"):
        parse_file(not_an_object)


def test_a_last_line_cut_inside_a_utf8_character_is_left_for_later(tmp_path: Path) -> None:
    log = tmp_path / "bot.jsonl"
    head = json.dumps({"type": "session", "agent": "bot"}) + "\n"
    last = json.dumps({"type": "event", "event_type": "said", "event_data": {"text": "日本"}}, ensure_ascii=False)
    log.write_bytes(head.encode() + last.encode()[:-5])  # ends inside the second character
    assert parse_file(log)[0].events == ()


def test_an_export_to_a_path_with_a_backslash_is_refused_before_writing(tmp_path: Path) -> None:
    (tmp_path / "a\\b").mkdir()
    with Store.memory(embedder=None) as store, pytest.raises(ValidationError, match="backslash"):
        export(store, tmp_path / "a\\b" / "out")
    assert list((tmp_path / "a\\b").iterdir()) == []


@pytest.mark.parametrize("path", [None, 5, b"logs"])
def test_import_logs_of_something_that_is_not_a_path_is_a_typed_error(path: Any) -> None:
    with Store.memory(embedder=None) as store, pytest.raises(ValidationError, match="path"):
        import_logs(store, path)


@pytest.mark.parametrize("path", [None, 5, "a\x00b"])
def test_parsing_something_that_is_not_a_path_is_a_typed_error(path: Any) -> None:
    for parse in (parse_file, parse_path):
        with pytest.raises(ValidationError, match="path must be"):
            parse(path)


async def test_a_round_trip_keeps_unicode_nulls_far_dates_and_microseconds(tmp_path: Path) -> None:
    far = datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
    late = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    with Store(tmp_path / "a") as source:
        service = SessionService(source)
        session = await service.create_session(
            "claude☃", metadata={"é": "日本語 \U0001f600", "none": None, "tiny": 1.5e-300}, user_id="ü", started_at=far
        )
        await service.add_event(session["id"], "said", {"t": "a\u0000b\u2028"}, timestamp=late)
        await service.add_event(
            session["id"], "said", {}, timestamp=datetime(2026, 2, 14, 9, 30, 0, 123457, tzinfo=UTC)
        )
        await service.end_session(session["id"], summary="Σ\nline")
        folder = tmp_path / "odd 'name' %d {i} [x]"
        export(source, folder, with_vectors=True)
        expected = rows(source)
    with Store(tmp_path / "b") as target:
        assert import_(target, folder).inserted == 3
        assert import_(target, folder).inserted == 0
        assert rows(target) == expected


def test_events_repeated_in_a_file_are_counted_as_skipped(tmp_path: Path) -> None:
    from agentlog.io.importers import ImportedEvent, ImportedSession
    from agentlog.io.log_op import LoadLogSessions
    from agentlog.io.log_rows import prepare_sessions

    log = tmp_path / "two.jsonl"
    log.write_text("")
    shared = ImportedEvent(uuid.UUID(int=9), "reply", {"text": "hi"}, {}, None)
    sessions = [  # two sessions of one file holding one event id: the second is left out
        ImportedSession(
            id=uuid.UUID(int=n),
            agent="bot",
            started_at=None,
            ended_at=None,
            summary=None,
            metadata={},
            events=(shared,),
        )
        for n in (1, 2)
    ]
    prepared = prepare_sessions(sessions, log)
    assert [p.repeated for p in prepared] == [0, 1]
    with Store.memory(embedder=None) as store:
        counts = store.write(LoadLogSessions(tuple(prepared)))
    assert (counts.events_inserted, counts.events_skipped) == (1, 1)


def test_a_forced_format_refuses_a_log_that_is_plainly_of_another(tmp_path: Path) -> None:
    from agentlog.io import write_sample_logs

    claude_code, codex, *_ = write_sample_logs(tmp_path)
    for log, other in ((codex, "claude-code"), (claude_code, "codex")):
        with pytest.raises(ImportFormatError, match=f"this is a .* log, not {other}; pass format="):
            parse_file(log, format=other)
        assert [path for path, _ in parse_path(log, format=other).failures] == [log]
    assert parse_file(codex, format="codex")  # the right one still parses
