"""session_embedding_map and embedding_map_figure: similar sessions land close, the figure shows them by group."""

from __future__ import annotations

import itertools
import math
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from agentlog import SearchUnavailableError, SessionService, Store, ValidationError
from agentlog.analytics import schemas, session_embedding_map
from agentlog.analytics.embedding_map import pca_2d
from agentlog.plots import embedding_map_figure

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)

DATABASE = [
    "Migrated the postgres database schema with alembic migrations",
    "Wrote alembic migrations for the postgres database schema",
    "Reviewed postgres database schema migrations and alembic revisions",
]
FRONTEND = [
    "Restyled buttons with dark mode colours in the css theme",
    "Fixed dark mode colours of css buttons in the theme",
    "Added css theme tokens for dark mode buttons colours",
]


async def load_sessions(store: Store) -> dict[str, list[uuid.UUID]]:
    service = SessionService(store)
    groups: dict[str, list[uuid.UUID]] = {"database": [], "frontend": []}
    hour = 0
    for (group, summaries), agent in zip(
        [("database", DATABASE), ("frontend", FRONTEND)], ["claude", "gemini"], strict=True
    ):
        for summary in summaries:
            session = await service.create_session(
                agent=agent, metadata={"project": f"{group}-app"}, started_at=T0 + timedelta(hours=hour)
            )
            await service.end_session(session["id"], summary=summary)
            groups[group].append(session["id"])
            hour += 1
    await service.create_session(agent="gpt", started_at=T0)  # no summary: no vector, not on the map
    return groups


def distance(a: dict[str, float], b: dict[str, float]) -> float:
    return math.hypot(a["x"] - b["x"], a["y"] - b["y"])


async def test_similar_summaries_land_closer_than_unrelated_ones(store: Store) -> None:
    groups = await load_sessions(store)

    frame = session_embedding_map(store)

    assert frame.schema == schemas.SESSION_EMBEDDING_MAP
    assert frame.height == 6  # the session without a summary is not there
    points = {row["session_id"]: row for row in frame.iter_rows(named=True)}
    database = [points[str(i)] for i in groups["database"]]
    frontend = [points[str(i)] for i in groups["frontend"]]
    within = [distance(a, b) for cluster in (database, frontend) for a, b in itertools.combinations(cluster, 2)]
    between = [distance(a, b) for a in database for b in frontend]
    assert max(within) < min(between)


async def test_columns_filters_and_color_by(store: Store) -> None:
    groups = await load_sessions(store)

    by_agent = session_embedding_map(store)
    by_project = session_embedding_map(store, color_by="project")
    only_gemini = session_embedding_map(store, agent="gemini")
    later = session_embedding_map(store, since=T0 + timedelta(hours=3))
    earlier = session_embedding_map(store, until=T0 + timedelta(hours=3))

    assert by_agent["group"].to_list() == by_agent["agent"].to_list()
    assert by_project["group"].to_list() == by_project["project"].to_list()
    assert set(by_project["project"].to_list()) == {"database-app", "frontend-app"}
    assert by_agent["started_at"].is_sorted()
    assert by_agent.row(0, named=True)["summary"] == DATABASE[0]
    assert set(only_gemini["session_id"].to_list()) == {str(i) for i in groups["frontend"]}
    assert later["session_id"].to_list() == [str(i) for i in groups["frontend"]]  # since: inclusive
    assert earlier["session_id"].to_list() == [str(i) for i in groups["database"]]  # until: exclusive
    assert session_embedding_map(store).equals(by_agent)  # deterministic


def test_an_empty_store_gives_an_empty_frame(store: Store) -> None:
    frame = session_embedding_map(store)
    assert frame.height == 0 and frame.schema == schemas.SESSION_EMBEDDING_MAP
    assert len(embedding_map_figure(frame).data) == 0


def test_bad_arguments() -> None:
    with Store.memory() as store:
        with pytest.raises(ValidationError, match="method"):
            session_embedding_map(store, method="umap")
        with pytest.raises(ValidationError, match="color_by"):
            session_embedding_map(store, color_by="user")  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="since"):
            session_embedding_map(store, since=datetime(2026, 1, 1))
    with Store.memory(embedder=None) as store, pytest.raises(SearchUnavailableError):
        session_embedding_map(store)


async def test_figure_has_a_trace_per_group_with_the_summary_on_hover(store: Store) -> None:
    await load_sessions(store)
    frame = session_embedding_map(store)

    figure = embedding_map_figure(frame)
    by_project = embedding_map_figure(frame, color_by="project")

    assert [trace.name for trace in figure.data] == ["claude", "gemini"]
    claude = figure.data[0]
    assert list(claude.x) == frame.filter(agent="claude")["x"].to_list()
    assert [row[0] for row in claude.customdata] == DATABASE
    assert "%{customdata[0]}" in claude.hovertemplate
    assert [trace.name for trace in by_project.data] == ["database-app", "frontend-app"]
    assert by_project.layout.legend.title.text == "project"
    with pytest.raises(ValidationError, match="color_by"):
        embedding_map_figure(frame, color_by="summary")
    with pytest.raises(ValidationError, match="session_embedding_map"):
        embedding_map_figure(frame.drop("x"))


def test_pca_keeps_the_main_direction_and_is_sign_stable() -> None:
    rng = np.random.default_rng(0)
    direction = np.zeros(16)
    direction[3] = 1.0
    matrix = np.outer(np.linspace(-5, 5, 40), direction) + rng.normal(scale=0.01, size=(40, 16))

    coords = pca_2d(matrix)

    assert np.corrcoef(coords[:, 0], np.linspace(-5, 5, 40))[0, 1] > 0.999
    assert np.allclose(pca_2d(matrix), coords)
    assert np.allclose(pca_2d(-matrix), -coords)
    # the sign: the first axis runs the way of the direction's largest loading, whichever sign eigh gives
    for largest in range(16):
        for sign in (1.0, -1.0):
            direction = np.zeros(16)
            direction[largest], direction[(largest + 5) % 16] = sign, -0.3 * sign
            spread = np.outer(np.linspace(-5, 5, 40), direction) + rng.normal(scale=0.01, size=(40, 16))
            correlation = np.corrcoef(pca_2d(spread)[:, 0], np.linspace(-5, 5, 40))[0, 1]
            assert correlation * sign > 0.999, (largest, sign, correlation)
    assert pca_2d(np.ones((1, 4))).tolist() == [[0.0, 0.0]]
    assert pca_2d(np.ones((3, 4))).tolist() == [[0.0, 0.0]] * 3  # no spread
