"""The check that keeps :meth:`agentlog.store.Store.sql` to reads.

``Store.sql`` hands a caller's SQL to DuckDB on a cursor of the store's own
database, so a write there would bypass the writer, its checks and the vector
index. :func:`require_reads` accepts only ``SELECT`` statements (DuckDB's
parser says which each statement is; ``FROM``, ``WITH``, ``VALUES``,
``DESCRIBE``, ``SHOW``, ``SUMMARIZE`` parse as ``SELECT``), an ``EXPLAIN``
only of a ``SELECT`` (``EXPLAIN ANALYZE`` runs what it explains), and no call
to the few functions a ``SELECT`` may use to change DuckDB's state or to run
SQL given as text (:data:`_STATE_FUNCTIONS`, for DuckDB 2.0: look again on an
upgrade). Reading local files (``read_csv``, ``read_parquet``) stays allowed:
the query is the user's own.
"""

from __future__ import annotations

import itertools
from typing import Any

import duckdb

from agentlog.errors import ValidationError

__all__ = ["require_reads"]

_READ_STATEMENTS = frozenset({duckdb.StatementType.SELECT})
"""What :meth:`Store.sql` runs; an ``EXPLAIN`` counts as the statement it explains (``EXPLAIN ANALYZE`` runs it)."""

_STATE_FUNCTIONS = frozenset(
    {
        # the database file, sequences, the session's random state
        "checkpoint",
        "force_checkpoint",
        "nextval",
        "setval",
        "setseed",
        # settings, logs and registries of the database
        "enable_logging",
        "disable_logging",
        "truncate_duckdb_logs",
        "write_log",
        "enable_profiling",
        "disable_profiling",
        "add_grammar_extension",
        "remove_grammar_extension",
        "register_external_resource",
        "register_external_resource_type",
        "create_external_resource",
        "destroy_external_resource",
        "deregister_external_resource",
        # SQL given as text, which could call any of the above
        "query",
        "json_execute_serialized_sql",
    }
)
"""DuckDB functions a SELECT may call that change something, refused by :meth:`Store.sql` (DuckDB 2.0)."""

_Token = tuple[int, str, Any]
"""A token of a query: its byte offset, its text (stripped) and its ``duckdb.token_type``."""


def require_reads(query: object) -> None:
    """Check that ``query`` is SQL whose every statement reads (see :meth:`~agentlog.store.Store.sql`).

    Raises:
        ValidationError: ``query`` is not a string, not UTF-8, not SQL, or holds a statement that is not a
            read (an ``EXPLAIN`` counts as what it explains) or calls a function of :data:`_STATE_FUNCTIONS`.

    Example:
        >>> require_reads("SELECT 1")
        >>> require_reads("EXPLAIN ANALYZE DELETE FROM events")
        Traceback (most recent call last):
        ...
        agentlog.errors.ValidationError: store.sql runs reads only; got a DELETE statement (write through ...
    """
    if not isinstance(query, str):
        raise ValidationError(f"query must be a SQL string, got {type(query).__name__}", field="query")
    try:
        query.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: DuckDB's parser takes UTF-8 only (and raises TypeError)
        raise ValidationError("query is not valid SQL: it is not UTF-8 text", field="query") from None
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise ValidationError(f"query is not valid SQL: {exc}", field="query", value=query[:200]) from None
    if not statements:
        raise ValidationError("query holds no SQL statement", field="query", value=query[:200])
    for statement in statements:
        kind = statement.type
        if kind == duckdb.StatementType.EXPLAIN:
            kind = _explained(statement.query)
        if kind not in _READ_STATEMENTS:
            raise ValidationError(
                f"store.sql runs reads only; got a {kind.name} statement (write through the services: "
                "SessionService, MemoryService, DocumentIndexService, agentlog.io)",
                field="query",
                value=query[:200],
            )
        called = _state_function(_tokens(statement.query))
        if called is not None:
            raise ValidationError(
                f"store.sql runs reads only; {called}() changes DuckDB's state or runs SQL given as text",
                field="query",
                value=query[:200],
            )


def _tokens(query: str) -> list[_Token]:
    """The tokens of ``query`` but its comments (``duckdb.tokenize`` gives UTF-8 byte offsets)."""
    data = query.encode("utf-8")
    found = duckdb.tokenize(query)
    ends = [offset for offset, _ in found[1:]] + [len(data)]
    return [
        (start, data[start:end].decode("utf-8", "replace").strip(), kind)
        for (start, kind), end in zip(found, ends, strict=True)
        if kind != duckdb.token_type.comment
    ]


def _explained(query: str) -> Any:
    """The type of the statement an ``EXPLAIN`` statement explains (``EXPLAIN`` itself when it cannot tell).

    After ``EXPLAIN`` come ``ANALYZE`` (or ``ANALYSE``), or options in
    parentheses, or neither (``EXPLAIN (SELECT 1)`` explains a query in
    parentheses): the first reading that leaves exactly one statement wins.
    """
    tokens = _tokens(query)
    data = query.encode("utf-8")
    starts = []
    if len(tokens) > 1:
        after = tokens[1]
        if after[2] == duckdb.token_type.keyword and after[1].upper() in ("ANALYZE", "ANALYSE"):
            starts.append(2)
        elif after[1].startswith("("):
            depth = 0
            for index, (_, text, kind) in enumerate(tokens[1:], start=1):
                if kind == duckdb.token_type.operator:
                    depth += text.count("(") - text.count(")")
                if depth <= 0:
                    starts.append(index + 1)
                    break
        starts.append(1)
    for start in starts:
        if start >= len(tokens):
            continue
        try:
            inner = duckdb.extract_statements(data[tokens[start][0] :].decode("utf-8", "replace"))
        except duckdb.Error:
            continue
        if len(inner) == 1:
            return inner[0].type
    return duckdb.StatementType.EXPLAIN


def _state_function(tokens: list[_Token]) -> str | None:
    """The first function of :data:`_STATE_FUNCTIONS` the tokens call (a name, then ``(``), or None."""
    for (_, text, kind), following in itertools.pairwise(tokens):
        if kind not in (duckdb.token_type.identifier, duckdb.token_type.keyword) or not following[1].startswith("("):
            continue
        name = text[1:-1].replace('""', '"') if len(text) > 1 and text[0] == text[-1] == '"' else text
        if name.lower() in _STATE_FUNCTIONS:
            return name
    return None
