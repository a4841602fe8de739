"""``agentlog export`` and ``agentlog import`` on real stores."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agentlog import Store
from agentlog.cli import main
from agentlog.io import read_dataset_manifest
from tests.io.support import fixture_dir, write_lines


def test_import_logs_export_and_import_the_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, target = str(tmp_path / "source"), str(tmp_path / "target")
    assert main(["--store", source, "import", str(fixture_dir()), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "imported 7 files: 7 new sessions, 0 updated; 685 new events (7 error events), 0 already stored" in out
    assert main(["--store", source, "import", str(fixture_dir()), "--reparse"]) == 0
    assert "0 new events (0 error events), 685 already stored" in capsys.readouterr().out
    assert main(["--store", source, "import", str(fixture_dir())]) == 0
    assert "imported 7 files (7 unchanged, not read again): 0 new sessions" in capsys.readouterr().out

    dest = tmp_path / "backup"
    assert main(["--store", source, "export", str(dest), "--agent", "codex", "--agent", "claude-code"]) == 0
    out = capsys.readouterr().out
    assert "sessions         3" in out and f"wrote {dest}" in out
    manifest = read_dataset_manifest(dest)
    assert manifest.tables["events"].rows == 386 + 233 + 40
    assert manifest.filters.agents == ["codex", "claude-code"]

    assert main(["--store", target, "import", str(dest)]) == 0  # auto: a dataset folder
    out = capsys.readouterr().out
    assert "events           659       0" in out
    with Store(target, embedder=None) as store:
        assert store.sql("SELECT count(*) FROM events").fetchall() == [(659,)]


def test_export_filters_by_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "s")
    assert main(["--store", store, "import", str(fixture_dir())]) == 0
    dest = tmp_path / "x"
    assert main(["--store", store, "export", str(dest), "--since", "2026-01-09", "--until", "2026-06-01"]) == 0
    manifest = read_dataset_manifest(dest)
    assert manifest.tables["sessions"].rows == 2  # the Jan 11 Claude session and the May 11 Codex one
    assert capsys.readouterr().err == ""


def test_export_since_after_until_is_a_usage_error_before_any_store_is_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s"
    args = ["--store", str(store), "export", str(tmp_path / "x"), "--since", "2026-06-01", "--until", "2026-01-09"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--since (2026-06-01T00:00:00+00:00) must be before --until (2026-01-09T00:00:00+00:00)" in err
    assert not store.exists() and not (tmp_path / "x").exists()
    with pytest.raises(SystemExit) as exit_:
        main(["--store", str(store), "export", str(tmp_path / "x"), "--until", "nonsense"])
    assert exit_.value.code == 2
    assert "argument --until: --until must be an ISO date" in capsys.readouterr().err


def test_a_failed_file_is_listed_and_the_exit_status_is_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "logs"
    write_lines(folder / "good.jsonl", [{"type": "session", "agent": "bot"}, {"type": "event", "event_type": "a"}])
    broken = write_lines(folder / "broken.jsonl", [{"type": "session", "agent": "bot"}, "{not json"])
    assert main(["--store", str(tmp_path / "s"), "import", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "imported 1 file: 1 new session," in out
    assert f"failed 1 file:\n  {broken.resolve()}:2: invalid JSON" in out


def test_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "s")
    logs = tmp_path / "logs"
    write_lines(logs / "a.jsonl", [{"type": "session", "agent": "bot"}])
    assert main(["--store", store, "import", str(logs), "--format", "parquet"]) == 1
    assert "no manifest: not an agentlog export" in capsys.readouterr().err
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "mine.txt").write_text("keep")
    assert main(["--store", store, "export", str(tmp_path / "taken")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("agentlog: error: export destination") and err.count("\n") == 1
    bad = write_lines(tmp_path / "bad.jsonl", [{"type": "session", "agent": "bot"}, json.dumps({"type": "event"})])
    assert main(["--store", store, "import", str(bad)]) == 1
    assert f"{bad.resolve()}:2:" in capsys.readouterr().err


def test_export_with_vectors_and_an_import_that_reuses_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = str(tmp_path / "source"), str(tmp_path / "target")
    assert main(["--store", source, "import", str(fixture_dir("codex-cli")), "--no-progress"]) == 0
    dest = tmp_path / "backup"
    assert main(["--store", source, "export", str(dest), "--with-vectors"]) == 0
    out = capsys.readouterr().out
    manifest = read_dataset_manifest(dest)
    assert manifest.vectors is not None and manifest.vectors.tables["events"].rows == manifest.tables["events"].rows
    assert re.search(rf"^vectors/events +{manifest.tables['events'].rows} +1$", out, re.MULTILINE), out
    assert "vectors of fake-hash-64 (64-d)" in out
    assert main(["--store", target, "import", str(dest), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "vectors: " in out and "handed to the index" in out
    with Store(target, embedder="fake") as store:
        store.wait_for_index(timeout=60)
        assert store.index is not None and store.index.stats.embedded == 0
        assert store.index.tables.count("events") == manifest.tables["events"].rows
    monkeypatch.setenv("AGENTLOG_EMBEDDER", "none")
    assert main(["--store", str(tmp_path / "plain"), "import", str(dest)]) == 0
    assert "vectors: not used: this store has no embedder" in capsys.readouterr().out
