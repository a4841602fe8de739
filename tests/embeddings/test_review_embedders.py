"""Regression tests from a review of the embedders: every failure is a typed agentlog error.

The OpenAI tests answer from ``httpx.MockTransport``: never the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

import agentlog.embeddings.registry as registry
from agentlog.embeddings import (
    BaseEmbedder,
    Calibration,
    EmbedderError,
    FakeEmbedder,
    MiniLMEmbedder,
    OpenAIEmbedder,
    create_embedder,
    load_calibration_pairs,
    register_embedder,
    resolve_embedder,
)
from agentlog.embeddings.base import Vectors
from agentlog.errors import AgentlogError, ValidationError

DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture(autouse=True)
def _restore_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_FACTORIES", dict(registry._FACTORIES))
    monkeypatch.delenv("AGENTLOG_EMBEDDER", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # never the network (and nothing is sent)


@pytest.mark.parametrize("texts", [None, 5, 3.5, object()])
def test_embed_of_a_non_sequence_is_a_validation_error(texts: Any) -> None:
    with pytest.raises(ValidationError, match="sequence of texts"):
        FakeEmbedder().embed(texts)


def test_a_subclass_returning_the_wrong_shape_is_an_embedder_error() -> None:
    class WrongShape(BaseEmbedder):
        name = "wrong-shape"
        dimension = 4
        calibration = Calibration.identity()

        def _embed(self, texts: list[str]) -> Vectors:
            return np.zeros((len(texts), 3), dtype=np.float32)

    with pytest.raises(EmbedderError, match="shape"):
        WrongShape().embed(["a"])


@pytest.mark.parametrize("kwargs", [{"model_path": 5}, {"tokenizer_path": object()}, {"model_path": "model\x00.onnx"}])
def test_minilm_paths_that_are_not_paths_are_validation_errors(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="must be a path"):
        MiniLMEmbedder(**kwargs)


def _openai(handler: Any) -> OpenAIEmbedder:
    return OpenAIEmbedder(api_key="sk-test", max_retries=1, backoff=0.001, transport=httpx.MockTransport(handler))


def test_openai_reply_with_an_integer_too_big_for_a_float_is_an_embedder_error() -> None:
    vector = [10**400] + [0] * 1535
    emb = _openai(lambda r: httpx.Response(200, json={"data": [{"index": 0, "embedding": vector}]}))
    with pytest.raises(EmbedderError, match="unexpected response"):
        emb.embed(["a"])


def test_openai_reply_nested_too_deep_is_an_embedder_error() -> None:
    with pytest.raises(EmbedderError, match="unexpected response"):
        _openai(lambda r: httpx.Response(200, content=DEEP_JSON)).embed(["a"])


@pytest.mark.parametrize(("status", "match"), [(500, "after 2 attempts"), (400, "HTTP 400")])
def test_openai_error_body_nested_too_deep_is_an_embedder_error(status: int, match: str) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(status, content=DEEP_JSON)

    with pytest.raises(EmbedderError, match=match):
        _openai(handler).embed(["a"])
    assert len(requests) == (2 if status == 500 else 1)  # a 5xx is still retried


@pytest.mark.parametrize(
    ("name", "dimension"),
    [
        ("openai:text-embedding-3-large", 3072),
        ("openai:text-embedding-ada-002", 1536),
        ("OpenAI:Text-Embedding-3-Large", 3072),
    ],
)
def test_every_openai_name_a_store_can_record_resolves(name: str, dimension: int) -> None:
    emb = create_embedder(name)
    assert isinstance(emb, OpenAIEmbedder)
    assert (emb.name, emb.dimension) == (name.casefold(), dimension)


def test_the_openai_name_in_a_mismatch_message_works_as_agentlog_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = OpenAIEmbedder("text-embedding-3-large").name  # what a store's manifest holds
    monkeypatch.setenv("AGENTLOG_EMBEDDER", recorded)
    emb = resolve_embedder()
    assert emb is not None and (emb.name, emb.dimension) == (recorded, 3072)


def test_an_unknown_openai_model_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="unknown OpenAI embedding model"):
        create_embedder("openai:text-embedding-4-huge")


@pytest.mark.parametrize(
    ("name", "aliases"),
    [(5, ()), (None, ()), ("mine", "ab"), ("mine", (3,))],
)
def test_register_embedder_checks_name_and_aliases(name: Any, aliases: Any) -> None:
    with pytest.raises(ValidationError, match="must be strings"):
        register_embedder(name, FakeEmbedder, aliases=aliases, replace=True)
    assert "a" not in registry.available_embedders()


@pytest.mark.parametrize("data", [{}, {"knots": 5}, {"knots": [[0.0]]}, {"knots": [0, 1]}, []])
def test_calibration_from_a_bad_dict_is_a_validation_error(data: Any) -> None:
    with pytest.raises(ValidationError):
        Calibration.from_dict(data)


@pytest.mark.parametrize("threshold", ["x", None, [0.5]])
def test_cosine_threshold_of_a_non_number_is_a_validation_error(threshold: Any) -> None:
    with pytest.raises(ValidationError, match="must be a number"):
        Calibration.identity().cosine_threshold(threshold)


def test_unreadable_pairs_files_are_validation_errors(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.jsonl"
    latin1.write_bytes('{"query": "caf\xe9", "text": "x", "label": "unrelated"}\n'.encode("latin-1"))
    number = tmp_path / "number.jsonl"
    number.write_text('{"query": 5, "text": "x", "label": "unrelated"}\n', encoding="utf-8")
    for path in (tmp_path / "missing.jsonl", tmp_path, latin1, number):
        with pytest.raises(ValidationError) as info:
            load_calibration_pairs(path)
        assert isinstance(info.value, AgentlogError)


def test_a_line_separator_inside_a_pair_is_not_a_line_break(tmp_path: Path) -> None:
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"query": "a\u2028b", "text": "x", "label": "unrelated"}\r\n\n', encoding="utf-8")
    assert [p.query for p in load_calibration_pairs(path)] == ["a\u2028b"]


def test_a_relative_model_path_is_the_file_it_named_when_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from agentlog.embeddings.minilm import default_model_path, default_tokenizer_path

    (tmp_path / "model.onnx").write_bytes(default_model_path().read_bytes())
    (tmp_path / "tokenizer.json").write_bytes(default_tokenizer_path().read_bytes())
    monkeypatch.chdir(tmp_path)
    embedder = MiniLMEmbedder(model_path="model.onnx", tokenizer_path="tokenizer.json")
    monkeypatch.chdir(tmp_path.parent)  # a notebook that changes directory afterwards
    assert embedder.embed(["the same file"]).shape == (1, 384)


@pytest.mark.parametrize("cosine", ["x", object(), ["0.5", "high"]])
def test_a_calibration_given_something_that_is_not_a_cosine_says_so(cosine: Any) -> None:
    from agentlog.embeddings.calibration import Calibration

    with pytest.raises(ValidationError, match="cosine must be a number"):
        Calibration.identity()(cosine)
