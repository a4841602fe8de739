"""Regression tests from a review of the analytics and the command line: refused values, exit codes, no store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agentlog import Store
from agentlog.analytics import session_embedding_map
from agentlog.cli import main
from agentlog.errors import ValidationError


@pytest.mark.parametrize("argv", [["import", "{missing}"], ["docs", "sync", "{missing}"]])
def test_missing_source_is_an_error_and_creates_no_store(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s"
    missing = str(tmp_path / "does-not-exist")
    assert main(["--store", str(store), *(a.format(missing=missing) for a in argv)]) == 1
    assert not store.exists()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does-not-exist" in err


def test_report_accepts_a_known_time_zone(tmp_path: Path) -> None:
    store = tmp_path / "s"
    assert main(["--store", str(store), "demo-data", "--sessions", "3"]) == 0
    out = tmp_path / "r.html"
    argv = ["--store", str(store), "report", "--tz", "Europe/Paris", "--until", "2026-03-05", "--out", str(out)]
    assert main(argv) == 0
    assert out.is_file()


@pytest.mark.parametrize("value", [np.array(["pca"]), np.array(["pca", "pca"]), ["pca"]])
def test_embedding_map_method_must_be_a_string(value: object) -> None:
    with Store.memory(embedder="fake") as store, pytest.raises(ValidationError):
        session_embedding_map(store, method=value)  # type: ignore[arg-type]


def test_paths_the_cli_prints_are_terminal_safe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "esc\x1b[31mdir"
    assert main(["--store", str(store), "demo-data", "--sessions", "3"]) == 0
    assert main(["--store", str(store), "report", "--out", str(tmp_path / "r\x1b.html")]) == 0
    assert main(["--store", str(store / "missing"), "info"]) == 2
    captured = capsys.readouterr()
    assert "\x1b" not in captured.out + captured.err and "esc\\x1b[31mdir" in captured.out


async def test_a_search_window_that_ends_before_it_starts_is_a_validation_error() -> None:
    from datetime import UTC, datetime

    from agentlog import SessionService
    from agentlog.analytics import search_frame

    later, earlier = datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    with Store.memory(embedder="fake") as store:
        service = SessionService(store)
        for search in (service.search_sessions, service.search_events):
            with pytest.raises(ValidationError, match="must be before until"):
                await search("migration", since=later, until=earlier)
        with pytest.raises(ValidationError, match="must be before until"):
            search_frame(store, "migration", since=later, until=later)
        with pytest.raises(ValidationError, match="must be before until"):
            session_embedding_map(store, since=later, until=earlier)
