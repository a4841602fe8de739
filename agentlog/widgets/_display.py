"""What the explorers share: the display protocol, figures in Output widgets, frames as HTML tables."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import ipywidgets as widgets
import plotly.graph_objects as go
import polars as pl

__all__ = ["PLOTLY_MIME", "Explorer", "frame_html", "json_html", "show_figure", "status_html"]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
"""The mime type JupyterLab (and VS Code) render plotly figures from; plotly ships the JupyterLab renderer."""

_CELL_STYLE = "padding:2px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top"


class Explorer:
    """Base of the explorers: a :class:`ipywidgets.VBox` in :attr:`widget`, displayed in place of the object.

    Attributes:
        widget: The box of controls and outputs (what Jupyter shows).
    """

    widget: widgets.VBox

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Jupyter shows :attr:`widget` when the explorer is the last expression of a cell."""
        return self.widget._repr_mimebundle_(**kwargs)


def show_figure(output: widgets.Output, figure: go.Figure) -> None:
    """Replace what ``output`` shows with ``figure`` (a plotly mime bundle; no ``anywidget`` needed).

    Example:
        >>> out = widgets.Output()
        >>> show_figure(out, go.Figure(go.Bar(y=[1, 2]), layout_title_text="Bars"))
        >>> out.outputs[0]["data"][PLOTLY_MIME]["data"][0]["y"], out.outputs[0]["data"]["text/plain"]
        ([1, 2], 'Figure: Bars')
    """
    title = figure.layout.title.text or "plotly figure"
    bundle = {PLOTLY_MIME: json.loads(figure.to_json()), "text/plain": f"Figure: {title}"}
    output.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def frame_html(
    frame: pl.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    limit: int = 200,
    width: int = 240,
    formats: Mapping[str, Callable[[Any], str]] | None = None,
) -> str:
    """A frame as an HTML table: every cell escaped and cut to ``width`` characters, at most ``limit`` rows.

    Floats show three decimals and instants ``YYYY-MM-DD HH:MM`` (as stored, UTC);
    ``formats`` overrides the text of chosen columns.

    Example:
        >>> text = frame_html(pl.DataFrame({"agent": ["<b>"], "similarity": [0.81234]}))
        >>> "<td style" in text and "&lt;b&gt;" in text and "0.812" in text
        True
    """
    shown = list(columns) if columns is not None else frame.columns
    custom = dict(formats or {})
    head = "".join(f'<th style="{_CELL_STYLE}">{html.escape(name)}</th>' for name in shown)
    rows = []
    for record in frame.head(limit).select(shown).iter_rows(named=True):
        cells = []
        for name in shown:
            text = custom[name](record[name]) if name in custom else _cell(record[name])
            if len(text) > width:
                text = text[: width - 1] + "…"
            cells.append(f'<td style="{_CELL_STYLE}">{html.escape(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = f"<p>… {frame.height - limit} more rows</p>" if frame.height > limit else ""
    return (
        f'<table style="border-collapse:collapse;font-size:90%"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>{more}"
    )


def json_html(text: str | None) -> str:
    """JSON text pretty-printed in an escaped ``<pre>`` block (invalid JSON is shown as it is).

    Example:
        >>> print(json_html('{"a": "<x>"}'))
        <pre style="white-space:pre-wrap;margin:0">{
          &quot;a&quot;: &quot;&lt;x&gt;&quot;
        }</pre>
    """
    if text is None:
        body = ""
    else:
        try:
            body = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            body = text
    return f'<pre style="white-space:pre-wrap;margin:0">{html.escape(body)}</pre>'


def status_html(message: str, *, error: bool = False) -> str:
    """A one-line status message, escaped (red for an error).

    Example:
        >>> status_html("3 hits")
        '<span style="color:#555">3 hits</span>'
    """
    color = "#d62728" if error else "#555"
    return f'<span style="color:{color}">{html.escape(message)}</span>'
