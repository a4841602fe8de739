"""Reading trace files into one span shape (private; see :mod:`.otel`).

Two layouts are read: the any-agent export (``{"spans": [...],
"final_output": ...}``, or a bare list of such spans) and standard OTLP/JSON
(``{"resourceSpans": [{"resource", "scopeSpans": [{"scope", "spans"}]}]}``,
one document per file or one per line as the collector's file exporter
writes). Every problem is reported with its JSON path, e.g.
``$.spans[3].context.trace_id``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentlog.errors import ImportFormatError
from agentlog.io.importers import _common as c
from agentlog.regular_files import open_regular_file

_HEX = {128: re.compile(r"[0-9a-f]{32}"), 64: re.compile(r"[0-9a-f]{16}")}
_DECIMAL = re.compile(r"-?[0-9]+")
_MAX_DIGITS = 1000
"""Longest decimal string read as an integer (``int()`` refuses more than 4300 digits)."""
_STATUS = {
    "0": "unset",
    "1": "ok",
    "2": "error",
    "status_code_unset": "unset",
    "status_code_ok": "ok",
    "status_code_error": "error",
}


@dataclass(slots=True)
class Span:
    """One span, whatever layout it came from."""

    where: str
    line: int | None
    raw: dict[str, Any]
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str | None
    start_ns: int | None
    end_ns: int | None
    status: str | None
    attributes: dict[str, Any]
    resource: dict[str, Any]
    scope: str | None


@dataclass(slots=True)
class Document:
    """The spans of one trace file plus file-level facts."""

    variant: str
    spans: list[Span]
    final_output: Any = None
    has_final_output: bool = False


class _Reader:
    def __init__(self, path: Path, line: int | None) -> None:
        self.path = path
        self.line = line

    def fail(self, where: str, message: str) -> ImportFormatError:
        return ImportFormatError(f"{where}: {message}", path=self.path, line=self.line)

    def need(self, obj: dict[str, Any], key: str, kind: type, where: str, *, optional: bool = False) -> Any:
        value = obj.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, kind):
            expected = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
            raise self.fail(
                f"{where}.{key}",
                f"must be {expected.get(kind, kind.__name__)}, got {c.type_name(value)}",
            )
        return value

    def parent_id(self, value: object, where: str) -> str | None:
        """A parent span id as 16 hex digits; null, empty and all-zero ids mean no parent."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        number = self._id_number(value, 64, where)
        return None if number == 0 else format(number & ((1 << 64) - 1), "016x")

    def hex_id(self, value: object, bits: int, where: str) -> str:
        """An id as lowercase hex of ``bits`` bits; negative ints are two's complement."""
        number = self._id_number(value, bits, where)
        if number == 0:
            raise self.fail(where, "id is all zeros (invalid in OpenTelemetry)")
        return format(number & ((1 << bits) - 1), f"0{bits // 4}x")

    def _id_number(self, value: object, bits: int, where: str) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number: int | None = value
        elif isinstance(value, str):
            text = value.strip().lower().removeprefix("0x")
            if _HEX[bits].fullmatch(text):
                number = int(text, 16)
            elif _DECIMAL.fullmatch(text) and len(text) <= 45:
                number = int(text)
            else:
                number = _base64_id(value, bits)
        else:
            lost = " (a float has lost the id's precision)" if isinstance(value, float) else ""
            raise self.fail(where, f"id must be an integer or a hex string, got {c.type_name(value)}{lost}")
        if number is None:
            raise self.fail(where, f"not a {bits}-bit id: {str(value)[:50]!r}")
        if not -(1 << (bits - 1)) <= number < (1 << bits):
            raise self.fail(where, f"id {number} does not fit in {bits} bits")
        return number

    def nanos(self, value: object, where: str) -> int | None:
        if value is None:
            return None
        if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
            if len(value.strip()) > _MAX_DIGITS:  # int() refuses thousands of digits; far out of range anyway
                raise self.fail(where, f"time {value.strip()[:30]}... ns is out of range")
            value = int(value.strip())
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(where, f"must be integer nanoseconds, got {c.type_name(value)}")
        if not 0 <= value <= c.INT64_MAX:
            raise self.fail(where, f"time {value} ns is out of range")
        return value


def _base64_id(value: str, bits: int) -> int | None:
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return int.from_bytes(data, "big") if len(data) == bits // 8 else None


def _status(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip().lower().removeprefix("statuscode.")
    return _STATUS.get(text, text)


def _any_value(reader: _Reader, value: object, where: str) -> Any:
    if not isinstance(value, dict):
        raise reader.fail(where, f"attribute value must be an object, got {c.type_name(value)}")
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return value["boolValue"]
    if "intValue" in value:
        raw = value["intValue"]
        if isinstance(raw, str) and _DECIMAL.fullmatch(raw.strip()) and len(raw.strip()) <= _MAX_DIGITS:
            return int(raw.strip())
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        raise reader.fail(f"{where}.intValue", f"not an integer: {str(raw)[:40]!r}")
    if "doubleValue" in value:
        return value["doubleValue"]
    if "bytesValue" in value:
        return value["bytesValue"]
    if "arrayValue" in value:
        inner = value["arrayValue"]
        values = inner.get("values", []) if isinstance(inner, dict) else None
        if not isinstance(values, list):
            raise reader.fail(f"{where}.arrayValue", "must hold a 'values' array")
        return [_any_value(reader, v, f"{where}.arrayValue.values[{i}]") for i, v in enumerate(values)]
    if "kvlistValue" in value:
        inner = value["kvlistValue"]
        values = inner.get("values", []) if isinstance(inner, dict) else None
        if not isinstance(values, list):
            raise reader.fail(f"{where}.kvlistValue", "must hold a 'values' array")
        return _key_values(reader, values, f"{where}.kvlistValue.values")
    return None


def _key_values(reader: _Reader, items: list[Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for index, item in enumerate(items):
        here = f"{where}[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise reader.fail(here, 'attribute must be {"key": string, "value": {...}}')
        out[item["key"]] = _any_value(reader, item.get("value", {}), f"{here}.value")
    return out


def _any_agent_span(reader: _Reader, span: object, where: str) -> Span:
    if not isinstance(span, dict):
        raise reader.fail(where, f"span must be an object, got {c.type_name(span)}")
    context = reader.need(span, "context", dict, where)
    trace_id = reader.hex_id(context.get("trace_id"), 128, f"{where}.context.trace_id")
    span_id = reader.hex_id(context.get("span_id"), 64, f"{where}.context.span_id")
    parent = reader.need(span, "parent", dict, where, optional=True)
    parent_id = None
    if parent is not None:
        parent_id = reader.parent_id(parent.get("span_id"), f"{where}.parent.span_id")
    status = reader.need(span, "status", dict, where, optional=True) or {}
    attributes = reader.need(span, "attributes", dict, where, optional=True) or {}
    resource = reader.need(span, "resource", dict, where, optional=True) or {}
    resource_attrs = reader.need(resource, "attributes", dict, f"{where}.resource", optional=True)
    name = reader.need(span, "name", str, where, optional=True)
    return Span(
        where,
        reader.line,
        _stringify_ids(span),
        trace_id,
        span_id,
        parent_id,
        name,
        reader.nanos(span.get("start_time"), f"{where}.start_time"),
        reader.nanos(span.get("end_time"), f"{where}.end_time"),
        _status(status.get("status_code")),
        attributes,
        resource_attrs or {},
        None,
    )


def _stringify_ids(span: dict[str, Any]) -> dict[str, Any]:
    """The span for storage: ``trace_id``/``span_id`` integers as decimal strings."""
    out: dict[str, Any] = c.storable(span)
    for key in ("context", "parent"):
        ids = out.get(key)
        if isinstance(ids, dict):
            out[key] = {
                k: str(v) if k in ("trace_id", "span_id") and isinstance(v, int) and not isinstance(v, bool) else v
                for k, v in ids.items()
            }
    return out


def _otlp_span(reader: _Reader, span: object, where: str, resource: dict[str, Any], scope: str | None) -> Span:
    if not isinstance(span, dict):
        raise reader.fail(where, f"span must be an object, got {c.type_name(span)}")
    trace_id = reader.hex_id(span.get("traceId"), 128, f"{where}.traceId")
    span_id = reader.hex_id(span.get("spanId"), 64, f"{where}.spanId")
    parent_id = reader.parent_id(span.get("parentSpanId"), f"{where}.parentSpanId")
    items = reader.need(span, "attributes", list, where, optional=True) or []
    status = reader.need(span, "status", dict, where, optional=True) or {}
    name = reader.need(span, "name", str, where, optional=True)
    return Span(
        where,
        reader.line,
        c.storable(span),
        trace_id,
        span_id,
        parent_id,
        name,
        reader.nanos(span.get("startTimeUnixNano"), f"{where}.startTimeUnixNano"),
        reader.nanos(span.get("endTimeUnixNano"), f"{where}.endTimeUnixNano"),
        _status(status.get("code")),
        _key_values(reader, items, f"{where}.attributes"),
        resource,
        scope,
    )


def _otlp_spans(reader: _Reader, doc: dict[str, Any], prefix: str) -> list[Span]:
    spans: list[Span] = []
    groups = reader.need(doc, "resourceSpans", list, prefix)
    for r_index, group in enumerate(groups):
        r_where = f"{prefix}.resourceSpans[{r_index}]"
        if not isinstance(group, dict):
            raise reader.fail(r_where, "must be an object")
        resource_obj = reader.need(group, "resource", dict, r_where, optional=True) or {}
        items = reader.need(resource_obj, "attributes", list, f"{r_where}.resource", optional=True)
        resource = _key_values(reader, items or [], f"{r_where}.resource.attributes")
        key = "scopeSpans" if "scopeSpans" in group else "instrumentationLibrarySpans"
        for s_index, scoped in enumerate(reader.need(group, key, list, r_where, optional=True) or []):
            s_where = f"{r_where}.{key}[{s_index}]"
            if not isinstance(scoped, dict):
                raise reader.fail(s_where, "must be an object")
            scope_obj = scoped.get("scope") or scoped.get("instrumentationLibrary") or {}
            scope = scope_obj.get("name") if isinstance(scope_obj, dict) else None
            for index, span in enumerate(reader.need(scoped, "spans", list, s_where, optional=True) or []):
                spans.append(
                    _otlp_span(
                        reader,
                        span,
                        f"{s_where}.spans[{index}]",
                        resource,
                        scope if isinstance(scope, str) else None,
                    )
                )
    return spans


def _document(reader: _Reader, doc: object) -> Document:
    if isinstance(doc, list):
        return Document("any-agent", [_any_agent_span(reader, s, f"$[{i}]") for i, s in enumerate(doc)])
    if not isinstance(doc, dict):
        raise reader.fail("$", f"expected an object or an array of spans, got {c.type_name(doc)}")
    if "resourceSpans" in doc:
        return Document("otlp", _otlp_spans(reader, doc, "$"))
    if "spans" in doc:
        spans = reader.need(doc, "spans", list, "$")
        return Document(
            "any-agent",
            [_any_agent_span(reader, s, f"$.spans[{i}]") for i, s in enumerate(spans)],
            c.storable(doc.get("final_output")),
            "final_output" in doc,
        )
    raise reader.fail("$", "no 'spans' or 'resourceSpans' member: not a trace file")


def read(path: Path) -> Document:
    """Read a trace file (one JSON document, or OTLP/JSON lines).

    Raises:
        ImportFormatError: Unreadable or not a regular file, invalid JSON (with its line) or a
            bad member (with its JSON path).
    """
    try:
        with open_regular_file(path) as handle:
            data = handle.read()
    except OSError as exc:
        raise ImportFormatError(f"cannot read file: {exc.strerror or exc}", path=path) from None
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=path) from None
    try:
        doc = c.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise ImportFormatError(
                f"invalid JSON at column {exc.colno}: {exc.msg}", path=path, line=exc.lineno
            ) from None
    except RecursionError:
        raise ImportFormatError("JSON nested too deeply", path=path) from None
    except ValueError as exc:
        raise ImportFormatError(f"invalid JSON: {exc}", path=path) from None
    else:
        try:
            return _document(_Reader(path, None), doc)
        except RecursionError:
            raise ImportFormatError("JSON nested too deeply", path=path) from None
    spans: list[Span] = []
    for number, raw_line in enumerate(text.split("\n"), start=1):
        if raw_line.strip():
            record = c.load_record(raw_line.strip().encode("utf-8"), path=path, line=number)
            reader = _Reader(path, number)
            if "resourceSpans" not in record:
                raise reader.fail("$", "each line must be an OTLP/JSON document with 'resourceSpans'")
            spans.extend(_otlp_spans(reader, record, "$"))
    return Document("otlp", spans)
