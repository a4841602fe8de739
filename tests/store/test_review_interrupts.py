"""Regressions found in a review of interrupts: Ctrl-C (SIGINT) in reads, in the event loop, in the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentlog import SessionService, Store
from agentlog.cli import main
from agentlog.io import import_logs


@pytest.fixture
def ctrl_c_window() -> Iterator[threading.Event]:
    """SIGINT raises KeyboardInterrupt while the event is set, and is ignored otherwise (never in pytest)."""
    window = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        if window.is_set():
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield window
    finally:
        signal.signal(signal.SIGINT, previous)


def _ctrl_c_in_duckdb(*args: Any) -> Any:
    """What a DuckDB query of the main thread raises when Ctrl-C lands in it (duckdb 2.0: not KeyboardInterrupt).

    Raised here instead of sending SIGINT: duckdb 2.0 sometimes notices the signal only when the query ends
    (a minute later), so a real Ctrl-C made this test slow and left a KeyboardInterrupt for later.
    """
    raise RuntimeError("Query interrupted")


def test_ctrl_c_in_a_read_raises_keyboard_interrupt_and_the_store_stays_usable(tmp_path: Path) -> None:
    # A caller that handles errors (the CLI, a loop over files) took RuntimeError for a failure: a traceback, or
    # an interrupt that did not stop anything.
    with Store(tmp_path / "s", embedder=None) as store:
        for snapshot in (False, True):
            with pytest.raises(KeyboardInterrupt):
                store.read(_ctrl_c_in_duckdb, snapshot=snapshot)
            # the next read on the same (main-thread) cursor sees new commits: no transaction was left open
            asyncio.run(SessionService(store).create_session("a"))
            assert store.sql("SELECT count(*) FROM sessions").fetchall()[0][0] == (2 if snapshot else 1)

        def other_error(cursor: Any) -> None:
            raise RuntimeError("Query interrupted, said the test")

        with pytest.raises(RuntimeError):  # other errors stay as they are
            store.read(other_error)


def test_ctrl_c_during_cli_export_exits_130_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from agentlog.io import dataset_export

    store = tmp_path / "s"
    assert main(["--store", str(store), "memory", "set", "user:a", "k", "v"]) == 0
    monkeypatch.setattr(dataset_export, "_write_table", _ctrl_c_in_duckdb)  # Ctrl-C in the COPY of a table
    capsys.readouterr()
    assert main(["--store", str(store), "export", str(tmp_path / "backup")]) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip() == "agentlog: interrupted", err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]  # no dataset, no staging folder left


def test_the_cli_says_it_was_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from agentlog.cli import io as cli_io

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_io, "import_logs", interrupted)
    (tmp_path / "a.jsonl").write_text(json.dumps({"type": "session", "agent": "bot"}) + "\n")
    assert main(["--store", str(tmp_path / "s"), "import", str(tmp_path / "a.jsonl")]) == 130
    assert capsys.readouterr().err == "agentlog: interrupted\n"


# -- Ctrl-C in the event loop (Jupyter: the kernel's loop runs cell after cell) ------------------------------


class _InterruptingFuture(asyncio.Future[Any]):
    """A write's future whose first resolution is hit by Ctrl-C (the signal lands in the loop's callback)."""

    armed = False

    def set_result(self, result: Any) -> None:
        if _InterruptingFuture.armed:
            _InterruptingFuture.armed = False
            raise KeyboardInterrupt
        super().set_result(result)


class _KernelLoop(asyncio.SelectorEventLoop):
    def create_future(self) -> asyncio.Future[Any]:
        if sys._getframe(1).f_code.co_name == "submit_async":
            return _InterruptingFuture(loop=self)
        return super().create_future()


def test_ctrl_c_while_writes_resolve_leaves_no_caller_waiting() -> None:
    loop = _KernelLoop()
    try:
        with Store.memory(embedder=None) as store:
            service = SessionService(store)
            session = loop.run_until_complete(service.create_session("nb"))

            async def cell() -> list[Any]:
                events: list[Any] = await asyncio.gather(
                    *(service.add_event(session["id"], "step", {"i": i}) for i in range(50))
                )
                return events

            task = loop.create_task(cell())
            _InterruptingFuture.armed = True
            with pytest.raises(KeyboardInterrupt):
                loop.run_until_complete(task)
            assert not _InterruptingFuture.armed  # the interrupt hit a write's resolution
            # the next cell: the store works, and every write of the interrupted one is answered (all committed)
            event = loop.run_until_complete(asyncio.wait_for(service.add_event(session["id"], "probe", {}), 30))
            assert event["seq"] == 51
            events = loop.run_until_complete(asyncio.wait_for(task, 30))
            assert sorted(e["seq"] for e in events) == list(range(1, 51))
    finally:
        loop.close()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # Ctrl-C in a weakref callback
def test_ctrl_c_in_a_loop_during_a_large_add_events_is_all_or_nothing(
    tmp_path: Path, ctrl_c_window: threading.Event
) -> None:
    loop = asyncio.new_event_loop()
    try:
        with Store(tmp_path / "s", embedder="fake") as store:
            service = SessionService(store)
            session = loop.run_until_complete(service.create_session("nb"))
            sizes = []
            for delay in (0.01, 0.05, 0.15):
                events = [{"event_type": "step", "event_data": {"i": i, "d": delay}} for i in range(20000)]
                task = loop.create_task(service.add_events(session["id"], events))
                timer = threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT))
                ctrl_c_window.set()
                timer.start()
                try:
                    try:
                        loop.run_until_complete(task)
                    finally:
                        timer.join()
                        time.sleep(0.2)  # a signal sent just now lands here
                        ctrl_c_window.clear()
                except KeyboardInterrupt:
                    pass
                ctrl_c_window.clear()
                if not task.done():  # interrupted while it waited for the writer: the batch commits all the same
                    loop.run_until_complete(asyncio.wait_for(task, 30))
                stored = store.sql(
                    "SELECT count(*) FROM events WHERE json_extract(event_data, '$.d')::DOUBLE = ?", [delay]
                ).fetchall()[0][0]
                assert stored in (0, 20000)
                sizes.append(stored)
                # the next cell works
                loop.run_until_complete(asyncio.wait_for(service.add_event(session["id"], "probe", {}), 30))
            store.wait_for_index(timeout=60)
            assert store.index is not None
            assert store.index.tables.count("events") == sum(sizes) + 3
    finally:
        loop.close()


# -- the CLI, interrupted for real ----------------------------------------------------------------------------


def _write_logs(folder: Path, files: int, events: int) -> None:
    folder.mkdir()
    for n in range(files):
        sid = uuid.UUID(int=n + 1)
        lines = [json.dumps({"type": "session", "id": str(sid), "agent": "bot", "summary": f"log {n}"})]
        lines += [
            json.dumps({"type": "event", "event_type": "step", "event_data": {"n": n, "i": i}}) for i in range(events)
        ]
        (folder / f"log{n:03d}.jsonl").write_text("\n".join(lines) + "\n")


def test_sigint_to_agentlog_import_exits_130_and_each_file_is_all_in_or_out(tmp_path: Path) -> None:
    logs, store = tmp_path / "logs", tmp_path / "s"
    _write_logs(logs, files=150, events=40)
    env = {**os.environ, "AGENTLOG_EMBEDDER": "fake"}
    command = [sys.executable, "-m", "agentlog", "--store", str(store), "import", str(logs), "--no-progress"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (store / "agentlog.duckdb").exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)  # interrupt once the store is open, not while Python imports modules
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)  # hang guard
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode in (0, 130), err
    assert "Traceback" not in err, err
    if process.returncode == 130:
        assert err.strip().splitlines()[-1:] == ["agentlog: interrupted"], err
    with Store(store) as reopened:
        per_session = reopened.sql(
            "SELECT s.id, count(e.id) FROM sessions s LEFT JOIN events e ON e.session_id = s.id GROUP BY s.id"
        ).fetchall()
        assert {count for _, count in per_session} <= {40}  # a file is all in or not at all
        report = import_logs(reopened, logs, progress=False)
        assert report.ok and report.sessions_created == 150 - len(per_session)
        assert reopened.sql("SELECT count(*) FROM events").fetchall()[0][0] == 150 * 40
        reopened.wait_for_index(timeout=60)
        assert reopened.index is not None
        assert reopened.index.tables.count("events") == 150 * 40
        assert reopened.index.tables.count("sessions") == 150
