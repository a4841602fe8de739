"""A 2-D map of the sessions' embeddings: sessions about the same thing land close together.

:func:`session_embedding_map` reads the stored session vectors from the vector
index (after waiting for it to hold everything committed), projects them to two
dimensions and joins who/what/when from DuckDB. The projection is PCA (principal
component analysis, computed with numpy): deterministic, fast, and free of extra
dependencies; it keeps the two directions along which the sessions differ most,
so clusters of similar summaries stay apart from unrelated ones, although
distances are only roughly preserved.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from agentlog.analytics import schemas
from agentlog.analytics._frames import conform, fetch
from agentlog.errors import ValidationError
from agentlog.index.search import sessions_filter
from agentlog.store import Store, require_open_store
from agentlog.validation import validate_optional_name, validate_since_until

__all__ = ["COLOR_BY", "PROJECTIONS", "ColorBy", "pca_2d", "session_embedding_map"]

PROJECTIONS: tuple[str, ...] = ("pca",)
"""The projections :func:`session_embedding_map` knows."""

ColorBy = Literal["agent", "project"]
COLOR_BY: tuple[str, ...] = ("agent", "project")
"""What the points of the map can be grouped (coloured) by."""


def _sessions_sql(*, agent: bool, since: bool, until: bool) -> str:
    """Who, what and when of the sessions whose ids are in ``$ids`` (those that have a vector)."""
    where = ["s.id IN (SELECT unnest($ids::UUID[]))"]
    if agent:
        where.append("s.agent = $agent")
    if since:
        where.append("s.started_at >= $since")
    if until:
        where.append("s.started_at < $until")
    return f"""
        SELECT
            s.id::VARCHAR AS session_id,
            s.agent,
            CASE WHEN json_type(s.metadata, '$.project') = 'VARCHAR' THEN s.metadata ->> '$.project'
                 ELSE s.project_id::VARCHAR END AS project,
            s.project_id::VARCHAR AS project_id,
            s.summary,
            s.started_at
        FROM sessions s
        WHERE {" AND ".join(where)}
        ORDER BY s.started_at, s.id
    """


def pca_2d(matrix: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Project the rows of ``matrix`` on its first two principal components.

    The rows are centred and projected on the two eigenvectors of their
    covariance with the largest eigenvalues; each component's sign is fixed so
    that its largest loading is positive, so the same data always gives the
    same picture. Fewer than two rows (or no spread) give zeros.

    Args:
        matrix: ``(n, d)`` vectors.

    Returns:
        ``(n, 2)`` coordinates.

    Example:
        >>> points = pca_2d([[0.0, 0.0, 1.0], [0.0, 0.0, 3.0], [2.0, 0.0, 2.0]])
        >>> points.shape, bool(abs(points[:, 0]).max() > 0)
        ((3, 2), True)
    """
    data = np.asarray(matrix, dtype=np.float64)
    if data.ndim != 2:
        raise ValidationError(f"expected a 2-D matrix of vectors, got shape {data.shape}", field="matrix")
    rows, dims = data.shape
    coords = np.zeros((rows, 2))
    if rows < 2 or dims == 0:
        return coords
    centered = data - data.mean(axis=0)
    values, vectors = np.linalg.eigh(centered.T @ centered)  # ascending eigenvalues
    order = np.argsort(values)[::-1][:2]
    for column, index in enumerate(order):
        if values[index] <= 1e-12 * max(float(values.max()), 1e-300):
            continue  # no spread along this direction
        component = vectors[:, index]
        if component[np.abs(component).argmax()] < 0:
            component = -component
        coords[:, column] = centered @ component
    return coords


def session_embedding_map(
    store: Store,
    *,
    color_by: ColorBy = "agent",
    method: str = "pca",
    agent: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> pl.DataFrame:
    """Every session that has a vector, placed on a 2-D map of its embedding, oldest first.

    Sessions are embedded from their summary (and metadata key events,
    decisions and outcomes); those without a summary have no vector and are not
    on the map. The projection is fitted on the sessions selected.

    Args:
        store: The store (opened with an embedder).
        color_by: What the ``group`` column holds (and the figure colours by):
            ``"agent"`` or ``"project"``.
        method: The projection: ``"pca"`` (see :func:`pca_2d`).
        agent: Only this agent's sessions.
        since: Only sessions started at or after this aware datetime (default: no limit).
        until: Only sessions started before this aware datetime (default: no limit).

    Returns:
        A frame with the columns of
        :data:`~agentlog.analytics.schemas.SESSION_EMBEDDING_MAP`.

    Raises:
        ValidationError: For a bad argument.
        SearchUnavailableError: If the store has no embedder.

    Example:
        >>> from agentlog import Store
        >>> from agentlog.demo import generate_demo_data, load_demo_data
        >>> with Store.memory(embedder="fake") as store:
        ...     _ = load_demo_data(store, generate_demo_data(sessions=20))
        ...     points = session_embedding_map(store, color_by="project")
        >>> points.columns[:4], points.height > 10, points["group"].equals(points["project"])
        (['session_id', 'x', 'y', 'group'], True, True)
    """
    checked = require_open_store(store)
    group = _check_choice(color_by, COLOR_BY, "color_by")
    _check_choice(method, PROJECTIONS, "method")
    name = validate_optional_name(agent, "agent")
    start, end = validate_since_until(since, until)
    params: dict[str, Any] = {"agent": name, "since": start, "until": end}
    checked.wait_for_index()
    index = checked.index
    assert index is not None  # wait_for_index raised otherwise
    # only the selected sessions' vectors are read; DuckDB below stays the authority
    ids, matrix = index.tables.vectors("sessions", where=sessions_filter(agent=name, since=start, until=end))
    query = _sessions_sql(
        agent=params["agent"] is not None, since=params["since"] is not None, until=params["until"] is not None
    )
    frame = fetch(checked, query, {**params, "ids": ids})
    position = {ident: row for row, ident in enumerate(ids)}
    rows = [position[ident] for ident in frame.get_column("session_id").to_list()]
    coords = pca_2d(matrix[rows]) if rows else np.zeros((0, 2))
    frame = frame.with_columns(
        pl.Series("x", coords[:, 0], pl.Float64),
        pl.Series("y", coords[:, 1], pl.Float64),
        pl.col(group).alias("group"),
    )
    return conform(frame, schemas.SESSION_EMBEDDING_MAP)


def _check_choice(value: Any, choices: tuple[str, ...], field: str) -> Any:
    if not isinstance(value, str) or value not in choices:  # `in` alone lets np.array(["pca"]) through
        raise ValidationError(
            f"{field} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}",
            field=field,
            value=repr(value)[:80],
        )
    return value
