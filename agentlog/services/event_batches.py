"""Validate many events at once for ``SessionService.add_events``.

Two input shapes are accepted:

* a sequence of mappings, each with ``event_type``, ``event_data`` and
  optionally ``metadata``, ``event_id`` (or ``id``) and ``timestamp``; they are
  validated one by one exactly like ``add_event`` arguments;
* an Arrow table (or anything with ``to_arrow()``, such as a Polars
  DataFrame) with columns ``event_type`` (string), ``event_data`` (JSON object
  text) and optionally ``metadata`` (JSON object text), ``id`` (UUID, 16-byte
  binary or UUID text) and ``timestamp`` (timezone-aware timestamp, in the
  years 1-9999; nanoseconds are floored to microseconds, as the store keeps
  them). This is the fast path: every check is vectorised, with Python only
  looking at the rows a regular expression flags.

JSON text must be strict RFC 8259 (an object, within the bounds of
:mod:`agentlog.validation`). Its checks are those of
:mod:`agentlog.services.json_columns` and run in the writer's op
(:class:`~agentlog.services.session_ops.AppendEventTable`), in the transaction
that inserts the rows, so a bad value still stores nothing:
:func:`prepare_event_table` returns the scan of every value as a check for the
op to run while it inserts, and DuckDB's JSON parser checks the syntax of the
rows inserted. Ids must be unique within the table (first occurrence kept); the
syntax of the rows left out is checked here, as they are never inserted.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from agentlog.errors import ValidationError
from agentlog.services.json_columns import check_json_column, first_invalid, row_of
from agentlog.services.session_ops import JSON_TEXT_COLUMNS, PreparedEvent
from agentlog.store.tables import TIMESTAMP, first_outside_years
from agentlog.validation import (
    EVENT_TYPE_PATTERN,
    dump_json,
    validate_aware_datetime,
    validate_event_type,
    validate_json_object,
    validate_uuid,
)

__all__ = ["chooses_ids", "prepare_event", "prepare_event_rows", "prepare_event_table"]

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
        both = "event_id" in event and "id" in event
        if both and _as_event_id(event["event_id"], where) != _as_event_id(event["id"], where):
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


def _as_event_id(value: Any, where: str) -> uuid.UUID | None:
    """An event id as a UUID, to compare ``id`` with ``event_id`` (a UUID and its text are the same id)."""
    return None if value is None else validate_uuid(value, where + "id")


def prepare_event_table(data: Any, cursor: Any) -> tuple[pa.Table, Callable[[], None]]:
    """Validate an Arrow-like table of events and return it in the writer's column shape.

    The JSON text is checked later, by the writer's op, while the rows are
    inserted (see :mod:`agentlog.services.json_columns`): the returned check
    scans it, and DuckDB's parser checks its syntax. Every other check is done
    here.

    Args:
        data: A ``pyarrow.Table`` or an object with ``to_arrow()`` (Polars DataFrame).
        cursor: A DuckDB cursor used to run the vectorised checks (reads nothing from the store).

    Returns:
        A table with columns ``id`` (uuid), ``event_type``, ``event_data``,
        ``metadata``, ``timestamp`` (UTC, nulls allowed) and ``input_row`` (the
        row of ``data``, ascending), ids unique (first occurrence kept); and the
        check of the JSON text of every row of ``data`` (raises
        :class:`~agentlog.errors.ValidationError`).

    Raises:
        ValidationError: Naming the column and the first offending row.

    Example:
        >>> import duckdb
        >>> t = pa.table({"event_type": ["x", "x"], "event_data": ['{"a":1}', '{"a":NaN}']})
        >>> rows, check = prepare_event_table(t, duckdb.connect())
        >>> rows.column_names
        ['id', 'event_type', 'event_data', 'metadata', 'timestamp', 'input_row']
        >>> check()
        Traceback (most recent call last):
        ...
        agentlog.errors.ValidationError: event_data at row 1 is not valid JSON: NaN is not valid JSON
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
    json_columns = {name: _string_column(table, name) for name in JSON_TEXT_COLUMNS if name in names}
    _check_pattern(
        event_type,
        _distinct_if_few(event_type),
        EVENT_TYPE_PATTERN.pattern,
        "event_type",
        "an identifier such as task_created",
    )
    ids = _id_column(table, n)
    result = pa.table(
        {
            "id": ids,
            "event_type": event_type,
            "event_data": json_columns["event_data"],
            "metadata": json_columns.get("metadata", pa.repeat(pa.scalar("{}"), n)),
            "timestamp": _timestamp_column(table, n),
            "input_row": pa.array(np.arange(n, dtype=np.int64)),
        }
    )
    check = functools.partial(_check_json_columns, json_columns)
    if "id" not in names or _unique(ids, cursor):
        return result, check
    kept = _first_occurrences(result, cursor)
    # rows left out are never inserted, so DuckDB's parser would not see them: check them here
    left_out = result.filter(pc.invert(pc.is_in(result.column("input_row"), value_set=kept.column("input_row"))))
    error = first_invalid(left_out, list(json_columns))
    if error is not None:
        raise error
    return kept, check


def chooses_ids(events: Any) -> bool:
    """Whether the caller of ``add_events`` chose any event id (else every id is new and need not be looked up).

    A sequence of mappings chooses one when an event has a non-null ``event_id`` or ``id``; a table when it
    has an ``id`` column. Anything else (checked later) counts as choosing ids.

    Example:
        >>> chooses_ids([{"event_type": "x", "event_data": {}}]), chooses_ids(pa.table({"id": [None]}))
        (False, True)
    """
    if isinstance(events, Sequence) and not isinstance(events, str | bytes):
        return any(
            not isinstance(e, Mapping) or e.get("event_id") is not None or e.get("id") is not None for e in events
        )
    names = getattr(events, "column_names", None)
    if names is None:
        names = getattr(events, "columns", None)
    return names is None or "id" in names


def _check_json_columns(columns: dict[str, pa.ChunkedArray]) -> None:
    """Check JSON text columns side by side (Arrow releases the GIL); an error names the first column's row."""
    if len(columns["event_data"]) < 10_000:  # not worth threads
        for name, full in columns.items():
            check_json_column(full, _distinct_if_few(full), name)
        return
    with ThreadPoolExecutor(len(columns)) as pool:
        checks = [pool.submit(check_json_column, full, _distinct_if_few(full), name) for name, full in columns.items()]
        for check in checks:
            check.result()


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
        row = row_of(column, values[bad])
        value = values[bad].as_py()
        raise ValidationError(f"{name} at row {row} must be {expected}, got {value!r}", field=f"{name}[{row}]")


def _distinct_if_few(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The column's distinct values when a sample says they repeat a lot (metadata, types), else the column."""
    sample = column.slice(0, 1000)
    if len(column) <= 1000 or pc.count_distinct(sample).as_py() > len(sample) // 4:
        return column
    return pa.chunked_array([pc.unique(column)])


def _unique(ids: pa.Array | pa.ChunkedArray, cursor: Any) -> bool:
    """Whether the ids are distinct: first their two halves XORed (a sort), then, on a tie, exactly in DuckDB."""
    storage = (ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids).storage
    end = 2 * (storage.offset + len(storage))
    halves = np.frombuffer(storage.buffers()[1], dtype=np.uint64, count=end)[2 * storage.offset :]
    folded = np.sort(halves[0::2] ^ halves[1::2])
    if not (folded[1:] == folded[:-1]).any():
        return True  # equal ids would fold to equal values
    cursor.register("agentlog_checked_ids", pa.table({"id": ids}))
    try:
        distinct = cursor.execute("SELECT count(DISTINCT id) FROM agentlog_checked_ids").fetchall()[0][0]
    finally:
        cursor.unregister("agentlog_checked_ids")
    return bool(distinct == len(ids))


def _id_column(table: pa.Table, n: int) -> pa.Array | pa.ChunkedArray:
    if "id" not in table.column_names:
        return _random_uuids(n)
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


def _random_uuids(n: int) -> pa.Array:
    """``n`` version-4 UUIDs (what ``uuid.uuid4()`` makes, from ``os.urandom``), without a Python loop."""
    raw = np.frombuffer(os.urandom(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    storage = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), n, [None, pa.py_buffer(raw.tobytes())])
    return pa.ExtensionArray.from_storage(pa.uuid(), storage)


def _timestamp_column(table: pa.Table, n: int) -> pa.Array | pa.ChunkedArray:
    if "timestamp" not in table.column_names:
        return pa.nulls(n, TIMESTAMP)
    column = table.column("timestamp")
    if not pa.types.is_timestamp(column.type) or column.type.tz is None:
        raise ValidationError(
            f"column timestamp must be a timezone-aware timestamp, got {column.type}", field="timestamp"
        )
    if column.type.unit == "ns":  # always within the years 1-9999; floored to the microseconds the store keeps
        return pc.floor_temporal(column.cast(pa.timestamp("ns", tz="UTC")), unit="microsecond").cast(TIMESTAMP)
    row = first_outside_years(column)
    if row is not None:
        raise ValidationError(f"timestamp at row {row} is outside the years 1-9999 (UTC)", field=f"timestamp[{row}]")
    return column.cast(TIMESTAMP)


def _first_occurrences(table: pa.Table, cursor: Any) -> pa.Table:
    cursor.register("agentlog_event_ids", table.select(["id", "input_row"]))
    try:
        keep = cursor.sql("SELECT min(input_row) AS n FROM agentlog_event_ids GROUP BY id ORDER BY 1").to_arrow_table()
    finally:
        cursor.unregister("agentlog_event_ids")
    return table.take(keep.column("n"))
