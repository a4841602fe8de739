"""The vector index survives SIGKILL: after reopening it matches DuckDB exactly, with no duplicates."""

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

from agentlog import Store
from tests.conftest import REPO

WRITER = """
import asyncio, json, sys
from agentlog import SessionService, Store

async def main():
    store = Store(sys.argv[1], embedder="fake")
    service = SessionService(store)
    print(json.dumps({"ready": True}), flush=True)
    n = 0
    while True:
        session = await service.create_session("claude")
        await asyncio.gather(*(service.add_event(session["id"], "task_created", {"n": n + i}) for i in range(20)))
        await service.end_session(session["id"], summary=f"summary {n}")
        if n % 60 == 0:
            await service.delete_session(session["id"])
        n += 20

asyncio.run(main())
"""


def test_index_matches_duckdb_after_kills(tmp_path: Path) -> None:
    path = tmp_path / "store"
    rng = random.Random(7)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for _ in range(6):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert child.stdout is not None
        assert json.loads(child.stdout.readline() or "{}").get("ready"), child.stderr.read() if child.stderr else ""
        time.sleep(rng.uniform(0.3, 1.2))
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=30)
    with Store(path, embedder="fake") as store:
        store.wait_for_index(timeout=120)
        assert store.index is not None
        tables = store.index.tables
        event_ids = Counter(tables.vectors("events")[0])
        session_ids = Counter(tables.vectors("sessions")[0])
        stored_events = {str(i) for (i,) in store.sql("SELECT id FROM events").fetchall()}
        summarised = {str(i) for (i,) in store.sql("SELECT id FROM sessions WHERE summary IS NOT NULL").fetchall()}
    assert len(stored_events) > 100
    assert max(event_ids.values()) == 1, "an event has two vectors"
    assert set(event_ids) == stored_events
    assert max(session_ids.values(), default=1) == 1
    assert set(session_ids) == summarised
