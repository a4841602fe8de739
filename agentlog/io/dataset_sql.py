"""Every SQL statement of the Parquet export and restore, built in one place.

The functions here only build text with ``?`` placeholders; the export, the
checks and the restore op execute it with bound parameters. Identifiers come
from :data:`agentlog.io.registry.EXPORT_TABLES` and the store's Arrow schemas
(never from callers) and are double-quoted anyway.

Example:
    >>> quote('timestamp')
    '"timestamp"'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agentlog.io.registry import LSN_COLUMN, ExportTable, table_spec

__all__ = [
    "CATALOG_JSON_COLUMNS",
    "CATALOG_TABLES",
    "PARTITION_COLUMN",
    "ROW_NUMBER",
    "Filters",
    "changed_identity_sql",
    "changed_unique_sql",
    "copy_sql",
    "count_stored_sql",
    "delete_children_sql",
    "duplicate_key_sql",
    "insert_new_sql",
    "missing_parent_sql",
    "newer_rows_sql",
    "quote",
    "replace_newer_sql",
    "scan_sql",
    "select_rows_sql",
    "sequence_conflict_sql",
    "sequence_gap_sql",
    "sequence_scan_sql",
    "stored_parents_sql",
    "unique_conflict_sql",
    "unknown_ids_sql",
    "vector_rows_sql",
]

CATALOG_TABLES = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
"""The store's tables."""

CATALOG_JSON_COLUMNS = (
    "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main' AND data_type = 'JSON'"
)
"""The store's JSON columns, as ``(table, column)``."""

PARTITION_COLUMN = "date"
"""Hive partition key of date-partitioned tables (``<table>/date=YYYY-MM-DD/``)."""

_JSON_BLANKS = "chr(32) || chr(9) || chr(10) || chr(13)"
"""JSON's whitespace, as a SQL expression."""

ROW_NUMBER = "agentlog_rn"
"""Row-number column added to Arrow tables registered for checks and inserts (1-based)."""


def quote(name: str) -> str:
    """Double-quote an identifier.

    Example:
        >>> quote('a"b')
        '"a""b"'
    """
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class Filters:
    """What a filtered export keeps: sessions started in ``[since, until)`` of ``agents``.

    Example:
        >>> Filters().empty
        True
    """

    since: datetime | None = None
    until: datetime | None = None
    agents: tuple[str, ...] | None = None

    @property
    def empty(self) -> bool:
        """No filter at all.

        Example:
            >>> Filters(agents=("claude",)).empty
            False
        """
        return self.since is None and self.until is None and self.agents is None


def _root_conditions(spec: ExportTable, filters: Filters, alias: str) -> tuple[list[str], list[Any]]:
    conditions: list[str] = []
    params: list[Any] = []
    if spec.filter_time is not None:
        if filters.since is not None:
            conditions.append(f"{alias}.{quote(spec.filter_time)} >= ?")
            params.append(filters.since)
        if filters.until is not None:
            conditions.append(f"{alias}.{quote(spec.filter_time)} < ?")
            params.append(filters.until)
    if spec.filter_agent is not None and filters.agents is not None:
        conditions.append(f"list_contains(?::VARCHAR[], {alias}.{quote(spec.filter_agent)})")
        params.append(list(filters.agents))
    return conditions, params


def _conditions(spec: ExportTable, filters: Filters, alias: str, depth: int = 0) -> tuple[list[str], list[Any]]:
    """WHERE conditions selecting the rows of ``spec`` a filtered export keeps."""
    if filters.empty:
        return [], []
    conditions, params = _root_conditions(spec, filters, alias)
    if spec.parent is not None:
        column, parent_name = spec.parent
        parent = table_spec(parent_name)
        inner_alias = f"p{depth}"
        inner, inner_params = _conditions(parent, filters, inner_alias, depth + 1)
        if inner:
            where = " AND ".join(inner)
            conditions.append(
                f"{alias}.{quote(column)} IN (SELECT {inner_alias}.{quote(parent.key[0])} "
                f"FROM {quote(parent.name)} {inner_alias} WHERE {where})"
            )
            params.extend(inner_params)
    return conditions, params


def select_rows_sql(spec: ExportTable, columns: Sequence[str], filters: Filters) -> tuple[str, list[Any]]:
    """The SELECT of the rows (and columns) a table exports, with its parameters.

    A date-partitioned table also selects its partition key,
    :data:`PARTITION_COLUMN` (the UTC date of its timestamp column).

    Example:
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> sql, params = select_rows_sql(EXPORT_TABLES[0], ["id"], Filters(agents=("claude",)))
        >>> "list_contains" in sql, params
        (True, [['claude']])
    """
    selected = [f"t.{quote(c)}" for c in columns]
    if spec.partition_by_date is not None:
        selected.append(
            f"CAST(timezone('UTC', t.{quote(spec.partition_by_date)}) AS DATE) AS {quote(PARTITION_COLUMN)}"
        )
    conditions, params = _conditions(spec, filters, "t")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"SELECT {', '.join(selected)} FROM {quote(spec.name)} t{where}", params


def vector_rows_sql(spec: ExportTable, key: str, registered: str, filters: Filters) -> tuple[str, list[Any]]:
    """The SELECT of the vectors an export keeps, from a registered scan of a LanceDB table.

    A vector (``id``, ``index_lsn``, ``text``, ``vector``) is kept when the
    snapshot being exported has the row it was computed from: a row of
    ``spec`` that the export keeps, whose ``key`` column is the vector's id
    and whose ``index_lsn`` is the vector's. So a vector of a row changed since
    it was indexed, or of a row the filters leave out, is not exported (an
    import embeds that row again). When ``key`` is not the table's key (a
    memory has a row per version), only the newest row of each key counts.

    Returns ``id`` (UUID), ``text`` and ``vector``, and the parameters.

    Example:
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> sql, params = vector_rows_sql(EXPORT_TABLES[2], "memory_id", "v", Filters())
        >>> 'PARTITION BY' in sql and 'memory_id' in sql, params
        (True, [])
    """
    conditions, params = _conditions(spec, filters, "t")
    source = quote(spec.name)
    if (key,) != spec.key:
        newest = quote("agentlog_newest")
        source = f"(SELECT *, max({quote(LSN_COLUMN)}) OVER (PARTITION BY {quote(key)}) AS {newest} FROM {source})"
        conditions.append(f"t.{quote(LSN_COLUMN)} = t.{newest}")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    lsn = quote(LSN_COLUMN)
    kept = f"SELECT t.{quote(key)} AS vid, t.{lsn} AS lsn FROM {source} t{where}"
    return (
        f"SELECT k.vid AS id, v.text, v.vector FROM {quote(registered)} v JOIN ({kept}) k "
        f"ON k.vid = TRY_CAST(v.id AS UUID) AND k.lsn = v.{lsn} WHERE v.text IS NOT NULL AND v.vector IS NOT NULL",
        params,
    )


def unknown_ids_sql(registered: str, registered_keys: str) -> str:
    """The first row number (``agentlog_rn``) of a registered table whose ``id`` is not a ``key`` of another.

    Returns one row, NULL when every id is known.

    Example:
        >>> unknown_ids_sql("v", "k").startswith('SELECT min(v."agentlog_rn")')
        True
    """
    return (
        f"SELECT min(v.{quote(ROW_NUMBER)}) FROM {quote(registered)} v "
        f"WHERE NOT EXISTS (SELECT 1 FROM {quote(registered_keys)} k WHERE k.key = v.id)"
    )


def copy_sql(select: str, *, partitioned: bool, file_bytes: int | None = None) -> str:
    """``COPY (select) TO ?`` as zstd Parquet; the destination is the last parameter.

    Partitioned copies write ``<dir>/date=YYYY-MM-DD/part-N.parquet``; with
    ``file_bytes``, ``<dir>/part-N.parquet``, a new file once one holds about
    that many bytes (whole row groups); others write the single file named by
    the parameter. All return one row per file written: ``filename, count,
    file_size_bytes, ...`` (``RETURN_STATS``).

    Example:
        >>> copy_sql("SELECT 1", partitioned=False)
        'COPY (SELECT 1) TO ? (FORMAT parquet, COMPRESSION zstd, RETURN_STATS true)'
    """
    options = "FORMAT parquet, COMPRESSION zstd, RETURN_STATS true"
    if partitioned:
        options += f", PARTITION_BY ({quote(PARTITION_COLUMN)})"
    if file_bytes is not None:
        options += f", FILE_SIZE_BYTES {int(file_bytes)}"
    if partitioned or file_bytes is not None:
        options += ", FILENAME_PATTERN 'part-{i}'"
    return f"COPY ({select}) TO ? ({options})"


def _key_match(key: Sequence[str], left: str, right: str) -> str:
    return " AND ".join(f"{left}.{quote(c)} = {right}.{quote(c)}" for c in key)


def count_stored_sql(spec: ExportTable, registered: str) -> str:
    """How many rows of a registered Arrow table already have their key in the store.

    Example:
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> "EXISTS" in count_stored_sql(EXPORT_TABLES[0], "r")
        True
    """
    return (
        f"SELECT count(*) FROM {quote(registered)} b WHERE EXISTS "
        f"(SELECT 1 FROM {quote(spec.name)} x WHERE {_key_match(spec.key, 'x', 'b')})"
    )


def insert_new_sql(
    spec: ExportTable, registered: str, columns: Sequence[str], *, with_lsn: bool, all_new: bool = False
) -> str:
    """Insert the rows of a registered Arrow table whose key is not stored yet.

    With ``with_lsn`` the first parameter is the change number before the
    first row: row ``n`` (``agentlog_rn``, 1-based) gets ``? + n``. With
    ``all_new`` (none of the keys is stored) the anti-join is left out. For
    a table whose rows are ``replaced_with_parent``, a row is inserted only
    when its parent is not stored yet or is in the UUID list of the last
    parameter (the parents being replaced).

    Example:
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> sql = insert_new_sql(EXPORT_TABLES[0], "r", ["id", "agent"], with_lsn=True)
        >>> sql.startswith('INSERT INTO "sessions" BY NAME')
        True
    """
    selected = [f"b.{quote(c)}" for c in columns]
    if with_lsn:
        selected.append(f"? + b.{quote(ROW_NUMBER)} AS {quote(LSN_COLUMN)}")
    insert = f"INSERT INTO {quote(spec.name)} BY NAME SELECT {', '.join(selected)} FROM {quote(registered)} b"
    conditions = []
    if not all_new:
        conditions.append(f"NOT EXISTS (SELECT 1 FROM {quote(spec.name)} x WHERE {_key_match(spec.key, 'x', 'b')})")
    if spec.replaced_with_parent:
        assert spec.parent is not None
        column, parent_name = quote(spec.parent[0]), spec.parent[1]
        parent_key = quote(table_spec(parent_name).key[0])
        conditions.append(
            f"(NOT EXISTS (SELECT 1 FROM {quote(parent_name)} p WHERE p.{parent_key} = b.{column}) "
            f"OR b.{column} IN (SELECT unnest(?::UUID[])))"
        )
    return f"{insert} WHERE {' AND '.join(conditions)}" if conditions else insert


def newer_rows_sql(spec: ExportTable, registered: str) -> str:
    """The keys of a registered table's rows that are newer (``updated``) than the stored rows with their key.

    Example:
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> newer_rows_sql(EXPORT_TABLES[3], "r")
        'SELECT b."id" FROM "r" b JOIN "documents" x ON x."id" = b."id" WHERE b."updated_at" > x."updated_at"'
    """
    assert spec.updated is not None
    return (
        f"SELECT b.{quote(spec.key[0])} FROM {quote(registered)} b JOIN {quote(spec.name)} x "
        f"ON {_key_match(spec.key, 'x', 'b')} WHERE b.{quote(spec.updated)} > x.{quote(spec.updated)}"
    )


def replace_newer_sql(spec: ExportTable, registered: str, columns: Sequence[str], *, with_lsn: bool) -> str:
    """Overwrite each stored row with the registered table's row of the same key when that one is newer.

    Key and unique columns are left as they are (:func:`changed_unique_sql`
    checks that the newer rows keep them). With ``with_lsn`` the parameter
    is the change number before the first row, as in :func:`insert_new_sql`.
    Returns the key of each replaced row.

    Example:
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> replace_newer_sql(EXPORT_TABLES[0], "r", ["id", "summary"], with_lsn=False).split(" FROM ")[0]
        'UPDATE "sessions" x SET "summary" = b."summary"'
    """
    assert spec.updated is not None
    fixed = set(spec.key).union(*spec.unique)
    assignments = [f"{quote(c)} = b.{quote(c)}" for c in columns if c not in fixed]
    if with_lsn:
        assignments.append(f"{quote(LSN_COLUMN)} = ? + b.{quote(ROW_NUMBER)}")
    return (
        f"UPDATE {quote(spec.name)} x SET {', '.join(assignments)} FROM {quote(registered)} b "
        f"WHERE {_key_match(spec.key, 'x', 'b')} AND b.{quote(spec.updated)} > x.{quote(spec.updated)} "
        f"RETURNING x.{quote(spec.key[0])}"
    )


def changed_unique_sql(spec: ExportTable, registered: str, columns: Sequence[str]) -> str:
    """One row of a registered table that is newer than its stored row but has other values of a unique column set.

    Example:
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> "IS DISTINCT FROM" in changed_unique_sql(EXPORT_TABLES[3], "r", ["file_path"])
        True
    """
    assert spec.updated is not None
    differs = " OR ".join(f"x.{quote(c)} IS DISTINCT FROM b.{quote(c)}" for c in columns)
    return (
        f"SELECT b.{quote(spec.key[0])}, {', '.join(f'x.{quote(c)}' for c in columns)} FROM {quote(registered)} b "
        f"JOIN {quote(spec.name)} x ON {_key_match(spec.key, 'x', 'b')} "
        f"WHERE b.{quote(spec.updated)} > x.{quote(spec.updated)} AND ({differs}) LIMIT 1"
    )


def changed_identity_sql(spec: ExportTable, registered: str, columns: Sequence[str]) -> str:
    """One row of a registered table whose key is stored, but with other values of ``columns``.

    Returns the key, the stored values, then the registered row's values
    (no row: every stored key has the dataset's values).

    Example:
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> changed_identity_sql(EXPORT_TABLES[1], "r", ["session_id"]).split(" FROM ")[0]
        'SELECT b."id", x."session_id", b."session_id"'
    """
    differs = " OR ".join(f"x.{quote(c)} IS DISTINCT FROM b.{quote(c)}" for c in columns)
    stored = ", ".join(f"x.{quote(c)}" for c in columns)
    given = ", ".join(f"b.{quote(c)}" for c in columns)
    return (
        f"SELECT b.{quote(spec.key[0])}, {stored}, {given} FROM {quote(registered)} b "
        f"JOIN {quote(spec.name)} x ON {_key_match(spec.key, 'x', 'b')} WHERE {differs} LIMIT 1"
    )


def delete_children_sql(spec: ExportTable) -> str:
    """Delete the rows of a child table whose parent is in the UUID list parameter.

    Example:
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> delete_children_sql(EXPORT_TABLES[4])
        'DELETE FROM "document_chunks" WHERE "document_id" IN (SELECT unnest(?::UUID[]))'
    """
    assert spec.parent is not None
    return f"DELETE FROM {quote(spec.name)} WHERE {quote(spec.parent[0])} IN (SELECT unnest(?::UUID[]))"


def missing_parent_sql(spec: ExportTable, registered: str, registered_parent: str | None) -> str:
    """One parent id that rows refer to but neither the store nor the dataset has (no row: all fine).

    Example:
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> "LIMIT 1" in missing_parent_sql(EXPORT_TABLES[1], "r", None)
        True
    """
    assert spec.parent is not None
    column, parent_name = spec.parent
    parent_key = quote(table_spec(parent_name).key[0])
    extra = ""
    if registered_parent is not None:
        extra = f" AND NOT EXISTS (SELECT 1 FROM {quote(registered_parent)} d WHERE d.{parent_key} = b.p)"
    return (
        f"SELECT b.p FROM (SELECT DISTINCT {quote(column)} AS p FROM {quote(registered)}) b "
        f"WHERE NOT EXISTS (SELECT 1 FROM {quote(parent_name)} x WHERE x.{parent_key} = b.p){extra} LIMIT 1"
    )


def sequence_conflict_sql(spec: ExportTable, registered: str) -> str:
    """One new row whose (parent, sequence number) a different stored row already has.

    Example:
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> "JOIN" in sequence_conflict_sql(EXPORT_TABLES[1], "r")
        True
    """
    assert spec.parent is not None
    assert spec.sequence is not None
    parent, seq = quote(spec.parent[0]), quote(spec.sequence)
    same_key = _key_match(spec.key, "x", "b")
    return (
        f"SELECT b.{parent}, b.{seq} FROM {quote(registered)} b JOIN {quote(spec.name)} x "
        f"ON x.{parent} = b.{parent} AND x.{seq} = b.{seq} WHERE NOT ({same_key}) LIMIT 1"
    )


def unique_conflict_sql(spec: ExportTable, registered: str, columns: Sequence[str]) -> str:
    """One new row whose values of a unique column set a different stored row already has.

    Example:
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> "JOIN" in unique_conflict_sql(EXPORT_TABLES[3], "r", ["file_path"])
        True
    """
    same = _key_match(columns, "x", "b")
    return (
        f"SELECT {', '.join(f'b.{quote(c)}' for c in columns)} FROM {quote(registered)} b "
        f"JOIN {quote(spec.name)} x ON {same} WHERE NOT ({_key_match(spec.key, 'x', 'b')}) LIMIT 1"
    )


def stored_parents_sql(spec: ExportTable, registered: str) -> str:
    """The distinct parents of a registered table's rows that the store already has.

    A restore tells the writer's session cache to forget them (their next
    sequence number changes); parents inserted by the restore itself were
    never cached.

    Example:
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> stored_parents_sql(EXPORT_TABLES[1], "r").startswith('SELECT b.p FROM (SELECT DISTINCT "session_id"')
        True
    """
    assert spec.parent is not None
    column, parent_name = spec.parent
    parent_key = quote(table_spec(parent_name).key[0])
    return (
        f"SELECT b.p FROM (SELECT DISTINCT {quote(column)} AS p FROM {quote(registered)}) b "
        f"WHERE EXISTS (SELECT 1 FROM {quote(parent_name)} x WHERE x.{parent_key} = b.p)"
    )


def sequence_scan_sql(spec: ExportTable, registered: str) -> str:
    """Whether a registered table's sequence numbers run 1..n per parent, in two cheap aggregates.

    Returns one row: the row count, the count of distinct ``(parent, sequence)``
    pairs, and how many parents do not have ``min = 1`` and ``max = count``.
    The numbers are exactly 1..n for every parent when the first two are equal
    (no repeat within a parent) and the third is 0 (n distinct integers
    between 1 and n are 1..n). That costs about half of
    :func:`sequence_gap_sql`'s distinct count per group, which is then run only
    to describe a failure.

    Example:
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> "count(DISTINCT (" in sequence_scan_sql(EXPORT_TABLES[1], "r")
        True
    """
    assert spec.parent is not None
    assert spec.sequence is not None
    parent, seq, table = quote(spec.parent[0]), quote(spec.sequence), quote(registered)
    return (
        f"SELECT (SELECT count(*) FROM {table}), (SELECT count(DISTINCT ({parent}, {seq})) FROM {table}), "
        f"(SELECT count(*) FROM (SELECT {parent} FROM {table} GROUP BY {parent} "
        f"HAVING min({seq}) <> 1 OR max({seq}) <> count(*)))"
    )


def sequence_gap_sql(spec: ExportTable, registered: str) -> str:
    """One parent whose sequence numbers in a registered table are not exactly 1..n.

    Example:
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> "HAVING" in sequence_gap_sql(EXPORT_TABLES[1], "r")
        True
    """
    assert spec.parent is not None
    assert spec.sequence is not None
    parent, seq = quote(spec.parent[0]), quote(spec.sequence)
    return (
        f"SELECT {parent}, min({seq}), max({seq}), count(*), count(DISTINCT {seq}) FROM {quote(registered)} "
        f"GROUP BY {parent} HAVING min({seq}) <> 1 OR max({seq}) <> count(*) OR count(DISTINCT {seq}) <> count(*) "
        "LIMIT 1"
    )


def scan_sql(registered: str, json_columns: Sequence[tuple[str, bool]], keys: Sequence[Sequence[str]]) -> str:
    """One pass over a registered table: row count, first invalid row of each JSON column, distinct keys.

    Each JSON column is ``(name, must_be_object)``; its value is the smallest
    ``agentlog_rn`` whose text is not valid JSON (or not an object), or NULL.
    Then one distinct count per key (a column set).

    Example:
        >>> scan_sql("r", [("m", True)], [["id"]]).startswith("SELECT count(*), min(")
        True
    """
    parts = ["count(*)"]
    for name, objects in json_columns:
        column = quote(name)
        valid = f"json_valid({column})"
        if objects:
            # Valid JSON is an object exactly when its first non-blank character is {. The CASE makes
            # DuckDB trim (a copy of the text) only for texts that do not start with { already: an OR
            # evaluates both sides for every row, which tripled the cost of this scan.
            valid = (
                f"CASE WHEN starts_with({column}, '{{') THEN {valid} "
                f"ELSE {valid} AND starts_with(ltrim({column}, {_JSON_BLANKS}), '{{') END"
            )
        parts.append(f"min({quote(ROW_NUMBER)}) FILTER (WHERE NOT ({valid}))")
    for key in keys:
        columns = ", ".join(quote(c) for c in key)
        parts.append(f"count(DISTINCT ({columns}))" if len(key) > 1 else f"count(DISTINCT {columns})")
    return f"SELECT {', '.join(parts)} FROM {quote(registered)}"


def duplicate_key_sql(key: Sequence[str], registered: str) -> str:
    """The row numbers (``agentlog_rn``) of the first and last rows of a repeated key (no row: keys are unique).

    Example:
        >>> "count(*) > 1" in duplicate_key_sql(["id"], "r")
        True
    """
    columns = ", ".join(quote(c) for c in key)
    return (
        f"SELECT min({quote(ROW_NUMBER)}), max({quote(ROW_NUMBER)}) FROM {quote(registered)} "
        f"GROUP BY {columns} HAVING count(*) > 1 ORDER BY 1 LIMIT 1"
    )
