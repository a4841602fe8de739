"""Regressions found in a review of the store's lifecycle: reader cursors, close races, cancellation."""

from __future__ import annotations

import _thread
import asyncio
import gc
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
import weakref
from pathlib import Path
from typing import Any

import pytest

from agentlog import Store, StoreClosedError, StoreError, StoreLockedError
from agentlog.store.writer import Transaction


def _is_released(ref: weakref.ReferenceType[Any]) -> bool:
    """Whether the cursor behind ``ref`` was freed or closed."""
    cursor = ref()
    if cursor is None:
        return True
    try:
        cursor.execute("SELECT 1")
    except Exception:  # closed
        return True
    return False


def _read_in_thread(store: Store, refs: list[weakref.ReferenceType[Any]]) -> None:
    def read() -> None:
        with store.cursor() as cur:
            refs.append(weakref.ref(cur))
        store.sql("SELECT count(*) FROM events").fetchall()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(10)


def test_cursors_of_ended_threads_are_released() -> None:
    with Store.memory(embedder=None) as store:
        refs: list[weakref.ReferenceType[Any]] = []
        for _ in range(50):  # a thread per request
            _read_in_thread(store, refs)
        store.sql("SELECT 1").fetchall()  # the main thread's cursor stays in use
        gc.collect()
        assert len(refs) == 50 and all(_is_released(ref) for ref in refs)
        assert store.sql("SELECT count(*) FROM events").fetchall() == [(0,)]


def test_cursors_of_threads_not_started_by_threading_are_released() -> None:
    with Store.memory(embedder=None) as store:
        refs: list[weakref.ReferenceType[Any]] = []
        done = threading.Event()

        def read() -> None:
            try:
                with store.cursor() as cur:
                    refs.append(weakref.ref(cur))
            finally:
                done.set()

        _thread.start_new_thread(read, ())
        assert done.wait(10)
        for _ in range(100):  # the foreign thread ends just after setting the event
            gc.collect()
            if _is_released(refs[0]):
                break
            threading.Event().wait(0.01)
        assert _is_released(refs[0])


def test_a_live_threads_cursor_and_snapshot_survive_other_threads_ending() -> None:
    with Store.memory(embedder=None) as store:
        inside, go_on = threading.Event(), threading.Event()
        seen: list[Any] = []

        def long_snapshot(cur: Any) -> Any:
            first = cur.execute("SELECT count(*) FROM index_tombstones").fetchall()
            inside.set()
            assert go_on.wait(10)
            return first, cur.execute("SELECT count(*) FROM index_tombstones").fetchall()

        reader = threading.Thread(target=lambda: seen.append(store.read(long_snapshot, snapshot=True)))
        reader.start()
        assert inside.wait(10)
        refs: list[weakref.ReferenceType[Any]] = []
        for _ in range(20):
            _read_in_thread(store, refs)
        store.sql("SELECT 1").fetchall()
        go_on.set()
        reader.join(10)
        assert seen == [([(0,)], [(0,)])]


def test_a_new_thread_never_inherits_the_transaction_of_an_ended_one() -> None:
    """Thread ids are reused: a thread that ends inside a transaction must not leave it to the next one."""
    with Store.memory(embedder=None) as store:

        def begin_and_end() -> None:
            with store.cursor() as cur:
                cur.begin()  # and never commits: the thread just ends
                cur.execute("SELECT count(*) FROM index_tombstones").fetchall()

        counts: list[Any] = []
        for n in range(20):
            thread = threading.Thread(target=begin_and_end)
            thread.start()
            thread.join(10)
            store._db.execute("INSERT INTO index_tombstones VALUES ('x', uuid(), 0)")
            reader = threading.Thread(
                target=lambda: counts.append(store.sql("SELECT count(*) FROM index_tombstones").fetchall()[0][0])
            )
            reader.start()
            reader.join(10)
            assert counts[-1] == n + 1, counts


def test_close_still_closes_every_live_threads_cursor() -> None:
    store = Store.memory(embedder=None)
    ready, stop = threading.Event(), threading.Event()
    refs: list[weakref.ReferenceType[Any]] = []

    def hold() -> None:
        with store.cursor() as cur:
            refs.append(weakref.ref(cur))
        ready.set()
        stop.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    assert ready.wait(10)
    store.close()
    assert _is_released(refs[0])
    stop.set()
    thread.join(10)
    with pytest.raises(StoreClosedError):
        store.sql("SELECT 1")


class Add:
    """Add one tombstone row (a change with a change number, so commit listeners run)."""

    def apply(self, tx: Transaction) -> str:
        tx.append("index_tombstones", {"kind": "add", "item_id": uuid.uuid4().bytes, "index_lsn": tx.next_lsn()})
        return "added"


class Hold(Add):
    """Keep the writer busy until ``gate`` opens, then add a row."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()

    def apply(self, tx: Transaction) -> str:
        self.entered.set()
        assert self.gate.wait(10)
        return super().apply(tx)


def _reopens(path: Path) -> int:
    """Open the store at ``path`` again (it must not be locked) and count its tombstones."""
    with Store(path, embedder=None) as store:
        return int(store.sql("SELECT count(*) FROM index_tombstones").fetchall()[0][0])


def test_close_from_a_read_async_function_releases_the_store(tmp_path: Path) -> None:
    store = Store(tmp_path / "s", embedder=None)
    store.write(Add())

    async def close_while_reading() -> None:
        await store.read_async(lambda cur: store.close())  # runs on a thread of the reader pool

    asyncio.run(close_while_reading())
    assert store.closed
    assert _reopens(tmp_path / "s") == 1


def test_a_close_interrupted_while_writes_are_queued_can_be_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "s", embedder=None)
    hold = Hold()
    held = store.submit(hold)
    assert hold.entered.wait(10)
    queued = store.submit(Add())
    thread = store._writer._thread
    real_join = thread.join

    def interrupted_join(timeout: float | None = None) -> None:  # Ctrl-C while close() waits for the writer
        monkeypatch.setattr(thread, "join", real_join)
        raise KeyboardInterrupt

    monkeypatch.setattr(thread, "join", interrupted_join)
    with pytest.raises(KeyboardInterrupt):
        store.close()
    assert store.closed
    with pytest.raises(StoreClosedError):
        store.submit(Add())
    hold.gate.set()
    store.close()  # finishes the job: waits for the queued writes, then releases the store
    assert held.result(0) == "added" and queued.result(0) == "added"
    assert _reopens(tmp_path / "s") == 2


def test_close_from_a_commit_listener_raises_instead_of_hanging(tmp_path: Path) -> None:
    store = Store(tmp_path / "s", embedder=None)
    errors: list[BaseException] = []

    def listener(lsn: int) -> None:
        try:
            store.close()
        except BaseException as exc:
            errors.append(exc)

    hold = Hold()
    held = store.submit(hold)
    assert hold.entered.wait(10)
    queued = [store.submit(Add()) for _ in range(3)]
    store.add_commit_listener(listener)
    closer = threading.Thread(target=store.close)  # close() waits for the writer, which runs the listener
    closer.start()
    while not store.closed:
        time.sleep(0.01)
    hold.gate.set()
    closer.join(10)
    assert not closer.is_alive(), "close() deadlocked with a close() in a commit listener"
    assert errors and all(isinstance(exc, StoreError) and "commit listener" in str(exc) for exc in errors)
    assert held.result(0) == "added" and all(future.result(0) == "added" for future in queued)
    assert _reopens(tmp_path / "s") == 4


def test_a_blocking_write_inside_a_write_op_raises_instead_of_hanging() -> None:
    store = Store.memory(embedder=None)

    class Nested:
        def apply(self, tx: Transaction) -> Any:
            return store.write(Add())  # would wait for the writer thread it runs on

    with pytest.raises(StoreError, match="writer thread"):
        store.submit(Nested()).result(10)
    closer = threading.Thread(target=store.close)
    closer.start()
    closer.join(10)
    assert not closer.is_alive() and store.closed


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_keep_a_closed_store_locked(tmp_path: Path) -> None:
    store = Store(tmp_path / "s", embedder=None)
    store.write(Add())
    child = multiprocessing.get_context("fork").Process(target=time.sleep, args=(30,))
    child.start()  # a worker forked while the store is open, which never uses it
    try:
        store.close()
        assert _reopens(tmp_path / "s") == 1
        # and the parent's lock still holds while it is open
        with Store(tmp_path / "s", embedder=None), pytest.raises(StoreLockedError):
            Store(tmp_path / "s", embedder=None)
    finally:
        child.kill()
        child.join(10)


_FORK_THEN_CRASH = """
import os, signal, sys, uuid
from agentlog import Store

class Add:
    def apply(self, tx):
        tx.append("index_tombstones", {"kind": "x", "item_id": uuid.uuid4().bytes, "index_lsn": 0})

store = Store(sys.argv[1], embedder=None)
for _ in range(20):
    store.write(Add())
child = os.fork()
if child == 0:
    store.close()  # what agentlog's atexit hook does for the default store when a forked child exits
    os._exit(0)
os.waitpid(child, 0)
for _ in range(20):
    store.write(Add())  # acknowledged: committed
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_close_in_a_forked_child_leaves_the_parents_database_alone(tmp_path: Path) -> None:
    path = tmp_path / "s"
    crashed = subprocess.run([sys.executable, "-c", _FORK_THEN_CRASH, str(path)], capture_output=True, timeout=120)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()
    assert _reopens(path) == 40  # the child's close had checkpointed and dropped the WAL the parent kept writing to


_FORKED_CHILD_USES_THE_STORE = """
import asyncio, os, sys
from agentlog import SessionService, Store, StoreClosedError

store = Store(sys.argv[1], embedder=None)
service = SessionService(store)
child = os.fork()
if child == 0:
    outcomes = []
    for call in (lambda: service.create_session(agent="child"), lambda: service.list_sessions()):
        try:
            asyncio.run(asyncio.wait_for(call(), 20))
            outcomes.append("done")
        except StoreClosedError as exc:
            outcomes.append("forked" if "forked from it" in str(exc) else str(exc))
        except BaseException as exc:
            outcomes.append(type(exc).__name__)
    print(*outcomes, flush=True)
    os._exit(0)
os.waitpid(child, 0)
asyncio.run(service.create_session(agent="parent"))
print(asyncio.run(service.count_sessions("parent")), asyncio.run(service.count_sessions("child")))
store.close()
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_using_the_parents_store_gets_an_error_not_a_hang(tmp_path: Path) -> None:
    # The child has the store object but not its writer thread: a write waited for ever.
    run = subprocess.run(
        [sys.executable, "-c", _FORKED_CHILD_USES_THE_STORE, str(tmp_path / "s")], capture_output=True, timeout=120
    )
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout.decode().split("\n")[:2] == ["forked forked", "1 0"]


_EXIT_WITH_THE_STORE_OPEN = """
import asyncio, sys
from agentlog import SessionService, Store

store = Store(sys.argv[1], embedder="fake")
service = SessionService(store)


async def main() -> None:
    session = await service.create_session(agent="script")
    await service.add_events(session["id"], [{"event_type": "step", "event_data": {"n": n}} for n in range(5000)])
    if sys.argv[2] == "raise":
        raise RuntimeError("the script failed")


asyncio.run(main())  # the store is never closed: the indexer is still embedding when Python exits
"""


@pytest.mark.parametrize("ending", ["return", "raise"])
def test_a_script_that_exits_with_its_store_open_ends_normally(tmp_path: Path, ending: str) -> None:
    # Python ended the store's daemon threads inside native code at exit: the process aborted (status 134).
    path = tmp_path / "s"
    run = subprocess.run(
        [sys.executable, "-c", _EXIT_WITH_THE_STORE_OPEN, str(path), ending], capture_output=True, timeout=120
    )
    assert run.returncode == (0 if ending == "return" else 1), run.stderr.decode()[-2000:]
    assert b"terminate called" not in run.stderr
    assert (b"the script failed" in run.stderr) == (ending == "raise")
    with Store(path, embedder="fake") as store:
        assert store.sql("SELECT count(*) FROM events").fetchall() == [(5000,)]
