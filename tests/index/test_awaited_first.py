"""A search waits for the sources it reads, not for a backlog of other sources (see FIRST_ROUNDS)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from agentlog import SessionService, Store
from agentlog.embeddings import FakeEmbedder
from agentlog.embeddings.base import Vectors
from agentlog.index import indexer as indexer_module

BATCH = 16


class GatedEmbedder(FakeEmbedder):
    """The fake embedder, whose calls on the indexer thread wait until ``gate`` opens and are recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.batches: list[list[str]] = []

    def _embed(self, texts: list[str]) -> Vectors:
        if threading.current_thread().name == "agentlog-indexer":
            assert self.gate.wait(60), "the test never opened the gate"
            self.batches.append(list(texts))
        return super()._embed(texts)


async def test_a_session_search_does_not_wait_for_a_backlog_of_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexer_module, "BATCH", BATCH)
    embedder = GatedEmbedder()
    with Store(tmp_path / "s", embedder=embedder) as store:
        index = store.index
        assert index is not None
        service = SessionService(store)
        busy = await service.create_session("codex")
        await service.add_events(
            busy["id"], [{"event_type": "note", "event_data": {"n": n}} for n in range(20 * BATCH)]
        )
        for n in range(3 * BATCH - 1):  # with `busy`, three batches of sessions
            session = await service.create_session("claude")
            await service.end_session(session["id"], summary=f"migrated billing table number {n}")

        real_wait = index.wait_async

        async def wait_then_open_the_gate(lsn: int, *, sources: Sequence[str] | None = None) -> None:
            waiting = asyncio.ensure_future(real_wait(lsn, sources=sources))
            await asyncio.sleep(0)  # its first step registers the search as waiting
            embedder.gate.set()
            await waiting

        monkeypatch.setattr(index, "wait_async", wait_then_open_the_gate)
        hits = await service.search_sessions("migrated billing table number 7", limit=1, threshold=None)
        assert hits and hits[0]["summary"] == "migrated billing table number 7"
        store.wait_for_index()
        assert index.tables.count("events") == 20 * BATCH
    kinds = ["sessions" if "migrated" in batch[0] else "events" for batch in embedder.batches]
    last_sessions = len(kinds) - kinds[::-1].index("sessions")
    # The round under way when the search came may have taken a batch of events; the rounds after it
    # took sessions only (each of them took a batch of events as well before).
    assert kinds[:last_sessions].count("events") <= 1, kinds
    assert kinds[:last_sessions].count("sessions") >= 3, kinds  # several rounds of sessions: what the test is about
