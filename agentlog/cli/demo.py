"""``agentlog demo`` (the README's first command) and ``agentlog demo-data``."""

from __future__ import annotations

import argparse
import math
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agentlog import analytics
from agentlog.cli.common import positive_int
from agentlog.cli.output import format_table
from agentlog.demo import DEFAULT_END, generate_demo_data, load_demo_data, read_sample, shift_demo_data
from agentlog.report import write_report
from agentlog.store import Store
from agentlog.wording import plural

__all__ = ["DEFAULT_REPORT", "MAX_DEMO_SESSIONS", "register", "run_demo", "run_demo_data"]

DEFAULT_REPORT = "agentlog-report.html"
"""Where ``agentlog demo`` writes the report unless ``--out`` says otherwise (in the current directory)."""

_DAYS = 30

MAX_DEMO_SESSIONS = 200_000
"""Most sessions ``demo-data`` generates (``--sessions`` times ``--scale``): about 10 million events, held in memory."""


def register(commands: Any) -> None:
    """Add ``demo`` and ``demo-data`` to the ``agentlog`` parser."""
    demo = commands.add_parser(
        "demo",
        help="load demo activity into a store, summarise it and write the HTML report",
        description="Build a store (a temporary one unless --store is given), load the demo sample (agentlog's "
        "committed demo dataset: four agents over 90 days, moved by whole weeks so that it ends in the last seven "
        "days and weekends stay weekends), print a per-agent summary of its last 30 days, and write the HTML "
        "activity report. A --store that already holds sessions is reported on as it is (the last 30 days).",
    )
    demo.add_argument(
        "--out", metavar="FILE", default=DEFAULT_REPORT, help=f"the report to write (default: ./{DEFAULT_REPORT})"
    )
    demo.set_defaults(handler=run_demo)

    data = commands.add_parser(
        "demo-data",
        help="load the deterministic demo dataset into the store",
        description="Generate the deterministic demo dataset (agentlog.demo) and load it into the store; loading "
        f"the same dataset twice adds nothing. By default the data keeps its fixed dates (90 days ending "
        f"{DEFAULT_END:%Y-%m-%d}), so every run and every notebook sees the same numbers; --recent moves it "
        "by whole weeks so that it ends in the last seven days (for 'last N days' reports; weekdays stay weekdays).",
    )
    data.add_argument(
        "--scale", type=_positive_float, default=1.0, help="multiply the number of sessions (10 = ~1M events)"
    )
    data.add_argument("--sessions", type=positive_int, default=2000, help="sessions before scaling (default 2000)")
    data.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    data.add_argument(
        "--recent", action="store_true", help="move the data by whole weeks so that it ends in the last seven days"
    )
    data.set_defaults(handler=run_demo_data, parser=data)


def _positive_float(text: str) -> float:
    """An ``argparse`` type: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a number above 0; got {text!r}")
    return value


def _open(path: str | Path | None) -> Store:
    # Analytics and bulk loads do not need the vector index: no embedder is loaded here. Rows loaded
    # now are indexed the next time the store is opened with one (they carry their change numbers).
    return Store(path, embedder=None)


def run_demo_data(args: argparse.Namespace) -> int:
    """Generate the demo dataset and load it into ``--store`` (or the default store).

    More than :data:`MAX_DEMO_SESSIONS` sessions (``--sessions`` times ``--scale``) is a usage error.
    """
    if args.sessions * args.scale > MAX_DEMO_SESSIONS:
        args.parser.error(
            f"--sessions {args.sessions} x --scale {args.scale:g} asks for more than {MAX_DEMO_SESSIONS:,} sessions"
        )
    data = generate_demo_data(sessions=args.sessions, seed=args.seed, scale=args.scale)
    if args.recent:
        data = shift_demo_data(data)
    with _open(args.store) as store:
        result = load_demo_data(store, data)
        where = store.path
    start, end = data.params.start, data.params.end
    print(
        f"loaded {result.sessions_inserted:,} sessions and {result.events_inserted:,} events into {where}"
        + (
            f" ({result.sessions_skipped:,} sessions and {result.events_skipped:,} events were already there)"
            if result.sessions_skipped or result.events_skipped
            else ""
        )
    )
    print(f"the data covers {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC")
    if not args.recent:
        print(f"for a report on it: agentlog report --until {end:%Y-%m-%d} (or load it with --recent)")
    return 0


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo on ``--store`` or on a temporary store."""
    out = Path(args.out)
    if args.store:
        with _open(args.store) as store:
            _demo(store, out)
        print(f"store: {store.path}")
        return 0
    with tempfile.TemporaryDirectory(prefix="agentlog-demo-") as directory, _open(directory) as store:
        _demo(store, out)
        print(f"store: {store.path} (temporary, deleted now; pass --store PATH to keep it)")
    return 0


def _demo(store: Store, out: Path) -> None:
    stored = store.sql("SELECT count(*) FROM sessions").fetchall()[0][0]
    if stored:
        print(f"the store already holds {stored:,} sessions: reporting on them (no demo data loaded)\n")
        until = datetime.now(UTC)
    else:
        # The committed sample (the same data as the notebooks'), moved by whole weeks to end in the last seven
        # days. Windows end where the data ends, so the last 7 and 30 days are full whatever today's weekday.
        data = shift_demo_data(read_sample())
        result = load_demo_data(store, data)
        until = data.params.end
        weeks = (until - DEFAULT_END).days // 7
        print(
            f"loaded {result.sessions_inserted:,} sessions and {result.events_inserted:,} events of demo activity "
            f"({', '.join(sorted(set(data.sessions['agent'].to_pylist())))}) over the 90 days up to "
            f"{until:%a %Y-%m-%d %H:%M} UTC\n(agentlog's demo sample, moved by {weeks} weeks so that weekdays "
            "stay weekdays)\n"
        )
    table = analytics.agent_comparison(store, days=_DAYS, until=until)
    print(f"Last {_DAYS} days (to {until:%Y-%m-%d %H:%M} UTC), per agent:")
    print(
        format_table(
            ["agent", "sessions", "events", "error rate", "active hours", "most active day"],
            [
                [
                    row["agent"],
                    f"{row['sessions']:,}",
                    f"{row['events']:,}",
                    "-" if row["error_rate"] is None else f"{row['error_rate']:.1%}",
                    f"{row['active_minutes'] / 60:,.1f}",
                    "-"
                    if row["most_active_day"] is None
                    else f"{row['most_active_day']} ({plural(row['most_active_day_sessions'], 'session')})",
                ]
                for row in table.iter_rows(named=True)
            ],
        )
    )
    if "claude" in table["agent"].to_list():
        print("\nThe guide's Workflow 5, in one call (analytics.activity_report(store, 'claude', days=7)):")
        print(analytics.activity_report(store, "claude", days=7, until=until))
    written = write_report(store, out, days=_DAYS, until=until)
    print(f"\nreport: {written} ({written.stat().st_size / 1e6:.1f} MB, self-contained: open it in a browser)")
    print("notebooks: jupyter lab notebooks/")
