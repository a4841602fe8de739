"""Analytics benchmark: wall time of every analytics function on demo data.

For each scale (demo data ``scale=1`` ≈ 100k events and ``scale=10`` ≈ 1M events,
loaded once into a file store), runs each function several times and prints the
p50 and the fastest wall time in milliseconds, plus the load time. The window is
the last 30 days of the data (7 for the Workflow 5 report), as the report uses
them; ``--days 90`` covers everything. Target: the Workflow 5 activity report in
250 ms or less at 1M events. Figures are printed, never asserted.

Usage: ``python benchmarks/analytics.py [--scales 1 10] [--runs 7] [--days 30] [--report]``
(``--report`` also times ``agentlog.report.build_report``, the whole HTML report).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agentlog import Store
from agentlog import analytics as an
from agentlog.demo import generate_demo_data, load_demo_data


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    fn()  # warm-up (first query plans, caches)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, min(times) * 1000


def cases(store: Store, days: int, include_report: bool) -> list[tuple[str, Callable[[], Any]]]:
    end = store.sql("SELECT max(started_at) FROM sessions").fetchall()[0][0] + timedelta(minutes=1)
    window = {"until": end, "days": days}
    session = store.sql("SELECT session_id FROM events GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchall()[0][0]
    result: list[tuple[str, Callable[[], Any]]] = [
        ("activity_report (Workflow 5, 7 d)", lambda: an.activity_report(store, "claude", days=7, until=end)),
        ("activity (day)", lambda: an.activity(store, **window)),
        ("activity (week, Europe/Paris)", lambda: an.activity(store, freq="week", tz="Europe/Paris", **window)),
        ("events_by_type", lambda: an.events_by_type(store, **window)),
        ("hour_of_week", lambda: an.hour_of_week(store, **window)),
        ("most_active_day", lambda: an.most_active_day(store, **window)),
        ("agent_comparison", lambda: an.agent_comparison(store, **window)),
        ("errors_by_agent", lambda: an.errors_by_agent(store, **window)),
        ("error_rate_over_time (day)", lambda: an.error_rate_over_time(store, **window)),
        ("session_stats", lambda: an.session_stats(store, **window)),
        ("session_timeline (largest session)", lambda: an.session_timeline(store, session)),
        ("window_summary (7 d)", lambda: an.window_summary(store, until=end, days=7)),
    ]
    if include_report:
        from agentlog.report import build_report

        result.append(("build_report (whole HTML report)", lambda: build_report(store, days=days, until=end)))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 10])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    rows: dict[str, dict[float, tuple[float, float]]] = {}
    sizes = []
    for scale in args.scales:
        start = time.perf_counter()
        data = generate_demo_data(scale=scale)
        generated = time.perf_counter() - start
        with tempfile.TemporaryDirectory() as directory, Store(Path(directory) / "store", embedder=None) as store:
            start = time.perf_counter()
            load_demo_data(store, data)
            loaded = time.perf_counter() - start
            sizes.append((scale, data.sessions.num_rows, data.events.num_rows, generated, loaded))
            del data
            for name, fn in cases(store, args.days, args.report):
                rows.setdefault(name, {})[scale] = timed(fn, args.runs)
    print(f"analytics, {args.runs} runs each after a warm-up, window {args.days} days; ms")
    for scale, sessions, events, generated, loaded in sizes:
        print(
            f"  scale {scale:g}: {sessions:,} sessions, {events:,} events; generate {generated:.1f} s, "
            f"load_demo_data {loaded:.2f} s ({events / loaded:,.0f} events/s)"
        )
    header = f"{'function':40s}" + "".join(f"{f'scale {s:g} p50':>16s}{'min':>8s}" for s in args.scales)
    print(header)
    print("-" * len(header))
    for name, by_scale in rows.items():
        cells = "".join(f"{by_scale[s][0]:16.1f}{by_scale[s][1]:8.1f}" for s in args.scales)
        print(f"{name:40s}{cells}")


if __name__ == "__main__":
    main()
