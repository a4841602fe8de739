"""``agentlog demo`` (the README's first command) and ``agentlog demo-data``."""

from __future__ import annotations

import argparse
import math
import shlex
import tempfile
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from agentlog import analytics
from agentlog.cli.arguments import check_out, positive_int, whole_number
from agentlog.cli.output import format_table, printable
from agentlog.demo import (
    DEFAULT_END,
    DEMO_STORE_SESSIONS,
    generate_demo_data,
    load_demo_data,
    read_sample,
    shift_demo_data,
)
from agentlog.demo.loader import stored_offset
from agentlog.report import write_report
from agentlog.store import Store
from agentlog.wording import plural

__all__ = ["DEFAULT_REPORT", "MAX_DEMO_SESSIONS", "register", "run_demo", "run_demo_data"]

DEFAULT_REPORT = "agentlog-report.html"
"""Where ``agentlog demo`` writes the report unless ``--out`` says otherwise (in the current directory)."""

_DAYS = 30
_SESSIONS = 2000  # --sessions: with --scale 10, about 1M events (the README says so)

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
        "activity report. A --store that already holds sessions is reported on as it is: the last 30 days up to "
        "now, or up to the end of its last day of activity if that was before today.",
    )
    demo.add_argument(
        "--out", metavar="FILE", default=DEFAULT_REPORT, help=f"the report to write (default: ./{DEFAULT_REPORT})"
    )
    demo.set_defaults(handler=run_demo)

    data = commands.add_parser(
        "demo-data",
        help="load the deterministic demo dataset into the store (use --store for a scratch one: it stays there)",
        description="Generate the deterministic demo dataset (agentlog.demo: the same options give the same "
        "sessions and events) and load it into the store; loading it twice adds nothing. By default it has "
        f"{_SESSIONS:,} sessions (about 100,000 events) with fixed dates (90 days ending {DEFAULT_END:%Y-%m-%d}); "
        f"--sessions {DEMO_STORE_SESSIONS} gives the notebooks' dataset (the demo sample). --recent moves the data "
        "by whole weeks so that it ends in the last seven days (for 'last N days' reports; weekdays stay "
        "weekdays). Rows already in the store keep their dates: to have the other dates, use a new --store. "
        "The demo rows stay in the store beside your own (without --store: the default store), so give a "
        "scratch --store unless you mean to mix them.",
    )
    data.add_argument(
        "--scale",
        type=_positive_float,
        default=1.0,
        help=f"multiply the number of sessions (10 = ~1M events with the default --sessions {_SESSIONS})",
    )
    data.add_argument(
        "--sessions",
        type=positive_int,
        default=_SESSIONS,
        help=f"sessions before scaling (default {_SESSIONS}; {DEMO_STORE_SESSIONS} = the notebooks' dataset)",
    )
    data.add_argument("--seed", type=_seed, default=0, help="random seed, 0 or more (default 0)")
    data.add_argument(
        "--recent", action="store_true", help="move the data by whole weeks so that it ends in the last seven days"
    )
    data.set_defaults(handler=run_demo_data, parser=data)


def _seed(text: str) -> int:
    """An ``argparse`` type: a whole number of at least 0 (the generator refuses a negative seed)."""
    return whole_number(text, minimum=0)


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
        offset = stored_offset(store, data) if result.sessions_skipped else timedelta(0)
        span = _span(store)
        where = printable(store.path)
    print(
        f"loaded {plural(result.sessions_inserted, 'session')} and {plural(result.events_inserted, 'event')} "
        f"into {where}"
        + (
            f" ({plural(result.sessions_skipped, 'session')} and {plural(result.events_skipped, 'event')} "
            "were already there)"
            if result.sessions_skipped or result.events_skipped
            else ""
        )
    )
    if offset:
        # An earlier load (with or without --recent, or --recent in another week) put these ids there first.
        direction = "earlier" if offset < timedelta(0) else "later"
        print(
            f"the store already had them, dated {_weeks(offset)} {direction}, and keeps those dates "
            "(loading never changes stored rows)"
        )
        wanted = (
            "that ends in the last seven days" if args.recent else f"with its fixed dates (to {DEFAULT_END:%Y-%m-%d})"
        )
        print(f"for the demo data {wanted}, use a new store: agentlog --store NEW_PATH {_command(args)}")
    assert span is not None  # the dataset is in the store now
    first, last, stored = span
    print(
        f"the store holds {plural(stored, 'session')}, active from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC"
    )
    until = _day_after(last)
    if until < datetime.now(UTC) - timedelta(days=_DAYS):
        where_flag = f"--store {printable(shlex.quote(str(args.store)))} " if args.store else ""
        print(
            f"for a report on it: agentlog {where_flag}report --until {until:%Y-%m-%d}"
            + ("" if args.recent or offset else " (or load it with --recent into a new store)")
        )
    return 0


def _span(store: Store) -> tuple[datetime, datetime, int] | None:
    """The first and the last instant of the store's activity (a session start or an event), and its sessions."""
    first, last, sessions = store.sql(
        "SELECT min(ts), max(ts), (SELECT count(*) FROM sessions) FROM ("
        "SELECT started_at AS ts FROM sessions UNION ALL SELECT timestamp FROM events)"
    ).fetchall()[0]
    if first is None:
        return None
    return first.astimezone(UTC), last.astimezone(UTC), sessions


def _day_after(instant: datetime) -> datetime:
    """Midnight UTC at the end of ``instant``'s day: where a window that takes in that whole day ends."""
    return datetime.combine(instant.astimezone(UTC).date() + timedelta(days=1), time(), tzinfo=UTC)


def _command(args: argparse.Namespace) -> str:
    """The ``demo-data`` command line of ``args`` (the options that differ from their defaults)."""
    words = ["demo-data"]
    if args.sessions != _SESSIONS:
        words.append(f"--sessions {args.sessions}")
    if args.scale != 1:
        words.append(f"--scale {args.scale:g}")
    if args.seed:
        words.append(f"--seed {args.seed}")
    if args.recent:
        words.append("--recent")
    return " ".join(words)


def _weeks(offset: timedelta) -> str:
    days = abs(offset).days
    return plural(days // 7, "week") if days % 7 == 0 else plural(days, "day")


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo on ``--store`` or on a temporary store.

    ``--out`` is checked first: an empty path, a directory, or a file in a folder that does not exist is a
    usage error (exit status 2) before any data is loaded.
    """
    out = check_out(args.out)
    if args.store:
        with _open(args.store) as store:
            _demo(store, out)
        print(f"store: {printable(store.path)}")
        return 0
    with tempfile.TemporaryDirectory(prefix="agentlog-demo-") as directory, _open(directory) as store:
        _demo(store, out)
        print(f"store: {printable(store.path)} (temporary, deleted now; pass --store PATH to keep it)")
    return 0


def _demo(store: Store, out: Path) -> None:
    span = _span(store)
    if span is not None:
        first, last, stored = span
        now = datetime.now(UTC)
        until = min(now, _day_after(last))  # like the dashboard's: the window ends with the data's last day
        print(
            f"the store already holds {plural(stored, 'session')}, from {first:%Y-%m-%d %H:%M} to "
            f"{last:%Y-%m-%d %H:%M} UTC: reporting on them (no demo data loaded)"
        )
        if until < now:
            print(f"its activity ends on {last:%Y-%m-%d}, so the window ends with that day, not now")
        print()
    else:
        # The committed sample (the same data as the notebooks'), moved by whole weeks to end in the last seven
        # days. Windows end where the data ends, so the last 7 and 30 days are full whatever today's weekday.
        data = shift_demo_data(read_sample())
        result = load_demo_data(store, data)
        until = data.params.end
        weeks = (until - DEFAULT_END).days // 7
        print(
            f"loaded {plural(result.sessions_inserted, 'session')} and {plural(result.events_inserted, 'event')} of "
            f"demo activity ({', '.join(sorted(set(data.sessions['agent'].to_pylist())))}) over the 90 days up to "
            f"{until:%a %Y-%m-%d %H:%M} UTC\n(agentlog's demo sample, moved by {plural(weeks, 'week')} so that "
            "weekdays stay weekdays)\n"
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
    size = written.stat().st_size / 1e6
    print(f"\nreport: {printable(written)} ({size:.1f} MB, self-contained: open it in a browser)")
    print("notebooks (in a checkout of agentlog): pip install jupyterlab && jupyter lab notebooks/")
