"""What every figure shares: input checks, agent colours, layout, time conversion."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import plotly.graph_objects as go
import polars as pl

from agentlog.errors import ValidationError

__all__ = [
    "AGENT_COLORS",
    "agent_colors",
    "base_figure",
    "category_ticks",
    "empty_note",
    "hover_text",
    "naive_utc",
    "require",
    "trace_name",
]

AGENT_COLORS = {"claude": "#d97757", "gemini": "#4285f4", "gpt": "#10a37f", "user": "#7f7f7f"}
"""Fixed colours of the documented agents; other agents take :data:`_PALETTE` colours in name order."""

_PALETTE = ("#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728")

ERROR_COLOR = "#d62728"
"""Colour of errors in every figure."""


def require(frame: Any, columns: Iterable[str], producer: str) -> pl.DataFrame:
    """Check that ``frame`` is a Polars frame with ``columns`` (as made by ``producer``).

    Raises:
        ValidationError: Naming the missing columns and the analytics function that makes the frame.

    Example:
        >>> require(pl.DataFrame({"agent": ["claude"]}), ["agent"], "activity").height
        1
    """
    if not isinstance(frame, pl.DataFrame):
        raise ValidationError(
            f"expected a polars DataFrame from agentlog.analytics.{producer}(), got {type(frame).__name__}",
            field="frame",
            value=type(frame).__name__,
        )
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise ValidationError(
            f"the frame lacks columns {missing}; pass what agentlog.analytics.{producer}() returns",
            field="frame",
            value=str(frame.columns),
        )
    return frame


def agent_colors(agents: Iterable[str]) -> dict[str, str]:
    """A colour per agent: fixed ones for the documented agents, a palette for the others.

    Example:
        >>> agent_colors(["claude", "zed"])
        {'claude': '#d97757', 'zed': '#9467bd'}
    """
    colors: dict[str, str] = {}
    others = 0
    for agent in sorted(set(agents)):
        if agent in AGENT_COLORS:
            colors[agent] = AGENT_COLORS[agent]
        else:
            colors[agent] = _PALETTE[others % len(_PALETTE)]
            others += 1
    return colors


def base_figure(title: str, x_title: str, y_title: str, *, height: int = 420) -> go.Figure:
    """An empty figure with agentlog's layout: title, axis titles, white template, legend on top.

    Example:
        >>> base_figure("Events per day", "Day", "Events").layout.title.text
        'Events per day'
    """
    figure = go.Figure()
    figure.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 20, "t": 70, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        hovermode="closest",
    )
    figure.update_xaxes(title_text=x_title)
    figure.update_yaxes(title_text=y_title)
    return figure


def empty_note(figure: go.Figure, text: str = "No data in this window") -> go.Figure:
    """Write ``text`` in the middle of a figure that has nothing to show.

    Example:
        >>> empty_note(go.Figure()).layout.annotations[0].text
        'No data in this window'
    """
    figure.add_annotation(text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5, font={"size": 16})
    return figure


def naive_utc(series: pl.Series) -> list[Any]:
    """Instants as naive UTC datetimes (what plotly.js draws as they are; axes say "UTC").

    Example:
        >>> from datetime import datetime, timezone
        >>> naive_utc(pl.Series([datetime(2026, 3, 2, 9, tzinfo=timezone.utc)]))
        [datetime.datetime(2026, 3, 2, 9, 0)]
    """
    if isinstance(series.dtype, pl.Datetime) and series.dtype.time_zone is not None:
        series = series.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    return series.to_list()


def hover_text(text: str | None, limit: int = 120) -> str:
    """User text for a hover label: cut to ``limit`` characters, HTML-escaped (plotly reads tags in labels).

    Example:
        >>> hover_text("<b>" + "a" * 10, 8)
        '&lt;b&gt;aaaa…'
    """
    if text is None:
        return ""
    cut = text if len(text) <= limit else text[: limit - 1] + "…"
    return html.escape(cut, quote=False)


def trace_name(text: object) -> str:
    """A user-given name (agent, project, event type) for a trace name or a hover template.

    HTML-escaped, as plotly reads tags in legends and labels, and with ``{`` as the character reference
    ``&#123;`` so that a ``%{...}`` in the name is not read as a template variable (plotly shows it as ``{``).

    Example:
        >>> trace_name("<b>%{customdata[0]}</b>")
        '&lt;b&gt;%&#123;customdata[0]}&lt;/b&gt;'
    """
    return html.escape(str(text), quote=False).replace("{", "&#123;")


def category_ticks(categories: Iterable[object]) -> dict[str, Any]:
    """Axis settings that label user-given categories (agents, event types) with their :func:`trace_name`.

    Plotly renders tick labels as a small HTML subset: a category named ``<b>x</b>`` or ``<a href=...>``
    would be drawn bold, or as a link. The categories stay as they are in the traces (so that more traces
    can be drawn on them); only the labels are escaped, through ``tickvals``/``ticktext``. When no
    category needs escaping, nothing is set and plotly labels the axis itself.

    Args:
        categories: The values of a category axis.

    Returns:
        Keyword arguments for ``figure.update_xaxes`` / ``update_yaxes`` (empty if no label changes).

    Example:
        >>> category_ticks(["claude", "<b>x</b>"])
        {'tickmode': 'array', 'tickvals': ['claude', '<b>x</b>'], 'ticktext': ['claude', '&lt;b&gt;x&lt;/b&gt;']}
        >>> category_ticks(["claude"])
        {}
    """
    values = list(dict.fromkeys(str(category) for category in categories))
    labels = [trace_name(value) for value in values]
    if labels == values:
        return {}
    return {"tickmode": "array", "tickvals": values, "ticktext": labels}
