"""Choosing an embedder: explicit argument > AGENTLOG_EMBEDDER > the offline default."""

from __future__ import annotations

from typing import Any

import pytest

import agentlog.embeddings.registry as registry
from agentlog.embeddings import (
    Calibration,
    EmbedderConfigError,
    FakeEmbedder,
    MiniLMEmbedder,
    OpenAIEmbedder,
    available_embedders,
    create_embedder,
    register_embedder,
    resolve_embedder,
)
from agentlog.errors import ValidationError


@pytest.fixture(autouse=True)
def _restore_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_FACTORIES", dict(registry._FACTORIES))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("AGENTLOG_EMBEDDER", raising=False)  # the suite's default is the fake


def test_default_is_the_offline_model_and_constructing_it_is_free() -> None:
    emb = resolve_embedder()
    assert isinstance(emb, MiniLMEmbedder)
    assert emb.name == "all-MiniLM-L6-v2-int8"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("minilm", "all-MiniLM-L6-v2-int8"),
        ("MiniLM", "all-MiniLM-L6-v2-int8"),
        ("all-MiniLM-L6-v2-int8", "all-MiniLM-L6-v2-int8"),
        ("fake", "fake-hash-64"),
        (" fake-hash-64 ", "fake-hash-64"),
    ],
)
def test_environment_variable(monkeypatch: pytest.MonkeyPatch, value: str, expected: str) -> None:
    monkeypatch.setenv("AGENTLOG_EMBEDDER", value)
    emb = resolve_embedder()
    assert emb is not None and emb.name == expected


@pytest.mark.parametrize("value", ["none", "NONE", " None "])
def test_none_means_no_embedder(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("AGENTLOG_EMBEDDER", value)
    assert resolve_embedder() is None
    monkeypatch.setenv("AGENTLOG_EMBEDDER", "fake")
    assert resolve_embedder(value) is None


def test_explicit_argument_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTLOG_EMBEDDER", "openai")  # would fail: no key
    assert resolve_embedder("fake").name == "fake-hash-64"  # type: ignore[union-attr]
    mine = FakeEmbedder(dimension=32)
    assert resolve_embedder(mine) is mine
    assert create_embedder(mine) is mine


def test_openai_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTLOG_EMBEDDER", "openai")
    with pytest.raises(EmbedderConfigError, match="OPENAI_API_KEY"):
        resolve_embedder()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    emb = resolve_embedder()
    assert isinstance(emb, OpenAIEmbedder)
    assert emb.name == "openai:text-embedding-3-small"
    assert create_embedder(emb.name).name == emb.name  # the name a store records resolves back


def test_unknown_names_list_the_known_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match=r"unknown embedder 'bert'; known: .*fake.*minilm.*openai"):
        create_embedder("bert")
    monkeypatch.setenv("AGENTLOG_EMBEDDER", "bert")
    with pytest.raises(ValidationError, match=r"AGENTLOG_EMBEDDER='bert'.*known:") as info:
        resolve_embedder()
    assert info.value.field == "AGENTLOG_EMBEDDER"
    with pytest.raises(ValidationError, match=r"embed\(\)"):
        create_embedder(42)  # type: ignore[arg-type]


def test_register_a_custom_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    class Constant:
        name = "constant-2"
        dimension = 2
        calibration = Calibration.identity()

        def embed(self, texts: Any) -> Any:
            import numpy as np

            return np.tile(np.array([[1.0, 0.0]], dtype=np.float32), (len(texts), 1))

    register_embedder("constant-2", Constant, aliases=("const",))
    assert "const" in available_embedders()
    monkeypatch.setenv("AGENTLOG_EMBEDDER", "const")
    emb = resolve_embedder()
    assert isinstance(emb, Constant)
    with pytest.raises(ValidationError, match="already registered"):
        register_embedder("CONST", Constant)
    register_embedder("const", FakeEmbedder, replace=True)
    assert isinstance(create_embedder("const"), FakeEmbedder)
    for bad in ("", "none", "  "):
        with pytest.raises(ValidationError):
            register_embedder(bad, FakeEmbedder)


def test_fake_of_any_recorded_dimension() -> None:
    assert create_embedder("fake-hash-16").dimension == 16
    with pytest.raises(ValidationError):
        create_embedder("fake-hash-4")  # below the minimum dimension
    with pytest.raises(ValidationError, match="unknown embedder"):
        create_embedder("fake-hash-0")


def test_builtin_names() -> None:
    assert {
        "minilm",
        "all-minilm-l6-v2-int8",
        "openai",
        "openai:text-embedding-3-small",
        "fake",
        "fake-hash-64",
    } <= set(available_embedders())
