"""Which registered tables a store has, and the Arrow schema of their files.

Example:
    >>> from agentlog.store import Store
    >>> with Store.memory(embedder=None) as store:
    ...     [t.spec.name for t in store.read(store_layout)][:2]
    ['sessions', 'events']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from agentlog.io.dataset_manifest import ColumnSpec
from agentlog.io.dataset_sql import CATALOG_JSON_COLUMNS, CATALOG_TABLES
from agentlog.io.registry import EXPORT_TABLES, LSN_COLUMN, ExportTable, file_schema
from agentlog.store.tables import SCHEMAS

__all__ = ["TableLayout", "store_layout", "type_name"]


@dataclass(frozen=True, slots=True)
class TableLayout:
    """A registered table as this store has it.

    Attributes:
        spec: Its registry entry.
        schema: The Arrow schema of its Parquet files.
        has_lsn: Whether its rows carry an ``index_lsn`` (assigned on restore).

    Example:
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> TableLayout(EXPORT_TABLES[1], pa.schema([("seq", pa.int64())]), True).schema.names
        ['seq']
    """

    spec: ExportTable
    schema: pa.Schema
    has_lsn: bool

    @property
    def name(self) -> str:
        """The table name.

        Example:
            >>> from agentlog.io.registry import EXPORT_TABLES
            >>> TableLayout(EXPORT_TABLES[0], pa.schema([]), True).name
            'sessions'
        """
        return self.spec.name

    def column_specs(self) -> list[ColumnSpec]:
        """The columns as the manifest records them (see :func:`type_name`).

        Example:
            >>> from agentlog.io.registry import EXPORT_TABLES
            >>> TableLayout(EXPORT_TABLES[0], pa.schema([("id", pa.uuid())]), True).column_specs()[0].type
            'uuid'
        """
        return [ColumnSpec(name=f.name, type=type_name(f.type), nullable=f.nullable) for f in self.schema]

    def json_columns(self) -> list[str]:
        """The JSON columns, in order.

        Example:
            >>> from agentlog.io.registry import EXPORT_TABLES
            >>> TableLayout(EXPORT_TABLES[0], pa.schema([("m", pa.json_())]), True).json_columns()
            ['m']
        """
        return [f.name for f in self.schema if isinstance(f.type, pa.JsonType)]


def type_name(kind: pa.DataType) -> str:
    """The manifest's name of an Arrow type: ``uuid``, ``json``, else pyarrow's own (``int64``, ``string``...).

    The UUID and JSON extension types get short names of their own, so the
    manifest does not depend on how a pyarrow version prints them.

    Example:
        >>> type_name(pa.json_()), type_name(pa.timestamp("us", tz="UTC"))
        ('json', 'timestamp[us, tz=UTC]')
    """
    if isinstance(kind, pa.UuidType):
        return "uuid"
    if isinstance(kind, pa.JsonType):
        return "json"
    return str(kind)


def store_layout(cursor: Any) -> list[TableLayout]:
    """The registered tables the store has, in registry order.

    Args:
        cursor: A read cursor of the store (``store.read(store_layout)``).

    Raises:
        StoreError: A registry entry does not match its table (a bug).

    Example:
        >>> from agentlog.store import Store
        >>> with Store.memory(embedder=None) as store:
        ...     events = store.read(store_layout)[1]
        >>> events.name, events.json_columns()
        ('events', ['event_data', 'metadata'])
    """
    existing = {row[0] for row in cursor.execute(CATALOG_TABLES).fetchall()}
    json_columns: dict[str, set[str]] = {}
    for table, column in cursor.execute(CATALOG_JSON_COLUMNS).fetchall():
        json_columns.setdefault(table, set()).add(column)
    layouts = []
    for spec in EXPORT_TABLES:
        if spec.name not in existing:
            continue
        schema = file_schema(spec, frozenset(json_columns.get(spec.name, ())))
        layouts.append(TableLayout(spec, schema, LSN_COLUMN in SCHEMAS[spec.name].names))
    return layouts
