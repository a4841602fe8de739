"""Fuzzing the log parsers with mutated real logs: any content gives sessions or an ImportFormatError.

The real fixtures (Claude Code, Codex, OpenTelemetry) are parsed as JSON, mutated structurally (keys dropped, values
swapped for other types, huge or tiny numbers, odd timestamps, deep nesting, over-sized strings), re-encoded with
byte-level damage (BOM, CRLF, a cut last line, bytes that are not UTF-8, repeated or reordered lines) and fed to
``parse_file`` (every format and ``"auto"``) and to ``import_logs``. What succeeds must be storable and sane; a file
that fails must fail with an ``ImportFormatError`` and leave the store as it was.
"""

from __future__ import annotations

import contextlib
import json
import math
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.control import event as hypothesis_event

from agentlog import Store
from agentlog.errors import ImportFormatError, StoreError
from agentlog.io import import_logs
from agentlog.io.importers import EVENT_TYPE_PATTERN, ImportedSession, parse_file, parse_path
from agentlog.validation import MAX_JSON_BYTES
from tests.conftest import snapshot
from tests.io.support import DATA, fixture_dir

FORMATS = ("auto", "claude-code", "codex", "otel", "jsonl")
SID = "3f0c7c2e-8d7e-4a57-9a55-1f4b2d9e6c10"
TRACE = 2**127 + 5
FUZZ = settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


# --- values ---------------------------------------------------------------------------------------------------------


class Raw:
    """JSON text written as is (a number ``json.dumps`` cannot write, or nesting built as text)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Raw({self.text[:40]!r})"


def encode(value: Any) -> str:
    """``value`` as one line of JSON, with each :class:`Raw` spliced in as its text."""
    raws: list[str] = []

    def placeholder(obj: Any) -> str:
        if not isinstance(obj, Raw):
            raise TypeError(type(obj).__name__)
        raws.append(obj.text)
        return f"@@raw{len(raws) - 1}@@"

    text = json.dumps(value, default=placeholder)
    for index, raw in enumerate(raws):
        text = text.replace(f'"@@raw{index}@@"', raw, 1)
    return text


TIMESTAMPS = [
    "2026-01-01T00:00:00Z",
    "2026-01-01T00:00:00",
    "2026-01-01T00:00:00+05:30",
    "2026-01-01T00:00:00.123456789Z",
    "2026-13-45",
    "2026-02-30T10:00:00Z",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+05:30",
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T23:59:59-01:00",
    "+05:30",
    "1700000000",
    "1700000000000",
    "1700000000000000000",
    "-1700000000",
    "99999999999999999999999",
    "NaN",
]
NUMBERS = [
    0,
    -1,
    1,
    2**31,
    2**53 + 1,
    2**63 - 1,
    2**63,
    -(2**63),
    -(2**63) - 1,
    2**64,
    2**127 + 3,
    -(2**127),
    2**128,
    10**30,
    10**400,
    1_700_000_000_000_000_000,
    -1_700_000_000,
    253_402_300_800,
    0.5,
    -0.0,
    1e308,
    -1e308,
    5e-324,
    1.7e18,
    Raw("1e400"),
    Raw("-1e400"),
    Raw("1E+308"),
    Raw("9" * 5000),
    Raw("123456789012345678901234567890.5"),
]
STRINGS = [
    "",
    " ",
    "null",
    "0",
    "-1",
    "9" * 30,
    "9" * 5000,
    "Infinity",
    "1e400",
    SID,
    SID.upper(),
    "00000000-0000-0000-0000-000000000000",
    "0" * 32,
    "0x" + "f" * 32,
    "AAAAAAAAAAAAAAAAAAAAAA==",
    "//////////////////////w==",
    "\ud800",
    "\x00",
    "é🙂",
    "a b/c",
    "x" * 300,
    "<synthetic>",
    "unknown_service:python",
    "tool_use",
    "tool_result",
    "text",
    "thinking",
    "user",
    "assistant",
    "system",
    "summary",
    "progress",
    "session_meta",
    "turn_context",
    "event_msg",
    "response_item",
    "function_call",
    "token_count",
    "exec_command_end",
    "invoke_agent",
    "execute_tool",
    "error",
    "session",
    "event",
]
CONTAINERS = [
    [],
    {},
    [None],
    [{}],
    {"type": "tool_use", "name": "Bash", "id": "toolu_x"},
    {"type": "tool_result", "tool_use_id": "toolu_x", "is_error": True},
    {"input_tokens": 2**63 - 1, "output_tokens": "7"},
    {"stringValue": 5},
    {"intValue": "9" * 5000},
    {"arrayValue": {"values": [{"intValue": 1}, 5]}},
    {"kvlistValue": {"values": [{"key": 1}]}},
    {"trace_id": 0, "span_id": -1},
    Raw("[" * 40 + "1" + "]" * 40),
    Raw("[" * 3000 + "]" * 3000),
    Raw('{"a":' * 30 + "1" + "}" * 30),
]
HUGE = Raw(json.dumps("y" * (MAX_JSON_BYTES + 4096)))
"""A string over the store's 1 MiB bound: the payload must be truncated, not refused."""
INTERESTING = [None, True, False, *TIMESTAMPS, *NUMBERS, *STRINGS, *CONTAINERS]

KEYS = [
    # claude-code
    "type",
    "sessionId",
    "uuid",
    "parentUuid",
    "isSidechain",
    "agentId",
    "isMeta",
    "message",
    "timestamp",
    "id",
    "model",
    "content",
    "usage",
    "name",
    "tool_use_id",
    "is_error",
    "level",
    "subtype",
    "isApiErrorMessage",
    "leafUuid",
    "summary",
    "messageId",
    "data",
    "operation",
    "cwd",
    "gitBranch",
    "version",
    "input_tokens",
    "cache_read_input_tokens",
    # codex
    "payload",
    "call_id",
    "turn_id",
    "exit_code",
    "status",
    "success",
    "result",
    "Ok",
    "Err",
    "isError",
    "output",
    "info",
    "total_token_usage",
    "git",
    "branch",
    # otel
    "spans",
    "final_output",
    "context",
    "trace_id",
    "span_id",
    "parent",
    "status_code",
    "attributes",
    "resource",
    "start_time",
    "end_time",
    "resourceSpans",
    "scopeSpans",
    "scope",
    "traceId",
    "spanId",
    "parentSpanId",
    "startTimeUnixNano",
    "endTimeUnixNano",
    "code",
    "key",
    "value",
    "intValue",
    "doubleValue",
    "gen_ai.operation.name",
    "gen_ai.request.model",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.input_cost",
    "gen_ai.tool.name",
    "gen_ai.agent.name",
    "error.type",
    "service.name",
    # jsonl
    "agent",
    "started_at",
    "ended_at",
    "metadata",
    "project_id",
    "event_type",
    "session_id",
    "event_data",
]

scalars = st.sampled_from(INTERESTING) | st.text(max_size=6) | st.integers() | st.floats(allow_nan=False)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
    max_leaves=6,
)


def _retyped(data: st.DataObject, value: Any) -> Any:
    """``value`` as another JSON type: str <-> int <-> null <-> list <-> dict."""
    choice = data.draw(st.sampled_from(["str", "int", "null", "list", "dict", "float"]))
    if choice == "str":
        return value if isinstance(value, str) else encode(value)
    if choice == "int":
        if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 400:
            return int(value)
        return len(value) if isinstance(value, str | list | dict) else 1
    if choice == "float":
        return float(value) if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**1000 else 0.5
    if choice == "list":
        return [value]
    if choice == "dict":
        return {"value": value}
    return None


def mutate(data: st.DataObject, value: Any, depth: int = 0) -> Any:
    """``value`` with one member somewhere inside it dropped, replaced, retyped or added."""
    if isinstance(value, dict) and value and depth < 8:
        key = data.draw(st.sampled_from(sorted(value)))
        actions = ["descend", "descend", "replace", "retype", "delete", "add", "huge"]
        action = data.draw(st.sampled_from(["descend"] * (6 if depth == 0 else 0) + actions))  # keep lines mostly whole
        out = dict(value)
        if action == "descend":
            out[key] = mutate(data, value[key], depth + 1)
        elif action == "replace":
            out[key] = data.draw(values)
        elif action == "retype":
            out[key] = _retyped(data, value[key])
        elif action == "delete":
            del out[key]
        elif action == "add":
            out[data.draw(st.sampled_from(KEYS))] = data.draw(values)
        else:
            out[key] = HUGE
        return out
    if isinstance(value, list) and value and depth < 8:
        index = data.draw(st.integers(0, len(value) - 1))
        action = data.draw(st.sampled_from(["descend", "descend", "delete", "repeat", "replace"]))
        items = list(value)
        if action == "descend":
            items[index] = mutate(data, value[index], depth + 1)
        elif action == "delete":
            del items[index]
        elif action == "repeat":
            items.insert(index, value[index])
        else:
            items[index] = data.draw(values)
        return items
    if data.draw(st.booleans()):
        return _retyped(data, value)
    return data.draw(values)


def damage(data: st.DataObject, lines: list[bytes]) -> bytes:
    """The lines joined into a file, with byte-level damage of a few kinds."""
    lines = list(lines)
    newline = b"\n"
    for _ in range(data.draw(st.integers(0, 2))):
        kind = data.draw(
            st.sampled_from(["bom", "crlf", "cut", "utf8", "blank", "repeat", "swap", "nul", "drop", "long"])
        )
        if kind == "crlf":
            newline = b"\r\n"
        elif kind == "bom":
            lines[0] = b"\xef\xbb\xbf" + lines[0]
        elif kind == "utf8" and lines:
            index = data.draw(st.integers(0, len(lines) - 1))
            at = data.draw(st.integers(0, len(lines[index])))
            bad = data.draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xef\xbb\xbf"]))
            lines[index] = lines[index][:at] + bad + lines[index][at:]
        elif kind == "nul" and lines:
            index = data.draw(st.integers(0, len(lines) - 1))
            lines[index] += b"\x00"
        elif kind == "blank":
            lines.insert(data.draw(st.integers(0, len(lines))), data.draw(st.sampled_from([b"", b"  ", b"\t"])))
        elif kind == "repeat" and lines:
            index = data.draw(st.integers(0, len(lines) - 1))
            lines.insert(index, lines[index])
        elif kind == "swap" and len(lines) > 1:
            first, second = data.draw(st.lists(st.integers(0, len(lines) - 1), min_size=2, max_size=2))
            lines[first], lines[second] = lines[second], lines[first]
        elif kind == "drop" and len(lines) > 1:
            del lines[data.draw(st.integers(0, len(lines) - 1))]
        elif kind == "long":
            lines.append(encode({"type": "user", "sessionId": SID, "pad": "z" * 200_000}).encode())
    text = newline.join(lines) + newline
    if data.draw(st.integers(0, 4)) == 0:  # the last line cut short (being written), or no final newline
        text = text[: len(text) - data.draw(st.integers(1, len(lines[-1]) + len(newline)))]
    return text


# --- the real logs as records ---------------------------------------------------------------------------------------


def _lines(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _records(kind: str) -> list[list[Any]]:
    """Each fixture file of ``kind`` as its parsed lines (JSON-lines formats) or its document (traces)."""
    if kind == "otel":
        documents = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(fixture_dir("otel-genai").glob("*"))]
        return [[doc] for doc in [*documents, json.loads((DATA / "otlp_trace.json").read_text())]]
    if kind == "jsonl":  # agentlog lines around real records as payloads
        sources = [r for p in sorted(fixture_dir("claude-code").glob("*.jsonl")) for r in _lines(p)[:12]]
        lines: list[Any] = [{"type": "session", "agent": "fuzz-bot", "id": SID, "metadata": {"model": "m"}}]
        for index, record in enumerate(sources):
            lines.append(
                {
                    "type": "event",
                    "event_type": f"r.{record.get('type', 'x')}",
                    "session_id": SID,
                    "timestamp": record.get("timestamp"),
                    "event_data": record,
                    "metadata": {"line": index, "is_error": index % 7 == 0},
                }
            )
        return [lines]
    folder = {"claude-code": "claude-code", "codex": "codex-cli"}[kind]
    return [_lines(p) for p in sorted(fixture_dir(folder).glob("*.jsonl"))]


_CACHE: dict[str, list[list[Any]]] = {}


def records(kind: str) -> list[list[Any]]:
    if kind not in _CACHE:
        _CACHE[kind] = _records(kind)
    return _CACHE[kind]


KINDS = ["claude-code", "codex", "otel", "jsonl"]


def fuzzed_file(data: st.DataObject, kind: str) -> bytes:
    """A mutated, damaged copy of (part of) one real log of ``kind``."""
    files = records(kind)
    source = files[data.draw(st.integers(0, len(files) - 1))]
    if kind == "otel":
        doc = source[0]
        for _ in range(data.draw(st.integers(1, 3))):
            doc = mutate(data, doc)
        text = encode(doc)
        if data.draw(st.booleans()):  # pretty-printed, so line damage hits inside the document
            with contextlib.suppress(ValueError, RecursionError):  # unless the mutation made it unreadable
                text = json.dumps(json.loads(text), indent=1)
        return damage(data, [line.encode("utf-8", "surrogatepass") for line in text.split("\n")])
    # a few lines in order from a random start, mostly after the first line (session_meta, the session line)
    start = data.draw(st.integers(0, len(source) - 1))
    picked = list(source[start : start + data.draw(st.integers(1, 8))])
    if start > 0 and data.draw(st.integers(0, 3)):
        picked.insert(0, source[0])
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.integers(0, len(picked) - 1))
        line = picked[index]
        if kind == "jsonl" and isinstance(line.get("event_data"), dict) and data.draw(st.booleans()):
            picked[index] = {**line, "event_data": mutate(data, line["event_data"])}  # a free-form payload
        else:
            picked[index] = mutate(data, line)
    return damage(data, [encode(r).encode("utf-8", "surrogatepass") for r in picked])


# --- checks ---------------------------------------------------------------------------------------------------------

_LOW = datetime(1, 1, 1, tzinfo=UTC)
_HIGH = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def _sane_time(value: datetime | None) -> None:
    if value is not None:
        assert value.utcoffset() is not None and value.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
        assert _LOW <= value <= _HIGH


def check_sessions(sessions: list[ImportedSession]) -> None:
    """Parsed sessions are well formed: ids, types, aware UTC times, JSON-ready metadata."""
    for session in sessions:
        assert isinstance(session, ImportedSession)
        assert isinstance(session.id, uuid.UUID)
        assert isinstance(session.agent, str) and session.agent.strip()
        _sane_time(session.started_at)
        _sane_time(session.ended_at)
        json.dumps(session.metadata)
        for event in session.events:
            assert isinstance(event.id, uuid.UUID)
            assert EVENT_TYPE_PATTERN.match(event.event_type)
            _sane_time(event.timestamp)
            assert isinstance(event.event_data, dict)
            json.dumps(event.metadata)
            json.dumps(event.event_data)


def event(outcome: str) -> None:
    """Note an outcome for ``--hypothesis-show-statistics`` (outside a fuzz test: nothing)."""
    if currently_in_test_context():
        hypothesis_event(outcome)


def parse_outcome(path: Path, format: str) -> list[ImportedSession] | ImportFormatError:
    try:
        sessions = parse_file(path, format)
    except ImportFormatError as exc:
        error = exc
    else:
        check_sessions(sessions)
        event(f"parse {format}: {len(sessions)} sessions" if len(sessions) < 2 else f"parse {format}: sessions")
        return sessions
    assert error.path == str(path)  # the error names the file
    event(f"parse {format}: ImportFormatError")
    return error


def check_import(store: Store, path: Path, format: str = "auto") -> None:
    """``import_logs`` stores the file or fails with an ImportFormatError leaving the store unchanged."""
    before = snapshot(store, skip={"imported_logs"})
    try:
        report = import_logs(store, path, format=format, progress=False, reparse=True)
    except ImportFormatError as exc:
        error = exc
    else:
        error = None
    if error is not None:
        assert error.path == str(path)
        assert snapshot(store, skip={"imported_logs"}) == before
        event("import: ImportFormatError")
        return
    event("import: stored" if report.events_inserted else "import: nothing new")
    assert report.ok and report.files == 1
    ((invalid, longest),) = store.sql(
        "SELECT count(*) FILTER (WHERE NOT json_valid(event_data) OR NOT json_valid(metadata)),"
        " max(strlen(event_data::VARCHAR)) FROM events"
    ).fetchall()
    assert invalid == 0 and (longest or 0) <= MAX_JSON_BYTES
    for started, ended in store.sql("SELECT started_at, ended_at FROM sessions").fetchall():
        _sane_time(started)
        _sane_time(ended)


@pytest.fixture(scope="module")
def fuzz_store() -> Iterator[Store]:
    """One store for every example of a test: later examples re-import into what earlier ones stored."""
    with Store.memory(embedder=None) as store:
        yield store


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


_NAMES = count()


# --- fuzzing --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(data=st.data())
def test_mutated_real_logs_parse_or_fail_with_import_format_error(
    kind: str, data: st.DataObject, fuzz_dir: Path
) -> None:
    content = fuzzed_file(data, kind)
    path = fuzz_dir / f"parse-{next(_NAMES)}.{'json' if kind == 'otel' else 'jsonl'}"
    path.write_bytes(content)
    for format in FORMATS:
        parse_outcome(path, format)


@pytest.mark.parametrize("kind", KINDS)
@settings(FUZZ, max_examples=50)
@given(data=st.data())
def test_mutated_real_logs_import_or_leave_the_store_unchanged(
    kind: str, data: st.DataObject, fuzz_store: Store, fuzz_dir: Path
) -> None:
    content = fuzzed_file(data, kind)
    path = fuzz_dir / f"import-{next(_NAMES)}.{'json' if kind == 'otel' else 'jsonl'}"
    path.write_bytes(content)
    format = data.draw(st.sampled_from(["auto", kind]))  # forced: damage that hides the format still gets parsed
    if data.draw(st.booleans()):  # into what earlier examples stored: the same sessions, updated
        check_import(fuzz_store, path, format)
    else:  # into an empty store: every event is new
        with Store.memory(embedder=None) as store:
            check_import(store, path, format)


def test_fuzzing_reaches_both_outcomes(fuzz_dir: Path) -> None:
    """The unmutated inputs parse, and a damaged one fails: the fuzz tests see both branches."""
    for kind in KINDS:
        for source in records(kind):
            path = fuzz_dir / f"plain-{next(_NAMES)}.json"
            path.write_text("\n".join(encode(r) for r in source) + "\n", encoding="utf-8")
            outcome = parse_outcome(path, "auto")
            assert isinstance(outcome, list) and outcome, (kind, outcome)
    broken = fuzz_dir / "broken.jsonl"
    broken.write_text(encode(records("codex")[0][0]) + "\n{not json\n")
    assert isinstance(parse_outcome(broken, "auto"), ImportFormatError)


# --- hand-written edge cases ----------------------------------------------------------------------------------------


def _claude(timestamp: Any) -> str:
    return encode({"type": "user", "sessionId": SID, "uuid": str(uuid.uuid4()), "timestamp": timestamp}) + "\n"


def _codex(timestamp: Any, meta_timestamp: Any = None) -> str:
    meta = {"timestamp": "2026-01-01T00:00:00Z", "type": "session_meta", "payload": {"id": SID}}
    if meta_timestamp is not None:
        meta["payload"]["timestamp"] = meta_timestamp
    line = {"timestamp": timestamp, "type": "event_msg", "payload": {"type": "user_message", "message": "hi"}}
    return encode(meta) + "\n" + encode(line) + "\n"


def _jsonl(timestamp: Any) -> str:
    return (
        encode({"type": "session", "agent": "bot", "id": SID})
        + "\n"
        + encode({"type": "event", "event_type": "note", "timestamp": timestamp})
        + "\n"
    )


def _span(start: Any, **attributes: Any) -> str:
    span = {"name": "s", "context": {"trace_id": TRACE, "span_id": 7}, "parent": None, "start_time": start}
    return encode({"spans": [{**span, "attributes": attributes}]})


EDGE_TIMES: list[tuple[str, str, str | None]] = [
    ("claude", _claude("2026-01-01T00:00:00+05:30"), "2025-12-31T18:30:00+00:00"),
    ("claude", _claude("2026-01-01T00:00:00"), "2026-01-01T00:00:00+00:00"),
    ("claude", _claude("0001-01-01T00:00:00Z"), "0001-01-01T00:00:00+00:00"),
    ("claude", _claude("9999-12-31T23:59:59.999999Z"), "9999-12-31T23:59:59.999999+00:00"),
    ("claude", _claude("0001-01-01T00:00:00+05:30"), None),
    ("claude", _claude("9999-12-31T23:59:59-01:00"), None),
    ("claude", _claude("2026-13-45"), None),
    ("claude", _claude("+05:30"), None),
    ("claude", _claude(1_700_000_000), None),
    ("claude", _claude("1700000000"), None),
    ("codex", _codex("2026-05-11T08:26:55.123+02:00"), "2026-05-11T06:26:55.123000+00:00"),
    ("codex", _codex(None), "null"),
    ("codex", _codex(1_700_000_000), None),
    ("codex", _codex("2026-01-01T00:00:00Z", meta_timestamp=5), None),
    ("jsonl", _jsonl("2026-01-01T00:00:00+05:30"), "2025-12-31T18:30:00+00:00"),
    ("jsonl", _jsonl("9999-12-31T23:59:59.999999+00:00"), "9999-12-31T23:59:59.999999+00:00"),
    ("jsonl", _jsonl("2026-01-01T00:00:00"), None),
    ("jsonl", _jsonl("0001-01-01T00:00:00+05:30"), None),
    ("jsonl", _jsonl(1_700_000_000), None),
    ("otel", _span(0), "1970-01-01T00:00:00+00:00"),
    ("otel", _span(2**63 - 1), "2262-04-11T23:47:16.854775+00:00"),
    ("otel", _span("1700000000000000000"), "2023-11-14T22:13:20+00:00"),
    ("otel", _span(" 1700000000123456789 "), "2023-11-14T22:13:20.123456+00:00"),
    ("otel", _span(-1), None),
    ("otel", _span(2**63), None),
    ("otel", _span(1.7e18), None),
    ("otel", _span(True), None),
    ("otel", _span("2026-01-01T00:00:00Z"), None),
    ("otel", _span("9" * 5000), None),
]


@pytest.mark.parametrize(("kind", "content", "expected"), EDGE_TIMES)
def test_edge_case_timestamps_are_kept_in_utc_or_refused(
    kind: str, content: str, expected: str | None, tmp_path: Path
) -> None:
    """Offsets become UTC, years 1 and 9999 and integer nanoseconds are kept; the rest is an ImportFormatError."""
    path = tmp_path / ("trace.json" if kind == "otel" else "log.jsonl")
    path.write_text(content, encoding="utf-8")
    with Store.memory(embedder=None) as store:
        if expected is None:
            with pytest.raises(ImportFormatError) as info:
                parse_file(path)
            assert info.value.path == str(path)
            before = snapshot(store, skip={"imported_logs"})
            with pytest.raises(ImportFormatError):
                import_logs(store, path, progress=False)
            assert snapshot(store, skip={"imported_logs"}) == before
            return
        (session,) = parse_file(path)
        check_sessions([session])
        import_logs(store, path, progress=False)
        stored = [t for (t,) in store.sql("SELECT timestamp FROM events ORDER BY seq").fetchall()]
    last = session.events[-1].timestamp
    if expected == "null":  # a null line timestamp stays null
        assert last is None and stored[-1] is None
        return
    assert last is not None and last.isoformat() == expected
    assert stored[-1] == last


@pytest.mark.parametrize(
    "content",
    [
        '{"type": [], "leafUuid": "a", "timestamp": "2026-01-01T00:00:00Z", "payload": {}}\n',
        '{"type": {"a": 1}, "sessionId": "x", "parentUuid": null, "timestamp": 1, "payload": {}}\n',
        '{"timestamp": "2026-01-01T00:00:00Z", "type": [1], "payload": {"id": "x", "base_instructions": "'
        + "x" * 20_000
        + '"}}\n',
    ],
)
def test_a_first_line_whose_type_is_not_a_string_is_not_recognised_rather_than_a_crash(
    content: str, tmp_path: Path
) -> None:
    """The sniffers looked ``type`` up in a set: a list or object there raised TypeError in every parse."""
    path = tmp_path / "log.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportFormatError, match="not a recognised agent log"):
        parse_file(path)
    for format in FORMATS[1:]:
        parse_outcome(path, format)  # forced: parsed (or refused) by that format's parser
    with Store.memory(embedder=None) as store, pytest.raises(ImportFormatError, match="not a recognised"):
        import_logs(store, path, progress=False)


def test_a_trace_cost_too_big_for_a_float_is_left_out(tmp_path: Path) -> None:
    """A cost attribute of 10**400 (exact in JSON) made ``0.0 + cost`` raise OverflowError."""
    path = tmp_path / "trace.json"
    path.write_text(
        _span(5, **{"gen_ai.usage.input_cost": 10**400, "gen_ai.usage.output_cost": 2, "gen_ai.usage.input_tokens": 3})
    )
    (session,) = parse_file(path)
    assert session.metadata["cost"] == {"output": 2.0}
    assert session.metadata["tokens"] == {"input": 3}
    with Store.memory(embedder=None) as store:
        assert import_logs(store, path, progress=False).events_inserted == 1


def test_trace_costs_whose_sum_overflows_a_float_are_left_out_rather_than_failing_the_file(tmp_path: Path) -> None:
    """Two finite costs of 1e308 summed to infinity, which the store refuses: the whole trace failed."""
    spans = [
        {
            "name": f"call {index}",
            "context": {"trace_id": TRACE, "span_id": 10 + index},
            "parent": {"span_id": 99 if index else None},
            "attributes": {"gen_ai.usage.input_cost": 1e308, "gen_ai.usage.output_cost": 0.25},
        }
        for index in range(2)
    ]
    spans[0]["context"]["span_id"] = 99
    path = tmp_path / "trace.json"
    path.write_text(
        encode(
            {
                "spans": [
                    spans[1],
                    {**spans[0], "attributes": {}},
                    {**spans[1], "context": {"trace_id": TRACE, "span_id": 12}},
                ]
            }
        )
    )
    (session,) = parse_file(path)
    assert session.metadata["cost"] == {"output": 0.5}
    assert all(math.isfinite(v) for v in session.metadata["cost"].values())
    with Store.memory(embedder=None) as store:
        report = import_logs(store, path, progress=False)
        assert report.ok and report.events_inserted == 3


@pytest.mark.parametrize(
    "span",
    [
        {"name": "s", "context": {"trace_id": TRACE, "span_id": 7}, "start_time": "1" * 5000},
        {"name": "s", "context": {"trace_id": TRACE, "span_id": 7}, "end_time": " " + "0" * 4400 + "1"},
    ],
)
def test_an_any_agent_time_of_thousands_of_digits_is_an_import_format_error(
    span: dict[str, Any], tmp_path: Path
) -> None:
    """``int()`` refuses strings of more than 4300 digits with a plain ValueError, which escaped the parser."""
    path = tmp_path / "trace.json"
    path.write_text(encode({"spans": [span]}))
    with pytest.raises(ImportFormatError, match=r"\$\.spans\[0\]\.(start|end)_time: .*out of range"):
        parse_file(path)
    with Store.memory(embedder=None) as store, pytest.raises(ImportFormatError):
        import_logs(store, path, progress=False)


def _otlp(span: dict[str, Any]) -> str:
    base = {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174", "name": "chat"}
    return encode({"resourceSpans": [{"scopeSpans": [{"spans": [{**base, **span}]}]}]})


@pytest.mark.parametrize(
    ("span", "where"),
    [
        ({"startTimeUnixNano": "9" * 5000}, "startTimeUnixNano"),
        ({"endTimeUnixNano": "-" + "9" * 4500}, "endTimeUnixNano"),
        ({"attributes": [{"key": "n", "value": {"intValue": "9" * 5000}}]}, "attributes[0].value.intValue"),
    ],
)
def test_an_otlp_number_of_thousands_of_digits_is_an_import_format_error(
    span: dict[str, Any], where: str, tmp_path: Path
) -> None:
    """The same ValueError from ``int()`` for OTLP times and ``intValue`` strings."""
    path = tmp_path / "trace.json"
    path.write_text(_otlp(span))
    with pytest.raises(ImportFormatError) as info:
        parse_file(path)
    assert where in str(info.value)
    with Store.memory(embedder=None) as store, pytest.raises(ImportFormatError):
        import_logs(store, path, progress=False)


def test_an_otlp_int_value_of_many_digits_within_the_limit_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "trace.json"
    path.write_text(_otlp({"attributes": [{"key": "n", "value": {"intValue": "1" + "0" * 40}}]}))
    (session,) = parse_file(path)
    assert session.metadata["root_attributes"] == {"n": "1" + "0" * 40}  # over 64 bits: kept as its digits


@pytest.mark.parametrize(
    "metadata",
    [{"models": 5}, {"models": "gpt-4o"}, {"subagents": 3}, {"subagents": [{"name": "a"}]}, {"subagents": None}],
)
def test_sessions_merged_across_files_ignore_models_or_subagents_that_are_not_lists(
    metadata: dict[str, Any], tmp_path: Path
) -> None:
    """agentlog JSON lines may set any metadata; merging a session found in two files iterated and hashed it.

    ``parse_path`` raised TypeError, and ``import_logs`` failed the second file with a StoreError from the writer.
    """
    folder = tmp_path / "logs"
    folder.mkdir()
    for index in range(2):
        session = {"type": "session", "id": SID, "agent": "bot", "metadata": metadata}
        event = {"type": "event", "event_type": f"step{index}", "timestamp": f"2026-01-0{index + 1}T00:00:00Z"}
        (folder / f"{index}.jsonl").write_text(encode(session) + "\n" + encode(event) + "\n")
    result = parse_path(folder)
    assert result.ok
    (merged,) = result.sessions
    assert [e.event_type for e in merged.events] == ["step0", "step1"]
    assert merged.metadata["models"] == (metadata["models"] if isinstance(metadata.get("models"), list) else [])
    with Store.memory(embedder=None) as store:
        report = import_logs(store, folder, progress=False)
        assert report.ok, report.failures
        assert report.events_inserted == 2
    with Store.memory(embedder=None) as store:  # one file after the other, each given alone
        import_logs(store, folder / "0.jsonl", progress=False)
        try:
            report = import_logs(store, folder / "1.jsonl", progress=False)
        except StoreError as exc:  # what the writer raised before the fix
            pytest.fail(f"the second file of the session failed in the writer: {exc}")
        assert report.events_inserted == 1
        assert store.sql("SELECT count(*) FROM events").fetchall() == [(2,)]


@pytest.mark.parametrize("value", ["1700000000", " 1700000000.5 ", "-1"])
def test_a_jsonl_time_that_is_a_number_in_a_string_is_refused(tmp_path: Path, value: str) -> None:
    # The format says ISO-8601 with a timezone; pydantic read a number in a string as Unix time.
    for key, line in (("started_at", {"type": "session", "agent": "bot"}), ("timestamp", None)):
        log = tmp_path / f"{key}.jsonl"
        session = {"type": "session", "agent": "bot", **({key: value} if line else {})}
        event = {"type": "event", "event_type": "step", **({} if line else {key: value})}
        log.write_text(json.dumps(session) + "\n" + json.dumps(event) + "\n", encoding="utf-8")
        with pytest.raises(ImportFormatError, match="ISO-8601"):
            parse_file(log)
