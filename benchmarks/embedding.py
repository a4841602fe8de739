"""Throughput of the default embedder on realistic agent-event texts.

Run ``python benchmarks/embedding.py`` (from the repository root) to print:

* texts/s for batch sizes 1, 8, 32, 128, 256 (15-40-word texts),
* the same with the matmuls in fp32 (``int8_activations=False``) and the ratio,
* model load time and single-query latency (p50/p99),
* a naive baseline measured in the same run: the shipped tokenizer.json as is
  (every text padded to 128 tokens), ``encode_batch``, default onnxruntime
  session options, batches of 32.

Numbers are printed, never asserted: the machine is shared and timings move
±30% between runs, so each figure is the best of a few repeats. Other modules
import :func:`measure_embedding_throughput`.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from agentlog.embeddings import Embedder, MiniLMEmbedder  # noqa: E402
from agentlog.embeddings.minilm import (  # noqa: E402
    default_model_path,
    default_tokenizer_path,
)
from benchmarks.stats import median_ms, percentile_ms  # noqa: E402

BATCH_SIZES = (1, 8, 32, 128, 256)

_SUBJECTS = (
    "the session service",
    "parse_input()",
    "the DuckDB writer thread",
    "the LanceDB index",
    "the login form",
    "the CI pipeline",
    "the Parquet exporter",
    "the memory namespace check",
    "the React dashboard",
    "the retry decorator",
    "the config loader",
    "the embedding indexer",
    "the schema migration",
    "the OAuth callback",
    "the rate limiter",
    "the Dockerfile",
)
_PROBLEMS = (
    "raised TypeError: 'NoneType' object is not subscriptable when the payload had no items",
    "timed out after 30 seconds while waiting for the write lock held by another process",
    "returned duplicate rows because two events shared the same timestamp",
    "failed in CI with ModuleNotFoundError for pytz on the slim Python image",
    "leaked a file handle on every reconnect, so the process hit the open-files limit",
    "rendered the dark theme with unreadable grey text on the settings page",
    "ignored the namespace boundary and matched project:ab for project:a",
    "used 2 GB of memory while exporting one million events to Parquet",
)
_ACTIONS = (
    "added a guard clause and a regression test with an empty payload",
    "switched to a single writer thread with group commit",
    "ordered events by timestamp and per-session sequence number",
    "declared the missing dependency in pyproject.toml and pinned its range",
    "closed the connection in a finally block and added a resource warning test",
    "moved the colours into CSS variables and checked contrast ratios",
    "replaced the LIKE pattern with starts_with and an escaped bound parameter",
    "streamed record batches instead of materialising the whole table",
)
_TAILS = (
    "All tests pass locally and in CI.",
    "Next step: benchmark the change on the demo dataset.",
    "The user asked to keep the old behaviour behind a flag.",
    "Documented the decision in the design notes with the measured numbers.",
    "",
)


def realistic_texts(count: int, seed: int = 7) -> list[str]:
    """Deterministic agent-event texts of 15-40 words (errors, decisions, summaries).

    Example:
        >>> len(realistic_texts(3))
        3
    """
    rng = random.Random(seed)
    texts: list[str] = []
    while len(texts) < count:
        parts = [
            f"{rng.choice(('Investigated', 'Debugged', 'Reviewed', 'Fixed'))} "
            f"{rng.choice(_SUBJECTS)}: it {rng.choice(_PROBLEMS)};",
            rng.choice(_ACTIONS) + ".",
            rng.choice(_TAILS),
        ]
        words = " ".join(p for p in parts if p).split()
        length = rng.randint(15, 40)
        if len(words) >= length:
            texts.append(" ".join(words[:length]))
    return texts


def _best_rate(embedder: Embedder, texts: Sequence[str], batch_size: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for i in range(0, len(texts), batch_size):
            embedder.embed(texts[i : i + batch_size])
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def measure_embedding_throughput(
    embedder: Embedder,
    *,
    batch_sizes: Sequence[int] = BATCH_SIZES,
    n_texts: int = 256,
    repeats: int = 3,
) -> list[dict[str, Any]]:
    """Texts per second for each batch size (best of ``repeats`` passes over ``n_texts``).

    Returns:
        One dict per batch size: ``batch_size``, ``texts``, ``texts_per_s``, ``mean_words``.

    Example:
        >>> from agentlog.embeddings import FakeEmbedder
        >>> rows = measure_embedding_throughput(FakeEmbedder(), batch_sizes=(8,), n_texts=16)
        >>> rows[0]["batch_size"]
        8
    """
    texts = realistic_texts(n_texts)
    embedder.embed(texts[:8])  # load and warm up
    mean_words = statistics.fmean(len(t.split()) for t in texts)
    return [
        {
            "batch_size": size,
            "texts": len(texts),
            "texts_per_s": _best_rate(embedder, texts, size, repeats),
            "mean_words": mean_words,
        }
        for size in batch_sizes
    ]


def measure_query_latency(embedder: Embedder, n: int = 200) -> dict[str, float]:
    """p50/p99 latency in ms of embedding one short query."""
    queries = [" ".join(t.split()[:6]) for t in realistic_texts(n, seed=11)]
    embedder.embed(queries[:1])
    samples = []
    for query in queries:
        start = time.perf_counter()
        embedder.embed([query])
        samples.append(time.perf_counter() - start)
    return {"p50_ms": median_ms(samples), "p99_ms": percentile_ms(samples, 0.99)}


def measure_load_time() -> float:
    """Seconds to verify and load the default model, in a fresh interpreter (best of 3)."""
    code = (
        "import time; t = time.perf_counter(); "
        "from agentlog.embeddings import MiniLMEmbedder; MiniLMEmbedder().load(); "
        "print(time.perf_counter() - t)"
    )
    times = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONPATH": str(REPO)},
        )
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return min(times)


def measure_naive_baseline(n_texts: int = 256, batch_size: int = 32, repeats: int = 3) -> float:
    """texts/s of the naive setup: fixed 128-token padding, encode_batch, default session."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(default_tokenizer_path()))  # as shipped: pads to 128
    session = ort.InferenceSession(str(default_model_path()), providers=["CPUExecutionProvider"])
    texts = realistic_texts(n_texts)

    def embed(batch: list[str]) -> np.ndarray:
        enc = tokenizer.encode_batch(batch)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        hidden = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    embed(texts[:batch_size])
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for i in range(0, len(texts), batch_size):
            embed(texts[i : i + batch_size])
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def main() -> None:
    embedder = MiniLMEmbedder()
    fp32 = MiniLMEmbedder(int8_activations=False)
    load_s = measure_load_time()
    rows = measure_embedding_throughput(embedder)
    fp32_rows = measure_embedding_throughput(fp32)
    latency = measure_query_latency(embedder)
    naive = measure_naive_baseline()
    print(f"embedder: {embedder.name} ({embedder.dimension}-d), texts of {rows[0]['mean_words']:.1f} words on average")
    print(f"load (verify + int8 rewrite + session, fresh process): {load_s:.2f} s")
    print(f"single query: p50 {latency['p50_ms']:.1f} ms, p99 {latency['p99_ms']:.1f} ms")
    print()
    print(f"{'batch size':>10} | {'texts/s':>8} | {'x naive':>7} | {'fp32 matmuls':>12} | {'int8/fp32':>9}")
    print(f"{'-' * 10}-+-{'-' * 8}-+-{'-' * 7}-+-{'-' * 12}-+-{'-' * 9}")
    for row, fp32_row in zip(rows, fp32_rows, strict=True):
        rate, fp32_rate = row["texts_per_s"], fp32_row["texts_per_s"]
        ratio = rate / fp32_rate
        print(f"{row['batch_size']:>10} | {rate:>8.0f} | {rate / naive:>7.2f} | {fp32_rate:>12.0f} | {ratio:>9.2f}")
    print(f"{'naive 32':>10} | {naive:>8.0f} | {1.0:>7.2f} |")
    print()
    print(
        f"load average during the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs "
        "(other processes on the machine lower every figure)"
    )


if __name__ == "__main__":
    main()
