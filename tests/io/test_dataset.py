"""agentlog's Parquet dataset: lossless round trips, layout, filters, destinations."""

from __future__ import annotations

import json
import os
import stat
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import agentlog.io.dataset_export as export_module
from agentlog import ImportFormatError, SessionService, Store, ValidationError
from agentlog.demo import generate_demo_data
from agentlog.errors import StoreClosedError
from agentlog.io import EXPORT_TABLES, ExportTable, export, import_, is_dataset, read_dataset_manifest
from agentlog.services.import_ops import EVENT_ROWS, SESSION_ROWS, ImportRows, check_rows
from agentlog.store.tables import SCHEMAS
from agentlog.store.writer import Transaction
from tests.conftest import run_python, snapshot

T0 = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


def table_rows(store: Store, name: str) -> list[tuple[Any, ...]]:
    """Every row of a table without index_lsn, ordered by id (JSON columns come back as their stored text)."""
    return store.sql(f"SELECT * EXCLUDE (index_lsn) FROM {name} ORDER BY id").fetchall()


def data_tables(store: Store) -> list[str]:
    existing = {r[0] for r in store.sql("SELECT table_name FROM information_schema.tables").fetchall()}
    return [spec.name for spec in EXPORT_TABLES if spec.name in existing]


async def fill(store: Store) -> dict[str, Any]:
    """A store with what real data has: every lifecycle, unicode, nested JSON, ties, null timestamps."""
    service = SessionService(store)
    project = uuid.UUID("b231255f-6ed9-4440-80de-958bcf7b4f9f")
    ended = await service.create_session(
        "claude",
        project,
        {"task": "bug fix", "nested": {"list": [1, 2.5, None, True, "é"], "empty": {}}},
        user_id="ada",
        app_name="cli",
        initial_state={"step": 1},
        started_at=T0,
    )
    for n in range(5):
        await service.add_event(
            ended["id"],
            "tool_call",
            {"n": n, "text": 'naïve 日本語 \u2028 "quoted" \\ back', "float": 0.1 + n},
            metadata={"is_error": n == 3},
            timestamp=T0 + timedelta(minutes=20 * n),  # crosses midnight UTC: two partitions
        )
    await service.end_session(ended["id"], summary="Fixed the TypeError — ünïcode summary")
    active = await service.create_session("gemini", started_at=T0 + timedelta(days=2))
    await service.add_event(active["id"], "decision_made", {"decision": "use DuckDB"}, timestamp=T0 + timedelta(days=2))
    paused = await service.create_session("gpt", started_at=T0 + timedelta(days=3))
    await service.add_event(paused["id"], "task_created", {"task_id": "7"}, timestamp=T0 + timedelta(days=3))
    await service.update_lifecycle(paused["id"], "paused")
    archived = await service.create_session("claude", started_at=T0 - timedelta(days=1))
    await service.end_session(archived["id"])
    await service.update_lifecycle(archived["id"], "archived")
    await service.create_session("user", started_at=T0 + timedelta(days=4))  # created, no events
    demo = generate_demo_data(sessions=20, seed=3)
    await store.write_async(
        ImportRows(check_rows(demo.sessions, SESSION_ROWS, "sessions"), check_rows(demo.events, EVENT_ROWS, "events"))
    )
    # events without timestamps (imports of formats that have none), with tied seq order
    imported = uuid.uuid4()
    sessions = check_rows(
        pa.table(
            {
                "id": pa.array([imported.bytes], pa.uuid()),
                "agent": ["codex"],
                "project_id": pa.nulls(1, pa.uuid()),
                "user_id": pa.nulls(1, pa.string()),
                "app_name": pa.nulls(1, pa.string()),
                "lifecycle": ["terminated"],
                "summary": pa.nulls(1, pa.string()),
                "metadata": ['{"format":"codex",  "spaced" : true}'],  # stored text kept byte for byte
                "state": ["{}"],
                "started_at": [T0 + timedelta(microseconds=123457)],
                "ended_at": [T0 + timedelta(microseconds=999999)],
                "updated_at": [T0 + timedelta(seconds=1)],
            }
        ),
        SESSION_ROWS,
        "sessions",
    )
    events = check_rows(
        pa.table(
            {
                "id": pa.array([uuid.uuid4().bytes for _ in range(3)], pa.uuid()),
                "session_id": pa.array([imported.bytes] * 3, pa.uuid()),
                "seq": [1, 2, 3],
                "event_type": ["a", "b", "c"],
                "event_data": [' {"x": 1}', '{"big":"18446744073709551617"}', "{}"],
                "metadata": ["{}"] * 3,
                "timestamp": pa.array([None, T0, None], pa.timestamp("us", tz="UTC")),
            }
        ),
        EVENT_ROWS,
        "events",
    )
    await store.write_async(ImportRows(sessions, events))
    return {"ended": ended["id"], "imported": imported, "demo": demo}


def read_dataset(folder: Path, table: str) -> pa.Table:
    files = sorted((folder / table).rglob("*.parquet"))
    parts = [pq.read_table(f) for f in files]
    table = pa.concat_tables([pa.Table.from_arrays(p.columns, names=p.column_names) for p in parts])
    key = pa.chunked_array([c.storage for c in table.column("id").chunks], type=pa.binary(16))
    return table.append_column("sort_key", key).sort_by("sort_key").drop_columns(["sort_key"])


async def test_round_trip_is_lossless(store: Store, tmp_path: Path) -> None:
    await fill(store)
    first = export(store, tmp_path / "first")
    with Store(tmp_path / "target") as target:
        result = import_(target, first.path)
        assert result.tables["events"].inserted == table_count(store, "events")
        assert result.skipped == 0
        for name in data_tables(store):
            assert table_rows(target, name) == table_rows(store, name), name
        # JSON text is byte-equal (not just equal once parsed)
        texts = target.sql("SELECT metadata FROM sessions WHERE agent = 'codex' AND metadata LIKE '%spaced%'")
        assert texts.fetchall() == [('{"format":"codex",  "spaced" : true}',)]
        second = export(target, tmp_path / "second")
    assert second.rows == first.rows
    for name in first.rows:
        assert read_dataset(second.path, name).equals(read_dataset(first.path, name)), name
    assert sorted(f.path for f in second.manifest.tables["events"].files) == sorted(
        f.path for f in first.manifest.tables["events"].files
    )


def table_count(store: Store, name: str) -> int:
    return int(store.sql(f"SELECT count(*) FROM {name}").fetchall()[0][0])


async def test_an_export_is_a_consistent_snapshot_while_agents_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio
    import time

    write_table = export_module._write_table

    def slowly(*args: Any) -> Any:  # widen the gap between tables, where agents keep writing
        entry = write_table(*args)
        time.sleep(0.2)
        return entry

    monkeypatch.setattr(export_module, "_write_table", slowly)
    with Store(tmp_path / "busy", embedder=None) as store:
        service = SessionService(store)
        done = asyncio.Event()

        async def agent(n: int) -> None:
            for _ in range(200):  # new sessions and events while the exports read
                if done.is_set():
                    return
                session = await service.create_session(f"agent-{n}")
                await service.add_events(
                    session["id"], [{"event_type": "step", "event_data": {"i": i}} for i in range(20)]
                )

        writers = [asyncio.create_task(agent(n)) for n in range(3)]
        await asyncio.sleep(0.05)
        results = []
        for i in range(3):
            results.append(await asyncio.to_thread(export, store, tmp_path / f"x{i}"))
        done.set()
        await asyncio.gather(*writers)
    assert len({r.rows["events"] for r in results}) > 1  # the exports really raced the writers
    for result in results:
        with Store.memory(embedder=None) as target:
            restored = import_(target, result.path)  # no event without its session, every seq 1..n
            assert restored.tables["events"].inserted == result.rows["events"]
            assert result.rows["events"] % 20 == 0  # add_events commits its 20 events together


async def test_restored_sessions_take_new_events_after_their_last_seq(tmp_path: Path) -> None:
    with Store.memory() as source:
        await fill(source)
        folder = export(source, tmp_path / "x").path
    with Store.memory() as target:
        import_(target, folder)
        service = SessionService(target)
        active = target.sql("SELECT id FROM sessions WHERE agent = 'gemini' AND lifecycle = 'active'").fetchall()
        added = await service.add_event(active[0][0], "task_updated", {"k": 1})
        assert added["seq"] == 2


async def test_importing_twice_adds_nothing(store: Store, tmp_path: Path) -> None:
    with Store.memory() as source:
        await fill(source)
        folder = export(source, tmp_path / "x").path
    first = import_(store, folder)
    before = snapshot(store)
    again = import_(store, folder)
    assert again.inserted == 0
    assert again.skipped == first.inserted
    assert snapshot(store) == before


async def test_restored_rows_reach_the_vector_index(tmp_path: Path) -> None:
    with Store.memory() as source:
        await fill(source)
        folder = export(source, tmp_path / "x").path
        expected = table_count(source, "events")
    with Store(tmp_path / "target", embedder="fake") as target:
        import_(target, folder)
        lsns = target.sql("SELECT count(DISTINCT index_lsn), min(index_lsn) FROM events").fetchall()[0]
        assert lsns[0] == expected and lsns[1] > 0
        target.wait_for_index(timeout=60)
        assert target.index is not None
        assert target.index.tables.count("events") == expected


async def test_layout_partitions_events_by_utc_date_and_readers_get_it(tmp_path: Path) -> None:
    with Store.memory() as store:
        await fill(store)
        result = export(store, tmp_path / "x")
        expected = store.sql(
            "SELECT strftime(timezone('UTC', timestamp), '%Y-%m-%d') AS day, count(*) FROM events GROUP BY 1"
        ).fetchall()
    folder = result.path
    assert is_dataset(folder)
    manifest = read_dataset_manifest(folder)
    assert manifest == result.manifest
    assert manifest.format_version == 1 and manifest.vectors is None
    assert manifest.embedder is not None and manifest.embedder.name.startswith("fake")  # the tests' embedder
    assert manifest.tables["events"].partitioned_by == "date(timestamp)"
    assert [c.name for c in manifest.tables["events"].columns] == [
        n for n in SCHEMAS["events"].names if n != "index_lsn"
    ]
    by_day = {}
    for item in manifest.tables["events"].files:
        partition = Path(item.path).parent.name
        assert partition.startswith("date=")
        table = pq.read_table(folder / item.path)
        assert table.num_rows == item.rows
        day = partition.removeprefix("date=")
        days = {None if t is None else t.strftime("%Y-%m-%d") for t in table.column("timestamp").to_pylist()}
        assert days == {None if day == "__HIVE_DEFAULT_PARTITION__" else day}
        by_day[None if day == "__HIVE_DEFAULT_PARTITION__" else day] = item.rows
    assert by_day == dict(expected)
    assert "2026-03-01" in by_day and "2026-03-02" in by_day  # one session crossed midnight UTC
    # the files are zstd Parquet, with UUID and JSON logical types
    meta = pq.ParquetFile(folder / manifest.tables["sessions"].files[0].path)
    assert meta.metadata.row_group(0).column(0).compression == "ZSTD"
    assert isinstance(meta.schema_arrow.field("metadata").type, pa.JsonType)
    assert isinstance(meta.schema_arrow.field("id").type, pa.UuidType)
    assert {c.type for c in manifest.tables["sessions"].columns} >= {"uuid", "json", "string", "timestamp[us, tz=UTC]"}
    # DuckDB and Polars read it directly, with the date partition
    con = duckdb.connect()
    glob = str(folder / "events" / "**" / "*.parquet")
    got = con.sql(
        f"SELECT count(*), count(date), typeof(any_value(date)) FROM read_parquet('{glob}', hive_partitioning=true)"
    )
    assert got.fetchall() == [(sum(by_day.values()), sum(n for d, n in by_day.items() if d), "DATE")]
    frame = pl.scan_parquet(glob, hive_partitioning=True).collect()
    assert frame.schema["date"] == pl.Date and frame.height == sum(by_day.values())


async def test_filters_select_sessions_started_in_range_and_their_events(tmp_path: Path) -> None:
    with Store.memory() as store:
        await fill(store)
        since, until = T0, T0 + timedelta(days=3)  # [since, until): the gpt session at exactly until is out
        result = export(store, tmp_path / "x", since=since, until=until, agents=["claude", "gemini", "gpt"])
        expected_sessions = store.sql(
            "SELECT id FROM sessions WHERE started_at >= ? AND started_at < ? AND agent IN ('claude', 'gemini', 'gpt')",
            [since, until],
        ).fetchall()
        expected_events = store.sql(
            "SELECT id FROM events WHERE session_id IN (SELECT id FROM sessions WHERE started_at >= ? "
            "AND started_at < ? AND agent IN ('claude', 'gemini', 'gpt'))",
            [since, until],
        ).fetchall()
        one = export(store, tmp_path / "one", agents="gemini")
    sessions = read_dataset(result.path, "sessions")
    assert sorted(str(i) for i in sessions.column("id").to_pylist()) == sorted(str(r[0]) for r in expected_sessions)
    assert T0 in sessions.column("started_at").to_pylist()  # since is inclusive
    assert {a for a in sessions.column("agent").to_pylist()} <= {"claude", "gemini", "gpt"}
    events = read_dataset(result.path, "events")
    assert sorted(str(i) for i in events.column("id").to_pylist()) == sorted(str(r[0]) for r in expected_events)
    assert result.manifest.filters.since == since and result.manifest.filters.agents == ["claude", "gemini", "gpt"]
    assert set(read_dataset(one.path, "sessions").column("agent").to_pylist()) == {"gemini"}
    with Store.memory() as target:  # a filtered export restores on its own
        import_(target, result.path)
        assert table_count(target, "events") == len(expected_events)


def test_export_refuses_foreign_destinations(tmp_path: Path) -> None:
    with Store.memory() as store:
        a_file = tmp_path / "file.txt"
        a_file.write_text("mine")
        with pytest.raises(ValidationError, match="not a folder"):
            export(store, a_file)
        folder = tmp_path / "notes"
        folder.mkdir()
        (folder / "todo.md").write_text("keep me")
        with pytest.raises(ValidationError, match="not an agentlog export"):
            export(store, folder)
        assert (folder / "todo.md").read_text() == "keep me" and len(list(folder.iterdir())) == 1
        empty = tmp_path / "empty"
        empty.mkdir()
        assert export(store, empty).path == empty.resolve()
        # an earlier export that someone added a file to is not ours to replace
        (empty / "sessions" / "notes.txt").write_text("keep me too")
        with pytest.raises(ValidationError, match=r"files it did not write \(sessions/notes.txt\)"):
            export(store, empty)
        assert (empty / "sessions" / "notes.txt").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left behind


async def test_export_replaces_an_earlier_export(tmp_path: Path) -> None:
    with Store.memory() as store:
        first = export(store, tmp_path / "x")
        assert first.rows["sessions"] == 0
        await fill(store)
        second = export(store, tmp_path / "x")
    assert second.rows["sessions"] == read_dataset(second.path, "sessions").num_rows > 0
    assert sorted(p.name for p in list(tmp_path.iterdir())) == ["x"]  # noqa: ASYNC240
    files = {p.relative_to(second.path).as_posix() for p in second.path.rglob("*") if p.is_file()}
    assert files == {"manifest.json", *second.manifest.files()}


def test_a_failed_export_leaves_no_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: Any) -> None:
        raise KeyboardInterrupt

    with Store.memory() as store:
        monkeypatch.setattr(export_module, "install", crash)
        with pytest.raises(KeyboardInterrupt):
            export(store, tmp_path / "x")
    assert list(tmp_path.iterdir()) == []


def test_a_crash_before_the_rename_leaves_nothing_that_looks_complete(tmp_path: Path) -> None:
    code = """
import os, sys
import agentlog.io.dataset_export as export_module
from agentlog import Store
from agentlog.io import export

def crash(folder, manifest):
    os._exit(9)  # killed after the data files, before the manifest and the rename

export_module.write_dataset_manifest = crash
with Store.memory(embedder=None) as store:
    export(store, sys.argv[1])
"""
    result = run_python(code, str(tmp_path / "backup"))
    assert result.returncode == 9, result.stderr
    assert not (tmp_path / "backup").exists()
    (leftover,) = list(tmp_path.iterdir())  # the temporary folder: hidden, and not a dataset
    assert leftover.name.startswith(".backup.agentlog-export-") and not is_dataset(leftover)
    with Store.memory() as store, pytest.raises(ImportFormatError, match="no manifest"):
        import_(store, leftover)


def test_export_checks_its_arguments(tmp_path: Path) -> None:
    naive = datetime(2026, 1, 1)
    with Store.memory() as store:
        with pytest.raises(ValidationError, match="naive"):
            export(store, tmp_path / "x", since=naive)
        with pytest.raises(ValidationError, match="must be before until"):
            export(store, tmp_path / "x", since=T0, until=T0)
        with pytest.raises(ValidationError, match="at least one agent"):
            export(store, tmp_path / "x", agents=[])
        with pytest.raises(ValidationError, match="agents\\[0\\]"):
            export(store, tmp_path / "x", agents=["bad\nname"])
        with pytest.raises(ValidationError, match="with_vectors must be True or False"):
            export(store, tmp_path / "x", with_vectors=1)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="must be a path"):
            export(store, 42)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must be an agentlog Store"):
        export("store", tmp_path / "x")  # type: ignore[arg-type]
    with pytest.raises(StoreClosedError):
        export(store, tmp_path / "x")
    assert list(tmp_path.iterdir()) == []


class _CreateWidgets:
    def apply(self, tx: Transaction) -> None:
        tx.execute(
            "CREATE TABLE widgets (id UUID PRIMARY KEY, name VARCHAR NOT NULL, spec JSON NOT NULL, "
            "index_lsn BIGINT NOT NULL)"
        )


class _AddWidgets:
    def __init__(self, names: list[str]) -> None:
        self.names = names

    def apply(self, tx: Transaction) -> None:
        for name in self.names:
            tx.append(
                "widgets",
                {
                    "id": uuid.uuid5(uuid.NAMESPACE_DNS, name).bytes,
                    "name": name,
                    "spec": json.dumps({"n": name}),
                    "index_lsn": tx.next_lsn(),
                },
            )


async def test_a_table_added_to_the_registry_travels_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Adding a table to the format is one ExportTable line (plus its Arrow schema in SCHEMAS)."""
    schema = pa.schema(
        [
            pa.field("id", pa.uuid(), nullable=False),
            pa.field("name", pa.string(), nullable=False),
            pa.field("spec", pa.string(), nullable=False),
            pa.field("index_lsn", pa.int64(), nullable=False),
        ]
    )
    monkeypatch.setitem(SCHEMAS, "widgets", schema)
    registry = (*EXPORT_TABLES, ExportTable("widgets", rules={"spec": "json_object"}))
    monkeypatch.setattr("agentlog.io.registry.EXPORT_TABLES", registry)
    monkeypatch.setattr("agentlog.io.layout.EXPORT_TABLES", registry)
    with Store.memory() as source, Store.memory() as target:
        source.write(_CreateWidgets())
        source.write(_AddWidgets(["a", "b", "c"]))
        result = export(source, tmp_path / "x")
        assert result.rows["widgets"] == 3
        target.write(_CreateWidgets())
        target.write(_AddWidgets(["a"]))
        restored = import_(target, result.path)
        assert (restored.tables["widgets"].inserted, restored.tables["widgets"].skipped) == (2, 1)
        assert table_rows(target, "widgets") == table_rows(source, "widgets")
        lsns = target.sql("SELECT count(DISTINCT index_lsn) FROM widgets WHERE index_lsn > 1").fetchall()
        assert lsns == [(2,)]


def test_an_export_has_the_permissions_of_any_new_folder(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        with Store.memory(embedder=None) as empty:
            path = export(empty, tmp_path / "backup").path
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o755  # not mkdtemp's 0700: others may read the dataset
    assert [p.name for p in tmp_path.iterdir()] == ["backup"]  # no staging folder left beside it
