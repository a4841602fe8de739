"""Review of asyncio cancellation and timeouts: cancelled writes, searches and waits, new loops, close.

What must hold: an awaited write that returned is committed, once; a cancelled write is whole or absent
(never half a batch, never half a state merge); after a cancellation the store keeps working on the same
loop and on a new one (``asyncio.run`` twice), with no stray warning, loop error or blocked thread.

The moments are reached with events rather than sleeps: a write op that holds the writer thread
(:class:`HoldWriter`), and an embedder that holds the indexer (:class:`GatedEmbedder`).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pytest

from agentlog import (
    DocumentIndexService,
    IndexTimeoutError,
    MemoryService,
    SearchUnavailableError,
    SessionService,
    Store,
    StoreClosedError,
)
from agentlog.embeddings.fake import FakeEmbedder
from agentlog.store.writer import Transaction

pytestmark = pytest.mark.timeout(120)  # a hang fails the test instead of the run

T = TypeVar("T")

WAIT = 30.0
"""Longest a test waits for a moment it set up (only reached when something hangs)."""


# -- helpers ---------------------------------------------------------------------------------------


class HoldWriter:
    """A write op that keeps the writer thread busy until released (so later ops queue up behind it)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def apply(self, tx: Transaction) -> None:
        self.entered.set()
        assert self.release.wait(WAIT), "the test never released the writer"


class GatedEmbedder(FakeEmbedder):
    """The fake embedder, which waits while ``open`` is clear (only on the indexer thread: queries pass)."""

    def __init__(self) -> None:
        super().__init__()
        self.open = threading.Event()
        self.open.set()
        self.held = threading.Event()
        self.indexer: Any = None

    def _embed(self, texts: list[str]) -> Any:
        if threading.current_thread().name == "agentlog-indexer":
            while not self.open.wait(0.01):
                self.held.set()
                if self.indexer is not None and self.indexer.closing:
                    raise RuntimeError("closing")  # the store closes under a held step: let the thread stop
        return super()._embed(texts)


def gated_store(path: Path | None = None) -> tuple[Store, GatedEmbedder]:
    embedder = GatedEmbedder()
    store = Store(path, embedder=embedder) if path is not None else Store.memory(embedder=embedder)
    embedder.indexer = store.index
    return store, embedder


def hold_indexer(embedder: GatedEmbedder) -> None:
    embedder.held.clear()
    embedder.open.clear()


class Nothing:
    """A write op that changes nothing: awaiting it waits for every op queued before it (the queue is FIFO)."""

    def apply(self, tx: Transaction) -> None:
        return None


async def barrier(store: Store) -> None:
    """Return once every write queued so far is committed or failed, cancelled ones included.

    A write whose caller was cancelled after its op was queued is committed all the same, possibly after the
    cancellation returned: reading the store right after ``await task`` could miss it.
    """
    await store.write_async(Nothing())


def hold_writer(store: Store) -> HoldWriter:
    hold = HoldWriter()
    store.submit(hold)
    assert hold.entered.wait(WAIT)
    return hold


class LoopProblems:
    """Collects what the event loop reports (unretrieved exceptions, callbacks that failed, ...)."""

    def __init__(self) -> None:
        self.contexts: list[dict[str, Any]] = []

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        self.contexts.append(context)


def run(main: Callable[[], Awaitable[T]], problems: LoopProblems | None = None) -> T:
    """``asyncio.run(main())`` on a fresh loop; fail on anything the loop reports, even after it closed."""
    seen = problems if problems is not None else LoopProblems()

    async def wrapped() -> T:
        asyncio.get_running_loop().set_exception_handler(seen)
        return await main()

    result = asyncio.run(wrapped())
    gc.collect()  # a future or task dropped with an unretrieved exception reports it now
    if problems is None:
        assert seen.contexts == []
    return result


async def settle(tasks: list[asyncio.Task[Any]]) -> list[Any]:
    """Wait for every task; return each one's result, exception or CancelledError."""
    return list(await asyncio.gather(*tasks, return_exceptions=True))


async def until(condition: Callable[[], bool]) -> None:
    """Let the loop run until ``condition`` holds (bounded: a hang fails instead of waiting for ever)."""
    for _ in range(int(WAIT / 0.001)):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the awaited moment never came")


def agentlog_threads() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("agentlog") and "analytics" not in t.name)


@pytest.fixture
def errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """The ERROR records of asyncio and agentlog during the test (asserted empty at its end)."""
    with caplog.at_level(logging.ERROR):
        records: list[logging.LogRecord] = []
        yield records
        records.extend(r for r in caplog.records if r.name.startswith(("asyncio", "agentlog")))
        assert [r.getMessage() for r in records] == []


def event_rows(store: Store, sid: uuid.UUID) -> list[tuple[Any, ...]]:
    return store.sql(
        "SELECT id, seq, event_type, event_data->>'$.batch' FROM events WHERE session_id = ? ORDER BY seq", [sid]
    ).fetchall()


# -- writes ----------------------------------------------------------------------------------------


def test_cancelled_add_event_is_whole_or_absent_and_a_returned_one_is_stored_once(
    errors_logged: list[logging.LogRecord],
) -> None:
    with Store.memory(embedder=None) as store:
        service = SessionService(store)

        async def main() -> None:
            sid = (await service.create_session("a"))["id"]
            returned: dict[uuid.UUID, int] = {}

            async def add(n: int) -> None:
                event = await service.add_event(sid, "step", {"n": n}, event_id=uuid.UUID(int=n + 1))
                returned[event["id"]] = event["seq"]

            # cancel at every moment: before the task starts, while it validates, while its op is queued or
            # being committed, and after the commit but before the result reaches it
            for wave in range(8):
                tasks = [asyncio.create_task(add(wave * 100 + n)) for n in range(100)]
                for step in range(12):
                    for task in tasks[step::12]:
                        task.cancel()
                    await asyncio.sleep(0)
                await settle(tasks)
            await barrier(store)
            rows = event_rows(store, sid)
            ids = [row[0] for row in rows]
            assert len(ids) == len(set(ids))  # nothing twice
            assert [row[1] for row in rows] == list(range(1, len(rows) + 1))  # no gap left by a cancelled one
            stored = {row[0]: row[1] for row in rows}
            assert all(stored.get(i) == seq for i, seq in returned.items())  # every returned one, as returned
            assert len(returned) < len(rows) <= 800  # some cancelled ones stood (their op was queued)
            # a retry of every event with its id adds exactly the missing ones, and the store goes on
            again = [asyncio.create_task(add(n)) for n in range(800)]
            assert all(r is None for r in await settle(again))
            assert len(event_rows(store, sid)) == 800

        run(main)


def test_a_write_cancelled_while_queued_is_committed_and_one_cancelled_before_it_started_is_absent(
    errors_logged: list[logging.LogRecord],
) -> None:
    with Store.memory(embedder=None) as store:
        service = SessionService(store)

        async def main() -> None:
            sid = (await service.create_session("a"))["id"]
            never = asyncio.create_task(service.add_event(sid, "never", {}))
            never.cancel()  # before its first step: nothing is queued
            hold = hold_writer(store)
            queued = [asyncio.create_task(service.add_event(sid, "queued", {"n": n})) for n in range(5)]
            await asyncio.sleep(0)  # each task validates and queues its op, then waits for the held writer
            for task in queued:
                task.cancel()
            hold.release.set()
            results = await settle([never, *queued])
            await barrier(store)
            assert all(isinstance(r, asyncio.CancelledError) for r in results)
            # the next write on this loop completes, and sees the cancelled ones committed before it
            last = await service.add_event(sid, "after", {})
            assert last["seq"] == 6
            assert [row[2] for row in event_rows(store, sid)] == ["queued"] * 5 + ["after"]

        run(main)


@pytest.mark.parametrize("shape", ["dicts", "arrow"])
def test_a_cancelled_add_events_batch_is_never_partial(shape: str, errors_logged: list[logging.LogRecord]) -> None:
    with Store.memory(embedder=None) as store:
        service = SessionService(store)
        size = 40

        def batch(b: int) -> Any:
            rows = [{"event_type": "bulk", "event_data": {"batch": b, "i": i}} for i in range(size)]
            if shape == "dicts":
                return rows
            return pa.table(
                {"event_type": ["bulk"] * size, "event_data": [f'{{"batch": {b}, "i": {i}}}' for i in range(size)]}
            )

        async def main() -> None:
            sid = (await service.create_session("a"))["id"]
            done: list[int] = []

            async def add(b: int) -> None:
                result = await service.add_events(sid, batch(b))
                assert result["inserted"] == size
                done.append(b)

            tasks = [asyncio.create_task(add(b)) for b in range(60)]
            for step in range(10):
                for task in tasks[step::10]:
                    task.cancel()
                await asyncio.sleep(0)
            await settle(tasks)
            await barrier(store)
            rows = store.sql(
                "SELECT event_data->>'$.batch', count(*) FROM events WHERE session_id = ? GROUP BY 1", [sid]
            ).fetchall()
            counts = {int(b): n for b, n in rows}
            assert set(counts.values()) <= {size}  # each batch whole, or absent
            assert set(done) <= set(counts)  # every returned batch is there
            seqs = [row[1] for row in event_rows(store, sid)]
            assert seqs == list(range(1, len(seqs) + 1))
            await service.add_events(sid, batch(99))  # and the store goes on
            assert len(event_rows(store, sid)) == len(seqs) + size

        run(main)


def test_a_write_cancelled_while_it_is_prepared_off_the_loop_is_absent(
    monkeypatch: pytest.MonkeyPatch, errors_logged: list[logging.LogRecord]
) -> None:
    # add_events (Arrow) and index_document prepare their rows on a thread before queueing the op: a
    # cancellation there must queue nothing, even once the preparation finishes
    from agentlog.services import document_service, session_service

    entered, release, finished = threading.Event(), threading.Event(), threading.Event()

    def held(real: Callable[..., T]) -> Callable[..., T]:
        def wrapper(*args: Any, **kwargs: Any) -> T:
            entered.set()
            assert release.wait(WAIT)
            try:
                return real(*args, **kwargs)
            finally:
                finished.set()

        return wrapper

    monkeypatch.setattr(session_service, "prepare_event_table", held(session_service.prepare_event_table))
    monkeypatch.setattr(document_service, "prepare_document", held(document_service.prepare_document))
    with Store.memory(embedder=None) as store:
        service, docs = SessionService(store), DocumentIndexService(store)

        async def main() -> None:
            sid = (await service.create_session("a"))["id"]
            table = pa.table({"event_type": ["x"] * 3, "event_data": ['{"n": 1}'] * 3})
            for start in (
                lambda: service.add_events(sid, table),
                lambda: docs.index_document("a.md", "A", "some text"),
            ):
                entered.clear()
                release.clear()
                finished.clear()
                task = asyncio.create_task(start())
                assert await asyncio.to_thread(entered.wait, WAIT)
                task.cancel()
                (outcome,) = await settle([task])
                assert isinstance(outcome, asyncio.CancelledError)
                release.set()
                assert await asyncio.to_thread(finished.wait, WAIT)  # the preparation ran to its end
            await barrier(store)
            assert store.sql("SELECT count(*) FROM events").fetchall() == [(0,)]
            assert store.sql("SELECT count(*) FROM documents").fetchall() == [(0,)]

        run(main)


def test_cancelled_state_merges_are_whole_and_timeouts_at_every_size_leave_the_store_working(
    errors_logged: list[logging.LogRecord],
) -> None:
    with Store.memory(embedder=None) as store:
        service = SessionService(store)
        memory = MemoryService(store)

        async def main() -> None:
            sid = (await service.create_session("a", initial_state={"base": 1}))["id"]
            timeouts = [0, 0.0001, 0.001, 0.005, None]
            merges = [
                asyncio.create_task(
                    asyncio.wait_for(service.update_session_state(sid, {f"a{n}": n, f"b{n}": n}), timeouts[n % 5])
                )
                for n in range(150)
            ]
            creates = [
                asyncio.create_task(
                    asyncio.wait_for(memory.create_memory("project:x", f"k{n}", {"n": n}, "semantic"), timeouts[n % 5])
                )
                for n in range(150)
            ]
            merged = await settle(merges)
            created = await settle(creates)
            await barrier(store)
            state = (await service.require_session(sid))["state"]
            assert state["base"] == 1
            for n, outcome in enumerate(merged):
                assert (f"a{n}" in state) == (f"b{n}" in state), n  # never half a merge
                if not isinstance(outcome, BaseException):
                    assert state[f"a{n}"] == n and outcome["state"][f"a{n}"] == n
            assert any(isinstance(o, TimeoutError) for o in merged)  # the timeouts did cut some short
            for n, outcome in enumerate(created):
                record = await memory.get_memory("project:x", f"k{n}")
                if not isinstance(outcome, BaseException):
                    assert record is not None and record["id"] == outcome and record["version"] == 1
                elif record is not None:
                    assert record["version"] == 1 and record["value"] == {"n": n}
            # a key whose create timed out can be put afterwards, whether the create stood or not
            record = await memory.put_memory("project:x", "k0", {"n": "again"}, "semantic")
            assert record["value"] == {"n": "again"}

        run(main)


def test_a_taskgroup_whose_sibling_fails_leaves_whole_writes_and_no_loop_error(
    errors_logged: list[logging.LogRecord],
) -> None:
    with Store.memory(embedder=None) as store:
        service = SessionService(store)

        async def main() -> None:
            sid = (await service.create_session("a"))["id"]
            hold = hold_writer(store)

            async def fail_when_queued() -> None:
                await asyncio.sleep(0)
                hold.release.set()
                raise LookupError("sibling failed")

            async def group() -> None:
                async with asyncio.TaskGroup() as tasks:
                    for n in range(20):
                        tasks.create_task(service.add_events(sid, [{"event_type": "x", "event_data": {"n": n}}] * 3))
                    tasks.create_task(fail_when_queued())

            with pytest.raises(ExceptionGroup) as caught:
                await group()
            assert caught.group_contains(LookupError)
            await barrier(store)
            counts = store.sql("SELECT count(*) FROM events WHERE session_id = ?", [sid]).fetchall()[0][0]
            assert counts % 3 == 0
            assert (await service.add_event(sid, "after", {}))["seq"] == counts + 1

        run(main)


# -- a second event loop -----------------------------------------------------------------------------


def test_writes_and_searches_left_pending_by_one_asyncio_run_do_not_disturb_the_next(
    errors_logged: list[logging.LogRecord],
) -> None:
    store, embedder = gated_store()
    with store:
        service = SessionService(store)
        sid = run(lambda: service.create_session("a"))["id"]
        box: dict[str, Any] = {}

        async def first() -> None:
            # writes queued behind a held writer, searches waiting for a held indexer: asyncio.run cancels them
            await service.add_event(sid, "indexed", {"text": "alpha"})
            hold_indexer(embedder)
            await service.add_event(sid, "waits", {"text": "beta"})
            assert embedder.held.wait(WAIT)
            box["hold"] = hold_writer(store)
            for n in range(10):  # left pending: asyncio.run cancels them when first() returns
                box.setdefault("tasks", []).append(asyncio.create_task(service.add_event(sid, "pending", {"n": n})))
                box["tasks"].append(asyncio.create_task(service.search_events("beta")))
            await until(lambda: store.index is not None and store.index.waiting >= 10)
            read_held.clear()
            box["tasks"].append(asyncio.create_task(store.read_async(held_read)))
            assert await asyncio.to_thread(read_entered.wait, WAIT)

        read_entered, read_held = threading.Event(), threading.Event()

        def held_read(cur: Any) -> int:
            read_entered.set()
            assert read_held.wait(WAIT)
            return int(cur.execute("SELECT count(*) FROM events").fetchall()[0][0])

        run(first)
        # the first loop is closed: its results now arrive from the writer, the indexer and a reader thread
        box["hold"].release.set()
        embedder.open.set()
        read_held.set()

        async def second() -> None:
            hits = await service.search_events("beta", session_id=sid)
            assert [h["event_type"] for h in hits][:1] == ["waits"]
            event = await service.add_event(sid, "second", {})
            assert event["seq"] == 13  # the 10 pending writes of the first loop stood
            assert (await service.get_session(sid))["events"][-1]["id"] == event["id"]  # type: ignore[index]

        run(second)
        run(_third(service, sid))  # and a third loop, once more
    assert agentlog_threads() == []


def _third(service: SessionService, sid: uuid.UUID) -> Callable[[], Awaitable[None]]:
    async def third() -> None:
        task = asyncio.create_task(service.search_events("beta", session_id=sid))
        await asyncio.sleep(0)
        task.cancel()
        await settle([task])
        assert len(await service.search_events("second", session_id=sid, mode="keyword")) == 1

    return third


# -- searches and waits for the index ------------------------------------------------------------------


def test_a_search_cancelled_while_it_waits_for_the_index_leaves_nothing_behind(
    errors_logged: list[logging.LogRecord],
) -> None:
    store, embedder = gated_store()
    with store:
        service = SessionService(store)
        docs = DocumentIndexService(store)
        index = store.index
        assert index is not None

        async def main() -> None:
            sid = (await service.create_session("a"))["id"]
            hold_indexer(embedder)
            await service.add_event(sid, "note", {"text": "gamma ray"})
            assert embedder.held.wait(WAIT)
            searches = [
                asyncio.create_task(service.search_events("gamma")),
                asyncio.create_task(asyncio.wait_for(service.search_events("gamma"), 0.01)),
                asyncio.create_task(asyncio.wait_for(docs.wait_for_sync(), 0.01)),
                asyncio.create_task(asyncio.wait_for(asyncio.to_thread(store.wait_for_index), 0.01)),
            ]
            await until(lambda: index.waiting >= 2)
            searches[0].cancel()
            outcomes = await settle(searches)
            assert isinstance(outcomes[0], asyncio.CancelledError)
            assert all(isinstance(o, TimeoutError) for o in outcomes[1:])
            embedder.open.set()
            hits = await service.search_events("gamma ray")
            assert hits and hits[0]["event_data"] == {"text": "gamma ray"}
            assert await docs.wait_for_sync() == 0
            await asyncio.to_thread(store.wait_for_index)

        run(main)


def test_close_ends_a_wait_for_index_whose_caller_gave_up(errors_logged: list[logging.LogRecord]) -> None:
    store, embedder = gated_store()
    service = SessionService(store)
    waiting: list[BaseException | None] = []

    def wait() -> None:
        try:
            store.wait_for_index()
            waiting.append(None)
        except BaseException as exc:
            waiting.append(exc)

    async def main() -> None:
        sid = (await service.create_session("a"))["id"]
        hold_indexer(embedder)
        await service.add_event(sid, "note", {"text": "delta"})
        assert embedder.held.wait(WAIT)
        blocked = threading.Thread(target=wait)
        blocked.start()
        search = asyncio.create_task(service.search_events("delta"))
        await until(lambda: store.index is not None and store.index.waiting > 0)
        search.cancel()
        await settle([search])
        store.close()  # the indexer is still held: close must end the blocked wait and the search's entry
        blocked.join(WAIT)
        assert not blocked.is_alive()

    run(main)
    assert len(waiting) == 1 and isinstance(waiting[0], StoreClosedError)
    assert agentlog_threads() == []


# -- close while cancelled writes are in flight ----------------------------------------------------------


def test_close_while_cancelled_writes_are_queued_commits_them_and_refuses_later_ones(
    tmp_path: Path, errors_logged: list[logging.LogRecord]
) -> None:
    store = Store(tmp_path / "s", embedder="fake")
    service = SessionService(store)

    async def main() -> uuid.UUID:
        sid = (await service.create_session("a"))["id"]
        hold = hold_writer(store)
        queued = [
            asyncio.create_task(service.add_events(sid, [{"event_type": "q", "event_data": {"n": n}}] * 2))
            for n in range(10)
        ]
        await asyncio.sleep(0)
        for task in queued[::2]:
            task.cancel()
        closing = threading.Thread(target=store.close)
        closing.start()
        await until(lambda: store._closing)
        late = asyncio.create_task(service.add_event(sid, "late", {}))
        hold.release.set()
        await asyncio.to_thread(closing.join, WAIT)
        assert not closing.is_alive()
        outcomes = await settle(queued)
        assert all(isinstance(o, asyncio.CancelledError) for o in outcomes[::2])
        assert all(o == {"session_id": sid, "inserted": 2, "duplicates": 0} for o in outcomes[1::2])
        # a write begun while close() waited is committed by it or refused, and one begun after it is refused
        (outcome,) = await settle([late])
        assert isinstance(outcome, StoreClosedError) or outcome["event_type"] == "late"
        box["late"] = 0 if isinstance(outcome, BaseException) else 1
        with pytest.raises(StoreClosedError):
            await service.add_event(sid, "after", {})
        return sid

    box: dict[str, int] = {}
    sid = run(main)
    assert agentlog_threads() == []
    with Store(tmp_path / "s", embedder="fake") as reopened:
        count = reopened.sql("SELECT count(*) FROM events WHERE session_id = ?", [sid]).fetchall()[0][0]
        assert count == 20 + box["late"]


# -- documents -------------------------------------------------------------------------------------------


def test_a_cancelled_document_sync_leaves_whole_documents_that_a_later_sync_completes(
    errors_logged: list[logging.LogRecord],
) -> None:
    with Store.memory(embedder="fake") as store:
        docs = DocumentIndexService(store)
        text = "# Title {n}\n\n" + "\n\n".join(f"Paragraph {{n}}.{p} " + "word " * 60 for p in range(8))

        async def main() -> None:
            tasks = [
                asyncio.create_task(
                    asyncio.wait_for(
                        docs.sync_document_to_vector_db("project:x", f"d{n}.md", text.replace("{n}", str(n))),
                        [0, 0.001, 0.02, 0.2, None][n % 5],
                    )
                )
                for n in range(20)
            ]
            outcomes = await settle(tasks)
            await barrier(store)
            assert any(isinstance(o, TimeoutError) for o in outcomes)
            stored = store.sql(
                "SELECT d.file_path, d.chunk_count, count(c.id) FROM documents d LEFT JOIN document_chunks c "
                "ON c.document_id = d.id GROUP BY ALL"
            ).fetchall()
            assert stored and all(whole == chunks > 1 for _, whole, chunks in stored)  # every one has all its chunks
            paths = {path for path, _, _ in stored}
            for n, outcome in enumerate(outcomes):
                if not isinstance(outcome, BaseException):
                    assert outcome["sync_status"] == "synced" and f"d{n}.md" in paths
            await docs.wait_for_sync()
            statuses = store.sql("SELECT DISTINCT sync_status FROM documents").fetchall()
            assert statuses == [("synced",)]

        run(main)


def test_wait_for_index_running_out_of_time_is_a_timeout_error() -> None:
    store, embedder = gated_store()
    try:
        service = SessionService(store)

        async def main() -> None:
            sid = (await service.create_session("a"))["id"]
            hold_indexer(embedder)
            await service.add_event(sid, "note", {"text": "delta"})

        run(main)
        assert embedder.held.wait(WAIT)
        with pytest.raises(TimeoutError, match="did not catch up") as caught:
            store.wait_for_index(timeout=0.05)
        assert isinstance(caught.value, IndexTimeoutError) and isinstance(caught.value, SearchUnavailableError)
        embedder.open.set()
        store.wait_for_index(timeout=WAIT)  # the same wait succeeds once the indexer may go on
    finally:
        embedder.open.set()
        store.close()
