"""The write op that restores dataset tables: one transaction, idempotent.

:class:`RestoreRows` takes every table of a checked dataset and, on the
writer thread, in one transaction:

1. checks against the stored data first, before changing anything: every row
   with a parent (an event's session) has it in the dataset or the store; no
   new row takes a sequence number (``seq``), or a value of a unique column
   (a document's ``file_path``), that a different stored row has; a row
   that will replace a stored one keeps the stored row's unique values; and
   a row of a table whose rows never change (events, memory versions,
   chunks) whose key is stored is that stored row: same parent, sequence
   number and unique values (else skipping it would leave a gap in its own
   parent's rows);
2. writes each table, children before their parents (so that what becomes
   of a child can depend on what its parent was before the restore):

   * rows whose key is not stored yet are inserted (``INSERT ... WHERE NOT
     EXISTS``, all inside DuckDB, so a re-import of a million rows costs one
     anti-join, not a million Python objects), each with a fresh
     ``index_lsn`` so the vector index embeds it;
   * in a table with an ``updated`` column (sessions, documents), a row
     that is newer than the stored row with its key replaces it, with a
     fresh ``index_lsn`` (a session is embedded again, as after
     ``update_session_summary``);
   * rows that are part of their parent (a document's chunks) follow it, as
     re-indexing a document does: the stored chunks of a replaced document
     are deleted, and a ``document`` tombstone (with a change number before
     the new chunks') removes their vectors; the dataset's chunks are
     inserted for the documents the restore inserts or replaces, and
     skipped for a document it leaves alone;
   * any other row whose key is stored is skipped, whatever its content: the
     store's wins (events and memory versions never change once written;
     a stored session still takes the dataset's new events);
3. tells the writer's caches: stored sessions that got events or were
   replaced are forgotten (their next ``seq`` or lifecycle changed), and the
   memory heads are dropped when memories were inserted.

It is the generic counterpart of
:class:`~agentlog.services.import_ops.ImportRows` for every table of
:data:`~agentlog.io.registry.EXPORT_TABLES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from agentlog.errors import ImportFormatError, StoreError, ValidationError
from agentlog.index.sources import TOMBSTONE_RULES
from agentlog.io.dataset_check import with_row_numbers
from agentlog.io.dataset_sql import (
    changed_identity_sql,
    changed_unique_sql,
    count_stored_sql,
    delete_children_sql,
    insert_new_sql,
    missing_parent_sql,
    newer_rows_sql,
    replace_newer_sql,
    sequence_conflict_sql,
    stored_parents_sql,
    unique_conflict_sql,
)
from agentlog.io.layout import TableLayout
from agentlog.io.registry import ExportTable, table_spec
from agentlog.services.memory_ops import forget_memory_heads
from agentlog.services.session_ops import SessionCache
from agentlog.store.writer import Transaction

__all__ = ["RestoreRows", "TableCounts"]


@dataclass(frozen=True, slots=True)
class TableCounts:
    """Rows of one table a restore inserted, skipped (key already stored) and replaced (newer than the stored row).

    Example:
        >>> TableCounts(inserted=3, skipped=1).inserted
        3
    """

    inserted: int
    skipped: int
    replaced: int = 0


@dataclass(frozen=True, slots=True)
class _Written:
    """What writing one table did: its counts, and the keys of the rows it replaced."""

    counts: TableCounts
    replaced: list[Any]


@dataclass(slots=True)
class RestoreRows:
    """Insert checked dataset tables, replacing stored rows the dataset has newer (see the module docstring).

    Attributes:
        tables: ``(layout, rows)`` in registry order; rows in the file schema.
        source: The dataset folder, for error messages.

    Example:
        >>> from agentlog.store import Store
        >>> with Store.memory(embedder=None) as store:
        ...     store.write(RestoreRows((), Path("x")))
        {}
    """

    tables: tuple[tuple[TableLayout, pa.Table], ...]
    source: Path

    def apply(self, tx: Transaction) -> dict[str, TableCounts]:
        """Check against the store, then write; returns counts by table, in registry order.

        Example:
            >>> from agentlog.store import Store
            >>> with Store.memory(embedder=None) as store:
            ...     store.write(RestoreRows((), Path("x")))
            {}
        """
        names = {layout.name: f"agentlog_restore_{i}" for i, (layout, _) in enumerate(self.tables)}
        for layout, rows in self.tables:
            tx.register(names[layout.name], with_row_numbers(rows))
        try:
            for layout, rows in self.tables:
                if rows.num_rows:
                    self._check(tx, layout, names)
            stale = self._stored_parent_sessions(tx, names)  # asked before inserting
            written = {layout.name: self._write(tx, layout, rows, names) for layout, rows in reversed(self.tables)}
        finally:
            for name in names.values():
                tx.unregister(name)
        counts = {layout.name: written[layout.name].counts for layout, _ in self.tables}
        replaced = written["sessions"].replaced if "sessions" in written else []
        _tell_caches(tx, counts, stale, replaced)
        return counts

    def _stored_parent_sessions(self, tx: Transaction, names: dict[str, str]) -> dict[str, list[tuple[Any, ...]]]:
        """By table, the stored sessions that dataset rows (events) belong to: they get a new next ``seq``."""
        return {
            layout.name: tx.query(stored_parents_sql(layout.spec, names[layout.name]))
            for layout, rows in self.tables
            if rows.num_rows and layout.spec.parent is not None and layout.spec.parent[1] == "sessions"
        }

    def _check(self, tx: Transaction, layout: TableLayout, names: dict[str, str]) -> None:
        spec = layout.spec
        for columns in spec.unique:
            taken = tx.query(unique_conflict_sql(spec, names[spec.name], columns))
            if taken:
                values = ", ".join(f"{c}={v!r}" for c, v in zip(columns, taken[0], strict=True))
                raise ValidationError(
                    f"cannot import {self.source}: a {spec.name} row with {values} is already stored under "
                    "another id (the store and the dataset have diverged)",
                    field=f"{spec.name}.{columns[0]}",
                )
            if spec.updated is not None:
                self._check_kept_unique(tx, spec, names[spec.name], columns)
        if spec.updated is None:
            self._check_same_identity(tx, spec, names[spec.name])
        if spec.parent is None:
            return
        column, parent = spec.parent
        missing = tx.query(missing_parent_sql(spec, names[spec.name], names.get(parent)))
        if missing:
            raise ImportFormatError(
                f"{spec.name}.{column} refers to {parent} {missing[0][0]}, which is neither in the dataset "
                "nor in the store",
                path=self.source / spec.name,
            )
        if spec.sequence is None:
            return
        conflict = tx.query(sequence_conflict_sql(spec, names[spec.name]))
        if conflict:
            owner, number = conflict[0]
            raise ValidationError(
                f"cannot import {self.source}: {parent} {owner} already has a different {spec.name[:-1]} with "
                f"{spec.sequence} {number} in this store (the store and the dataset have diverged)",
                field=f"{spec.name}.{spec.sequence}",
            )

    def _check_kept_unique(self, tx: Transaction, spec: ExportTable, registered: str, columns: tuple[str, ...]) -> None:
        """A row that will replace a stored one must keep its unique values (they are never rewritten)."""
        changed = tx.query(changed_unique_sql(spec, registered, columns))
        if changed:
            key, *stored = changed[0]
            values = ", ".join(f"{c}={v!r}" for c, v in zip(columns, stored, strict=True))
            raise ValidationError(
                f"cannot import {self.source}: {spec.name} {key} is newer in the dataset but has another "
                f"{'/'.join(columns)} than the stored row ({values}) (the store and the dataset have diverged)",
                field=f"{spec.name}.{columns[0]}",
            )

    def _check_same_identity(self, tx: Transaction, spec: ExportTable, registered: str) -> None:
        """A row whose key is stored (and so is skipped) must be that row: same parent, number and unique values.

        Rows of these tables never change once stored, so a dataset row with a stored key but another
        parent (an event id of another session, say) is not that row: skipping it would leave a gap in
        its own parent's rows (a ``seq`` that no longer runs 1..n, which no export of the store could
        restore again).
        """
        columns = [c for c in (spec.parent[0] if spec.parent else None, spec.sequence) if c is not None]
        columns = list(dict.fromkeys([*columns, *(c for unique in spec.unique for c in unique)]))
        if not columns:
            return
        changed = tx.query(changed_identity_sql(spec, registered, columns))
        if changed:
            key, *values = changed[0]
            stored, given = (
                ", ".join(f"{c}={v!r}" for c, v in zip(columns, part, strict=True))
                for part in (values[: len(columns)], values[len(columns) :])
            )
            raise ValidationError(
                f"cannot import {self.source}: {spec.name} {key} is already stored with {stored}, but the "
                f"dataset has it with {given} (the store and the dataset have diverged)",
                field=f"{spec.name}.{spec.key[0]}",
            )

    def _write(self, tx: Transaction, layout: TableLayout, rows: pa.Table, names: dict[str, str]) -> _Written:
        """Insert, replace and skip the rows of one table (see the module docstring)."""
        spec = layout.spec
        # a replaced parent loses its stored rows even when the dataset has none for it
        parents = _replace_children(tx, spec, names) if spec.replaced_with_parent else None
        total = rows.num_rows
        if not total:
            return _Written(TableCounts(0, 0), [])
        registered = names[spec.name]
        stored = int(tx.query(count_stored_sql(spec, registered))[0][0])
        inserted = _insert(tx, layout, registered, total, stored, parents) if stored < total else 0
        replaced = _replace(tx, layout, registered, total) if stored and spec.updated is not None else []
        return _Written(TableCounts(inserted, total - inserted - len(replaced), len(replaced)), replaced)


def _insert(
    tx: Transaction, layout: TableLayout, registered: str, total: int, stored: int, parents: list[Any] | None
) -> int:
    """Insert the rows whose key is not stored (and, with ``parents``, whose parent is new or in that list)."""
    params: list[Any] = []
    if layout.has_lsn:
        params.append(tx.allocate_lsns(total) - 1)  # row n (1-based) gets first + n - 1
    if parents is not None:
        params.append(parents)
    sql = insert_new_sql(layout.spec, registered, layout.schema.names, with_lsn=layout.has_lsn, all_new=stored == 0)
    return int(tx.execute(sql, params)[0][0])


def _replace(tx: Transaction, layout: TableLayout, registered: str, total: int) -> list[Any]:
    """Overwrite the stored rows the dataset has newer; returns their keys."""
    params = [tx.allocate_lsns(total) - 1] if layout.has_lsn else []
    sql = replace_newer_sql(layout.spec, registered, layout.schema.names, with_lsn=layout.has_lsn)
    return [row[0] for row in tx.execute(sql, params)]


def _replace_children(tx: Transaction, spec: ExportTable, names: dict[str, str]) -> list[Any]:
    """Delete the stored rows of the parents the dataset has newer, tombstoning their vectors; returns those parents.

    Runs before the parents change, so "newer" still compares with what was stored.
    """
    assert spec.parent is not None
    parent = table_spec(spec.parent[1])
    registered = names.get(parent.name)
    if registered is None or parent.updated is None:
        return []
    ids = [row[0] for row in tx.query(newer_rows_sql(parent, registered))]
    if not ids:
        return []
    kind = _tombstone_kind(spec)
    first = tx.allocate_lsns(len(ids))  # before the new rows' change numbers: they remove only older vectors
    for offset, parent_id in enumerate(ids):
        tx.append("index_tombstones", {"kind": kind, "item_id": parent_id.bytes, "index_lsn": first + offset})
    tx.execute(delete_children_sql(spec), [ids])
    return ids


def _tombstone_kind(spec: ExportTable) -> str:
    """The kind of tombstone that removes the vectors of a parent's rows of ``spec``."""
    assert spec.parent is not None
    for rule in TOMBSTONE_RULES:
        if rule.source == spec.name and rule.column == spec.parent[0]:
            return rule.kind
    raise StoreError(f"no tombstone rule removes the vectors of {spec.name} by {spec.parent[0]}")  # a registry bug


def _tell_caches(
    tx: Transaction, counts: dict[str, TableCounts], stale: dict[str, list[tuple[Any, ...]]], replaced: list[Any]
) -> None:
    """Forget the cached sessions that changed; drop the memory heads when memories were inserted."""
    cache = tx.cached(SessionCache, SessionCache)
    for name, parents in stale.items():
        if counts[name].inserted:
            for (session_id,) in parents:
                cache.forget(session_id)
    for session_id in replaced:
        cache.forget(session_id)
    memories = counts.get("memories")
    if memories is not None and memories.inserted:
        forget_memory_heads(tx)
