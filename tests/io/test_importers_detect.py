"""Format detection, folder walks and the parse_path entry point."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from agentlog.errors import ImportFormatError, ValidationError
from agentlog.io import importers
from agentlog.io.importers import (
    HEAD_BYTES,
    detect_format,
    iter_parse_path,
    iter_source_files,
    parse_file,
    parse_path,
)
from tests.io.support import DATA, FIXTURES, fixture_dir, write_lines

EXPECTED_FORMATS = {
    "claude-code": "claude-code",
    "codex-cli": "codex",
    "otel-genai": "otel",
}


def test_each_fixture_is_detected_from_its_content(tmp_path: Path) -> None:
    root = fixture_dir()
    for folder, expected in EXPECTED_FORMATS.items():
        for path in sorted((root / folder).iterdir()):
            assert detect_format(path) == expected, path
            # the name plays no part
            renamed = tmp_path / f"{path.stem}.data"
            shutil.copyfile(path, renamed)
            assert detect_format(renamed) == expected


def test_own_formats_are_detected(tmp_path: Path) -> None:
    assert detect_format(DATA / "otlp_trace.json") == "otel"
    path = write_lines(tmp_path / "x.jsonl", [{"type": "session", "agent": "a"}])
    assert detect_format(path) == "jsonl"


def test_a_first_line_longer_than_the_head_is_still_recognised(tmp_path: Path) -> None:
    huge = {
        "timestamp": "2026-01-01T00:00:00Z",
        "type": "session_meta",
        "payload": {"id": "x", "base_instructions": {"text": "y" * (HEAD_BYTES * 4)}},
    }
    path = write_lines(tmp_path / "r.jsonl", [huge])
    assert detect_format(path) == "codex"
    claude = {
        "parentUuid": None,
        "isSidechain": False,
        "sessionId": "s",
        "type": "user",
        "message": {"content": "z" * (HEAD_BYTES * 4)},
    }
    assert detect_format(write_lines(tmp_path / "c.jsonl", [claude])) == "claude-code"


@pytest.mark.parametrize(
    "content",
    [
        "",
        "hello world\n",
        '{"name": "package", "version": "1.0"}\n',
        "[1, 2, 3]\n",
        '{"type": "user"}\n',
        "\x00\x01\x02binary",
    ],
)
def test_unknown_content_names_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "mystery.jsonl"
    path.write_text(content)
    with pytest.raises(ImportFormatError, match=r"mystery\.jsonl") as info:
        detect_format(path)
    assert info.value.path == str(path)


def test_missing_file_is_an_import_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="cannot read"):
        detect_format(tmp_path / "nope.jsonl")
    with pytest.raises(ImportFormatError, match="no such file"):
        parse_path(tmp_path / "nope")


def test_unknown_format_name_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="unknown format"):
        parse_path(tmp_path, format="csv")
    with pytest.raises(ValidationError):
        parse_file(DATA / "otlp_trace.json", format="nope")


def test_folder_walk_is_sorted_recursive_and_skips_non_logs(tmp_path: Path) -> None:
    for name in [
        "b/z.jsonl",
        "b/a.jsonl",
        "a.json",
        "c/d/e.jsonl",
        ".hidden/x.jsonl",
        "b/.x.jsonl",
        "notes.txt",
        "b/data.csv",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}\n")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.jsonl"
    outside.write_text("{}\n")
    os.symlink(outside, tmp_path / "link.jsonl")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_source_files(tmp_path)]
    assert found == ["a.json", "b/a.jsonl", "b/z.jsonl", "c/d/e.jsonl"]
    assert [p.name for p in iter_source_files(tmp_path, "codex")] == [
        "a.jsonl",
        "z.jsonl",
        "e.jsonl",
    ]
    assert list(iter_source_files(tmp_path / "notes.txt")) == [(tmp_path / "notes.txt")]


def test_folder_with_a_broken_file_returns_the_others(tmp_path: Path) -> None:
    root = fixture_dir()
    shutil.copytree(root, tmp_path / "logs")
    broken = tmp_path / "logs" / "codex-cli" / "rollout-broken.jsonl"
    lines = next((root / "codex-cli").glob("rollout-*.jsonl")).read_text().splitlines()
    broken.write_text("\n".join([*lines[:5], "{truncated", *lines[5:]]) + "\n")
    (tmp_path / "logs" / "package.json").write_text(json.dumps({"name": "x"}))
    result = parse_path(tmp_path / "logs")
    assert not result.ok
    assert [(p.name, e.line) for p, e in result.failures] == [("rollout-broken.jsonl", 6)]
    assert [p.name for p in result.skipped] == ["package.json"]
    assert len(result.sessions) == 7  # 2 Claude Code + 1 Codex + 4 traces
    assert {s.agent for s in result.sessions} == {"claude-code", "codex", "any_agent"}
    statuses = [r.status for r in iter_parse_path(tmp_path / "logs")]
    assert statuses.count("failed") == 1
    assert statuses.count("skipped") == 1
    assert result.event_count == sum(len(s.events) for s in result.sessions)


def test_a_single_unknown_file_is_a_failure_not_a_skip(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text("plain text\n")
    result = parse_path(path)
    assert result.skipped == []
    assert [p for p, _ in result.failures] == [path]
    with pytest.raises(ImportFormatError):
        parse_file(path)


def test_explicit_format_parses_the_wrong_format_as_a_failure(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "x.jsonl", [{"type": "session", "agent": "a"}])
    result = parse_path(path, format="codex")
    assert len(result.failures) == 1


def test_public_surface_is_pinned() -> None:
    assert sorted(importers.__all__) == sorted(
        [
            "EVENT_TYPE_PATTERN",
            "FORMATS",
            "HEAD_BYTES",
            "LOG_SUFFIXES",
            "PARSERS",
            "FileResult",
            "ImportedEvent",
            "ImportedSession",
            "ParseResult",
            "detect_format",
            "iter_parse_path",
            "iter_source_files",
            "merge_sessions",
            "parse_file",
            "parse_path",
        ]
    )
    assert importers.FORMATS == ("otel", "codex", "claude-code", "jsonl")


def test_fixture_location_matches_the_brief() -> None:
    assert FIXTURES.parts[-3:] == ("shared", "fixtures", "agent-logs")
