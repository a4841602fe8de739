"""Regressions found in a review of several stores in one process and of the process-wide defaults."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any

import pytest

import agentlog
from agentlog import MemoryService, SessionService, Store, StoreClosedError, StoreLockedError
from agentlog.embeddings import FakeEmbedder
from agentlog.services import defaults
from tests.conftest import run_python

fork_only = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


async def _log(store: Store, agent: str, text: str) -> None:
    sessions = SessionService(store)
    session = await sessions.create_session(agent)
    await sessions.add_event(session["id"], "note", {"text": text})
    await sessions.end_session(session["id"], summary=f"{text} summary")
    await MemoryService(store).put_memory("project:shared", "key", {"text": text}, "semantic")


# -- several stores at once ------------------------------------------------------------------------------------------


def test_stores_with_different_embedders_keep_their_data_apart(tmp_path: Path) -> None:
    stores = {
        "file16": Store(tmp_path / "a", embedder=FakeEmbedder(16)),
        "file32": Store(tmp_path / "b", embedder=FakeEmbedder(32)),
        "memory8": Store.memory(embedder=FakeEmbedder(8)),
        "memory64": Store.memory(embedder="fake"),
    }
    try:

        async def run() -> dict[str, tuple[list[str], list[Any], list[Any]]]:
            for name, store in stores.items():
                await _log(store, name, f"database migration of {name}")
            found = {}
            for name, store in stores.items():
                sessions = SessionService(store)
                hits = await sessions.search_sessions("database migration", threshold=0)
                events = await sessions.search_events("database migration", threshold=0)
                memories = await MemoryService(store).search_memories("database migration")
                found[name] = ([h["agent"] for h in hits], [e["event_data"] for e in events], memories)
            return found

        found = asyncio.run(run())
        for name, (agents, events, memories) in found.items():
            assert agents == [name]
            assert events == [{"text": f"database migration of {name}"}]
            assert [m["value"] for m in memories] == [{"text": f"database migration of {name}"}]
        assert {store.index.tables.dimension for store in stores.values() if store.index} == {8, 16, 32, 64}
    finally:
        for store in stores.values():
            store.close()


def test_closing_one_store_leaves_another_searchable(tmp_path: Path) -> None:
    first, second = Store(tmp_path / "a"), Store.memory()
    try:
        asyncio.run(_log(first, "first", "first store text"))
        asyncio.run(_log(second, "second", "second store text"))
        first.close()
        asyncio.run(_log(second, "second", "more text after the other closed"))
        second.wait_for_index()
        hits = asyncio.run(SessionService(second).search_events("text", threshold=0, limit=10))
        assert sorted(hit["event_data"]["text"] for hit in hits) == [
            "more text after the other closed",
            "second store text",
        ]
        with pytest.raises(StoreClosedError):
            first.wait_for_index()
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("spelling", ["same", "trailing slash", "relative", "symlink", "dot segments"])
def test_the_same_directory_twice_in_one_process_is_refused_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str
) -> None:
    path = tmp_path / "store"
    with Store(path, embedder=None) as store:
        asyncio.run(SessionService(store).create_session("claude"))
        monkeypatch.chdir(tmp_path)
        other: str | Path = {
            "same": path,
            "trailing slash": f"{path}/",
            "relative": "store",
            "dot segments": f"{tmp_path}/./store/../store",
        }.get(spelling, tmp_path / "link")
        if spelling == "symlink":
            (tmp_path / "link").symlink_to(path)
        with pytest.raises(StoreLockedError, match="already open in this process"):
            Store(other, embedder=None)
        assert store.sql("SELECT count(*) FROM sessions").fetchall() == [(1,)]  # the refusal left it working
    with Store(other, embedder=None) as again:  # and once closed, any spelling opens it
        assert again.sql("SELECT count(*) FROM sessions").fetchall() == [(1,)]


def test_stores_left_open_are_all_closed_at_exit(tmp_path: Path) -> None:
    code = """
import asyncio, sys
from pathlib import Path
from agentlog import SessionService, Store
from agentlog.embeddings import FakeEmbedder

root = Path(sys.argv[1])
stores = [Store(root / "a"), Store(root / "b", embedder=FakeEmbedder(16)), Store(root / "c", embedder=None),
          Store.memory()]

async def log() -> None:
    for number, store in enumerate(stores):
        sessions = SessionService(store)
        session = await sessions.create_session(f"agent{number}")
        for i in range(20):
            await sessions.add_event(session["id"], "note", {"i": i})

asyncio.run(log())
print("logged")
"""
    done = run_python(code, str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "logged" in done.stdout
    for name, embedder in (("a", "fake"), ("b", FakeEmbedder(16)), ("c", None)):
        assert not (tmp_path / name / "agentlog.duckdb.wal").exists()  # closed (checkpointed), not just killed
        with Store(tmp_path / name, embedder=embedder) as store:
            assert store.sql("SELECT count(*) FROM events").fetchall() == [(20,)]


# -- the process-wide services --------------------------------------------------------------------------------------


def test_first_calls_from_many_threads_share_one_store() -> None:
    barrier = threading.Barrier(8)
    got: list[SessionService] = []

    def call() -> None:
        barrier.wait()
        got.append(agentlog.get_session_service())

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 8 and all(service is got[0] for service in got)
    assert agentlog.get_memory_service().store is got[0].store


def test_default_store_closed_by_the_user_is_opened_again() -> None:
    service = agentlog.get_session_service()
    service.store.close()
    again = agentlog.get_session_service()
    assert again is not service and not again.store.closed
    asyncio.run(again.create_session("claude"))


def test_default_store_whose_close_was_interrupted_is_opened_again() -> None:
    store = agentlog.get_session_service().store
    writer_close = store._writer.close
    interrupted: list[bool] = []

    def close_interrupted() -> None:  # Ctrl-C while close() waits for the queued writes
        if not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt
        writer_close()

    store._writer.close = close_interrupted  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        agentlog.close_default_store()
    assert store.closed  # closed to new work, its directory still locked
    service = agentlog.get_session_service()  # was StoreLockedError: "already open in this process"
    assert service.store is not store and not service.store.closed
    asyncio.run(service.create_session("claude"))


def test_an_explicit_store_on_the_default_directory_is_refused_clearly() -> None:
    service = agentlog.get_session_service()
    with pytest.raises(StoreLockedError, match="already open in this process"):
        Store()
    agentlog.close_default_store()
    with Store() as store:
        with pytest.raises(StoreLockedError, match="already open in this process"):
            agentlog.get_session_service()
        assert store.path == service.store.path
    assert not agentlog.get_session_service().store.closed


_FORKED_CHILD = """
import asyncio, os, sys
from pathlib import Path
import agentlog
from agentlog import SessionService, Store

root = Path(sys.argv[1])
os.environ["AGENTLOG_HOME"] = str(root / "home")
asyncio.run(agentlog.get_session_service().create_session("parent"))
explicit = Store(root / "explicit")
asyncio.run(SessionService(explicit).create_session("parent"))
ready, go = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(go)
    os.read(ready, 1)  # the parent has closed both stores (and written more to each first)

    def attempt(name, call):
        try:
            print(name, "opened", call(), flush=True)
        except Exception as exc:
            print(name, type(exc).__name__, "forked from" in str(exc), flush=True)

    attempt("default", lambda: agentlog.get_session_service().store.sql("SELECT count(*) FROM sessions").fetchall())
    attempt("explicit", lambda: Store(root / "explicit").sql("SELECT count(*) FROM sessions").fetchall())
    os.environ["AGENTLOG_HOME"] = str(root / "child-home")  # another default store: the child may open that one
    attempt("other", lambda: asyncio.run(agentlog.get_session_service().create_session("child"))["agent"])
    agentlog.close_default_store()
    os._exit(0)
asyncio.run(agentlog.get_session_service().create_session("parent-later"))
asyncio.run(SessionService(explicit).create_session("parent-later"))
agentlog.close_default_store()
explicit.close()
os.write(go, b"x")
os.waitpid(pid, 0)
for name in ("home", "explicit", "child-home"):
    with Store(root / name) as store:
        print(name, sorted(row[0] for row in store.sql("SELECT agent FROM sessions").fetchall()), flush=True)
"""


@fork_only
def test_a_forked_child_cannot_reopen_a_store_open_at_the_fork(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB keeps one database per file in a process: a forked child's is the stale copy the fork made.

    Before, the child opened the store once the parent had closed it, saw none of the parent's later
    writes, and lost its own; its default services stayed bound to the parent's copy for good.
    """
    monkeypatch.setenv("AGENTLOG_EMBEDDER", "none")  # no LanceDB runtime across the fork
    done = run_python(_FORKED_CHILD, str(tmp_path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:3] == ["default StoreError True", "explicit StoreError True", "other opened child"], lines
    assert lines[3:] == [
        "home ['parent', 'parent-later']",
        "explicit ['parent', 'parent-later']",
        "child-home ['child']",
    ]


@fork_only
def test_forked_child_is_not_stuck_on_a_lock_held_at_the_fork() -> None:
    opening = threading.Event()
    release = threading.Event()

    def slow_factory(store: Store) -> object:  # holds the defaults' lock, as a first get_* call opening the store
        opening.set()
        release.wait(30)
        return object()

    holder = threading.Thread(target=defaults.default_service, args=(dict, slow_factory))
    holder.start()
    try:
        assert opening.wait(30)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 1
            try:
                done = threading.Event()
                worker = threading.Thread(target=lambda: (defaults.close_default_store(), done.set()), daemon=True)
                worker.start()
                worker.join(60)  # waited for ever on the parent's lock before the fix
                code = 0 if done.is_set() else 3
            finally:
                os.write(write, bytes([code]))
                os._exit(0)
        os.close(write)
        outcome = os.read(read, 1)
        os.close(read)
        os.waitpid(pid, 0)
        assert outcome == b"\x00"
    finally:
        release.set()
        holder.join()


def test_default_store_keeps_its_directory_until_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A documented decision: AGENTLOG_HOME is read when the default store opens; close it to switch."""
    first = agentlog.get_session_service().store.path
    monkeypatch.setenv("AGENTLOG_HOME", str(tmp_path / "other"))
    assert agentlog.get_session_service().store.path == first
    agentlog.close_default_store()
    assert agentlog.get_session_service().store.path == (tmp_path / "other").resolve()


# -- the embedder loaded once per process ---------------------------------------------------------------------------


@pytest.mark.model
def test_a_model_that_failed_to_load_is_loaded_when_fixed(tmp_path: Path) -> None:
    from agentlog import ModelFileError
    from agentlog.embeddings import MiniLMEmbedder, minilm

    model = tmp_path / "model.onnx"
    model.write_bytes(b"not a model")
    embedder = MiniLMEmbedder(model_path=model, num_threads=1)
    with Store.memory(embedder=embedder) as store:
        for _ in range(2):  # the failure is not kept: each attempt reads the file again
            with pytest.raises(ModelFileError):
                embedder.load()
        model.write_bytes(minilm.default_model_path().read_bytes())  # fixed: the same embedder loads now
        asyncio.run(_log(store, "claude", "database migration"))
        store.wait_for_index(timeout=120)
        hits = asyncio.run(SessionService(store).search_sessions("database migration", threshold=0))
        assert [hit["agent"] for hit in hits] == ["claude"]
