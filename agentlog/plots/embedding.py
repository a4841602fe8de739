"""The map of session embeddings: one point per session, coloured by agent or project, the summary on hover."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from agentlog.errors import ValidationError
from agentlog.plots._style import agent_colors, base_figure, empty_note, hover_text, require, trace_name

__all__ = ["NO_GROUP", "embedding_map_figure"]

NO_GROUP = "(none)"
"""The legend entry of sessions whose group (e.g. project) is null."""

_COLUMNS = ("group", "agent", "project")


def embedding_map_figure(frame: pl.DataFrame, *, color_by: str = "group") -> go.Figure:
    """Sessions as points on the 2-D map of their embeddings; similar sessions sit close together.

    Args:
        frame: What :func:`agentlog.analytics.session_embedding_map` returns.
        color_by: The column that colours the points (one trace, and legend
            entry, per value): ``"group"`` (what the frame was made with,
            the default), ``"agent"`` or ``"project"``.

    Returns:
        A figure with one ``scatter`` trace per value of ``color_by`` (named
        after it, :data:`NO_GROUP` for null), x/y from the frame; the hover shows
        the summary, agent, project, start and session id. The axes have no
        units: only distances between points mean something.

    Raises:
        ValidationError: If ``frame`` is not such a frame or ``color_by`` is unknown.

    Example:
        >>> from datetime import datetime, timezone
        >>> t = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
        >>> frame = pl.DataFrame({"session_id": ["a", "b", "c"], "x": [0.0, 0.1, 2.0], "y": [0.0, 0.2, 1.0],
        ...     "group": ["claude", "claude", "gpt"], "agent": ["claude", "claude", "gpt"],
        ...     "project": ["billing", None, "auth"], "summary": ["Fixed <b>", "Fixed it", "Set up CI"],
        ...     "started_at": [t, t, t]})
        >>> figure = embedding_map_figure(frame)
        >>> [(trace.name, list(trace.x)) for trace in figure.data]
        [('claude', [0.0, 0.1]), ('gpt', [2.0])]
        >>> figure.data[0].customdata[0][0]
        'Fixed &lt;b&gt;'
        >>> [trace.name for trace in embedding_map_figure(frame, color_by="project").data]
        ['(none)', 'auth', 'billing']
    """
    if color_by not in _COLUMNS:
        raise ValidationError(
            f"color_by must be one of {', '.join(repr(c) for c in _COLUMNS)}; got {color_by!r}",
            field="color_by",
            value=repr(color_by)[:80],
        )
    data = require(
        frame, ["session_id", "x", "y", "agent", "project", "summary", "started_at", color_by], "session_embedding_map"
    )
    figure = base_figure("Sessions by meaning", "", "", height=560)
    figure.update_xaxes(showticklabels=False, zeroline=False, showgrid=False)
    figure.update_yaxes(showticklabels=False, zeroline=False, showgrid=False, scaleanchor="x", scaleratio=1)
    if data.height == 0:
        return empty_note(figure, "No session has a vector yet (sessions without a summary are not embedded)")
    labelled = data.with_columns(pl.col(color_by).cast(pl.String).fill_null(NO_GROUP).alias("_label"))
    colors = agent_colors(labelled.get_column("_label"))
    for (label,), part in labelled.sort("_label", "started_at").group_by("_label", maintain_order=True):
        figure.add_trace(
            go.Scatter(
                x=part.get_column("x").to_list(),
                y=part.get_column("y").to_list(),
                name=trace_name(label),
                mode="markers",
                marker={
                    "color": colors[str(label)],
                    "size": 8,
                    "opacity": 0.8,
                    "line": {"width": 0.5, "color": "white"},
                },
                customdata=list(
                    zip(
                        [hover_text(s, 200) for s in part.get_column("summary").to_list()],
                        [hover_text(a) for a in part.get_column("agent").to_list()],
                        [hover_text(p) or NO_GROUP for p in part.get_column("project").to_list()],
                        [
                            f"{t:%Y-%m-%d %H:%M}" if t is not None else ""
                            for t in part.get_column("started_at").to_list()
                        ],
                        part.get_column("session_id").to_list(),
                        strict=True,
                    )
                ),
                hovertemplate=(
                    "%{customdata[0]}<br><b>%{customdata[1]}</b> · %{customdata[2]} · %{customdata[3]} UTC"
                    "<br><i>%{customdata[4]}</i><extra></extra>"
                ),
            )
        )
    title = "agent" if color_by == "agent" else "project" if color_by == "project" else None
    figure.update_layout(  # a legend on the right: projects can be many
        legend={"title": {"text": title}, "orientation": "v", "x": 1.02, "xanchor": "left", "y": 1.0, "yanchor": "top"},
        margin={"r": 180},
    )
    return figure
