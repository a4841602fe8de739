"""Import/export benchmark: agentlog's Parquet dataset against raw DuckDB, in one run.

Builds a file store from ``agentlog.demo.generate_demo_data(scale=10)`` (about
1M events, loaded with ``ImportRows``), then prints, for this machine:

(a) ``agentlog.io.export`` of the whole store: events/s (target >= 1M/s);
(b) for reference, the same events written by pyarrow's dataset writer
    (partitioned by date, zstd): why the export uses DuckDB's ``COPY``;
(c) ``agentlog.io.import_`` of that export into an empty store: events/s
    (everything included: manifest, schema and content checks, one write op);
(d) the baseline: raw DuckDB ``INSERT ... SELECT * FROM read_parquet(...)`` of the
    same files into identical tables (same migrations, a fresh database file,
    one transaction);

and the ratio (c)/(d) (target >= 70%); then the idempotent paths, where every
row is already stored:

(e) ``ImportRows`` of the same sessions and events again (the loader behind
    the demo data and log imports; the anti-join runs in DuckDB);
(f) ``agentlog.io.import_`` of the export again, into the store that has it.

Each step runs ``--repeat`` times and
the best run counts (the machine is shared; the others are printed too); the
CPU seconds used (all threads of this process) are printed as well, since on
a busy machine they say more than wall time.
Figures are printed, never asserted. Stores are opened without an embedder:
the benchmark measures I/O, not embedding.

Usage: ``python benchmarks/io.py [--scale 10] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agentlog import Store
from agentlog.demo import generate_demo_data
from agentlog.io import export, import_
from agentlog.services.import_ops import EVENT_ROWS, SESSION_ROWS, ImportRows, check_rows
from agentlog.store.migrations import apply_migrations

Run = tuple[float, float]
"""(wall seconds, CPU seconds of this process, all threads)."""


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Clock:
    """Wall and CPU time of a block."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.run: Run = (time.perf_counter() - self.wall, cpu() - self.cpu)


def timed(repeat: int, prepare: Callable[[int], None], run: Callable[[int], object]) -> list[Run]:
    """Times of each of ``repeat`` runs of ``run(i)``, after an untimed ``prepare(i)``."""
    runs = []
    for i in range(repeat):
        prepare(i)
        with Clock() as clock:
            run(i)
        runs.append(clock.run)
    return runs


def raw_insert(database: Path, dataset: Path) -> Run:
    """The baseline: DuckDB reads the Parquet files and inserts them into identical tables."""
    con = duckdb.connect(str(database))
    try:
        con.execute("SET TimeZone = 'UTC'")
        apply_migrations(con)
        sessions = [str(p) for p in sorted((dataset / "sessions").rglob("*.parquet"))]
        events = [str(p) for p in sorted((dataset / "events").rglob("*.parquet"))]
        with Clock() as clock:
            con.execute("BEGIN TRANSACTION")
            con.execute(
                "INSERT INTO sessions BY NAME SELECT *, 0 AS index_lsn FROM read_parquet(?, hive_partitioning=false)",
                [sessions],
            )
            con.execute(
                "INSERT INTO events BY NAME SELECT *, 0 AS index_lsn FROM read_parquet(?, hive_partitioning=false)",
                [events],
            )
            con.execute("COMMIT")
        return clock.run
    finally:
        con.close()


def restore(folder: Path, dataset: Path) -> Run:
    """agentlog's import into an empty store (opened before the clock starts)."""
    with Store(folder, embedder=None) as target, Clock() as clock:
        import_(target, dataset, progress=False)
    return clock.run


def write_again(store: Store, op: ImportRows, i: int) -> None:
    """Load rows that are all stored already (every one is skipped)."""
    store.write(op)


def pyarrow_write(store: Store, folder: Path) -> None:
    """Reference: the same events through pyarrow's partitioned dataset writer."""
    query = "SELECT * EXCLUDE (index_lsn), CAST(timezone('UTC', timestamp) AS DATE) AS date FROM events"
    table = store.sql(query).to_arrow_table()
    fmt = ds.ParquetFileFormat()
    ds.write_dataset(
        table,
        folder,
        format=fmt,
        file_options=fmt.make_write_options(compression="zstd"),
        partitioning=ds.partitioning(pa.schema([("date", pa.date32())]), flavor="hive"),
        existing_data_behavior="delete_matching",
    )


def line(label: str, runs: list[Run], events: int) -> str:
    wall, used = min(runs)
    walls = ", ".join(f"{w:.2f}" for w, _ in runs)
    return f"{label:<46} {wall:>7.2f} {used:>7.2f} {events / wall:>11,.0f}   ({walls})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=10.0, help="demo scale (10 = about 1M events)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step (best counts)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="agentlog-io-bench-"))
    try:
        started = time.perf_counter()
        demo = generate_demo_data(scale=args.scale)
        sessions = check_rows(demo.sessions, SESSION_ROWS, "sessions")
        events = check_rows(demo.events, EVENT_ROWS, "events")
        n_events, n_sessions = events.num_rows, sessions.num_rows
        with Store(work / "source", embedder=None) as store:
            store.write(ImportRows(sessions, events))
            took = time.perf_counter() - started
            print(f"built a store of {n_sessions:,} sessions and {n_events:,} events in {took:.1f} s")
            again_runs = timed(args.repeat, lambda i: None, partial(write_again, store, ImportRows(sessions, events)))
            del demo, sessions, events

            export_runs = timed(
                args.repeat,
                lambda i: shutil.rmtree(work / "export", ignore_errors=True),
                lambda i: export(store, work / "export"),
            )
            reference_runs = timed(
                args.repeat,
                lambda i: shutil.rmtree(work / "pyarrow", ignore_errors=True),
                lambda i: pyarrow_write(store, work / "pyarrow"),
            )
            reimport_runs = timed(
                args.repeat, lambda i: None, lambda i: import_(store, work / "export", progress=False)
            )
        size = sum(p.stat().st_size for p in (work / "export").rglob("*.parquet"))

        import_runs: list[Run] = []
        baseline: list[Run] = []
        for i in range(args.repeat):  # alternate, so both see the same machine load
            import_runs.append(restore(work / f"target{i}", work / "export"))
            shutil.rmtree(work / f"target{i}")
            (work / f"raw{i}").mkdir()
            baseline.append(raw_insert(work / f"raw{i}" / "raw.duckdb", work / "export"))
            shutil.rmtree(work / f"raw{i}")

        print(f"export: {size / 1e6:.1f} MB of zstd Parquet\n")
        print(f"{'step (best run)':<46} {'wall s':>7} {'cpu s':>7} {'events/s':>11}   (all runs, wall s)")
        print(line("(a) export (agentlog.io.export)", export_runs, n_events))
        print(line("(b) pyarrow write_dataset, reference", reference_runs, n_events))
        print(line("(c) import (agentlog.io.import_), empty store", import_runs, n_events))
        print(line("(d) raw DuckDB INSERT ... read_parquet", baseline, n_events))
        print(line("(e) ImportRows again, every row stored", again_runs, n_events))
        print(line("(f) import_ again, every row stored", reimport_runs, n_events))
        ratio = min(baseline)[0] / min(import_runs)[0]
        median = statistics.median(w for w, _ in baseline) / statistics.median(w for w, _ in import_runs)
        work_ratio = min(c for _, c in baseline) / min(c for _, c in import_runs)
        print(
            f"\n(c)/(d): {ratio:.0%} of raw DuckDB's speed (best runs; medians {median:.0%}; CPU work {work_ratio:.0%})"
        )
        print("         target >= 70%")
        print(f"(a): {n_events / min(export_runs)[0] / 1e6:.2f}M events/s; target >= 1M/s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
