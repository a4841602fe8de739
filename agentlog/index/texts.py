"""The text each indexed row is embedded from.

* A session: its summary, then the ``key_events``, ``decisions`` and
  ``outcomes`` lists of its metadata (the guide: "generated from summary +
  metadata key_events"); a single value counts as a one-item list, and object
  items are flattened like event payloads. A session without a summary has no
  text and no vector.
* An event: its type in words, then its payload flattened to ``key: value``
  pairs (nested keys joined with dots, lists joined with commas), e.g.
  ``task created. task_id: 123; title: Implement SessionService``.
* A memory: its key, then its value flattened the same way, e.g.
  ``ui_theme: user prefers dark mode`` (the key carries meaning: measured with
  the offline model, "UI theme preference" scores 0.61 against that text but
  0.33 against the value alone). A delete marker has no text (no vector).
* A document chunk: the document's title, a blank line, then the chunk text
  (so a chunk far from the heading still says what it is about).

Texts are capped at :data:`MAX_TEXT_CHARS` characters (the model reads at most
256 tokens, about 1,000 characters, anyway) and put in Unicode NFC, as search
queries are (:func:`agentlog.index.search.validate_query`): the full-text index
splits words at a combining accent, so text in NFD (``cafe`` + U+0301, as macOS
spells file names) could not be found by its words, and the same words in
either form get the same vector. Only the index text is normalised; what the
store holds is never changed.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

__all__ = ["MAX_TEXT_CHARS", "chunk_text", "event_text", "flatten_json", "memory_text", "session_text"]

MAX_TEXT_CHARS = 2000
"""Longest text handed to an embedder."""

_SESSION_LISTS = (("key_events", "Key events"), ("decisions", "Decisions"), ("outcomes", "Outcomes"))


def _cap(text: str) -> str:
    """``text`` in NFC, cut to :data:`MAX_TEXT_CHARS` characters (the last one an ellipsis when cut)."""
    text = unicodedata.normalize("NFC", text)
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1] + "…"


def session_text(summary: str | None, metadata_json: str | None) -> str | None:
    """Build a session's text, or ``None`` when it has no summary.

    Each of ``key_events``, ``decisions`` and ``outcomes`` is normally a list of
    strings; a single value counts as a one-item list, and an item that is an
    object or a list is flattened like an event payload.

    Example:
        >>> session_text("Completed the migration", '{"decisions": ["use DuckDB"], "phase": 2}')
        'Completed the migration. Decisions: use DuckDB.'
        >>> session_text("Fixed it", '{"key_events": [{"type": "error", "detail": "KeyError"}], "outcomes": "pass"}')
        'Fixed it. Key events: type: error; detail: KeyError. Outcomes: pass.'
        >>> session_text(None, "{}") is None
        True
    """
    if not summary or not summary.strip():
        return None
    parts = [summary.strip().rstrip(".") + "."]
    metadata = json.loads(metadata_json) if metadata_json else {}
    if isinstance(metadata, dict):
        for key, label in _SESSION_LISTS:
            items = _session_items(metadata.get(key))
            if items:
                parts.append(f"{label}: {', '.join(items)}.")
    return _cap(" ".join(parts))


def _session_items(value: Any) -> list[str]:
    """The texts of one session metadata list; a single value is a one-item list."""
    if isinstance(value, list):
        return [text for text in map(_item_text, value) if text is not None]
    text = None if value is None else _item_text(value)
    return [text] if text and text.strip() else []


def _item_text(item: Any) -> str | None:
    """One item's text: a scalar as ``str()``, an object or list flattened (``None`` if that leaves nothing)."""
    if not isinstance(item, dict | list):
        return str(item)
    pairs = [pair for pair in flatten_json(item) if pair]
    return "; ".join(pairs) if pairs else None


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


def memory_text(change: str, key: str, value_json: str) -> str | None:
    """Build a memory version's text: ``key: flattened value`` (``None`` for a delete marker).

    Example:
        >>> memory_text("created", "ui_theme", '"user prefers dark mode"')
        'ui_theme: user prefers dark mode'
        >>> memory_text("updated", "editor", '{"font": "mono", "tabs": [2, 4]}')
        'editor: font: mono; tabs: 2, 4'
        >>> memory_text("deleted", "ui_theme", '"x"') is None
        True
    """
    if change == "deleted":
        return None
    pairs = [pair for pair in flatten_json(json.loads(value_json)) if pair]
    return _cap(f"{key}: {'; '.join(pairs)}" if pairs else key)


def chunk_text(title: str, text: str) -> str:
    r"""Build a document chunk's text: the title, a blank line, the chunk.

    Example:
        >>> chunk_text("Storage design", "DuckDB is the source of truth.")
        'Storage design\n\nDuckDB is the source of truth.'
    """
    return _cap(f"{title}\n\n{text}" if title else text)
