"""Regression tests from a review of the vector index and its search."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa

from agentlog.index.lance_filter import Filter
from agentlog.index.vectors import VectorTables


def _clusters(rng: np.random.Generator, side: float, count: int, rows: int, dimension: int) -> np.ndarray:
    """``rows`` unit vectors around ``count`` centres, all on one side (the sign of ``side``) of the first axis."""
    centres = rng.standard_normal((count, dimension)).astype(np.float32)
    centres[:, 0] = side * (np.abs(centres[:, 0]) + 3)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    points = np.repeat(centres, rows // count, axis=0)
    points += 0.3 * rng.standard_normal(points.shape).astype(np.float32) / np.sqrt(dimension)
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def test_a_filtered_ann_search_finds_rows_that_sit_far_from_the_query(tmp_path: Path) -> None:
    """An agent whose 4,000 events are about other topics: its partitions were never probed, 0 hits of 10."""
    dimension, rng = 32, np.random.default_rng(0)
    near = _clusters(rng, 1.0, 50, 20_000, dimension)  # agent "a": around the query
    far = _clusters(rng, -1.0, 8, 4_000, dimension)  # agent "b": on the other side
    vectors = np.concatenate([near, far])
    count = len(vectors)
    rows = pa.table(
        {
            "id": [str(uuid.uuid4()) for _ in range(count)],
            "index_lsn": pa.array(np.arange(1, count + 1), pa.int64()),
            "text": ["t"] * count,
            "session_id": [str(uuid.uuid4())] * count,
            "agent": ["a"] * len(near) + ["b"] * len(far),
            "project_id": pa.array([None] * count, pa.string()),
            "event_type": ["e"] * count,
            "timestamp_us": pa.array([0] * count, pa.int64()),
        }
    )
    tables = VectorTables(tmp_path, dimension=dimension, ann_min_rows=20_000)
    tables.add("events", rows, vectors)
    tables.maintain("events")
    assert tables.has_ann_index("events")
    query = near[0]
    found = tables.vector_search(
        "events", query, where=Filter().equals("agent", "b").sql(), limit=10, columns=["agent"]
    )
    assert found.num_rows == 10 and set(found.column("agent").to_pylist()) == {"b"}


def test_a_first_keyword_search_builds_the_text_index_and_nothing_else(tmp_path: Path) -> None:
    """A keyword search must not wait for a whole maintenance: that trains the ANN index (48 s at 1M rows)."""
    count, dimension = 300, 8
    rows = pa.table(
        {
            "id": [str(uuid.uuid4()) for _ in range(count)],
            "index_lsn": pa.array(np.arange(1, count + 1), pa.int64()),
            "text": [f"step {n} of the migration, word{n}" for n in range(count)],
            "session_id": [str(uuid.uuid4())] * count,
            "agent": ["a"] * count,
            "project_id": pa.array([None] * count, pa.string()),
            "event_type": ["e"] * count,
            "timestamp_us": pa.array([0] * count, pa.int64()),
        }
    )
    vectors = np.random.default_rng(0).standard_normal((count, dimension)).astype(np.float32)
    tables = VectorTables(tmp_path, dimension=dimension, ann_min_rows=100)  # a maintenance would build one
    tables.add("events", rows, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    found = tables.keyword_search("events", "word42", where=None, limit=5)
    assert found.num_rows == 1 and found.column("id")[0].as_py() == rows.column("id")[42].as_py()
    assert not tables.has_ann_index("events")


async def test_the_cosine_of_a_text_and_itself_is_at_most_one() -> None:
    from agentlog import SessionService, Store

    with Store.memory(embedder="fake") as store:
        service = SessionService(store)
        session = await service.create_session("claude")
        texts = [f"alpha beta {word} gamma delta {word}{word}" for word in ("one", "two", "three", "four", "five")]
        for text in texts:
            await service.add_event(session["id"], "note", {"text": text})
        cosines = [hit["cosine"] for text in texts for hit in await service.search_events(f"note text: {text}")]
    assert max(cosines) == 1.0 and min(cosines) >= -1.0  # float32 rounding gave 1.0000001
