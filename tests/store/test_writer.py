"""The writer: group commit, ordering and failure isolation."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import duckdb
import pytest

from agentlog import AgentlogError, StoreClosedError, StoreError, ValidationError
from agentlog.store.writer import Transaction, Writer


@pytest.fixture
def writer() -> Any:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
    commits: list[int] = []
    w = Writer(con.cursor(), on_commit=commits.append)
    w.commits = commits  # type: ignore[attr-defined]
    w.root = con  # type: ignore[attr-defined]
    yield w
    w.close()
    con.close()


class Insert:
    """Insert x; with a gate, signal ``entered`` and hold the writer until the gate opens."""

    def __init__(self, x: int, gate: threading.Event | None = None) -> None:
        self.x = x
        self.gate = gate
        self.entered = threading.Event()

    def apply(self, tx: Transaction) -> int:
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(5)
        tx.next_lsn()
        return int(tx.execute("INSERT INTO t VALUES (?) RETURNING x", [self.x])[0][0])


class Reject:
    def apply(self, tx: Transaction) -> None:
        raise ValidationError("rejected before changing anything")


class RejectAfterChange:
    def apply(self, tx: Transaction) -> None:
        tx.execute("INSERT INTO t VALUES (1000)")
        raise ValidationError("rejected after a change")


def hold(writer: Any, x: int) -> tuple[threading.Event, Future[Any]]:
    """Submit an op that keeps the writer busy (its group in flight) until the gate is set."""
    gate = threading.Event()
    op = Insert(x, gate)
    future = writer.submit(op)
    assert op.entered.wait(5)
    return gate, future


def rows(writer: Any) -> list[int]:
    return [x for (x,) in writer.root.execute("SELECT x FROM t ORDER BY x").fetchall()]


def test_queued_ops_share_one_commit(writer: Any) -> None:
    gate, first = hold(writer, 0)  # a commit in flight while the others queue up
    others = [writer.submit(Insert(i)) for i in range(1, 50)]
    gate.set()
    assert [f.result(5) for f in [first, *others]] == list(range(50))
    assert len(writer.commits) == 2  # the first op alone, then the 49 queued ones together
    assert rows(writer) == list(range(50))


def test_rejected_op_fails_alone(writer: Any) -> None:
    gate, blocker = hold(writer, 0)
    futures: list[Future[Any]] = [writer.submit(Insert(1)), writer.submit(Reject()), writer.submit(Insert(2))]
    gate.set()
    blocker.result(5)
    assert futures[0].result(5) == 1 and futures[2].result(5) == 2
    with pytest.raises(ValidationError):
        futures[1].result(5)
    assert rows(writer) == [0, 1, 2]
    assert len(writer.commits) == 2


@pytest.mark.parametrize("culprit", [Insert(1), RejectAfterChange()])
def test_failure_after_a_change_rolls_back_and_isolates(writer: Any, culprit: Any) -> None:
    gate, blocker = hold(writer, 1)
    futures = [writer.submit(Insert(2)), writer.submit(culprit), writer.submit(Insert(3))]
    gate.set()
    blocker.result(5)
    assert futures[0].result(5) == 2 and futures[2].result(5) == 3
    with pytest.raises(AgentlogError) as caught:
        futures[1].result(5)
    if isinstance(culprit, Insert):  # duplicate primary key: a database error, wrapped
        assert isinstance(caught.value, StoreError) and isinstance(caught.value.__cause__, duckdb.Error)
    assert rows(writer) == [1, 2, 3]


async def test_async_submission_resolves_on_the_callers_loop(writer: Any) -> None:
    results = await asyncio.gather(*(writer.submit_async(Insert(i)) for i in range(100)))
    assert results == list(range(100))
    assert len(writer.commits) < 100
    assert writer.committed_lsn == 100


def test_closed_writer_refuses_new_ops_but_commits_queued_ones(writer: Any) -> None:
    gate, blocker = hold(writer, 0)
    queued = writer.submit(Insert(1))
    closer = threading.Thread(target=writer.close)
    closer.start()
    gate.set()
    closer.join(5)
    assert blocker.result(5) == 0 and queued.result(5) == 1
    with pytest.raises(StoreClosedError):
        writer.submit(Insert(2))


class Recorder:
    """Record the size of the group this op was committed in."""

    def __init__(self, sizes: list[int]) -> None:
        self.sizes = sizes

    def apply(self, tx: Transaction) -> None:
        self.sizes.append(len(tx.ops))


@contextlib.contextmanager
def writer_waiting(seconds: float) -> Iterator[Writer]:
    """A writer on a fresh database with table ``t`` whose groups wait up to ``seconds`` for more ops."""
    with duckdb.connect() as con:
        con.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
        writer = Writer(con.cursor(), group_wait=seconds)
        try:
            yield writer
        finally:
            writer.close()


def commit_group_of(writer: Writer, size: int) -> None:
    """Commit one group of ``size`` ops, so that the writer expects ``size`` ops in the next group."""
    sizes: list[int] = []
    gate, first = hold(writer, 0)
    burst = [writer.submit(Recorder(sizes)) for _ in range(size)]
    gate.set()
    for future in [first, *burst]:
        future.result(5)
    assert sizes == [size] * size  # the queued ops: one group


def test_ops_trickling_in_after_a_large_group_are_committed_together() -> None:
    """Concurrent writers come back one by one after their commit: the writer gathers them for one commit."""
    sizes: list[int] = []
    with writer_waiting(1.0) as writer:
        commit_group_of(writer, 4)
        trickle = []
        for _ in range(4):  # the next ops arrive one at a time, well apart
            trickle.append(writer.submit(Recorder(sizes)))
            threading.Event().wait(0.02)
        for future in trickle:
            future.result(5)  # four expected: the fourth completes the group
        assert sizes == [4] * 4


def test_a_lone_writer_never_waits() -> None:
    sizes: list[int] = []
    with writer_waiting(30.0) as writer:  # a wait would outlast result()'s timeout
        done = [writer.submit(Recorder(sizes)).result(10) for _ in range(3)]
    assert done == [None] * 3 and sizes == [1, 1, 1]


def test_a_group_that_waited_in_vain_is_not_waited_for_again() -> None:
    sizes: list[int] = []
    with writer_waiting(1.0) as writer:
        commit_group_of(writer, 4)
        pair = [writer.submit(Recorder(sizes)) for _ in range(2)]  # four expected, two come: the deadline
        for future in pair:
            future.result(10)
        alone = writer.submit(Recorder(sizes))  # right after that group: committed without waiting
        threading.Event().wait(0.5)
        later = writer.submit(Recorder(sizes))  # had the writer waited for a second op, this would be it
        alone.result(10)
        later.result(10)
    assert sizes == [2, 2, 1, 1]


def test_an_op_long_after_the_last_commit_does_not_wait() -> None:
    sizes: list[int] = []
    with writer_waiting(0.5) as writer:
        commit_group_of(writer, 4)
        threading.Event().wait(0.8)  # longer than the wait: the group's writers are not coming back
        first = writer.submit(Recorder(sizes))
        threading.Event().wait(0.25)
        second = writer.submit(Recorder(sizes))  # had the writer waited for four ops, this would join
        first.result(10)
        second.result(10)
    assert sizes == [1, 1]


def test_closing_during_the_wait_commits_the_group_at_once() -> None:
    sizes: list[int] = []
    with writer_waiting(30.0) as writer:
        commit_group_of(writer, 5)
        waiting = writer.submit(Recorder(sizes))  # five expected: the writer waits for more
        closer = threading.Thread(target=writer.close)
        closer.start()
        closer.join(10)
        assert not closer.is_alive(), "close() waited for the group's deadline"
        assert waiting.result(1) is None
    assert sizes == [1]


@pytest.mark.parametrize("bad", [-0.1, 61, True, "0.002", float("nan")])
def test_group_wait_is_checked(bad: Any) -> None:
    with duckdb.connect() as con, pytest.raises(ValidationError, match="group_wait"):
        Writer(con.cursor(), group_wait=bad)
