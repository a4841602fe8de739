"""Stateful, model-based tests of ``MemoryService`` and ``DocumentIndexService`` (hypothesis ``RuleBasedStateMachine``).

Each machine drives a real store (in memory, or in a directory it closes and reopens) with random calls and checks,
after every rule, that what the services return equals a plain-Python model of the documented behaviour (README,
``reference/service-layer-brief.md``, ``reference/document-index-api.md`` and the services' docstrings):

* **Memory model**: ``(namespace, key) -> [MemVersion, ...]``, the version rows the store holds, oldest first. A
  memory is *visible* while its latest version has not expired and *live* when that version is also not a delete
  marker. Every write appends version ``head + 1`` (create after a delete continues the numbering; create or put
  over an expired memory starts again at 1, its old history gone); an update keeps the type, metadata and expiry
  unless given; a delete appends a marker copying the value; a restore appends a copy of the marker. Expiry is
  driven by a fake clock (``MemoryService(clock=...)``): an expired head hides the whole memory, an expired older
  version drops out of the history. ``temp:`` memories get the service's ``temp_ttl``. Listing is by whole-segment
  prefix, most recently changed first; ``sweep_expired`` / ``clear_session_memories`` remove rows and count
  memories. Invalid arguments raise ``ValidationError`` and leave the ``memories`` table byte-for-byte unchanged.
* **Document model**: ``file_path -> DocModel`` (id, title, content, type, namespace, metadata, a status of
  ``fresh`` (pending or synced: the indexer runs in the background), ``synced`` (recorded), ``stale`` or
  ``failed``, and the chunk ids last seen). Indexing upserts by path: the same content, title, type and namespace is
  a no-op (metadata alone is updated in place), anything else (or a stale / failed document) replaces the chunks.
  Chunks are checked against the documented chunking contract (whole words, at most 200 words / 1,000 characters
  unless one word is longer, every word covered, at most 30 words of overlap, no chunk inside the one before), not
  against the chunker's own output. A folder model (``relative path -> bytes``) is synced with ``sync_directory``:
  the report's added / changed / unchanged / removed / skipped and the stored documents under the folder must match
  the folder (titles from the first heading outside code fences, else the file name).

Search is only checked for "what was deleted never comes back" and "a hit's content equals the stored content": the
fake embedder's ranking means nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import math
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from agentlog import DocumentIndexService, MemoryService, SessionService, Store
from agentlog.errors import AlreadyExistsError, NotFoundError, ValidationError

# -- shared helpers ---------------------------------------------------------------------------------------------


class Clock:
    """A settable clock for expiry (the services take ``clock=``)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


def same_json(a: Any, b: Any) -> bool:
    """Equality of JSON data that tells ``True`` from ``1``, ``1`` from ``1.0`` and ``0.0`` from ``-0.0``."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return bool(a == b)


def parse_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def under(namespace: str | None, prefix: str | None) -> bool:
    """Whether ``namespace`` is ``prefix`` or below it (whole segments; a bare scope is a prefix too)."""
    if prefix is None:
        return True
    return namespace is not None and (namespace == prefix or namespace.startswith(prefix + ":"))


class Runner:
    """One event loop per test case."""

    def __init__(self) -> None:
        self._runner = asyncio.Runner()

    def __call__(self, coro: Any) -> Any:
        return self._runner.run(coro)

    def close(self) -> None:
        self._runner.close()


def raises(runner: Runner, error: type[BaseException], coro: Any) -> BaseException:
    with pytest.raises(error) as info:
        runner(coro)
    return info.value


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=6)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
json_objects = st.dictionaries(st.text(max_size=4), json_values, max_size=3)

# -- the memory model -----------------------------------------------------------------------------------------------

SID_LIVE = uuid.UUID("4f0c4a3e-9d1e-4c55-8a9b-6c2f1e0d3b71")
"""A session created by the machine (its memories survive ``sweep_expired(ended_sessions=True)`` until it ends)."""
SID_GONE = uuid.UUID("0b7e2f0a-1c3d-4e5f-8a6b-7c8d9e0f1a2b")
"""A session that is not in the store."""
TEMP_TTL = timedelta(seconds=600)

NAMESPACES = [
    "project:a",
    "project:a:x",
    "project:a:x:y",
    "project:ab",
    "project:a_b",
    "project:axb",
    "project:A",
    "project:100%",
    "user:o'hara",
    "user:a\\b",
    "user:alice@example.com",
    "app:é",
    "temp:scratch",
    f"session:{SID_LIVE}",
    f"session:{SID_LIVE}:notes",
    f"session:{SID_GONE}",
]
SCOPES = ["project", "app", "user", "session", "temp"]
PREFIXES = [*SCOPES, *NAMESPACES, "project:a%", "project:a_", "project:a*"]
KEYS = ["k", "K", "key one", "step:3", "ünï", "%"]
MEMORY_TYPES = ["short_term", "semantic", "episodic", "procedural"]
TTL_SECONDS = [1, 30, 600]

expiries = st.one_of(
    st.none(),
    st.tuples(st.sampled_from(["ttl", "timedelta", "at"]), st.sampled_from(TTL_SECONDS)),
)


def _long_namespace() -> str:
    return "project:" + ":".join(["y" * 60] * 9)  # 9 valid segments, 556 characters


BAD_NAMESPACES: list[Any] = [
    "",
    "project",
    "Project:a",
    "projects:a",
    "project:",
    "project::a",
    ":a",
    "project:a:",
    "project:a b",
    "project:a\n",
    "project:a\u200b",
    "project:a\x00",
    "session:not-a-uuid",
    f"session:{str(SID_LIVE).upper()}",
    f"session:{SID_LIVE.hex}",
    "project:" + ":".join(["s"] * 17),
    "project:" + "x" * 129,
    _long_namespace(),
    None,
    42,
    b"project:a",
]
BAD_PREFIXES: list[Any] = ["", "proj", "project:", "Project", "project:a b", "project::a", None, 7]
BAD_KEYS: list[Any] = ["", "   ", "k\n", "k\x00", "a\u2028b", "x" * 257, None, 3]
BAD_TYPES: list[Any] = ["Semantic", "semantic ", "long_term", "", None, 1]
BAD_LIMITS: list[Any] = [0, -1, 100_001, True, 1.5, "10", None]


def _deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


BAD_VALUES: list[Any] = [float("nan"), float("inf"), {1: "a"}, {"a": {2, 3}}, object(), _deep(40), b"bytes"]
BAD_METADATA: list[Any] = [[1], "x", 5, {"a": float("nan")}, {1: 2}]


@dataclass
class Origin:
    """What every version since one ``created`` shares: its ``created_at`` (learned from the store)."""

    created_at: str | None = None


@dataclass
class MemVersion:
    """One version row of a memory, as the documentation says it is."""

    number: int
    change: str
    value: Any
    memory_type: str
    metadata: dict[str, Any]
    expires_at: datetime | None
    stamp: int
    origin: Origin
    row_id: uuid.UUID | None = None
    updated_at: str | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


class MemoryMachine(RuleBasedStateMachine):
    """MemoryService against the memory model (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.mkdtemp(prefix="agentlog-model-")
        self.run = Runner()
        self.clock = Clock()
        self.store = self.open_store()
        self.memory = MemoryService(self.store, temp_ttl=TEMP_TTL, clock=self.clock)
        self.run(SessionService(self.store).create_session("model", session_id=SID_LIVE))
        self.session_ended = False
        self.rows: dict[tuple[str, str], list[MemVersion]] = {}
        self.memory_ids: dict[tuple[str, str], uuid.UUID] = {}
        self.stamp = 0
        self.dirty: set[tuple[str, str]] = set()
        self.all_dirty = True

    def open_store(self) -> Store:
        return Store.memory()

    def teardown(self) -> None:
        try:
            self.store.close()
        finally:
            self.run.close()
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- the model -------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self.clock.now

    def head(self, k: tuple[str, str]) -> MemVersion | None:
        versions = self.rows.get(k)
        return versions[-1] if versions else None

    def visible(self, k: tuple[str, str]) -> bool:
        head = self.head(k)
        return head is not None and not head.expired(self.now)

    def live(self, k: tuple[str, str]) -> bool:
        head = self.head(k)
        return self.visible(k) and head is not None and head.change != "deleted"

    def next_stamp(self) -> int:
        self.stamp += 1
        return self.stamp

    def pick(self, data: st.DataObject) -> tuple[str, str]:
        """A namespace and key: mostly one the machine wrote before, so that versions pile up."""
        known = sorted(self.rows)
        if known and data.draw(st.integers(0, 3), label="known") > 0:
            return data.draw(st.sampled_from(known), label="target")
        return data.draw(st.tuples(st.sampled_from(NAMESPACES), st.sampled_from(KEYS)), label="target")

    def expiry_kwargs(self, expiry: tuple[str, int] | None) -> tuple[dict[str, Any], datetime | None]:
        if expiry is None:
            return {}, None
        kind, seconds = expiry
        when = self.now + timedelta(seconds=seconds)
        if kind == "ttl":
            return {"ttl": seconds}, when
        if kind == "timedelta":
            return {"ttl": timedelta(seconds=seconds)}, when
        return {"expires_at": when}, when

    def expected_write(
        self,
        mode: str,
        k: tuple[str, str],
        value: Any,
        memory_type: str | None,
        metadata: dict[str, Any] | None,
        expiry: tuple[str, int] | None,
    ) -> MemVersion | type[Exception]:
        """The version a create / put / update appends, or the error it raises (the model is not changed)."""
        live = self.live(k)
        if mode == "create" and live:
            return AlreadyExistsError
        if mode == "update" and not live:
            return NotFoundError
        _, expires = self.expiry_kwargs(expiry)
        head = self.head(k)
        if live:
            assert head is not None
            return MemVersion(
                number=head.number + 1,
                change="updated",
                value=value,
                memory_type=memory_type or head.memory_type,
                metadata=metadata if metadata is not None else head.metadata,
                expires_at=expires if expiry is not None else head.expires_at,
                stamp=0,
                origin=head.origin,
            )
        visible = self.visible(k)  # a delete marker: numbering goes on; expired or never set: version 1
        default = self.now + TEMP_TTL if k[0].startswith("temp:") else None
        return MemVersion(
            number=head.number + 1 if visible and head is not None else 1,
            change="created",
            value=value,
            memory_type=memory_type or "",
            metadata=metadata if metadata is not None else {},
            expires_at=expires if expiry is not None else default,
            stamp=0,
            origin=Origin(),
        )

    def append(self, k: tuple[str, str], version: MemVersion) -> None:
        if not self.visible(k):
            self.rows[k] = []  # an expired memory is gone, history and all
        version.stamp = self.next_stamp()
        self.rows.setdefault(k, []).append(version)
        self.dirty.add(k)

    def table(self) -> list[tuple[Any, ...]]:
        return sorted(self.store.sql("SELECT * FROM memories").fetchall(), key=repr)

    # -- checks ----------------------------------------------------------------------------------

    def check_record(self, record: Any, k: tuple[str, str], version: MemVersion) -> None:
        context = (k, version.number, record)
        assert record["namespace"] == k[0], context
        assert record["key"] == k[1], context
        assert record["version"] == version.number, context
        assert record["change"] == version.change, context
        assert same_json(record["value"], version.value), context
        assert record["memory_type"] == version.memory_type, context
        assert same_json(record["metadata"], version.metadata), context
        assert parse_time(record["expires_at"]) == version.expires_at, context
        if version.row_id is None:
            version.row_id = record["id"]
        assert record["id"] == version.row_id, context
        if version.updated_at is None:
            version.updated_at = record["updated_at"]
        assert record["updated_at"] == version.updated_at, context
        if version.origin.created_at is None:
            version.origin.created_at = record["created_at"]
        assert record["created_at"] == version.origin.created_at, ("created_at is kept by updates", context)
        known = self.memory_ids.setdefault(k, record["memory_id"])
        assert record["memory_id"] == known, ("memory_id is stable for a namespace + key", context)

    def check_key(self, k: tuple[str, str]) -> None:
        ns, key = k
        got = self.run(self.memory.get_memory(ns, key))
        head = self.head(k)
        if self.live(k):
            assert got is not None, (k, head)
            assert head is not None
            self.check_record(got, k, head)
        else:
            assert got is None, (k, got)
        history = self.run(self.memory.get_memory_history(ns, key))
        expected = [v for v in reversed(self.rows.get(k, [])) if not v.expired(self.now)] if self.visible(k) else []
        assert [h["version"] for h in history] == [v.number for v in expected], (k, history)
        for position, (record, version) in enumerate(zip(history, expected, strict=True)):
            self.check_record(record, k, version)
            assert record["is_current"] is (position == 0), record

    def expected_listing(self, prefix: str, memory_type: str | None) -> list[tuple[str, str]]:
        keys = [k for k in self.rows if self.live(k) and under(k[0], prefix)]
        keys = [k for k in keys if memory_type is None or self.rows[k][-1].memory_type == memory_type]
        return sorted(keys, key=lambda k: -self.rows[k][-1].stamp)

    def check_listing(self, prefix: str, memory_type: str | None = None, limit: int = 100) -> None:
        got = self.run(self.memory.list_memories_by_namespace(prefix, memory_type, limit))
        expected = self.expected_listing(prefix, memory_type)[:limit]
        assert [(r["namespace"], r["key"]) for r in got] == expected, (prefix, memory_type, limit, got)
        for record, k in zip(got, expected, strict=True):
            self.check_record(record, k, self.rows[k][-1])

    @invariant()
    def services_agree_with_the_model(self) -> None:
        if self.all_dirty:
            scopes = set(SCOPES)
            keys = set(self.rows) | self.dirty
        else:
            scopes = {k[0].split(":", 1)[0] for k in self.dirty}
            keys = self.dirty
        for scope in sorted(scopes):
            self.check_listing(scope)
        for k in sorted(keys):
            self.check_key(k)
        self.dirty.clear()
        self.all_dirty = False

    # -- writes ------------------------------------------------------------------------------------

    def write(
        self,
        mode: str,
        ns: str,
        key: str,
        value: Any,
        memory_type: str | None,
        metadata: dict[str, Any] | None,
        expiry: tuple[str, int] | None,
    ) -> None:
        k = (ns, key)
        self.dirty.add(k)
        expected = self.expected_write(mode, k, value, memory_type, metadata, expiry)
        kwargs, _ = self.expiry_kwargs(expiry)
        if metadata is not None:
            kwargs["metadata"] = metadata
        if mode == "create":
            call = self.memory.create_memory(ns, key, value, memory_type or "", **kwargs)
        elif mode == "put":
            call = self.memory.put_memory(ns, key, value, memory_type or "", **kwargs)
        else:
            call = self.memory.update_memory(ns, key, value, **kwargs)
        if isinstance(expected, type):
            before = self.table()
            raises(self.run, expected, call)
            assert self.table() == before, f"a rejected {mode} changed the store"
            return
        result = self.run(call)
        self.append(k, expected)
        if mode == "create":
            assert isinstance(result, uuid.UUID)
            expected.row_id = result
        else:
            self.check_record(result, k, expected)

    @rule(
        mode=st.sampled_from(["create", "put"]),
        data=st.data(),
        value=json_values,
        memory_type=st.sampled_from(MEMORY_TYPES),
        metadata=st.none() | json_objects,
        expiry=expiries,
    )
    def create_or_put(
        self,
        mode: str,
        data: st.DataObject,
        value: Any,
        memory_type: str,
        metadata: dict[str, Any] | None,
        expiry: tuple[str, int] | None,
    ) -> None:
        self.write(mode, *self.pick(data), value, memory_type, metadata, expiry)

    @rule(data=st.data(), value=json_values, metadata=st.none() | json_objects, expiry=expiries)
    def update(
        self, data: st.DataObject, value: Any, metadata: dict[str, Any] | None, expiry: tuple[str, int] | None
    ) -> None:
        self.write("update", *self.pick(data), value, None, metadata, expiry)

    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        k = ns, key = self.pick(data)
        self.dirty.add(k)
        live = self.live(k)
        before = self.table()
        assert self.run(self.memory.delete_memory(ns, key)) is live
        if not live:
            assert self.table() == before, "a delete of nothing changed the store"
            return
        head = self.head(k)
        assert head is not None
        marker = MemVersion(
            head.number + 1, "deleted", head.value, head.memory_type, head.metadata, head.expires_at, 0, head.origin
        )
        self.append(k, marker)

    @rule(data=st.data())
    def restore(self, data: st.DataObject) -> None:
        k = ns, key = self.pick(data)
        self.dirty.add(k)
        head = self.head(k)
        if not self.visible(k) or head is None:
            raises(self.run, NotFoundError, self.memory.restore_memory(ns, key))
            return
        if head.change != "deleted":
            raises(self.run, AlreadyExistsError, self.memory.restore_memory(ns, key))
            return
        record = self.run(self.memory.restore_memory(ns, key))
        restored = MemVersion(
            head.number + 1, "restored", head.value, head.memory_type, head.metadata, head.expires_at, 0, head.origin
        )
        self.append(k, restored)
        self.check_record(record, k, restored)

    @rule(seconds=st.sampled_from([*TTL_SECONDS, 29, 31, 90_000]))  # landing on an expiry time exactly: expired
    def advance_clock(self, seconds: int) -> None:
        self.clock.now += timedelta(seconds=seconds)
        self.all_dirty = True

    @precondition(lambda self: any(v.expires_at and v.expires_at > self.now for vs in self.rows.values() for v in vs))
    @rule(data=st.data(), before=st.booleans())
    def advance_clock_to_an_expiry(self, data: st.DataObject, before: bool) -> None:
        """Land on a version's expiry time (expired: ``expires_at <= now``), or one microsecond before it."""
        times = sorted(
            {v.expires_at for vs in self.rows.values() for v in vs if v.expires_at and v.expires_at > self.now}
        )
        when = data.draw(st.sampled_from(times), label="expiry")
        self.clock.now = when - timedelta(microseconds=1) if before else when
        self.all_dirty = True

    @rule(ended_sessions=st.booleans())
    def sweep(self, ended_sessions: bool) -> None:
        gone = {k for k, versions in self.rows.items() if versions and versions[-1].expired(self.now)}
        if ended_sessions:
            ended = [SID_GONE, SID_LIVE] if self.session_ended else [SID_GONE]
            gone |= {k for k in self.rows if self.rows[k] and any(under(k[0], f"session:{s}") for s in ended)}
        assert self.run(self.memory.sweep_expired(ended_sessions=ended_sessions)) == len(gone)
        for k in gone:
            self.rows[k] = []
        for k, versions in self.rows.items():
            self.rows[k] = [v for v in versions if not v.expired(self.now)]
        self.all_dirty = True

    @rule(sid=st.sampled_from([SID_LIVE, SID_GONE]), as_text=st.booleans())
    def clear_session(self, sid: uuid.UUID, as_text: bool) -> None:
        gone = [k for k in self.rows if self.rows[k] and under(k[0], f"session:{sid}")]
        assert self.run(self.memory.clear_session_memories(str(sid) if as_text else sid)) == len(gone)
        for k in gone:
            self.rows[k] = []
            self.dirty.add(k)

    @precondition(lambda self: not self.session_ended)
    @rule()
    def end_the_live_session(self) -> None:
        self.run(SessionService(self.store).end_session(SID_LIVE, summary="done"))
        self.session_ended = True

    # -- reads -------------------------------------------------------------------------------------

    @rule(
        data=st.data(),
        version=st.integers(min_value=1, max_value=12) | st.sampled_from([2**31, 2**63, 2**64]),
    )
    def get_version(self, data: st.DataObject, version: int) -> None:
        k = ns, key = self.pick(data)
        got = self.run(self.memory.get_memory(ns, key, version=version))
        wanted = [v for v in self.rows.get(k, []) if v.number == version and not v.expired(self.now)]
        if not self.visible(k) or not wanted:
            assert got is None, (k, version, got)
        else:
            self.check_record(got, k, wanted[0])

    @rule(
        prefix=st.sampled_from(PREFIXES),
        memory_type=st.none() | st.sampled_from(MEMORY_TYPES),
        limit=st.sampled_from([1, 2, 3, 100]),
    )
    def list_memories(self, prefix: str, memory_type: str | None, limit: int) -> None:
        # "project:a%", "project:a_" and "project:a*" are literal: namespaces of their own that hold nothing.
        self.check_listing(prefix, memory_type, limit)

    @rule(prefix=st.none() | st.sampled_from(PREFIXES))
    def list_namespaces(self, prefix: str | None) -> None:
        got = self.run(self.memory.list_namespaces(prefix))
        expected = sorted({k[0] for k in self.rows if self.live(k) and under(k[0], prefix)})
        assert got == expected, (prefix, got)

    @rule(
        query=st.sampled_from(["k", "key one", "step 3", "value", "ünï"]),
        prefix=st.none() | st.sampled_from(PREFIXES),
        memory_type=st.none() | st.sampled_from(MEMORY_TYPES),
    )
    def search(self, query: str, prefix: str | None, memory_type: str | None) -> None:
        hits = self.run(self.memory.search_memories(query, prefix, memory_type, limit=50))
        seen = set()
        for hit in hits:
            k = (hit["namespace"], hit["key"])
            assert k not in seen, ("a memory found twice", hits)
            seen.add(k)
            assert self.live(k), ("search found a memory that is deleted, expired or was never set", hit)
            assert under(k[0], prefix), (prefix, hit)
            head = self.rows[k][-1]
            assert memory_type is None or head.memory_type == memory_type, (memory_type, hit)
            self.check_record(hit, k, head)

    # -- rejected calls ----------------------------------------------------------------------------

    @rule(
        data=st.data(),
        what=st.sampled_from(["namespace", "key", "memory_type", "value", "metadata", "expiry"]),
        mode=st.sampled_from(["create", "put", "update"]),
        ns=st.sampled_from(NAMESPACES),
        key=st.sampled_from(KEYS),
    )
    def rejected_write(self, data: st.DataObject, what: str, mode: str, ns: str, key: str) -> None:
        if mode == "update" and what == "memory_type":
            what = "value"
        args: dict[str, Any] = {"namespace": ns, "key": key, "value": "v"}
        if mode != "update":
            args["memory_type"] = "semantic"
        if what == "namespace":
            args["namespace"] = data.draw(st.sampled_from(BAD_NAMESPACES))
        elif what == "key":
            args["key"] = data.draw(st.sampled_from(BAD_KEYS))
        elif what == "memory_type":
            args["memory_type"] = data.draw(st.sampled_from(BAD_TYPES))
        elif what == "value":
            args["value"] = data.draw(st.sampled_from(BAD_VALUES))
        elif what == "metadata":
            args["metadata"] = data.draw(st.sampled_from(BAD_METADATA))
        else:
            bad = data.draw(st.integers(0, 8))
            naive = self.now.replace(tzinfo=None) + timedelta(hours=1)
            args.update(
                [
                    {"ttl": 0},
                    {"ttl": -5},
                    {"ttl": True},
                    {"ttl": "10"},
                    {"ttl": timedelta(days=40_000)},
                    {"expires_at": self.now},
                    {"expires_at": self.now - timedelta(seconds=1)},
                    {"expires_at": naive},
                    {"ttl": 10, "expires_at": self.now + timedelta(hours=1)},
                ][bad]
            )
        method = {"create": self.memory.create_memory, "put": self.memory.put_memory}.get(mode)
        before = self.table()
        call = method(**args) if method is not None else self.memory.update_memory(**args)
        raises(self.run, ValidationError, call)
        assert self.table() == before, (mode, args)
        self.dirty.add((ns, key))

    @rule(
        data=st.data(),
        what=st.sampled_from(["get", "version", "history", "delete", "restore", "list", "limit", "namespaces"]),
    )
    def rejected_read_or_delete(self, data: st.DataObject, what: str) -> None:
        before = self.table()
        m = self.memory
        bad_ns = data.draw(st.sampled_from(BAD_NAMESPACES))
        bad_key = data.draw(st.sampled_from(BAD_KEYS))
        ns, key = (bad_ns, "k") if data.draw(st.booleans()) else ("project:a", bad_key)
        calls = {
            "get": lambda: m.get_memory(ns, key),
            "version": lambda: m.get_memory("project:a", "k", version=data.draw(st.sampled_from([0, -1, True, 1.0]))),
            "history": lambda: m.get_memory_history(ns, key),
            "delete": lambda: m.delete_memory(ns, key),
            "restore": lambda: m.restore_memory(ns, key),
            "list": lambda: m.list_memories_by_namespace(data.draw(st.sampled_from(BAD_PREFIXES))),
            "limit": lambda: m.list_memories_by_namespace("project", None, data.draw(st.sampled_from(BAD_LIMITS))),
            "namespaces": lambda: m.list_namespaces(data.draw(st.sampled_from([*BAD_PREFIXES[:-2], 7]))),
        }
        raises(self.run, ValidationError, calls[what]())
        assert self.table() == before, what


class FileMemoryMachine(MemoryMachine):
    """The memory machine on a store in a directory, closed and reopened now and then."""

    def open_store(self) -> Store:
        return Store(Path(self.tmp) / "store")

    @rule()
    def reopen(self) -> None:
        self.store.close()
        self.store = self.open_store()
        self.memory = MemoryService(self.store, temp_ttl=TEMP_TTL, clock=self.clock)
        self.all_dirty = True


# -- the document model ---------------------------------------------------------------------------------------------

VOCAB = ["alpha", "beta", "gamma", "delta", "Ünïcode", "x", "longer-word-here", "data:1,2", "a.b.c", "end."]
LONG_WORD = "W" * 1200


def make_body(words: int, seed: int, long_word: bool) -> str:
    """Words of ``VOCAB`` separated by spaces, newlines and, now and then, a blank line (a paragraph break)."""
    parts: list[str] = []
    for i in range(words):
        parts.append(VOCAB[(i * 7 + seed) % len(VOCAB)])
        if long_word and i == words // 2:
            parts.append(" " + LONG_WORD)
        parts.append("\n\n" if (i + seed) % 37 == 36 else "\n" if (i + seed) % 11 == 10 else " ")
    return "".join(parts)


@st.composite
def contents(draw: st.DrawFn) -> dict[str, Any]:
    """Parameters of a markdown text (see :func:`render`)."""
    return {
        "heading": draw(st.none() | st.sampled_from(["Alpha", "Beta notes", "Ünï title"])),
        "fenced": draw(st.booleans()),
        "words": draw(st.sampled_from([0, 1, 5, 40, 230, 450])),
        "seed": draw(st.integers(0, 3)),
        "long_word": draw(st.booleans()),
    }


def render(spec: dict[str, Any]) -> str:
    text = ""
    if spec["fenced"]:
        text += "```\n# Fenced heading\n```\n\n"
    if spec["heading"] is not None:
        text += f"# {spec['heading']}\n\n"
    return text + make_body(spec["words"], spec["seed"], spec["long_word"])


def derived_title(spec: dict[str, Any], name: str) -> str:
    """The documented title of a synced file: its first heading outside code fences, else its file name's stem."""
    if spec["heading"] is not None:
        return str(spec["heading"])
    stem = Path(name).stem
    return " ".join(re.sub(r"[_\-]+", " ", stem).split())


WORD = re.compile(r"\S+")


def check_chunks(content: str, chunks: list[tuple[int, str, int, int]]) -> None:
    """The documented chunking contract, checked on stored chunks ``(index, text, start, end)``."""
    words = [(m.start(), m.end()) for m in WORD.finditer(content)]
    if not words:
        assert chunks == [], chunks
        return
    assert [c[0] for c in chunks] == list(range(len(chunks))), "chunk indexes are 0, 1, 2, ..."
    starts = {s for s, _ in words}
    ends = {e for _, e in words}
    assert chunks[0][2] == words[0][0], "the first chunk starts at the first word"
    assert chunks[-1][3] == words[-1][1], "the last chunk ends at the last word"
    for index, text, start, end in chunks:
        assert text == content[start:end], (index, start, end)
        assert start in starts and end in ends, ("whole words", index)
        inside = WORD.findall(text)
        assert 1 <= len(inside) <= 200, (index, len(inside))
        assert len(text) <= 1000 or len(inside) == 1, (index, len(text), "only a single long word may pass 1,000")
    for previous, chunk in itertools.pairwise(chunks):
        assert chunk[2] > previous[2] and chunk[3] > previous[3], ("no chunk lies inside the one before", chunk[0])
        gap = content[previous[3] : chunk[2]] if chunk[2] > previous[3] else ""
        assert not gap.strip(), ("no word is left out between chunks", chunk[0])
        shared = WORD.findall(content[chunk[2] : previous[3]]) if chunk[2] < previous[3] else []
        assert len(shared) <= 30, ("at most 30 words of overlap", chunk[0], len(shared))
        assert len(shared) <= len(WORD.findall(previous[1])) // 2, ("overlap at most half a chunk", chunk[0])


@dataclass
class DocModel:
    """One stored document, as the documentation says it is."""

    id: uuid.UUID
    title: str
    content: str
    document_type: str | None
    namespace: str | None
    metadata: dict[str, Any]
    status: str
    """``fresh`` (pending or synced, by the background indexer), ``synced`` (recorded), ``stale`` or ``failed``."""
    stamp: int
    chunked: str
    """The content the chunks were made from (``mark_stale`` changes the content, not the chunks)."""
    chunk_ids: list[uuid.UUID] | None = None
    """The chunk ids last seen; ``None``: new chunks, to be learned (and new ids)."""
    old_chunk_ids: set[uuid.UUID] = field(default_factory=set)
    chunk_texts: dict[uuid.UUID, str] = field(default_factory=dict)
    created_at: str | None = None


REL_FILES = ["a.md", "sub/b_c.md", "x-y.md", "sub/deep/d.md", "notes.txt"]
"""Files of the synced folder (``notes.txt`` does not match the glob)."""
LINKS = ["link.md", "sub/link.md"]
"""Symbolic links in the synced folder."""
LINK_TARGETS = ["a.md", "sub/b_c.md", "notes.txt", "missing.md", "OUTSIDE"]
"""What they point to: a file of the folder (``missing.md`` never exists) or a file outside it."""
DOC_PATHS = [
    "docs/a.md",
    "docs/b.md",
    "https://example.com/spec",
    "ROOT/a.md",
    "ROOT/sub/b_c.md",
    "ROOT/ghost.md",
    "ROOT/notes.txt",
    "ROOT/link.md",
    "ROOT/sub",
    "ROOT2/a.md",
]
"""Paths for ``index_document``: ``ROOT`` is the synced folder, ``ROOT2`` a sibling folder whose name starts alike."""
DOC_TYPES = [None, "markdown", "design", "notes.v2"]
DOC_NAMESPACES = [None, "project:docs", "project:docs:sub", "project:docsx", "user:o'hara"]
TITLES = ["Alpha", "Beta notes", "Ünï title"]


class DocumentMachine(RuleBasedStateMachine):
    """DocumentIndexService against the document and folder models (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.mkdtemp(prefix="agentlog-model-")
        self.root = os.path.realpath(os.path.join(self.tmp, "folder"))
        os.makedirs(self.root)
        self.run = Runner()
        self.store = self.open_store()
        self.docs = DocumentIndexService(self.store)
        self.model: dict[str, DocModel] = {}
        self.folder: dict[str, tuple[bytes, dict[str, Any] | None]] = {}
        """Relative path -> (bytes, the content parameters, None for bytes that are not UTF-8)."""
        self.links: dict[str, str] = {}
        """Relative path of a symbolic link -> its target (relative, or ``OUTSIDE``)."""
        self.outside = os.path.join(self.tmp, "outside.md")
        Path(self.outside).write_text("# Outside\n\nnot in the folder")
        self.dead_ids: list[uuid.UUID] = []
        self.stamp = 0
        self.dirty: set[str] = set()

    def open_store(self) -> Store:
        return Store.memory()

    def teardown(self) -> None:
        try:
            self.store.close()
        finally:
            self.run.close()
            shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, name: str) -> str:
        return name.replace("ROOT2", self.root + "2").replace("ROOT", self.root)

    def next_stamp(self) -> int:
        self.stamp += 1
        return self.stamp

    def tables(self) -> tuple[list[Any], list[Any]]:
        docs = sorted(self.store.sql("SELECT * FROM documents").fetchall(), key=repr)
        chunks = sorted(self.store.sql("SELECT * FROM document_chunks").fetchall(), key=repr)
        return docs, chunks

    def rechunked(self, doc: DocModel) -> None:
        """The document's chunks were replaced: the next check learns the new ids (none of the old ones)."""
        if doc.chunk_ids is not None:
            doc.old_chunk_ids |= set(doc.chunk_ids)
        doc.chunk_ids = None
        doc.chunked = doc.content

    # -- checks ----------------------------------------------------------------------------------

    def check_record(self, record: Any, path: str, *, with_content: bool) -> None:
        doc = self.model[path]
        context = (path, record)
        assert record["id"] == doc.id, context
        assert record["file_path"] == path, context
        assert record["title"] == doc.title, context
        assert record["document_type"] == doc.document_type, context
        assert record["namespace"] == doc.namespace, context
        assert same_json(record["metadata"], doc.metadata), context
        assert record["content_hash"] == hashlib.sha256(doc.content.encode("utf-8")).hexdigest(), context
        if doc.chunk_ids is not None:
            assert record["chunk_count"] == len(doc.chunk_ids), context
        expected_status = {"fresh": ("pending", "synced")}.get(doc.status, (doc.status,))
        assert record["sync_status"] in expected_status, (doc.status, context)
        if doc.created_at is None:
            doc.created_at = record["created_at"]
        assert record["created_at"] == doc.created_at, ("created_at is kept by re-indexing", context)
        if with_content:
            assert record["content"] == doc.content, context
        else:
            assert "content" not in record, context

    def check_order(self, got: list[Any], expected_paths: list[str], limit: int) -> None:
        """Newest first: the stamps of ``got`` do not increase, and it holds the ``limit`` newest (ties: any)."""
        paths = [r["file_path"] for r in got]
        assert len(paths) == len(set(paths)) == min(limit, len(expected_paths)), (paths, expected_paths)
        assert set(paths) <= set(expected_paths), paths
        stamps = [self.model[p].stamp for p in paths]
        assert stamps == sorted(stamps, reverse=True), ("newest first", paths)
        if paths:
            lowest = stamps[-1]
            newer = {p for p in expected_paths if self.model[p].stamp > lowest}
            assert newer <= set(paths), ("a newer document was left out", newer - set(paths))

    @invariant()
    def services_agree_with_the_model(self) -> None:
        listed = self.run(self.docs.list_all_documents(limit=1000))
        self.check_order(listed, list(self.model), 1000)
        for record in listed:
            self.check_record(record, record["file_path"], with_content=False)
        rows = self.store.sql(
            "SELECT document_id, id, chunk_index, text, start_char, end_char FROM document_chunks"
        ).fetchall()
        by_doc: dict[uuid.UUID, list[tuple[Any, ...]]] = {}
        for row in rows:
            by_doc.setdefault(row[0], []).append(row)
        ids = {doc.id: path for path, doc in self.model.items()}
        assert set(by_doc) <= set(ids), "chunks of a document that is gone"
        for record in listed:
            doc = self.model[record["file_path"]]
            chunks = sorted(by_doc.get(doc.id, []), key=lambda r: r[2])
            assert record["chunk_count"] == len(chunks), record
            chunk_ids = [r[1] for r in chunks]
            if doc.chunk_ids is None:
                assert not set(chunk_ids) & doc.old_chunk_ids, ("old chunks were kept", record["file_path"])
                check_chunks(doc.chunked, [(r[2], r[3], r[4], r[5]) for r in chunks])
                doc.chunk_ids = chunk_ids
                doc.chunk_texts = {r[1]: r[3] for r in chunks}
            else:
                assert chunk_ids == doc.chunk_ids, ("chunks replaced without a change", record["file_path"])
        for path in sorted(self.dirty):
            got = self.run(self.docs.get_document(path))
            if path in self.model:
                assert got is not None, path
                self.check_record(got, path, with_content=True)
                by_id = self.run(self.docs.get_document_by_id(self.model[path].id))
                assert by_id == got, path
            else:
                assert got is None, (path, got)
        self.dirty.clear()

    # -- indexing by hand ----------------------------------------------------------------------------

    @rule(
        name=st.sampled_from(DOC_PATHS),
        title=st.sampled_from(TITLES),
        spec=contents(),
        document_type=st.sampled_from(DOC_TYPES),
        metadata=st.none() | json_objects,
        namespace=st.sampled_from(DOC_NAMESPACES),
    )
    def index_document(
        self,
        name: str,
        title: str,
        spec: dict[str, Any],
        document_type: str | None,
        metadata: dict[str, Any] | None,
        namespace: str | None,
    ) -> None:
        path = self.path(name)
        content = render(spec)
        self.dirty.add(path)
        doc_id = self.run(self.docs.index_document(path, title, content, document_type, metadata, namespace=namespace))
        doc = self.model.get(path)
        if doc is None:
            assert doc_id not in {d.id for d in self.model.values()}, "a new document got an id in use"
            self.model[path] = DocModel(
                doc_id, title, content, document_type, namespace, metadata or {}, "fresh", self.next_stamp(), content
            )
            return
        assert doc_id == doc.id, "indexing a path again keeps its id"
        same = (doc.content, doc.title, doc.document_type, doc.namespace) == (
            content,
            title,
            document_type,
            namespace,
        )
        if same and doc.status not in ("stale", "failed"):
            if metadata is not None and not same_json(metadata, doc.metadata):
                doc.metadata = metadata
                doc.stamp = self.next_stamp()
            return
        doc.title, doc.content, doc.document_type, doc.namespace = title, content, document_type, namespace
        if metadata is not None:
            doc.metadata = metadata
        doc.status = "fresh"
        doc.stamp = self.next_stamp()
        self.rechunked(doc)

    @rule(name=st.sampled_from(DOC_PATHS), spec=contents())
    def mark_stale(self, name: str, spec: dict[str, Any]) -> None:
        path = self.path(name)
        content = render(spec)
        self.dirty.add(path)
        doc = self.model.get(path)
        if doc is None:
            before = self.tables()
            raises(self.run, NotFoundError, self.docs.mark_stale(path, content))
            assert self.tables() == before
            return
        self.run(self.docs.mark_stale(path, content))
        doc.content, doc.status, doc.stamp = content, "stale", self.next_stamp()

    @rule(name=st.sampled_from(DOC_PATHS), message=st.sampled_from(["timeout", "Ünï error\nline 2"]))
    def mark_failed(self, name: str, message: str) -> None:
        path = self.path(name)
        doc = self.model.get(path)
        if doc is None:
            raises(self.run, NotFoundError, self.docs.mark_failed(uuid.uuid4(), message))
            return
        self.dirty.add(path)
        self.run(self.docs.mark_failed(str(doc.id), message))
        doc.metadata = {**doc.metadata, "last_error": message}
        doc.status, doc.stamp = "failed", self.next_stamp()

    @rule(name=st.sampled_from(DOC_PATHS))
    def mark_synced(self, name: str) -> None:
        doc = self.model.get(self.path(name))
        if doc is None:
            raises(self.run, NotFoundError, self.docs.mark_synced(uuid.uuid4()))
            return
        self.run(self.docs.mark_synced(doc.id))
        if doc.status in ("stale", "failed"):  # re-chunked from the stored content first
            self.rechunked(doc)
            doc.stamp = self.next_stamp()
        doc.status = "synced"

    @rule()
    def wait_for_sync(self) -> None:
        fresh = [doc for doc in self.model.values() if doc.status == "fresh"]
        assert self.run(self.docs.wait_for_sync()) == len(fresh)
        for doc in fresh:
            doc.status = "synced"

    @rule(limit=st.sampled_from([1, 100]))
    def pending_documents(self, limit: int) -> None:
        """The re-embed queue: every stale document, maybe fresh ones (not yet indexed), oldest first."""
        got = self.run(self.docs.get_pending_documents(limit))
        paths = [r["file_path"] for r in got]
        stale = {p for p, d in self.model.items() if d.status == "stale"}
        allowed = stale | {p for p, d in self.model.items() if d.status == "fresh"}
        assert set(paths) <= allowed, (paths, allowed)
        if limit >= len(self.model):
            assert stale <= set(paths), (paths, stale)
        stamps = [self.model[p].stamp for p in paths]
        assert stamps == sorted(stamps), ("oldest first", paths)
        for record in got:
            self.check_record(record, record["file_path"], with_content=False)

    @rule(name=st.sampled_from(DOC_PATHS))
    def delete_document(self, name: str) -> None:
        path = self.path(name)
        self.dirty.add(path)
        existed = path in self.model
        assert self.run(self.docs.delete_document(path)) is existed
        if existed:
            self.dead_ids.append(self.model.pop(path).id)

    @precondition(lambda self: bool(self.dead_ids))
    @rule(data=st.data())
    def deleted_id_is_gone(self, data: st.DataObject) -> None:
        dead = data.draw(st.sampled_from(self.dead_ids))
        assert self.run(self.docs.get_document_by_id(dead)) is None

    @rule(
        data=st.data(),
        what=st.sampled_from(["path", "title", "content", "document_type", "metadata", "namespace"]),
        name=st.sampled_from(DOC_PATHS),
    )
    def rejected_index(self, data: st.DataObject, what: str, name: str) -> None:
        args: dict[str, Any] = {"file_path": self.path(name), "title": "T", "content": "some text"}
        bad = {
            "path": ["", "   ", "a\nb.md", "a\x00b", "x" * 4097, 5, None],
            "title": ["", "  ", "a\tb", "x" * 1001, None],
            "content": [None, 5, b"bytes", "\ud800"],
            "document_type": ["1abc", "", "a b", 5],
            "metadata": BAD_METADATA,
            "namespace": [ns for ns in BAD_NAMESPACES if ns is not None],
        }[what]
        key = {"path": "file_path"}.get(what, what)
        args[key] = data.draw(st.sampled_from(bad))
        before = self.tables()
        raises(self.run, ValidationError, self.docs.index_document(**args))
        assert self.tables() == before, (what, args)

    # -- reads -------------------------------------------------------------------------------------

    @rule(document_type=st.sampled_from([t for t in DOC_TYPES if t]), limit=st.sampled_from([1, 2, 50]))
    def search_by_type(self, document_type: str, limit: int) -> None:
        got = self.run(self.docs.search_by_type(document_type, limit))
        expected = [p for p, d in self.model.items() if d.document_type == document_type]
        self.check_order(got, expected, limit)
        for record in got:
            self.check_record(record, record["file_path"], with_content=False)

    @rule(limit=st.sampled_from([1, 2, 3]))
    def list_all_with_limit(self, limit: int) -> None:
        got = self.run(self.docs.list_all_documents(limit))
        self.check_order(got, list(self.model), limit)

    @rule(
        query=st.sampled_from(["alpha", "gamma delta", "Ünïcode", "nothing like it"]),
        namespace=st.none() | st.sampled_from(["project", "project:docs", "user:o'hara"]),
        document_type=st.sampled_from(DOC_TYPES),
        mode=st.sampled_from(["vector", "keyword", "hybrid"]),
    )
    def semantic_search(self, query: str, namespace: str | None, document_type: str | None, mode: str) -> None:
        hits = self.run(self.docs.semantic_search(query, namespace, limit=50, document_type=document_type, mode=mode))
        seen = set()
        for hit in hits:
            path = hit["file_path"]
            assert path in self.model, ("search found a deleted document", hit)
            doc = self.model[path]
            assert doc.chunk_ids is not None
            assert hit["chunk_id"] in doc.chunk_ids, ("search found a replaced chunk", hit)
            assert hit["chunk_id"] not in seen, ("a chunk found twice", hit)
            seen.add(hit["chunk_id"])
            assert hit["chunk_text"] == doc.chunk_texts[hit["chunk_id"]], hit
            assert hit["chunk_index"] == doc.chunk_ids.index(hit["chunk_id"]), hit
            assert under(doc.namespace, namespace), (namespace, hit)
            assert document_type is None or doc.document_type == document_type, (document_type, hit)
            self.check_record(hit, path, with_content=False)

    # -- the synced folder -----------------------------------------------------------------------------

    def place(self, rel: str) -> Path:
        """The path of ``rel`` in the folder, with its directory made and nothing at it."""
        self.remove_file(rel)
        target = Path(self.root) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    @rule(rel=st.sampled_from(REL_FILES), spec=contents(), bom=st.booleans())
    def write_file(self, rel: str, spec: dict[str, Any], bom: bool) -> None:
        data = ("\ufeff" if bom else "").encode() + render(spec).encode("utf-8")
        self.place(rel).write_bytes(data)
        self.folder[rel] = (data, spec)

    @rule(rel=st.sampled_from(REL_FILES))
    def write_file_that_is_not_utf8(self, rel: str) -> None:
        data = b"# Title\n\nbad \xff\xfe bytes"
        self.place(rel).write_bytes(data)
        self.folder[rel] = (data, None)

    @rule(rel=st.sampled_from(LINKS), pointing_to=st.sampled_from(LINK_TARGETS), index_first=st.booleans())
    def link_file(self, rel: str, pointing_to: str, index_first: bool) -> None:
        if index_first:  # a document stored at the link's path: the next sync must drop it (a link is no file)
            spec = {"heading": None, "fenced": False, "words": 3, "seed": 0, "long_word": False}
            self.index_document(f"ROOT/{rel}", "Link", spec, "markdown", None, None)
        self.place(rel).symlink_to(self.outside if pointing_to == "OUTSIDE" else os.path.join(self.root, pointing_to))
        self.links[rel] = pointing_to

    @rule(rel=st.sampled_from(REL_FILES + LINKS))
    def remove_file(self, rel: str) -> None:
        if rel in self.folder or rel in self.links:
            (Path(self.root) / rel).unlink()
            self.folder.pop(rel, None)
            self.links.pop(rel, None)

    @rule(
        namespace=st.sampled_from(DOC_NAMESPACES),
        document_type=st.sampled_from(["markdown", None, "design"]),
        wait=st.booleans(),
    )
    def sync_directory(self, namespace: str | None, document_type: str | None, wait: bool) -> None:
        report = self.run(
            self.docs.sync_directory(
                self.root, namespace=namespace, document_type=document_type, progress=False, wait=wait
            )
        )
        assert report.root == self.root
        expected: dict[str, list[str]] = {"added": [], "changed": [], "unchanged": [], "removed": []}
        skipped: list[str] = []
        present: set[str] = set()
        stamp = self.next_stamp()  # one batch: the added and changed files share one updated_at
        real_files: dict[str, str] = {}  # the files the glob reaches, by resolved path (a link is followed)
        for rel in sorted({*self.folder, *self.links}):
            if not rel.endswith(".md"):
                continue
            real = self.links.get(rel, rel)
            if real not in self.folder:  # a link out of the folder, or to nothing
                skipped.append(os.path.join(self.root, rel))
                continue
            real_files.setdefault(os.path.join(self.root, real), real)
        for path, rel in sorted(real_files.items()):
            data, spec = self.folder[rel]
            self.dirty.add(path)
            if spec is None:
                skipped.append(path)
                continue
            present.add(path)
            content = data.decode("utf-8").removeprefix("\ufeff")
            title = derived_title(spec, rel)
            doc = self.model.get(path)
            if doc is None:
                expected["added"].append(path)
                self.model[path] = DocModel(
                    uuid.uuid4(), title, content, document_type, namespace, {}, "fresh", stamp, content
                )
                continue
            if (doc.content, doc.title, doc.document_type, doc.namespace) == (
                content,
                title,
                document_type,
                namespace,
            ) and doc.status not in ("stale", "failed"):
                expected["unchanged"].append(path)
                continue
            expected["changed"].append(path)
            doc.title, doc.content, doc.document_type, doc.namespace = title, content, document_type, namespace
            doc.status, doc.stamp = "fresh", stamp
            self.rechunked(doc)
        for path in sorted(self.model):
            # A stored document stays while its file exists as a regular file reached through no link (matched by
            # the glob or not), unless it was skipped.
            gone = not os.path.isfile(path) or os.path.islink(path) or path in skipped
            if path.startswith(self.root + os.sep) and path not in present and gone:
                expected["removed"].append(path)
                self.dirty.add(path)
                self.dead_ids.append(self.model.pop(path).id)
        got = {name: sorted(getattr(report, name)) for name in expected}
        assert got == {name: sorted(paths) for name, paths in expected.items()}, report
        assert sorted(p for p, _ in report.skipped) == sorted(skipped), report.skipped
        for path in expected["added"]:  # the model learns the new ids
            record = self.run(self.docs.get_document(path))
            assert record is not None, path
            self.model[path].id = record["id"]
        if wait:
            for doc in self.model.values():
                if doc.status == "fresh":
                    doc.status = "synced"
        under_root = {p for p in self.model if p.startswith(self.root + os.sep)}
        assert present <= under_root, "every valid file of the folder is stored"
        for path in under_root - present:
            assert os.path.isfile(path) and not os.path.islink(path), ("a document whose file is gone", path)

    @rule(glob=st.sampled_from(["../*.md", "/abs/*.md", "", "a/../../*.md", "**.md"]))
    def rejected_sync(self, glob: str) -> None:
        before = self.tables()
        raises(self.run, ValidationError, self.docs.sync_directory(self.root, glob, progress=False))
        raises(self.run, ValidationError, self.docs.sync_directory(os.path.join(self.root, "missing"), progress=False))
        assert self.tables() == before, glob


class FileDocumentMachine(DocumentMachine):
    """The document machine on a store in a directory, closed and reopened now and then."""

    def open_store(self) -> Store:
        return Store(Path(self.tmp) / "store")

    @rule()
    def reopen(self) -> None:
        self.store.close()
        self.store = self.open_store()
        self.docs = DocumentIndexService(self.store)
        self.dirty |= set(self.model)


_SETTINGS = {
    "deadline": None,
    "stateful_step_count": 30,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
}

TestMemoryModel = MemoryMachine.TestCase
TestMemoryModel.settings = settings(max_examples=25, **_SETTINGS)  # type: ignore[arg-type]
TestMemoryModelOnFile = FileMemoryMachine.TestCase
TestMemoryModelOnFile.settings = settings(max_examples=8, **_SETTINGS)  # type: ignore[arg-type]
TestDocumentModel = DocumentMachine.TestCase
TestDocumentModel.settings = settings(max_examples=20, **_SETTINGS)  # type: ignore[arg-type]
TestDocumentModelOnFile = FileDocumentMachine.TestCase
TestDocumentModelOnFile.settings = settings(max_examples=8, **_SETTINGS)  # type: ignore[arg-type]
