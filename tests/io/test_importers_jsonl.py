"""agentlog's own JSON-lines format."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agentlog.errors import ImportFormatError
from agentlog.io.importers import detect_format, jsonl
from tests.io.support import write_lines

S1 = "0b6f3c1e-2f59-4d4c-a3de-0b7e7d1f8a10"
S2 = "7d1f8a10-2f59-4d4c-a3de-0b6f3c1e0b7e"


def _session(sid: str | None = S1, **extra: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {"type": "session", "agent": "my-bot", **extra}
    if sid is not None:
        rec["id"] = sid
    return rec


def _event(event_type: str = "note", **extra: Any) -> dict[str, Any]:
    return {"type": "event", "event_type": event_type, **extra}


def test_sessions_events_and_defaults(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "log.jsonl",
        [
            _session(metadata={"model": "m"}, summary="hello"),
            _event("user_message", event_data={"text": "hi"}, timestamp="2026-01-01T12:00:00+02:00"),
            _session(S2, started_at="2026-02-01T00:00:00Z", project_id=str(uuid.UUID(int=5))),
            _event("a", session_id=S1, metadata={"is_error": True}, timestamp="2026-01-01T10:00:05Z"),
            _event("b", id=str(uuid.UUID(int=9))),
            _event("c", timestamp=None),
        ],
    )
    assert detect_format(path) == "jsonl"
    first, second = jsonl.parse(path)
    assert str(first.id) == S1
    assert first.agent == "my-bot"
    assert first.summary == "hello"
    assert first.metadata == {"model": "m", "format": "jsonl", "source_path": str(path)}
    assert [e.event_type for e in first.events] == ["user_message", "a"]
    assert first.events[0].timestamp == datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    assert first.started_at == datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    assert first.ended_at == datetime(2026, 1, 1, 10, 0, 5, tzinfo=UTC)
    assert first.events[1].metadata == {"is_error": True}
    assert [e.event_type for e in second.events] == ["b", "c"]
    assert second.events[0].id == uuid.UUID(int=9)
    assert second.events[1].timestamp is None
    assert second.started_at == datetime(2026, 2, 1, tzinfo=UTC)
    assert second.ended_at is None
    assert second.project_id == uuid.UUID(int=5)
    again = jsonl.parse(path)
    assert [e.id for s in again for e in s.events] == [e.id for s in (first, second) for e in s.events]


def test_session_without_id_gets_a_stable_one(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "log.jsonl", [_session(None), _event()])
    assert jsonl.parse(path)[0].id == jsonl.parse(path)[0].id


@pytest.mark.parametrize(
    ("records", "line", "message"),
    [
        ([_event()], 1, "before any session"),
        ([_session(), _event(session_id=S2)], 2, "no session line above"),
        ([_session(), _session()], 2, "declared twice"),
        ([_session(), _event(id=S2), _event(id=S2)], 3, "used twice"),
        ([_session(), _event("bad type!")], 2, "event_type"),
        ([_session(), _event(timestamp="2026-01-01T10:00:00")], 2, "timezone"),
        ([_session(), _event(timestamp=1767261600)], 2, "timestamp"),
        ([_session(), _event(colour="red")], 2, "colour"),
        ([{"type": "session"}], 1, "agent"),
        ([{"type": "session", "agent": 5}], 1, "agent"),
        ([{"type": "session", "agent": "   "}], 1, "agent"),
        ([_session(), _event(timestamp="0001-01-01T00:00:00+01:00")], 2, "out of range"),
        ([{"type": "other"}], 1, "type"),
        ([_session(None, id="not-a-uuid")], 1, "id"),
        ([_session(), _event(event_data=[1])], 2, "event_data"),
    ],
)
def test_invalid_lines_are_reported_with_their_number(
    tmp_path: Path, records: list[Any], line: int, message: str
) -> None:
    path = write_lines(tmp_path / "log.jsonl", records)
    with pytest.raises(ImportFormatError, match=message) as info:
        jsonl.parse(path)
    assert info.value.line == line
