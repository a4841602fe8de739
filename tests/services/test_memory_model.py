"""The real offline model behind the memory and document services (marked ``model``)."""

from __future__ import annotations

import pytest

from agentlog import DocumentIndexService, MemoryService, Store

pytestmark = pytest.mark.model


async def test_dark_mode_memory_is_found_by_ui_theme_preference() -> None:
    with Store.memory(embedder="minilm") as store:
        memory = MemoryService(store)
        await memory.create_memory("user:alice", "ui_theme", "user prefers dark mode", "semantic")
        await memory.create_memory("user:alice", "editor", "uses vim keybindings in every editor", "procedural")
        await memory.create_memory("user:alice", "lunch", "vegetarian, no mushrooms", "semantic")
        await memory.create_memory("project:agentlog", "storage", "DuckDB is the source of truth", "semantic")
        hits = await memory.search_memories("UI theme preference", limit=4)
        assert hits[0]["key"] == "ui_theme"
        assert hits[0]["similarity"] >= 0.7, hits[0]
        assert all(h["similarity"] < 0.5 for h in hits[1:]), [(h["key"], h["similarity"]) for h in hits]
        clear = await memory.search_memories("UI theme preference", threshold=0.7)
        assert [h["key"] for h in clear] == ["ui_theme"]
        await memory.update_memory("user:alice", "ui_theme", "user switched to a light theme")
        hits = await memory.search_memories("UI theme preference", namespace_prefix="user:alice", limit=1)
        assert hits[0]["value"] == "user switched to a light theme"


async def test_document_chunks_are_found_by_meaning() -> None:
    with Store.memory(embedder="minilm") as store:
        docs = DocumentIndexService(store)
        await docs.index_document("docs/storage.md", "Storage", "DuckDB is the source of truth; LanceDB is an index.")
        await docs.index_document("docs/ui.md", "Settings page", "The settings page offers a dark colour scheme.")
        hits = await docs.semantic_search("where is the data kept", limit=2)
        assert hits[0]["file_path"] == "docs/storage.md"
        theme = await docs.semantic_search("UI theme preference", limit=1, threshold=0.5)
        assert [h["file_path"] for h in theme] == ["docs/ui.md"]
