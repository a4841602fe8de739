"""The command line: every command has help, and the commands work on a real store."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from agentlog.cli import build_parser, main
from tests.conftest import run_python


def subcommands() -> list[str]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(actions[0].choices)


@pytest.mark.parametrize("command", subcommands())
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: agentlog {command}")


def test_demo_info_sessions_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "store")
    report = tmp_path / "report.html"
    assert main(["--store", store, "demo", "--out", str(report)]) == 0
    out = capsys.readouterr().out
    assert "loaded 2,000 sessions and" in out and "Last 30 days, per agent:" in out
    table = out.split("Last 30 days, per agent:\n", 1)[1].splitlines()
    assert table[0] == "agent   sessions  events  error rate  active hours  most active day"
    assert [line.split()[0] for line in table[2:6]] == ["claude", "gemini", "gpt", "user"]
    assert "Activity Report (Last 7 Days)" in out and "Most active day: " in out
    assert f"report: {report}" in out and "jupyter lab notebooks/" in out and f"store: {store}" in out
    text = report.read_text(encoding="utf-8")
    assert text.count('class="plotly-graph-div"') == 8 and "<script src" not in text

    assert main(["--store", store, "info"]) == 0
    info = capsys.readouterr().out
    assert "sessions:       2000 (" in info
    assert main(["--store", store, "sessions", "--agent", "claude", "--limit", "3"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 5 and all("claude" in line for line in listing[2:])
    session_id = listing[2].split()[0]
    assert main(["--store", store, "show", session_id]) == 0
    shown = capsys.readouterr().out
    assert f"session {session_id}  agent=claude" in shown and "task_created" in shown
    assert main(["--store", store, "sessions", "--active"]) == 0
    assert len(capsys.readouterr().out.splitlines()) > 2

    # Again on the same store: its sessions are reported on, no demo data is added.
    assert main(["--store", store, "demo", "--out", str(report)]) == 0
    assert "already holds 2,000 sessions" in capsys.readouterr().out
    assert main(["--store", store, "info"]) == 0
    assert "sessions:       2000 (" in capsys.readouterr().out


def test_errors_are_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "store")
    assert main(["--store", store, "show", "not-a-uuid"]) == 1
    assert capsys.readouterr().err.startswith("agentlog: error: session_id must be a UUID")
    assert main(["--store", store, "sessions", "--since", "yesterday-ish"]) == 1


def test_default_store_and_module_entry_point(tmp_path: Path) -> None:
    result = run_python("import sys; from agentlog.cli import main; sys.exit(main(['demo']))", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "temporary" in result.stdout
    result = run_python("import runpy, sys; sys.argv = ['agentlog', '--version']; runpy.run_module('agentlog')")
    assert "agentlog 0.1.0" in result.stdout
