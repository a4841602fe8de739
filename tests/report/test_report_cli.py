"""``agentlog demo-data`` and ``agentlog report`` on a real store directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentlog import Store
from agentlog.analytics import agent_comparison
from agentlog.cli import main
from agentlog.demo import DEFAULT_END


def test_demo_data_then_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "store")
    assert main(["--store", store, "demo-data", "--sessions", "120", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("loaded 120 sessions and ") and "the store holds 120 sessions, active from 2025-12-" in out
    assert " to 2026-03-05 " in out and f"agentlog --store {store} report --until 2026-03-06" in out

    assert main(["--store", store, "demo-data", "--sessions", "120", "--seed", "3"]) == 0
    assert "loaded 0 sessions and 0 events" in capsys.readouterr().out  # the same dataset again: nothing added

    out_file = tmp_path / "r.html"
    assert main(["--store", store, "report", "--days", "30", "--until", "2026-03-06", "--out", str(out_file)]) == 0
    assert f"wrote {out_file}" in capsys.readouterr().out
    text = out_file.read_text(encoding="utf-8")
    assert "2026-02-04 00:00 to 2026-03-06 00:00 UTC (last 30 days)" in text
    with Store(store, embedder=None) as opened:
        sessions = int(agent_comparison(opened, days=30, until=DEFAULT_END)["sessions"].sum())
    assert f"<b>{sessions}</b>sessions" in text and sessions > 0


def test_demo_data_recent_and_report_defaults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = str(tmp_path / "store")
    assert main(["--store", store, "demo-data", "--sessions", "80", "--recent"]) == 0
    assert "agentlog report --until" not in capsys.readouterr().out
    with Store(store, embedder=None) as opened:
        recent = int(agent_comparison(opened, days=30)["sessions"].sum())
    assert recent > 0  # "last 30 days" finds the data
    monkeypatch.chdir(tmp_path)
    assert main(["--store", store, "report", "--tz", "Europe/Paris"]) == 0
    written = tmp_path / "agentlog-report.html"
    assert f"wrote {written}" in capsys.readouterr().out
    assert f"<b>{recent}</b>sessions" in written.read_text(encoding="utf-8")


def test_report_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "store")
    with pytest.raises(SystemExit) as usage:  # a bad value is a usage error: argparse's exit code 2
        main(["--store", store, "report", "--days", "0", "--out", str(tmp_path / "r.html")])
    assert usage.value.code == 2
    assert "error: argument --days: must be a whole number of at least 1" in capsys.readouterr().err
    assert main(["--store", store, "report", "--out", str(tmp_path / "nowhere" / "r.html")]) == 2  # as for demo
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["--store", store, "demo-data", "--scale", "-1"])
    assert usage.value.code == 2
    assert "error: argument --scale: must be a number above 0" in capsys.readouterr().err
