"""The deterministic fake embedder: shape, normalisation, ranking, determinism across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from agentlog.embeddings import Embedder, FakeEmbedder
from agentlog.errors import ValidationError
from tests.conftest import REPO

TEXTS = [
    "database migration schema changes",
    "Completed database migration with 10 new tables and semantic search",
    "Fixed TypeError by adding validation to parse_input() function",
    "ui_theme: user prefers dark mode",
    "",
    "the of and",
    "Ünïcödé naïve café — 数据库",
]


def test_is_an_embedder_with_unit_float32_rows() -> None:
    emb = FakeEmbedder()
    assert isinstance(emb, Embedder)
    assert (emb.name, emb.dimension) == ("fake-hash-64", 64)
    vectors = emb.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), 64)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_empty_input_and_bad_input() -> None:
    emb = FakeEmbedder(dimension=16)
    assert emb.embed([]).shape == (0, 16)
    assert emb.embed(()).dtype == np.float32
    with pytest.raises(ValidationError, match="single string"):
        emb.embed("not a list")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"texts\[1\]"):
        emb.embed(["ok", 3])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match=r"texts\[1\] is not valid Unicode"):
        emb.embed(["ok", "lone \ud800 surrogate"])  # no tokenizer or API takes it
    with pytest.raises(ValidationError):
        emb.embed_query(None)  # type: ignore[arg-type]
    for bad in (0, 7, 64.0, True):
        with pytest.raises(ValidationError):
            FakeEmbedder(dimension=bad)  # type: ignore[arg-type]


def test_relevant_text_ranks_first() -> None:
    emb = FakeEmbedder()
    query = emb.embed_query("database migration schema changes")
    docs = emb.embed(TEXTS[1:4])
    scores = docs @ query
    assert int(np.argmax(scores)) == 0
    assert emb.calibration(float(scores[0])) >= 0.7
    assert emb.calibration(float(scores[1])) < 0.5


def test_batch_and_single_agree() -> None:
    emb = FakeEmbedder()
    batch = emb.embed(TEXTS)
    for text, row in zip(TEXTS, batch, strict=True):
        assert np.array_equal(emb.embed_query(text), row)


@pytest.mark.parametrize("hash_seed", ["0", "12345"])
def test_identical_vectors_in_another_process(hash_seed: str) -> None:
    code = (
        "import json, sys; from agentlog.embeddings import FakeEmbedder; "
        "print(json.dumps(FakeEmbedder().embed(json.loads(sys.argv[1])).tolist()))"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONHASHSEED=hash_seed)
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(TEXTS)], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 0, result.stderr
    other = np.array(json.loads(result.stdout), dtype=np.float32)
    assert np.array_equal(other, FakeEmbedder().embed(TEXTS))
