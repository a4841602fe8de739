"""The write op that restores dataset tables: one transaction, idempotent.

:class:`RestoreRows` takes every table of a checked dataset and, on the
writer thread, in one transaction:

1. checks against the stored data first, before changing anything: every row
   with a parent (an event's session) has it in the dataset or the store, and
   no new row takes a sequence number (``seq``) a different stored row has;
2. inserts, table by table in registry order, the rows whose key is not
   stored yet (``INSERT ... WHERE NOT EXISTS``, all inside DuckDB, so a
   re-import of a million rows costs one anti-join, not a million Python
   objects), giving each a fresh ``index_lsn`` so the vector index embeds it;
3. tells the writer's session cache that stored sessions which got events
   have a new next ``seq`` (sessions the restore inserts were never cached).

Rows already stored are skipped, whatever their content: existing data wins.
It is the generic counterpart of
:class:`~agentlog.services.import_ops.ImportRows` for every table of
:data:`~agentlog.io.registry.EXPORT_TABLES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from agentlog.errors import ImportFormatError, ValidationError
from agentlog.io.dataset_check import with_row_numbers
from agentlog.io.dataset_sql import (
    count_stored_sql,
    insert_new_sql,
    missing_parent_sql,
    sequence_conflict_sql,
    stored_parents_sql,
    unique_conflict_sql,
)
from agentlog.io.layout import TableLayout
from agentlog.services.session_ops import SessionCache
from agentlog.store.writer import Transaction

__all__ = ["RestoreRows", "TableCounts"]


@dataclass(frozen=True, slots=True)
class TableCounts:
    """Rows of one table a restore inserted, and rows it skipped (key already stored).

    Example:
        >>> TableCounts(inserted=3, skipped=1).inserted
        3
    """

    inserted: int
    skipped: int


@dataclass(slots=True)
class RestoreRows:
    """Insert checked dataset tables, skipping rows whose key is stored.

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
        """Check against the store, then insert; returns counts by table.

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
            # Sessions stored before that get events here have a new next seq: the writer's cache must
            # forget them. Sessions the restore inserts were never cached. Asked before inserting.
            stale = {
                layout.name: tx.query(stored_parents_sql(layout.spec, names[layout.name]))
                for layout, rows in self.tables
                if rows.num_rows and layout.spec.parent is not None and layout.spec.parent[1] == "sessions"
            }
            counts = {layout.name: self._insert(tx, layout, rows, names[layout.name]) for layout, rows in self.tables}
        finally:
            for name in names.values():
                tx.unregister(name)
        for name, parents in stale.items():
            if parents and counts[name].inserted:
                cache = tx.cached(SessionCache, SessionCache)
                for (session_id,) in parents:
                    cache.forget(session_id)
        return counts

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

    @staticmethod
    def _insert(tx: Transaction, layout: TableLayout, rows: pa.Table, registered: str) -> TableCounts:
        total = rows.num_rows
        if not total:
            return TableCounts(0, 0)
        spec = layout.spec
        stored = int(tx.query(count_stored_sql(spec, registered))[0][0])
        if stored == total:
            return TableCounts(0, total)
        params: list[int] = []
        if layout.has_lsn:
            params.append(tx.allocate_lsns(total) - 1)  # row n (1-based) gets first + n - 1
        sql = insert_new_sql(spec, registered, layout.schema.names, with_lsn=layout.has_lsn, all_new=stored == 0)
        inserted = int(tx.execute(sql, params)[0][0])
        return TableCounts(inserted, total - inserted)
