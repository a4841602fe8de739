"""The Arrow path of add_events: JSON text checked partly by DuckDB's parser as the rows are inserted.

Values that the suspect scan does not pick are checked by the ``VARCHAR`` to
``JSON`` cast of the writer's ``INSERT``; these tests make that cast fail and
check that the error names the caller's row and that nothing is stored.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agentlog import NotFoundError, SessionClosedError, SessionService, ValidationError
from agentlog.services.event_batches import prepare_event, prepare_event_table
from agentlog.services.json_columns import SUSPECT, check_json_column, strict_error
from agentlog.services.session_ops import AppendEvents, AppendEventTable
from agentlog.validation import MAX_JSON_DEPTH
from tests.conftest import snapshot

# Invalid JSON that the suspect scan lets through: only DuckDB's parser, in the INSERT, rejects it.
NOT_SUSPECT = [
    '{"a": tru}',
    '{"a": 1',
    '{"a": "\\x"}',
    '{"a": 01}',
    '{"a" 1}',
    # DuckDB's message quotes the input cut in the middle of "é": it cannot even be decoded
    '{"' + "ab" * 22 + "é" * 30 + '": tru}',
]


def events(count: int, **columns: list[Any]) -> pa.Table:
    data: dict[str, Any] = {
        "id": pa.array([uuid.uuid4().bytes for _ in range(count)], pa.uuid()),
        "event_type": ["step"] * count,
        "event_data": [json.dumps({"n": n}) for n in range(count)],
        "metadata": ['{"file":"a.py"}'] * count,
    }
    data.update(columns)
    return pa.table(data)


def with_value(table: pa.Table, column: str, row: int, value: str) -> pa.Table:
    values = table.column(column).to_pylist()
    values[row] = value
    return table.set_column(table.column_names.index(column), column, pa.array(values, pa.string()))


async def stored_events(service: SessionService, session_id: uuid.UUID) -> list[tuple[int, Any]]:
    session = await service.get_session(session_id)
    assert session is not None
    return [(event["seq"], event["event_data"]) for event in session["events"]]


@pytest.mark.parametrize("column", ["event_data", "metadata"])
@pytest.mark.parametrize("value", NOT_SUSPECT)
async def test_invalid_json_found_by_the_insert_names_the_row(service: SessionService, column: str, value: str) -> None:
    assert not pc.match_substring_regex(pa.array([value]), SUSPECT)[0].as_py()  # so the INSERT is what finds it
    session = await service.create_session("claude")
    table = with_value(events(50), column, 37, value)
    before = snapshot(service.store)
    with pytest.raises(ValidationError) as caught:
        await service.add_events(session["id"], table)
    assert f"{column} at row 37 is not valid JSON" in str(caught.value)
    assert caught.value.field == f"{column}[37]"
    assert snapshot(service.store) == before  # no event, and the session is still "created"
    # the store goes on as if the call had never been made
    result = await service.add_events(session["id"], events(3))
    assert result["inserted"] == 3
    assert [seq for seq, _ in await stored_events(service, session["id"])] == [1, 2, 3]


async def test_rows_are_those_of_the_callers_table(service: SessionService) -> None:
    session = await service.create_session("claude")
    table = events(40)
    await service.add_events(session["id"], table.slice(0, 10))  # rows 0-9 are stored already
    ids = table.column("id").to_pylist()
    ids[20] = ids[15]  # and row 20 repeats row 15
    resent = with_value(table.set_column(0, "id", pa.array(ids, pa.uuid())), "event_data", 30, '{"x": tru}')
    before = snapshot(service.store)
    with pytest.raises(ValidationError, match="event_data at row 30 is not valid JSON"):
        await service.add_events(session["id"], resent)
    assert snapshot(service.store) == before


async def test_bad_json_in_a_repeated_row_is_rejected(service: SessionService) -> None:
    session = await service.create_session("claude")
    table = events(5)
    ids = table.column("id").to_pylist()
    ids[3] = ids[1]  # row 3 would be dropped as a repeat of row 1, and it is bad
    table = with_value(table.set_column(0, "id", pa.array(ids, pa.uuid())), "metadata", 3, '{"file": a.py}')
    before = snapshot(service.store)
    with pytest.raises(ValidationError, match="metadata at row 3 is not valid JSON"):
        await service.add_events(session["id"], table)
    assert snapshot(service.store) == before


async def test_bad_json_in_a_row_already_stored_is_rejected(service: SessionService) -> None:
    session = await service.create_session("claude")
    table = events(5)
    await service.add_events(session["id"], table)
    before = snapshot(service.store)
    with pytest.raises(ValidationError, match="event_data at row 2 is not valid JSON"):
        await service.add_events(session["id"], with_value(table, "event_data", 2, '{"n": 2'))
    assert snapshot(service.store) == before
    again = await service.add_events(session["id"], table)
    assert (again["inserted"], again["duplicates"]) == (0, 5)


async def test_ids_that_fold_alike_are_not_taken_for_repeats(service: SessionService) -> None:
    session = await service.create_session("claude")
    first = uuid.uuid4().bytes
    swapped = first[8:] + first[:8]  # another id whose two halves XOR to the same value
    table = events(3).set_column(0, "id", pa.array([first, swapped, first], pa.uuid()))
    result = await service.add_events(session["id"], table)
    assert (result["inserted"], result["duplicates"]) == (2, 1)


async def test_generated_ids_are_distinct_version_4_uuids(service: SessionService) -> None:
    session = await service.create_session("claude")
    result = await service.add_events(session["id"], events(1000).drop_columns(["id"]))
    assert result["inserted"] == 1000
    ids = [row[0] for row in service.store.sql("SELECT id FROM events").fetchall()]
    assert len(set(ids)) == 1000
    assert {(i.version, i.variant) for i in ids} == {(4, uuid.RFC_4122)}


@pytest.mark.parametrize("value", ['{"a": 1e999}', '{"a": [2E+308]}', '{"a": ' + "9" * 400 + ".5}"])
async def test_numbers_that_overflow_to_infinity_are_rejected(service: SessionService, value: str) -> None:
    session = await service.create_session("claude")
    before = snapshot(service.store)
    with pytest.raises(ValidationError, match="infinity") as caught:
        await service.add_events(session["id"], with_value(events(3), "event_data", 1, value))
    assert caught.value.field is not None and caught.value.field.startswith("event_data[1]")
    assert snapshot(service.store) == before


@pytest.mark.parametrize("value", ['{"n": tru}', '{"n": NaN}'])  # found by the INSERT, by the scan
def test_a_bad_table_fails_alone_in_its_group(file_store: Any, value: str) -> None:
    service = SessionService(file_store)
    sessions = [asyncio.run(service.create_session("claude"))["id"] for _ in range(2)]
    released = threading.Event()

    class Gate:
        def apply(self, tx: Any) -> None:
            released.wait(10)  # the ops below queue up and are committed as one group

    def one(n: int) -> AppendEvents:
        return AppendEvents(sessions[0], [prepare_event("step", {"n": n}, None, None, None)], check_duplicates=False)

    rows, check = prepare_event_table(with_value(events(4), "event_data", 2, value), duckdb.connect())
    gate = file_store.submit(Gate())
    futures = [file_store.submit(one(n)) for n in range(3)]
    bad = file_store.submit(AppendEventTable(sessions[1], rows, check))
    futures += [file_store.submit(one(n)) for n in range(3, 6)]
    released.set()
    gate.result(10)
    with pytest.raises(ValidationError, match="event_data at row 2"):
        bad.result(10)
    assert [f.result(10)[1] for f in futures] == [1] * 6
    rows_stored = file_store.sql("SELECT session_id, seq FROM events ORDER BY seq").fetchall()
    assert rows_stored == [(sessions[0], seq) for seq in range(1, 7)]


@pytest.mark.parametrize("value", ['{"a": NaN}', '{"a": [1,]}', "[1]", '{"a": 1e400}'])
async def test_values_the_scan_rejects_store_nothing(service: SessionService, value: str) -> None:
    session = await service.create_session("claude")
    before = snapshot(service.store)
    with pytest.raises(ValidationError) as caught:
        await service.add_events(session["id"], with_value(events(50), "metadata", 37, value))
    assert "metadata at row 37" in str(caught.value) or str(caught.value).startswith("metadata[37]")
    assert snapshot(service.store) == before
    result = await service.add_events(session["id"], events(3))
    assert result["inserted"] == 3
    assert [seq for seq, _ in await stored_events(service, session["id"])] == [1, 2, 3]


async def test_a_large_table_is_scanned_in_slices_and_rows_keep_their_numbers(service: SessionService) -> None:
    session = await service.create_session("claude")
    count = 300_001  # more rows than one slice of the scan: several threads
    table = pa.table(
        {
            "event_type": pa.repeat(pa.scalar("step"), count),
            "event_data": pa.repeat(pa.scalar('{"n":1}'), count),
            "metadata": pa.array([f'{{"i":{n}}}' for n in range(count)], pa.string()),
        }
    )
    before = snapshot(service.store)
    for row in (count - 1, 250_000, 3):
        with pytest.raises(ValidationError, match=f"metadata at row {row} is not valid JSON"):
            await service.add_events(session["id"], with_value(table, "metadata", row, '{"i": -Infinity}'))
    assert snapshot(service.store) == before
    assert (await service.add_events(session["id"], table))["inserted"] == count


async def test_a_bad_value_is_reported_before_a_closed_or_unknown_session(service: SessionService) -> None:
    ended = await service.create_session("claude")
    await service.end_session(ended["id"])
    bad = with_value(events(3), "event_data", 1, '{"a": NaN}')
    for session_id in (ended["id"], uuid.uuid4()):
        with pytest.raises(ValidationError, match="event_data at row 1"):
            await service.add_events(session_id, bad)
    with pytest.raises(SessionClosedError):
        await service.add_events(ended["id"], events(3))
    with pytest.raises(NotFoundError):
        await service.add_events(uuid.uuid4(), events(3))


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ({("event_data", 5): '{"a": tru}', ("event_data", 20): '{"a": NaN}'}, "event_data at row 5"),
        ({("event_data", 5): '{"a": NaN}', ("event_data", 20): '{"a": tru}'}, "event_data at row 5"),
        ({("metadata", 1): '{"a": NaN}', ("event_data", 40): '{"a": tru}'}, "event_data at row 40"),
        ({("metadata", 1): '{"a": tru}', ("event_data", 40): '{"a": NaN}'}, "event_data at row 40"),
    ],
)
async def test_of_several_bad_values_the_first_is_named(
    service: SessionService, bad: dict[tuple[str, int], str], named: str
) -> None:
    """Column by column (event_data first), then row by row, whichever check finds each."""
    session = await service.create_session("claude")
    table = events(50)
    for (column, row), value in bad.items():
        table = with_value(table, column, row, value)
    with pytest.raises(ValidationError, match=named):
        await service.add_events(session["id"], table)


# -- the checks themselves: what is accepted is exactly what strict JSON accepts -----------------------------------

json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["NaN", "info", "a,]", "1e999", "[{"]),
    st.text(max_size=4),
).map(json.dumps)
LENIENT = [
    "NaN", "-Infinity", "+inf", "nAn", "Infinity", "1e999", "2E+308", "1e0309", "9" * 310 + ".5",
    "1E308", "1e-999", "9" * 310, "9" * 5000,
]  # fmt: skip
"""Values DuckDB's parser takes: some strict JSON (1E308), some not (NaN), some that overflow a float (1e999)."""
INVALID = ["01", "-0", "1.", ".5", "+1", "0x1", "tru", "True", "nul", "'a'", '"\\x"', '"\\u0041"']
"""Values in no JSON at all (except ``-0`` and the escapes)."""
SPACE = st.sampled_from(["", "", " ", "\n", "\t", "\r"])
EDITS = [",", " ", "\f", "[", "{", "}", "]", '"', "\\", ":", "NaN", "/*c*/", "//", "\ufeff"]


@st.composite
def json_like(draw: st.DrawFn, depth: int = 0) -> str:
    """JSON text written by hand: a few raw values, stray spaces and trailing commas, deep nesting at times."""
    if depth == 0:
        kinds = ["dict"] * 4 + ["list", "leaf"]
    else:
        kinds = ["leaf"] * 3 + ["lenient", "invalid"] + (["list", "dict", "dict"] if depth < 3 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "leaf":
        return draw(json_leaves)
    if kind == "lenient":
        return draw(st.sampled_from(LENIENT))
    if kind == "invalid":
        return draw(st.sampled_from(INVALID)) if draw(st.integers(0, 3)) == 0 else draw(json_leaves)
    if draw(st.integers(0, 9)) == 0:  # around the depth limit
        levels = draw(st.integers(MAX_JSON_DEPTH - 2, MAX_JSON_DEPTH + 2))
        return '{"d":' * levels + "1" + "}" * levels
    items = draw(st.lists(json_like(depth + 1), max_size=3))
    if kind == "dict":
        items = [json.dumps(draw(st.sampled_from(["a", "inf"]))) + draw(SPACE) + ":" + draw(SPACE) + i for i in items]
    body = ("," + draw(SPACE)).join(items)
    if items and draw(st.integers(0, 5)) == 0:
        body += "," + draw(SPACE)  # a trailing comma
    return ("[" if kind == "list" else "{") + draw(SPACE) + body + draw(SPACE) + ("]" if kind == "list" else "}")


@st.composite
def near_json(draw: st.DrawFn) -> str:
    """Mostly objects, valid or not, strict or merely lenient; at times with a random edit."""
    text = draw(json_like())
    if draw(st.integers(0, 3)) == 0:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + (draw(st.sampled_from(EDITS)) if draw(st.booleans()) else "") + text[at + 1 :]
    return text


def accepted_by_the_bulk_path(text: str) -> bool:
    """What add_events does with one value: the checks before the write, then DuckDB's cast in the INSERT."""
    column = pa.chunked_array([pa.array([text], pa.string())])
    try:
        check_json_column(column, column, "event_data")
        duckdb.connect().execute("SELECT ?::JSON IS NOT NULL", [text]).fetchall()
    except (ValidationError, duckdb.Error, UnicodeDecodeError):
        return False
    return True


def accepted_by_strict_json(text: str) -> bool:
    return strict_error(text, "event_data", 0) is None


CONTEXTS = ['{"a":%s}', '{"a": [1, %s]}', '{"a":[%s]}', '{"a":\n\t%s}', '{"a": {"b": %s}}', '{"a": "%s"}', "%s"]
TRAILING_COMMAS = ['{"a":1,}', '{"a":[1,]}', '{"a":[1 , ]}', '{"a":[1,\n]}', '{"a":{"b":1,\t}}', '{"a":"x,]"}']


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("value", LENIENT + INVALID)
def test_each_lenient_or_invalid_value_is_judged_as_strict_json_does(context: str, value: str) -> None:
    text = context % value
    assert accepted_by_the_bulk_path(text) == accepted_by_strict_json(text)


@pytest.mark.parametrize("text", TRAILING_COMMAS)
def test_trailing_commas_are_judged_as_strict_json_does(text: str) -> None:
    assert accepted_by_the_bulk_path(text) == accepted_by_strict_json(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=near_json())
@example(text='{"a":null,"inf":"0ud800\\udc00","inf":null}')  # a lone surrogate in a value its key replaced
def test_accepted_exactly_when_strict_json_accepts(text: str) -> None:
    """The suspect scan plus DuckDB's cast (what the INSERT does) agree with Python's strict parser."""
    assert accepted_by_the_bulk_path(text) == accepted_by_strict_json(text)
