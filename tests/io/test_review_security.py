"""Untrusted input: SQL text given to ``Store.sql`` and datasets whose ids collide with stored rows.

``Store.sql`` promises reads only: nothing it runs may change the store, DuckDB's settings or its
state (reading local files is allowed, it is the user's own query). A dataset handed over by someone
else must not leave the store in a state its own exports cannot restore.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from agentlog import SessionService, Store, ValidationError
from agentlog.io import export, import_
from tests.conftest import snapshot
from tests.io.test_dataset_bad_input import edit, expect_refused, set_column


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with Store(tmp_path / "store", embedder=None) as opened:
        yield opened


def _settings(store: Store) -> list[tuple[Any, ...]]:
    return store.sql(
        "SELECT current_setting('enable_logging'), current_setting('enable_profiling'), "
        "current_setting('profiling_mode')"
    ).fetchall()


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("EXPLAIN ANALYZE DELETE FROM sessions", "DELETE"),
        ("EXPLAIN ANALYSE CREATE TABLE mine AS SELECT 1 AS a", "CREATE"),
        ("EXPLAIN (ANALYZE) INSERT INTO sessions SELECT * FROM sessions", "INSERT"),
        ("/* a plan */ EXPLAIN (ANALYZE true, FORMAT json) -- of\n UPDATE sessions SET summary = 'x'", "UPDATE"),
        ("EXPLAIN ANALYZE SET threads = 1", "SET"),
        ("EXPLAIN ANALYZE COPY (SELECT 1) TO '{out}'", "COPY"),
        ("SELECT 1; EXPLAIN ANALYZE DROP TABLE events", "DROP"),
    ],
    ids=["delete", "create", "insert-options", "update-comments", "set", "copy", "second-statement"],
)
def test_explain_analyze_of_a_write_is_refused(store: Store, tmp_path: Path, query: str, kind: str) -> None:
    """EXPLAIN ANALYZE runs the statement it explains: it passed as a read and deleted, created, wrote files."""
    asyncio.run(SessionService(store).create_session("claude"))
    out = tmp_path / "out.csv"
    before, settings = snapshot(store), _settings(store)
    with pytest.raises(ValidationError, match=f"reads only; got a {kind} statement"):
        store.sql(query.format(out=out))
    assert snapshot(store) == before and _settings(store) == settings
    assert not out.exists()
    tables = store.sql("SELECT table_name FROM information_schema.tables WHERE table_name = 'mine'").fetchall()
    assert tables == []


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM enable_profiling()",
        "SELECT * FROM enable_logging()",
        'FROM "ENABLE_LOGGING" /* quoted */ ()',
        "SELECT * FROM system.main.truncate_duckdb_logs()",
        "SELECT * FROM checkpoint()",
        "SELECT * FROM force_checkpoint()",
        "SELECT setseed(0.5)",
        "SELECT (0.5).setseed()",
        "SELECT * FROM query('SELECT * FROM enable_profiling()')",
        "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT * FROM enable_logging()'))",
        "EXPLAIN ANALYZE SELECT * FROM enable_profiling()",
        "SELECT 1 AS a UNION ALL SELECT count(*) FROM disable_profiling()",
    ],
)
def test_a_read_that_changes_duckdb_state_is_refused(store: Store, query: str) -> None:
    """Table functions that a SELECT calls turned profiling and logging on (every later read printed its plan)."""
    before, settings = snapshot(store), _settings(store)
    with pytest.raises(ValidationError, match=r"reads only; .*\(\) changes DuckDB's state"):
        store.sql(query)
    assert snapshot(store) == before and _settings(store) == settings


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("EXPLAIN ANALYZE SELECT count(*) FROM events", None),
        ("EXPLAIN (SELECT 1)", None),
        ("EXPLAIN (FORMAT json) SELECT 1", None),
        ("SELECT 'enable_logging()' AS query, 2 AS checkpoint", [("enable_logging()", 2)]),
        ("SELECT count(*) FROM query_table('events')", [(0,)]),
        ("SELECT count(*) FROM read_csv('{csv}')", [(2,)]),
    ],
)
def test_reads_still_run(store: Store, tmp_path: Path, query: str, expected: Any) -> None:
    csv = tmp_path / "local.csv"
    csv.write_text("a,b\n1,2\n3,4\n")
    rows = store.sql(query.format(csv=csv)).fetchall()
    assert rows if expected is None else rows == expected


def test_a_query_that_is_not_utf8_is_a_validation_error(store: Store) -> None:
    """A lone surrogate made DuckDB's parser raise TypeError, not the documented ValidationError."""
    with pytest.raises(ValidationError, match="not valid SQL: it is not UTF-8"):
        store.sql("SELECT '\ud800'")


def test_an_event_id_stored_under_another_session_is_refused(tmp_path: Path, store: Store) -> None:
    """The dataset's event was skipped as "already stored": its session was left without seq 1, for good.

    The store's own export of it could then never be imported again (seq must run 1..n).
    """

    async def two_events(target: Store) -> dict[str, Any]:
        service = SessionService(target)
        session = await service.create_session("claude")
        first = await service.add_event(session["id"], "one", {"n": 1})
        await service.add_event(session["id"], "two", {"n": 2})
        return first

    with Store.memory(embedder=None) as source:
        asyncio.run(two_events(source))
        folder = export(source, tmp_path / "dataset").path
    stored = asyncio.run(two_events(store))
    stored_id = uuid.UUID(str(stored["id"]))

    def take_the_stored_id(table: pa.Table) -> pa.Table:
        ids = table.column("id").to_pylist()
        first = table.column("seq").to_pylist().index(1)
        ids[first] = stored_id.bytes
        return set_column(table, "id", pa.ExtensionArray.from_storage(pa.uuid(), pa.array(ids, pa.binary(16))))

    edit(folder, "events", take_the_stored_id)
    error = expect_refused(store, folder, f"events {stored_id} is already stored with session_id=", ValidationError)
    assert "diverged" in str(error)
    with Store.memory(embedder=None) as fresh:  # the store stays restorable
        assert import_(fresh, export(store, tmp_path / "again").path).tables["events"].inserted == 2


def test_a_read_never_downloads_a_duckdb_extension() -> None:
    # A remote URL in Store.sql made DuckDB download and install httpfs behind the read's back.
    # (Not tried here: with the setting on, the read would try the network.)
    with Store.memory(embedder=None) as store:
        assert store.sql("SELECT current_setting('autoinstall_known_extensions')").fetchall() == [(False,)]
    with Store.memory(embedder=None, duckdb_config={"autoinstall_known_extensions": True}) as store:
        assert store.sql("SELECT current_setting('autoinstall_known_extensions')").fetchall() == [(True,)]
