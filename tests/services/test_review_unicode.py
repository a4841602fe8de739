"""Regression tests from the review of text handling: Unicode forms, scripts without spaces, terminal width."""

from __future__ import annotations

import re
import unicodedata
from itertools import pairwise
from pathlib import Path

import pytest

from agentlog import DocumentIndexService, MemoryService, SessionService, Store, export, import_
from agentlog.cli.output import display_width, format_table
from agentlog.index.search import validate_query
from agentlog.index.texts import chunk_text, event_text, memory_text, session_text
from agentlog.services.chunking import CHUNK_CHARS, CHUNK_WORDS, OVERLAP_WORDS, split_chunks
from tests.conftest import snapshot

NFC = "Une crème brûlée délicieuse"
NFD = unicodedata.normalize("NFD", NFC)

TEXTS = [
    NFC,
    NFD,
    "東京都の天気予報によると明日は雨が降るでしょう",
    "שגיאת חיבור למסד הנתונים",
    "خطأ في الاتصال بقاعدة البيانات",
    "deploy 🚀 👨\u200d👩\u200d👧 🇫🇷",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \U0010ffff \ufeffbom",
    "lines\r\nwindows\rold mac\u2028separator\u2029paragraph",
]


# -- 1. Unicode forms in the full-text index --------------------------------------------------------


def test_index_texts_and_queries_are_in_nfc() -> None:
    assert NFC != NFD
    assert event_text("note", f'{{"text": "{NFD}"}}') == f"note. text: {NFC}"
    assert memory_text("created", NFD, f'"{NFD}"') == f"{NFC}: {NFC}"
    assert session_text(NFD, f'{{"decisions": ["{NFD}"]}}') == f"{NFC}. Decisions: {NFC}."
    assert chunk_text(NFD, NFD) == f"{NFC}\n\n{NFC}"
    assert validate_query(NFD, "keyword", None)[0] == NFC


async def test_text_in_nfd_is_found_by_its_words() -> None:
    # The full-text index splits words at a combining accent: NFD text (as macOS spells file names) was found
    # by none of its words, while the same words in NFC were found with or without accents.
    with Store.memory() as store:
        sessions, memory = SessionService(store), MemoryService(store)
        session = await sessions.create_session(agent="claude")
        nfd_event = await sessions.add_event(session["id"], "note", {"text": NFD})
        nfc_event = await sessions.add_event(session["id"], "note", {"text": "Le café était fermé"})
        await memory.put_memory("project:x", "dessert", NFD, "semantic")
        for query in ("crème brûlée", NFD, "creme", "CRÈME"):
            hits = await sessions.search_events(query, mode="keyword")
            assert [hit["id"] for hit in hits] == [nfd_event["id"]], query
            found = await memory.search_memories(query, mode="keyword")
            assert [hit["key"] for hit in found] == ["dessert"], query
        for query in ("café", unicodedata.normalize("NFD", "café"), "cafe"):
            hits = await sessions.search_events(query, mode="keyword")
            assert [hit["id"] for hit in hits] == [nfc_event["id"]], query
        stored = await sessions.get_session(session["id"])
        assert stored is not None and stored["events"][0]["event_data"] == {"text": NFD}  # stored as given


QUERIES = ['"quoted', "a'b", "foo)", "(", "AND", "OR NOT", "*", "?", "title:x", "\\", "~", "+-", "[x]", "{x}", "^2"]
QUERIES += ["NOT", "''", '"', "%", ";DROP", "🚀", "天気予報", "os.path.join", "src/app/main.py", "x" * 500]


async def test_queries_with_special_characters_never_break_a_search() -> None:
    with Store.memory() as store:
        sessions = SessionService(store)
        session = await sessions.create_session(agent="claude")
        await sessions.add_event(session["id"], "note", {"text": "called os.path.join, got ERR_CONNECTION_RESET"})
        await sessions.end_session(session["id"], summary="src/app/main.py: fixed the (quoted) 'path' AND more")
        for query in QUERIES:
            for mode in ("keyword", "hybrid", "vector"):
                assert isinstance(await sessions.search_events(query, mode=mode), list), (query, mode)
                assert isinstance(await sessions.search_sessions(query, mode=mode), list), (query, mode)
        for query in ("os.path.join", "path", "ERR_CONNECTION_RESET", "connection"):
            assert len(await sessions.search_events(query, mode="keyword")) == 1, query
        for query in ("src/app/main.py", "main.py", "(quoted)", "'path'"):
            assert len(await sessions.search_sessions(query, mode="keyword")) == 1, query


# -- 2. chunks of text without spaces ---------------------------------------------------------------


def test_chinese_and_japanese_are_chunked_by_character() -> None:
    # A paragraph of Chinese or Japanese has no spaces: it was one "word", and its chunk 1,000 characters
    # (about 1,000 word pieces, of which the offline model reads 256).
    paragraph = "東京都の天気予報によると明日は雨が降るでしょう。" * 20  # 480 characters, no space
    content = "\n\n".join([paragraph] * 5)
    chunks = split_chunks(content)
    assert len(chunks) > 10
    for chunk in chunks:
        assert chunk.text == content[chunk.start : chunk.end]
        assert len(chunk.text.replace("\n", "")) <= CHUNK_WORDS
    for previous, chunk in pairwise(chunks):
        assert previous.start < chunk.start <= previous.end, "consecutive chunks overlap or touch"
        assert len(content[chunk.start : previous.end].replace("\n", "")) <= OVERLAP_WORDS
    assert chunks[0].start == 0 and chunks[-1].end == len(content)
    mixed = split_chunks("これはPythonのテスト" * 100)
    assert len(mixed) > 1
    assert all(set(re.findall("[A-Za-z]+", chunk.text)) == {"Python"} for chunk in mixed)  # Latin words stay whole
    assert [len(c.text) for c in split_chunks("y" * 3 * CHUNK_CHARS)] == [3 * CHUNK_CHARS]  # documented: whole word


async def test_a_japanese_document_is_searchable_past_its_first_characters() -> None:
    with Store.memory() as store:
        docs = DocumentIndexService(store)
        tail = "最後の段落には秘密の合言葉があります"
        content = "天気予報" * 1000 + tail  # 4,018 characters without a space
        await docs.index_document("notes/天気.md", "天気", content)
        record = await docs.get_document("notes/天気.md")
        assert record is not None and record["chunk_count"] > 15
        hits = await docs.semantic_search(tail, limit=1)
        assert hits[0]["chunk_text"].endswith(tail)


# -- 3. terminal tables -----------------------------------------------------------------------------


def test_table_columns_are_aligned_by_display_width() -> None:
    text = format_table(["agent", "n"], [["日本語", 1], ["abc", 2], ["cafe\u0301", 3], ["🚀", 4]])
    assert text.splitlines() == ["agent   n", "------  -", "日本語  1", "abc     2", "cafe\u0301    3", "🚀      4"]
    assert display_width("日本語") == 6 and display_width("cafe\u0301") == 4 and display_width("👍") == 2


def test_long_wide_cells_are_cut_to_the_width() -> None:
    line = format_table(["s"], [["日本" * 40]], max_width=20).splitlines()[2]
    assert line.endswith("…") and display_width(line) <= 20
    assert display_width(line) >= 19


def test_every_kind_of_line_break_in_a_cell_is_a_space() -> None:
    lines = format_table(["summary"], [["one\r\ntwo\nthree\u2028four\u2029five"], ["bare\rcr"]]).splitlines()
    assert lines[2:] == ["one two three four five", "bare\\rcr"]  # a lone CR could overwrite the line: escaped


# -- 4. round trips ---------------------------------------------------------------------------------


async def _fill(store: Store) -> None:
    sessions, memory, docs = SessionService(store), MemoryService(store), DocumentIndexService(store)
    for number, text in enumerate(TEXTS):
        session = await sessions.create_session(agent=f"agent-{number}", metadata={text: text}, initial_state={text: 1})
        await sessions.add_event(session["id"], "note", {text: [text]}, metadata={text: text})
        await sessions.end_session(session["id"], summary=text)
        line = "".join(char for char in text if char.isprintable())
        await memory.put_memory("project:ünïcode", f"{number}-{line}", {text: text}, "semantic", {text: text})
        await docs.index_document(f"docs/{number}-{line}.md", line, f"{text}\n\n{text}", metadata={text: text})


async def test_text_of_every_script_round_trips_through_the_api_and_a_dataset(tmp_path: Path) -> None:
    with Store.memory() as store:
        await _fill(store)
        sessions = SessionService(store)
        for listed in await sessions.list_sessions(limit=100):
            session = await sessions.get_session(listed["id"])
            assert session is not None
            text = session["summary"]
            assert text in TEXTS and session["metadata"] == {text: text} and session["state"] == {text: 1}
            assert session["events"][0]["event_data"] == {text: [text]}
        keys = [record["key"] for record in await MemoryService(store).list_memories_by_namespace("project")]
        assert len(keys) == len(TEXTS)
        assert keys.count("0-" + NFC) == 1 and keys.count("1-" + NFD) == 1  # nothing normalised
        before = {name: [row[:-1] for row in rows] for name, rows in snapshot(store).items()}  # without index_lsn
        folder = export(store, tmp_path / "dataset").path
    with Store.memory() as copy:
        import_(copy, folder)
        after = {name: [row[:-1] for row in rows] for name, rows in snapshot(copy).items()}
    assert {name: sorted(rows, key=repr) for name, rows in after.items()} == {
        name: sorted(rows, key=repr) for name, rows in before.items()
    }


@pytest.mark.parametrize("key", [NFC, NFD])
async def test_a_memory_key_is_found_only_in_the_form_it_was_stored(key: str) -> None:
    other = NFD if key == NFC else NFC
    with Store.memory(embedder=None) as store:
        memory = MemoryService(store)
        await memory.put_memory("user:émilie", key, 1, "semantic")
        assert (await memory.get_memory("user:émilie", key)) is not None
        assert (await memory.get_memory("user:émilie", other)) is None
        assert (await memory.get_memory(unicodedata.normalize("NFD", "user:émilie"), key)) is None


async def test_a_word_inside_chinese_or_japanese_text_is_found_by_keyword() -> None:
    """LanceDB's default tokenizer kept a run without spaces as one word; the index segments it with ICU."""
    with Store.memory() as store:
        sessions = SessionService(store)
        session = await sessions.create_session(agent="claude")
        await sessions.add_event(session["id"], "note", {"text": "東京都の会議で新しい計画を発表した"})
        await sessions.add_event(session["id"], "note", {"text": "我们今天讨论了数据库迁移的问题"})
        await sessions.add_event(session["id"], "note", {"text": "called os.path.join, got ERR_CONNECTION_RESET"})
        for query, expected in (
            ("会議", "東京都"),
            ("数据库", "我们"),
            ("path", "called"),
            ("ERR_CONNECTION_RESET", "called"),
        ):
            hits = await sessions.search_events(query, mode="keyword")
            assert [hit["event_data"]["text"][: len(expected)] for hit in hits] == [expected], query
