"""The LanceDB tables: ANN index only when it pays, filters before the limit, no row left behind."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from lancedb.index import IvfSq
from lancedb.query import AsyncVectorQuery

from agentlog.index import ann as ann_module
from agentlog.index import vectors as vectors_module
from agentlog.index.ann import NPROBES
from agentlog.index.tail_floors import TAIL_FLOORS_FILE
from agentlog.index.vectors import MAX_FRAGMENTS, VectorTables

DIM = 16


def event_table(start: int, count: int, event_type: str, text: str = "row {n}") -> pa.Table:
    """Rows ``start`` .. ``start + count - 1`` of the events table (``text`` formatted with the row number)."""
    return pa.table(
        {
            "id": [f"00000000-0000-4000-8000-{n:012d}" for n in range(start, start + count)],
            "index_lsn": pa.array(range(start + 1, start + count + 1), pa.int64()),
            "text": [text.format(n=n) for n in range(start, start + count)],
            "session_id": ["s"] * count,
            "agent": ["claude"] * count,
            "project_id": pa.nulls(count, pa.string()),
            "event_type": [event_type] * count,
            "timestamp_us": pa.array([0] * count, pa.int64()),
        }
    )


def rows(
    start: int, count: int, event_type: str, rng: np.random.Generator, centers: np.ndarray
) -> tuple[pa.Table, np.ndarray]:
    vectors = centers[rng.integers(0, len(centers), count)] + rng.normal(scale=0.1, size=(count, DIM))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    return event_table(start, count, event_type), vectors


def filled_tables(
    tmp_path: Path, seed: int, count: int, clusters: int = 20
) -> tuple[VectorTables, np.random.Generator, np.ndarray]:
    """Tables that build an ANN index from 1,000 rows, with ``count`` rows in ``events``; and the rng and centers."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(clusters, DIM))
    tables = VectorTables(tmp_path, DIM, ann_min_rows=1000)
    tables.add("events", *rows(0, count, "common", rng, centers))
    return tables, rng, centers


def recall(
    tables: VectorTables, ids: list[str], vectors: np.ndarray, query: np.ndarray, mask: np.ndarray, where: str | None
) -> float:
    candidates = np.flatnonzero(mask)
    exact = {ids[candidates[i]] for i in np.argsort(-(vectors[candidates] @ query))[:10]}
    found = set(tables.vector_search("events", query, where=where, limit=10).column("id").to_pylist())
    return len(exact & found) / 10


def test_ann_index_filters_and_late_rows(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    centers = rng.normal(size=(40, DIM))
    tables = VectorTables(tmp_path, DIM, ann_min_rows=1000)
    first, first_vectors = rows(0, 900, "common", rng, centers)
    tables.add("events", first, first_vectors)
    tables.maintain("events")
    assert not tables.has_ann_index("events")  # below the threshold: exact search
    second, second_vectors = rows(900, 1100, "common", rng, centers)
    tables.add("events", second, second_vectors)
    tables.maintain("events")
    assert tables.ann_partition_size("events") == int(np.sqrt(2000))
    late, late_vectors = rows(2000, 60, "late", rng, centers)
    tables.add("events", late, late_vectors)  # after the index was built: unindexed rows
    assert tables.unindexed_rows("events") == 60
    ids = first.column("id").to_pylist() + second.column("id").to_pylist() + late.column("id").to_pylist()
    vectors = np.vstack([first_vectors, second_vectors, late_vectors])
    types = np.array(["common"] * 2000 + ["late"] * 60)
    queries = rows(9000, 20, "q", rng, centers)[1]
    for query in queries:
        hits = tables.vector_search("events", query, where="event_type = 'late'", limit=10)
        assert hits.num_rows == 10 and all(
            i in set(late.column("id").to_pylist()) for i in hits.column("id").to_pylist()
        )
    unfiltered = np.mean([recall(tables, ids, vectors, q, np.ones(len(ids), bool), None) for q in queries])
    filtered = np.mean([recall(tables, ids, vectors, q, types == "late", "event_type = 'late'") for q in queries])
    assert unfiltered >= 0.9 and filtered >= 0.9
    # grown 4x past its partitions: the index is retrained with more
    more, more_vectors = rows(3000, 8000, "common", rng, centers)
    tables.add("events", more, more_vectors)
    tables.maintain("events")
    assert tables.ann_partition_size("events") == int(np.sqrt(tables.count("events")))


def compared_rows(tables: VectorTables, query: np.ndarray) -> float:
    """How many rows an unfiltered search compares with the query, from LanceDB's analysed plan."""
    plan = tables.table("events").search(query).metric("cosine").nprobes(NPROBES).limit(10).analyze_plan()
    value, unit = re.findall(r"index_comparisons=([\d.]+)( K)?", plan)[0]
    return float(value) * (1000 if unit else 1)


def test_compaction_keeps_partitions_near_their_target_size(tmp_path: Path) -> None:
    # LanceDB's optimize() splits and joins IVF partitions towards the index's target size; an
    # index built with a partition count instead had its partitions joined into one here, and
    # every search then compared every row.
    rng = np.random.default_rng(5)
    centers = rng.normal(size=(60, DIM))
    tables = VectorTables(tmp_path, DIM, ann_min_rows=1000)
    tables.add("events", *rows(0, 6000, "common", rng, centers))
    tables.maintain("events")
    assert tables.ann_partition_size("events") == int(np.sqrt(6000))
    for batch in range(MAX_FRAGMENTS + 1):  # small appends: enough fragments to compact
        tables.add("events", *rows(6000 + 20 * batch, 20, "common", rng, centers))
    tables.maintain("events")
    assert tables.table("events").stats()["fragment_stats"]["num_fragments"] <= 2  # compacted
    query = rows(9000, 1, "q", rng, centers)[1][0]
    assert compared_rows(tables, query) < 0.5 * tables.count("events")


def record_index_changes(table: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record ``create <column>`` and ``drop <name>`` for each index the table creates or drops, in order."""
    calls: list[str] = []
    create_index, drop_index = table.create_index, table.drop_index
    monkeypatch.setattr(
        table, "create_index", lambda column, **kw: calls.append(f"create {column}") or create_index(column, **kw)
    )
    monkeypatch.setattr(table, "drop_index", lambda name: calls.append(f"drop {name}") or drop_index(name))
    return calls


def test_an_index_built_with_a_partition_count_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tables, _, _ = filled_tables(tmp_path, 6, 2000)
    tables.table("events").create_index(
        "vector", config=IvfSq(distance_type="cosine", num_partitions=44), name="vector_ivfsq_p44"
    )
    assert tables.ann_partition_size("events") == 44  # still searched with it meanwhile
    table = tables.table("events")
    calls = record_index_changes(table, monkeypatch)
    tables.maintain("events")
    names = [index.name for index in table.list_indices() if index.columns == ["vector"]]
    assert names == ["vector_ivfsq_t44"]
    # the new index is built before the old one goes, so searches never lose their ANN index
    assert calls.index("create vector") < calls.index("drop vector_ivfsq_p44")


def test_a_rebuild_cut_short_is_finished(tmp_path: Path) -> None:
    # Crash (or a lost commit race) between creating the new index and dropping the old one:
    # LanceDB searches with the older, so the next maintenance must not keep both.
    tables, _, _ = filled_tables(tmp_path, 7, 2000)
    table = tables.table("events")
    table.create_index("vector", config=IvfSq(distance_type="cosine", num_partitions=2), name="vector_ivfsq_p2")
    table.create_index(
        "vector", config=IvfSq(distance_type="cosine", target_partition_size=44), name="vector_ivfsq_t44"
    )
    assert tables.ann_outdated("events") and tables.ann_partition_size("events") == 2  # what searches use
    tables.maintain("events")
    # the newer index was complete (creating an index commits it whole): it stays, without a third being trained
    assert [index.name for index in table.list_indices() if index.columns == ["vector"]] == ["vector_ivfsq_t44"]
    assert not tables.ann_outdated("events")


def test_searches_use_the_oldest_index_and_so_does_ann_partition_size(tmp_path: Path) -> None:
    # LanceDB lists indexes by name but searches with the oldest: during a rebuild from 99 to 198 rows per
    # partition, "vector_ivfsq_t198" is listed first. Taking its size would make filtered searches probe half
    # the partitions they need.
    tables, rng, centers = filled_tables(tmp_path, 10, 3000)
    table = tables.table("events")
    for size in (99, 198):
        table.create_index(
            "vector", config=IvfSq(distance_type="cosine", target_partition_size=size), name=f"vector_ivfsq_t{size}"
        )
    query = rows(9000, 1, "q", rng, centers)[1][0]
    plan = table.search(query).metric("cosine").nprobes(NPROBES).limit(10).analyze_plan()
    assert "name=vector_ivfsq_t99," in plan  # what LanceDB searches with
    assert tables.ann_partition_size("events") == 99
    tables.maintain("events")  # finishes the rebuild: the newer index stays
    assert [index.name for index in table.list_indices() if index.columns == ["vector"]] == ["vector_ivfsq_t198"]
    assert tables.ann_partition_size("events") == 198


def test_compactions_never_give_the_ann_index_more_than_max_segments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # LanceDB's optimize() adds the rows that came since the last compaction to the ANN index as one more
    # segment and never merges segments; every search ranks and probes each. Logging compacts after every
    # few small appends, so without a bound the segments (and the cost of a search) grew without end.
    # (A small tail is merged instead of compacted, see test_a_small_tail_is_merged_without_a_segment:
    # MAX_UNINDEXED = 0 makes every maintenance here compact.)
    monkeypatch.setattr(vectors_module, "MAX_FRAGMENTS", 3)
    monkeypatch.setattr(vectors_module, "MAX_UNINDEXED", 0)
    monkeypatch.setattr(ann_module, "MAX_INDEX_SEGMENTS", 4)
    tables, rng, centers = filled_tables(tmp_path, 9, 2000)
    tables.maintain("events")
    table = tables.table("events")
    calls = record_index_changes(table, monkeypatch)
    segments, start = [], 2000
    for _ in range(9):
        for _ in range(4):  # more appends than MAX_FRAGMENTS: the next maintenance compacts
            tables.add("events", *rows(start, 3, "late", rng, centers))
            start += 3
        tables.maintain("events")
        segments.append(tables.ann_segments("events"))
    assert max(segments) == 4  # the compactions added segments up to the bound
    full = segments.index(4)
    assert segments[full + 1] == 1  # then the one that would have added a fifth rebuilt the index in one
    # each rebuild created the new index before it dropped the old one: searches always had one
    assert re.fullmatch(r"(create vector;(drop vector_ivfsq_t\d+;)+)+", "".join(f"{call};" for call in calls))
    # the 108 rows that came in small appends are found through the rebuilt index as an exact search finds them
    everything = table.to_arrow()
    ids = everything.column("id").to_pylist()
    vectors = np.stack(everything.column("vector").to_numpy(zero_copy_only=False))
    late = np.array(everything.column("event_type").to_pylist()) == "late"
    queries = rows(9000, 10, "q", rng, centers)[1]
    assert np.mean([recall(tables, ids, vectors, q, late, "event_type = 'late'") for q in queries]) >= 0.9


def test_a_failing_rebuild_does_not_stop_compaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(vectors_module, "MAX_FRAGMENTS", 3)
    monkeypatch.setattr(vectors_module, "MAX_UNINDEXED", 0)
    monkeypatch.setattr(ann_module, "MAX_INDEX_SEGMENTS", 1)
    tables, rng, centers = filled_tables(tmp_path, 11, 2000)
    tables.maintain("events")
    for n in range(5):
        tables.add("events", *rows(2000 + 3 * n, 3, "late", rng, centers))

    table = tables.table("events")
    create_index = table.create_index

    def failing_vector_index(column: str, **kwargs: object) -> None:
        if column == "vector":
            raise RuntimeError("k-means ran out of memory")
        create_index(column, **kwargs)

    monkeypatch.setattr(table, "create_index", failing_vector_index)
    tables.maintain("events")  # a rebuild is due (one segment is the most) and fails: the table is compacted anyway
    assert tables.table("events").stats()["fragment_stats"]["num_fragments"] <= 2
    assert "rebuilding the ANN index of events failed" in caplog.text


def test_an_index_of_too_many_segments_is_outdated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a store whose index an earlier agentlog let compactions grow: the maintenance thread rebuilds it at start
    monkeypatch.setattr(vectors_module, "MAX_FRAGMENTS", 3)
    monkeypatch.setattr(vectors_module, "MAX_UNINDEXED", 0)
    tables, rng, centers = filled_tables(tmp_path, 12, 2000)
    tables.maintain("events")
    for round_ in range(3):
        for n in range(4):
            tables.add("events", *rows(2000 + 12 * round_ + 3 * n, 3, "late", rng, centers))
        tables.maintain("events")
    segments = tables.ann_segments("events")
    assert segments >= 3 and not tables.ann_outdated("events")  # the compactions added segments, within the bound
    monkeypatch.setattr(ann_module, "MAX_INDEX_SEGMENTS", segments - 1)
    assert tables.ann_outdated("events")
    tables.maintain("events")  # no compaction is due, the rebuild is
    assert tables.ann_segments("events") == 1 and not tables.ann_outdated("events")


def fragments(tables: VectorTables) -> int:
    return int(tables.table("events").stats()["fragment_stats"]["num_fragments"])


def spy(table: Any, method: str, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record the calls of ``table.<method>`` (their first argument, if any)."""
    calls: list[object] = []
    real = getattr(table, method)
    monkeypatch.setattr(table, method, lambda *a, **kw: calls.append(a[0] if a else None) or real(*a, **kw))
    return calls


def test_a_small_tail_is_merged_without_a_segment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Compacting adds the unindexed tail to the ANN index as a segment (and rewrites the last large fragment);
    # a tail small enough to scan is merged into one fragment instead, the indexes left as they are.
    monkeypatch.setattr(vectors_module, "MAX_FRAGMENTS", 3)
    tables, rng, centers = filled_tables(tmp_path, 21, 2000)
    tables.maintain("events")  # builds the ANN index over every row
    base = fragments(tables)
    table = tables.table("events")
    optimized, merged = spy(table, "optimize", monkeypatch), spy(table, "merge_insert", monkeypatch)
    late_rows, late_vectors = rows(2000, 15, "late", rng, centers)
    for start in range(0, 15, 3):
        tables.add("events", late_rows.slice(start, 3), late_vectors[start : start + 3])
    assert fragments(tables) == base + 5
    tables.maintain("events")
    assert (optimized, merged) == ([], ["id"])  # matched on id: LanceDB finds the rows with the id index
    assert any(index.columns == ["id"] and index.index_type == "BTree" for index in table.list_indices())
    assert fragments(tables) == base + 1 and tables.ann_segments("events") == 1
    assert tables.unindexed_rows("events") == 15  # still scanned by searches, as before the merge
    ids, _ = tables.vectors("events")
    assert len(ids) == len(set(ids)) == 2015
    for n, vector in enumerate(late_vectors):
        found = tables.vector_search("events", vector, where=None, limit=1).column("id").to_pylist()
        assert found == [late_rows.column("id")[n].as_py()]


def test_full_fragments_do_not_count_towards_compaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A table of 25M rows or more holds over MAX_FRAGMENTS full fragments however it is compacted: counting
    # them made every maintenance merge and then compact, adding a segment to the ANN index each time (and a
    # retrain of the whole index every MAX_INDEX_SEGMENTS maintenances). Here "full" is 2,000 rows, so that a
    # small table shows it; test_lance_fragments_hold_lance_fragment_rows checks the real size.
    monkeypatch.setattr(vectors_module, "MAX_FRAGMENTS", 3)
    monkeypatch.setattr(vectors_module, "TAIL_SHARE", 1)  # the fragments alone decide here, not the tail's size
    monkeypatch.setattr(vectors_module, "LANCE_FRAGMENT_ROWS", 2000)
    tables, rng, centers = filled_tables(tmp_path, 23, 2000)  # one full fragment
    tables.maintain("events")  # builds the ANN index over every row
    for start in range(2000, 10_000, 2000):
        tables.add("events", *rows(start, 2000, "late", rng, centers))  # four more
    table = tables.table("events")
    optimized, merged = spy(table, "optimize", monkeypatch), spy(table, "merge_insert", monkeypatch)
    before = fragments(tables)
    tables.maintain("events")
    assert (optimized, merged, fragments(tables)) == ([], [], before)  # nothing to merge: they are all full
    tables.add("events", *rows(10_000, 3, "late", rng, centers))
    tables.add("events", *rows(10_003, 3, "late", rng, centers))
    tables.maintain("events")  # two small fragments beside the full ones: still within MAX_FRAGMENTS
    assert (optimized, merged) == ([], [])
    monkeypatch.setattr(vectors_module, "LANCE_FRAGMENT_ROWS", 1024 * 1024)  # the same fragments, none of them full
    tables.maintain("events")
    assert len(merged) == 1 and fragments(tables) < before  # the rows above the first fragment merged, as before


def test_lance_fragments_hold_lance_fragment_rows(tmp_path: Path) -> None:
    # excess_fragments assumes LanceDB's fragment size: an append starts a new fragment after
    # LANCE_FRAGMENT_ROWS rows, and compaction merges small fragments into fragments of that size.
    import lancedb

    def narrow(start: int, count: int) -> pa.Table:
        return pa.table({"n": pa.array(np.arange(start, start + count, dtype=np.int32))})

    full = vectors_module.LANCE_FRAGMENT_ROWS
    table = lancedb.connect(str(tmp_path)).create_table("t", narrow(0, full + 10))
    stats = table.stats()["fragment_stats"]
    assert (stats["num_fragments"], stats["lengths"]["max"], stats["lengths"]["min"]) == (2, full, 10)
    for start in range(full + 10, full + 40, 10):
        table.add(narrow(start, 10))
    table.optimize()
    stats = table.stats()
    assert (stats["fragment_stats"]["num_fragments"], stats["fragment_stats"]["lengths"]["max"]) == (2, full)
    assert vectors_module.excess_fragments(stats) == 1  # the full one does not count; the merged small ones do


def test_the_next_process_merges_the_tail_the_last_one_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Short processes (one agent run, one import) each append a little: where the last compaction left the
    # tail is recorded, so the next process merges it rather than compacting (a new segment each time).
    monkeypatch.setattr(vectors_module, "MAX_FRAGMENTS", 3)
    tables, rng, centers = filled_tables(tmp_path, 25, 2000)
    tables.maintain("events")
    for process in range(3):
        reopened = VectorTables(tmp_path, DIM, ann_min_rows=1000)
        table = reopened.table("events")
        optimized, merged = spy(table, "optimize", monkeypatch), spy(table, "merge_insert", monkeypatch)
        for n in range(5):
            reopened.add("events", *rows(2000 + 5 * process + n, 1, "late", rng, centers))
        reopened.maintain("events")
        assert (optimized, len(merged)) == ([], 1)
        assert reopened.ann_segments("events") == 1 and reopened.unindexed_rows("events") == 5 * (process + 1)
    ids, _ = VectorTables(tmp_path, DIM).vectors("events")
    assert len(ids) == len(set(ids)) == 2015


def test_recovery_lowers_the_recorded_tail_floor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # After a crash the indexer deletes what it indexed past DuckDB's watermark and indexes it again: those
    # rows (at or below the old floor) must count as tail, or a merge would leave their fragments behind.
    monkeypatch.setattr(vectors_module, "MAX_FRAGMENTS", 3)
    tables, rng, centers = filled_tables(tmp_path, 26, 2000)
    tables.maintain("events")
    reopened = VectorTables(tmp_path, DIM, ann_min_rows=1000)
    reopened.delete_after(1990, "events")  # the last 10 rows were indexed past the watermark
    for n in range(10):
        reopened.add("events", *rows(1990 + n, 1, "again", rng, centers))
    reopened.maintain("events")
    assert fragments(reopened) <= 2
    assert VectorTables(tmp_path, DIM).count("events") == 2000


def test_a_tail_of_unknown_extent_or_too_large_is_compacted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectors_module, "MAX_FRAGMENTS", 3)
    monkeypatch.setattr(vectors_module, "MAX_UNINDEXED", 10)
    tables, rng, centers = filled_tables(tmp_path, 22, 2000)
    tables.maintain("events")
    # an index that an earlier agentlog built records no tail floor: where the tail starts is unknown
    (tmp_path / TAIL_FLOORS_FILE).unlink()
    reopened = VectorTables(tmp_path, DIM, ann_min_rows=1000)
    optimized = spy(reopened.table("events"), "optimize", monkeypatch)
    for n in range(5):
        reopened.add("events", *rows(2000 + n, 1, "late", rng, centers))
    reopened.maintain("events")
    assert len(optimized) == 1 and reopened.unindexed_rows("events") == 0
    for n in range(12):  # then a tail larger than MAX_UNINDEXED: compacted into the index again
        reopened.add("events", *rows(2005 + n, 1, "late", rng, centers))
    reopened.maintain("events")
    assert len(optimized) == 2 and reopened.unindexed_rows("events") == 0


def test_a_tail_over_a_twentieth_of_the_table_is_compacted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # searches scan the tail: past 5% of the rows it goes into the ANN index, however few rows that is
    monkeypatch.setattr(vectors_module, "MAX_FRAGMENTS", 3)
    tables, rng, centers = filled_tables(tmp_path, 24, 2000)
    tables.maintain("events")
    table = tables.table("events")
    optimized, merged = spy(table, "optimize", monkeypatch), spy(table, "merge_insert", monkeypatch)
    for n in range(5):
        tables.add("events", *rows(2000 + 10 * n, 10, "late", rng, centers))
    tables.maintain("events")  # 50 rows: merged
    assert (len(optimized), len(merged), tables.unindexed_rows("events")) == (0, 1, 50)
    for n in range(5, 11):
        tables.add("events", *rows(2000 + 10 * n, 10, "late", rng, centers))
    tables.maintain("events")  # 110 rows, more than 2,110 / 20: compacted
    assert (len(optimized), len(merged), tables.unindexed_rows("events")) == (1, 1, 0)


@pytest.mark.parametrize("handle", ["same", "second"])
def test_a_tail_merge_never_writes_back_a_row_deleted_or_replaced_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, handle: str
) -> None:
    # The indexer deletes (tombstones) and replaces (a re-summarised session) rows while maintenance runs:
    # between the merge reading the tail and committing, those rows must not return as they were. Through
    # the same handle, the indexer commits before the merge reads the table (matching on id without the
    # index_lsn condition would write the old version of the replaced row back); through a second handle,
    # the merge runs from the version it had and meets the indexer's commits only when it commits (LanceDB
    # redoes or drops it).
    monkeypatch.setattr(vectors_module, "MAX_FRAGMENTS", 3)
    tables, rng, centers = filled_tables(tmp_path, 23, 2000)
    tables.maintain("events")
    late_rows, late_vectors = rows(2000, 8, "late", rng, centers)
    for start in range(0, 8, 2):
        tables.add("events", late_rows.slice(start, 2), late_vectors[start : start + 2])
    deleted, replaced = late_rows.column("id")[1].as_py(), late_rows.column("id")[4].as_py()
    table = tables.table("events")
    merge_insert = table.merge_insert
    indexer = tables if handle == "same" else VectorTables(tmp_path, DIM, ann_min_rows=1000)
    calls = []

    def indexer_meanwhile(on: list[str]) -> Any:
        calls.append(on)
        indexer.delete_where("events", "id", [deleted, replaced])
        again = late_rows.slice(4, 1).set_column(1, "index_lsn", pa.array([9000], pa.int64()))
        indexer.add("events", again.set_column(2, "text", pa.array(["replaced"])), late_vectors[4:5])
        return merge_insert(on)

    monkeypatch.setattr(table, "merge_insert", indexer_meanwhile)
    tables.maintain("events")
    assert len(calls) == 1
    stored = indexer.table("events").search().where("event_type = 'late'").select(["id", "index_lsn", "text"])
    by_id = {row["id"]: row for row in stored.limit(None).to_arrow().to_pylist()}
    assert len(by_id) == 7 and deleted not in by_id
    assert (by_id[replaced]["index_lsn"], by_id[replaced]["text"]) == (9000, "replaced")
    ids, _ = VectorTables(tmp_path, DIM).vectors("events")
    assert len(ids) == len(set(ids)) == 2007


def test_a_large_limit_gets_as_many_hits_as_there_are_rows(tmp_path: Path) -> None:
    # a fixed probe count capped a search at the rows of the probed partitions (3,717 of 25,000 for limit 5,000)
    tables, rng, centers = filled_tables(tmp_path, 31, 3000)
    tables.add("events", *rows(3000, 1500, "rare", rng, centers))
    tables.maintain("events")
    assert tables.has_ann_index("events")
    query = rows(9000, 1, "q", rng, centers)[1][0]
    assert tables.vector_search("events", query, where=None, limit=4000).num_rows == 4000
    assert tables.vector_search("events", query, where="event_type = 'rare'", limit=1400).num_rows == 1400
    assert tables.vector_search("events", query, where=None, limit=10).num_rows == 10


def test_keyword_search_finds_words_of_up_to_128_characters(tmp_path: Path) -> None:
    from lancedb.index import FTS

    rng = np.random.default_rng(32)
    centers = rng.normal(size=(5, DIM))
    tables = VectorTables(tmp_path, DIM)
    sha = "9fceb02d0ae598e95dc970b74767f19372d61af8"  # a git commit: 40 characters
    long_name = "AbstractSingletonProxyFactoryBeanConfigurationException"
    table, vectors = rows(0, 20, "common", rng, centers)
    texts = [f"row {n}" for n in range(20)]
    texts[3], texts[7] = f"deployed {sha}", f"raised {long_name}"
    tables.add("events", table.set_column(2, "text", pa.array(texts)), vectors)
    # an index as an earlier agentlog built it (LanceDB drops words of 40 characters or more) is replaced
    tables.table("events").create_index("text", config=FTS(with_position=True), replace=True)
    assert tables.keyword_search("events", sha, where=None, limit=5).num_rows == 0
    tables.maintain("events")
    for word, row in ((sha, 3), (long_name, 7)):
        found = tables.keyword_search("events", word, where=None, limit=5).column("id").to_pylist()
        assert found == [table.column("id")[row].as_py()]
    assert sorted(i.columns for i in tables.table("events").list_indices()) == [["id"], ["text"]]  # one text index


def test_appends_and_deletes_stand_while_a_table_is_compacted(tmp_path: Path) -> None:
    """The maintenance thread compacts while the indexer appends and deletes (tombstones): none of theirs fails.

    A compaction may lose a commit race (the maintenance thread retries it); an append or delete that
    lost one would fail an indexing round, so they must not.
    """
    rng = np.random.default_rng(8)
    centers = rng.normal(size=(10, DIM))
    tables = VectorTables(tmp_path, DIM, ann_min_rows=10**9)
    stop = threading.Event()
    compactions: list[str] = []
    failures: list[str] = []

    def compact() -> None:
        while not stop.is_set():
            try:
                tables.table("events").optimize()
                compactions.append("done")
            except Exception as exc:
                compactions.append(f"{type(exc).__name__}: {exc}")
                if not vectors_module.lost_commit_race(exc):  # a lost race is retried by the maintenance thread
                    failures.append(compactions[-1])

    compactor = threading.Thread(target=compact)
    compactor.start()
    kept: set[str] = set()
    try:
        for batch in range(40):
            table, vectors = rows(20 * batch, 20, "common", rng, centers)
            tables.add("events", table, vectors)
            ids = table.column("id").to_pylist()
            tables.delete_where("events", "id", ids[::2])
            kept.update(ids[1::2])
    finally:
        stop.set()
        compactor.join(60)
    assert set(tables.vectors("events")[0]) == kept
    assert "done" in compactions, compactions[-3:]  # the compactions did run alongside
    assert failures == [], "a compaction failed for another reason than a lost commit race"


_DUPLICATES_INDEXED = """
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa

from agentlog.index.vectors import VectorTables  # before anything imports lancedb, as in an application

n, dim = 1200, 16
tables = VectorTables(Path(sys.argv[1]), dim, ann_min_rows=1000)
rows = pa.table({
    "id": [f"00000000-0000-4000-8000-{i:012d}" for i in range(n)],
    "index_lsn": pa.array(range(1, n + 1), pa.int64()),
    "text": ["row"] * n,
    "session_id": ["s"] * n,
    "agent": ["claude"] * n,
    "project_id": pa.nulls(n, pa.string()),
    "event_type": ["common"] * n,
    "timestamp_us": pa.array([0] * n, pa.int64()),
})
tables.add("events", rows, np.tile(np.eye(dim, dtype=np.float32)[:3], (n // 3, 1)))  # three distinct vectors
tables.maintain("events")
assert tables.has_ann_index("events")
"""


@pytest.mark.parametrize("user_level", [None, "warn"])
def test_lancedb_warnings_stay_quiet_unless_asked_for(tmp_path: Path, user_level: str | None) -> None:
    """k-means on duplicate vectors makes LanceDB warn from Rust; agentlog quiets it unless LANCEDB_LOG is set."""
    env = {k: v for k, v in os.environ.items() if k != "LANCEDB_LOG"}
    if user_level is not None:
        env["LANCEDB_LOG"] = user_level
    done = subprocess.run(
        [sys.executable, "-c", _DUPLICATES_INDEXED, str(tmp_path / "lance")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    warned = re.search(r"WARN\s+lance", done.stderr) is not None
    assert warned == (user_level == "warn"), done.stderr[-2000:]


def test_a_narrow_filter_is_searched_exactly_without_the_ann_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One session's events among many: an ANN search would probe every partition for them.
    tables, rng, centers = filled_tables(tmp_path, 13, 3000)
    tables.add("events", *rows(3000, 40, "narrow", rng, centers))
    tables.maintain("events")
    assert tables.has_ann_index("events")
    exact_searches: list[int] = []
    bypass = AsyncVectorQuery.bypass_vector_index
    monkeypatch.setattr(
        AsyncVectorQuery, "bypass_vector_index", lambda query: exact_searches.append(1) or bypass(query)
    )
    everything = tables.table("events").to_arrow()
    ids = everything.column("id").to_pylist()
    vectors = np.stack(everything.column("vector").to_numpy(zero_copy_only=False))
    narrow = np.array(everything.column("event_type").to_pylist()) == "narrow"
    queries = rows(9000, 10, "q", rng, centers)[1]
    assert [recall(tables, ids, vectors, q, narrow, "event_type = 'narrow'") for q in queries] == [1.0] * 10
    assert len(exact_searches) == 10
    tables.vector_search("events", queries[0], where=None, limit=10)
    assert len(exact_searches) == 10  # no filter: the ANN index
    monkeypatch.setattr(ann_module, "EXACT_FILTERED_ROWS", 39)
    # 40 rows pass: above the bound, but an ANN search would have to probe every partition to see them
    tables.vector_search("events", queries[0], where="event_type = 'narrow'", limit=10)
    assert len(exact_searches) == 11


def test_a_filter_is_counted_once_per_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Counting the rows a filter passes sets a filtered search's probes (and whether it is exact); it costs
    # 1.5-2 ms at 1M rows, so the count is reused until the table is written to, and counted again after.
    from lancedb.table import AsyncTable

    monkeypatch.setattr(ann_module, "FILTERED_CANDIDATES", 100)  # a small table: the ANN index pays for 100
    tables, rng, centers = filled_tables(tmp_path, 17, 3000)
    tables.add("events", *rows(3000, 40, "narrow", rng, centers))
    tables.maintain("events")
    assert tables.has_ann_index("events")
    counted: list[str | None] = []
    count_rows = AsyncTable.count_rows
    monkeypatch.setattr(
        AsyncTable, "count_rows", lambda table, where=None: counted.append(where) or count_rows(table, where)
    )
    exact_searches: list[int] = []
    bypass = AsyncVectorQuery.bypass_vector_index
    monkeypatch.setattr(
        AsyncVectorQuery, "bypass_vector_index", lambda query: exact_searches.append(1) or bypass(query)
    )
    query = rows(9000, 1, "q", rng, centers)[1][0]
    narrow = "event_type = 'narrow'"
    for _ in range(3):
        assert tables.vector_search("events", query, where=narrow, limit=5).num_rows == 5
    assert counted.count(narrow) == 1 and len(exact_searches) == 3  # counted once; 40 rows pass: exact
    tables.vector_search("events", query, where="event_type = 'common'", limit=5)
    assert counted.count("event_type = 'common'") == 1  # each filter has its own count
    tables.add("events", *rows(3040, 1500, "narrow", rng, centers))
    found = tables.vector_search("events", query, where=narrow, limit=5)
    assert counted.count(narrow) == 2  # counted again after the append
    assert len(exact_searches) == 3  # 1,540 rows pass now: the ANN index (a stale count would have been exact)
    assert found.num_rows == 5


def test_searches_see_every_write_made_before_them(tmp_path: Path) -> None:
    # Searches run on handles of LanceDB's async API, separate from the handles that write: each search must
    # still see the appends, deletes, merges and index builds that came before it.
    tables, rng, centers = filled_tables(tmp_path, 33, 900)
    late_rows, late_vectors = rows(900, 200, "late", rng, centers)

    def nearest(n: int) -> str:
        return str(tables.vector_search("events", late_vectors[n], where=None, limit=1).column("id")[0])

    assert nearest(0) != late_rows.column("id")[0].as_py()  # the handle opens before the late rows come
    tables.add("events", late_rows.slice(0, 100), late_vectors[:100])
    assert nearest(0) == late_rows.column("id")[0].as_py()
    tables.delete_where("events", "id", [late_rows.column("id")[0].as_py()])
    assert nearest(0) != late_rows.column("id")[0].as_py()
    tables.add("events", late_rows.slice(100, 100), late_vectors[100:])
    tables.maintain("events")  # 1,100 rows: the ANN index is built
    assert tables.has_ann_index("events")
    assert nearest(150) == late_rows.column("id")[150].as_py()
    filtered = tables.vector_search("events", late_vectors[150], where="event_type = 'late'", limit=500)
    assert filtered.num_rows == 199


_SEARCHES_BESIDE_SYNC_CALLS = """
import sys, threading
from pathlib import Path
import numpy as np
from agentlog.index.vectors import VectorTables

tables = VectorTables(Path(sys.argv[1]), dimension=4)
tables.table("events")
stop = threading.Event()
done = []

def searcher():
    while not stop.is_set():
        tables.vector_search("events", np.ones(4, np.float32), where=None, limit=3)
        done.append(1)

threads = [threading.Thread(target=searcher, daemon=True) for _ in range(4)]
for thread in threads:
    thread.start()
while len(done) < 20:
    pass
for name in ("sessions", "memories", "document_chunks"):
    tables.table(name)  # the sync API, under the object's lock
tables.drop_all()
tables.table("events")
stop.set()
for thread in threads:
    thread.join()
print("searches", len(done))
"""


def test_searches_beside_sync_calls_never_deadlock_lancedb_s_loop(tmp_path: Path) -> None:
    # Searches run on LanceDB's one event-loop thread, which the sync API (table creation, drop_all) also
    # needs while holding the object's lock: a search that took that lock on the loop hung both (2 of 3 runs).
    done = subprocess.run(
        [sys.executable, "-c", _SEARCHES_BESIDE_SYNC_CALLS, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) >= 20


def test_fragments_an_index_build_leaves_below_the_tail_are_compacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A build takes every row into the index and records the floor, but does not compact: merging only the
    # rows above the floor then left the fragments below it, and every maintenance merged again.
    monkeypatch.setattr(vectors_module, "MAX_FRAGMENTS", 6)
    rng = np.random.default_rng(41)
    centers = rng.normal(size=(10, DIM))
    tables = VectorTables(tmp_path, DIM, ann_min_rows=1000)
    for n in range(6):
        tables.add("events", *rows(200 * n, 200, "common", rng, centers))
    tables.maintain("events")  # the first build, over six fragments (not more than the bound: no compaction)
    assert tables.has_ann_index("events") and fragments(tables) == 6
    for n in range(7):
        tables.add("events", *rows(1200 + n, 1, "late", rng, centers))
    tables.maintain("events")
    assert fragments(tables) <= 2
    ids, _ = tables.vectors("events")
    assert len(ids) == len(set(ids)) == 1207


def test_a_rebuild_does_not_merge_rows_out_of_its_new_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # One maintenance that rebuilds the index (outgrown) while a tail was mergeable used to merge above the
    # old floor afterwards: rows the new index had just taken in became unindexed, below the new floor.
    monkeypatch.setattr(vectors_module, "MAX_FRAGMENTS", 6)
    rng = np.random.default_rng(42)
    centers = rng.normal(size=(10, DIM))
    tables = VectorTables(tmp_path, DIM, ann_min_rows=400)
    tables.add("events", *rows(0, 400, "common", rng, centers))
    tables.maintain("events")  # built with partitions of 20 rows: outgrown past 1,600 rows
    tables.add("events", *rows(400, 1150, "common", rng, centers))
    tables.maintain("events")
    for n in range(8):
        tables.add("events", *rows(1550 + 8 * n, 8, "late", rng, centers))
    merged = spy(tables.table("events"), "merge_insert", monkeypatch)
    tables.maintain("events")  # 1,614 rows: a rebuild
    assert tables.ann_partition_size("events") == 40 and merged == []
    assert tables.unindexed_rows("events") == 0


@pytest.mark.parametrize("recorded", [2**64, 10**6, -1, "12", None])
def test_a_recorded_floor_that_cannot_be_right_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recorded: object
) -> None:
    monkeypatch.setattr(vectors_module, "MAX_FRAGMENTS", 6)
    tables, rng, centers = filled_tables(tmp_path, 43, 1000)
    tables.maintain("events")
    (tmp_path / TAIL_FLOORS_FILE).write_text(f'{{"events": {json.dumps(recorded)}}}')
    reopened = VectorTables(tmp_path, DIM, ann_min_rows=1000)
    for n in range(8):
        reopened.add("events", *rows(1000 + n, 1, "late", rng, centers))
    reopened.maintain("events")  # the tail's start is unknown: compacted (a floor above every row merged nothing)
    assert fragments(reopened) <= 2 and reopened.unindexed_rows("events") == 0


def test_vectors_reads_only_the_rows_a_filter_and_ids_keep(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    centers = rng.normal(size=(4, DIM))
    tables = VectorTables(tmp_path, DIM)
    first, first_vectors = rows(0, 6, "common", rng, centers)
    second, second_vectors = rows(6, 4, "rare", rng, centers)
    tables.add("events", first, first_vectors)
    tables.add("events", second, second_vectors)
    ids, matrix = tables.vectors("events", where="event_type = 'rare'")
    assert ids == second.column("id").to_pylist()
    assert np.allclose(matrix, second_vectors)
    wanted = [first.column("id")[1].as_py(), second.column("id")[2].as_py()]
    both, _ = tables.vectors("events", wanted, where="event_type = 'rare'")
    assert both == [wanted[1]]  # the ids and the filter both apply
    assert tables.vectors("events", [], where="event_type = 'rare'")[0] == []
    either = "event_type = 'common' OR event_type = 'rare'"
    assert len(tables.vectors("events", where=either)[0]) == 10
    assert tables.vectors("events", wanted[:1], where=either)[0] == wanted[:1]  # the condition is kept whole
