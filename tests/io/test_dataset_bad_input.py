"""A malformed, truncated or mismatched dataset raises ImportFormatError naming the file, and changes nothing."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from agentlog import ImportFormatError, SessionService, Store, ValidationError
from agentlog.io import export, import_
from tests.conftest import snapshot
from tests.io.test_dataset import fill


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A good dataset, written once; each test corrupts a copy."""
    import asyncio

    folder = tmp_path_factory.mktemp("good") / "x"
    with Store.memory(embedder=None) as store:
        asyncio.run(fill(store))
        export(store, folder)
    return folder


@pytest.fixture
def copy(dataset: Path, tmp_path: Path) -> Path:
    target = tmp_path / "dataset"
    shutil.copytree(dataset, target)
    return target


@pytest.fixture
def target(tmp_path: Path) -> Any:
    """A store that already holds data, to show it stays unchanged."""
    import asyncio

    with Store(tmp_path / "store", embedder=None) as store:

        async def seed() -> None:
            service = SessionService(store)
            s = await service.create_session("claude")
            await service.add_event(s["id"], "kept", {"a": 1})

        asyncio.run(seed())
        yield store


def manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text())


def save_manifest(folder: Path, data: dict[str, Any]) -> None:
    (folder / "manifest.json").write_text(json.dumps(data))


def first_file(folder: Path, table: str) -> Path:
    return folder / manifest(folder)["tables"][table]["files"][0]["path"]


def rewrite(folder: Path, path: Path, table: pa.Table) -> None:
    """Replace a data file and update its size and rows in the manifest (a consistent but bad dataset)."""
    pq.write_table(table, path, compression="zstd")
    data = manifest(folder)
    relative = path.relative_to(folder).as_posix()
    for entry in data["tables"].values():
        for item in entry["files"]:
            if item["path"] == relative:
                entry["rows"] += table.num_rows - item["rows"]
                item["rows"], item["bytes"] = table.num_rows, path.stat().st_size
    save_manifest(folder, data)


def edit(folder: Path, table: str, change: Callable[[pa.Table], pa.Table]) -> Path:
    path = first_file(folder, table)
    rewrite(folder, path, change(pq.read_table(path)))
    return path


def set_column(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, values)


def string_values(table: pa.Table, name: str, first: str) -> pa.Array:
    column = table.column(name)
    values = [first, *column.to_pylist()[1:]]
    return pa.array(values, column.type.storage_type if isinstance(column.type, pa.BaseExtensionType) else column.type)


def json_values(table: pa.Table, name: str, first: str) -> pa.Array:
    values = [first, *[v for v in table.column(name).cast(pa.string()).to_pylist()[1:]]]
    return pa.ExtensionArray.from_storage(pa.json_(), pa.array(values, pa.string()))


def expect_refused(store: Store, folder: Path, match: str, error: type[Exception] = ImportFormatError) -> Any:
    before = snapshot(store)
    with pytest.raises(error, match=match) as caught:
        import_(store, folder)
    assert snapshot(store) == before
    return caught.value


def test_the_good_dataset_imports(copy: Path, target: Store) -> None:
    assert import_(target, copy).inserted > 0


def test_truncated_file_is_caught_before_parsing(copy: Path, target: Store) -> None:
    path = first_file(copy, "events")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    error = expect_refused(target, copy, "truncated or replaced")
    assert error.path == str(path)


def test_truncated_file_with_a_matching_manifest_is_not_parquet(copy: Path, target: Store) -> None:
    path = first_file(copy, "sessions")
    data = path.read_bytes()
    path.write_bytes(data[:-100])
    info = manifest(copy)
    info["tables"]["sessions"]["files"][0]["bytes"] = path.stat().st_size
    save_manifest(copy, info)
    expect_refused(target, copy, r"sessions/part-0\.parquet: not a readable Parquet file")


def test_missing_column(copy: Path, target: Store) -> None:
    edit(copy, "events", lambda t: t.drop_columns(["metadata"]))
    expect_refused(target, copy, r"part-0\.parquet: columns are \[.*\], expected")


def test_wrong_column_type(copy: Path, target: Store) -> None:
    edit(copy, "events", lambda t: set_column(t, "seq", pc.cast(t.column("seq"), pa.string())))
    expect_refused(target, copy, "column seq is string, expected int64")


def test_uuid_stored_as_text(copy: Path, target: Store) -> None:
    edit(copy, "sessions", lambda t: set_column(t, "id", pa.array([str(v) for v in t.column("id").to_pylist()])))
    expect_refused(target, copy, r"column id is string, expected extension<arrow\.uuid>")


def test_row_count_differs_from_the_manifest(copy: Path, target: Store) -> None:
    info = manifest(copy)
    entry = info["tables"]["events"]
    entry["files"][0]["rows"] += 1
    entry["rows"] += 1
    save_manifest(copy, info)
    expect_refused(target, copy, "rows but the manifest says")


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda m: m.update(format_version=99), "format version 99 is newer"),
        (lambda m: m.update(format="other"), "not an agentlog dataset manifest"),
        (lambda m: m.update(extra=1), r"invalid manifest: extra: Extra inputs are not permitted"),
        (lambda m: m["tables"]["sessions"].update(rows=12345), "rows is 12345 but its files hold"),
        (lambda m: m["tables"].update(gadgets=m["tables"]["sessions"]), "must be under gadgets/"),
        (lambda m: m["tables"]["sessions"]["columns"].pop(), "expects"),
        (lambda m: m["tables"]["sessions"]["columns"][0].update(type="string"), "has columns"),
        (lambda m: m["tables"]["sessions"]["files"][0].update(path="../../etc/passwd.parquet"), "relative path"),
        (lambda m: m["tables"]["sessions"]["files"][0].update(path="/etc/x.parquet"), "relative path"),
        (lambda m: m["tables"]["sessions"]["files"][0].update(path="sessions/../../x.parquet"), "relative path"),
        (lambda m: m["tables"]["sessions"]["files"][0].update(path="sessions/gone.parquet"), "is missing"),
    ],
    ids=[
        "newer-version",
        "other-format",
        "unknown-key",
        "rows-mismatch",
        "unknown-table",
        "fewer-columns",
        "column-type",
        "dotdot",
        "absolute",
        "inner-dotdot",
        "missing-file",
    ],
)
def test_bad_manifest(copy: Path, target: Store, change: Callable[[dict[str, Any]], Any], match: str) -> None:
    info = manifest(copy)
    change(info)
    save_manifest(copy, info)
    error = expect_refused(target, copy, match)
    assert error.path is not None and error.path.startswith(str(copy.resolve()))


def test_unknown_table_names_the_newer_agentlog(copy: Path, target: Store) -> None:
    info = manifest(copy)
    info["tables"]["gadgets"] = {"rows": 0, "columns": [], "partitioned_by": None, "files": []}
    save_manifest(copy, info)
    expect_refused(target, copy, "not one this agentlog .* imports.* upgrade agentlog")


def test_manifest_that_is_not_json_or_absent(copy: Path, target: Store, tmp_path: Path) -> None:
    (copy / "manifest.json").write_text("{nope")
    expect_refused(target, copy, "manifest is not valid JSON")
    (copy / "manifest.json").unlink()
    expect_refused(target, copy, "no manifest: not an agentlog export")
    expect_refused(target, tmp_path / "absent", "does not exist")


def test_a_symlink_out_of_the_dataset_is_refused(copy: Path, target: Store, tmp_path: Path) -> None:
    path = first_file(copy, "sessions")
    outside = tmp_path / "outside.parquet"
    shutil.move(path, outside)
    path.symlink_to(outside)
    expect_refused(target, copy, "leads outside the dataset folder")


@pytest.mark.parametrize(
    ("table", "column", "value", "match"),
    [
        ("events", "event_data", '{"a":1,}', "event_data is not valid JSON"),
        ("events", "event_data", '{"a":NaN}', "event_data is not valid JSON"),
        ("events", "event_data", '{"a":-Infinity}', "event_data is not valid JSON"),
        ("events", "event_data", "[1, 2]", "event_data is a JSON list, not an object"),
        ("events", "metadata", '{"x":', "metadata is not valid JSON"),
        ("events", "event_data", "[" * 40 + "]" * 40, "event_data is a JSON list, not an object"),
        ("events", "event_data", '{"a":' + "[" * 40 + "]" * 40 + "}", r"event_data\['a'\]\[0\].* nests deeper than 32"),
        ("sessions", "state", "{} {}", "state is not valid JSON"),
        ("sessions", "metadata", '"text"', "metadata is a JSON str, not an object"),
    ],
    ids=["trailing-comma", "nan", "infinity", "array", "cut", "deep-array", "deep", "two-values", "string"],
)
def test_invalid_json_is_refused(copy: Path, target: Store, table: str, column: str, value: str, match: str) -> None:
    path = edit(copy, table, lambda t: set_column(t, column, json_values(t, column, value)))
    error = expect_refused(target, copy, f"row 0: {match}")
    assert error.path == str(path)


@pytest.mark.parametrize(
    ("table", "column", "value", "match"),
    [
        ("sessions", "lifecycle", "finished", "lifecycle must be one of created, active"),
        ("sessions", "agent", "bad\x00agent", "agent must be a name"),
        ("sessions", "agent", "   ", "agent must be a name"),
        ("sessions", "summary", "x" * 262_145, "summary must be at most 262144 bytes"),
        ("events", "event_type", "has space", "event_type must be an identifier"),
    ],
    ids=["lifecycle", "control-char", "blank", "long-summary", "event-type"],
)
def test_invalid_values_are_refused(copy: Path, target: Store, table: str, column: str, value: str, match: str) -> None:
    edit(copy, table, lambda t: set_column(t, column, string_values(t, column, value)))
    expect_refused(target, copy, f"row 0: {match}")


def test_the_row_named_is_the_bad_one(copy: Path, target: Store) -> None:
    def last_bad(t: pa.Table) -> pa.Table:
        values = t.column("event_type").to_pylist()
        values[-1] = "bad type"
        return set_column(t, "event_type", pa.array(values, pa.string()))

    path = edit(copy, "events", last_bad)
    rows = pq.read_metadata(path).num_rows
    expect_refused(target, copy, f"part-0.parquet: row {rows - 1}: event_type must be an identifier")


def test_invalid_utf8_is_refused(copy: Path, target: Store) -> None:
    def bad(t: pa.Table) -> pa.Table:
        raw = [b"\xff\xfe not utf-8", *[v.encode() for v in t.column("event_type").to_pylist()[1:]]]
        return set_column(t, "event_type", pa.array(raw, pa.binary()).view(pa.string()))

    edit(copy, "events", bad)
    expect_refused(target, copy, "cannot read the data: .*UTF8")


def test_null_in_a_required_column(copy: Path, target: Store) -> None:
    edit(copy, "events", lambda t: set_column(t, "event_type", pa.array([None] * t.num_rows, pa.string())))
    expect_refused(target, copy, "row 0: event_type is null, but it is required")


def test_timestamp_python_cannot_hold(copy: Path, target: Store) -> None:
    def far(t: pa.Table) -> pa.Table:
        values = pa.array([2**62] * t.num_rows, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
        return set_column(t, "started_at", values)

    edit(copy, "sessions", far)
    expect_refused(target, copy, "row 0: started_at is outside the years 1-9999")


def test_repeated_ids(copy: Path, target: Store) -> None:
    def repeat(t: pa.Table) -> pa.Table:
        return pa.concat_tables([t, t.slice(0, 1)])

    edit(copy, "sessions", repeat)
    expect_refused(target, copy, r"id [0-9a-f-]+ is repeated \(first at row 0 of")


@pytest.mark.parametrize("kind", ["gap", "repeat", "zero"])
def test_seq_must_run_from_one_without_gaps(copy: Path, target: Store, kind: str) -> None:
    def change(t: pa.Table) -> pa.Table:
        seq = t.column("seq").to_pylist()
        session = t.column("session_id").to_pylist()
        first = session[0]
        rows = [i for i, s in enumerate(session) if s == first]
        i = rows[-1]
        seq[i] = {"gap": seq[i] + 5, "repeat": seq[rows[0]], "zero": 0}[kind]
        return set_column(t, "seq", pa.array(seq, pa.int64()))

    edit(copy, "events", change)
    expect_refused(target, copy, "seq of sessions .* must run 1..n without gaps or repeats")


def test_events_of_a_session_nobody_has(copy: Path, target: Store) -> None:
    stranger = uuid.uuid4()

    def orphan(t: pa.Table) -> pa.Table:
        t = t.slice(0, 1)
        t = set_column(t, "session_id", pa.array([stranger.bytes], pa.uuid()))
        return set_column(t, "seq", pa.array([1], pa.int64()))

    edit(copy, "events", orphan)
    expect_refused(target, copy, f"refers to sessions {stranger}, which is neither in the dataset nor in the store")


async def test_a_dataset_that_diverged_from_the_store_is_refused(tmp_path: Path) -> None:
    with Store.memory(embedder=None) as origin, Store(tmp_path / "copy", embedder=None) as replica:
        service, other = SessionService(origin), SessionService(replica)
        session = await service.create_session("claude")
        for n in range(3):
            await service.add_event(session["id"], "step", {"n": n})
        import_(replica, export(origin, tmp_path / "first").path)
        await other.add_event(session["id"], "in_the_replica", {})  # seq 4 here...
        await service.add_event(session["id"], "in_the_origin", {})  # ...and a different seq 4 there
        second = export(origin, tmp_path / "second").path
        expect_refused(replica, second, "already has a different event with seq 4", ValidationError)


@pytest.mark.parametrize("value", ["NaN", "  -Infinity", "nan"])
async def test_a_json_value_that_is_only_a_non_finite_number(tmp_path: Path, value: str) -> None:
    """DuckDB's json_valid accepts a bare NaN or Infinity; strict JSON does not (memories keep any JSON value)."""
    from agentlog import MemoryService

    with Store.memory(embedder=None) as source:
        await MemoryService(source).put_memory("user:ada", "score", 0.5, "semantic")
        folder = export(source, tmp_path / "x").path
    path = edit(folder, "memories", lambda t: set_column(t, "value", json_values(t, "value", value)))
    with Store.memory(embedder=None) as store:
        error = expect_refused(store, folder, "row 0: value is not valid JSON")
    assert error.path == str(path)
