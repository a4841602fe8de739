"""Validate many events at once for ``SessionService.add_events``.

Two input shapes are accepted:

* a sequence of mappings, each with ``event_type``, ``event_data`` and
  optionally ``metadata``, ``event_id`` (or ``id``) and ``timestamp``; they are
  validated one by one exactly like ``add_event`` arguments;
* an Arrow table (or anything with ``to_arrow()``, such as a Polars
  DataFrame) with columns ``event_type`` (string), ``event_data`` (JSON object
  text) and optionally ``metadata`` (JSON object text), ``id`` (UUID, 16-byte
  binary or UUID text) and ``timestamp`` (timezone-aware timestamp). This is
  the fast path: every check is vectorised (RE2 regular expressions in DuckDB,
  which also uses every core), with Python only looking at rows a cheap
  pre-filter flags as possibly too deep.

JSON text must be strict RFC 8259. All the checks run in one parallel DuckDB
scan: ``json_valid`` and ``json_type`` for every row; DuckDB's parser is lenient
only about ``NaN``/``Infinity`` and trailing commas, so rows where a cheap
pattern (:data:`LENIENT_CANDIDATE`) finds those letters or a comma before a
closing bracket, and rows with more than :data:`~agentlog.validation.MAX_JSON_DEPTH`
opening brackets, are parsed again by Python's strict parser and checked in
full. Ids must be unique within the table (first occurrence kept).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from agentlog.errors import ValidationError
from agentlog.services.session_ops import PreparedEvent
from agentlog.store.tables import TIMESTAMP
from agentlog.validation import (
    EVENT_TYPE_PATTERN,
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    dump_json,
    validate_aware_datetime,
    validate_event_type,
    validate_json_object,
    validate_json_value,
    validate_uuid,
)

__all__ = ["LENIENT_CANDIDATE", "prepare_event", "prepare_event_rows", "prepare_event_table"]

LENIENT_CANDIDATE = r"(?i)nan|inf|,\s*[\]}]"
"""Rows this pattern finds may use what DuckDB accepts but strict JSON does not."""

_ALLOWED_KEYS = frozenset({"event_type", "event_data", "metadata", "event_id", "id", "timestamp"})


def prepare_event(
    event_type: Any,
    event_data: Any,
    metadata: Any,
    event_id: Any,
    timestamp: Any,
    *,
    where: str = "",
) -> PreparedEvent:
    """Validate the arguments of one event (``add_event`` and the mapping path).

    Args:
        event_type: The event type.
        event_data: The payload (a dict).
        metadata: Event metadata (a dict or ``None``).
        event_id: A UUID (or its text) chosen by the caller, or ``None`` for a new one.
        timestamp: An aware datetime, or ``None`` to let the writer stamp it.
        where: Prefix for field names in errors (``events[3].``).

    Returns:
        The event, ready for the writer.

    Raises:
        ValidationError: For any bad argument.

    Example:
        >>> prepare_event("task_created", {"task_id": "1"}, None, None, None).event_type
        'task_created'
    """
    event_type = validate_event_type(event_type, f"{where}event_type")
    data = validate_json_object(event_data, f"{where}event_data", allow_none=False)
    meta = validate_json_object(metadata, f"{where}metadata")
    return PreparedEvent(
        id=validate_uuid(event_id, f"{where}event_id") if event_id is not None else uuid.uuid4(),
        event_type=event_type,
        event_data=data,
        event_data_json=dump_json(data, f"{where}event_data"),
        metadata=meta,
        metadata_json=dump_json(meta, f"{where}metadata"),
        timestamp=validate_aware_datetime(timestamp, f"{where}timestamp") if timestamp is not None else None,
    )


def prepare_event_rows(events: Sequence[Mapping[str, Any]]) -> list[PreparedEvent]:
    """Validate a sequence of event mappings; duplicate ids keep their first occurrence.

    Example:
        >>> len(prepare_event_rows([{"event_type": "x", "event_data": {}}]))
        1
    """
    prepared: list[PreparedEvent] = []
    seen: set[uuid.UUID] = set()
    for index, event in enumerate(events):
        where = f"events[{index}]."
        if not isinstance(event, Mapping):
            raise ValidationError(
                f"events[{index}] must be a mapping with event_type and event_data, got {type(event).__name__}",
                field=f"events[{index}]",
            )
        unknown = set(event) - _ALLOWED_KEYS
        if unknown:
            raise ValidationError(
                f"events[{index}] has unknown keys {sorted(unknown)}; allowed: {sorted(_ALLOWED_KEYS)}",
                field=f"events[{index}]",
            )
        if "event_id" in event and "id" in event and event["event_id"] != event["id"]:
            raise ValidationError(f"events[{index}] has both id and event_id, and they differ", field=where + "id")
        if "event_type" not in event or "event_data" not in event:
            raise ValidationError(f"events[{index}] needs event_type and event_data", field=f"events[{index}]")
        item = prepare_event(
            event["event_type"],
            event["event_data"],
            event.get("metadata"),
            event.get("event_id", event.get("id")),
            event.get("timestamp"),
            where=where,
        )
        if item.id in seen:
            continue
        seen.add(item.id)
        prepared.append(item)
    return prepared


def prepare_event_table(data: Any, cursor: Any) -> pa.Table:
    """Validate an Arrow-like table of events and return it in the writer's column shape.

    Args:
        data: A ``pyarrow.Table`` or an object with ``to_arrow()`` (Polars DataFrame).
        cursor: A DuckDB cursor used to run the vectorised checks (reads nothing from the store).

    Returns:
        A table with columns ``id`` (uuid), ``event_type``, ``event_data``,
        ``metadata`` and ``timestamp`` (UTC, nulls allowed), ids unique (first
        occurrence kept).

    Raises:
        ValidationError: Naming the column and the first offending row.

    Example:
        >>> import duckdb
        >>> t = pa.table({"event_type": ["x"], "event_data": ['{"a":1}']})
        >>> prepare_event_table(t, duckdb.connect()).column_names
        ['id', 'event_type', 'event_data', 'metadata', 'timestamp']
    """
    table = _as_arrow(data)
    n = table.num_rows
    names = set(table.column_names)
    unknown = names - _ALLOWED_KEYS
    if unknown or not {"event_type", "event_data"} <= names:
        raise ValidationError(
            f"events table needs columns event_type and event_data (optional: metadata, id, timestamp); "
            f"got {table.column_names}",
            field="events",
        )
    event_type = _string_column(table, "event_type")
    _check_pattern(
        event_type,
        _distinct_if_few(event_type),
        EVENT_TYPE_PATTERN.pattern,
        "event_type",
        "an identifier such as task_created",
    )
    json_columns = {"event_data": _string_column(table, "event_data")}
    if "metadata" in names:
        json_columns["metadata"] = _string_column(table, "metadata")
    given_ids = "id" in names
    ids = _id_column(table, n)
    unique = _check_json_columns(json_columns, ids if given_ids else None, cursor)
    metadata = json_columns.get("metadata", pa.array(["{}"] * n, pa.string()))
    timestamps = _timestamp_column(table, n)
    result = pa.table(
        {
            "id": ids,
            "event_type": event_type,
            "event_data": json_columns["event_data"],
            "metadata": metadata,
            "timestamp": timestamps,
        }
    )
    return result if unique else _first_occurrences(result, cursor)


def _as_arrow(data: Any) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    to_arrow = getattr(data, "to_arrow", None)
    if callable(to_arrow):
        table = to_arrow()
        if isinstance(table, pa.Table):
            return table
    raise ValidationError(
        f"events must be a list of dicts, a pyarrow.Table or a polars.DataFrame, got {type(data).__name__}",
        field="events",
    )


def _string_column(table: pa.Table, name: str) -> pa.ChunkedArray:
    column = table.column(name)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        raise ValidationError(f"column {name} must hold strings, got {column.type}", field=name)
    if column.null_count:
        first = pc.index(pc.is_null(column), True).as_py()
        raise ValidationError(f"column {name} has a null at row {first}", field=f"{name}[{first}]")
    return column.cast(pa.string())


def _first_false(mask: pa.ChunkedArray | pa.Array) -> int | None:
    if pc.all(mask).as_py():
        return None
    return int(pc.index(mask, False).as_py())


def _check_pattern(column: pa.ChunkedArray, values: pa.ChunkedArray, pattern: str, name: str, expected: str) -> None:
    bad = _first_false(pc.match_substring_regex(values, f"^(?:{pattern})$"))
    if bad is not None:
        row = _row_of(column, values[bad])
        value = values[bad].as_py()
        raise ValidationError(f"{name} at row {row} must be {expected}, got {value!r}", field=f"{name}[{row}]")


def _distinct_if_few(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The column's distinct values when a sample says they repeat a lot (metadata, types), else the column."""
    sample = column.slice(0, 1000)
    if len(column) <= 1000 or pc.count_distinct(sample).as_py() > len(sample) // 4:
        return column
    return pa.chunked_array([pc.unique(column)])


_JSON_CHECK = (
    "SELECT count(*) FILTER (WHERE NOT CASE WHEN json_valid(v) THEN json_type(v) = 'OBJECT' ELSE false END), "
    "list(v) FILTER (WHERE regexp_matches(v, $1) OR length(v) - length(replace(replace(v, '{', ''), '[', '')) > $2) "
    "FROM agentlog_checked_json"
)
"""Count the values that are not JSON objects; list those that need the strict check."""


def _check_json_columns(columns: dict[str, pa.ChunkedArray], ids: Any, cursor: Any) -> bool:
    """Check JSON object columns (one DuckDB scan each); return whether the ids are unique.

    Columns whose values repeat a lot are checked by their distinct values; an
    error then names the first row holding the bad value.
    """
    for name, full in columns.items():
        column = _distinct_if_few(full)
        too_big = _first_false(pc.less_equal(pc.binary_length(column), MAX_JSON_BYTES))
        if too_big is not None:
            row = _row_of(full, column[too_big])
            raise ValidationError(f"{name} at row {row} is larger than {MAX_JSON_BYTES} bytes", field=f"{name}[{row}]")
        cursor.register("agentlog_checked_json", pa.table({"v": column}))
        try:
            invalid, suspects = cursor.execute(_JSON_CHECK, [LENIENT_CANDIDATE, MAX_JSON_DEPTH]).fetchall()[0]
        finally:
            cursor.unregister("agentlog_checked_json")
        if invalid:
            _raise_first_invalid(full, name)
        for text in suspects or []:
            _check_strictly(text, f"{name}[{_row_of(full, text)}]")
    if ids is None:
        return True
    cursor.register("agentlog_checked_ids", pa.table({"id": ids}))
    try:
        distinct = cursor.execute("SELECT count(DISTINCT id) FROM agentlog_checked_ids").fetchall()[0][0]
    finally:
        cursor.unregister("agentlog_checked_ids")
    return bool(distinct == len(ids))


def _row_of(column: pa.ChunkedArray, value: Any) -> int:
    return int(pc.index(column, value).as_py())


def _check_strictly(text: str, field: str) -> None:
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ValidationError(f"{field} is not valid JSON: {exc}", field=field) from None
    if not isinstance(value, dict):
        raise ValidationError(f"{field} must be a JSON object, got {type(value).__name__}", field=field)
    validate_json_value(value, field)


def _raise_first_invalid(column: pa.ChunkedArray, name: str) -> None:
    for index, text in enumerate(column.to_pylist()):
        try:
            value = json.loads(text, parse_constant=_reject_constant)
        except ValueError as exc:
            raise ValidationError(f"{name} at row {index} is not valid JSON: {exc}", field=f"{name}[{index}]") from None
        if not isinstance(value, dict):
            raise ValidationError(
                f"{name} at row {index} must be a JSON object, got {type(value).__name__}", field=f"{name}[{index}]"
            )
    raise ValidationError(f"{name} holds invalid JSON (trailing comma?)", field=name)  # pragma: no cover


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


def _id_column(table: pa.Table, n: int) -> pa.Array | pa.ChunkedArray:
    if "id" not in table.column_names:
        return pa.array([uuid.uuid4().bytes for _ in range(n)], pa.uuid())
    column = table.column("id")
    if column.null_count:
        first = pc.index(pc.is_null(column), True).as_py()
        raise ValidationError(f"column id has a null at row {first}", field=f"id[{first}]")
    if column.type == pa.uuid():
        return column
    if pa.types.is_fixed_size_binary(column.type) and column.type.byte_width == 16:
        return column.cast(pa.uuid())
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        values = [validate_uuid(v, f"id[{i}]").bytes for i, v in enumerate(column.to_pylist())]
        return pa.array(values, pa.uuid())
    raise ValidationError(f"column id must hold UUIDs, got {column.type}", field="id")


def _timestamp_column(table: pa.Table, n: int) -> pa.Array | pa.ChunkedArray:
    if "timestamp" not in table.column_names:
        return pa.nulls(n, TIMESTAMP)
    column = table.column("timestamp")
    if not pa.types.is_timestamp(column.type) or column.type.tz is None:
        raise ValidationError(
            f"column timestamp must be a timezone-aware timestamp, got {column.type}", field="timestamp"
        )
    return column.cast(TIMESTAMP)


def _first_occurrences(table: pa.Table, cursor: Any) -> pa.Table:
    indexed = pa.table({"id": table.column("id"), "rn": pa.array(range(table.num_rows), pa.int64())})
    cursor.register("agentlog_event_ids", indexed)
    try:
        keep = cursor.execute("SELECT min(rn) FROM agentlog_event_ids GROUP BY id ORDER BY 1").fetchall()
    finally:
        cursor.unregister("agentlog_event_ids")
    return table.take(pa.array([row[0] for row in keep], pa.int64()))
