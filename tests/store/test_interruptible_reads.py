"""Ctrl-C stops a long read at once, and a cancelled async read frees its reader thread.

DuckDB notices Ctrl-C on the thread that runs a query only between tasks of
the query; a long scan or join running on the main thread could go on for
minutes. The reads below never end on their own (a scan of 10^14 generated
rows), so without the fix the child process, or ``close()``, would hang: the
bounded waits here guard against a hang, they do not time anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from agentlog import SessionService, Store

ENDLESS = "SELECT count(*) FROM range(100000000000000) t(i) WHERE hash(i) % 7 = 3"
"""A read that would run for days."""

HANG = 120.0
"""Longest wait before a test calls it a hang."""

CHILD = f"""
import sys
from agentlog import Store

def endless(cursor):
    print("started", flush=True)
    return cursor.execute({ENDLESS!r}).fetchall()

store = Store(sys.argv[1], embedder=None)
try:
    store.read(endless, snapshot=sys.argv[2] == "snapshot")
except KeyboardInterrupt:
    print("interrupted", flush=True)
print(store.read(lambda cursor: cursor.execute("SELECT 41 + 1").fetchall()), flush=True)
store.close()  # waits for the reader threads: it returns only if the endless query stopped
print("closed", flush=True)
"""


def _run_and_interrupt(store: Path, mode: str) -> list[str]:
    repo = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(repo))
    command = [sys.executable, "-c", CHILD, str(store), mode]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "started"
            child.send_signal(signal.SIGINT)
            out, err = child.communicate(timeout=HANG)
        finally:
            if child.poll() is None:
                child.kill()
    assert child.returncode == 0, err
    return out.split()


def test_ctrl_c_stops_a_long_read_of_the_main_thread(tmp_path: Path) -> None:
    assert _run_and_interrupt(tmp_path / "s", "plain") == ["interrupted", "[(42,)]", "closed"]


def test_ctrl_c_stops_a_long_snapshot_read(tmp_path: Path) -> None:
    assert _run_and_interrupt(tmp_path / "s", "snapshot") == ["interrupted", "[(42,)]", "closed"]


def test_a_cancelled_async_read_stops_its_query_and_the_store_closes() -> None:
    store = Store.memory(embedder=None)
    started = threading.Event()

    def endless(cursor: Any) -> Any:
        started.set()
        return cursor.execute(ENDLESS).fetchall()

    async def main() -> int:
        read = asyncio.create_task(store.read_async(endless))
        await asyncio.to_thread(started.wait, HANG)
        read.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await read
        service = SessionService(store)  # the store goes on working
        await service.create_session("a")
        return await service.count_sessions("a")

    assert asyncio.run(main()) == 1
    closing = threading.Thread(target=store.close)  # waits for the reader threads
    closing.start()
    closing.join(HANG)
    assert not closing.is_alive(), "close() still waits for the cancelled read's query"


def test_a_ctrl_c_that_lands_while_the_read_is_handed_over_still_stops_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # The reader thread may start the query before the main thread waits for it (a busy machine): a Ctrl-C in
    # that moment found no wait to end, and its query ran on, so close() waited for ever.
    started = threading.Event()
    handed_over = Store._submit_read

    def interrupted_after_submitting(store: Store, job: Any) -> Any:
        handed_over(store, job)
        started.wait(HANG)
        raise KeyboardInterrupt  # as if Ctrl-C came before the future was returned

    def endless(cursor: Any) -> Any:
        started.set()
        return cursor.execute(ENDLESS).fetchall()

    store = Store.memory(embedder=None)
    monkeypatch.setattr(Store, "_submit_read", interrupted_after_submitting)
    with pytest.raises(KeyboardInterrupt):
        store.read(endless)
    monkeypatch.undo()
    assert store.read(lambda cursor: cursor.execute("SELECT 42").fetchall()) == [(42,)]
    closing = threading.Thread(target=store.close)
    closing.start()
    closing.join(HANG)
    assert not closing.is_alive(), "close() still waits for the interrupted read's query"
