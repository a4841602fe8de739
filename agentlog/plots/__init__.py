"""Plotly figures of the analytics frames.

Each function takes the frame one function of :mod:`agentlog.analytics`
returns and gives back a :class:`plotly.graph_objects.Figure` with a title,
axis titles and hover labels; nothing is computed from the store here. Show
one in Jupyter by leaving it as the last expression of a cell, or
``figure.show()``; :mod:`agentlog.report` puts them in an HTML page.

=============================  ==============================================
figure                         frame
=============================  ==============================================
:func:`activity_figure`        :func:`~agentlog.analytics.activity`
:func:`hour_of_week_figure`    :func:`~agentlog.analytics.hour_of_week`
:func:`event_types_figure`     :func:`~agentlog.analytics.events_by_type`
:func:`error_rate_figure`      :func:`~agentlog.analytics.error_rate_over_time`
:func:`duration_figure`        :func:`~agentlog.analytics.session_stats`
:func:`sessions_gantt_figure`  :func:`~agentlog.analytics.session_stats`
:func:`session_timeline_figure` :func:`~agentlog.analytics.session_timeline`
:func:`embedding_map_figure`   :func:`~agentlog.analytics.session_embedding_map`
=============================  ==============================================

Times on axes are UTC; user text (agents, event types, summaries...) is HTML-escaped wherever plotly reads
markup: hover labels, legend names and axis tick labels.

Example:
    >>> from datetime import UTC, datetime
    >>> from agentlog import Store, analytics
    >>> from agentlog.demo import generate_demo_data, load_demo_data
    >>> with Store.memory(embedder=None) as store:
    ...     _ = load_demo_data(store, generate_demo_data(sessions=40))
    ...     figure = activity_figure(analytics.activity(store, until=datetime(2026, 3, 6, tzinfo=UTC)))
    >>> sorted(trace.name for trace in figure.data)
    ['claude', 'gemini', 'gpt', 'user']
"""

from agentlog.plots._style import AGENT_COLORS, agent_colors
from agentlog.plots.activity import activity_figure, error_rate_figure, event_types_figure, hour_of_week_figure
from agentlog.plots.embedding import embedding_map_figure
from agentlog.plots.sessions import duration_figure, session_timeline_figure, sessions_gantt_figure

__all__ = [
    "AGENT_COLORS",
    "activity_figure",
    "agent_colors",
    "duration_figure",
    "embedding_map_figure",
    "error_rate_figure",
    "event_types_figure",
    "hour_of_week_figure",
    "session_timeline_figure",
    "sessions_gantt_figure",
]
