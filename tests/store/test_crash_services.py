"""SIGKILL and concurrency for the writes beyond session events: memories, session state, documents, log imports.

Each crash test runs a child process that writes through a service and records, in a file of its own,
an *intent* line before each call and an *ack* line after the awaited call returned (one ``write`` of an
``O_APPEND`` file each: it reaches the page cache, which a SIGKILL does not lose). The parent kills the
child at a random moment, reopens the store and checks that every acknowledged write is there, whole,
and that nothing was stored that no call asked for. The children use a small DuckDB checkpoint
threshold, so some kills land in a checkpoint too.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agentlog import DocumentIndexService, MemoryService, SessionService, Store, StoreClosedError
from agentlog.io import import_logs
from agentlog.services.chunking import content_hash, split_chunks
from agentlog.services.document_ops import derived_title
from tests.conftest import REPO

CHECKPOINT = '{"checkpoint_threshold": "256KB"}'
"""DuckDB settings of the children: checkpoints every few commits, so kills also hit them."""

PRELUDE = """
import asyncio, json, os, random, sys, time, uuid
from agentlog import DocumentIndexService, MemoryService, SessionService, Store, StoreClosedError
from agentlog.errors import AgentlogError

_fd = os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

def log(**record):
    record["t"] = round(time.monotonic(), 3)
    os.write(_fd, (json.dumps(record) + "\\n").encode())

def ready():
    print(json.dumps({"ready": True}), flush=True)

CONFIG = json.loads(sys.argv[4])
SEED = int(sys.argv[3])
"""


def _spawn_and_kill(
    code: str, store: Path, log: Path, seed: int, rng: random.Random, delay: tuple[float, float], *extra: str
) -> None:
    """Run a child, wait until it is ready, SIGKILL it after a random delay (or let it finish first)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    errors = log.with_suffix(f".{seed}.err")
    with errors.open("w") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-c", PRELUDE + code, str(store), str(log), str(seed), CHECKPOINT, *extra],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
        )
        try:
            assert child.stdout is not None
            line = child.stdout.readline()
            assert line and json.loads(line).get("ready"), errors.read_text()
            time.sleep(rng.uniform(*delay))
            child.send_signal(signal.SIGKILL)
            child.communicate(timeout=60)
        finally:
            if child.poll() is None:  # pragma: no cover - only when an assertion failed above
                child.kill()
                child.communicate(timeout=60)
    assert child.returncode in (0, -signal.SIGKILL), errors.read_text()


def _records(log: Path) -> list[dict[str, Any]]:
    """The complete lines of a child's log (a kill may cut the last one short: it was not written whole)."""
    records = []
    for line in log.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


# -- 1. memories ---------------------------------------------------------------------------------------------------

MEMORY_CHILD = """
from agentlog.errors import AlreadyExistsError, NotFoundError

KEYS = [(ns, k) for ns in ("project:crash", "user:alice", "app:x:y") for k in ("a", "b", "c", "d")]

async def worker(memory, w):
    rng = random.Random(SEED * 100 + w)
    n = 0
    while True:
        ns, key = rng.choice(KEYS)
        token = f"{SEED}-{w}-{n}"
        n += 1
        op = rng.choice(["put", "put", "put", "update", "update", "create", "delete", "restore"])
        log(intent=token, op=op, ns=ns, key=key)
        value = {"token": token, "pad": "x" * rng.randrange(200)}
        try:
            if op == "create":
                row_id = await memory.create_memory(ns, key, value, "semantic", {"token": token})
                log(ack=token, op=op, ns=ns, key=key, id=str(row_id))
                continue
            if op == "delete":
                log(ack=token, op=op, ns=ns, key=key, deleted=await memory.delete_memory(ns, key))
                continue
            if op == "put":
                record = await memory.put_memory(ns, key, value, "semantic", {"token": token})
            elif op == "update":
                record = await memory.update_memory(ns, key, value, metadata={"token": token})
            else:
                record = await memory.restore_memory(ns, key)
        except (AlreadyExistsError, NotFoundError) as exc:
            log(ack=token, op=op, ns=ns, key=key, error=type(exc).__name__)
            continue
        log(ack=token, op=op, ns=ns, key=key, id=str(record["id"]), version=record["version"], change=record["change"])

async def main():
    store = Store(sys.argv[1], embedder=sys.argv[5] if sys.argv[5] != "none" else None, duckdb_config=CONFIG)
    memory = MemoryService(store)
    ready()
    await asyncio.gather(*(worker(memory, w) for w in range(8)))

asyncio.run(main())
"""

_ALLOWED_BEFORE: dict[str, set[str | None]] = {
    "created": {None, "deleted"},
    "updated": {"created", "updated", "restored"},
    "deleted": {"created", "updated", "restored"},
    "restored": {"deleted"},
}


def _check_memories(store: Store, records: list[dict[str, Any]]) -> int:
    """Check the stored versions against what the children asked for and were told; returns the acks checked."""
    intents = {r["intent"]: r for r in records if "intent" in r}
    acks = [r for r in records if "ack" in r]
    rows = store.sql(
        "SELECT id, namespace, key, version, change, value, metadata, created_at FROM memories "
        "ORDER BY namespace, key, version"
    ).fetchall()
    by_key: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        by_key[(row[1], row[2])].append(row)
    by_id = {str(row[0]): row for row in rows}
    seen_tokens: Counter[str] = Counter()
    for (ns, key), versions in by_key.items():
        assert [r[3] for r in versions] == list(range(1, len(versions) + 1)), f"{ns}/{key}: versions have gaps"
        previous: tuple[Any, ...] | None = None
        for row in versions:
            change, value, metadata = row[4], json.loads(row[5]), json.loads(row[6])
            assert (previous[4] if previous else None) in _ALLOWED_BEFORE[change], f"{ns}/{key} v{row[3]}: {change}"
            if change in ("created", "updated"):
                token = value["token"]
                assert metadata == {"token": token}, f"{ns}/{key} v{row[3]}: value and metadata of two writes"
                intent = intents.get(token)
                assert intent is not None and (intent["ns"], intent["key"]) == (ns, key), f"phantom write {token}"
                assert intent["op"] in ("create", "put", "update"), f"{token} was a {intent['op']}"
                seen_tokens[token] += 1
            else:  # a delete marker or a restore copies the version before it
                assert previous is not None and (json.loads(previous[5]), json.loads(previous[6])) == (value, metadata)
            if change != "created":
                assert previous is not None and row[7] == previous[7], f"{ns}/{key} v{row[3]}: created_at moved"
            previous = row
    assert not [t for t, n in seen_tokens.items() if n > 1], "a write was applied twice"
    deletes_acked: Counter[tuple[str, str]] = Counter()
    deletes_asked: Counter[tuple[str, str]] = Counter()
    for intent in intents.values():
        if intent["op"] == "delete":
            deletes_asked[(intent["ns"], intent["key"])] += 1
    for ack in acks:
        if "id" in ack:
            row = by_id.get(ack["id"])
            assert row is not None, f"acknowledged {ack['op']} {ack['ack']} of {ack['ns']}/{ack['key']} is lost"
            assert (row[1], row[2]) == (ack["ns"], ack["key"])
            if "version" in ack:
                assert (row[3], row[4]) == (ack["version"], ack["change"])
            if ack["op"] != "restore":
                assert json.loads(row[5])["token"] == ack["ack"]
        elif ack.get("deleted"):
            deletes_acked[(ack["ns"], ack["key"])] += 1
    for ns_key, versions in by_key.items():
        markers = sum(1 for r in versions if r[4] == "deleted")
        assert deletes_acked[ns_key] <= markers <= deletes_asked[ns_key], f"{ns_key}: {markers} delete markers"
    # the current version is the highest one, and hidden when it is a delete marker
    memory = MemoryService(store)
    for (ns, key), versions in by_key.items():
        current = asyncio.run(memory.get_memory(ns, key))
        head = versions[-1]
        assert (current["id"] if current else None) == (None if head[4] == "deleted" else head[0])
    return len(acks)


def test_memory_writes_survive_sigkill(tmp_path: Path) -> None:
    path, log = tmp_path / "store", tmp_path / "memory.log"
    rng = random.Random(31)
    for seed in range(6):
        embedder = "fake" if seed % 3 == 1 else "none"  # some children index as they write (slower to start)
        _spawn_and_kill(MEMORY_CHILD, path, log, seed, rng, (0.1, 0.6), embedder)
        with Store(path, embedder=None) as store:
            _check_memories(store, _records(log))
    with Store(path, embedder="fake") as store:
        checked = _check_memories(store, _records(log))
        stored = store.sql("SELECT count(*) FROM memories").fetchall()[0][0]
        store.wait_for_index(timeout=120)
        assert store.index is not None
        vectors = Counter(store.index.tables.vectors("memories")[0])
        live = store.sql(
            "SELECT memory_id FROM memories "
            "QUALIFY row_number() OVER (PARTITION BY memory_id ORDER BY version DESC) = 1 AND change <> 'deleted'"
        ).fetchall()
    assert checked > 60 and stored > 40, "the children should have written much more"
    assert max(vectors.values(), default=1) == 1, "a memory has two vectors"
    assert set(vectors) == {str(i) for (i,) in live}, "the memory vectors are not those of the live memories"


# -- 2. session state, lifecycle and summary ------------------------------------------------------------------------

SESSION_CHILD = """
from agentlog.errors import SessionClosedError

async def state_task(service, sid, w):
    n = 0
    while True:
        log(intent="state", sid=sid, w=w, n=n)
        record = await service.update_session_state(sid, {f"a{w}": n, f"b{w}": n, "pad": "y" * (n % 50)})
        assert record["state"][f"a{w}"] == n
        log(ack="state", sid=sid, w=w, n=n)
        n += 1

async def summary_task(service, sid):
    n = 0
    while True:
        log(intent="summary", sid=sid, n=n)
        await service.update_session_summary(sid, f"summary {n}", {"sum": n, f"s{n % 3}": n})
        log(ack="summary", sid=sid, n=n)
        n += 1

async def lifecycle_task(service, sid, rng):
    toggles = rng.randrange(3, 40)
    for i in range(toggles):
        target = "paused" if i % 2 == 0 else "active"
        log(intent="lifecycle", sid=sid, i=i, target=target)
        await service.update_lifecycle(sid, target)
        log(ack="lifecycle", sid=sid, i=i, target=target)
    log(intent="lifecycle", sid=sid, i=toggles, target="terminated")
    await service.end_session(sid)
    log(ack="lifecycle", sid=sid, i=toggles, target="terminated")
    log(intent="lifecycle", sid=sid, i=toggles + 1, target="archived")
    await service.update_lifecycle(sid, "archived")
    log(ack="lifecycle", sid=sid, i=toggles + 1, target="archived")

async def event_task(service, sid):
    while True:
        event_id = str(uuid.uuid4())
        log(intent="event", sid=sid, id=event_id)
        try:
            await service.add_event(sid, "step", {"x": 1}, event_id=event_id)
        except SessionClosedError:
            return
        log(ack="event", sid=sid, id=event_id)

async def main():
    store = Store(sys.argv[1], embedder=None, duckdb_config=CONFIG)
    service = SessionService(store)
    rng = random.Random(SEED)
    sids = []
    for _ in range(2):
        sid = str((await service.create_session("claude", metadata={"origin": "child"}))["id"])
        log(ack="created", sid=sid)
        await service.add_event(sid, "start", {})  # created -> active
        sids.append(sid)
    ready()
    tasks = []
    for sid in sids:
        tasks += [state_task(service, sid, w) for w in range(3)]
        tasks += [summary_task(service, sid), lifecycle_task(service, sid, rng), event_task(service, sid)]
    await asyncio.gather(*tasks)

asyncio.run(main())
"""


def _check_sessions(store: Store, records: list[dict[str, Any]]) -> int:
    created = {r["sid"] for r in records if r.get("ack") == "created"}
    rows = store.sql("SELECT id, lifecycle, summary, metadata, state, ended_at FROM sessions").fetchall()
    stored = {str(r[0]): r for r in rows}
    assert created <= set(stored), "an acknowledged create_session is lost"
    acked_state: dict[tuple[str, int], int] = defaultdict(lambda: -1)
    asked_state: dict[tuple[str, int], int] = defaultdict(lambda: -1)
    acked_summary: dict[str, int] = defaultdict(lambda: -1)
    asked_summary: dict[str, int] = defaultdict(lambda: -1)
    acked_residue: dict[tuple[str, int], int] = defaultdict(lambda: -1)  # (session, n % 3) -> last n
    lifecycle_acked: dict[str, int] = defaultdict(lambda: -1)
    lifecycle_targets: dict[tuple[str, int], str] = {}
    for r in records:
        kind = r.get("ack") or r.get("intent")
        acked = "ack" in r
        if kind == "state":
            table = acked_state if acked else asked_state
            table[(r["sid"], r["w"])] = max(table[(r["sid"], r["w"])], r["n"])
        elif kind == "summary":
            (acked_summary if acked else asked_summary)[r["sid"]] = r["n"]
            if acked:
                acked_residue[(r["sid"], r["n"] % 3)] = r["n"]
        elif kind == "lifecycle":
            lifecycle_targets[(r["sid"], r["i"])] = r["target"]
            if acked:
                lifecycle_acked[r["sid"]] = r["i"]
    checked = 0
    for sid in created:
        _, lifecycle, summary, metadata_text, state_text, ended_at = stored[sid]
        state, metadata = json.loads(state_text), json.loads(metadata_text)
        for w in range(3):
            a, b = state.get(f"a{w}"), state.get(f"b{w}")
            assert a == b, f"{sid}: torn state merge a{w}={a} b{w}={b}"
            floor = acked_state[(sid, w)]
            assert (a if a is not None else -1) >= floor, f"{sid}: acknowledged state a{w}={floor} lost (have {a})"
            assert (a if a is not None else -1) <= asked_state[(sid, w)]
            checked += floor + 1
        assert metadata.get("origin") == "child", f"{sid}: metadata lost a key in a merge"
        n = -1 if summary is None else int(summary.split()[1])
        assert metadata.get("sum", -1) == n, f"{sid}: summary {summary!r} with the metadata of another update"
        assert acked_summary[sid] <= n <= asked_summary[sid], f"{sid}: acknowledged summary lost ({summary!r})"
        for k in range(3):
            assert metadata.get(f"s{k}", -1) >= acked_residue[(sid, k)], f"{sid}: metadata key s{k} lost"
        last = lifecycle_acked[sid]
        allowed = {lifecycle_targets.get((sid, last), "active")}
        if (sid, last + 1) in lifecycle_targets:
            allowed.add(lifecycle_targets[(sid, last + 1)])
        assert lifecycle in allowed, f"{sid}: lifecycle {lifecycle}, acknowledged {allowed}"
        assert (ended_at is not None) == (lifecycle in ("terminated", "archived")), f"{sid}: {lifecycle} {ended_at}"
    # events: every acknowledged one once, seq without gaps, nothing nobody asked for
    events = Counter(str(i) for (i,) in store.sql("SELECT id FROM events WHERE event_type = 'step'").fetchall())
    asked = {r["id"] for r in records if r.get("intent") == "event"}
    acked_events = [r["id"] for r in records if r.get("ack") == "event"]
    assert all(events[i] == 1 for i in acked_events), "an acknowledged event is lost or doubled"
    assert set(events) <= asked and max(events.values(), default=1) == 1
    for sid, seqs in store.sql("SELECT session_id, list(seq ORDER BY seq) FROM events GROUP BY ALL").fetchall():
        assert seqs == list(range(1, len(seqs) + 1)), f"seq of {sid} has gaps"
    return checked + len(acked_events)


def test_session_state_lifecycle_and_summary_survive_sigkill(tmp_path: Path) -> None:
    path, log = tmp_path / "store", tmp_path / "sessions.log"
    rng = random.Random(47)
    for seed in range(6):
        _spawn_and_kill(SESSION_CHILD, path, log, seed, rng, (0.05, 0.5))
        with Store(path, embedder=None) as store:
            _check_sessions(store, _records(log))
    with Store(path, embedder=None) as store:
        assert _check_sessions(store, _records(log)) > 50, "the children should have written much more"


# -- 3. documents ---------------------------------------------------------------------------------------------------

DOCUMENT_CHILD = """
async def syncer(docs, root):
    while True:
        log(intent="sync")
        report = await docs.sync_directory(root, progress=False)
        log(ack="sync", added=len(report.added), changed=len(report.changed), removed=len(report.removed))

async def writer(docs, w):
    rng = random.Random(SEED * 10 + w)
    n = 0
    while True:
        path = f"virtual/{w}/{rng.randrange(3)}.md"
        token = f"{SEED}-{w}-{n}"
        n += 1
        if rng.random() < 0.25:
            log(intent="delete", path=path, token=token)
            existed = await docs.delete_document(path)
            log(ack="delete", path=path, token=token, existed=existed)
            continue
        words = " ".join(f"w{rng.randrange(1000)}" for _ in range(rng.randrange(10, 900)))
        content = f"# {token}\\n\\n{words}\\n"
        from agentlog.services.chunking import content_hash
        log(intent="index", path=path, token=token, hash=content_hash(content))
        await docs.index_document(path, token, content, "note")
        log(ack="index", path=path, token=token)

async def main():
    store = Store(sys.argv[1], embedder="fake", duckdb_config=CONFIG)
    docs = DocumentIndexService(store)
    ready()
    await asyncio.gather(syncer(docs, sys.argv[5]), *(writer(docs, w) for w in range(3)))

asyncio.run(main())
"""


def _write_files(root: Path, rng: random.Random, history: dict[str, set[str]], round_: int) -> None:
    """Change a third of the files, delete a few, add a few; remember every content each path ever had."""
    present = sorted(p for p in root.glob("**/*.md"))
    for file in present:
        roll = rng.random()
        if roll < 0.08:
            file.unlink()
        elif roll < 0.4:
            _write_doc(file, rng, history, round_)
    for n in range(30 if round_ == 0 else 6):
        _write_doc(root / f"d{round_ % 3}" / f"r{round_}-{n}.md", rng, history, round_)


def _write_doc(file: Path, rng: random.Random, history: dict[str, set[str]], round_: int) -> None:
    words = " ".join(f"word{rng.randrange(5000)}" for _ in range(rng.randrange(20, 1500)))
    content = f"# {file.stem} round {round_}\n\n{words}\n\nmore {rng.random()}\n"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(content)
    history[str(file.resolve())].add(content)


def _check_documents(store: Store, history: dict[str, set[str]], records: list[dict[str, Any]]) -> None:
    """Every document is one whole version of its content, with exactly the chunks of that content."""
    documents = store.sql(
        "SELECT id, file_path, title, content, content_hash, chunk_count FROM documents ORDER BY file_path"
    ).fetchall()
    chunks: dict[Any, list[tuple[Any, ...]]] = defaultdict(list)
    for row in store.sql(
        "SELECT document_id, chunk_index, text, start_char, end_char FROM document_chunks ORDER BY ALL"
    ).fetchall():
        chunks[row[0]].append(row[1:])
    assert set(chunks) <= {d[0] for d in documents}, "chunks of a document that is gone"
    for doc_id, path, title, content, digest, count in documents:
        assert digest == content_hash(content), f"{path}: hash of another content"
        expected = [(c.index, c.text, c.start, c.end) for c in split_chunks(content)]
        assert chunks[doc_id] == expected, f"{path}: chunks do not match the content"
        assert count == len(expected), f"{path}: chunk_count {count}, {len(expected)} chunks"
        if path.startswith("virtual/"):
            assert title == content.split("\n", 1)[0][2:]
        else:
            assert content in history[path], f"{path}: content no version of the file ever had"
            assert title == derived_title(content, Path(path).name)
    # the documents written with index_document: the last acknowledged version, or the one in flight after it
    last: dict[str, tuple[str | None, str | None]] = {}  # path -> (acknowledged hash, hash in flight)
    for r in records:
        if r.get("intent") in ("index", "delete"):
            acked, _ = last.get(r["path"], (None, None))
            last[r["path"]] = (acked, r.get("hash", "deleted"))
        elif r.get("ack") in ("index", "delete"):
            _, flying = last[r["path"]]
            last[r["path"]] = (flying, None)
    stored = {d[1]: d[4] for d in documents if d[1].startswith("virtual/")}
    for path, (acked, flying) in last.items():
        now = stored.get(path, "deleted")
        assert now in {acked or "deleted", flying or acked or "deleted"}, f"{path}: acknowledged write lost"


def _check_folder(store: Store, root: Path) -> None:
    """The documents under ``root`` are exactly its files, with their current content."""
    prefix = os.path.join(str(root.resolve()), "")
    stored = dict(
        store.sql("SELECT file_path, content FROM documents WHERE starts_with(file_path, ?)", [prefix]).fetchall()
    )
    on_disk = {str(p.resolve()): p.read_text() for p in root.glob("**/*.md")}
    assert stored.keys() == on_disk.keys(), "the documents are not the folder's files"
    assert stored == on_disk, "a document does not hold its file's content"


def test_document_sync_survives_sigkill_and_converges(tmp_path: Path) -> None:
    path, log, root = tmp_path / "store", tmp_path / "docs.log", tmp_path / "docs"
    root.mkdir()
    rng = random.Random(5)
    history: dict[str, set[str]] = defaultdict(set)
    for round_ in range(4):
        _write_files(root, rng, history, round_)
        before = len(_records(log)) if log.exists() else 0
        _spawn_and_kill(DOCUMENT_CHILD, path, log, round_, rng, (0.2, 2.5), str(root))
        records = _records(log)
        with Store(path, embedder=None) as store:
            _check_documents(store, history, records)
            if any(r.get("ack") == "sync" for r in records[before:]):
                _check_folder(store, root)  # a sync that returned left the folder's state, whole
    with Store(path, embedder="fake") as store:
        docs = DocumentIndexService(store)
        report = asyncio.run(docs.sync_directory(root, progress=False))
        _check_documents(store, history, _records(log))
        _check_folder(store, root)
        again = asyncio.run(docs.sync_directory(root, progress=False))
        assert not (again.added or again.changed or again.removed), "a second sync still changed things"
        store.wait_for_index(timeout=120)
        assert store.index is not None
        vectors = Counter(store.index.tables.vectors("document_chunks")[0])
        chunk_ids = {str(i) for (i,) in store.sql("SELECT id FROM document_chunks").fetchall()}
        pending = store.sql("SELECT count(*) FROM documents WHERE sync_status <> 'synced'").fetchall()[0][0]
    assert report.unchanged, "the children should have synced most files"
    assert max(vectors.values(), default=1) == 1 and set(vectors) == chunk_ids, "the index does not match the chunks"
    assert pending == 0, "sync_directory(wait=True) left documents not recorded synced"


# -- 4. log imports -------------------------------------------------------------------------------------------------

IMPORT_CHILD = """
from datetime import timedelta
from agentlog.io import import_logs

store = Store(sys.argv[1], embedder=None, duckdb_config=CONFIG)
ready()
report = import_logs(store, sys.argv[5], progress=False, running_window=timedelta(0))
log(ack="import", files=report.files, failures=[str(p) for p, _ in report.failures], events=report.events_inserted)
store.close()
"""

_SESSIONS_PER_FILE = 4


def _write_log(file: Path, rng: random.Random, earlier: list[str]) -> dict[str, list[str]]:
    """A JSON-lines log of a few interleaved sessions; returns the ids of each session's events.

    One session in three goes on from a session of an earlier file (a log split over files), so
    importing the file also updates a stored session.
    """
    start = datetime(2025, 3, 1, tzinfo=UTC) + timedelta(days=rng.randrange(300))
    sessions: dict[str, list[str]] = {}
    for _ in range(_SESSIONS_PER_FILE):
        sid = rng.choice(earlier) if earlier and rng.random() < 0.33 else str(uuid.UUID(int=rng.getrandbits(128)))
        sessions[sid] = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(rng.randrange(10, 60))]
    lines = [
        json.dumps(
            {"type": "session", "id": sid, "agent": "bot", "summary": f"s {sid[:4]}", "metadata": {"k": file.name}}
        )
        for sid in sessions
    ]
    remaining = {sid: list(ids) for sid, ids in sessions.items()}
    t = 0
    while remaining:
        sid = rng.choice(sorted(remaining))
        event_id = remaining[sid].pop(0)
        if not remaining[sid]:
            del remaining[sid]
        t += rng.randrange(3)  # ties are common in real logs
        event = {
            "type": "event",
            "id": event_id,
            "session_id": sid,
            "event_type": rng.choice(["user_message", "tool_call", "error_encountered"]),
            "event_data": {"text": "z" * rng.randrange(400)},
            "timestamp": (start + timedelta(seconds=t)).isoformat(),
        }
        lines.append(json.dumps(event))
    file.write_text("\n".join(lines) + "\n")
    earlier.extend(sessions)
    return sessions


def _check_imported(store: Store, files: dict[str, dict[str, list[str]]]) -> int:
    """Each file is in whole (its sessions and all its events) or not at all, and recorded as imported exactly
    when it is in (a recorded file is not read again); returns how many files are in."""
    events = {str(i) for (i,) in store.sql("SELECT id FROM events").fetchall()}
    recorded = {Path(p).name for (p,) in store.sql("SELECT path FROM imported_logs").fetchall()}
    sessions = {str(i) for (i,) in store.sql("SELECT id FROM sessions").fetchall()}
    for session, seqs in store.sql("SELECT session_id, list(seq ORDER BY seq) FROM events GROUP BY ALL").fetchall():
        assert seqs == list(range(1, len(seqs) + 1)), f"seq of {session} has gaps"
    whole: set[str] = set()  # the sessions of the files that are in
    count = 0
    for name, expected in files.items():
        ids = [i for session_events in expected.values() for i in session_events]
        present = sum(i in events for i in ids)
        assert present in (0, len(ids)), f"{name}: {present} of its {len(ids)} events stored"
        if present:
            assert set(expected) <= sessions, f"{name}: events stored without their session"
            whole |= set(expected)
            count += 1
        assert (name in recorded) == bool(present), f"{name}: recorded {name in recorded}, stored {bool(present)}"
    assert sessions <= whole, f"{len(sessions - whole)} sessions stored without the rest of their file"
    return count


def _import_snapshot(store: Store) -> dict[str, list[Any]]:
    sessions = store.sql(
        "SELECT id, agent, project_id, user_id, app_name, lifecycle, summary, metadata, state, started_at, ended_at "
        "FROM sessions ORDER BY id"
    ).fetchall()
    events = store.sql(
        "SELECT id, session_id, seq, event_type, event_data, metadata, timestamp FROM events ORDER BY id"
    ).fetchall()
    return {
        "sessions": [(*r[:7], json.loads(r[7]), json.loads(r[8]), *r[9:]) for r in sessions],
        "events": [(*r[:4], json.loads(r[4]), json.loads(r[5]), r[6]) for r in events],
    }


def test_log_import_is_per_file_atomic_under_sigkill(tmp_path: Path) -> None:
    path, log, root = tmp_path / "store", tmp_path / "import.log", tmp_path / "logs"
    root.mkdir()
    rng = random.Random(11)
    files: dict[str, dict[str, list[str]]] = {}
    earlier: list[str] = []
    for round_ in range(6):
        for n in range(5):
            name = f"r{round_}-{n}.jsonl"  # sorted as written: an uninterrupted import reads them in this order
            files[name] = _write_log(root / name, rng, earlier)
        _spawn_and_kill(IMPORT_CHILD, path, log, round_, rng, (0.0, 0.6), str(root))
        with Store(path, embedder=None) as store:
            _check_imported(store, files)
    acks = [r for r in _records(log) if r.get("ack") == "import"]
    assert all(not a["failures"] for a in acks), acks
    with Store(path, embedder=None) as store:
        report = import_logs(store, root, progress=False, running_window=timedelta(0))
        assert report.ok, report.summary()
        assert _check_imported(store, files) == len(files)
        recovered = _import_snapshot(store)
    with Store(tmp_path / "uninterrupted", embedder=None) as fresh:
        assert import_logs(fresh, root, progress=False, running_window=timedelta(0)).ok
        assert _import_snapshot(fresh) == recovered, "re-importing after the kills gave another store"


# -- 5. concurrency: threads with loops of their own, and the main loop ------------------------------------------------

ACTORS = 5  # 4 threads each with asyncio.run, and the test's own loop
CALLS = 20
TIMEOUT_S = 120.0


async def _actor(store: Store, actor: int, session_id: uuid.UUID, acks: dict[str, list[Any]]) -> None:
    memory, sessions, docs = MemoryService(store), SessionService(store), DocumentIndexService(store)
    rng = random.Random(actor)
    state = acks.setdefault(f"state{actor}", [])
    puts = acks.setdefault(f"puts{actor}", [])
    events = acks.setdefault(f"events{actor}", [])
    own_docs = acks.setdefault(f"docs{actor}", [])
    shared_docs = acks.setdefault(f"shared{actor}", [])

    async def one(n: int) -> None:
        key = f"k{n % 4}"
        record = await memory.put_memory("project:conc", key, {"actor": actor, "n": n}, "semantic")
        puts.append((key, record["version"], actor, n))
        await sessions.update_session_state(session_id, {f"actor{actor}": n, f"c{actor}.{n}": n})
        state.append(n)
        event_id = uuid.uuid5(uuid.NAMESPACE_OID, f"{n}")  # the same ids in every actor: resent, stored once
        stored = await sessions.add_event(session_id, "step", {"actor": actor, "n": n}, event_id=event_id)
        events.append(str(stored["id"]))
        content = f"# actor {actor}\n\ncall {n} " + "text " * rng.randrange(5, 400)
        own = f"own/{actor}/{int(n >= CALLS)}.md"  # each written by one call at a time
        await docs.index_document(own, f"actor {actor}", content, "note")
        own_docs.append((own, content))
        shared = f"shared/{n % 2}.md"
        if rng.random() < 0.3:
            await docs.delete_document(shared)
        else:
            text = f"# shared\n\nactor {actor} call {n} " + "more " * rng.randrange(5, 300)
            await docs.index_document(shared, "shared", text, "note")
            shared_docs.append(text)
        assert await memory.get_memory("project:conc", key) is not None

    for n in range(CALLS):
        # two calls of one actor in flight at once, so they meet in the writer's groups
        if n % 2 == 0:
            await one(n)
        else:
            await asyncio.gather(*(one(m) for m in (n, n + CALLS)))


async def test_threads_with_their_own_loops_share_a_store(tmp_path: Path) -> None:
    store = Store(tmp_path / "store", embedder="fake")
    try:
        session_id = (await SessionService(store).create_session("claude"))["id"]
        acks: dict[str, list[Any]] = {}
        failures: list[BaseException] = []

        def in_thread(actor: int) -> None:
            try:
                asyncio.run(asyncio.wait_for(_actor(store, actor, session_id, acks), TIMEOUT_S))
            except BaseException as exc:  # reported by the test below
                failures.append(exc)

        threads = [threading.Thread(target=in_thread, args=(a,), daemon=True) for a in range(1, ACTORS)]
        for thread in threads:
            thread.start()
        await asyncio.wait_for(_actor(store, 0, session_id, acks), TIMEOUT_S)
        for thread in threads:
            await asyncio.to_thread(thread.join, TIMEOUT_S)
        assert not [t for t in threads if t.is_alive()], "a thread hung (deadlock?)"
        assert not failures, failures
        _check_concurrent(store, session_id, acks)
        await asyncio.wait_for(asyncio.to_thread(store.wait_for_index, TIMEOUT_S), TIMEOUT_S)
    finally:
        store.close()
    with Store(tmp_path / "store", embedder=None) as reopened:
        _check_concurrent(reopened, session_id, acks)


def _check_concurrent(store: Store, session_id: uuid.UUID, acks: dict[str, list[Any]]) -> None:
    calls = 2 * CALLS - CALLS // 2  # per actor: every call, odd ones with a twin
    # memories: one version per acknowledged put, each version once, gapless
    rows = store.sql("SELECT key, version, value FROM memories WHERE namespace = 'project:conc'").fetchall()
    stored = {(k, v): json.loads(value) for k, v, value in rows}
    puts = [p for a in range(ACTORS) for p in acks[f"puts{a}"]]
    assert len(puts) == ACTORS * calls
    assert len(stored) == len(rows) == len(puts), "a memory version was lost or doubled"
    for key, version, actor, n in puts:
        assert stored[(key, version)] == {"actor": actor, "n": n}
    for key in {k for k, _ in stored}:
        versions = sorted(v for k, v in stored if k == key)
        assert versions == list(range(1, len(versions) + 1))
    # session state: every actor's last acknowledged value, events stored once each
    state = json.loads(store.sql("SELECT state FROM sessions WHERE id = ?", [session_id]).fetchall()[0][0])
    for actor in range(ACTORS):
        lost = [n for n in acks[f"state{actor}"] if state.get(f"c{actor}.{n}") != n]
        assert not lost, f"actor {actor}'s state updates {lost} were lost"
        assert state[f"actor{actor}"] in (CALLS - 1, 2 * CALLS - 1)  # the last two, run at once
    events = store.sql("SELECT id, seq FROM events WHERE session_id = ? ORDER BY seq", [session_id]).fetchall()
    assert [s for _, s in events] == list(range(1, len(events) + 1))
    assert len(events) == len({i for i, _ in events}) == calls, "an event id was stored twice or lost"
    # documents: each actor's own path holds its last content; the shared ones some acknowledged content, whole
    documents = dict(store.sql("SELECT file_path, content FROM documents").fetchall())
    for actor in range(ACTORS):
        last = dict(acks[f"docs{actor}"])
        assert all(documents[own] == content for own, content in last.items()), f"actor {actor}: lost a document"
    shared = {c for a in range(ACTORS) for c in acks[f"shared{a}"]}
    for n in range(2):
        assert documents.get(f"shared/{n}.md", next(iter(shared))) in shared
    chunks: dict[str, list[str]] = defaultdict(list)
    for path, text in store.sql(
        "SELECT d.file_path, c.text FROM document_chunks c JOIN documents d ON d.id = c.document_id "
        "ORDER BY d.file_path, c.chunk_index"
    ).fetchall():
        chunks[path].append(text)
    orphans = store.sql(
        "SELECT count(*) FROM document_chunks WHERE document_id NOT IN (SELECT id FROM documents)"
    ).fetchall()[0][0]
    assert orphans == 0
    for path, content in documents.items():
        assert chunks.get(path, []) == [c.text for c in split_chunks(content)], f"{path}: chunks of another content"


def test_close_while_threads_write_loses_nothing_acknowledged(tmp_path: Path) -> None:
    store = Store(tmp_path / "store", embedder="fake")
    session_id = asyncio.run(SessionService(store).create_session("claude"))["id"]
    acked: dict[int, list[int]] = defaultdict(list)
    failures: list[BaseException] = []
    started = threading.Barrier(5)

    async def writer(actor: int) -> None:
        memory, sessions = MemoryService(store), SessionService(store)
        started.wait(TIMEOUT_S)
        n = 0
        while True:
            try:
                await memory.put_memory("project:close", f"a{actor}", {"n": n}, "semantic")
                await sessions.update_session_state(session_id, {f"a{actor}.{n}": n})
            except StoreClosedError:
                return
            acked[actor].append(n)
            n += 1

    def in_thread(actor: int) -> None:
        try:
            asyncio.run(asyncio.wait_for(writer(actor), TIMEOUT_S))
        except BaseException as exc:  # reported by the test below
            failures.append(exc)

    threads = [threading.Thread(target=in_thread, args=(a,), daemon=True) for a in range(4)]
    for thread in threads:
        thread.start()
    started.wait(TIMEOUT_S)
    time.sleep(0.5)
    closer = threading.Thread(target=store.close, daemon=True)
    closer.start()
    for thread in [closer, *threads]:
        thread.join(TIMEOUT_S)
    assert not [t for t in [closer, *threads] if t.is_alive()], "close() or a writer hung"
    assert not failures, failures
    with Store(tmp_path / "store", embedder=None) as reopened:
        state = json.loads(reopened.sql("SELECT state FROM sessions").fetchall()[0][0])
        versions = dict(reopened.sql("SELECT key, max(version) FROM memories GROUP BY ALL").fetchall())
    assert all(acked[a] for a in range(4)), "every thread should have written before the close"
    for actor, calls in acked.items():
        assert all(state.get(f"a{actor}.{n}") == n for n in calls), f"actor {actor}: acknowledged state lost"
        assert versions[f"a{actor}"] >= len(calls), f"actor {actor}: acknowledged memory versions lost"
