"""SessionReplay: picking sessions, stepping through events, and what is shown for the current one."""

from __future__ import annotations

import json
import uuid

import pytest

from agentlog import NotFoundError, Store, ValidationError
from agentlog.widgets import SessionReplay
from agentlog.widgets._display import PLOTLY_MIME
from tests.analytics.builders import Ev, Sess, at, load


def newest_first(store: Store) -> list[str]:
    rows = store.sql("SELECT id::VARCHAR FROM sessions ORDER BY started_at DESC, id DESC").fetchall()
    return [row[0] for row in rows]


def shown_current(replay: SessionReplay) -> tuple[list[object], list[object]]:
    """The x and y of the ringed event in the figure the Output widget holds."""
    traces = replay.plot.outputs[0]["data"][PLOTLY_MIME]["data"]
    current = [trace for trace in traces if trace.get("name") == "current"]
    assert len(current) == 1
    return current[0]["x"], current[0]["y"]


def test_opens_the_newest_session_at_its_first_event(demo: Store) -> None:
    replay = SessionReplay(demo)

    assert replay.session.value == newest_first(demo)[0]
    assert len(replay.session.options) == 24
    assert replay.timeline["session_id"].unique().to_list() == [replay.session.value]
    assert (replay.position.value, replay.position.max) == (1, replay.timeline.height)
    first = replay.current
    assert first["seq"] == 1
    assert first["event_type"] in replay.payload.value
    assert f"event 1 of {replay.timeline.height}" in replay.status.value
    x, y = shown_current(replay)
    assert y == [first["event_type"]]
    assert x[0].startswith(first["timestamp"].strftime("%Y-%m-%dT%H:%M:%S"))


def test_next_previous_and_the_slider_move_the_current_event(demo: Store) -> None:
    replay = SessionReplay(demo)
    count = replay.timeline.height

    replay.next.click()
    replay.next.click()
    assert replay.current["seq"] == 3 and replay.position.value == 3
    assert shown_current(replay)[1] == [replay.timeline["event_type"][2]]
    payload = json.loads(replay.timeline["event_data"][2])
    assert all(str(key) in replay.payload.value for key in payload)

    replay.previous.click()
    assert replay.current["seq"] == 2

    replay.position.value = count
    assert replay.current["seq"] == count
    replay.next.click()  # at the end: stays
    assert replay.current["seq"] == count

    replay.position.value = 1
    replay.previous.click()  # at the start: stays
    assert replay.current["seq"] == 1


def test_choosing_another_session_loads_it_from_the_start(demo: Store) -> None:
    replay = SessionReplay(demo)
    replay.position.value = 4
    other = newest_first(demo)[5]

    replay.session.value = other

    assert replay.timeline["session_id"].unique().to_list() == [other]
    assert replay.position.value == 1 and replay.current["seq"] == 1
    assert replay.position.max == replay.timeline.height


def test_a_session_outside_the_recent_list_is_added(demo: Store) -> None:
    oldest = newest_first(demo)[-1]

    replay = SessionReplay(demo, uuid.UUID(oldest), sessions=3)

    assert replay.session.value == oldest
    assert replay.session.options[0][1] == oldest
    assert len(replay.session.options) == 4


def test_bad_sessions_are_rejected(demo: Store) -> None:
    with pytest.raises(NotFoundError):
        SessionReplay(demo, uuid.uuid4())
    with pytest.raises(ValidationError, match="session_id"):
        SessionReplay(demo, "not-a-uuid")
    with pytest.raises(ValidationError, match="sessions"):
        SessionReplay(demo, sessions=0)
    replay = SessionReplay(demo)
    with pytest.raises(NotFoundError):
        replay.load(uuid.uuid4())


def test_errors_and_events_without_time() -> None:
    with Store.memory(embedder=None) as store:
        load(
            store,
            [
                Sess(
                    "S",
                    "claude",
                    at(2, 9),
                    at(2, 10),
                    [
                        Ev("task_created", at(2, 9), data={"title": "Fix <b>it</b>"}),
                        Ev("error_encountered", at(2, 9, 5), data={"error": "TypeError"}),
                        Ev("decision_made", None),
                    ],
                )
            ],
        )
        replay = SessionReplay(store)
        assert "&lt;b&gt;it&lt;/b&gt;" in replay.payload.value and "<b>it</b>" not in replay.payload.value

        replay.next.click()
        assert "error 2 of 3" in replay.status.value and "#d62728" in replay.status.value

        replay.next.click()
        assert "no timestamp" in replay.status.value
        assert all(trace.name != "current" for trace in replay.figure.data)
        assert "event #3 has no timestamp" in [a.text for a in replay.figure.layout.annotations]


def test_an_empty_store() -> None:
    with Store.memory(embedder=None) as store:
        replay = SessionReplay(store)
        assert "no sessions yet" in replay.status.value
        assert replay.next.disabled and replay.position.disabled
        replay.next.click()  # nothing to do, no error
        with pytest.raises(ValidationError, match="no session"):
            _ = replay.current
