"""SearchExplorer: a search box over sessions, events, memories and documents, with the hits as a table."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import ipywidgets as widgets
import polars as pl

from agentlog.analytics import SEARCH_FILTERS, SEARCH_KINDS, search_frame
from agentlog.errors import AgentlogError, ValidationError
from agentlog.index.search import MODES
from agentlog.store import Store, require_open_store
from agentlog.validation import validate_limit
from agentlog.widgets._display import Explorer, frame_html, status_html
from agentlog.widgets._queries import agents
from agentlog.wording import plural

__all__ = ["ANY_AGENT", "RESULT_COLUMNS", "SearchExplorer"]

ANY_AGENT = ""
"""The agent dropdown's value for "any agent" (agent names are never empty)."""

RESULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "sessions": ("rank", "similarity", "agent", "started_at", "summary", "session_id"),
    "events": ("rank", "similarity", "agent", "event_type", "timestamp", "event_data", "session_id", "seq"),
    "memories": ("rank", "similarity", "namespace", "key", "value", "memory_type", "version"),
    "documents": ("rank", "similarity", "file_path", "title", "chunk_index", "chunk_text"),
}
"""The columns of the results table for each kind (``keyword_match`` is added in keyword and hybrid mode)."""


class SearchExplorer(Explorer):
    """Type a query, pick what to search and how, and see the hits with their similarity.

    A thin layer over :func:`agentlog.analytics.search_frame`: the query box
    (search on Enter, or with the button), the kind (sessions, events, memories,
    documents), the mode (vector, keyword, hybrid), a minimum similarity, and
    for sessions and events an agent and a start date (UTC). Changing any of
    them searches again. Show it by leaving it as the last expression of a cell.

    Args:
        store: The store to search (opened with an embedder).
        kind: The kind selected at first.
        mode: The mode selected at first.
        limit: Most hits shown (1-100,000).

    Raises:
        ValidationError: For a bad ``kind``, ``mode`` or ``limit``.

    Attributes:
        store: The store.
        results: The hits of the last search (a :func:`~agentlog.analytics.search_frame` frame).
        query, kind, mode, agent, since, threshold, button: The controls.
        status: One line: how many hits, or what went wrong.
        table: The hits as an HTML table.

    Example:
        >>> from agentlog.demo import demo_store
        >>> store = demo_store(sessions=20, embedder="fake")
        >>> explorer = SearchExplorer(store)
        >>> explorer.query.value = "flaky tests in CI"  # what typing + Enter does
        >>> explorer.results.height, "<table" in explorer.table.value
        (10, True)
        >>> explorer.kind.value = "events"
        >>> explorer.results.columns[5]
        'event_id'
        >>> store.close()
    """

    def __init__(self, store: Store, *, kind: str = "sessions", mode: str = "vector", limit: int = 10) -> None:
        self.store = require_open_store(store)
        if kind not in SEARCH_KINDS:
            raise ValidationError(f"kind must be one of {', '.join(SEARCH_KINDS)}; got {kind!r}", field="kind")
        if mode not in MODES:
            raise ValidationError(f"mode must be one of {', '.join(MODES)}; got {mode!r}", field="mode")
        self.limit = validate_limit(limit)
        self.results: pl.DataFrame = pl.DataFrame()
        self.query = widgets.Text(
            placeholder="what to look for (Enter to search)",
            continuous_update=False,
            layout=widgets.Layout(width="420px"),
        )
        self.button = widgets.Button(description="Search", icon="search")
        self.kind = widgets.Dropdown(options=list(SEARCH_KINDS), value=kind, description="search")
        self.mode = widgets.Dropdown(options=list(MODES), value=mode, description="mode")
        self.agent = widgets.Dropdown(options=self.agent_options(), value=ANY_AGENT, description="agent")
        self.since = widgets.DatePicker(description="since", value=None)
        self.threshold = widgets.FloatSlider(
            value=0.0,
            min=0.0,
            max=1.0,
            step=0.05,
            description="min similarity",
            readout_format=".2f",
            style={"description_width": "initial"},
        )
        self.status = widgets.HTML(status_html("Type a query and press Enter."))
        self.table = widgets.HTML()
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.query, self.button]),
                widgets.HBox([self.kind, self.mode, self.threshold]),
                widgets.HBox([self.agent, self.since]),
                self.status,
                self.table,
            ]
        )
        self.button.on_click(lambda _: self.refresh())
        self.kind.observe(lambda _: self._kind_changed(), names="value")
        for control in (self.query, self.mode, self.agent, self.since, self.threshold):
            control.observe(lambda _: self.refresh(), names="value")
        self._kind_changed()

    def agent_options(self) -> list[tuple[str, str]]:
        """The agent dropdown's choices: any agent (:data:`ANY_AGENT`), then each agent of the store.

        Example:
            ``explorer.agent.options = explorer.agent_options()`` after new agents appear.
        """
        return [("any", ANY_AGENT), *((name, name) for name in agents(self.store))]

    def filters(self) -> dict[str, Any]:
        """The search arguments the controls stand for (only the filters that apply to the kind).

        Example:
            ``explorer.filters()`` → ``{"kind": "sessions", "mode": "vector", "limit": 10, "threshold": None}``
        """
        kind = self.kind.value
        arguments: dict[str, Any] = {
            "kind": kind,
            "mode": self.mode.value,
            "limit": self.limit,
            "threshold": self.threshold.value or None,
        }
        applies = SEARCH_FILTERS[kind]
        if "agent" in applies and self.agent.value != ANY_AGENT:
            arguments["agent"] = self.agent.value
        if "since" in applies and isinstance(self.since.value, date):
            arguments["since"] = datetime.combine(self.since.value, time(), tzinfo=UTC)
        return arguments

    def search(self) -> pl.DataFrame:
        """Search with the controls' values, show the hits, and return them (errors propagate).

        Example:
            ``hits = explorer.search()``
        """
        arguments = self.filters()
        self.results = search_frame(self.store, self.query.value, **arguments)
        columns = list(RESULT_COLUMNS[arguments["kind"]])
        if arguments["mode"] != "vector":
            columns.insert(2, "keyword_match")
        self.table.value = frame_html(self.results, columns)
        count = self.results.height
        self.status.value = status_html(
            f"{plural(count, 'hit')} for {self.query.value!r} "
            f"({arguments['kind']}, {arguments['mode']})"
            + ("" if count else ": try another mode, a lower minimum similarity, or fewer filters")
        )
        return self.results

    def refresh(self) -> None:
        """Search again if there is a query; show an agentlog error in :attr:`status` instead of raising it.

        Example:
            ``explorer.refresh()``
        """
        if not self.query.value.strip():
            self.results = pl.DataFrame()
            self.table.value = ""
            self.status.value = status_html("Type a query and press Enter.")
            return
        try:
            self.search()
        except AgentlogError as error:
            self.results = pl.DataFrame()
            self.table.value = ""
            self.status.value = status_html(str(error), error=True)

    def _kind_changed(self) -> None:
        applies = SEARCH_FILTERS[self.kind.value]
        self.agent.disabled = "agent" not in applies
        self.since.disabled = "since" not in applies
        self.refresh()
