"""Argument validation shared by every public entry point.

Each function either returns the value in canonical form or raises
:class:`~agentlog.errors.ValidationError` naming the argument and the value.
They run in the caller's thread, before anything is queued for the writer, so a
rejected call never touches the store.

Documented bounds:

* JSON payloads (``event_data``, ``metadata``, ``state``, memory values) must be
  made of ``dict`` (string keys), ``list``/``tuple``, ``str``, ``int``, finite
  ``float``, ``bool`` and ``None``; nest at most :data:`MAX_JSON_DEPTH` levels;
  and serialise to at most :data:`MAX_JSON_BYTES` bytes of UTF-8.
* Names (``agent``, ``user_id``, ``app_name``): 1 to :data:`MAX_NAME_LENGTH`
  characters, no control characters, not only whitespace.
* Event types: :data:`EVENT_TYPE_PATTERN` (an identifier such as
  ``task_created`` or ``response_item.function_call``).
* Text (summaries): at most :data:`MAX_TEXT_BYTES` bytes of UTF-8.
* Datetimes must be timezone-aware; naive datetimes are rejected rather than
  guessed (use ``datetime.now(timezone.utc)``).
"""

from __future__ import annotations

import json
import math
import numbers
import re
import unicodedata
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from agentlog.errors import ValidationError

__all__ = [
    "EVENT_TYPE_PATTERN",
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_LIMIT",
    "MAX_NAME_LENGTH",
    "MAX_OFFSET",
    "MAX_TEXT_BYTES",
    "control_character",
    "dump_json",
    "validate_aware_datetime",
    "validate_event_type",
    "validate_event_types",
    "validate_json_object",
    "validate_json_value",
    "validate_limit",
    "validate_name",
    "validate_offset",
    "validate_optional_name",
    "validate_positive_int",
    "validate_since_until",
    "validate_text",
    "validate_uuid",
]

MAX_JSON_DEPTH = 32
"""Deepest nesting of containers allowed in a JSON payload (the top object is depth 1)."""

MAX_JSON_BYTES = 1_048_576
"""Largest serialised JSON payload, in bytes of UTF-8 (1 MiB)."""

MAX_TEXT_BYTES = 262_144
"""Largest free-text field (a summary), in bytes of UTF-8 (256 KiB)."""

MAX_NAME_LENGTH = 128
"""Longest agent / user / app name, in characters."""

MAX_LIMIT = 100_000
"""Largest ``limit`` a list or search call accepts."""

MAX_OFFSET = 10**15
"""Largest ``offset`` a list call accepts (far past any store's row count; DuckDB's OFFSET is a 64-bit int)."""

EVENT_TYPE_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_.:\-]{0,127}")
"""Event types are identifiers: a letter, then letters, digits, ``_ . : -`` (128 max)."""

_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
"""Unicode categories a name or key may not hold: controls (C0, DEL, C1), format characters (zero-width
and bidirectional marks), surrogates, and line and paragraph separators."""


def control_character(value: str) -> str | None:
    r"""The first character of ``value`` that a one-line name may not hold (see above), or None.

    Example:
        >>> control_character("claude"), control_character("claude\x85code"), control_character("a\u202eb")
        (None, '\x85', '\u202e')
    """
    return next((char for char in value if unicodedata.category(char) in _INVISIBLE_CATEGORIES), None)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def validate_uuid(value: Any, field: str) -> uuid.UUID:
    """Return ``value`` as a :class:`uuid.UUID`, accepting a UUID or its string form.

    Args:
        value: A ``uuid.UUID`` or a string such as ``"b231255f-6ed9-4440-80de-958bcf7b4f9f"``.
        field: The argument name, for the error message.

    Returns:
        The UUID.

    Raises:
        ValidationError: If ``value`` is neither a UUID nor a well-formed UUID string.

    Example:
        >>> validate_uuid("b231255f-6ed9-4440-80de-958bcf7b4f9f", "session_id").version
        4
    """
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise ValidationError(
        f"{field} must be a UUID or a UUID string, got {_short(value)}", field=field, value=_short(value)
    )


def validate_name(value: Any, field: str) -> str:
    """Check a short name such as an agent, user id or app name.

    Args:
        value: The name.
        field: The argument name, for the error message.

    Returns:
        The name, unchanged.

    Raises:
        ValidationError: If it is not a non-blank string of at most
            :data:`MAX_NAME_LENGTH` characters without control characters.

    Example:
        >>> validate_name("claude", "agent")
        'claude'
    """
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string, got {_short(value)}", field=field, value=_short(value))
    if not value.strip():
        raise ValidationError(f"{field} must not be empty", field=field, value=_short(value))
    if len(value) > MAX_NAME_LENGTH:
        raise ValidationError(
            f"{field} is {len(value)} characters long; at most {MAX_NAME_LENGTH} are allowed",
            field=field,
            value=_short(value),
        )
    char = control_character(value)
    if char is not None:
        message = f"{field} contains control characters (U+{ord(char):04X}): {_short(value)}"
        raise ValidationError(message, field=field, value=_short(value))
    _check_encodable(value, field)
    return value


def validate_optional_name(value: Any, field: str) -> str | None:
    """Like :func:`validate_name`, but ``None`` passes through.

    Example:
        >>> validate_optional_name(None, "user_id") is None
        True
    """
    return None if value is None else validate_name(value, field)


def validate_event_type(value: Any, field: str = "event_type") -> str:
    """Check an event type against :data:`EVENT_TYPE_PATTERN`.

    Args:
        value: The event type, e.g. ``"task_created"``.
        field: The argument name, for the error message.

    Returns:
        The event type, unchanged.

    Raises:
        ValidationError: If it is not a string matching the pattern.

    Example:
        >>> validate_event_type("decision_made")
        'decision_made'
    """
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string, got {_short(value)}", field=field, value=_short(value))
    if not EVENT_TYPE_PATTERN.fullmatch(value):
        raise ValidationError(
            f"{field} must start with a letter and contain only letters, digits and _ . : - "
            f"(at most 128 characters), got {_short(value)}",
            field=field,
            value=_short(value),
        )
    return value


def validate_event_types(value: Any, field: str = "event_type") -> list[str]:
    """Check one event type or a non-empty list (tuple, set) of them.

    Args:
        value: ``"task_created"`` or ``["task_created", "task_completed"]``.
        field: The argument name, for the error message.

    Returns:
        The event types, as a list.

    Raises:
        ValidationError: If it is neither a string nor a collection of strings,
            is empty, or an item is not a valid event type.

    Example:
        >>> validate_event_types("decision_made")
        ['decision_made']
    """
    if isinstance(value, str):
        return [validate_event_type(value, field)]
    if not isinstance(value, list | tuple | set | frozenset):
        raise ValidationError(
            f"{field} must be an event type or a list of them, got {_short(value)}", field=field, value=_short(value)
        )
    if not value:
        raise ValidationError(
            f"{field} must name at least one event type, got an empty {type(value).__name__}",
            field=field,
            value=_short(value),
        )
    return [validate_event_type(item, field) for item in value]


def validate_text(value: Any, field: str, *, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """Check a free-text field such as a summary.

    Args:
        value: The text.
        field: The argument name, for the error message.
        max_bytes: Largest size in bytes of UTF-8.

    Returns:
        The text, unchanged.

    Raises:
        ValidationError: If it is not a string, cannot be encoded as UTF-8, or is too large.

    Example:
        >>> validate_text("Fixed the TypeError", "summary")
        'Fixed the TypeError'
    """
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string, got {_short(value)}", field=field, value=_short(value))
    size = len(_check_encodable(value, field))
    if size > max_bytes:
        raise ValidationError(
            f"{field} is {size} bytes of UTF-8; at most {max_bytes} are allowed", field=field, value=_short(value)
        )
    return value


def _check_encodable(value: str, field: str) -> bytes:
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(
            f"{field} is not valid Unicode text (lone surrogate at position {exc.start})",
            field=field,
            value=_short(value),
        ) from None


def validate_json_value(value: Any, field: str) -> Any:
    """Check that ``value`` is plain JSON data within the documented bounds.

    Args:
        value: Any value built from dict/list/tuple/str/int/float/bool/None.
        field: The argument name; errors name the path inside it, e.g. ``event_data['a'][2]``.

    Returns:
        ``value``, unchanged.

    Raises:
        ValidationError: For a non-JSON type, a non-string key, NaN or infinity,
            nesting deeper than :data:`MAX_JSON_DEPTH`, or more than
            :data:`MAX_JSON_BYTES` once serialised.

    Example:
        >>> validate_json_value({"task_id": "123", "tags": ["a", "b"]}, "event_data")
        {'task_id': '123', 'tags': ['a', 'b']}
    """
    _walk(value, field, 1)
    dump_json(value, field)
    return value


def validate_json_object(value: Any, field: str, *, allow_none: bool = True) -> dict[str, Any]:
    """Check a JSON object argument (``event_data``, ``metadata``, ``state``).

    Args:
        value: A mapping with string keys, or ``None`` (read as ``{}``) when ``allow_none``.
        field: The argument name, for error messages.
        allow_none: Whether ``None`` stands for an empty object.

    Returns:
        A plain ``dict`` (a copy of a non-dict mapping).

    Raises:
        ValidationError: If it is not a mapping, or its content fails
            :func:`validate_json_value`.

    Example:
        >>> validate_json_object(None, "metadata")
        {}
    """
    if value is None and allow_none:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"{field} must be a dict (a JSON object), got {type(value).__name__}", field=field, value=_short(value)
        )
    obj = value if isinstance(value, dict) else dict(value)
    _walk(obj, field, 1)
    return obj


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
"""What ``json.dumps`` builds on every call with these options (a third of its cost for small values)."""


def dump_json(value: Any, field: str) -> str:
    """Serialise validated JSON data compactly and check its size.

    Args:
        value: Data that passed :func:`validate_json_value` (or the object check).
        field: The argument name, for the error message.

    Returns:
        Compact JSON text (``separators=(",", ":")``, UTF-8 kept as is).

    Raises:
        ValidationError: If the text exceeds :data:`MAX_JSON_BYTES` or cannot be encoded.

    Example:
        >>> dump_json({"a": [1, 2]}, "event_data")
        '{"a":[1,2]}'
    """
    if type(value) is dict and not value:
        return "{}"  # the usual metadata, at a tenth of the cost
    try:
        text = _ENCODER.encode(value)
    except (TypeError, ValueError) as exc:  # pragma: no cover - _walk catches these first
        raise ValidationError(f"{field} is not JSON-serialisable: {exc}", field=field) from None
    size = len(_check_encodable(text, field))
    if size > MAX_JSON_BYTES:
        raise ValidationError(
            f"{field} is {size} bytes once serialised; at most {MAX_JSON_BYTES} are allowed",
            field=field,
            value=f"<{size} bytes>",
        )
    return text


_SCALARS = (str, int, bool, type(None))


def _walk(value: Any, path: str, depth: int) -> None:
    """Check types, finiteness and depth of one JSON value, recursively."""
    if isinstance(value, _SCALARS):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(
                f"{path} is {value!r}; NaN and infinity are not valid JSON", field=path, value=repr(value)
            )
        return
    if isinstance(value, dict):
        if depth > MAX_JSON_DEPTH:
            raise ValidationError(
                f"{path} nests deeper than {MAX_JSON_DEPTH} levels", field=path, value="<deeply nested>"
            )
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(
                    f"{path} has a non-string key {_short(key)}; JSON object keys must be strings",
                    field=path,
                    value=_short(key),
                )
            if not isinstance(item, _SCALARS):
                _walk(item, f"{path}[{key!r}]", depth + 1)
        return
    if isinstance(value, list | tuple):
        if depth > MAX_JSON_DEPTH:
            raise ValidationError(
                f"{path} nests deeper than {MAX_JSON_DEPTH} levels", field=path, value="<deeply nested>"
            )
        for index, item in enumerate(value):
            if not isinstance(item, _SCALARS):
                _walk(item, f"{path}[{index}]", depth + 1)
        return
    kind = type(value).__name__
    hint = " (convert it with str())" if isinstance(value, uuid.UUID | datetime) else ""
    if type(value).__module__ == "numpy":  # np.bool_ is named "bool": say whose
        kind, hint = f"numpy.{kind}", " (convert it with .item() or .tolist())"
    raise ValidationError(
        f"{path} is a {kind}, which is not JSON-serialisable{hint}",
        field=path,
        value=_short(value),
    )


def validate_limit(value: Any, field: str = "limit") -> int:
    """Check a ``limit`` argument: an int from 1 to :data:`MAX_LIMIT`.

    Example:
        >>> validate_limit(20)
        20
    """
    return validate_positive_int(value, field, maximum=MAX_LIMIT)


def validate_offset(value: Any, field: str = "offset") -> int:
    """Check an ``offset`` argument: an int from 0 to :data:`MAX_OFFSET`.

    Example:
        >>> validate_offset(0)
        0
    """
    if not _is_integer(value) or value < 0:
        raise ValidationError(f"{field} must be an integer >= 0, got {_short(value)}", field=field, value=_short(value))
    number = int(value)
    if number > MAX_OFFSET:
        raise ValidationError(f"{field} must be at most {MAX_OFFSET}, got {number}", field=field, value=number)
    return number


def validate_positive_int(value: Any, field: str, *, maximum: int | None = None) -> int:
    """Check an int argument ≥ 1 (and ≤ ``maximum`` when given).

    Example:
        >>> import numpy as np
        >>> validate_positive_int(7, "days"), validate_positive_int(np.int64(7), "days")  # numpy ints as ints
        (7, 7)
    """
    if not _is_integer(value) or value < 1:
        raise ValidationError(f"{field} must be an integer >= 1, got {_short(value)}", field=field, value=_short(value))
    number = int(value)
    if maximum is not None and number > maximum:
        raise ValidationError(f"{field} must be at most {maximum}, got {number}", field=field, value=number)
    return number


def _is_integer(value: Any) -> bool:
    """An int or another integral number (a numpy integer from a frame), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def validate_aware_datetime(value: Any, field: str) -> datetime:
    """Check a timezone-aware datetime and return it in UTC.

    Args:
        value: A ``datetime`` with ``tzinfo``.
        field: The argument name, for the error message.

    Returns:
        The same instant in UTC.

    Raises:
        ValidationError: If it is not a datetime, is naive (a naive datetime is
            ambiguous: pass ``datetime.now(timezone.utc)`` or attach a tzinfo), or
            is an instant Python cannot represent in UTC (``datetime.max`` in a zone
            west of UTC, say).

    Example:
        >>> from datetime import datetime, timezone
        >>> validate_aware_datetime(datetime(2026, 1, 1, tzinfo=timezone.utc), "since").year
        2026
    """
    if not isinstance(value, datetime):
        raise ValidationError(f"{field} must be a datetime, got {_short(value)}", field=field, value=_short(value))
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValidationError(
            f"{field} is a naive datetime ({value.isoformat()}); pass a timezone-aware one, "
            "e.g. datetime.now(timezone.utc) - timedelta(days=7)",
            field=field,
            value=value.isoformat(),
        )
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValidationError(
            f"{field} ({value.isoformat()}) is outside the years 1-9999 once converted to UTC",
            field=field,
            value=value.isoformat(),
        ) from None


def validate_since_until(since: Any, until: Any) -> tuple[datetime | None, datetime | None]:
    """Check the optional bounds of a time window: aware datetimes, ``since`` before ``until``.

    An empty or reversed window is a mistake, not a question whose answer is nothing.

    Args:
        since: The start (included), or ``None``.
        until: The end (left out), or ``None``.

    Returns:
        Both bounds in UTC (``None`` stays ``None``).

    Raises:
        ValidationError: A bound is not an aware datetime, or ``since >= until``.

    Example:
        >>> from datetime import datetime, timezone
        >>> day = datetime(2026, 1, 2, tzinfo=timezone.utc)
        >>> validate_since_until(day, None)[0].day
        2
        >>> validate_since_until(day, day)
        Traceback (most recent call last):
        ...
        agentlog.errors.ValidationError: since (2026-01-02T00:00:00+00:00) must be before until (2026-01-02...)
    """
    start = None if since is None else validate_aware_datetime(since, "since")
    end = None if until is None else validate_aware_datetime(until, "until")
    if start is not None and end is not None and start >= end:
        raise ValidationError(
            f"since ({start.isoformat()}) must be before until ({end.isoformat()})",
            field="since",
            value=start.isoformat(),
        )
    return start, end
