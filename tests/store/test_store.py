"""Opening, closing, migrations and the manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from agentlog import (
    NotAStoreError,
    SessionService,
    Store,
    StoreClosedError,
    StoreVersionError,
    ValidationError,
    default_store_path,
)
from agentlog.store.manifest import MANIFEST_NAME, read_manifest
from agentlog.store.migrations import LATEST_SCHEMA_VERSION, MIGRATIONS, Migration, apply_migrations
from agentlog.store.store import DUCKDB_NAME
from tests.conftest import snapshot


def test_new_store_layout_and_manifest(tmp_path: Path) -> None:
    with Store(tmp_path / "s") as store:
        assert store.schema_version == LATEST_SCHEMA_VERSION
        assert (tmp_path / "s" / DUCKDB_NAME).exists()
    manifest = read_manifest(tmp_path / "s")
    assert manifest is not None
    assert manifest.format == "agentlog-store" and manifest.schema_version == LATEST_SCHEMA_VERSION
    assert manifest.embedder is not None
    assert (manifest.embedder.name, manifest.embedder.dimension) == ("fake-hash-64", 64)
    with Store(tmp_path / "plain", embedder=None):
        pass
    plain = read_manifest(tmp_path / "plain")
    assert plain is not None and plain.embedder is None


def test_default_location_uses_agentlog_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTLOG_HOME", str(tmp_path / "home"))
    assert default_store_path() == tmp_path / "home"
    with Store() as store:
        assert store.path == (tmp_path / "home").resolve()
    monkeypatch.delenv("AGENTLOG_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_store_path() == tmp_path / "xdg" / "agentlog"


async def test_use_after_close_raises(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    service = SessionService(store)
    session = await service.create_session("claude")
    store.close()
    store.close()  # idempotent
    assert store.closed
    with pytest.raises(StoreClosedError):
        await service.add_event(session["id"], "task_created", {})
    with pytest.raises(StoreClosedError):
        await service.get_session(session["id"])
    with pytest.raises(StoreClosedError):
        store.sql("SELECT 1")
    assert "closed" in repr(store)


def test_memory_store_is_ephemeral() -> None:
    with Store.memory() as store:
        assert store.in_memory and store.path is None
        assert store.sql("SELECT count(*) FROM sessions").fetchall() == [(0,)]
    with pytest.raises(ValueError, match="not both"):
        Store("/tmp/x", memory=True)


def test_refuses_a_directory_that_is_not_a_store(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(NotAStoreError, match="not an agentlog store"):
        Store(tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotAStoreError):
        Store(tmp_path / "file")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / MANIFEST_NAME).write_text("{not json")
    with pytest.raises(NotAStoreError):
        Store(tmp_path / "bad")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_newer_store_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    with Store(tmp_path / "s"):
        pass
    manifest_path = tmp_path / "s" / MANIFEST_NAME
    data = json.loads(manifest_path.read_text())
    data["schema_version"] = LATEST_SCHEMA_VERSION + 5
    manifest_path.write_text(json.dumps(data))
    with pytest.raises(StoreVersionError, match="newer agentlog"):
        Store(tmp_path / "s")
    # the database itself is checked too (manifest reverted, schema_migrations ahead)
    data["schema_version"] = LATEST_SCHEMA_VERSION
    manifest_path.write_text(json.dumps(data))
    con = duckdb.connect(str(tmp_path / "s" / DUCKDB_NAME))
    con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, 'future')", [LATEST_SCHEMA_VERSION + 1])
    con.close()
    with pytest.raises(StoreVersionError, match="pip install -U agentlog"):
        Store(tmp_path / "s")
    # the failed opens released the lock: the store can still be opened by a fixed agentlog
    con = duckdb.connect(str(tmp_path / "s" / DUCKDB_NAME))
    con.execute("DELETE FROM schema_migrations WHERE name = 'future'")
    con.close()
    Store(tmp_path / "s").close()


def test_migrations_are_ordered_idempotent_and_atomic() -> None:
    versions = [m.version for m in MIGRATIONS]
    assert versions == list(range(1, len(MIGRATIONS) + 1))
    con = duckdb.connect()
    assert apply_migrations(con) == LATEST_SCHEMA_VERSION
    assert apply_migrations(con) == LATEST_SCHEMA_VERSION
    applied = con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
    assert [v for (v,) in applied] == versions
    broken = (*MIGRATIONS, Migration(LATEST_SCHEMA_VERSION + 1, "broken", ("CREATE TABLE ok (x INT)", "NOT SQL")))
    with pytest.raises(duckdb.Error):
        apply_migrations(con, broken)
    tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert "ok" not in tables  # the failed migration left nothing behind
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchall() == [(LATEST_SCHEMA_VERSION,)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("DELETE FROM events", "reads only; got a DELETE statement"),
        ("SELECT 1; INSERT INTO events SELECT * FROM events", "reads only; got a INSERT statement"),
        ("CREATE TABLE mine (a INT)", "reads only; got a CREATE statement"),
        ("COPY events FROM 'events.csv'", "reads only; got a COPY statement"),
        ("SELEC 1", "not valid SQL"),
        ("  ;  ", "no SQL statement"),
        (b"SELECT 1", "must be a SQL string, got bytes"),
    ],
)
def test_sql_runs_reads_only(query: Any, message: str) -> None:
    with Store.memory(embedder=None) as store:
        before = snapshot(store)
        with pytest.raises(ValidationError, match=message):
            store.sql(query)
        assert snapshot(store) == before
        assert store.sql("DESCRIBE events").fetchall() and store.sql("FROM sessions").fetchall() == []
        assert store.sql("EXPLAIN SELECT count(*) FROM events").fetchall()
