"""The report's content and file, on the hand-built store (known numbers) and on an empty one."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentlog import Store, ValidationError
from agentlog.report import build_report, report_content, write_report
from tests.analytics.builders import HAND_SESSIONS, UNTIL, Ev, Sess, at, load

HOSTILE = Sess(
    "X",
    "claude",
    at(8, 23, 40),
    at(8, 23, 50),
    [Ev("task_created", at(8, 23, 41), data={"title": "<img src=x onerror=alert(1)>"})],
    summary="</script><script>window.__pwned = 1</script>",
)


@pytest.fixture
def hand(store: Store) -> Store:
    """The hand-built week plus a hostile session, on both kinds of store."""
    load(store, [*HAND_SESSIONS, HOSTILE])
    return store


@pytest.fixture(scope="module")
def shared() -> Iterator[Store]:
    """The same data in one in-memory store for the whole module (for tests where the store kind does not matter)."""
    with Store.memory(embedder=None) as opened:
        load(opened, [*HAND_SESSIONS, HOSTILE])
        yield opened


@pytest.fixture(scope="module")
def text(shared: Store) -> str:
    return build_report(shared, days=7, until=UNTIL)


def figure_ids(text: str) -> list[str]:
    return re.findall(r'<div id="figure-([a-z-]+)" class="plotly-graph-div"', text)


def test_report_shows_the_known_numbers(hand: Store) -> None:
    text = build_report(hand, days=7, until=UNTIL)
    # claude: 4 sessions (with the hostile one), 10 events, 3 errors, 280 + 10 active minutes
    assert '<td>claude</td><td class="num">4</td><td class="num">10</td><td class="num">3</td>' in text
    assert '<td class="num">30.0%</td><td class="num">4.8</td>' in text
    assert "<td>2026-03-08 (2)</td>" in text  # S3 and X tie with S8 and S1 on 03-02: the latest day wins
    assert "<b>7</b>sessions" in text and "<b>16</b>events" in text
    assert "2026-03-02 00:00 to 2026-03-09 00:00 UTC (last 7 days)" in text
    assert figure_ids(text) == [
        "activity",
        "active-time",
        "error-rate",
        "hour-of-week",
        "event-types",
        "durations",
        "gantt",
        "latest-session",
    ]
    assert 'data-figures="8"' in text


def test_report_is_self_contained(text: str) -> None:
    scripts = re.findall(r"<script\b([^>]*)>", text)
    assert not [s for s in scripts if "src" in s], "no external script"
    assert not re.search(r"""<(script|link|img|iframe)[^>]+(src|href)=["']?https?:""", text)
    assert text.count("* plotly.js v") == 1  # the library, embedded once
    assert len(scripts) == 1 + 8  # plotly.js, then one small script per figure


def test_user_text_is_escaped(text: str) -> None:
    assert "window.__pwned" in text  # it is shown...
    assert "</script><script>window.__pwned" not in text  # ...but never as markup
    assert "&lt;/script&gt;&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in text  # the table cell
    assert "<img src=x" not in text


def test_an_empty_store_still_gives_a_report(store: Store) -> None:
    text = build_report(store, days=30)
    assert figure_ids(text) == [
        "activity",
        "active-time",
        "error-rate",
        "hour-of-week",
        "event-types",
        "durations",
        "gantt",
    ]
    assert "No activity in this window" in text and "<b>n/a</b>error rate" in text


def test_report_content_figures(shared: Store) -> None:
    content = report_content(shared, days=7, until=UNTIL)
    traces = {name: [t.name for t in figure.data] for name, figure in content.figures.items()}
    assert traces["activity"] == ["claude", "gemini", "user"]
    assert traces["error-rate"] == ["claude", "gemini", "user", "all agents"]
    assert traces["hour-of-week"] == [None]
    assert traces["durations"] == ["claude", "gemini", "user"]  # gemini's zero-length session is left out
    assert traces["latest-session"] == ["events"]  # the hostile session is the newest: one plain event
    assert content.recent.height == 7 and content.recent["summary"][0] == HOSTILE.summary


def test_write_report(shared: Store, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old", encoding="utf-8")
    written = write_report(shared, str(target), days=7, until=UNTIL)
    assert written == target.resolve() and written.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    umask = os.umask(0o022)
    os.umask(umask)
    assert written.stat().st_mode & 0o777 == 0o666 & ~umask  # an ordinary file, not mkstemp's 0600
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left


@pytest.mark.parametrize("bad", ["missing-dir/report.html", ".", 42])
def test_write_report_bad_path(shared: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: object) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValidationError) as raised:
        write_report(shared, bad, days=7)  # type: ignore[arg-type]
    assert raised.value.field == "path"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "field"), [({"days": 0}, "days"), ({"tz": "Nowhere/Land"}, "tz"), ({"title": None}, "title")]
)
def test_report_arguments(shared: Store, tmp_path: Path, kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        write_report(shared, tmp_path / "r.html", **kwargs)  # type: ignore[arg-type]
    assert raised.value.field == field
    assert list(tmp_path.iterdir()) == []
