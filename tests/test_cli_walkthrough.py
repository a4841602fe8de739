"""Fixes from a fresh user's walk through the command line (one test per problem found, or a few)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

from agentlog.cli import main
from agentlog.errors import EmbeddingMismatchError
from agentlog.store import Store
from agentlog.store.manifest import read_manifest


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``main(argv)``'s status (usage errors included) with what it printed."""
    try:
        status = main(argv)
    except SystemExit as done:
        status = int(done.code or 0)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def write_log(path: Path, *events: dict[str, object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [{"type": "session", "agent": "bot"}, *({"type": "event", **event} for event in events)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


# -- 1. the embedder a store records ------------------------------------------------------------------


def test_after_reindex_embedder_the_store_keeps_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AGENTLOG_EMBEDDER")  # as for a user: nothing configured
    store = str(tmp_path / "s")
    assert run(["--store", store, "demo-data", "--sessions", "3"], capsys)[0] == 0
    assert run(["--store", store, "reindex", "--embedder", "fake"], capsys)[0] == 0
    for argv in (["search", "tests", "--threshold", "0"], ["memory", "set", "user:alice", "theme", "dark"]):
        status, _, err = run(["--store", store, *argv], capsys)
        assert (status, err) == (0, ""), err
    status, out, _ = run(["--store", store, "reindex"], capsys)  # without --embedder: the store's own
    assert status == 0 and "with fake-hash-64" in out
    manifest = read_manifest(Path(store))
    assert manifest is not None and manifest.embedder is not None and manifest.embedder.name == "fake-hash-64"
    with pytest.raises(EmbeddingMismatchError):  # the Python API is unchanged
        Store(store, embedder="fake-hash-16")


def test_an_embedder_mismatch_says_what_to_do_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "s")
    assert run(["--store", store, "memory", "set", "user:alice", "theme", "dark"], capsys)[0] == 0  # fake-hash-64
    monkeypatch.setenv("AGENTLOG_EMBEDDER", "fake-hash-16")  # the variable chooses: the mismatch stands
    status, _, err = run(["--store", store, "search", "anything"], capsys)
    assert status == 1
    assert err.startswith("agentlog: error: store ") and err.count("\n") == 1
    assert "set AGENTLOG_EMBEDDER=fake-hash-64" in err
    assert f"`agentlog --store {store} reindex --embedder fake-hash-16`" in err
    assert "Store(" not in err


# -- 2. session ids in search hits, project in show ---------------------------------------------------------


def test_search_hits_name_their_session(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "s")
    assert run(["--store", store, "demo-data", "--sessions", "3"], capsys)[0] == 0
    with Store(store) as opened:
        stored = {str(row[0]) for row in opened.sql("SELECT id FROM sessions").fetchall()}
    status, out, _ = run(["--store", store, "search", "tests", "--threshold", "0"], capsys)
    lines = out.splitlines()
    assert status == 0 and lines[0].split() == ["sim", "session", "agent", "started_at", "summary"]
    assert len(lines) > 2 and {line.split()[1] for line in lines[2:]} <= stored
    status, out, _ = run(["--store", store, "search", "tests", "--events"], capsys)
    lines = out.splitlines()
    assert status == 0 and lines[0].split()[:3] == ["sim", "session", "agent"]
    session_id = lines[2].split()[1]
    assert session_id in stored
    status, out, _ = run(["--store", store, "show", session_id], capsys)
    assert status == 0 and re.search(r"\nproject [0-9a-f-]{36}\n", out), out  # the demo data has projects


def test_show_prints_the_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from agentlog.services.session_service import SessionService

    store = str(tmp_path / "s")
    project = str(uuid.uuid4())
    with Store(store) as opened:
        session = asyncio.run(SessionService(opened).create_session(agent="bot", project_id=project))
    status, out, _ = run(["--store", store, "show", str(session["id"])], capsys)
    assert status == 0 and f"project {project}" in out


# -- 3. info counts memories and documents ----------------------------------------------------------------


def test_info_counts_memories_and_documents(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "s")
    for argv in (
        ["memory", "set", "user:alice", "theme", "dark"],
        ["memory", "set", "user:alice", "theme", "light"],
        ["memory", "set", "user:alice", "lang", "fr"],
        ["memory", "delete", "user:alice", "lang"],
    ):
        assert run(["--store", store, *argv], capsys)[0] == 0
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\nsome text\n")
    (docs / "b.md").write_text("# B\n\nmore text\n")
    assert run(["--store", store, "docs", "sync", str(docs)], capsys)[0] == 0
    with Store(store, embedder=None) as opened:
        chunks = opened.sql("SELECT count(*) FROM document_chunks").fetchall()[0][0]
    status, out, _ = run(["--store", store, "info"], capsys)
    assert status == 0
    assert "memories:       1 (live keys; 4 stored versions)" in out
    assert f"documents:      2 ({chunks} chunk{'' if chunks == 1 else 's'})" in out and chunks >= 2


# -- 4. demo --out is checked first ---------------------------------------------------------------------


@pytest.mark.parametrize("out", ["missing/x.html", "folder", ""], ids=["no parent", "a directory", "empty"])
def test_demo_refuses_a_bad_out_before_loading(out: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "folder").mkdir()
    target = str(tmp_path / out) if out else ""
    store = tmp_path / "s"
    status, stdout, err = run(["--store", str(store), "demo", "--out", target], capsys)
    assert status == 2 and stdout == ""
    assert err.startswith("agentlog: error: --out") and err.count("\n") == 1
    assert not store.exists()  # nothing loaded


# -- 5. an import that finds nothing -----------------------------------------------------------------------


def test_an_import_that_finds_no_logs_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "s")
    home = tmp_path / "home"
    write_log(home / ".claude" / "projects" / "-work-app" / "a.jsonl", {"event_type": "hello"})
    status, out, err = run(["--store", store, "import", str(home)], capsys)
    assert status == 1 and out == ""
    assert f"found no agent log files under {home}" in err
    assert "hidden folders (.name) are skipped; it has hidden folders (.claude)" in err
    assert "~/.claude/projects" in err
    (home / "notes.jsonl").write_text('{"name": "not a log"}\n')
    status, out, err = run(["--store", store, "import", str(home)], capsys)
    assert status == 1 and "(1 file was not agent logs)" in err
    assert not Path(store).exists()  # found before the store is opened: nothing is created
    status, out, _ = run(["--store", store, "import", str(home / ".claude" / "projects")], capsys)
    assert status == 0 and "imported 1 file" in out

    dataset = tmp_path / "export"
    assert run(["--store", store, "export", str(dataset)], capsys)[0] == 0
    status, _, err = run(["--store", store, "import", str(dataset), "--format", "codex"], capsys)
    assert status == 1 and "found no codex log files under" in err and "--format auto" in err


def test_library_wording_becomes_command_line_wording(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = tmp_path / "odd.jsonl"
    odd.write_text('{"hello": "world"}\n')
    status, _, err = run(["--store", str(tmp_path / "s"), "import", str(odd)], capsys)
    assert status == 1
    assert "pass --format ... if you know better" in err and "format=" not in err
    assert not (tmp_path / "s").exists()  # a file of no known format: refused before the store is opened


# -- 6. memory get names what is missing --------------------------------------------------------------------


def test_memory_get_says_which_version_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "s")
    for value in ("dark", "light"):
        assert run(["--store", store, "memory", "set", "user:alice", "theme", value], capsys)[0] == 0
    status, out, err = run(["--store", store, "memory", "get", "user:alice", "theme", "--version", "9"], capsys)
    assert (status, out) == (1, "")
    assert err == "agentlog: error: memory user:alice / theme has no version 9 (latest: 2)\n"
    status, out, err = run(["--store", store, "memory", "get", "user:alice", "nope"], capsys)
    assert (status, out) == (1, "")
    assert err.startswith("agentlog: error: no memory user:alice / nope")
    status, out, _ = run(["--store", store, "memory", "get", "user:alice", "theme", "--version", "1"], capsys)
    assert status == 0 and '"value": "dark"' in out


# -- 7. reindex: help, progress total, early name check ---------------------------------------------------


def test_reindex_help_names_everything_it_embeds(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["reindex", "--help"], capsys)
    assert status == 0
    assert "memories" in out and "document chunks" in out


def test_reindex_progress_total_is_what_is_embedded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "s")
    for key, value in (("a", "1"), ("a", "2"), ("a", "3"), ("b", "1"), ("b", "2"), ("c", "1")):
        assert run(["--store", store, "memory", "set", "user:alice", key, value], capsys)[0] == 0
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\nsome text\n")
    assert run(["--store", store, "docs", "sync", str(docs)], capsys)[0] == 0
    status, out, err = run(["--store", store, "reindex"], capsys)
    assert status == 0
    done = re.search(r"reindexed (\d+) rows", out)
    assert done is not None, out
    count = int(done.group(1))
    with Store(store, embedder=None) as opened:
        chunks = opened.sql("SELECT count(*) FROM document_chunks").fetchall()[0][0]
    assert count == 3 + chunks  # one vector per memory (not per version) and per chunk
    totals = {int(total) for total in re.findall(r"\d+/(\d+)", err)}
    assert totals == {count}, err


def test_reindex_checks_the_embedder_name_before_the_bar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "s")
    assert run(["--store", store, "memory", "set", "user:alice", "theme", "dark"], capsys)[0] == 0
    status, _, err = run(["--store", store, "reindex", "--embedder", "nosuch"], capsys)
    assert status == 2
    assert err.startswith("agentlog: error: unknown embedder 'nosuch'") and err.count("\n") == 1  # no bar


# -- 8, 9. usage errors exit 2 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sessions", "--limit", "100001"], "limit"),
        (["sessions", "--project", "notauuid"], "UUID"),
        (["search", "x", "--threshold", "1.5"], "from 0 to 1 (0: no threshold)"),
        (["memory", "search", "x", "--threshold", "nan"], "from 0 to 1 (0: no threshold)"),
        (["--store", "", "info"], "--store must name a directory"),
    ],
)
def test_bad_values_are_usage_errors(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "s")
    assert run(["--store", store, "memory", "set", "user:alice", "theme", "dark"], capsys)[0] == 0
    full = argv if argv[0] == "--store" else ["--store", store, *argv]
    status, _, err = run(full, capsys)
    assert status == 2
    assert message in err and "(or None)" not in err


def test_threshold_zero_means_none(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "s")
    assert run(["--store", store, "memory", "set", "user:alice", "theme", "dark"], capsys)[0] == 0
    status, out, _ = run(["--store", store, "memory", "search", "zebra crossing", "--threshold", "0"], capsys)
    assert status == 0 and "theme" in out


# -- 10. wording ---------------------------------------------------------------------------------------------


def test_counts_of_one_are_singular(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "s")
    log = write_log(tmp_path / "logs" / "bot.jsonl", {"event_type": "error_encountered", "event_data": {"e": 1}})
    status, out, _ = run(["--store", store, "import", str(log.parent)], capsys)
    assert status == 0
    assert "imported 1 file: 1 new session, 0 updated; 1 new event (1 error event), 0 already stored" in out
    assert run(["--store", store, "memory", "set", "user:alice", "theme", "dark", "--ttl", "0.001"], capsys)[0] == 0
    status, out, _ = run(["--store", store, "memory", "sweep"], capsys)
    assert status == 0 and out == "removed 1 memory\n"
    status, out, _ = run(["--store", str(tmp_path / "d"), "demo-data", "--sessions", "1"], capsys)
    assert status == 0 and out.startswith("loaded 1 session and ")


# -- 12. a search that has much to index first says so -----------------------------------------------------------


def test_a_search_behind_the_index_says_so_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "s")
    assert run(["--store", store, "demo-data", "--sessions", "20"], capsys)[0] == 0  # loaded without an index
    with Store(store, embedder=None) as opened:
        events = opened.sql("SELECT count(*) FROM events").fetchall()[0][0]
    assert events > 500
    status, _, err = run(["--store", store, "search", "tests", "--events"], capsys)
    assert status == 0
    notice = re.search(r"agentlog: indexing ([\d,]+) rows before searching \(Ctrl-C to stop\)\.\.\.", err)
    assert notice is not None, err
    assert 500 < int(notice.group(1).replace(",", "")) <= events  # the indexer may have started meanwhile
    status, _, err = run(["--store", store, "search", "tests", "--events"], capsys)
    assert (status, err) == (0, "")  # indexed now: nothing to say
