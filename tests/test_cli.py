"""The command line: every command has help, and the commands work on a real store."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agentlog.cli import build_parser, main
from agentlog.demo import DEFAULT_END
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
    # The committed sample, moved by whole weeks: it ends at the start of a Friday in the last seven days.
    loaded = re.search(r"loaded 160 sessions and 7,\d{3} events .* up to Fri (\d{4}-\d{2}-\d{2}) 00:00 UTC", out)
    assert loaded is not None, out
    end = datetime.fromisoformat(loaded.group(1)).replace(tzinfo=UTC)
    assert timedelta(0) <= datetime.now(UTC) - end < timedelta(weeks=1)
    assert (end - DEFAULT_END).days % 7 == 0
    assert f"moved by {(end - DEFAULT_END).days // 7} weeks" in out
    header = f"Last 30 days (to {end:%Y-%m-%d} 00:00 UTC), per agent:\n"
    assert header in out
    table = out.split(header, 1)[1].splitlines()
    assert table[0] == "agent   sessions  events  error rate  active hours  most active day"
    assert [line.split()[0] for line in table[2:6]] == ["claude", "gemini", "gpt", "user"]
    assert "Activity Report (Last 7 Days)" in out and "Most active day: " in out
    assert f"report: {report}" in out and "jupyter lab notebooks/" in out and f"store: {store}" in out
    text = report.read_text(encoding="utf-8")
    assert text.count('class="plotly-graph-div"') == 8 and "<script src" not in text

    assert main(["--store", store, "info"]) == 0
    info = capsys.readouterr().out
    assert "sessions:       160 (" in info
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
    again = capsys.readouterr().out
    assert "already holds 160 sessions" in again and "loaded 160" not in again
    assert main(["--store", store, "info"]) == 0
    assert "sessions:       160 (" in capsys.readouterr().out


def test_errors_are_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "store")
    assert main(["--store", store, "show", "not-a-uuid"]) == 1
    assert capsys.readouterr().err.startswith("agentlog: error: session_id must be a UUID")
    with pytest.raises(SystemExit) as usage:  # a bad option value is a usage error: status 2
        main(["--store", store, "sessions", "--since", "yesterday-ish"])
    assert usage.value.code == 2


def test_default_store_and_module_entry_point(tmp_path: Path) -> None:
    result = run_python("import sys; from agentlog.cli import main; sys.exit(main(['demo']))", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "temporary" in result.stdout
    result = run_python("import runpy, sys; sys.argv = ['agentlog', '--version']; runpy.run_module('agentlog')")
    assert "agentlog 0.1.0" in result.stdout
