"""The tables agentlog's Parquet export carries, and what each needs.

:data:`EXPORT_TABLES` is the single registry the export and the restore walk,
in order (parents before the rows that refer to them). Adding a table to the
format is one :class:`ExportTable` line; a registered table is exported only
when the store has it, so a line may land before its migration.

Everything else comes from the store itself: the columns and their Arrow types
from :data:`agentlog.store.tables.SCHEMAS` (``index_lsn`` is store-local and
never exported), which text columns are JSON from DuckDB's catalog, and
nullability from the Arrow schema.

Example:
    >>> [t.name for t in EXPORT_TABLES][:2]
    ['sessions', 'events']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from agentlog.errors import StoreError
from agentlog.store.tables import SCHEMAS

__all__ = [
    "EXPORT_TABLES",
    "LSN_COLUMN",
    "ExportTable",
    "file_schema",
    "table_spec",
]

LSN_COLUMN = "index_lsn"
"""The store-local change number: never exported, assigned afresh on restore."""

RULES = frozenset(
    {"name", "text", "event_type", "lifecycle", "json_object", "namespace", "memory_key", "memory_type", "memory_id"}
)
"""Column rules :mod:`agentlog.io.dataset_check` knows (see :attr:`ExportTable.rules`)."""


@dataclass(frozen=True, slots=True)
class ExportTable:
    """How one table travels in the export format.

    Attributes:
        name: The store table (and the dataset folder) name.
        key: Columns that identify a row; unique in a dataset. On restore, a
            row whose key is already stored is skipped (idempotency), unless
            ``updated`` says it is newer.
        parent: ``(column, table)``: each row belongs to a row of ``table``
            (by its first key column); a filtered export keeps the rows whose
            parent it keeps, and a restore refuses rows whose parent is
            neither in the dataset nor in the store.
        sequence: A column numbering the rows of each parent 1..n without
            gaps (``events.seq``); a restore refuses a dataset that breaks
            that, or whose new rows would take a number already used.
        partition_by_date: A timestamp column whose UTC date partitions the
            table's files (``<table>/date=YYYY-MM-DD/``; rows without one go
            to ``date=__HIVE_DEFAULT_PARTITION__``).
        filter_time: Column that ``since``/``until`` select on (a root table).
        filter_agent: Column that ``agents`` selects on (a root table).
        unique: Other column sets the store keeps unique (besides ``key``);
            a dataset must not repeat them, and a restore refuses a new row
            that takes one a different stored row has (or a newer row that
            changes them).
        updated: A timestamp column saying when the row last changed: a
            dataset row that is newer than the stored row with its key
            replaces it on restore (with a fresh ``index_lsn``, so the index
            embeds it again). Tables without one are never changed once
            stored.
        replaced_with_parent: The rows are part of their parent row's content
            (a document's chunks): a restore inserts them only with a parent
            it inserts or replaces, and replacing a parent first deletes its
            stored rows (and, through a tombstone, their vectors). Rows of a
            parent the restore leaves alone are skipped. Other children
            (events) are appended to their parent, whatever becomes of it.
        rules: Extra checks by column: ``name`` (agent/user names),
            ``text`` (summaries), ``event_type``, ``lifecycle``,
            ``json_object`` (JSON text that must be an object; every JSON
            column must be strict JSON anyway), and the memory service's
            own checks: ``namespace``, ``memory_key``, ``memory_type``, and
            ``memory_id`` (the id derived from the row's ``namespace`` and
            ``key``).

    Tables with neither filter columns nor a parent are exported whole, with
    or without filters.

    Example:
        >>> ExportTable("memories").key
        ('id',)
    """

    name: str
    key: tuple[str, ...] = ("id",)
    parent: tuple[str, str] | None = None
    sequence: str | None = None
    partition_by_date: str | None = None
    filter_time: str | None = None
    filter_agent: str | None = None
    unique: tuple[tuple[str, ...], ...] = ()
    rules: dict[str, str] = field(default_factory=dict, hash=False)
    updated: str | None = None
    replaced_with_parent: bool = False

    def columns(self) -> tuple[str, ...]:
        """Every column this entry names (checked against the table's schema).

        Example:
            >>> EXPORT_TABLES[1].columns()[:2]
            ('id', 'session_id')
        """
        named = [*self.key]
        if self.parent is not None:
            named.append(self.parent[0])
        for column in (self.sequence, self.partition_by_date, self.filter_time, self.filter_agent, self.updated):
            if column is not None:
                named.append(column)
        for columns in self.unique:
            named.extend(columns)
        named.extend(self.rules)
        return tuple(dict.fromkeys(named))


EXPORT_TABLES: tuple[ExportTable, ...] = (
    ExportTable(
        "sessions",
        filter_time="started_at",
        filter_agent="agent",
        updated="updated_at",
        rules={
            "agent": "name",
            "user_id": "name",
            "app_name": "name",
            "lifecycle": "lifecycle",
            "summary": "text",
            "metadata": "json_object",
            "state": "json_object",
        },
    ),
    ExportTable(
        "events",
        parent=("session_id", "sessions"),
        sequence="seq",
        partition_by_date="timestamp",
        rules={"event_type": "event_type", "event_data": "json_object", "metadata": "json_object"},
    ),
    ExportTable(
        "memories",
        unique=(("namespace", "key", "version"),),
        rules={
            "namespace": "namespace",
            "key": "memory_key",
            "memory_type": "memory_type",
            "memory_id": "memory_id",
            "metadata": "json_object",
        },
    ),
    ExportTable(
        "documents",
        unique=(("file_path",),),
        updated="updated_at",
        rules={"namespace": "namespace", "metadata": "json_object"},
    ),
    ExportTable("document_chunks", parent=("document_id", "documents"), replaced_with_parent=True),
)
"""Every table of the export format, parents first."""


def table_spec(name: str) -> ExportTable:
    """The registry entry of ``name``.

    Raises:
        KeyError: ``name`` is not an exportable table.

    Example:
        >>> table_spec("events").sequence
        'seq'
    """
    for spec in EXPORT_TABLES:
        if spec.name == name:
            return spec
    raise KeyError(name)


def file_schema(spec: ExportTable, json_columns: frozenset[str]) -> pa.Schema:
    """The Arrow schema of the table's Parquet files, as pyarrow reads them back.

    That is the store schema without ``index_lsn``, with JSON columns as the
    ``arrow.json`` extension type (Parquet's JSON logical type).

    Args:
        spec: The registry entry.
        json_columns: The table's JSON columns (from the store's catalog).

    Raises:
        StoreError: The table has no Arrow schema in
            :data:`agentlog.store.tables.SCHEMAS`, the entry names a column
            it does not have, or its ``replaced_with_parent`` has no parent
            with an ``updated`` column (a registry mistake, not a user error).

    Example:
        >>> file_schema(EXPORT_TABLES[1], frozenset({"event_data", "metadata"})).field("event_data").type
        JsonType(extension<arrow.json>)
    """
    schema = SCHEMAS.get(spec.name)
    if schema is None:
        raise StoreError(
            f"table {spec.name!r} is in agentlog.io.registry.EXPORT_TABLES but has no Arrow schema in "
            "agentlog.store.tables.SCHEMAS: add it there"
        )
    missing = [c for c in spec.columns() if c not in schema.names]
    if missing:
        raise StoreError(f"EXPORT_TABLES entry {spec.name!r} names columns the table lacks: {missing}")
    unknown_rules = sorted(set(spec.rules.values()) - RULES)
    if unknown_rules:
        raise StoreError(f"EXPORT_TABLES entry {spec.name!r} uses unknown rules {unknown_rules}")
    if spec.replaced_with_parent and (spec.parent is None or table_spec(spec.parent[1]).updated is None):
        raise StoreError(f"EXPORT_TABLES entry {spec.name!r} is replaced_with_parent, but no parent has `updated`")
    fields = []
    for column in schema:
        if column.name == LSN_COLUMN:
            continue
        kind = pa.json_() if column.name in json_columns else column.type
        fields.append(pa.field(column.name, kind, nullable=column.nullable))
    return pa.schema(fields)
