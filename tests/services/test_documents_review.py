"""DocumentIndexService: fixes from the review (chunk windows, derived titles, stale skipped files, ...)."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from agentlog import AgentlogError, DocumentIndexService, Store, ValidationError
from agentlog.services.chunking import markdown_title, split_chunks
from agentlog.services.document_ops import MAX_TITLE_LENGTH


@pytest.fixture
def docs(store: Store) -> DocumentIndexService:
    return DocumentIndexService(store)


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


PROSE_THEN_DATA_URI = " ".join(f"w{i}" for i in range(100)) + " ![img](data:image/png;base64," + "A" * 1500 + ") end"

# -- 1. chunk windows -------------------------------------------------------------------------

TOKENS = st.one_of(
    st.text(alphabet="abcxyz", min_size=1, max_size=12),  # ordinary words
    st.integers(min_value=50, max_value=1500).map(lambda n: "Y" * n),  # words longer than a window
    st.sampled_from(["\n\n", "\n"]),  # paragraph and line breaks
)


@settings(max_examples=300, deadline=None)
@given(
    tokens=st.lists(TOKENS, max_size=250),
    max_words=st.integers(min_value=1, max_value=60),
    max_chars=st.integers(min_value=10, max_value=600),
    overlap=st.integers(min_value=0, max_value=30),
)
@example(tokens=PROSE_THEN_DATA_URI.split(" "), max_words=200, max_chars=1000, overlap=30)
def test_chunks_move_forward_and_cover_all_the_text(
    tokens: list[str], max_words: int, max_chars: int, overlap: int
) -> None:
    content = " ".join(tokens)
    chunks = split_chunks(content, max_words=max_words, max_chars=max_chars, overlap=overlap)
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", content)]
    if not words:
        assert chunks == []
        return
    starts, ends = {s for s, _ in words}, {e for _, e in words}
    for number, chunk in enumerate(chunks):
        assert chunk.index == number and chunk.text == content[chunk.start : chunk.end]
        assert chunk.start in starts and chunk.end in ends, "chunks are made of whole words"
        count = len(chunk.text.split())
        assert count <= max(1, max_words) and (count == 1 or len(chunk.text) <= max_chars)
    for previous, chunk in pairwise(chunks):
        assert previous.start < chunk.start and previous.end < chunk.end, "no chunk lies inside the one before"
        assert chunk.start <= min(s for s in starts if s >= previous.end), "no word is skipped"
    assert chunks[0].start == words[0][0] and chunks[-1].end == words[-1][1]
    for start, end in words:
        assert any(c.start <= start and end <= c.end for c in chunks), "every word is in a chunk"


async def test_a_long_word_after_prose_gives_no_redundant_chunks(docs: DocumentIndexService) -> None:
    assert [len(c.text.split()) for c in split_chunks(PROSE_THEN_DATA_URI)] == [100, 1, 1]
    await docs.index_document("img.md", "Img", PROSE_THEN_DATA_URI)
    record = await docs.get_document("img.md")
    assert record is not None and record["chunk_count"] == 3
    hits = await docs.semantic_search("w99", mode="keyword", limit=10)
    assert [h["chunk_index"] for h in hits] == [0]


# -- 2. derived titles -------------------------------------------------------------------------


async def test_a_heading_with_control_characters_gets_a_clean_title(docs: DocumentIndexService, tmp_path: Path) -> None:
    record = await docs.sync_document_to_vector_db("project:x", "tab.md", "# Hello\tWorld\x1b[0m\n\nbody")
    assert record["title"] == "Hello World [0m" and record["sync_status"] == "synced"
    long = await docs.sync_document_to_vector_db(None, "long.md", "# " + "word " * 1000 + "\n\nbody")
    assert len(long["title"]) <= MAX_TITLE_LENGTH and long["title"].startswith("word word")
    write(tmp_path / "ctrl.md", "# Title with \x1b escape\nbody text")
    report = await docs.sync_directory(tmp_path, progress=False)
    assert report.skipped == [] and report.added == [str(tmp_path.resolve() / "ctrl.md")]  # noqa: ASYNC240
    synced = await docs.get_document(report.added[0])
    assert synced is not None and synced["title"] == "Title with escape"


async def test_a_title_given_by_the_caller_is_still_checked(docs: DocumentIndexService) -> None:
    with pytest.raises(ValidationError, match="control characters"):
        await docs.index_document("tab.md", "Hello\tWorld", "body")
    assert await docs.get_document("tab.md") is None


# -- 3. files that can no longer be synced -------------------------------------------------------


async def test_a_synced_file_that_is_now_skipped_is_removed(
    docs: DocumentIndexService, store: Store, tmp_path: Path
) -> None:
    root = (tmp_path / "docs").resolve()
    write(tmp_path / "secret.md", "# Secret\ntop secret")
    write(root / "latin.md", "# Plan\nthe old plan says deploy on friday")
    write(root / "link.md", "# Link\nthe old link text mentions zeppelins")
    write(root / "twin.md", "# Twin\nthe old twin text mentions walruses")
    write(root / "kept.md", "# Kept\nnothing changes here")
    first = await docs.sync_directory(root, progress=False)
    assert len(first.added) == 4

    write(root / "latin.md", "# Plan\ncaf\xe9 says never deploy on friday".encode("latin-1"))
    (root / "link.md").unlink()
    (root / "link.md").symlink_to(tmp_path / "secret.md")  # now leads outside the folder
    (root / "twin.md").unlink()
    (root / "twin.md").symlink_to(root / "kept.md")  # now an alias of another file inside
    second = await docs.sync_directory(root, progress=False)

    assert second.removed == sorted(str(root / n) for n in ("latin.md", "link.md", "twin.md"))
    assert second.unchanged == [str(root / "kept.md")] and second.added == second.changed == []
    assert {p for p, _ in second.skipped} == {str(root / "latin.md"), str(root / "link.md")}
    assert [r[0] for r in store.sql("SELECT file_path FROM documents").fetchall()] == [str(root / "kept.md")]
    for query in ("deploy on friday", "zeppelins", "walruses"):
        hits = await docs.semantic_search(query, mode="keyword", limit=10)
        assert hits == [], f"{query!r} still finds the old content"


# -- 4. the event loop keeps running while a document is prepared ---------------------------------


Call = Callable[[DocumentIndexService, str], Awaitable[Any]]
CALLS: dict[str, Call] = {
    "index_document": lambda docs, text: docs.index_document("big.md", "Big", text),
    "sync_document_to_vector_db": lambda docs, text: docs.sync_document_to_vector_db(None, "big.md", text),
}


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_preparing_a_large_document_does_not_block_the_loop(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Other coroutines run while the content is validated, hashed and chunked (before anything is written)."""
    ticks = 0
    seen_at_write: list[int] = []
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            await asyncio.sleep(0)
            ticks += 1

    with Store.memory() as store:
        write_async = store.write_async

        async def record_write(op: Any) -> Any:
            seen_at_write.append(ticks)
            return await write_async(op)

        monkeypatch.setattr(store, "write_async", record_write)
        docs = DocumentIndexService(store)
        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        before = ticks
        await CALLS[name](docs, "word " * 60_000)
        done.set()
        await task
    assert seen_at_write, "the document was written"
    assert seen_at_write[0] - before > 3, "the loop ran other tasks while the document was prepared"


# -- 5. embedding_model after a reindex -----------------------------------------------------------


async def test_reindex_with_another_embedder_updates_embedding_model(tmp_path: Path) -> None:
    with Store(tmp_path / "store", embedder="fake") as store:
        docs = DocumentIndexService(store)
        await docs.sync_document_to_vector_db(None, "a.md", "# A\nalpha")
        await docs.index_document("b.md", "B", "bravo")
        await docs.wait_for_sync()
        old = store.embedder.name if store.embedder is not None else None
        assert {r["embedding_model"] for r in await docs.list_all_documents()} == {old}
        store.reindex("fake-hash-32", progress=False)
        new = store.embedder.name if store.embedder is not None else None
        assert new != old
        records = await docs.list_all_documents()
        assert [(r["embedding_model"], r["sync_status"]) for r in records] == [(new, "synced")] * 2


# -- 6. metadata compared as JSON -----------------------------------------------------------------


async def updated_at(docs: DocumentIndexService, path: str) -> datetime:
    record = await docs.get_document(path)
    assert record is not None
    return datetime.fromisoformat(record["updated_at"])


async def test_metadata_equal_in_python_but_not_in_json_is_updated(docs: DocumentIndexService) -> None:
    await docs.index_document("m.md", "M", "text", metadata={"flag": 1, "ratio": 1})
    await docs.index_document("m.md", "M", "text", metadata={"flag": True, "ratio": 1.0})
    record = await docs.get_document("m.md")
    assert record is not None
    assert record["metadata"]["flag"] is True and type(record["metadata"]["ratio"]) is float
    stamp = await updated_at(docs, "m.md")
    await docs.index_document("m.md", "M", "text", metadata={"ratio": 1.0, "flag": True})  # key order only
    assert await updated_at(docs, "m.md") == stamp


# -- 7. sync_directory arguments -------------------------------------------------------------------


class BytesPath(os.PathLike[bytes]):
    """A PathLike whose ``__fspath__`` gives bytes."""

    def __init__(self, path: bytes) -> None:
        self.path = path

    def __fspath__(self) -> bytes:
        return self.path


@pytest.mark.parametrize(
    ("path", "glob"),
    [
        (None, "."),
        (None, "**.md"),
        ("~agentlog_no_such_user_zz", "**/*.md"),
        ("~agentlog_no_such_user_zz/docs", "**/*.md"),
        (BytesPath(b"/tmp"), "**/*.md"),
    ],
    ids=["glob-dot", "glob-star-star-suffix", "unknown-user", "unknown-user-subdir", "pathlike-bytes"],
)
async def test_bad_sync_arguments_raise_validation_error(
    docs: DocumentIndexService, tmp_path: Path, path: Any, glob: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await docs.sync_directory(tmp_path if path is None else path, glob, progress=False)
    assert isinstance(caught.value, AgentlogError) and caught.value.field in ("path", "glob")


# -- 8. byte order mark ----------------------------------------------------------------------------


def test_markdown_title_ignores_a_byte_order_mark() -> None:
    assert markdown_title("\ufeff# Real Title\nbody", "bom.md") == "Real Title"


async def test_a_byte_order_mark_does_not_hide_the_title(docs: DocumentIndexService, tmp_path: Path) -> None:
    path = write(tmp_path / "bom.md", "\ufeff# Real Title\nbody")
    report = await docs.sync_directory(tmp_path, progress=False)
    assert report.added == [str(path.resolve())]
    record = await docs.get_document(report.added[0])
    assert record is not None and record["title"] == "Real Title" and record["content"] == "# Real Title\nbody"
