"""Helpers shared by the importers: reading JSON lines, ids, timestamps, totals.

Private: the public surface is in :mod:`agentlog.io.importers`.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agentlog.errors import ImportFormatError
from agentlog.io.importers.model import EVENT_TYPE_PATTERN
from agentlog.regular_files import open_regular_file

NAMESPACE = uuid.UUID("5c2f0f9e-7a43-4d0e-9b8e-2f1d6c0a9b71")
"""Namespace of every ``uuid5`` the importers derive (never change it: ids would move)."""

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BIG_DIGITS = re.compile(rb"\d{19,}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_BAD_TYPE_CHARS = re.compile(r"[^A-Za-z0-9_.:-]")


def type_name(value: object) -> str:
    """The JSON name of a Python value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def digest(raw: bytes) -> str:
    """A short, stable content hash of a raw record."""
    return hashlib.sha256(raw).hexdigest()[:32]


def derived_uuid(kind: str, *parts: object) -> uuid.UUID:
    """A stable ``uuid5`` from a source kind and identifying parts."""
    return uuid.uuid5(NAMESPACE, ":".join([kind, *(str(p) for p in parts)]))


def as_uuid(value: object) -> uuid.UUID | None:
    """``value`` as a UUID when it is a string holding one, else ``None``."""
    if not isinstance(value, str) or len(value) > 45:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def session_uuid(kind: str, value: str) -> uuid.UUID:
    """The source's session id when it is a UUID, else a stable ``uuid5`` of it."""
    return as_uuid(value) or derived_uuid(kind, "session", value)


def event_type(*parts: object) -> str:
    """Join parts with ``.`` into a valid event type, replacing forbidden characters."""
    text = ".".join(str(p) for p in parts if isinstance(p, str) and p)
    text = _BAD_TYPE_CHARS.sub("_", text)[:128]
    if not text:
        return "unknown"
    if not text[0].isalpha() or not text[0].isascii():
        text = ("x" + text)[:128]
    return text if EVENT_TYPE_PATTERN.match(text) else "unknown"


def parse_timestamp(value: object, *, path: Path, line: int | None, where: str = "timestamp") -> datetime | None:
    """Parse an ISO-8601 timestamp to aware UTC; naive values are taken as UTC.

    Raises:
        ImportFormatError: ``value`` is neither ``None`` nor an ISO-8601 string.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ImportFormatError(f"{where} must be an ISO-8601 string, got {type_name(value)}", path=path, line=line)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ImportFormatError(f"{where} is not an ISO-8601 timestamp: {value[:60]!r}", path=path, line=line) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ImportFormatError(f"{where} out of range: {value[:60]!r}", path=path, line=line) from None


def ns_to_datetime(ns: int) -> datetime:
    """Integer nanoseconds since the epoch to an aware UTC datetime (microseconds, floored)."""
    return _EPOCH + timedelta(microseconds=ns // 1000)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return value if INT64_MIN <= value <= INT64_MAX else str(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    return value


def storable(obj: Any, raw: bytes | None = None) -> Any:
    """Make a parsed JSON value storable: big ints to strings, lone surrogates to U+FFFD.

    ``raw`` (the source bytes) lets the common case skip the walk entirely.
    """
    if raw is not None and not _BIG_DIGITS.search(raw) and not _SURROGATE_ESCAPE.search(raw):
        return obj
    return _clean(obj)


def loads(text: str | bytes) -> Any:
    """``json.loads`` with exact integers and NaN/Infinity rejected."""
    return json.loads(text, parse_constant=_reject_constant)


def load_record(raw: bytes, *, path: Path, line: int) -> dict[str, Any]:
    """Decode one JSON-lines record (an object) or raise ImportFormatError with its line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=path, line=line) from None
    try:
        obj = loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(f"invalid JSON at column {exc.colno}: {exc.msg}", path=path, line=line) from None
    except RecursionError:
        raise ImportFormatError("JSON nested too deeply", path=path, line=line) from None
    except ValueError as exc:
        raise ImportFormatError(f"invalid JSON: {exc}", path=path, line=line) from None
    if not isinstance(obj, dict):
        raise ImportFormatError(f"expected a JSON object per line, got {type_name(obj)}", path=path, line=line)
    try:
        cleaned: dict[str, Any] = storable(obj, raw)
    except RecursionError:
        raise ImportFormatError("JSON nested too deeply", path=path, line=line) from None
    return cleaned


def iter_json_lines(path: Path) -> Iterator[tuple[int, bytes, dict[str, Any]]]:
    """Yield ``(line_number, raw_bytes, record)`` for each non-blank line, streaming.

    A last line without its newline that is not (yet) valid UTF-8 JSON is the
    record an agent is still writing: it is left out, and an import once the
    line is complete takes it (as a log that grew).

    Raises:
        ImportFormatError: The file cannot be read or is not a regular file, or a line is not a JSON object.
    """
    try:
        handle = open_regular_file(path)
    except OSError as exc:
        raise ImportFormatError(f"cannot read file: {exc.strerror or exc}", path=path) from None
    with handle:
        number = 0
        while True:
            try:
                raw = handle.readline()
            except OSError as exc:
                raise ImportFormatError(
                    f"cannot read file: {exc.strerror or exc}", path=path, line=number + 1
                ) from None
            if not raw:
                return
            number += 1
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            finished = raw.endswith(b"\n")
            raw = raw.strip()
            if not raw:
                continue
            if not finished and _cut_short(raw):
                return  # the last line, still being written
            yield number, raw, load_record(raw, path=path, line=number)


def _cut_short(raw: bytes) -> bool:
    """Whether a line is not valid UTF-8 JSON (for a last line without newline: an unfinished write)."""
    try:
        loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return True
    return False


def as_int(value: object) -> int | None:
    """``value`` if it is an integer (not a bool), else ``None``."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Totals:
    """Accumulates the session-level facts every importer reports."""

    def __init__(self) -> None:
        self.models: Counter[str] = Counter()
        self.tools: Counter[str] = Counter()
        self.tokens: dict[str, int] = {}
        self.error_keys: set[str] = set()
        self.first: datetime | None = None
        self.last: datetime | None = None

    def see_time(self, when: datetime | None) -> None:
        """Widen the session's time span to include ``when``."""
        if when is None:
            return
        if self.first is None or when < self.first:
            self.first = when
        if self.last is None or when > self.last:
            self.last = when

    def add_tokens(self, usage: dict[str, int]) -> None:
        """Add token counts (only integer values are kept)."""
        for key, value in usage.items():
            self.tokens[key] = self.tokens.get(key, 0) + value

    def error(self, key: str) -> None:
        """Count one failure; the same key (e.g. a call id) counts once."""
        self.error_keys.add(key)

    def metadata(self) -> dict[str, Any]:
        """``models``/``model``/``tools``/``errors``/``tokens`` as session metadata."""
        out: dict[str, Any] = {"models": list(self.models)}
        if self.models:
            # Most used; ties go to the first seen (Counter keeps insertion order).
            out["model"] = max(self.models, key=lambda m: self.models[m])
        out["tools"] = dict(self.tools)
        out["errors"] = len(self.error_keys)
        if self.tokens:
            out["tokens"] = dict(self.tokens)
        return out


_SCALAR_MEMBER = re.compile(
    r'\s*"((?:[^"\\]|\\.)*)"\s*:\s*'
    r'("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)\s*(,|\})'
)


def head_records(head: bytes | str, limit: int = 5) -> tuple[list[dict[str, Any]], str | None]:
    """The JSON objects on the first complete lines of a file's head.

    Returns:
        ``(records, partial)``: up to ``limit`` objects parsed from the first
        non-blank lines (stopping at the first line that is not a JSON object),
        and, when no line is complete, the text of the cut first line.
    """
    text = head.decode("utf-8", errors="replace") if isinstance(head, bytes) else head
    text = text.removeprefix("\ufeff")
    lines = text.split("\n")
    records: list[dict[str, Any]] = []
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            obj = loads(line)
        except (ValueError, RecursionError):
            obj = None
        if not isinstance(obj, dict):
            if not records and index == len(lines) - 1:
                return [], line
            break
        records.append(obj)
        if len(records) >= limit:
            break
    return records, None


def leading_scalars(text: str) -> dict[str, Any]:
    """The top-level members with scalar values at the start of a (cut) JSON object.

    Reads ``{"a": 1, "b": "x", "c": {...`` as ``{"a": 1, "b": "x"}``: enough to
    recognise a format from a first line too long to read whole.
    """
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        return {}
    out: dict[str, Any] = {}
    pos = len(text) - len(stripped) + 1
    while True:
        match = _SCALAR_MEMBER.match(text, pos)
        if match is None:
            return out
        try:
            out[loads(f'"{match.group(1)}"')] = loads(match.group(2))
        except (ValueError, RecursionError):
            return out
        if match.group(3) == "}":
            return out
        pos = match.end()
