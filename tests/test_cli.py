"""The command line: every command has help, and the commands work on a real store."""

from __future__ import annotations

import argparse
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agentlog.cli import build_parser, main
from agentlog.demo import DEFAULT_END, DEMO_STORE_SESSIONS, read_sample
from agentlog.store import Store
from agentlog.store.manifest import MANIFEST_NAME, read_manifest
from agentlog.store.paths import default_store_path, store_exists
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
    assert f"report: {report}" in out and f"store: {store}" in out
    assert "pip install jupyterlab && jupyter lab notebooks/" in out  # jupyter is not a dependency of agentlog
    text = report.read_text(encoding="utf-8")
    assert text.count('class="plotly-graph-div"') == 8 and "<script src" not in text

    assert main(["--store", store, "info"]) == 0
    info = capsys.readouterr().out
    assert "sessions:       160 (" in info
    assert main(["--store", store, "info", "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert (facts["store"], facts["sessions"]) == (store, 160)
    assert f"events:         {facts['events']:,}\n" in info and facts["embedder"] is None  # demo loads no vectors
    assert main(["--store", store, "sessions", "--agent", "claude", "--limit", "3"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 5 and all("claude" in line for line in listing[2:])
    session_id = listing[2].split()[0]
    assert main(["--store", store, "sessions", "--agent", "claude", "--limit", "3", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in records] == [line.split()[0] for line in listing[2:]]
    assert {r["agent"] for r in records} == {"claude"}
    assert main(["--store", store, "show", session_id]) == 0
    shown = capsys.readouterr().out
    assert f"session {session_id}  agent=claude" in shown and "task_created" in shown
    rows = [line.split()[0] for line in shown.splitlines() if line.split() and line.split()[0].isdigit()]
    assert main(["--store", store, "show", session_id, "--tail", "2"]) == 0
    tail = capsys.readouterr().out
    assert f"the last 2 of {len(rows)} events:" in tail
    assert [line.split()[0] for line in tail.splitlines() if line.split() and line.split()[0].isdigit()] == rows[-2:]
    assert main(["--store", store, "show", session_id, "--tail", "2", "--json"]) == 0
    assert [e["seq"] for e in json.loads(capsys.readouterr().out)["events"]] == [int(n) for n in rows[-2:]]
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
    Store(store, embedder=None).close()
    assert main(["--store", store, "show", str(uuid.UUID(int=7))]) == 1
    assert capsys.readouterr().err == f"agentlog: error: session not found: {uuid.UUID(int=7)}\n"
    for usage_error in (["sessions", "--since", "yesterday-ish"], ["show", "not-a-uuid"]):
        with pytest.raises(SystemExit) as usage:  # a bad value is a usage error: status 2
            main(["--store", store, *usage_error])
        assert usage.value.code == 2
    assert "argument session_id: must be a UUID" in capsys.readouterr().err


def test_default_store_and_module_entry_point(tmp_path: Path) -> None:
    result = run_python("import sys; from agentlog.cli import main; sys.exit(main(['demo']))", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "temporary" in result.stdout
    result = run_python("import runpy, sys; sys.argv = ['agentlog', '--version']; runpy.run_module('agentlog')")
    assert "agentlog 0.1.0" in result.stdout


SESSION = "00000000-0000-4000-8000-000000000000"

READ_COMMANDS = [
    ["info"],
    ["sessions"],
    ["sessions", "--active"],
    ["show", SESSION],
    ["search", "flaky tests"],
    ["search", "flaky tests", "--events"],
    ["reindex"],
    ["export", "DEST"],
    ["report", "--out", "DEST"],
    ["memory", "list", "user"],
    ["memory", "get", "user:alice", "theme"],
    ["memory", "search", "theme"],
    ["memory", "delete", "user:alice", "theme"],
    ["memory", "sweep"],
    ["docs", "search", "setup"],
]
"""Commands that only read (or only rework an existing store): a path without a store is a usage error."""


@pytest.mark.parametrize("argv", READ_COMMANDS, ids=" ".join)
def test_read_commands_refuse_a_path_without_a_store(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "typo"
    dest = tmp_path / ("out.html" if argv[0] == "report" else "out")
    argv = [str(dest) if arg == "DEST" else arg for arg in argv]
    assert main(["--store", str(typo), *argv]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"agentlog: error: no agentlog store at {typo}; create one with `agentlog --store {typo} import LOGS` "
        f"or `agentlog --store {typo} demo` (demo data), or pass the right path\n"
    )
    assert list(tmp_path.iterdir()) == []  # neither the store nor the output was created


def test_a_directory_that_is_not_a_store_is_left_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["--store", str(empty), "sessions"]) == 2
    assert f"no agentlog store at {empty};" in capsys.readouterr().err
    assert list(empty.iterdir()) == []
    (tmp_path / "file").write_text("x")
    assert main(["--store", str(tmp_path / "file"), "info"]) == 2
    assert main(["--store", str(tmp_path / "file" / "below"), "info"]) == 2
    assert "no agentlog store at" in capsys.readouterr().err


def test_a_store_is_recognised_by_its_manifest_or_its_database(tmp_path: Path) -> None:
    path = tmp_path / "store"
    assert not store_exists(path)
    Store(path, embedder=None).close()
    assert store_exists(path) and store_exists(str(path))
    (path / MANIFEST_NAME).unlink()  # a first opening cut short before the manifest: Store completes it
    assert store_exists(path)
    (path / "agentlog.duckdb").unlink()
    assert not store_exists(path)


@pytest.mark.parametrize(
    "argv",
    [
        ["memory", "set", "user:alice", "theme", "dark"],
        ["import", "LOGS"],
        ["docs", "sync", "LOGS"],
        ["demo-data", "--sessions", "5"],
    ],
    ids=" ".join,
)
def test_write_commands_create_the_store(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "bot.jsonl").write_text('{"type": "session", "agent": "bot"}\n')  # an import that finds nothing fails
    store = tmp_path / "new" / "store"
    argv = [str(logs) if arg == "LOGS" else arg for arg in argv]
    assert main(["--store", str(store), *argv]) == 0
    assert store_exists(store) and (store / MANIFEST_NAME).is_file()
    assert main(["--store", str(store), "sessions"]) == 0
    assert "error" not in capsys.readouterr().err


def test_read_commands_on_the_default_store_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("AGENTLOG_HOME", str(home))
    assert main(["sessions"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"agentlog: error: no agentlog store at {home} (the default store: $AGENTLOG_HOME")
    assert "`agentlog import LOGS`" in err and "`agentlog demo` (demo data in a temporary store)" in err
    assert err.count("\n") == 1
    assert not home.exists()
    assert main(["memory", "set", "user:alice", "theme", "dark"]) == 0  # a write creates the default store
    assert main(["memory", "get", "user:alice", "theme"]) == 0
    assert '"value": "dark"' in capsys.readouterr().out


def test_an_empty_agentlog_home_counts_as_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AGENTLOG_HOME", "")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    assert default_store_path() == tmp_path / "data" / "agentlog"
    monkeypatch.setenv("XDG_DATA_HOME", "")  # the same for XDG_DATA_HOME: ~/.local/share
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert default_store_path() == tmp_path / "user" / ".local" / "share" / "agentlog"
    assert main(["info"]) == 2
    assert f"no agentlog store at {tmp_path / 'user' / '.local' / 'share' / 'agentlog'} " in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # not the current directory either


def test_info_shows_the_embedder_recorded_in_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    assert main(["--store", str(store), "demo-data", "--sessions", "5"]) == 0  # loads without an embedder
    capsys.readouterr()
    assert main(["--store", str(store), "info"]) == 0
    out = capsys.readouterr().out
    assert "embedder:       none recorded yet" in out and "sessions:       5 (" in out
    manifest = read_manifest(store)
    assert manifest is not None and manifest.embedder is None  # info records none itself

    assert main(["--store", str(store), "search", "anything"]) == 0  # opens it with the fake embedder
    capsys.readouterr()
    monkeypatch.setenv("AGENTLOG_EMBEDDER", "none")  # info shows the store's embedder, not the configured one
    assert main(["--store", str(store), "info"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "embedder:       fake-hash-64 (64 dimensions)"


def stored_span(store: Path) -> tuple[datetime, datetime]:
    """The first and the last instant of a store's activity (session starts and events), in UTC."""
    with Store(store, embedder=None) as opened:
        first, last = opened.sql(
            "SELECT min(ts), max(ts) FROM (SELECT started_at AS ts FROM sessions UNION ALL "
            "SELECT timestamp FROM events)"
        ).fetchall()[0]
    return first.astimezone(UTC), last.astimezone(UTC)


def test_demo_data_says_what_the_store_holds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "store"
    assert main(["--store", str(store), "demo-data", "--sessions", "20"]) == 0
    out = capsys.readouterr().out
    first, last = stored_span(store)
    covers = f"the store holds 20 sessions, active from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC\n"
    assert last < DEFAULT_END and covers in out, out
    day_after = (last + timedelta(days=1)).date()
    assert f"for a report on it: agentlog --store {store} report --until {day_after}" in out

    # --recent on that store: the ids are stored, nothing is loaded, and the store keeps its fixed dates.
    assert main(["--store", str(store), "demo-data", "--sessions", "20", "--recent"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"loaded 0 sessions and 0 events into {store} (20 sessions and ")
    assert re.search(r"the store already had them, dated \d+ weeks earlier, and keeps those dates", out), out
    assert "use a new store: agentlog --store NEW_PATH demo-data --sessions 20 --recent\n" in out
    assert covers in out and stored_span(store) == (first, last)  # the range stored, not the one asked for
    assert f"report --until {day_after}" in out

    # A new store gets the recent dates; loading them again there says nothing about other dates.
    recent = tmp_path / "recent"
    for _ in range(2):
        assert main(["--store", str(recent), "demo-data", "--sessions", "20", "--recent"]) == 0
        out = capsys.readouterr().out
        first, last = stored_span(recent)
        assert datetime.now(UTC) - last < timedelta(weeks=1, days=1), out
        assert f"active from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC\n" in out
        assert "keeps those dates" not in out and "for a report on it" not in out
    # And the fixed dates asked for on it: it keeps its recent ones.
    assert main(["--store", str(recent), "demo-data", "--sessions", "20"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"dated \d+ weeks later, and keeps those dates", out), out
    assert "use a new store: agentlog --store NEW_PATH demo-data --sessions 20\n" in out


def test_demo_data_help_and_the_notebooks_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["demo-data", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "every notebook" not in shown  # the default (2,000 sessions) is not the notebooks' dataset
    assert f"--sessions {DEMO_STORE_SESSIONS} gives the notebooks' dataset" in shown
    assert "(10 = ~1M events with the default --sessions 2000)" in shown  # what the README says of --scale 10
    store = tmp_path / "store"
    assert main(["--store", str(store), "demo-data", "--sessions", str(DEMO_STORE_SESSIONS)]) == 0
    sample = read_sample()
    assert f"loaded {sample.sessions.num_rows:,} sessions and {sample.events.num_rows:,} events" in (
        capsys.readouterr().out
    )
    with Store(store, embedder=None) as opened:  # the sample's ids: the notebooks' (demo_store's) sessions
        stored = {str(row[0]) for row in opened.sql("SELECT id FROM sessions").fetchall()}
    assert stored == {str(i) for i in sample.sessions["id"].to_pylist()}


def test_demo_on_a_store_whose_data_is_old(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Like the dashboard, the window ends with the data's last day: not an empty "last 30 days"."""
    store = tmp_path / "store"
    assert main(["--store", str(store), "demo-data", "--sessions", "40"]) == 0
    capsys.readouterr()
    first, last = stored_span(store)
    report = tmp_path / "report.html"
    assert main(["--store", str(store), "demo", "--out", str(report)]) == 0
    out = capsys.readouterr().out
    assert f"already holds 40 sessions, from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC" in out
    assert f"its activity ends on {last:%Y-%m-%d}, so the window ends with that day, not now" in out
    header = f"Last 30 days (to {(last + timedelta(days=1)).date()} 00:00 UTC), per agent:\n"
    assert header in out, out
    table = out.split(header, 1)[1].splitlines()
    assert [line.split()[0] for line in table[2:6]] == ["claude", "gemini", "gpt", "user"], out
    assert all(int(line.split()[1]) > 0 for line in table[2:6])
    assert "Activity Report (Last 7 Days)" in out and "Sessions: 0\n" not in out


def test_reads_that_do_not_search_open_a_store_of_another_embedder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # sessions, show and memory list/get never embed: they open the store without a model, so a store indexed
    # with another embedder (or a configured model that is slow to load) does not stop them.
    from functools import partial

    from agentlog.embeddings import FakeEmbedder, register_embedder

    store = str(tmp_path / "store")
    assert main(["--store", store, "demo-data", "--sessions", "5"]) == 0
    assert main(["--store", store, "memory", "set", "user:alice", "theme", "dark"]) == 0  # indexed: fake-hash-64
    session = read_manifest(Path(store))
    assert session is not None and session.embedder is not None and session.embedder.name == "fake-hash-64"
    register_embedder("fake-hash-16-cli", partial(FakeEmbedder, 16), replace=True)
    monkeypatch.setenv("AGENTLOG_EMBEDDER", "fake-hash-16-cli")
    capsys.readouterr()
    assert main(["--store", store, "search", "anything"]) == 1  # a search needs the store's embedder
    assert "embedder" in capsys.readouterr().err
    assert main(["--store", store, "sessions"]) == 0
    assert len(capsys.readouterr().out.splitlines()) >= 5
    with Store(store, embedder=None) as opened:
        session_id = str(opened.sql("SELECT id FROM sessions LIMIT 1").fetchall()[0][0])
    assert main(["--store", store, "show", session_id]) == 0
    assert main(["--store", store, "memory", "list", "user:alice"]) == 0
    assert main(["--store", store, "memory", "get", "user:alice", "theme"]) == 0
    assert "dark" in capsys.readouterr().out


@pytest.mark.parametrize(
    "command",
    [
        ["memory", "set", "project:", "key", "value"],
        ["memory", "set", "project:app", " ", "value"],
        ["memory", "set", "project:app", "key", "value", "--ttl", "-1"],
        ["docs", "sync", ".", "--namespace", "bad"],
        ["docs", "search", "storage", "--namespace", "x"],
        ["memory", "search", "theme", "--prefix", "x"],
        ["sessions", "--agent", " "],
        ["export", "out", "--agent", ""],
        ["memory", "set", "user:a", "k", '{"a": NaN}'],
        ["memory", "set", "user:a", "k", "1e999"],
        ["demo-data", "--sessions", "2", "--seed", "-1"],
        ["report", "--tz", "Nowhere/X"],
        ["report", "--days", "36501"],
    ],
)
def test_a_value_the_library_refuses_is_a_usage_error_and_creates_no_store(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    with pytest.raises(SystemExit) as usage:
        main(["--store", str(store), *command])
    assert usage.value.code == 2
    assert "error: argument " in capsys.readouterr().err
    assert not store.exists()  # `memory set` and `docs sync` create a store: not for a value refused
