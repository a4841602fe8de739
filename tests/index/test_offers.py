"""Vectors offered to the indexer: used for rows with the same id and text, never for others."""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from agentlog import SessionService, Store, ValidationError
from agentlog.embeddings import FakeEmbedder
from agentlog.index.indexer import IndexStats
from agentlog.index.offers import VectorOffer
from agentlog.index.texts import event_text


def offered(ids: list[uuid.UUID], texts: list[str], vectors: np.ndarray) -> pa.Table:
    return pa.table(
        {
            "id": pa.array([i.bytes for i in ids], pa.uuid()),
            "text": texts,
            "vector": pa.array(vectors.tolist(), pa.list_(pa.float32())),
        }
    )


async def test_rows_take_offered_vectors_when_id_and_text_match() -> None:
    with Store.memory(embedder="fake") as store:
        assert store.index is not None
        service = SessionService(store)
        session = await service.create_session("claude")
        store.wait_for_index()
        before = store.index.stats
        ids = [uuid.uuid4() for _ in range(3)]
        payloads = [{"n": n} for n in range(3)]
        texts = [event_text("step", f'{{"n": {n}}}') for n in range(3)]
        texts[2] = "some other text"  # the third row's text differs: it must be embedded
        marked = np.full((3, 64), 0.125, np.float32)  # not what the fake embedder would make
        offer = store.index.offer_vectors({"events": offered(ids, texts, marked)})
        assert store.index.offered == {"events": 3}
        events = [{"id": i, "event_type": "step", "event_data": p} for i, p in zip(ids, payloads, strict=True)]
        await service.add_events(session["id"], events)
        store.index.retire_offer(offer, after=store.committed_lsn)
        store.wait_for_index()
        assert store.index.stats == IndexStats(embedded=before.embedded + 1, reused=before.reused + 2)
        assert store.index.offered == {}
        found, matrix = store.index.tables.vectors("events", [str(i) for i in ids])
        by_id = dict(zip(found, matrix, strict=True))
        assert np.array_equal(by_id[str(ids[0])], marked[0]) and np.array_equal(by_id[str(ids[1])], marked[1])
        expected = FakeEmbedder().embed([event_text("step", '{"n": 2}')])[0]
        assert np.allclose(by_id[str(ids[2])], expected)


async def test_retiring_an_offer() -> None:
    with Store.memory(embedder="fake") as store:
        assert store.index is not None
        table = offered([uuid.uuid4()], ["x"], np.ones((1, 64), np.float32))
        now = store.index.offer_vectors({"events": table})
        later = store.index.offer_vectors({"sessions": table})
        store.index.retire_offer(now)  # at once
        assert store.index.offered == {"sessions": 1}
        store.index.retire_offer(later, after=store.committed_lsn + 10**9)  # not indexed that far yet
        assert store.index.offered == {"sessions": 1}
        store.index.retire_offer(later, after=store.committed_lsn)  # everything up to it is indexed
        assert store.index.offered == {}
        store.index.retire_offer(later)  # twice: nothing to do


@pytest.mark.parametrize(
    ("vectors", "match"),
    [
        ({"gadgets": None}, r"no index source named \['gadgets'\]"),
        ({"events": pa.table({"id": [1]})}, "lack columns"),
        ({"events": "table"}, "must be a pyarrow Table"),
    ],
)
def test_offers_are_checked(vectors: dict[str, Any], match: str) -> None:
    with Store.memory(embedder="fake") as store:
        assert store.index is not None
        with pytest.raises(ValidationError, match=match):
            store.index.offer_vectors(vectors)
        assert store.index.offered == {}


def test_offered_tables_are_checked() -> None:
    ids = [uuid.uuid4(), uuid.uuid4()]
    good = offered(ids, ["a", "b"], np.ones((2, 4), np.float32))
    assert VectorOffer({"events": good}, dimension=4).rows == {"events": 2}
    with pytest.raises(ValidationError, match="must all have 3 values"):
        VectorOffer({"events": good}, dimension=3)
    nan = offered(ids, ["a", "b"], np.array([[1, 2, 3, np.nan], [1, 2, 3, 4]], np.float32))
    with pytest.raises(ValidationError, match="finite numbers"):
        VectorOffer({"events": nan}, dimension=4)
    twice = offered([ids[0], ids[0]], ["a", "b"], np.ones((2, 4), np.float32))
    with pytest.raises(ValidationError, match="repeat an id"):
        VectorOffer({"events": twice}, dimension=4)
    text_ids = good.set_column(0, "id", pa.array([str(i) for i in ids]))
    with pytest.raises(ValidationError, match="id must be a UUID column"):
        VectorOffer({"events": text_ids}, dimension=4)
    doubles = good.set_column(2, "vector", good.column("vector").cast(pa.list_(pa.float64())))
    with pytest.raises(ValidationError, match="list of float32"):
        VectorOffer({"events": doubles}, dimension=4)
