"""``agentlog memory`` and ``agentlog docs`` on a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentlog.cli import main


def test_memory_and_docs_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "store")
    assert main(["--store", store, "memory", "set", "user:alice", "ui_theme", "user prefers dark mode"]) == 0
    assert "version 1 (created)" in capsys.readouterr().out
    assert (
        main(["--store", store, "memory", "set", "user:alice", "editor", '{"keys": "vim"}', "--type", "procedural"])
        == 0
    )
    assert main(["--store", store, "memory", "set", "user:alice", "ui_theme", "light"]) == 0
    assert "version 2 (updated)" in capsys.readouterr().out.splitlines()[-1]
    assert main(["--store", store, "memory", "list", "user"]) == 0
    listing = capsys.readouterr().out
    assert "ui_theme" in listing and '{"keys": "vim"}' in listing
    assert main(["--store", store, "memory", "list", "user", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["key"], r["version"], r["value"]) for r in records] == [
        ("ui_theme", 2, "light"),
        ("editor", 1, {"keys": "vim"}),
    ]
    assert main(["--store", store, "memory", "get", "user:alice", "ui_theme", "--history"]) == 0
    history = json.loads(capsys.readouterr().out)
    assert [h["value"] for h in history] == ["light", "user prefers dark mode"]
    assert main(["--store", store, "memory", "search", "vim keys", "--prefix", "user:alice", "--limit", "1"]) == 0
    assert "editor" in capsys.readouterr().out
    assert main(["--store", store, "memory", "search", "vim keys", "--prefix", "user:alice", "--json"]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert hits and all(h["namespace"] == "user:alice" and 0 <= h["similarity"] <= 1 for h in hits)
    assert main(["--store", store, "memory", "delete", "user:alice", "editor"]) == 0
    assert main(["--store", store, "memory", "delete", "user:alice", "editor"]) == 1  # nothing left to delete
    assert "no memory user:alice / editor" in capsys.readouterr().err
    assert main(["--store", store, "memory", "get", "user:alice", "editor"]) == 1
    assert main(["--store", store, "memory", "sweep", "--ended-sessions"]) == 0
    assert "removed 0 memories" in capsys.readouterr().out.splitlines()[-1]
    with pytest.raises(SystemExit) as usage:  # a bad namespace is a usage error (status 2)
        main(["--store", store, "memory", "set", "Project:x", "k", "v"])
    assert usage.value.code == 2 and "argument namespace: namespace 'Project:x'" in capsys.readouterr().err

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "storage.md").write_text("# Storage\n\nDuckDB is the source of truth.", encoding="utf-8")
    assert main(["--store", store, "docs", "sync", str(docs), "--namespace", "project:x"]) == 0
    assert "1 added, 0 changed, 0 unchanged, 0 removed" in capsys.readouterr().out
    assert main(["--store", store, "docs", "search", "source of truth", "--mode", "hybrid"]) == 0
    assert "storage.md" in capsys.readouterr().out
    assert main(["--store", store, "docs", "search", "source of truth", "--mode", "hybrid", "--json"]) == 0
    (hit,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (hit["title"], hit["namespace"], hit["chunk_index"]) == ("Storage", "project:x", 0)
    assert hit["file_path"] == str((docs / "storage.md").resolve())
