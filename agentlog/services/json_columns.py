"""Check columns of JSON object text in bulk (the Arrow path of ``add_events``).

A value is accepted when it is strict RFC 8259 JSON, an object, within the
bounds of :mod:`agentlog.validation` (at most :data:`~agentlog.validation.MAX_JSON_BYTES`
bytes, :data:`~agentlog.validation.MAX_JSON_DEPTH` levels, finite numbers). The
checks are split so that a million rows cost no Python work per row and little
time beyond the ``INSERT`` itself:

* :func:`check_json_column`: the size of every value, then one scan with the
  regular expression :data:`SUSPECT` (Arrow's RE2, the rows split between the
  cores) for the values DuckDB's parser would take although strict JSON does
  not (``NaN``, ``Infinity``, trailing commas, numbers too large for a float),
  that may not be objects (the first character is not ``{``), or that have more
  than ``MAX_JSON_DEPTH`` opening brackets. Only those are parsed again by
  Python's strict parser and checked in full. The bulk path runs it while the
  rows are inserted, and commits only if it passes.
* The syntax of every other value is checked by DuckDB's JSON parser when the
  rows are inserted into the ``JSON`` columns (the ``VARCHAR`` to ``JSON`` cast
  of the ``INSERT``, in the writer's transaction). When that cast fails,
  :func:`first_invalid` names the row; rows that are not inserted (repeated ids)
  are checked by :func:`first_invalid` instead.

Errors name the column and the row of the caller's table: ``event_data at row 7``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from agentlog.errors import ValidationError
from agentlog.validation import MAX_JSON_BYTES, MAX_JSON_DEPTH, validate_json_value

__all__ = [
    "LENIENT_CANDIDATE",
    "SUSPECT",
    "check_json_column",
    "error_position",
    "first_invalid",
    "row_of",
    "strict_error",
]

LENIENT_CANDIDATE = r"[:,\[][ \t\n\r]*[-+]?(?i:nan|inf)|,[ \t\n\r]*[\]}]"
"""Values this pattern finds may use what DuckDB's JSON parser accepts but strict JSON does not.

``NaN``/``Infinity`` in any case (a value, so after ``:``, ``,`` or ``[``), and a
comma before a closing bracket; the same letters inside strings (``"info"``) are
not matched, as a quote comes first.
"""

SUSPECT = (
    LENIENT_CANDIDATE
    # an exponent of three digits or more, or 309 digits in a row: the number may overflow to infinity
    + r"|[0-9][eE]\+?0*[1-9][0-9]{2}|[0-9]{309}"
    # the first character is not "{": not an object (or not JSON)
    + r"|^[ \t\n\r]*[^ \t\n\r{]"
    # more opening brackets than levels allowed: maybe too deep
    + rf"|^(?:[^\[{{]*[\[{{]){{{MAX_JSON_DEPTH + 1}}}"
)
"""Values this pattern finds are checked by Python's strict parser; DuckDB's parser checks the others."""

_SLICE_ROWS = 250_000
"""Rows per slice of the suspect scan; slices run on several threads (Arrow releases the GIL)."""


def check_json_column(full: pa.ChunkedArray, values: pa.ChunkedArray, name: str) -> None:
    """Check the size of every value, and the values :data:`SUSPECT` finds in full.

    Args:
        full: The column as the caller gave it (errors name its rows).
        values: The values to check: ``full`` or its distinct values.
        name: The column name, for errors.

    Raises:
        ValidationError: Naming the column and the first row of a rejected value.

    Example:
        >>> column = pa.chunked_array([['{"a": "NaN"}', '{"a": NaN}']])
        >>> check_json_column(column, column, "event_data")
        Traceback (most recent call last):
        ...
        agentlog.errors.ValidationError: event_data at row 1 is not valid JSON: NaN is not valid JSON
    """
    too_big = pc.greater(pc.binary_length(values), MAX_JSON_BYTES)
    if pc.any(too_big).as_py():
        row = row_of(full, values[pc.index(too_big, True).as_py()])
        raise ValidationError(f"{name} at row {row} is larger than {MAX_JSON_BYTES} bytes", field=f"{name}[{row}]")
    suspects = values.filter(_suspects(values)).to_pylist()
    rejected = [text for text in suspects if strict_error(text, name, 0) is not None]
    if rejected:
        # name the first row of the caller's table that holds a rejected value
        row = int(pc.index(pc.is_in(full, value_set=pa.array(rejected, pa.string())), True).as_py())
        error = strict_error(full[row].as_py(), name, row)
        assert error is not None
        raise error


def _suspects(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Where :data:`SUSPECT` matches, one slice of rows per thread."""
    slices = [values.slice(start, _SLICE_ROWS) for start in range(0, len(values), _SLICE_ROWS)]
    if len(slices) <= 1:
        return pc.match_substring_regex(values, SUSPECT)
    with ThreadPoolExecutor(min(len(slices), os.cpu_count() or 1)) as pool:
        masks = list(pool.map(lambda part: pc.match_substring_regex(part, SUSPECT), slices))
    return pa.chunked_array([chunk for mask in masks for chunk in mask.chunks], pa.bool_())


def first_invalid(table: pa.Table, names: Sequence[str]) -> ValidationError | None:
    """Find the first value that DuckDB's JSON parser rejects, column by column.

    Runs on a private in-memory DuckDB, so it also works after the writer's
    transaction failed on that value.

    Args:
        table: The rows, with the JSON text columns ``names`` and ``input_row``
            (ascending row numbers of the caller's table, named in the error).
        names: The JSON text columns, in the order they are checked.

    Returns:
        The error naming the column and the row, or ``None`` if every value parses.

    Example:
        >>> t = pa.table({"event_data": ['{"a":1}', '{"a":'], "input_row": pa.array([4, 9], pa.int64())})
        >>> first_invalid(t, ["event_data"]).field
        'event_data[9]'
    """
    con = duckdb.connect()
    try:
        con.register("agentlog_checked_rows", table)
        for name in names:
            found = con.execute(_first_invalid_sql(name)).fetchall()
            if found:
                row, text = found[0]
                return strict_error(text, name, row) or ValidationError(
                    f"{name} at row {row} is not valid JSON (DuckDB's JSON parser rejects it)", field=f"{name}[{row}]"
                )
    finally:
        con.close()
    return None


def _first_invalid_sql(name: str) -> str:
    """Row and text of the first value of column ``name`` that is not JSON (``name`` is ours, never input)."""
    return f'SELECT input_row, "{name}" FROM agentlog_checked_rows WHERE NOT json_valid("{name}") ORDER BY 1 LIMIT 1'


def strict_error(text: str, name: str, row: int) -> ValidationError | None:
    """What is wrong with ``text`` as a JSON object within the documented bounds, or ``None``.

    Args:
        text: The JSON text.
        name: The column name, for the error.
        row: The row of the caller's table, for the error.

    Example:
        >>> str(strict_error("[1, 2]", "metadata", 3))
        'metadata at row 3 must be a JSON object, got list'
        >>> strict_error('{"a": [1, 2]}', "metadata", 3) is None
        True
    """
    field = f"{name}[{row}]"
    replaced: list[Any] = []  # values of a key given again later in its object: DuckDB's parser checks them too

    def last_of_each_key(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key, item in pairs:
            if key in found:
                replaced.append(found[key])
            found[key] = item
        return found

    try:
        value = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=last_of_each_key)
    except (ValueError, RecursionError) as exc:
        return ValidationError(f"{name} at row {row} is not valid JSON: {exc}", field=field)
    if not isinstance(value, dict):
        return ValidationError(f"{name} at row {row} must be a JSON object, got {type(value).__name__}", field=field)
    try:
        validate_json_value(value, field)
        for item in replaced:  # a lone surrogate in a value a repeated key replaced, say
            validate_json_value(item, f"{field} (a value its key replaced)")
    except ValidationError as exc:
        return exc
    return None


def error_position(error: ValidationError, columns: Sequence[str]) -> tuple[int, int]:
    """Where an error of these checks points: the rank of its column in ``columns``, and its row.

    Errors name ``column[row]`` (and maybe a path inside the value) in ``field``;
    one that does not sorts last.

    Example:
        >>> error_position(ValidationError("...", field="metadata[12]['a']"), ["event_data", "metadata"])
        (1, 12)
    """
    match = _FIELD.match(error.field or "")
    if match is None or match[1] not in columns:
        return len(columns), 0
    return list(columns).index(match[1]), int(match[2])


_FIELD = re.compile(r"(\w+)\[(\d+)\]")


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


def row_of(column: pa.ChunkedArray, value: Any) -> int:
    """The row of the first ``value`` in ``column`` (also used by :mod:`agentlog.services.event_batches`).

    Example:
        >>> row_of(pa.chunked_array([["a", "b"], ["c"]]), "c")
        2
    """
    return int(pc.index(column, value).as_py())
