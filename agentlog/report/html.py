"""The HTML of the report: one self-contained page, plotly.js embedded once, every value escaped."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.io as pio
from plotly.offline import get_plotlyjs

__all__ = ["FIGURE_CONFIG", "Section", "figure_html", "page", "table"]

FIGURE_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}
"""Plotly config of every figure: no logo, resize with the window."""

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #222;
       background: #f6f7f9; }
header { background: #1f2933; color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 4px 0; font-size: 24px; }
header p { margin: 2px 0; color: #cbd2d9; }
main { padding: 8px 32px 32px; max-width: 1280px; }
section { background: #fff; border-radius: 6px; margin: 16px 0; padding: 12px 16px;
          box-shadow: 0 1px 2px rgba(0,0,0,.08); }
section h2 { font-size: 17px; margin: 4px 0 8px; }
section p.note { color: #52606d; font-size: 13px; margin: 0 0 8px; }
.totals { display: flex; gap: 24px; flex-wrap: wrap; margin-top: 10px; }
.totals div { font-size: 13px; color: #cbd2d9; }
.totals b { display: block; font-size: 22px; color: #fff; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e4e7eb; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #f0f2f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.figure { min-height: 320px; }
footer { color: #7b8794; font-size: 12px; padding: 0 32px 24px; }
"""


@dataclass(frozen=True, slots=True)
class Section:
    """One block of the page: a heading, an optional note, and either a figure or a table (already HTML)."""

    title: str
    body: str
    note: str = ""
    figure: str | None = None
    """The figure's name when the body is a plotly figure (``data-figure`` attribute)."""


def figure_html(figure: Any, name: str) -> str:
    """A figure as a ``<div>`` and the script that draws it, without plotly.js (the page has it once).

    Example:
        >>> import plotly.graph_objects as go
        >>> text = figure_html(go.Figure(go.Bar(x=[1], y=[2])), "demo")
        >>> 'id="figure-demo"' in text and "<script src" not in text
        True
    """
    return str(
        pio.to_html(
            figure,
            include_plotlyjs=False,
            full_html=False,
            div_id=f"figure-{name}",
            config=FIGURE_CONFIG,
            default_width="100%",
        )
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[bool] | None = None) -> str:
    """An HTML table; every cell is escaped, ``None`` shows as an empty cell.

    Example:
        >>> table(["agent", "n"], [["<b>", 3]], numeric=[False, True]).split("<tbody>")[1]
        '<tr><td>&lt;b&gt;</td><td class="num">3</td></tr></tbody></table>'
    """
    flags = list(numeric) if numeric is not None else [False] * len(headers)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for value, is_number in zip(row, flags, strict=True):
            text = "" if value is None else html.escape(str(value))
            cells.append(f'<td class="num">{text}</td>' if is_number else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def page(title: str, subtitle: str, totals: Sequence[tuple[str, str]], sections: Sequence[Section], footer: str) -> str:
    """The whole document: head with the CSS and plotly.js (inline, once), header, sections, footer.

    Example:
        >>> text = page("T", "sub", [("sessions", "3")], [Section("S", "<p>x</p>")], "f")
        >>> text.startswith("<!DOCTYPE html>") and text.count("<script") == 1
        True
    """
    figures = sum(1 for s in sections if s.figure)
    blocks = []
    for section in sections:
        note = f'<p class="note">{html.escape(section.note)}</p>' if section.note else ""
        if section.figure:
            attributes = f' class="figure-section" data-figure="{html.escape(section.figure)}"'
            body = f'<div class="figure">{section.body}</div>'
        else:
            attributes, body = "", section.body
        blocks.append(f"<section{attributes}><h2>{html.escape(section.title)}</h2>{note}{body}</section>")
    numbers = "".join(f"<div><b>{html.escape(value)}</b>{html.escape(label)}</div>" for label, value in totals)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script>'
        f'</head><body data-figures="{figures}">'
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p>"
        f'<div class="totals">{numbers}</div></header>'
        f"<main>{''.join(blocks)}</main>"
        f"<footer>{html.escape(footer)}</footer>"
        "</body></html>\n"
    )
