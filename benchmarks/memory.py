"""Memory and document benchmark: printed, never asserted.

Prints, for this machine and in one run:

(a) ``create_memory`` / ``update_memory``, one awaited call at a time: calls/s and p50 latency;
(b) the same with 20 concurrent callers (updates: 20 tasks on 20 keys, and 20 tasks on ONE key);
(c) ``list_memories_by_namespace`` p50 / p95 at N memories (default 100k; ~1,000 under the prefix, limit 100);
(d) ``search_memories`` p50 / p95 at N memories, with and without a namespace prefix. This uses the
    deterministic FAKE embedder (64-d hashing, no model), so it measures the index and the filters, not a
    model; a real query embedding adds ~3 ms with the offline model;
(e) ``sync_directory`` docs/s on a generated corpus of markdown files (default 1,000, ~300-700 words each):
    first sync (all added, waits until embedded), re-sync (all unchanged), with the fake embedder; and the
    first sync with the real offline model on fewer files (``--model-files``, 0 to skip).

Usage: ``python benchmarks/memory.py [--memories 100000] [--calls 500] [--files 1000] [--model-files 100]``
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agentlog import DocumentIndexService, MemoryService, Store
from benchmarks.stats import median_ms, percentile_ms

VOCABULARY = (
    "agent session event memory index vector search query namespace project user store writer commit batch "
    "chunk document markdown embedding model similarity threshold filter limit prefix version history update "
    "delete restore expiry sweep duckdb lancedb arrow parquet export import schema migration design plan report "
    "error latency throughput cache replica shard token window overlap title heading paragraph list table code"
)
WORDS = VOCABULARY.split()


def pct(values: list[float], q: float) -> float:
    """p50 (the median) or a nearest-rank tail percentile of latencies in seconds, in milliseconds."""
    return median_ms(values) if q == 0.5 else percentile_ms(values, q)


def row(label: str, value: str) -> None:
    print(f"  {label:<58} {value}")


async def writes(memory: MemoryService, calls: int) -> None:
    print("(a)/(b) writes")
    latencies = []
    start = time.perf_counter()
    for n in range(calls):
        t = time.perf_counter()
        await memory.create_memory("project:bench:seq", f"k{n}", {"n": n, "note": "sequential create"}, "semantic")
        latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - start
    row("create_memory, sequential", f"{calls / elapsed:8.0f} calls/s   p50 {pct(latencies, 0.5):.2f} ms")
    latencies = []
    start = time.perf_counter()
    for n in range(calls):
        t = time.perf_counter()
        await memory.update_memory("project:bench:seq", f"k{n % 50}", {"n": n})
        latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - start
    row("update_memory, sequential", f"{calls / elapsed:8.0f} calls/s   p50 {pct(latencies, 0.5):.2f} ms")

    async def task(worker: int, op: str, same_key: bool) -> None:
        for n in range(calls // 20):
            key = "hot" if same_key else f"w{worker}"
            if op == "create":
                await memory.create_memory("project:bench:conc", f"w{worker}-{n}", {"n": n}, "semantic")
            else:
                await memory.update_memory("project:bench:conc", key, {"worker": worker, "n": n})

    await memory.create_memory("project:bench:conc", "hot", 0, "semantic")
    for worker in range(20):
        await memory.create_memory("project:bench:conc", f"w{worker}", 0, "semantic")
    for label, op, same in (
        ("create_memory, 20 concurrent callers", "create", False),
        ("update_memory, 20 concurrent callers, 20 keys", "update", False),
        ("update_memory, 20 concurrent callers, one key", "update", True),
    ):
        start = time.perf_counter()
        await asyncio.gather(*(task(w, op, same) for w in range(20)))
        elapsed = time.perf_counter() - start
        row(label, f"{(calls // 20) * 20 / elapsed:8.0f} calls/s")
    hot = await memory.get_memory("project:bench:conc", "hot")
    assert hot is not None
    row(f"  (versions of the one key, expected 1 + {(calls // 20) * 20})", f"{hot['version']:8d}")


async def populate(memory: MemoryService, count: int) -> float:
    start = time.perf_counter()
    rng = random.Random(7)
    batch = 2000
    for first in range(0, count, batch):
        await asyncio.gather(
            *(
                memory.create_memory(
                    f"project:p{n % 100}:agent{n % 7}",
                    f"key{n}",
                    " ".join(rng.choice(WORDS) for _ in range(12)),
                    ("semantic", "episodic", "procedural", "short_term")[n % 4],
                )
                for n in range(first, min(count, first + batch))
            )
        )
    return time.perf_counter() - start


async def reads(store: Store, memory: MemoryService, count: int, repeat: int) -> None:
    print(f"(c)/(d) reads at {count:,} memories")
    elapsed = await populate(memory, count)
    row(f"populate: {count:,} create_memory, 2,000 in flight", f"{count / elapsed:8.0f} calls/s")
    start = time.perf_counter()
    store.wait_for_index()
    row("index catch-up after populate (fake embedder)", f"{time.perf_counter() - start:8.1f} s")
    latencies = []
    for n in range(repeat):
        t = time.perf_counter()
        result = await memory.list_memories_by_namespace(f"project:p{n % 100}", limit=100)
        latencies.append(time.perf_counter() - t)
        assert len(result) == min(100, len(range(n % 100, count, 100)))  # populate puts memory m under p{m % 100}
    row(
        "list_memories_by_namespace('project:pN'), limit 100",
        f"p50 {pct(latencies, 0.5):7.2f} ms   p95 {pct(latencies, 0.95):.2f} ms",
    )
    latencies = []
    for n in range(repeat):
        t = time.perf_counter()
        await memory.list_memories_by_namespace(f"project:p{n % 100}:agent3", memory_type="episodic", limit=100)
        latencies.append(time.perf_counter() - t)
    row(
        "list_memories_by_namespace(deeper prefix, memory_type)",
        f"p50 {pct(latencies, 0.5):7.2f} ms   p95 {pct(latencies, 0.95):.2f} ms",
    )
    for label, prefix in (
        ("search_memories, no filter (FAKE embedder)", None),
        ("search_memories, prefix 'project:pN' (FAKE embedder)", "x"),
    ):
        latencies = []
        for n in range(repeat):
            t = time.perf_counter()
            await memory.search_memories(
                f"{WORDS[n % len(WORDS)]} {WORDS[(n * 7) % len(WORDS)]} history",
                namespace_prefix=None if prefix is None else f"project:p{n % 100}",
                limit=10,
            )
            latencies.append(time.perf_counter() - t)
        row(label, f"p50 {pct(latencies, 0.5):7.2f} ms   p95 {pct(latencies, 0.95):.2f} ms")
    assert store.index is not None
    row(
        "  (vectors in the memories table / ANN index)",
        f"{store.index.tables.count('memories'):8d} / {store.index.tables.has_ann_index('memories')}",
    )


def corpus(root: Path, files: int) -> None:
    rng = random.Random(11)
    for n in range(files):
        folder = root / f"area{n % 10}" / f"topic{n % 37}"
        folder.mkdir(parents=True, exist_ok=True)
        sections = []
        for s in range(rng.randint(3, 6)):
            body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(80, 130)))
            sections.append(f"## Section {s}\n\n{body}\n")
        (folder / f"doc{n}.md").write_text(f"# Document {n}\n\n" + "\n".join(sections), encoding="utf-8")


async def sync(files: int, model_files: int) -> None:
    print(f"(e) sync_directory on generated markdown ({files:,} files)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "corpus"
        corpus(root, files)
        with Store(Path(tmp) / "store", embedder="fake") as store:
            docs = DocumentIndexService(store)
            start = time.perf_counter()
            report = await docs.sync_directory(root, progress=False)
            elapsed = time.perf_counter() - start
            chunks = store.sql("SELECT count(*) FROM document_chunks").fetchall()[0][0]
            row(
                f"first sync, fake embedder ({len(report.added)} added, {chunks} chunks)",
                f"{files / elapsed:8.0f} docs/s",
            )
            start = time.perf_counter()
            report = await docs.sync_directory(root, progress=False)
            elapsed = time.perf_counter() - start
            row(f"re-sync, nothing changed ({len(report.unchanged)} unchanged)", f"{files / elapsed:8.0f} docs/s")
        if model_files:
            model_root = Path(tmp) / "model-corpus"
            corpus(model_root, model_files)
            with Store(Path(tmp) / "model-store", embedder="minilm") as store:
                docs = DocumentIndexService(store)
                await docs.index_document("warmup.md", "warm", "load the model first")
                await docs.wait_for_sync()
                start = time.perf_counter()
                report = await docs.sync_directory(model_root, progress=False)
                elapsed = time.perf_counter() - start
                chunks = store.sql("SELECT count(*) FROM document_chunks").fetchall()[0][0] - 1
                row(
                    f"first sync, offline MiniLM ({len(report.added)} files, {chunks} chunks)",
                    f"{model_files / elapsed:8.1f} docs/s ({chunks / elapsed:.0f} chunks/s)",
                )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memories", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--model-files", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "store", embedder="fake") as store:
        memory = MemoryService(store)
        await writes(memory, args.calls)
        await reads(store, memory, args.memories, args.repeat)
    await sync(args.files, args.model_files)


if __name__ == "__main__":
    asyncio.run(main())
