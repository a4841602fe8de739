"""Review fixes of the command line: usage errors, terminal-safe output, broken pipes, plot labels."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from agentlog.cli import main
from agentlog.cli.output import printable, printable_json
from agentlog.plots import activity_figure, duration_figure, error_rate_figure
from agentlog.services.session_service import SessionService
from agentlog.store import Store
from tests.conftest import REPO

EVIL = "%{customdata[0]} <b>x</b>"
INJECTED = "ok\r\x1b[31mFAKE\x1b[0m\x1b]0;title\x07\x9b2J\x7f"


def usage_status(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[object, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    return done.value.code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sessions", "--since", "bogus"], "--since must be an ISO date"),
        (["search", "x", "--since", "bogus"], "--since must be an ISO date"),
        (["report", "--until", "bogus"], "--until must be an ISO date"),
        (["sessions", "--limit", "0"], "at least 1"),
        (["search", "x", "--limit", "-5"], "at least 1"),
        (["memory", "list", "--limit", "0"], "at least 1"),
        (["report", "--days", "0"], "at least 1"),
        (
            ["sessions", "--active", "--agent", "a", "--since", "1d"],
            "--active cannot be combined with --agent, --since",
        ),
        (["demo-data", "--sessions", "100000000000"], "more than 200,000 sessions"),
        (["demo-data", "--scale", "1e12"], "more than 200,000 sessions"),
        (["demo-data", "--scale", "nan"], "above 0"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = usage_status(["--store", str(tmp_path / "s"), *argv], capsys)
    assert code == 2
    assert message in err
    if "--until" in argv:
        assert "--since" not in err


def test_printable_escapes_controls_but_not_text() -> None:
    assert printable(INJECTED) == "ok\\r\\x1b[31mFAKE\\x1b[0m\\x1b]0;title\\x07\\x9b2J\\x7f"
    assert printable("a\nb", newlines=True) == "a\nb"
    assert printable("a\nb\tü 🚀") == "a\\nb\\tü 🚀"
    assert "\x9b" not in printable_json({"k": INJECTED}) and "\x1b" not in printable_json({"k": INJECTED})


def test_stored_control_characters_do_not_reach_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "s")

    async def load() -> str:
        with Store(store) as opened:
            service = SessionService(opened)
            session = await service.create_session("claude")
            await service.add_event(session["id"], "tool_call", {"out": INJECTED})
            await service.end_session(session["id"], summary=INJECTED)
            return str(session["id"])

    session_id = asyncio.run(load())
    for argv in (["sessions"], ["show", session_id], ["show", session_id, "--json"]):
        assert main(["--store", store, *argv]) == 0
        out = capsys.readouterr().out
        assert not any(c in out for c in "\r\x1b\x07\x9b\x7f"), argv


def test_broken_pipe_exits_quietly(tmp_path: Path) -> None:
    code = (
        "import sys; from agentlog.cli import main; "
        "sys.exit(main(['--store', sys.argv[1], 'demo-data', '--sessions', '20']))"
    )
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line: like `| head -0`
    try:
        result = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / "s")],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
    finally:
        os.close(write_end)
    assert result.returncode == 1
    assert result.stderr == ""


def activity_frame(periods: list[date], agent: str = "claude") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "agent": [agent] * len(periods),
            "period": periods,
            "period_start": [datetime(p.year, p.month, p.day, tzinfo=UTC) for p in periods],
            "sessions": [1] * len(periods),
            "events": [2] * len(periods),
            "errors": [1] * len(periods),
            "active_minutes": [3.0] * len(periods),
        }
    )


def test_plot_names_are_escaped_and_not_templates() -> None:
    frame = activity_frame([date(2026, 3, 2), date(2026, 3, 3)], agent=EVIL)
    rates = frame.with_columns(pl.lit(0.5).alias("error_rate"))
    traces = [*activity_figure(frame).data, *error_rate_figure(rates).data]
    escaped = "%&#123;customdata[0]} &lt;b&gt;x&lt;/b&gt;"
    assert [trace.name for trace in traces] == [escaped, escaped, "all agents"]
    for trace in traces:
        assert "<b>x" not in trace.name and "%{customdata[0]} " not in trace.name
        assert "%{customdata[0]} &lt;" not in trace.hovertemplate
        assert "&lt;b&gt;x&lt;/b&gt;" in trace.hovertemplate or trace.name == "all agents"
    stats = pl.DataFrame({"agent": [EVIL], "session_id": ["s"], "events": [1], "duration_minutes": [2.0]})
    (trace,) = duration_figure(stats).data
    assert trace.name == "%&#123;customdata[0]} &lt;b&gt;x&lt;/b&gt;"
    assert "%{customdata[0]} " not in trace.hovertemplate


@pytest.mark.parametrize(
    ("periods", "freq", "word"),
    [
        ([date(2026, 3, 2)], None, "week"),  # one Monday: a weekly frame of one period
        ([date(2026, 3, 3)], None, "day"),
        ([date(2026, 3, 2), date(2026, 3, 16)], None, "week"),  # sparse weeks
        ([date(2026, 3, 2), date(2026, 3, 3)], None, "day"),
        ([date(2026, 3, 2)], "day", "day"),
    ],
)
def test_period_word(periods: list[date], freq: str | None, word: str) -> None:
    assert activity_figure(activity_frame(periods), freq=freq).layout.title.text == f"Events per {word}"
