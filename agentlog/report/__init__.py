"""The HTML activity report: one self-contained page of tables and plotly figures.

:func:`write_report` (``agentlog report --days 30 --out report.html``) writes a
single file that opens offline in any browser: plotly.js is embedded once,
there is no CDN link, and every value from the store is escaped. It shows, for
the last ``days`` days: a table per agent (sessions, events, error rate, active
hours, busiest day), events and active time per day, the error rate, an
hour-of-week heatmap, the event-type mix, session durations, a gantt of the
last week's sessions, the latest session's timeline and the newest sessions
with their summaries.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from agentlog import Store
    >>> from agentlog.demo import generate_demo_data, load_demo_data, shift_demo_data
    >>> with Store.memory(embedder=None) as store:
    ...     _ = load_demo_data(store, shift_demo_data(generate_demo_data(sessions=40)))
    ...     path = write_report(store, Path(tempfile.mkdtemp()) / "report.html", days=30)
    >>> path.read_text(encoding="utf-8").count('class="plotly-graph-div"')
    8
"""

from agentlog.report.builder import DEFAULT_TITLE, ReportContent, build_report, report_content, write_report

__all__ = ["DEFAULT_TITLE", "ReportContent", "build_report", "report_content", "write_report"]
