"""OpenTelemetry traces: any-agent exports (real fixtures) and OTLP/JSON (our own fixture)."""

from __future__ import annotations

import base64
import copy
import json
import re
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agentlog.errors import ImportFormatError
from agentlog.io.importers import detect_format, otel
from tests.io.support import DATA, fixture_dir, fixture_files

FILES = fixture_files("otel-genai", "*_trace.json")
OTLP = DATA / "otlp_trace.json"


def _ns(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // 1000 // 1_000_000, tz=UTC).replace(microsecond=ns // 1000 % 1_000_000)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_any_agent_fixture_facts(path: Path) -> None:
    fixture_dir("otel-genai")
    doc = json.loads(path.read_text())  # Python ints are exact
    spans = doc["spans"]
    trace_ids = {s["context"]["trace_id"] for s in spans}
    root = next(s for s in spans if s["parent"]["span_id"] is None)
    llm = [s["attributes"] for s in spans if s["attributes"]["gen_ai.operation.name"] == "call_llm"]

    (session,) = otel.parse(path)
    assert len(trace_ids) == 1
    (trace_id,) = trace_ids
    assert session.id == uuid.UUID(int=trace_id)
    assert session.metadata["trace_id"] == f"{trace_id:032x}"
    assert session.metadata["root_span_id"] == f"{root['context']['span_id']:016x}"
    assert session.agent == root["attributes"]["gen_ai.agent.name"] == "any_agent"
    assert len(session.events) == len(spans)
    assert [e.event_type for e in session.events] == [s["attributes"]["gen_ai.operation.name"] for s in spans]
    assert [e.metadata.get("is_root", False) for e in session.events] == [s is root for s in spans]
    assert session.events[-1].metadata["status"] == "unset"
    assert session.metadata["tokens"] == {
        "input": sum(a["gen_ai.usage.input_tokens"] for a in llm),
        "output": sum(a["gen_ai.usage.output_tokens"] for a in llm),
    }
    tools = Counter(
        s["attributes"]["gen_ai.tool.name"] for s in spans if s["attributes"]["gen_ai.operation.name"] == "execute_tool"
    )
    assert session.metadata["tools"] == dict(tools)
    assert session.metadata["errors"] == sum(1 for s in spans if s["status"]["status_code"] == "error")
    assert session.metadata["model"] == root["attributes"]["gen_ai.request.model"]
    assert session.started_at == _ns(min(s["start_time"] for s in spans))
    assert session.ended_at == _ns(max(s["end_time"] for s in spans))
    for event, span in zip(session.events, spans, strict=True):
        assert event.timestamp == _ns(span["start_time"])
        assert event.metadata["start_time_ns"] == span["start_time"]
        assert event.metadata["end_time_ns"] == span["end_time"]
        assert event.metadata["span_id"] == f"{span['context']['span_id']:016x}"
        assert event.event_data["name"] == span["name"]
        assert event.event_data["attributes"] == span["attributes"]
    assert session.metadata["final_output"] == doc["final_output"]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_ids_are_exact_against_the_decimal_text(path: Path) -> None:
    fixture_dir("otel-genai")
    text = path.read_text()
    decimals = re.findall(r'"trace_id":\s*(\d+)', text)
    span_decimals = re.findall(r'"context":\s*\{\s*"trace_id":\s*\d+,\s*"span_id":\s*(\d+)', text)
    (session,) = otel.parse(path)
    assert {session.metadata["trace_id"]} == {format(int(d), "032x") for d in decimals}
    assert max(int(d) for d in decimals) > 2**64  # the trap is really there
    assert [e.metadata["span_id"] for e in session.events] == [format(int(d), "016x") for d in span_decimals]
    # event_data keeps the id exactly, as a decimal string
    assert [e.event_data["context"]["span_id"] for e in session.events] == span_decimals
    assert session.events[0].event_data["context"]["trace_id"] == decimals[0]


def test_google_trace_with_missing_parents_still_finds_the_root() -> None:
    (session,) = otel.parse(fixture_dir("otel-genai") / "GOOGLE_trace.json")
    root = [e for e in session.events if e.metadata.get("is_root")]
    assert [e.event_type for e in root] == ["invoke_agent"]
    assert session.metadata["orphan_spans"] == sum(1 for e in session.events if e.metadata.get("orphan"))


def test_otlp_json_goes_through_the_same_path() -> None:
    doc = json.loads(OTLP.read_text())
    spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert detect_format(OTLP) == "otel"
    (session,) = otel.parse(OTLP)
    assert session.id == uuid.UUID(hex=spans[0]["traceId"])
    assert session.metadata["trace_id"] == spans[0]["traceId"].lower()
    assert session.metadata["variant"] == "otlp"
    assert session.agent == "support_agent"
    assert session.metadata["service_name"] == "support-bot"
    assert [e.event_type for e in session.events] == [
        "chat",
        "execute_tool",
        "chat",
        "invoke_agent",
    ]
    assert session.events[-1].metadata["is_root"] is True
    # the agent span repeats its children's usage: counted once, not twice
    assert session.metadata["tokens"] == {"input": 300, "output": 75}
    assert session.metadata["errors"] == 1
    assert session.events[1].metadata["is_error"] is True
    assert session.metadata["tools"] == {"lookup_order": 1}
    assert session.events[0].metadata["start_time_ns"] == int(spans[0]["startTimeUnixNano"])
    assert session.events[0].timestamp == _ns(int(spans[0]["startTimeUnixNano"]))
    assert session.started_at == _ns(1767261600000000000)
    assert session.ended_at == _ns(1767261601600000789)
    assert [e.event_data for e in session.events] == spans


def test_otlp_json_lines_and_several_traces(tmp_path: Path) -> None:
    doc = json.loads(OTLP.read_text())
    other = copy.deepcopy(doc)
    for span in other["resourceSpans"][0]["scopeSpans"][0]["spans"]:
        span["traceId"] = "0af7651916cd43dd8448eb211c80319c"
    path = tmp_path / "traces.jsonl"
    path.write_text(json.dumps(doc) + "\n" + json.dumps(other) + "\n")
    assert detect_format(path) == "otel"
    sessions = otel.parse(path)
    assert [s.metadata["trace_id"] for s in sessions] == [
        "5b8efff798038103d269b633813fc60c",
        "0af7651916cd43dd8448eb211c80319c",
    ]
    assert [e.metadata["line"] for e in sessions[1].events] == [2, 2, 2, 2]
    assert sessions[0].events[0].id != sessions[1].events[0].id


def _any_agent(trace: Any, span: Any, parent: Any = None) -> dict[str, Any]:
    return {
        "spans": [
            {
                "name": "invoke_agent [x]",
                "context": {"trace_id": trace, "span_id": span},
                "parent": {"trace_id": None, "span_id": parent},
                "start_time": 1,
                "end_time": 2,
                "status": {"status_code": "unset"},
                "attributes": {"gen_ai.operation.name": "invoke_agent"},
            }
        ]
    }


@pytest.mark.parametrize(
    ("trace", "expected"),
    [
        (-1, "f" * 32),  # signed 128-bit export: two's complement
        (-(2**127), "8" + "0" * 31),
        (2**128 - 1, "f" * 32),
        ("4bf92f3577b34da6a3ce929d0e0e4736", "4bf92f3577b34da6a3ce929d0e0e4736"),
        ("0x4BF92F3577B34DA6A3CE929D0E0E4736", "4bf92f3577b34da6a3ce929d0e0e4736"),
        (
            base64.b64encode(bytes.fromhex("4bf92f3577b34da6a3ce929d0e0e4736")).decode(),
            "4bf92f3577b34da6a3ce929d0e0e4736",
        ),
    ],
)
def test_trace_id_forms(tmp_path: Path, trace: Any, expected: str) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(_any_agent(trace, 7)))
    (session,) = otel.parse(path)
    assert session.metadata["trace_id"] == expected
    assert session.id == uuid.UUID(hex=expected)


@pytest.mark.parametrize(
    ("doc", "where"),
    [
        (_any_agent(2**128, 7), "$.spans[0].context.trace_id"),
        (_any_agent(-(2**127) - 1, 7), "$.spans[0].context.trace_id"),
        (_any_agent(1.0092742960927627e38, 7), "$.spans[0].context.trace_id"),
        (_any_agent(5, 2**64), "$.spans[0].context.span_id"),
        (_any_agent(5, 0), "$.spans[0].context.span_id"),
        (_any_agent(5, "xyz"), "$.spans[0].context.span_id"),
        ({"spans": [{"name": "x"}]}, "$.spans[0].context"),
        ({"spans": "nope"}, "$.spans"),
        (
            {"spans": [{**_any_agent(5, 7)["spans"][0], "start_time": "soon"}]},
            "$.spans[0].start_time",
        ),
        (
            {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "ab", "spanId": "cd"}]}]}]},
            "$.resourceSpans[0].scopeSpans[0].spans[0].traceId",
        ),
        ({"something": []}, "$"),
    ],
)
def test_bad_members_are_reported_with_their_json_path(tmp_path: Path, doc: dict[str, Any], where: str) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ImportFormatError) as info:
        otel.parse(path)
    assert f"{where}:" in str(info.value)


def test_invalid_json_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('{\n  "spans": [\n    {,\n  ]\n}\n')
    with pytest.raises(ImportFormatError) as info:
        otel.parse(path)
    assert info.value.line == 3


def test_parsing_twice_gives_the_same_ids() -> None:
    first = otel.parse(OTLP)
    again = otel.parse(OTLP)
    assert [e.id for e in first[0].events] == [e.id for e in again[0].events]
