"""The demo data looks like real activity: invariants, coherence and the visible patterns."""

from __future__ import annotations

import json
import string
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import duckdb
import polars as pl
import pytest

from agentlog.demo import AGENTS, PROJECTS, DemoData
from agentlog.demo.vocabulary import GENERAL_SLOTS, SLOT_KEYS, TOPICS

Frames = tuple[pl.DataFrame, pl.DataFrame]
EVENT_TYPES = {"task_created", "task_updated", "task_completed", "decision_made",
               "error_encountered", "pattern_identified", "context_shared"}


def _events_with_task_ids(events: pl.DataFrame) -> pl.DataFrame:
    return events.filter(pl.col("event_type").str.starts_with("task_")).with_columns(
        task_id=pl.col("event_data").str.json_path_match("$.task_id"))


def test_event_counts_per_session(frames: Frames) -> None:
    sessions, events = frames
    counts = sorted(events.group_by("session_id").len()["len"].to_list())
    assert len(counts) == sessions.height  # every session has events
    assert counts[0] >= 5
    assert counts[-1] <= 200
    assert 25 <= counts[len(counts) // 2] <= 60
    assert sum(10 <= c <= 60 for c in counts) >= 0.6 * len(counts)  # most sessions: 10-60 events
    assert sum(c > 100 for c in counts) > 0  # and a long tail


@pytest.mark.parametrize("name", ["demo", "small"])
def test_seq_is_gapless_and_in_timestamp_order(name: str, request: pytest.FixtureRequest) -> None:
    data: DemoData = request.getfixturevalue(name)
    events = pl.from_arrow(data.events)
    assert isinstance(events, pl.DataFrame)
    per_session = events.group_by("session_id").agg(
        n=pl.len(), lo=pl.col("seq").min(), hi=pl.col("seq").max(),
        unique=pl.col("seq").n_unique(),
        increasing=(pl.col("timestamp").sort_by("seq").diff().drop_nulls()
                    > timedelta(0)).all())
    assert (per_session["lo"] == 1).all()
    assert (per_session["hi"] == per_session["n"]).all()
    assert (per_session["unique"] == per_session["n"]).all()
    assert per_session["increasing"].all()
    # The table itself is grouped by session and sorted by seq within one.
    session_order = events["session_id"].unique(maintain_order=True).to_list()
    started = pl.from_arrow(data.sessions)
    assert isinstance(started, pl.DataFrame)
    assert session_order == started["id"].to_list()
    assert started["started_at"].is_sorted()


@pytest.mark.parametrize("name", ["demo", "small"])
def test_events_lie_within_their_session(name: str, request: pytest.FixtureRequest) -> None:
    data: DemoData = request.getfixturevalue(name)
    end = data.params.end
    sessions = pl.from_arrow(data.sessions)
    events = pl.from_arrow(data.events)
    assert isinstance(sessions, pl.DataFrame)
    assert isinstance(events, pl.DataFrame)
    joined = events.join(sessions.rename({"id": "session_id"}), on="session_id")
    assert joined.height == events.height
    assert (joined["timestamp"] >= joined["started_at"]).all()
    ended = joined.filter(pl.col("ended_at").is_not_null())
    assert (ended["timestamp"] <= ended["ended_at"]).all()
    assert (events["timestamp"] < end).all()
    assert (sessions["started_at"] >= end - timedelta(days=data.params.days)).all()
    assert (sessions["ended_at"].drop_nulls() <= end).all()
    assert (sessions["updated_at"] <= end).all()
    assert (sessions["updated_at"] >= sessions["ended_at"].fill_null(sessions["started_at"])).all()
    durations = (sessions["ended_at"] - sessions["started_at"]).drop_nulls()
    assert min(durations.to_list()) < timedelta(minutes=15)
    assert max(durations.to_list()) > timedelta(hours=3)


@pytest.mark.parametrize("name", ["demo", "small"])
def test_tasks_are_created_before_they_change(name: str, request: pytest.FixtureRequest) -> None:
    data: DemoData = request.getfixturevalue(name)
    events = pl.from_arrow(data.events)
    assert isinstance(events, pl.DataFrame)
    tasks = _events_with_task_ids(events).group_by("session_id", "task_id").agg(
        created=(pl.col("event_type") == "task_created").sum(),
        completed=(pl.col("event_type") == "task_completed").sum(),
        first_seq=pl.col("seq").min(),
        created_seq=pl.col("seq").filter(pl.col("event_type") == "task_created").min())
    assert (tasks["created"] == 1).all()  # each task created exactly once, in its session
    assert (tasks["completed"] <= 1).all()
    assert (tasks["created_seq"] == tasks["first_seq"]).all()
    assert tasks["task_id"].n_unique() == tasks.height  # task ids are never reused


def test_every_json_column_holds_a_compact_object(demo: DemoData) -> None:
    def reject(constant: str) -> Any:
        raise AssertionError(f"non-JSON constant {constant}")

    columns = [demo.sessions["metadata"], demo.sessions["state"],
               demo.events["event_data"], demo.events["metadata"]]
    for column in columns:
        for text in column.to_pylist():
            value = json.loads(text, parse_constant=reject)
            assert isinstance(value, dict)
            assert json.dumps(value, separators=(",", ":"), ensure_ascii=False) == text


def test_payloads_have_the_documented_shapes(frames: Frames) -> None:
    sessions, events = frames
    assert set(events["event_type"].unique()) == EVENT_TYPES
    agent_of = dict(zip(sessions["id"], sessions["agent"], strict=True))
    required = {
        "task_created": {"task_id", "title"}, "task_updated": {"task_id", "changes"},
        "task_completed": {"task_id", "outcome"}, "decision_made": {"decision", "rationale"},
        "error_encountered": {"error", "context", "error_type"},
        "pattern_identified": {"pattern", "instances"}, "context_shared": {"agent", "context"},
    }
    sample = events.gather_every(7)
    for session_id, kind, text in sample.select("session_id", "event_type", "event_data").rows():
        data = json.loads(text)
        assert required[kind] <= data.keys(), (kind, data)
        if kind == "task_updated":
            assert isinstance(data["changes"], dict)
            assert data["changes"]
        elif kind == "task_completed":
            assert data["outcome"] in {"success", "partial", "failed"}
        elif kind == "pattern_identified":
            assert data["instances"]
            assert all(isinstance(i, str) for i in data["instances"])
        elif kind == "context_shared":
            assert data["agent"] in {a.name for a in AGENTS} - {agent_of[session_id]}
            assert isinstance(data["context"], dict)
            assert data["context"]
        assert "{" not in json.dumps(list(data.values())[:1])[1:-1], data  # no unfilled template
    metadata = [json.loads(m) for m in sample["metadata"]]
    with_files = [m for m in metadata if "lines_changed" in m]
    assert len(with_files) > 0.05 * len(metadata)
    assert all({"file", "complexity"} <= m.keys() for m in with_files)


def test_active_sessions_are_recent_and_open(frames: Frames, demo: DemoData) -> None:
    sessions, _ = frames
    end = demo.params.end
    active = sessions.filter(pl.col("lifecycle") == "active")
    assert 3 <= active.height <= 40
    assert (active["started_at"] >= end - timedelta(days=2)).all()
    assert active["ended_at"].null_count() == active.height
    assert active["summary"].null_count() == active.height
    ended = sessions.filter(pl.col("lifecycle") != "active")
    assert ended["ended_at"].null_count() == 0
    assert set(ended["lifecycle"].unique()) == {"terminated", "archived"}
    archived = ended.filter(pl.col("lifecycle") == "archived")
    assert 0 < archived.height < 0.2 * sessions.height
    assert (archived["ended_at"] < end - timedelta(days=60)).all()
    assert ended["summary"].null_count() < 0.15 * ended.height


def test_summaries_are_varied_and_built_from_the_session(frames: Frames) -> None:
    sessions, events = frames
    summarised = sessions.filter(pl.col("summary").is_not_null())
    summaries = summarised["summary"].to_list()
    assert len(set(summaries)) >= 0.97 * len(summaries)
    assert all(len(s) >= 40 and "{" not in s for s in summaries)
    topics = {"migration": 100, "token": 40, "dark mode": 30, "latency": 30, "flaky": 30,
              "deploy": 30, "ingestion": 30, "search relevance": 15, "documentation": 15,
              "connection pool": 10}
    lowered = [s.lower() for s in summaries]
    for word, at_least in topics.items():
        assert sum(word in s for s in lowered) >= at_least, word

    decisions = events.filter(pl.col("event_type") == "decision_made").with_columns(
        decision=pl.col("event_data").str.json_path_match("$.decision"))
    made = decisions.group_by("session_id").agg(pl.col("decision").unique())
    made_by = dict(zip(made["session_id"], made["decision"], strict=True))
    for session_id, text in summarised.select("id", "metadata").rows():
        meta = json.loads(text)
        for key in ("key_events", "decisions", "outcomes", "next_steps"):
            assert isinstance(meta[key], list)
            assert all(isinstance(v, str) for v in meta[key])
        assert set(meta["decisions"]) <= set(made_by.get(session_id, []))
    unsummarised = sessions.filter(pl.col("summary").is_null())["metadata"]
    assert not any("key_events" in json.loads(m) for m in unsummarised)


def test_projects_are_stable_and_named_in_metadata(frames: Frames) -> None:
    sessions, _ = frames
    ids = {p.id.bytes: p.name for p in PROJECTS}
    assert 6 <= len(ids) <= 10
    assert len(set(ids.values())) == len(ids)
    names = [json.loads(m).get("project") for m in sessions["metadata"]]
    for project_id, name in zip(sessions["project_id"], names, strict=True):
        assert (project_id is None and name is None) or ids[project_id] == name
    without = names.count(None) / len(names)
    assert 0.10 <= without <= 0.20
    assert set(names) - {None} == set(ids.values())


def test_previous_session_links_point_back_in_time(frames: Frames) -> None:
    sessions, _ = frames
    by_id = {str(uuid.UUID(bytes=i)): (a, e) for i, a, e in
             sessions.select("id", "agent", "ended_at").rows()}
    links = 0
    for agent, started, text in sessions.select("agent", "started_at", "metadata").rows():
        previous = json.loads(text).get("previous_session")
        if previous:
            links += 1
            assert by_id[previous][0] == agent
            assert by_id[previous][1] is not None
            assert by_id[previous][1] <= started
    assert links > 20


def test_bad_week_error_rate_is_several_times_the_baseline(demo: DemoData) -> None:
    lo, hi = demo.params.bad_week
    con = duckdb.connect()
    con.register("events", demo.events.select(["event_type", "event_data", "timestamp"]))
    rates = con.sql("""
        SELECT timestamp >= $lo AND timestamp < $hi AS bad,
               avg((event_type = 'error_encountered')::INT) AS rate
        FROM events GROUP BY ALL
    """, params={"lo": lo, "hi": hi}).fetchall()
    rate = dict(rates)
    assert 0.02 <= rate[False] <= 0.08
    assert rate[True] >= 3 * rate[False]
    # Mostly one recurring error: billing-service's connection pool running dry.
    top = con.sql("""
        SELECT json_extract_string(event_data, '$.error') AS error, count(*) AS n
        FROM events
        WHERE event_type = 'error_encountered' AND timestamp >= $lo AND timestamp < $hi
        GROUP BY ALL ORDER BY n DESC, error LIMIT 2
    """, params={"lo": lo, "hi": hi}).fetchall()
    assert "QueuePool limit" in top[0][0]
    assert top[0][1] >= 1.5 * top[1][1]
    incident_share = con.sql("""
        SELECT avg(regexp_matches(event_data, 'QueuePool|connection slots|pool exhausted')::INT)
        FROM events
        WHERE event_type = 'error_encountered' AND timestamp >= $lo AND timestamp < $hi
    """, params={"lo": lo, "hi": hi}).fetchall()[0][0]
    assert incident_share >= 0.45
    daily = con.sql("""
        SELECT date_trunc('day', timestamp) AS day,
               bool_and(timestamp >= $lo AND timestamp < $hi) AS bad,
               avg((event_type = 'error_encountered')::INT) AS rate, count(*) AS n
        FROM events GROUP BY day HAVING n >= 500
    """, params={"lo": lo, "hi": hi}).pl()
    inside, outside = daily.filter(pl.col("bad")), daily.filter(~pl.col("bad"))
    assert inside.height >= 4  # the bad week's weekdays
    assert min(inside["rate"].to_list()) > max(outside["rate"].to_list())


def test_working_hours_weekdays_and_growth(frames: Frames, demo: DemoData) -> None:
    sessions, _ = frames
    offsets = {a.name: a.utc_offset_hours for a in AGENTS}
    local = sessions.with_columns(
        local=pl.col("started_at") + pl.duration(hours=pl.col("agent").replace_strict(offsets)))
    hours = local["local"].dt.hour().to_list()
    weekdays = local["local"].dt.weekday().to_list()  # Monday is 1
    working = sum(8 <= h < 19 for h in hours) / len(hours)
    assert 0.75 <= working < 0.98  # most, not all: some start late at night
    assert sum(h >= 21 or h < 3 for h in hours) >= 20
    assert sum(d <= 5 for d in weekdays) / len(weekdays) > 0.85
    end = demo.params.end
    first = sessions.filter(pl.col("started_at") < end - timedelta(days=60)).height
    last = sessions.filter(pl.col("started_at") >= end - timedelta(days=30)).height
    assert last > 1.15 * first  # gentle growth


def test_agents_have_different_habits(frames: Frames) -> None:
    sessions, events = frames
    per_agent = events.join(sessions.select(session_id="id", agent="agent"), on="session_id") \
        .group_by("agent").agg(
            sessions=pl.col("session_id").n_unique(),
            median_events=pl.len() / pl.col("session_id").n_unique(),
            errors=(pl.col("event_type") == "error_encountered").mean())
    stats = {row["agent"]: row for row in per_agent.to_dicts()}
    assert set(stats) == {"claude", "gemini", "gpt", "user"}
    count = {a: stats[a]["sessions"] for a in stats}
    assert count["claude"] > max(count["gemini"], count["gpt"]) > count["user"] > 100
    assert stats["user"]["median_events"] > 1.4 * stats["claude"]["median_events"]
    errors = [stats[a]["errors"] for a in stats]
    assert max(errors) > 1.4 * min(errors)
    apps = Counter(zip(sessions["agent"], sessions["app_name"], strict=True))
    assert apps[("claude", "claude-code")] > apps[("claude", None)] > 0


def test_every_template_field_is_a_known_slot() -> None:
    known = set(SLOT_KEYS) | {k + "2" for k in SLOT_KEYS}
    known |= {"project", "n", "n2", "pct", "ms", "ms2", "version"}
    for topic in TOPICS.values():
        texts = [topic.phrase, *topic.tasks, *topic.summaries, *topic.outcomes,
                 *topic.next_steps]
        texts += [t for pair in topic.decisions for t in pair]
        texts += [t for e in topic.errors for t in (e.error, e.context, e.fix)]
        texts += [p for pattern, items in topic.patterns for p in (pattern, *items)]
        for text in texts:
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
            assert fields <= known, (topic.key, text)
    for slots in [*(p.slots for p in PROJECTS), GENERAL_SLOTS]:
        assert set(slots) == set(SLOT_KEYS)
        assert all(len(values) >= 2 for values in slots.values())
    for project in PROJECTS:
        assert set(project.topics) <= set(TOPICS)
