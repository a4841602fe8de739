"""The store schema, as an ordered list of migrations.

Each :class:`Migration` has a version (1, 2, 3, ... with no gaps), a name and
the SQL statements that take the schema from the previous version to this
one. :func:`apply_migrations` runs the pending ones in order, each in its own
transaction together with its row in ``schema_migrations``, so re-running is a
no-op and a crash mid-way leaves the store at the last complete version.
A store whose recorded version is higher than the last one known here was
written by a newer agentlog and is refused with
:class:`~agentlog.errors.StoreVersionError`.

Append new migrations at the end; never edit or reorder released ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentlog.errors import StoreVersionError

__all__ = ["LATEST_SCHEMA_VERSION", "MIGRATIONS", "Migration", "apply_migrations", "current_schema_version"]


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema."""

    version: int
    """Position in the list, starting at 1."""
    name: str
    """Short description, stored in ``schema_migrations``."""
    statements: tuple[str, ...]
    """SQL statements run in one transaction."""


_LIFECYCLES = "'created', 'active', 'paused', 'terminated', 'archived'"
_MEMORY_CHANGES = "'created', 'updated', 'deleted', 'restored'"
_MEMORY_TYPES = "'short_term', 'semantic', 'episodic', 'procedural'"
_SYNC_STATUSES = "'pending', 'synced', 'failed', 'stale'"

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "sessions and events",
        (
            f"""
            CREATE TABLE sessions (
                id          UUID PRIMARY KEY,
                agent       VARCHAR NOT NULL,
                project_id  UUID,
                user_id     VARCHAR,
                app_name    VARCHAR,
                lifecycle   VARCHAR NOT NULL CHECK (lifecycle IN ({_LIFECYCLES})),
                summary     VARCHAR,
                metadata    JSON NOT NULL,
                state       JSON NOT NULL,
                started_at  TIMESTAMPTZ NOT NULL,
                ended_at    TIMESTAMPTZ,
                updated_at  TIMESTAMPTZ NOT NULL,
                index_lsn   BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE events (
                id          UUID NOT NULL,
                session_id  UUID NOT NULL,
                seq         BIGINT NOT NULL,
                event_type  VARCHAR NOT NULL,
                event_data  JSON NOT NULL,
                metadata    JSON NOT NULL,
                timestamp   TIMESTAMPTZ,
                index_lsn   BIGINT NOT NULL
            )
            """,
            "CREATE INDEX events_session_idx ON events (session_id)",
            """
            CREATE TABLE index_tombstones (
                kind        VARCHAR NOT NULL,
                item_id     UUID NOT NULL,
                index_lsn   BIGINT NOT NULL
            )
            """,
        ),
    ),
    Migration(
        2,
        "vector index bookkeeping",
        (
            """
            CREATE TABLE index_state (
                name        VARCHAR PRIMARY KEY,
                watermark   BIGINT NOT NULL,
                updated_at  TIMESTAMPTZ NOT NULL
            )
            """,
        ),
    ),
    Migration(
        3,
        "memories",
        (
            f"""
            CREATE TABLE memories (
                id           UUID NOT NULL,
                memory_id    UUID NOT NULL,
                namespace    VARCHAR NOT NULL,
                key          VARCHAR NOT NULL,
                version      BIGINT NOT NULL CHECK (version >= 1),
                change       VARCHAR NOT NULL CHECK (change IN ({_MEMORY_CHANGES})),
                value        JSON NOT NULL,
                memory_type  VARCHAR NOT NULL CHECK (memory_type IN ({_MEMORY_TYPES})),
                metadata     JSON NOT NULL,
                expires_at   TIMESTAMPTZ,
                created_at   TIMESTAMPTZ NOT NULL,
                updated_at   TIMESTAMPTZ NOT NULL,
                index_lsn    BIGINT NOT NULL,
                UNIQUE (namespace, key, version)
            )
            """,
        ),
    ),
    Migration(
        4,
        "documents and chunks",
        (
            f"""
            CREATE TABLE documents (
                id               UUID PRIMARY KEY,
                file_path        VARCHAR NOT NULL UNIQUE,
                title            VARCHAR NOT NULL,
                document_type    VARCHAR,
                namespace        VARCHAR,
                content          VARCHAR NOT NULL,
                content_hash     VARCHAR NOT NULL,
                chunk_count      INTEGER NOT NULL,
                embedding_model  VARCHAR,
                metadata         JSON NOT NULL,
                sync_status      VARCHAR NOT NULL CHECK (sync_status IN ({_SYNC_STATUSES})),
                last_synced_at   TIMESTAMPTZ,
                created_at       TIMESTAMPTZ NOT NULL,
                updated_at       TIMESTAMPTZ NOT NULL,
                index_lsn        BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE document_chunks (
                id           UUID NOT NULL,
                document_id  UUID NOT NULL,
                chunk_index  INTEGER NOT NULL,
                text         VARCHAR NOT NULL,
                start_char   INTEGER NOT NULL,
                end_char     INTEGER NOT NULL,
                index_lsn    BIGINT NOT NULL
            )
            """,
            "CREATE INDEX document_chunks_document_idx ON document_chunks (document_id)",
        ),
    ),
    Migration(
        5,
        "imported log files",
        (
            """
            CREATE TABLE imported_logs (
                path              VARCHAR PRIMARY KEY,
                format            VARCHAR NOT NULL,
                size              BIGINT NOT NULL,
                mtime_ns          BIGINT NOT NULL,
                ctime_ns          BIGINT NOT NULL,
                inode             UBIGINT NOT NULL,
                device            UBIGINT NOT NULL,
                session_ids       UUID[] NOT NULL,
                agentlog_version  VARCHAR NOT NULL,
                imported_at       TIMESTAMPTZ NOT NULL
            )
            """,
        ),
    ),
)

LATEST_SCHEMA_VERSION = MIGRATIONS[-1].version
"""The schema version this agentlog writes."""

_BOOTSTRAP = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        VARCHAR NOT NULL,
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
)
"""


def current_schema_version(con: Any) -> int:
    """Return the highest applied migration (0 for a new database).

    Args:
        con: A DuckDB connection.

    Example:
        >>> import duckdb
        >>> current_schema_version(duckdb.connect())
        0
    """
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    return int(con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()[0][0])


def apply_migrations(con: Any, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Apply every pending migration, in order, each in its own transaction.

    Args:
        con: A DuckDB connection with no open transaction.
        migrations: The ordered list (the default is agentlog's schema).

    Returns:
        The schema version after the call.

    Raises:
        StoreVersionError: If the database is at a version newer than the last migration.

    Example:
        >>> import duckdb
        >>> con = duckdb.connect()
        >>> apply_migrations(con) == LATEST_SCHEMA_VERSION
        True
        >>> apply_migrations(con) == LATEST_SCHEMA_VERSION  # idempotent
        True
    """
    latest = migrations[-1].version
    con.execute(_BOOTSTRAP)
    version = current_schema_version(con)
    if version > latest:
        raise StoreVersionError(
            f"this store is at schema version {version}, but this agentlog only knows up to "
            f"{latest}: it was written by a newer agentlog. Upgrade: pip install -U agentlog"
        )
    for migration in migrations:
        if migration.version <= version:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            for statement in migration.statements:
                con.execute(statement)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [migration.version, migration.name]
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        version = migration.version
    return version
