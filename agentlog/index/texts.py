"""The text each indexed row is embedded from.

* A session: its summary, then the ``key_events``, ``decisions`` and
  ``outcomes`` lists of its metadata (the guide: "generated from summary +
  metadata key_events"). A session without a summary has no text and no vector.
* An event: its type in words, then its payload flattened to ``key: value``
  pairs (nested keys joined with dots, lists joined with commas), e.g.
  ``task created. task_id: 123; title: Implement SessionService``.

Texts are capped at :data:`MAX_TEXT_CHARS` characters (the model reads at most
256 tokens, about 1,000 characters, anyway).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_TEXT_CHARS", "event_text", "flatten_json", "session_text"]

MAX_TEXT_CHARS = 2000
"""Longest text handed to an embedder."""

_SESSION_LISTS = (("key_events", "Key events"), ("decisions", "Decisions"), ("outcomes", "Outcomes"))


def _cap(text: str) -> str:
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1] + "…"


def session_text(summary: str | None, metadata_json: str | None) -> str | None:
    """Build a session's text, or ``None`` when it has no summary.

    Example:
        >>> session_text("Completed the migration", '{"decisions": ["use DuckDB"], "phase": 2}')
        'Completed the migration. Decisions: use DuckDB.'
        >>> session_text(None, "{}") is None
        True
    """
    if not summary or not summary.strip():
        return None
    parts = [summary.strip().rstrip(".") + "."]
    metadata = json.loads(metadata_json) if metadata_json else {}
    if isinstance(metadata, dict):
        for key, label in _SESSION_LISTS:
            values = metadata.get(key)
            if isinstance(values, list) and values:
                parts.append(f"{label}: {', '.join(str(v) for v in values)}.")
    return _cap(" ".join(parts))


def flatten_json(value: Any, prefix: str = "") -> list[str]:
    """Flatten JSON data to ``key: value`` strings (nested keys joined with dots).

    Example:
        >>> flatten_json({"task_id": "1", "changes": {"status": "done"}, "tags": ["a", "b"]})
        ['task_id: 1', 'changes.status: done', 'tags: a, b']
    """
    if isinstance(value, dict):
        pairs: list[str] = []
        for key, item in value.items():
            pairs.extend(flatten_json(item, f"{prefix}.{key}" if prefix else str(key)))
        return pairs
    if isinstance(value, list):
        if all(not isinstance(item, dict | list) for item in value):
            text = ", ".join("" if item is None else str(item) for item in value)
            return [f"{prefix}: {text}" if prefix else text]
        pairs = []
        for item in value:
            pairs.extend(flatten_json(item, prefix))
        return pairs
    text = "" if value is None else str(value)
    return [f"{prefix}: {text}" if prefix else text]


def event_text(event_type: str, event_data_json: str) -> str:
    """Build an event's text from its type and payload.

    Example:
        >>> event_text("error_encountered", '{"error": "TypeError in line 42", "context": "parse_input"}')
        'error encountered. error: TypeError in line 42; context: parse_input'
    """
    words = event_type.replace("_", " ").replace(".", " ").strip()
    pairs = flatten_json(json.loads(event_data_json))
    return _cap(f"{words}. {'; '.join(pairs)}" if pairs else words)
