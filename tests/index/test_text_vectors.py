"""Texts logged again are not embedded again: the indexer keeps the vectors of recent texts."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np

from agentlog import SessionService, Store
from agentlog.embeddings import FakeEmbedder
from agentlog.index.text_vectors import RecentTextVectors


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, recording every text it is asked to embed."""

    def __init__(self) -> None:
        super().__init__(dimension=16)
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return super().embed(texts)


def test_each_distinct_text_is_embedded_once_while_it_is_recent() -> None:
    embedder, recent = CountingEmbedder(), RecentTextVectors(size=2)
    first = recent.embed(embedder, ["a", "b", "a"])
    assert embedder.seen == ["a", "b"]
    assert np.array_equal(first, embedder.embed(["a", "b", "a"]))  # the vectors the embedder gives, in order
    embedder.seen.clear()
    assert np.array_equal(recent.embed(embedder, ["b", "c"]), FakeEmbedder(dimension=16).embed(["b", "c"]))
    assert embedder.seen == ["c"]  # "b" was known
    recent.embed(embedder, ["a"])  # size 2: "a" was the least recently used of a, b, c, and was dropped
    assert embedder.seen == ["c", "a"]
    assert recent.hits == 2 and recent.embed(embedder, []).shape == (0, 16)


async def test_the_indexer_embeds_a_repeated_event_once() -> None:
    embedder = CountingEmbedder()
    with Store.memory(embedder=embedder) as store:
        service = SessionService(store)
        session = await service.create_session("claude")
        same = [{"event_type": "task_updated", "event_data": {"status": "in_progress"}}] * 40
        await service.add_events(session["id"], [*same, {"event_type": "task_completed", "event_data": {"ok": True}}])
        await asyncio.to_thread(store.wait_for_index)
        assert sum("in_progress" in text for text in embedder.seen) == 1
        hits = await service.search_events("task_updated status in_progress", limit=50, event_type="task_updated")
        assert len(hits) == 40  # every repeated event has its vector
