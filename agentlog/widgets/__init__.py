"""Interactive explorers for Jupyter (ipywidgets 8): thin layers over the analytics frames and the figures.

=========================  ====================================================================
explorer                   what it shows
=========================  ====================================================================
:class:`SearchExplorer`    a query box over sessions, events, memories or documents (vector,
                           keyword or hybrid search, agent and date filters) and the hits with
                           their similarity, as a table
:class:`SessionReplay`     one session event by event (previous/next, a slider): the payload
                           and the session's timeline with the current event ringed
:class:`ActivityDashboard` activity, error rate and event types for a range of days and a
                           choice of agents
=========================  ====================================================================

Show one by leaving it as the last expression of a cell (``SearchExplorer(store)``). Every
control is a public attribute, and what the explorer shows is kept in plain attributes
(``results``, ``timeline``, ``frames``, ``figures``), so they can be driven and checked
from code as well. Figures are plotly figures rendered into ``ipywidgets.Output`` widgets
(JupyterLab draws them with the renderer plotly ships); no ``anywidget`` is needed.

Example:
    >>> from agentlog.demo import demo_store
    >>> from agentlog.widgets import SessionReplay
    >>> with demo_store(sessions=5, embedder=None) as store:
    ...     replay = SessionReplay(store)
    ...     replay.position.value = 3
    ...     replay.current["seq"]
    3
"""

from agentlog.widgets.activity_dashboard import ActivityDashboard
from agentlog.widgets.search_explorer import SearchExplorer
from agentlog.widgets.session_replay import SessionReplay

__all__ = ["ActivityDashboard", "SearchExplorer", "SessionReplay"]
