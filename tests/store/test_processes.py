"""Other processes: locking, and crash durability under SIGKILL."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from agentlog import Store, StoreLockedError
from tests.conftest import REPO, run_python

LOCK_PROBE = """
import sys
from agentlog import Store, StoreLockedError
try:
    Store(sys.argv[1])
except StoreLockedError as exc:
    print("locked")
    print(exc)
else:
    print("opened")
"""


def test_second_process_gets_store_locked_error_promptly(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with Store(path):
        # the lock is held until the probe has finished: a probe that waited for it would time out here
        result = run_python(LOCK_PROBE, str(path))
    assert result.returncode == 0, result.stderr
    status, message = result.stdout.split("\n", 1)
    assert status == "locked", result.stdout
    assert str(path) in message and f"process {os.getpid()}" in message
    assert "close it there" in message
    # once released, the other process can open it
    assert run_python(LOCK_PROBE, str(path)).stdout.strip() == "opened"


def test_same_process_second_open_is_refused(tmp_path: Path) -> None:
    with Store(tmp_path / "s"), pytest.raises(StoreLockedError, match="already open in this process") as refused:
        Store(tmp_path / "s")
    assert refused.value.pid == os.getpid()


APPENDER = """
import asyncio, json, sys, uuid
from agentlog import SessionService, Store

async def writer(service, session_id, worker):
    n = 0
    while True:
        ids = [uuid.uuid4() for _ in range(5)]
        events = [{"event_type": "step", "event_data": {"worker": worker, "n": n + i}, "event_id": e}
                  for i, e in enumerate(ids)]
        if n % 2:
            print(json.dumps({"intent": [str(i) for i in ids]}), flush=True)
            await service.add_events(session_id, events)
        else:
            await asyncio.gather(*(service.add_event(session_id, e["event_type"], e["event_data"],
                                                     event_id=e["event_id"]) for e in events))
        print(json.dumps({"batch": [str(i) for i in ids], "atomic": bool(n % 2)}), flush=True)
        n += 5

async def main():
    store = Store(sys.argv[1])
    service = SessionService(store)
    sessions = [await service.create_session("claude") for _ in range(2)]
    print(json.dumps({"ready": True}), flush=True)
    await asyncio.gather(*(writer(service, sessions[w % 2]["id"], w) for w in range(4)))

asyncio.run(main())
"""


def test_sigkill_never_loses_acknowledged_events(tmp_path: Path) -> None:
    path = tmp_path / "store"
    rng = random.Random(20261122)
    acknowledged: list[str] = []
    atomic_batches: list[list[str]] = []  # add_events calls, acknowledged or not
    env = dict(os.environ, PYTHONPATH=str(REPO))
    iterations = 20
    for _ in range(iterations):
        child = subprocess.Popen(
            [sys.executable, "-c", APPENDER, str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert child.stdout is not None
        ready = json.loads(child.stdout.readline() or "{}")
        assert ready.get("ready"), child.stderr.read() if child.stderr else ""
        time.sleep(rng.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        output, _ = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL
        for line in output.splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # the kill cut the last line short: that batch was not acknowledged
            if "intent" in record:
                atomic_batches.append(record["intent"])
            else:
                acknowledged.extend(record["batch"])

    with Store(path) as store:  # reopens after every kill
        stored = [str(i) for (i,) in store.sql("SELECT id FROM events").fetchall()]
        seqs = store.sql("SELECT session_id, list(seq ORDER BY seq) FROM events GROUP BY session_id").fetchall()
    counts = Counter(stored)
    assert len(acknowledged) > 100, "the children should have acknowledged many events"
    missing = [i for i in acknowledged if counts[i] != 1]
    assert not missing, f"{len(missing)} acknowledged events are missing or duplicated"
    assert max(counts.values()) == 1
    for session_id, seq in seqs:
        assert seq == list(range(1, len(seq) + 1)), f"seq of {session_id} has gaps"
    # an add_events batch is all-or-nothing, also when the kill came before its acknowledgement
    stored_set = set(stored)
    partial = [b for b in atomic_batches if 0 < sum(i in stored_set for i in b) < len(b)]
    assert not partial, f"{len(partial)} add_events batches were stored in part"
