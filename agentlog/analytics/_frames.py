"""Running an analytics query and shaping its result into a documented frame."""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from agentlog.store import Store

__all__ = ["conform", "fetch", "microseconds_to_duration"]

_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


def fetch(store: Store, query: str, params: dict[str, Any]) -> pl.DataFrame:
    """Run ``query`` with :meth:`Store.read` (so Ctrl-C stops it at once); the result as Polars (handed over as Arrow).

    ``params`` may hold more values than the query uses: only those it names
    (``$name``) are bound, since DuckDB rejects extra ones.

    Example:
        >>> with Store.memory(embedder=None) as store:
        ...     fetch(store, "SELECT $x::INT AS x", {"x": 3, "unused": 4}).item()
        3
    """
    used = set(_PARAM.findall(query))
    bound = {name: value for name, value in params.items() if name in used}
    frame = store.read(lambda cursor: cursor.sql(query, params=bound).pl())
    assert isinstance(frame, pl.DataFrame)
    return frame


def conform(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """Select exactly the columns of ``schema``, in order, cast to its dtypes (also right when empty).

    Example:
        >>> conform(pl.DataFrame({"n": [1], "x": ["a"]}), pl.Schema({"n": pl.Float64})).dtypes
        [Float64]
    """
    return frame.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])


def microseconds_to_duration(column: str, name: str) -> pl.Expr:
    """An integer column of microseconds as a ``Duration("us")`` column called ``name``.

    Example:
        >>> pl.DataFrame({"us": [90_000_000]}).select(microseconds_to_duration("us", "d")).item()
        datetime.timedelta(seconds=90)
    """
    return pl.col(column).cast(pl.Int64).cast(pl.Duration("us")).alias(name)
