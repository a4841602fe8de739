"""Text for the terminal: aligned tables, control characters escaped, library messages in command-line words."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["cli_wording", "display_width", "format_table", "print_json_lines", "printable", "printable_json"]


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, max_width: int = 60) -> str:
    r"""Format rows as an aligned text table; long cells are cut with an ellipsis.

    Line breaks in a cell (LF, CRLF, U+2028, U+2029) become spaces; other control characters (ESC, a lone
    CR...) are shown escaped (as ``\x1b``), so stored text cannot drive the terminal. Columns are aligned
    and cut by display width (see :func:`display_width`: Chinese, Japanese and Korean characters and most
    emoji take two columns of a terminal, combining accents none), not by the number of characters.

    Example:
        >>> print(format_table(["agent", "n"], [["claude", 3], ["日本語", 12]]))
        agent   n
        ------  --
        claude  3
        日本語  12
    """
    cells = [[_cell(value, max_width) for value in row] for row in rows]
    widths = [display_width(h) for h in headers]
    for row in cells:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], display_width(text))
    lines = [
        "  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(_pad(t, w) for t, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


_LINE_BREAK = re.compile("\r\n|[\n\u2028\u2029]")


def _cell(value: Any, max_width: int) -> str:
    text = printable("" if value is None else _LINE_BREAK.sub(" ", str(value)))
    cut, used = 0, 0  # cut: the characters that fit in max_width - 1 columns, beside the ellipsis
    for position, char in enumerate(text):
        used += _char_width(char)
        if used > max_width:
            return text[:cut] + "…"
        if used < max_width:
            cut = position + 1
    return text


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def _char_width(char: str) -> int:
    if unicodedata.category(char) in ("Mn", "Me", "Cf"):  # combining marks, zero-width joiners and marks
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """The columns ``text`` takes in a terminal: 2 per wide character (CJK, most emoji), 0 per combining mark.

    Example:
        >>> display_width("abc"), display_width("日本語"), display_width("cafe\u0301"), display_width("🚀!")
        (3, 6, 4, 3)
    """
    return sum(_char_width(char) for char in text)


_PYTHON_FORMAT = re.compile(r"\bpass format=(\.\.\.|'[^']*'|\"[^\"]*\"|[\w-]+)")


def cli_wording(message: str) -> str:
    """A library message in command-line words: ``pass format=...`` becomes ``pass --format ...``.

    Example:
        >>> cli_wording("not a recognised agent log; pass format=... if you know better")
        'not a recognised agent log; pass --format ... if you know better'
        >>> cli_wording("pass format='codex'")
        'pass --format codex'
    """
    return _PYTHON_FORMAT.sub(lambda match: f"pass --format {match.group(1).strip(chr(39) + chr(34))}", message)


_CONTROL = re.compile("[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f]")


_CONTROL_OR_NEWLINE = re.compile("[\\x00-\\x1f\\x7f-\\x9f]")


def printable(value: object, *, newlines: bool = False) -> str:
    r"""``str(value)`` safe for a terminal: control characters (ESC, CR, DEL, C1...) shown as ``\xNN`` escapes.

    Args:
        value: Any value; ``None`` gives ``""``.
        newlines: Keep line feeds (for multi-line output); otherwise they are escaped too.

    Example:
        >>> printable("red \x1b[31mtext\r")
        'red \\x1b[31mtext\\r'
    """
    text = "" if value is None else str(value)
    pattern = _CONTROL if newlines else _CONTROL_OR_NEWLINE
    return pattern.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]


def printable_json(value: object, **options: Any) -> str:
    r"""``json.dumps(value, default=str, ensure_ascii=False, **options)`` with DEL and C1 characters as ``\u00NN``.

    ``json`` escapes the C0 controls itself; the others would reach the terminal raw.

    Example:
        >>> printable_json({"k": "a\x9bb"})
        '{"k": "a\\u009bb"}'
    """
    text = json.dumps(value, default=str, ensure_ascii=False, **options)
    return _C1.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def print_json_lines(records: Iterable[object]) -> None:
    """Print each record as one line of JSON (what ``--json`` prints for a list: ``jq`` reads it line by line).

    Example:
        >>> print_json_lines([{"id": 1}, {"id": 2}])
        {"id": 1}
        {"id": 2}
    """
    for record in records:
        print(printable_json(record))


_C1 = re.compile("[\\x7f-\\x9f]")
