"""Hand-built stores with known numbers, loaded through ImportRows."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from agentlog import Store
from agentlog.services.import_ops import EVENT_ROWS, SESSION_ROWS, ImportRows, check_rows

TS = pa.timestamp("us", tz="UTC")


def at(day: int, hour: int = 0, minute: int = 0, month: int = 3) -> datetime:
    """An instant in 2026 (March by default), UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Ev:
    """One event: type, time (None = no timestamp), metadata."""

    event_type: str
    timestamp: datetime | None
    metadata: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Sess:
    """One session with its events, in seq order."""

    name: str
    agent: str
    started_at: datetime
    ended_at: datetime | None
    events: list[Ev]
    summary: str | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)


def load(store: Store, sessions: list[Sess]) -> None:
    """Insert the sessions and their events in one ImportRows op."""
    s = pa.table(
        {
            "id": pa.array([x.id.bytes for x in sessions], pa.uuid()),
            "agent": [x.agent for x in sessions],
            "project_id": pa.nulls(len(sessions), pa.uuid()),
            "user_id": pa.nulls(len(sessions), pa.string()),
            "app_name": pa.nulls(len(sessions), pa.string()),
            "lifecycle": ["active" if x.ended_at is None else "terminated" for x in sessions],
            "summary": pa.array([x.summary for x in sessions], pa.string()),
            "metadata": ["{}"] * len(sessions),
            "state": ["{}"] * len(sessions),
            "started_at": pa.array([x.started_at for x in sessions], TS),
            "ended_at": pa.array([x.ended_at for x in sessions], TS),
            "updated_at": pa.array([x.ended_at or x.started_at for x in sessions], TS),
        }
    )
    pairs = [(x, n, e) for x in sessions for n, e in enumerate(x.events, start=1)]
    e = pa.table(
        {
            "id": pa.array([uuid.uuid4().bytes for _ in pairs], pa.uuid()),
            "session_id": pa.array([x.id.bytes for x, _, _ in pairs], pa.uuid()),
            "seq": pa.array([n for _, n, _ in pairs], pa.int64()),
            "event_type": [ev.event_type for _, _, ev in pairs],
            "event_data": [json.dumps(ev.data or {"n": n}) for _, n, ev in pairs],
            "metadata": [json.dumps(ev.metadata) for _, _, ev in pairs],
            "timestamp": pa.array([ev.timestamp for _, _, ev in pairs], TS),
        }
    )
    store.write(ImportRows(check_rows(s, SESSION_ROWS, "sessions"), check_rows(e, EVENT_ROWS, "events")))


# The hand-built week: the window [2026-03-02 00:00, 2026-03-09 00:00) UTC, Monday to Monday.
SINCE = at(2)
UNTIL = at(9)

HAND_SESSIONS = [
    # starts exactly at `since`: inside; 10 minutes
    Sess("S8", "claude", at(2, 0, 0), at(2, 0, 10), [Ev("task_created", at(2, 0, 0))], summary="set up"),
    # 90 minutes, 5 events, 2 errors (one by type, one by metadata), one event without timestamp
    Sess(
        "S1",
        "claude",
        at(2, 9),
        at(2, 10, 30),
        [
            Ev("task_created", at(2, 9, 0), data={"title": "Fix </script> bug"}),
            Ev("error_encountered", at(2, 9, 10)),
            Ev("decision_made", None),
            Ev("decision_made", at(2, 9, 20), metadata={"is_error": True}),
            Ev("task_completed", at(2, 10, 29)),
        ],
        summary="fixed the parser",
    ),
    # started before the window: 60 of its 120 minutes inside; its second event inside (an error by type,
    # although metadata says is_error false)
    Sess(
        "S2",
        "claude",
        at(1, 23),
        at(2, 1),
        [Ev("task_created", at(1, 23, 30)), Ev("error_encountered", at(2, 0, 30), metadata={"is_error": False})],
    ),
    # still open: spans to its last event (00:30 after the window), so 120 minutes inside;
    # "true" as a string is not an error
    Sess(
        "S3",
        "claude",
        at(8, 22),
        None,
        [
            Ev("task_created", at(8, 22, 0)),
            Ev("decision_made", at(8, 23, 30), metadata={"is_error": "true"}),
            Ev("task_updated", at(9, 0, 30)),
        ],
    ),
    # starts exactly at `until`: outside
    Sess("S7", "claude", at(9), at(9, 1), [Ev("task_created", at(9, 0, 5))]),
    # zero-length session
    Sess("S4", "gemini", at(4, 12), at(4, 12), [Ev("task_created", at(4, 12))]),
    # 45 minutes, 3 events, 2 errors
    Sess(
        "S5",
        "gemini",
        at(4, 14),
        at(4, 14, 45),
        [
            Ev("context_shared", at(4, 14, 0)),
            Ev("error_encountered", at(4, 14, 15)),
            Ev("decision_made", at(4, 14, 30), metadata={"is_error": True, "tool": "bash"}),
        ],
    ),
    # 30 minutes across local midnight in Asia/Kolkata (+05:30): 23:50 and 00:10 IST
    Sess(
        "S9",
        "user",
        at(5, 18, 20),
        at(5, 18, 50),
        [Ev("task_created", at(5, 18, 20)), Ev("task_completed", at(5, 18, 40))],
    ),
    # long before the window
    Sess("S6", "gpt", at(20, 9, month=2), at(20, 10, month=2), [Ev("task_created", at(20, 9, month=2))]),
]


def by_name(name: str) -> Sess:
    return next(s for s in HAND_SESSIONS if s.name == name)


# One session from 2025-10-01 to 2026-05-01 UTC, running through both 2025-26 DST changes of Europe and
# North America: claude is active in every window inside it, and its active minutes are the real time
# of each period inside the window (tests of partial periods).
LONG_SESSION = Sess(
    "LONG",
    "claude",
    datetime(2025, 10, 1, tzinfo=UTC),
    datetime(2026, 5, 1, tzinfo=UTC),
    [Ev("task_created", datetime(2025, 10, 1, tzinfo=UTC)), Ev("task_created", datetime(2026, 3, 4, 12, tzinfo=UTC))],
)
