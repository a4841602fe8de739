"""Fixture locations and small helpers for the importer tests.

Expected facts are computed here straight from the files with ``json.loads``,
independently of the importer code under test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "agent-logs"
DATA = Path(__file__).resolve().parent / "data"


def fixture_dir(kind: str = "") -> Path:
    """The shared agent-log fixtures (sub)folder, or skip the test when it is absent."""
    folder = FIXTURES / kind if kind else FIXTURES
    if not folder.is_dir():
        pytest.skip(
            f"real agent-log fixtures not found at {folder} (they live in ../shared beside "
            "the checkout; see shared/fixtures/agent-logs/README.md)"
        )
    return folder


def fixture_files(kind: str, pattern: str) -> list[Path]:
    """Fixture files of one kind, for parametrising (a placeholder when the folder is absent)."""
    folder = FIXTURES / kind
    if not folder.is_dir():
        # one placeholder, so the test runs and skips through fixture_dir() with a clear reason
        return [folder / "fixtures-absent"]
    return sorted(folder.glob(pattern))


def raw_lines(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """``(1-based line number, record)`` for every non-blank line, via plain json.loads."""
    out = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                out.append((number, json.loads(line)))
    return out


def write_lines(path: Path, records: list[Any]) -> Path:
    """Write records (dicts are JSON-encoded, strings written as is) one per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"
    path.write_text(text, encoding="utf-8")
    return path
