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
    assert main(["--store", store, "demo"]) == 0
    out = capsys.readouterr().out
    assert "Fixed TypeError by adding validation" in out and "active sessions: 1" in out
    assert main(["--store", store, "info"]) == 0
    info = capsys.readouterr().out
    assert "sessions:       3 (1 not ended)" in info and "events:         6" in info
    assert main(["--store", store, "sessions", "--agent", "claude"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 3 and "claude" in listing[2]
    session_id = listing[2].split()[0]
    assert main(["--store", store, "show", session_id]) == 0
    shown = capsys.readouterr().out
    assert "error_encountered" in shown and "decision_made" in shown
    assert main(["--store", store, "sessions", "--active"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_errors_are_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "store")
    assert main(["--store", store, "show", "not-a-uuid"]) == 1
    assert capsys.readouterr().err.startswith("agentlog: error: session_id must be a UUID")
    assert main(["--store", store, "sessions", "--since", "yesterday-ish"]) == 1


def test_default_store_and_module_entry_point(tmp_path: Path) -> None:
    result = run_python("import sys; from agentlog.cli import main; sys.exit(main(['demo']))")
    assert result.returncode == 0, result.stderr
    assert "temporary" in result.stdout
    result = run_python("import runpy, sys; sys.argv = ['agentlog', '--version']; runpy.run_module('agentlog')")
    assert "agentlog 0.1.0" in result.stdout
