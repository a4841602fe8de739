"""OpenTelemetry GenAI traces: any-agent exports and standard OTLP/JSON.

Both layouts go through one path (see :mod:`._spans` for reading): every span
becomes one event, in file order (exporters list spans in *end* order, so the
root usually comes last), and every trace id in the file becomes one session.

Event types: the span's ``gen_ai.operation.name`` (``invoke_agent``,
``call_llm``, ``execute_tool``, ``chat``, ``embeddings``...), or ``span``
when it has none.

Ids:

* Trace and span ids may be JSON integers wider than 64 bits (any-agent
  writes 128-bit trace ids as decimal numbers). They are parsed as exact
  Python integers, never floats, and kept as lowercase hex: 32 digits for
  trace ids, 16 for span ids. Negative integers (signed exports) are read as
  two's complement; values that do not fit in 128 (64) bits, floats, and
  all-zero ids are errors. Strings are read as hex (OTLP/JSON), as decimal
  when not of hex width, or as base64 (protobuf JSON mapping).
* Session id = the 128-bit trace id as a UUID.
* Event id = ``uuid5`` of (``otel``, trace id, span id); a span id repeated
  within a trace adds the span's position and content hash.
* ``event_data`` is the raw span, except that the any-agent integer ids
  (``context``/``parent`` ``trace_id`` and ``span_id``) and any other integer
  outside the signed 64-bit range become exact decimal strings, so they
  survive JSON storage and have one type in every span.

Root span: the span with no parent; failing that (a partial export), one
whose parent is not in the file, preferring ``invoke_agent``, then the
earliest start. Spans whose parent is missing are counted as
``orphan_spans``.

Times: ``start_time``/``end_time`` (or ``startTimeUnixNano``) integer
nanoseconds become UTC datetimes floored to microseconds; the exact values
are in event metadata (``start_time_ns``, ``end_time_ns``, ``duration_ns``).
An event's timestamp is its span's start.

Session fields: ``agent`` = the root span's ``gen_ai.agent.name``, else the
first span's ``gen_ai.agent.name`` in the trace, else the resource
``service.name`` (unless it is ``unknown_service...``), else ``"otel"``.
``summary`` = the file's ``final_output`` when it is a string and the file
holds one trace. Metadata: ``format``, ``variant`` (``any-agent``/``otlp``),
``source_path``, ``trace_id``, ``root_span_id``, ``root_span_name``,
``root_attributes``, ``service_name``, ``span_count``, ``orphan_spans``,
``models``/``model`` (``gen_ai.request.model``, else
``gen_ai.response.model``), ``tokens`` and ``cost`` (``gen_ai.usage.*``
summed over spans that have no descendant carrying usage, so an agent span
that repeats its children's totals is not counted twice), ``tools``
(``gen_ai.tool.name`` of tool spans), ``errors`` (spans whose status is
error or that carry ``error.type``), ``final_output`` (one-trace files).
A cost that is not a number, or whose sum is too big for a float, is left
out of ``cost`` rather than failing the file.

Example:
    An any-agent export, whose 128-bit trace id is a bare JSON integer:

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp(), "OPENAI_trace.json")
    >>> _ = path.write_text(
    ...     '{"spans": [{"name": "invoke_agent [any_agent]", "parent": {"trace_id": null, "span_id": null},'
    ...     ' "context": {"trace_id": 100927429609276267646756448943279827607, "span_id": 12324293800750531911},'
    ...     ' "attributes": {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "any_agent"}}],'
    ...     ' "final_output": "2025"}'
    ... )
    >>> session = parse(path)[0]
    >>> session.agent, session.summary, session.metadata["trace_id"]
    ('any_agent', '2025', '4bedea77bb33b9c5f280371eae21ea97')
"""

from __future__ import annotations

import json
import math
import re
import uuid
from pathlib import Path
from typing import Any

from agentlog.io.importers import _common as c
from agentlog.io.importers._spans import Span, read
from agentlog.io.importers.model import ImportedEvent, ImportedSession

__all__ = ["FORMAT", "parse", "sniff"]

FORMAT = "otel"
"""The format name used by :func:`~agentlog.io.importers.detect_format`."""

_SNIFF = re.compile(r'\A\s*[\[{]\s*(?:\{\s*)?"(?:spans|resourceSpans|resource_spans|name|context)"\s*:')
_TOKENS = {
    "gen_ai.usage.input_tokens": "input",
    "gen_ai.usage.prompt_tokens": "input",
    "gen_ai.usage.output_tokens": "output",
    "gen_ai.usage.completion_tokens": "output",
    "gen_ai.usage.cache_read_input_tokens": "cache_read",
    "gen_ai.usage.cache_read.input_tokens": "cache_read",
    "gen_ai.usage.cache_creation_input_tokens": "cache_creation",
    "gen_ai.usage.cache_creation.input_tokens": "cache_creation",
    "gen_ai.usage.reasoning_tokens": "reasoning",
}
_COSTS = {"gen_ai.usage.input_cost": "input", "gen_ai.usage.output_cost": "output"}


def sniff(head: bytes | str) -> bool:
    r"""Whether the start of a file looks like a trace export.

    Args:
        head: The first bytes of the file (a few KB).

    Example:
        >>> sniff(b'{\n  "spans": [\n    {\n      "name": "call_llm"')
        True
        >>> sniff(b'{"resourceSpans":[{"resource":{}')
        True
        >>> sniff(b'{"type":"user"}')
        False
    """
    text = head.decode("utf-8", errors="replace") if isinstance(head, bytes) else head
    text = text.removeprefix("\ufeff")
    if _SNIFF.match(text) is None:
        return False
    if '"resourceSpans"' in text[:200] or re.match(r'\A\s*\{\s*"spans"\s*:', text):
        return True
    return ('"trace_id"' in text or '"traceId"' in text) and '"span_id"' in text


def _number(value: object) -> float | None:
    """A cost attribute as a float; ``None`` when it is not a number (or an integer too big for a float)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError:
        return None


def _event(span: Span, session_id: str, index: int, duplicate: bool, present: set[str], root: Span) -> ImportedEvent:
    attrs = span.attributes
    meta: dict[str, Any] = {"json_path": span.where}
    if span.line is not None:
        meta["line"] = span.line
    meta.update(trace_id=span.trace_id, span_id=span.span_id)
    if span.parent_id is not None:
        meta["parent_span_id"] = span.parent_id
        if span.parent_id not in present:
            meta["orphan"] = True
    if span is root:
        meta["is_root"] = True
    if span.name is not None:
        meta["span_name"] = span.name
    if span.scope is not None:
        meta["scope"] = span.scope
    if span.start_ns is not None:
        meta["start_time_ns"] = span.start_ns
    if span.end_ns is not None:
        meta["end_time_ns"] = span.end_ns
        if span.start_ns is not None:
            meta["duration_ns"] = span.end_ns - span.start_ns
    if span.status is not None:
        meta["status"] = span.status
    if span.status == "error" or attrs.get("error.type") is not None:
        meta["is_error"] = True
    model = attrs.get("gen_ai.request.model") or attrs.get("gen_ai.response.model")
    if isinstance(model, str):
        meta["model"] = model
    for key, name in (("gen_ai.tool.name", "tool"), ("gen_ai.agent.name", "agent_name")):
        if isinstance(attrs.get(key), str):
            meta[name] = attrs[key]
    tokens = {name: v for key, name in _TOKENS.items() if (v := c.as_int(attrs.get(key))) is not None}
    if tokens:
        meta["tokens"] = tokens
    operation = attrs.get("gen_ai.operation.name")
    etype = c.event_type(operation) if isinstance(operation, str) and operation else "span"
    if duplicate:
        content = json.dumps(span.raw, sort_keys=True, default=str).encode("utf-8")
        event_id = c.derived_uuid(FORMAT, session_id, span.span_id, index, c.digest(content))
    else:
        event_id = c.derived_uuid(FORMAT, session_id, span.span_id)
    timestamp = c.ns_to_datetime(span.start_ns) if span.start_ns is not None else None
    return ImportedEvent(event_id, etype, span.raw, meta, timestamp)


def _root(spans: list[Span], present: set[str]) -> Span:
    candidates = [s for s in spans if s.parent_id is None]
    if not candidates:
        candidates = [s for s in spans if s.parent_id not in present]
    if not candidates:  # a cycle: every parent is in the file
        candidates = spans

    def rank(span: Span) -> tuple[int, int]:
        is_agent = span.attributes.get("gen_ai.operation.name") == "invoke_agent"
        start = span.start_ns if span.start_ns is not None else c.INT64_MAX
        return (0 if is_agent else 1, start)

    return min(candidates, key=rank)


def _usage_leaves(spans: list[Span]) -> list[Span]:
    """Spans with usage attributes and no descendant that also has them."""
    parents = {s.span_id: s.parent_id for s in spans}
    with_usage = [s for s in spans if any(k in s.attributes for k in (*_TOKENS, *_COSTS))]
    covered: set[str] = set()
    for span in with_usage:
        parent, steps = span.parent_id, 0
        while parent is not None and parent not in covered and steps < len(spans):
            covered.add(parent)
            parent, steps = parents.get(parent), steps + 1
    return [s for s in with_usage if s.span_id not in covered]


def _session(trace_id: str, spans: list[Span], path: Path, variant: str, final: tuple[bool, Any]) -> ImportedSession:
    session_id = str(uuid.UUID(hex=trace_id))
    present = {s.span_id for s in spans}
    root = _root(spans, present)
    seen: set[str] = set()
    totals = c.Totals()
    events: list[ImportedEvent] = []
    for index, span in enumerate(spans):
        event = _event(span, session_id, index, span.span_id in seen, present, root)
        seen.add(span.span_id)
        events.append(event)
        totals.see_time(event.timestamp)
        if span.end_ns is not None:
            totals.see_time(c.ns_to_datetime(span.end_ns))
        if "model" in event.metadata:
            totals.models[event.metadata["model"]] += 1
        if "tool" in event.metadata and event.event_type in ("execute_tool", "span"):
            totals.tools[event.metadata["tool"]] += 1
        if event.metadata.get("is_error"):
            totals.error(f"span:{index}")
    cost: dict[str, float] = {}
    for span in _usage_leaves(spans):
        totals.add_tokens({n: v for k, n in _TOKENS.items() if (v := c.as_int(span.attributes.get(k))) is not None})
        for key, name in _COSTS.items():
            value = _number(span.attributes.get(key))
            if value is not None:
                cost[name] = cost.get(name, 0.0) + value

    agent = root.attributes.get("gen_ai.agent.name")
    if not isinstance(agent, str) or not agent.strip():
        named = [
            s.attributes["gen_ai.agent.name"]
            for s in spans
            if isinstance(s.attributes.get("gen_ai.agent.name"), str) and s.attributes["gen_ai.agent.name"].strip()
        ]
        service = root.resource.get("service.name")
        if named:
            agent = named[0]
        elif isinstance(service, str) and service.strip() and not service.startswith("unknown_service"):
            agent = service
        else:
            agent = "otel"
    metadata: dict[str, Any] = {
        "format": FORMAT,
        "variant": variant,
        "source_path": str(path),
        "trace_id": trace_id,
        "root_span_id": root.span_id,
        "root_span_name": root.name,
        "root_attributes": c.storable(root.attributes),
    }
    if isinstance(root.resource.get("service.name"), str):
        metadata["service_name"] = root.resource["service.name"]
    metadata["span_count"] = len(spans)
    metadata["orphan_spans"] = sum(1 for s in spans if s.parent_id is not None and s.parent_id not in present)
    metadata.update(totals.metadata())
    cost = {name: round(value, 12) for name, value in cost.items() if math.isfinite(value)}  # no overflowed sum
    if cost:
        metadata["cost"] = cost
    summary = None
    if final[0]:
        metadata["final_output"] = final[1]
        summary = final[1] if isinstance(final[1], str) and final[1].strip() else None
    return ImportedSession(
        id=uuid.UUID(hex=trace_id),
        agent=agent,
        started_at=totals.first,
        ended_at=totals.last,
        summary=summary,
        metadata=metadata,
        events=tuple(events),
    )


def parse(path: Path) -> list[ImportedSession]:
    """Parse a trace file into one session per trace id.

    Args:
        path: An any-agent ``*_trace.json`` export, an OTLP/JSON document, or
            OTLP/JSON lines.

    Returns:
        One session per trace id, in order of first appearance.

    Raises:
        ImportFormatError: The file cannot be read, is not valid JSON (with
            its line), or a member is missing or of the wrong type (with its
            JSON path, e.g. ``$.spans[3].context.trace_id``).

    Example:
        A standard OTLP/JSON export, whose agent is named by the resource:

        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp(), "trace.json")
        >>> _ = path.write_text(
        ...     '{"resourceSpans": [{"resource": {"attributes": [{"key": "service.name",'
        ...     ' "value": {"stringValue": "support-bot"}}]}, "scopeSpans": [{"spans": [{"name": "chat gpt-4o",'
        ...     ' "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174", "attributes":'
        ...     ' [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}}]}]}]}]}'
        ... )
        >>> session = parse(path)[0]
        >>> session.agent, session.metadata["variant"], [e.event_type for e in session.events]
        ('support-bot', 'otlp', ['chat'])
    """
    document = read(path)
    traces: dict[str, list[Span]] = {}
    for span in document.spans:
        traces.setdefault(span.trace_id, []).append(span)
    single = len(traces) == 1
    final = (document.has_final_output and single, document.final_output)
    return [_session(trace_id, spans, path, document.variant, final) for trace_id, spans in traces.items()]
