"""Checks of a dataset table read from Parquet, before anything reaches the store.

Everything a store write would have validated is checked again here, because
a Parquet file is untrusted input: nulls in required columns, strict JSON
(DuckDB's ``json_valid`` also accepts ``NaN``, trailing commas and numbers
too large for a double, so rows that could hold those are parsed with
Python's strict parser), JSON objects where the store keeps objects, payload
size and nesting depth, names, event types, lifecycles, text sizes, memory
namespaces, keys, types and ids (with the memory service's own validators),
timestamps Python can represent, unique keys, and per-parent sequence
numbers that run 1..n without gaps.

:func:`check_rows` runs on a few files at a time as soon as they are read
(on the reading threads, so checking overlaps reading); :func:`check_keys`
and :func:`check_sequence` then compare rows over all the files of a table
(on two of those threads; :func:`check_across` runs both). The checks are vectorised (pyarrow
compute and private in-memory DuckDB connections); Python only looks at the
few rows a cheap pre-filter flags. A failure raises
:class:`~agentlog.errors.ImportFormatError` naming the file and the row
inside it (counting from 0).
"""

from __future__ import annotations

import bisect
import json
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from agentlog.errors import ImportFormatError, ValidationError
from agentlog.io.dataset_sql import ROW_NUMBER, duplicate_key_sql, scan_sql, sequence_gap_sql, sequence_scan_sql
from agentlog.io.layout import TableLayout
from agentlog.services.lifecycle import Lifecycle
from agentlog.services.memory_args import validate_memory_type
from agentlog.services.namespaces import memory_uuid, validate_key, validate_namespace
from agentlog.store.tables import first_outside_years
from agentlog.validation import (
    EVENT_TYPE_PATTERN,
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    MAX_NAME_LENGTH,
    MAX_TEXT_BYTES,
    validate_json_value,
)

__all__ = [
    "LoadedTable",
    "check_across",
    "check_keys",
    "check_rows",
    "check_sequence",
    "first_true",
    "locate_row",
    "with_row_numbers",
]

_SUSPECT_JSON = (
    r",\s*[\]}]|(?:^|[:\[,])\s*[-+]?(?i:nan|inf)"
    r"|(?:^|[:\[,])\s*-?(?:\d{200}|\d+(?:\.\d*)?[eE]\+?\d{3})"
    r"|^(?:[^\[{]*[\[{]){" + str(MAX_JSON_DEPTH + 1) + "}"
)
"""Rows to parse in Python: what DuckDB's json_valid accepts but strict JSON does not (trailing
commas, NaN, Infinity, also as the whole text), numbers that may overflow a double (an exponent of
three digits, or 200 digits before the point: ``1e999`` would read back as infinity), and rows with
enough brackets to nest too deeply. One regex pass."""
_CONTROL = r"[\x00-\x1f\x7f]"
_CHECKED = "agentlog_checked"


@dataclass(frozen=True, slots=True)
class LoadedTable:
    """A table read from a dataset: its rows and the files they came from.

    Attributes:
        layout: The table as this store has it.
        rows: Every row, in file order, with the file schema.
        files: ``(path, rows)`` of each file, in order.

    Example:
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> t = LoadedTable(TableLayout(EXPORT_TABLES[0], pa.schema([]), True), pa.table({}), ((Path("a"), 0),))
        >>> t.files[0][0].name
        'a'
    """

    layout: TableLayout
    rows: pa.Table
    files: tuple[tuple[Path, int], ...]

    def locate(self, row: int) -> tuple[Path, int]:
        """The file holding global row ``row``, and the row's number inside it.

        Example:
            >>> from agentlog.io.registry import EXPORT_TABLES
            >>> t = LoadedTable(TableLayout(EXPORT_TABLES[0], pa.schema([]), True), pa.table({}),
            ...     ((Path("a"), 2), (Path("b"), 3)))
            >>> t.locate(3)
            (PosixPath('b'), 1)
        """
        return locate_row(self.files, row)

    def fail(self, row: int, problem: str) -> ImportFormatError:
        """An error naming the file and row of global row ``row``.

        Example:
            >>> from agentlog.io.registry import EXPORT_TABLES
            >>> t = LoadedTable(TableLayout(EXPORT_TABLES[0], pa.schema([]), True), pa.table({}), ((Path("a"), 2),))
            >>> str(t.fail(1, "bad"))
            'a: row 1: bad'
        """
        path, inside = self.locate(row)
        return ImportFormatError(f"row {inside}: {problem}", path=path)


def locate_row(files: Sequence[tuple[Path, int]], row: int) -> tuple[Path, int]:
    """The file holding row ``row`` of rows read from ``files`` (``(path, rows)`` in order), and its number there.

    Example:
        >>> locate_row([(Path("a"), 2), (Path("b"), 3)], 2)
        (PosixPath('b'), 0)
    """
    ends = np.cumsum([rows for _, rows in files]).tolist()
    index = bisect.bisect_right(ends, row)
    start = ends[index - 1] if index else 0
    return files[index][0], row - start


def with_row_numbers(table: pa.Table) -> pa.Table:
    """``table`` plus a 1-based :data:`~agentlog.io.dataset_sql.ROW_NUMBER` column.

    Example:
        >>> with_row_numbers(pa.table({"x": [7, 8]})).column("agentlog_rn").to_pylist()
        [1, 2]
    """
    numbers = pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64))
    return table.append_column(ROW_NUMBER, numbers)


def _storage(column: pa.ChunkedArray) -> pa.ChunkedArray:
    chunks = [c.storage if isinstance(c, pa.ExtensionArray) else c for c in column.chunks]
    kind = column.type.storage_type if isinstance(column.type, pa.BaseExtensionType) else column.type
    return pa.chunked_array(chunks, type=kind)


def first_true(mask: Any) -> int | None:
    """Index of the first true value of a boolean array (nulls count as false), or None.

    Example:
        >>> first_true(pa.array([False, None, True])), first_true(pa.array([False]))
        (2, None)
    """
    filled = pc.fill_null(mask, False)
    if not pc.any(filled).as_py():
        return None
    return int(pc.index(filled, True).as_py())


class _Where(Protocol):
    def fail(self, row: int, problem: str) -> ImportFormatError: ...


def check_rows(part: LoadedTable, con: Any) -> None:
    """Check rows one by one: everything that does not compare rows with each other.

    Required columns, timestamps, column rules, and for JSON columns size,
    validity (objects where the store keeps objects), strictness and depth.

    Args:
        part: Rows of one or more files of a table (the reader checks a few
            files at a time, on several threads).
        con: A DuckDB connection of the calling thread, for the JSON validity scan.

    Raises:
        ImportFormatError: The first problem, naming the file and the row.

    Example:
        >>> import duckdb
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> layout = TableLayout(EXPORT_TABLES[1], pa.schema([pa.field("metadata", pa.json_())]), True)
        >>> bad = pa.table({"metadata": pa.ExtensionArray.from_storage(pa.json_(), pa.array(['{"a":NaN}']))})
        >>> check_rows(LoadedTable(layout, bad, ((Path("events/part-0.parquet"), 1),)), duckdb.connect())
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        agentlog.errors.ImportFormatError: events/part-0.parquet: row 0: metadata is not valid JSON (NaN ...)
    """
    where, rows, layout = part, part.rows, part.layout
    for field in layout.schema:
        column = rows.column(field.name)
        if not field.nullable and column.null_count:
            raise where.fail(first_true(pc.is_null(column)) or 0, f"{field.name} is null, but it is required")
        if pa.types.is_timestamp(field.type):
            _check_timestamps(where, field.name, column)
        rule = layout.spec.rules.get(field.name)
        if rule is not None and rule not in ("json_object", "memory_id"):
            _check_rule(where, field.name, column, rule)
    if layout.spec.rules.get("memory_id") == "memory_id" and rows.num_rows:
        _check_memory_ids(where, rows)  # after the namespaces and keys it is derived from
    json_columns = [(name, layout.spec.rules.get(name) == "json_object") for name in layout.json_columns()]
    if not json_columns or not rows.num_rows:
        return
    texts = {name: _storage(rows.column(name)).cast(pa.string()) for name, _ in json_columns}
    for name, text in texts.items():
        row = first_true(pc.greater(pc.binary_length(text), MAX_JSON_BYTES))
        if row is not None:
            raise where.fail(row, f"{name} is larger than {MAX_JSON_BYTES} bytes")
    con.register(_CHECKED, with_row_numbers(pa.table(texts)))
    try:
        found = con.execute(scan_sql(_CHECKED, json_columns, [])).fetchall()[0]
    finally:
        con.unregister(_CHECKED)
    for (name, objects), first in zip(json_columns, found[1:], strict=True):
        if first is not None:
            index = int(first) - 1
            raise where.fail(index, f"{name} is {_json_problem(texts[name][index].as_py(), objects)}")
    for name, objects in json_columns:
        _check_suspects(where, name, texts[name], objects=objects)


def check_across(loaded: LoadedTable, con: Any) -> None:
    """Check what compares rows of all the table's files: :func:`check_keys`, then :func:`check_sequence`.

    Raises:
        ImportFormatError: The first problem, naming the file and the row.

    Example:
        >>> import duckdb
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> ids = pa.array([b"a" * 16, b"a" * 16], pa.binary(16))
        >>> rows = pa.table({"id": pa.ExtensionArray.from_storage(pa.uuid(), ids)})
        >>> check_across(LoadedTable(TableLayout(EXPORT_TABLES[3], rows.schema, True), rows,
        ...     ((Path("documents/part-0.parquet"), 2),)), duckdb.connect())  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        agentlog.errors.ImportFormatError: documents/part-0.parquet: row 1: id 61616161-... is repeated ...
    """
    check_keys(loaded, con)
    check_sequence(loaded, con)


def check_keys(loaded: LoadedTable, con: Any) -> None:
    """Check that the table's key, and every other column set the store keeps unique, is unique over all its files.

    Independent of :func:`check_sequence`: the restore runs the two on different threads.

    Raises:
        ImportFormatError: Naming the file and row of the second occurrence, and where the first is.

    Example:
        >>> import duckdb
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> ids = pa.array([b"a" * 16, b"b" * 16], pa.binary(16))
        >>> rows = pa.table({"id": pa.ExtensionArray.from_storage(pa.uuid(), ids)})
        >>> check_keys(LoadedTable(TableLayout(EXPORT_TABLES[3], rows.schema, True), rows,
        ...     ((Path("documents/part-0.parquet"), 2),)), duckdb.connect())
    """
    spec = loaded.layout.spec
    keys = [spec.key, *(key for key in spec.unique if all(c in loaded.rows.column_names for c in key))]
    columns = {name: loaded.rows.column(name) for key in keys for name in key}
    con.register(_CHECKED, pa.table(columns))
    try:
        found = con.execute(scan_sql(_CHECKED, [], keys)).fetchall()[0]
    finally:
        con.unregister(_CHECKED)
    for key, count in zip(keys, found[1:], strict=True):
        if count != found[0]:
            _report_duplicate(loaded, key, con)


def check_sequence(loaded: LoadedTable, con: Any) -> None:
    """Check that a sequence column (``events.seq``) runs 1..n for each parent; nothing to do for other tables.

    Raises:
        ImportFormatError: Naming a row of the first parent whose numbers do not run 1..n.

    Example:
        >>> import duckdb
        >>> from agentlog.io.registry import EXPORT_TABLES
        >>> rows = pa.table({"session_id": pa.array([b"s" * 16] * 2, pa.binary(16)), "seq": [1, 3]})
        >>> check_sequence(LoadedTable(TableLayout(EXPORT_TABLES[1], rows.schema, True), rows,
        ...     ((Path("events/part-0.parquet"), 2),)), duckdb.connect())  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        agentlog.errors.ImportFormatError: events/part-0.parquet: row 0: seq of sessions ... from 1 to 3
    """
    spec = loaded.layout.spec
    if spec.sequence is None or spec.parent is None:
        return
    con.register(_CHECKED, loaded.rows.select([spec.parent[0], spec.sequence]))
    try:
        total, distinct, broken = con.execute(sequence_scan_sql(spec, _CHECKED)).fetchall()[0]
        found = con.execute(sequence_gap_sql(spec, _CHECKED)).fetchall() if broken or distinct != total else []
    finally:
        con.unregister(_CHECKED)
    if found:
        parent, low, high, count, distinct = found[0]
        column = _storage(loaded.rows.column(spec.parent[0]))
        value = parent.bytes if isinstance(parent, uuid.UUID) else parent
        row = first_true(pc.equal(column, pa.scalar(value, column.type)))
        raise loaded.fail(
            row or 0,
            f"{spec.sequence} of {spec.parent[1]} {parent} must run 1..n without gaps or repeats; "
            f"found {count} rows, {distinct} distinct numbers from {low} to {high}",
        )


def _check_timestamps(where: _Where, name: str, column: pa.ChunkedArray) -> None:
    row = first_outside_years(column)
    if row is not None:
        raise where.fail(row, f"{name} is outside the years 1-9999")


_VALIDATORS: dict[str, Callable[[Any, str], Any]] = {
    "namespace": validate_namespace,
    "memory_key": validate_key,
    "memory_type": validate_memory_type,
}
"""Rules checked by the validators the services use, value by distinct value."""


def _check_rule(where: _Where, name: str, column: pa.ChunkedArray, rule: str) -> None:
    # Names, event types and lifecycles repeat a lot: check each distinct value once.
    encoded = column.cast(pa.string()).dictionary_encode().combine_chunks()
    validator = _VALIDATORS.get(rule)
    if validator is not None:
        _check_validated(where, name, encoded, validator)
        return
    text = encoded.dictionary
    if rule == "name":
        bad = pc.or_(
            pc.or_(pc.greater(pc.utf8_length(text), MAX_NAME_LENGTH), pc.match_substring_regex(text, _CONTROL)),
            pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(text)), 0),
        )
        expected = f"a name of 1-{MAX_NAME_LENGTH} characters without control characters"
    elif rule == "text":
        bad = pc.greater(pc.binary_length(text), MAX_TEXT_BYTES)
        expected = f"at most {MAX_TEXT_BYTES} bytes"
    elif rule == "event_type":
        bad = pc.invert(pc.match_substring_regex(text, f"^(?:{EVENT_TYPE_PATTERN.pattern})$"))
        expected = "an identifier such as task_created"
    else:  # lifecycle
        bad = pc.invert(pc.is_in(text, value_set=pa.array([s.value for s in Lifecycle])))
        expected = "one of " + ", ".join(s.value for s in Lifecycle)
    value_index = first_true(bad)
    if value_index is not None:
        row = first_true(pc.equal(encoded.indices, value_index)) or 0
        value = text[value_index].as_py()
        shown = value if len(value) <= 60 else value[:57] + "..."
        raise where.fail(row, f"{name} must be {expected}, got {shown!r}")


def _check_validated(
    where: _Where, name: str, encoded: pa.DictionaryArray, validator: Callable[[Any, str], Any]
) -> None:
    """Run ``validator`` on each distinct value; the first refusal names a row holding that value."""
    for value_index, value in enumerate(encoded.dictionary.to_pylist()):
        try:
            validator(value, name)
        except ValidationError as exc:
            row = first_true(pc.equal(encoded.indices, value_index)) or 0
            raise where.fail(row, str(exc)) from None


def _check_memory_ids(where: _Where, rows: pa.Table) -> None:
    """Each ``memory_id`` must be the id the memory service derives from the row's namespace and key."""
    columns = {"namespace": rows.column("namespace"), "key": rows.column("key")}
    triples = pa.table({**columns, "id": _storage(rows.column("memory_id"))})
    distinct = triples.group_by(triples.column_names).aggregate([])
    for namespace, key, stored in zip(*(distinct.column(c).to_pylist() for c in triples.column_names), strict=True):
        expected = memory_uuid(namespace, key)
        if stored != expected.bytes:
            mask = pc.and_(pc.equal(columns["namespace"], namespace), pc.equal(columns["key"], key))
            raise where.fail(
                first_true(mask) or 0,
                f"memory_id {uuid.UUID(bytes=stored)} is not the id of {namespace} / {key} ({expected}), "
                "so the memory could not be found by its namespace and key",
            )


def _check_suspects(where: _Where, name: str, text: pa.ChunkedArray, *, objects: bool) -> None:
    """Parse, with the strict parser, the rows a regex flags as possibly lenient or too deep."""
    suspects = pc.match_substring_regex(text, _SUSPECT_JSON)
    for index in np.flatnonzero(suspects.to_numpy()).tolist():
        value = text[index].as_py()
        problem = _json_problem(value, objects)
        if problem is not None:
            raise where.fail(index, f"{name} is {problem}")
        try:
            validate_json_value(json.loads(value), name)
        except ValidationError as exc:
            raise where.fail(index, str(exc)) from None


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


def _finite_float(token: str) -> float:
    number = float(token)
    if not math.isfinite(number):
        raise ValueError(f"number {token[:40]} is out of the range of a double")
    return number


def _json_problem(value: str, objects: bool) -> str | None:
    """Why ``value`` is not strict JSON (or not an object when required); None when it is fine."""
    try:
        parsed = json.loads(value, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:
        return f"not valid JSON ({exc})"
    if objects and not isinstance(parsed, dict):
        return f"a JSON {type(parsed).__name__}, not an object"
    return None


def _report_duplicate(loaded: LoadedTable, key: tuple[str, ...], con: Any) -> None:
    con.register(_CHECKED, with_row_numbers(loaded.rows.select(list(key))))
    try:
        found = con.execute(duplicate_key_sql(key, _CHECKED)).fetchall()
    finally:
        con.unregister(_CHECKED)
    first, last = int(found[0][0]) - 1, int(found[0][1]) - 1
    value = ", ".join(str(loaded.rows.column(c)[first].as_py()) for c in key)
    where, inside = loaded.locate(first)
    raise loaded.fail(last, f"{'/'.join(key)} {value} is repeated (first at row {inside} of {where})")
