"""The report in a real headless browser (Debian chromium): it loads offline, without errors, and every figure draws.

A screenshot of the page is kept under $AGENTLOG_TEST_ARTIFACTS (default: artifacts/ at the repo root).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from agentlog import Store
from agentlog.demo import generate_demo_data, load_demo_data, shift_demo_data
from agentlog.report import report_content, write_report
from tests.analytics.builders import Ev, Sess, load
from tests.report.browser import Chromium, Page
from tests.report.conftest import ARTIFACTS

FIGURES_DRAWN = """
(() => {
  const divs = [...document.querySelectorAll('div.plotly-graph-div')];
  return {
    expected: Number(document.body.dataset.figures),
    figures: divs.map(div => ({
      id: div.id,
      containers: div.querySelectorAll('.plot-container').length,
      svgs: div.querySelectorAll('svg.main-svg').length,
      traces: (div._fullData || []).length,
      drawn: div.querySelectorAll('.cartesianlayer .plot *, .heatmaplayer image, g.trace').length,
    })),
  };
})()
"""
ALL_DRAWN = (
    f"(() => {{ const r = {FIGURES_DRAWN}; return r.figures.length > 0 && r.figures.every(f => f.svgs > 0) && r; }})()"
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The report of the demo dataset (ending today) plus a hostile session, and its trace count per figure."""
    directory = tmp_path_factory.mktemp("browser")
    with Store(directory / "store", embedder=None) as store:
        data = shift_demo_data(generate_demo_data())
        load_demo_data(store, data)
        end = data.params.end
        hostile = Sess(
            "X",
            "claude",
            end - timedelta(minutes=30),
            end - timedelta(minutes=5),
            [
                Ev(
                    "task_created",
                    end - timedelta(minutes=20),
                    data={"t": "<img src=x onerror=window.__pwned=1>"},
                )
            ],
            summary="</script><script>window.__pwned = 1</script>",
        )
        load(store, [hostile])
        path = write_report(store, directory / "report.html", days=30)
        traces = {name: len(f.data) for name, f in report_content(store, days=30).figures.items()}
    return path, traces


def test_report_renders_in_chromium(report: tuple[Path, dict[str, int]], tmp_path: Path) -> None:
    path, traces = report
    with Chromium(tmp_path / "chromium") as browser:
        page = Page(browser)
        page.open(path.as_uri())
        state = page.wait_until(ALL_DRAWN, timeout=60)
        assert state, f"figures did not draw: {page.evaluate(FIGURES_DRAWN)}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = page.screenshot(ARTIFACTS / "report.png")
        pwned = page.evaluate("typeof window.__pwned")
        cell = page.evaluate(
            "[...document.querySelectorAll('td')].map(td => td.textContent).find(t => t.includes('__pwned'))"
        )
        log = page.log()

    assert log.errors == [], log.errors
    outside = [url for url in log.requests if not url.startswith(("file:", "data:", "blob:", "about:"))]
    assert outside == [], f"the report fetched {outside}"

    figures = state["figures"]
    assert len(figures) == state["expected"] == len(traces) == 8
    for figure in figures:
        name = figure["id"].removeprefix("figure-")
        assert figure["containers"] >= 1 and figure["svgs"] >= 1, figure
        assert figure["traces"] == traces[name], figure  # every trace of the Python figure reached plotly.js
        assert figure["drawn"] > 0, figure

    assert pwned == "undefined"  # the hostile summary and event data stayed text
    assert cell == "</script><script>window.__pwned = 1</script>"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
