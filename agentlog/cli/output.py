"""Plain-text tables for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentlog.cli.common import printable

__all__ = ["format_table"]


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, max_width: int = 60) -> str:
    r"""Format rows as an aligned text table; long cells are cut with an ellipsis.

    Line breaks in a cell become spaces; other control characters (ESC, CR...) are shown escaped
    (as ``\x1b``), so stored text cannot drive the terminal.

    Example:
        >>> print(format_table(["agent", "n"], [["claude", 3]]))
        agent   n
        ------  -
        claude  3
    """
    cells = [[_cell(value, max_width) for value in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], len(text))
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(t.ljust(w) for t, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def _cell(value: Any, max_width: int) -> str:
    text = printable("" if value is None else str(value).replace("\n", " "))
    return text if len(text) <= max_width else text[: max_width - 1] + "…"
