"""Many concurrent writers: nothing lost, nothing doubled, order kept."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict

from agentlog import SessionService, Store

TASKS = 32
CALLS = 500
SESSIONS = 8


async def test_32_tasks_x_500_events_with_resends(file_store: Store) -> None:
    service = SessionService(file_store)
    sessions = [(await service.create_session("claude"))["id"] for _ in range(SESSIONS)]
    issued: dict[int, list[tuple[uuid.UUID, uuid.UUID]]] = defaultdict(list)  # task -> (session, event) in order

    async def task(number: int) -> None:
        rng = random.Random(number)
        for call in range(CALLS):
            session_id = sessions[rng.randrange(SESSIONS)]
            event_id = uuid.uuid4()
            record = await service.add_event(session_id, "step", {"task": number, "call": call}, event_id=event_id)
            assert record["id"] == event_id
            issued[number].append((session_id, event_id))
            if rng.random() < 0.1:  # re-send an earlier event of this task, as a retry would
                old_session, old_event = issued[number][rng.randrange(len(issued[number]))]
                again = await service.add_event(old_session, "step", {"resend": True}, event_id=old_event)
                assert again["id"] == old_event and "resend" not in again["event_data"]

    await asyncio.gather(*(task(n) for n in range(TASKS)))

    rows = file_store.sql("SELECT id, session_id, seq, event_data->>'task', (event_data->>'call')::INT FROM events")
    events = rows.fetchall()
    assert len(events) == TASKS * CALLS == 16_000
    assert len({e[0] for e in events}) == 16_000, "an event id was stored twice"
    by_session: dict[uuid.UUID, list[int]] = defaultdict(list)
    position = {}
    for event_id, session_id, seq, _, _ in events:
        by_session[session_id].append(seq)
        position[event_id] = (session_id, seq)
    for seqs in by_session.values():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), "seq has gaps or repeats"
    for number, calls in issued.items():
        per_session: dict[uuid.UUID, list[int]] = defaultdict(list)
        for session_id, event_id in calls:
            stored_session, seq = position[event_id]
            assert stored_session == session_id
            per_session[session_id].append(seq)
        for seqs in per_session.values():
            assert seqs == sorted(seqs), f"task {number}'s events are out of its own order"


async def test_get_session_reads_a_session_and_its_events_from_one_moment() -> None:
    # The first event moves a session from `created` to `active` in the same commit: a read that took the
    # session and its events from two moments showed `created` with an event, or `active` without one.
    with Store.memory(embedder=None) as store:
        seen = await _reads_during_activation(SessionService(store), sessions=200, reads_each=6)
    assert {("created", False), ("active", True)} <= seen, "no read overlapped the activating write"
    assert seen <= {("created", False), ("active", True)}, f"mixed reads: {seen}"


async def _reads_during_activation(service: SessionService, *, sessions: int, reads_each: int) -> set[tuple[str, bool]]:
    """The (lifecycle, has events) pairs of reads of a session made during the add_event that activates it."""
    seen = set()
    for _ in range(sessions):
        session = await service.create_session("claude")
        writer = asyncio.create_task(service.add_event(session["id"], "task_created", {}))
        for _ in range(reads_each):
            found = await service.get_session(session["id"])
            assert found is not None
            seen.add((found["lifecycle"], bool(found["events"])))
        await writer
    return seen
