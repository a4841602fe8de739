"""Write ops for memories (run on the store's writer thread).

Every change to a memory appends a version row; nothing is updated in place.
An op reads the memory's *head* (its latest version), checks it (is the memory
live? does it exist?), then appends version ``head + 1``. Because ops run one
after another on the single writer thread, inside the writer's transaction,
twenty concurrent ``update_memory`` calls on one key become versions 2..21
with no gap, no duplicate and no lost value; ``UNIQUE (namespace, key,
version)`` in the schema backs this up.

The writer keeps a :class:`MemoryHeads` cache of heads (dropped on every
rollback). On a miss it loads, in one query, the heads of every memory touched
by a memory op of the current group, so a burst of concurrent calls costs one
lookup. The vector index holds one vector per memory, keyed by its stable
``memory_id``: a new version replaces it, a delete marker removes it, and
removing rows (sweeps) writes a ``memory`` tombstone.
"""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from agentlog.errors import AlreadyExistsError, NotFoundError
from agentlog.records import format_timestamp
from agentlog.services import memory_sql as sql
from agentlog.services.memory_sql import MemoryRecord
from agentlog.services.tombstones import MEMORY_TOMBSTONE
from agentlog.store.writer import Transaction

__all__ = [
    "ClearMemories",
    "DeleteMemory",
    "Head",
    "MemoryHeads",
    "RestoreMemory",
    "SweepMemories",
    "WriteMemory",
    "forget_memory_heads",
]

_CACHE_SIZE = 50_000


@dataclass(slots=True)
class Head:
    """What the writer needs to know of a memory's latest version."""

    version: int
    change: str
    memory_type: str
    metadata_json: str
    expires_at: datetime | None
    created_at: datetime

    def live(self, now: datetime) -> bool:
        """Whether the memory is visible at ``now`` (not deleted, not expired)."""
        return self.change != "deleted" and not self.expired(now)

    def expired(self, now: datetime) -> bool:
        """Whether the memory has expired at ``now`` (it is then gone, history and all)."""
        return self.expires_at is not None and self.expires_at <= now


class MemoryHeads:
    """The writer's cache of memory heads (``None``: no row stored)."""

    def __init__(self) -> None:
        self._heads: OrderedDict[uuid.UUID, Head | None] = OrderedDict()

    def get(self, tx: Transaction, memory_id: uuid.UUID) -> Head | None:
        """Return the head of a memory, loading it (and those of the whole group) on a miss."""
        if memory_id in self._heads:
            self._heads.move_to_end(memory_id)
            return self._heads[memory_id]
        wanted = [memory_id]
        if _GroupLoaded not in tx.local:
            tx.local[_GroupLoaded] = True
            wanted += [op.memory_id for op in tx.ops if isinstance(op, _KEY_OPS) and op.memory_id not in self._heads]
        ids = list(dict.fromkeys(wanted))
        found = {row[0]: row for row in tx.query(sql.HEADS_OF, [ids])}  # flushes this group's rows first
        for ident in ids:
            row = found.get(ident)
            self.put(ident, None if row is None else Head(int(row[1]), row[2], row[3], row[4], row[5], row[6]))
        return self._heads[memory_id]

    def put(self, memory_id: uuid.UUID, head: Head | None) -> None:
        """Remember a head (evicting the least recently used)."""
        self._heads[memory_id] = head
        self._heads.move_to_end(memory_id)
        if len(self._heads) > _CACHE_SIZE:
            self._heads.popitem(last=False)

    def forget(self, memory_id: uuid.UUID) -> None:
        """Drop a memory whose rows were removed."""
        self._heads.pop(memory_id, None)

    def clear(self) -> None:
        """Drop every head."""
        self._heads.clear()


class _GroupLoaded:
    """Marker in ``tx.local``: the heads of this group's memory ops were loaded."""


def forget_memory_heads(tx: Transaction) -> None:
    """Drop the writer's memory cache: call from any op that writes ``memories`` rows by other means (imports).

    Example:
        >>> from agentlog.store import Store
        >>> class Import:
        ...     def apply(self, tx):
        ...         forget_memory_heads(tx)
        >>> with Store.memory(embedder=None) as store:
        ...     store.write(Import())
    """
    tx.cached(MemoryHeads, MemoryHeads).clear()


def _append(
    tx: Transaction,
    op: WriteMemory | DeleteMemory | RestoreMemory,
    *,
    version: int,
    change: str,
    value_json: str,
    memory_type: str,
    metadata_json: str,
    expires_at: datetime | None,
    created_at: datetime | None,
) -> MemoryRecord:
    """Buffer one version row of ``op``'s memory; returns it as ``get_memory`` would (the value a fresh copy)."""
    row_id = uuid.uuid4()
    now = tx.now()
    created = created_at or now
    tx.append(
        "memories",
        {
            "id": row_id.bytes,
            "memory_id": op.memory_id.bytes,
            "namespace": op.namespace,
            "key": op.key,
            "version": version,
            "change": change,
            "value": value_json,
            "memory_type": memory_type,
            "metadata": metadata_json,
            "expires_at": expires_at,
            "created_at": created,
            "updated_at": now,
            "index_lsn": tx.next_lsn(),
        },
    )
    tx.cached(MemoryHeads, MemoryHeads).put(
        op.memory_id, Head(version, change, memory_type, metadata_json, expires_at, created)
    )
    return {
        "id": row_id,
        "memory_id": op.memory_id,
        "namespace": op.namespace,
        "key": op.key,
        "value": json.loads(value_json),  # tuples stored as lists, as get_memory returns them
        "memory_type": memory_type,
        "version": version,
        "change": change,
        "metadata": json.loads(metadata_json),
        "expires_at": format_timestamp(expires_at),
        "created_at": format_timestamp(created),  # type: ignore[typeddict-item]
        "updated_at": format_timestamp(now),  # type: ignore[typeddict-item]
    }


@dataclass(slots=True)
class WriteMemory:
    """Create (``create``), update (``update``) or create-or-update (``put``) a memory.

    ``memory_type`` / ``metadata`` of ``None`` keep the current ones on an
    update; ``expiry_given`` false keeps the current expiry on an update and
    uses ``default_expires_at`` for a new memory.
    """

    mode: Literal["create", "update", "put"]
    memory_id: uuid.UUID
    namespace: str
    key: str
    value_json: str
    memory_type: str | None
    metadata: dict[str, Any] | None
    metadata_json: str | None
    expiry_given: bool
    expires_at: datetime | None
    default_expires_at: datetime | None
    now: datetime

    def apply(self, tx: Transaction) -> MemoryRecord:
        """Check the head, append the next version and return its record."""
        head = tx.cached(MemoryHeads, MemoryHeads).get(tx, self.memory_id)
        if head is not None and head.expired(self.now) and self.mode != "update":
            # An expired memory is gone (a sweep would delete its rows): a new one must not inherit its history.
            _remove(tx, [self.memory_id])
            head = None
        live = head is not None and head.live(self.now)
        if live and self.mode == "create":
            raise AlreadyExistsError(
                "memory", f"{self.namespace} / {self.key}", "use update_memory, or put_memory to create or update"
            )
        if not live and self.mode == "update":
            raise NotFoundError("memory", f"{self.namespace} / {self.key}")
        if live:
            assert head is not None
            memory_type = self.memory_type or head.memory_type
            metadata_json = self.metadata_json if self.metadata_json is not None else head.metadata_json
            expires_at = self.expires_at if self.expiry_given else head.expires_at
            created_at: datetime | None = head.created_at
            change = "updated"
        else:
            assert self.memory_type is not None  # the service requires it for create/put
            memory_type = self.memory_type
            metadata_json = self.metadata_json if self.metadata_json is not None else "{}"
            expires_at = self.expires_at if self.expiry_given else self.default_expires_at
            created_at = None
            change = "created"
        version = (head.version if head is not None else 0) + 1
        return _append(
            tx,
            self,
            version=version,
            change=change,
            value_json=self.value_json,
            memory_type=memory_type,
            metadata_json=metadata_json,
            expires_at=expires_at,
            created_at=created_at,
        )


@dataclass(slots=True)
class DeleteMemory:
    """Soft-delete a live memory: append a delete marker (a copy of the head with ``change='deleted'``)."""

    memory_id: uuid.UUID
    namespace: str
    key: str
    now: datetime

    def apply(self, tx: Transaction) -> MemoryRecord:
        """Check the memory is live, append the marker and return it."""
        head = tx.cached(MemoryHeads, MemoryHeads).get(tx, self.memory_id)
        if head is None or not head.live(self.now):
            raise NotFoundError("memory", f"{self.namespace} / {self.key}")
        return _append_copy(tx, self, head, "deleted")


@dataclass(slots=True)
class RestoreMemory:
    """Undo a soft delete: append a copy of the delete marker with ``change='restored'``."""

    memory_id: uuid.UUID
    namespace: str
    key: str
    now: datetime

    def apply(self, tx: Transaction) -> MemoryRecord:
        """Check the head is a (not expired) delete marker, append the restored version and return it."""
        head = tx.cached(MemoryHeads, MemoryHeads).get(tx, self.memory_id)
        if head is None or head.expired(self.now):
            raise NotFoundError("memory", f"{self.namespace} / {self.key}")
        if head.change != "deleted":
            raise AlreadyExistsError(
                "memory", f"{self.namespace} / {self.key}", "it is not deleted; nothing to restore"
            )
        return _append_copy(tx, self, head, "restored")


def _append_copy(
    tx: Transaction, op: DeleteMemory | RestoreMemory, head: Head, change: Literal["deleted", "restored"]
) -> MemoryRecord:
    """Append a copy of ``head`` (value, type, metadata, expiry) as the next version with ``change``; return it."""
    value_json = tx.query(sql.VALUE_OF_VERSION, [op.memory_id, head.version])[0][0]
    return _append(
        tx,
        op,
        version=head.version + 1,
        change=change,
        value_json=value_json,
        memory_type=head.memory_type,
        metadata_json=head.metadata_json,
        expires_at=head.expires_at,
        created_at=head.created_at,
    )


def _remove(tx: Transaction, ids: list[uuid.UUID]) -> None:
    """Delete every row of the memories ``ids`` and tell the index (one tombstone each)."""
    if not ids:
        return
    tx.execute(sql.DELETE_MEMORIES, [ids])
    heads = tx.cached(MemoryHeads, MemoryHeads)
    first = tx.allocate_lsns(len(ids))
    for offset, memory_id in enumerate(ids):
        tx.append(
            "index_tombstones", {"kind": MEMORY_TOMBSTONE, "item_id": memory_id.bytes, "index_lsn": first + offset}
        )
        heads.forget(memory_id)


@dataclass(slots=True)
class SweepMemories:
    """Remove expired memories (all their rows), and optionally those of ended sessions.

    The result is the number of memories removed.
    """

    now: datetime
    ended_sessions: bool

    def apply(self, tx: Transaction) -> int:
        """Find the memories to remove, delete their rows and expired versions of others."""
        ids = [row[0] for row in tx.query(sql.sweep_sql(ended_sessions=self.ended_sessions), [self.now])]
        _remove(tx, ids)
        # Versions that expired under a head that did not (the memory was written
        # again later) are invisible already; their vector is the head's, so no tombstone.
        tx.execute(sql.DELETE_EXPIRED_VERSIONS, [self.now])
        return len(ids)


@dataclass(slots=True)
class ClearMemories:
    """Remove every memory (all rows) in a namespace and below it; the result is how many."""

    prefix: str

    def apply(self, tx: Transaction) -> int:
        """Delete the rows and write tombstones."""
        ids = [row[0] for row in tx.query(sql.clear_prefix_sql(), [self.prefix])]
        _remove(tx, ids)
        return len(ids)


_KEY_OPS = (WriteMemory, DeleteMemory, RestoreMemory)
