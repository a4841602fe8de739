"""Splitting documents into the chunks that are embedded, and reading markdown titles.

A chunk is a window of whole words (whitespace-separated; in Chinese and
Japanese, which put no spaces between words, each Han, hiragana or katakana
character counts as a word, see :data:`CJK_CHARACTERS`) cut from the
content: at most :data:`CHUNK_WORDS` words **and** at most
:data:`CHUNK_CHARS` characters, whichever comes first, and consecutive chunks
share :data:`OVERLAP_WORDS` words (at most half a chunk) so a sentence cut at a
boundary is whole in one of them. When a paragraph break (a blank line) falls
in the last third of a window, the chunk ends there instead. When a window
starting at the overlap could not get past the end of the previous chunk
(the next word does not fit in it, such as a data: URI over
:data:`CHUNK_CHARS` characters), the next chunk starts where the previous one
ended, without overlap: no chunk is ever a part of the one before it. Chunk
text is the exact slice of the content (``content[start:end]``), newlines and all.

Why not the 512 words / 50 overlap of the original design notes: the offline
model (all-MiniLM-L6-v2) reads at most 256 word pieces and ignores the rest.
Measured on this repository's markdown, a word is about 1.3 word pieces in
prose and 2.2 in markdown with code, so a 512-word chunk is 650-1,100 pieces
and most of it would never reach the model. 200 words / 1,000 characters
(plus the title, see :func:`agentlog.index.texts.chunk_text`) fits the window
for prose and nearly fits it for code-heavy text. Chunks are stored in DuckDB
and do not depend on the embedder, so re-indexing with another model does not
re-chunk.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import PurePath

__all__ = [
    "CHUNK_CHARS",
    "CHUNK_WORDS",
    "CJK_CHARACTERS",
    "CONTROL_CHARACTERS",
    "OVERLAP_WORDS",
    "Chunk",
    "clean_title",
    "content_hash",
    "markdown_title",
    "split_chunks",
]

CHUNK_WORDS = 200
"""Most words in a chunk."""
CHUNK_CHARS = 1000
"""Most characters in a chunk (a single longer word makes a chunk of its own)."""
OVERLAP_WORDS = 30
"""Words shared by consecutive chunks (at most half of the previous chunk)."""

CJK_CHARACTERS = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
"""Hiragana, katakana and Han (CJK ideographs) as a regex class body: each is a word of its own to the chunker.

Without it a paragraph of Chinese or Japanese was one "word": chunks of 1,000 such characters, about 1,000
word pieces, of which the offline model reads 256. A word of its own, a character is a word piece or two.
"""
_WORD = re.compile(f"[{CJK_CHARACTERS}]|[^\\s{CJK_CHARACTERS}]+")
_ATX = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0 and C1 controls (U+009B is a terminal CSI)
"""C0 and C1 control characters (also refused in one-line fields by :mod:`agentlog.services.document_ops`)."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """One piece of a document's content."""

    index: int
    """Position in the document, from 0."""
    text: str
    """``content[start:end]``."""
    start: int
    """Offset of the first character in the content."""
    end: int
    """Offset after the last character."""


def split_chunks(
    content: str,
    *,
    max_words: int = CHUNK_WORDS,
    max_chars: int = CHUNK_CHARS,
    overlap: int = OVERLAP_WORDS,
) -> list[Chunk]:
    """Split content into overlapping chunks of whole words (none for blank content).

    Example:
        >>> chunks = split_chunks(" ".join(f"w{i}" for i in range(450)))
        >>> [(c.text.split()[0], c.text.split()[-1]) for c in chunks]
        [('w0', 'w199'), ('w170', 'w369'), ('w340', 'w449')]
        >>> split_chunks("   ")
        []
        >>> [len(c.text) for c in split_chunks("東京" * 250)]  # no spaces: a word per character
        [200, 200, 160]
    """
    words = [(m.start(), m.end()) for m in _WORD.finditer(content)]
    if not words:
        return []
    chunks: list[Chunk] = []
    first, stop = 0, _window_end(content, words, 0, max_words, max_chars)
    while True:
        start, end = words[first][0], words[stop - 1][1]
        chunks.append(Chunk(len(chunks), content[start:end], start, end))
        if stop >= len(words):
            return chunks
        first, stop = _next_window(content, words, (first, stop), max_words, max_chars, overlap)


def _window_end(content: str, words: list[tuple[int, int]], first: int, max_words: int, max_chars: int) -> int:
    """The index after the last word of the chunk that starts at word ``first``.

    The window takes words while it has fewer than ``max_words`` and spans at
    most ``max_chars`` characters (always at least one word), then ends at a
    paragraph break in its last third if there is one.
    """
    stop = first + 1
    while stop < len(words) and stop - first < max_words and words[stop][1] - words[first][0] <= max_chars:
        stop += 1
    if stop < len(words):
        for cut in range(stop - 1, first + max(1, (stop - first) * 2 // 3), -1):
            if content.count("\n", words[cut - 1][1], words[cut][0]) >= 2:
                return cut
    return stop


def _next_window(
    content: str,
    words: list[tuple[int, int]],
    previous: tuple[int, int],
    max_words: int,
    max_chars: int,
    overlap: int,
) -> tuple[int, int]:
    """The ``(first, stop)`` word range of the chunk after ``previous``.

    It starts ``overlap`` words (at most half the previous chunk) back; when
    a window starting there cannot get past the previous chunk's end (the next
    word does not fit in it), it starts at that end instead, with no overlap,
    so no chunk ever lies inside the one before it.
    """
    first, stop = previous
    back = max(stop - min(overlap, (stop - first) // 2), first + 1)
    end = _window_end(content, words, back, max_words, max_chars)
    if end > stop:
        return back, end
    return stop, _window_end(content, words, stop, max_words, max_chars)


def content_hash(content: str) -> str:
    """The sha256 of the UTF-8 content, in hex (what ``content_hash`` holds).

    Example:
        >>> content_hash("")[:12]
        'e3b0c44298fc'
    """
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def markdown_title(content: str, fallback: str) -> str:
    r"""The text of the first ATX heading (``# Title``) outside code fences, else a title made from ``fallback``.

    ``fallback`` is a file path or name: its stem, with ``_`` and ``-`` as spaces.
    The title is cleaned to one line (see :func:`clean_title`); a heading that
    is blank once cleaned is passed over. A leading byte order mark is ignored.

    Example:
        >>> markdown_title("intro\n\n## Storage design ##\ntext", "docs/x.md")
        'Storage design'
        >>> markdown_title("no heading here", "docs/storage_design-notes.md")
        'storage design notes'
        >>> markdown_title("\ufeff# Hello\tWorld", "x.md")
        'Hello World'
    """
    fenced = False
    for line in content.removeprefix("\ufeff").splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            match = _ATX.match(line)
            title = clean_title(match.group(1)) if match else ""
            if title:
                return title
    stem = PurePath(fallback).stem or fallback
    return clean_title(re.sub(r"[_\-]+", " ", stem)) or clean_title(fallback)


def clean_title(text: str) -> str:
    r"""``text`` on one line: control characters as spaces, runs of whitespace as one space, no space at the ends.

    Example:
        >>> clean_title("  Hello\tWorld\x1b[0m \n")
        'Hello World [0m'
    """
    return " ".join(CONTROL_CHARACTERS.sub(" ", text).split())
