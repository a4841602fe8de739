"""The threads that embed run at background priority (Linux): indexing yields the CPU to the writes."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from agentlog import Store
from agentlog.embeddings import MiniLMEmbedder
from agentlog.priority import BACKGROUND_NICE, lower_thread_priority, run_at_background_priority

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority is Linux's")


def nice_of(native_id: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, native_id)


def process_threads() -> dict[int, int]:
    """Every thread of this process and its nice value."""
    found = {}
    for name in os.listdir("/proc/self/task"):
        try:
            found[int(name)] = nice_of(int(name))
        except OSError:  # ended meanwhile
            continue
    return found


def test_a_thread_lowers_its_own_priority_only() -> None:
    base = nice_of(threading.get_native_id())
    seen: list[tuple[bool, int]] = []

    def worker() -> None:
        lowered = lower_thread_priority()
        seen.append((lowered, nice_of(threading.get_native_id())))

    def twice() -> None:
        worker()
        worker()  # a level, not a step: lowering a lowered thread leaves it there

    thread = threading.Thread(target=twice)
    thread.start()
    thread.join()
    assert seen == [(True, min(19, base + BACKGROUND_NICE))] * 2
    assert nice_of(threading.get_native_id()) == base  # the caller is untouched


def test_run_at_background_priority_returns_or_raises_what_the_build_did() -> None:
    base = nice_of(threading.get_native_id())
    assert run_at_background_priority(lambda: nice_of(threading.get_native_id())) == min(19, base + BACKGROUND_NICE)

    def failing() -> None:
        raise KeyError("model file")

    with pytest.raises(KeyError, match="model file"):
        run_at_background_priority(failing)
    assert nice_of(threading.get_native_id()) == base


def test_the_indexer_thread_runs_at_background_priority(tmp_path: Path) -> None:
    base = nice_of(threading.get_native_id())
    with Store(tmp_path / "store", embedder="fake") as store:
        assert store.index is not None
        indexers = [t for t in threading.enumerate() if t.name == "agentlog-indexer"]
        assert indexers and all(t.native_id is not None for t in indexers)
        assert {nice_of(t.native_id) for t in indexers if t.native_id is not None} == {min(19, base + BACKGROUND_NICE)}


@pytest.mark.parametrize("caller", ["main", "background"])
def test_onnxruntime_workers_of_the_real_model_run_at_background_priority(caller: str) -> None:
    # Usually the indexer thread (already at background priority) embeds first and so builds the runtime:
    # its workers must land at the same level, not one step further down.
    base = nice_of(threading.get_native_id())
    before = process_threads()
    threads = 3 if caller == "main" else 4  # a runtime of its own (the key holds the thread count)
    embedder = MiniLMEmbedder(num_threads=threads)
    if caller == "main":
        vectors = embedder.embed(["the caller keeps its priority"])
    else:
        vectors = run_at_background_priority(lambda: embedder.embed(["built from a background thread"]))
    assert vectors.shape == (1, 384)
    started = {tid: nice for tid, nice in process_threads().items() if tid not in before}
    background = min(19, base + BACKGROUND_NICE)
    assert sum(nice == background for nice in started.values()) >= threads - 1, started
    assert all(nice in (base, background) for nice in started.values()), started
    assert nice_of(threading.get_native_id()) == base
