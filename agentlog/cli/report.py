"""``agentlog report``: write the self-contained HTML activity report."""

from __future__ import annotations

import argparse
from typing import Any

from agentlog.cli.arguments import check_out, date_argument, days_argument, tz_argument
from agentlog.cli.output import printable
from agentlog.cli.stores import open_store
from agentlog.report import DEFAULT_TITLE, write_report

__all__ = ["DEFAULT_OUT", "register", "run_report"]

DEFAULT_OUT = "agentlog-report.html"
"""The file ``agentlog report`` writes unless ``--out`` is given (in the current directory)."""


def register(commands: Any) -> None:
    """Add ``report`` to the ``agentlog`` parser."""
    report = commands.add_parser(
        "report",
        help="write the HTML activity report (self-contained, opens offline)",
        description="Write one HTML file with tables and plotly figures of the store's activity over the last "
        "--days days: per-agent summary, activity and error rate per day, hour-of-week heatmap, event types, "
        "session durations and timelines. plotly.js is embedded: the file needs no network.",
    )
    report.add_argument("--days", type=days_argument, default=30, help="length of the window in days (default 30)")
    report.add_argument(
        "--until",
        type=date_argument("--until"),
        help="end of the window: ISO date/time (UTC if no offset), or 2d = 2 days ago; now by default",
    )
    report.add_argument(
        "--tz", type=tz_argument, default="UTC", help="time zone of days and hours, e.g. Europe/Paris (default UTC)"
    )
    report.add_argument(
        "--out", metavar="FILE", default=DEFAULT_OUT, help=f"the file to write (default: ./{DEFAULT_OUT})"
    )
    report.add_argument("--title", default=DEFAULT_TITLE, help="title of the page")
    report.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    """Write the report of ``--store`` (or the default store) to ``--out``.

    ``--out`` is checked first, then the store: a path that holds no store is an error (nothing is created).
    """
    until = args.until
    out = check_out(args.out)  # a bad --out is a usage error, found before anything is read
    # A read-only command: no embedder is loaded (and a store indexed with another one still opens).
    with open_store(args, embedder=None) as store:
        written = write_report(store, out, days=args.days, until=until, tz=args.tz, title=args.title)
    print(f"wrote {printable(written)} ({written.stat().st_size / 1e6:.1f} MB); open it in a browser, it works offline")
    return 0
