"""The notebooks: committed without outputs, and each runs top to bottom with the real offline model.

Every notebook in ``notebooks/`` is executed by nbclient in a fresh ``python3``
kernel (ipykernel), in a temporary working directory, with ``AGENTLOG_HOME`` and
``HOME`` pointing at temporary directories (so no notebook sees the developer's
own agent logs) and no ``AGENTLOG_EMBEDDER`` (so stores get the default offline
model, never the fake one). A failing cell fails the test with the cell's
traceback. Running a notebook must not add files to the checkout, nor leave
``agentlog-*`` folders in its temporary directory. What the notebooks' text says
about their results (which session a search finds first, how similar, which days
are worst) is checked on the outputs of that one run.

``04_import_export`` picks its logs from the first source that has some: the
user's own (``~/.claude/projects``, ``~/.codex/sessions``), the published
fixtures beside the checkout, or a sample it writes; each source is run once.
"""

from __future__ import annotations

import ast
import os
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat import NotebookNode

from agentlog import ValidationError
from agentlog.demo import DEFAULT_END, DEMO_STORE_SESSIONS, SAMPLE_PARAMS, demo_store
from tests.conftest import REPO, SHARED

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
WATCHED = (REPO, REPO / "notebooks", REPO / "data")
"""Directories whose entries must be the same after a notebook ran (it writes into its temporary directory)."""


TEST_RUN_BYPRODUCTS = {"artifacts"}
"""Entries other tests may create at the repo root while a notebook runs in parallel (plus hidden caches)."""


def entries() -> dict[Path, set[str]]:
    def names(folder: Path) -> set[str]:
        return {p.name for p in folder.iterdir() if not p.name.startswith(".") and p.name not in TEST_RUN_BYPRODUCTS}

    return {folder: names(folder) if folder.is_dir() else set() for folder in WATCHED}


def test_there_are_notebooks() -> None:
    names = [path.name for path in NOTEBOOKS]
    for expected in (
        "01_quickstart.ipynb",
        "02_activity_analytics.ipynb",
        "03_semantic_search.ipynb",
        "04_import_export.ipynb",
    ):
        assert expected in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_have_no_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.get("kernelspec", {}).get("name") == "python3"
    assert "widgets" not in notebook.metadata, "saved widget state: clear it before committing"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    for number, cell in enumerate(code, start=1):
        assert cell.get("outputs") == [], f"code cell {number} has outputs: clear them before committing"
        assert cell.get("execution_count") is None, f"code cell {number} has an execution count"
        assert "execution" not in cell.metadata, f"code cell {number} has execution timings"


@pytest.fixture
def kernel_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory for the kernel; the environment it inherits: temp AGENTLOG_HOME, default embedder."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.delenv("AGENTLOG_EMBEDDER", raising=False)  # the notebooks use the real offline model
    monkeypatch.setenv("AGENTLOG_HOME", str(tmp_path / "agentlog-home"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.claude or ~/.codex of the developer's
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    return work


def run_notebook(notebook: NotebookNode, name: str, work: Path) -> NotebookNode:
    """Execute ``notebook`` in ``work``; fail with the cell's traceback, or if it wrote into the checkout."""
    before = entries()
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(work)}})
    started = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{name} failed:\n{error}")
    print(f"{name}: {time.perf_counter() - started:.1f} s")  # shown with -s; never asserted
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert errors == []
    assert entries() == before, "the notebook wrote into the checkout"
    temporary = Path(os.environ["TMPDIR"])  # the kernel's (kernel_environment)
    assert sorted(p.name for p in temporary.glob("agentlog-*")) == [], "the notebook left temporary folders behind"
    return notebook


def text_of(notebook: NotebookNode) -> str:
    """Everything the code cells printed or displayed as text."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            parts.append(output.get("text", ""))
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def result_of(notebook: NotebookNode, code: str) -> str:
    """The ``text/plain`` result of the one code cell whose source contains ``code``."""
    cells = [cell for cell in notebook.cells if cell.cell_type == "code" and code in cell.source]
    assert len(cells) == 1, f"{len(cells)} code cells contain {code!r}"
    results = [o for o in cells[0].get("outputs", []) if o.get("output_type") == "execute_result"]
    assert len(results) == 1, f"the cell with {code!r} shows {len(results)} results"
    return str(results[0]["data"]["text/plain"])


def frame_rows(shown: str) -> list[list[str]]:
    """The rows of a Polars DataFrame's text repr, as lists of cell texts (a row's wrapped lines joined)."""
    lines = shown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("╞"))
    rows: list[list[str]] = []
    for line in lines[start + 1 :]:
        if line.startswith("└"):
            break
        if not line.startswith("│"):
            continue
        cells = [cell.strip() for cell in line.strip("│").split("┆")]
        if cells[0] or not rows:
            rows.append(cells)
        else:  # the continuation of a wrapped row
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells, strict=True)]
    return rows


def check_quickstart(notebook: NotebookNode) -> None:
    """Notebook 01's text: the searches find the database migration first, and how similar it is."""
    migration = "Migrated the orders table to Postgres 16"
    hits = ast.literal_eval(result_of(notebook, 'search_sessions("database schema migration"'))
    assert hits and hits[0][2] == "gemini" and hits[0][3].startswith(migration), hits
    # "the four with a summary (the paused user session has none ...). The database migration comes first, but
    # at a similarity of about 0.6: only loosely related ... The unrelated sessions follow well below 0.5."
    shown = result_of(notebook, 'search_frame(store, "upgrading the database"')
    rows = frame_rows(shown)
    assert [row[0] for row in rows] == ["1", "2", "3", "4"], shown
    assert rows[0][3] == "gemini" and rows[0][4].startswith("Migrated the orders table"), shown
    assert 0.5 <= float(rows[0][1]) < 0.7, shown
    assert all(float(row[1]) < 0.5 for row in rows[1:]), shown


def check_activity_analytics(notebook: NotebookNode) -> None:
    """Notebook 02's text: the worst days are in the bad week, and the window summary's last line."""
    assert SAMPLE_PARAMS.end == DEFAULT_END  # the notebook's window ends there too
    first, end = SAMPLE_PARAMS.bad_week
    shown = result_of(notebook, "worst_days = (")
    days = [datetime.fromisoformat(row[0]).replace(tzinfo=UTC) for row in frame_rows(shown)]
    assert len(days) == 5 and all(first <= day < end for day in days), shown
    summary = text_of(nbformat.v4.new_notebook(cells=[c for c in notebook.cells if "window_summary(" in c.source]))
    assert summary.rstrip().endswith("... and 1 more session"), summary


def check_semantic_search(notebook: NotebookNode) -> None:
    """Notebook 03's text: a query in other words than the summaries finds the connection pool sessions."""
    cell = next(c for c in notebook.cells if c.cell_type == "code" and "service.search_sessions(" in c.source)
    found = re.search(r'search_sessions\("([^"]+)"', cell.source)
    assert found is not None
    words = set(found.group(1).lower().split())
    assert not words & {"database", "pool", "exhaustion", "exhausted"}, "the query should not use the summaries' words"
    hits = ast.literal_eval(result_of(notebook, "service.search_sessions("))
    assert len(hits) == 5, hits
    for similarity, _agent, summary in hits:
        assert similarity >= 0.7 and "database connection pool exhaustion" in summary, hits


CLAIMS = {
    "01_quickstart.ipynb": check_quickstart,
    "02_activity_analytics.ipynb": check_activity_analytics,
    "03_semantic_search.ipynb": check_semantic_search,
}
"""What each notebook's text says about its results, checked on the run's outputs."""


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path: Path, kernel_environment: Path) -> None:
    ran = run_notebook(nbformat.read(path, as_version=4), path.name, kernel_environment)
    check = CLAIMS.get(path.name)
    if check is not None:
        check(ran)


IMPORT_NOTEBOOK = REPO / "notebooks" / "04_import_export.ipynb"
FIXTURES = SHARED / "fixtures" / "agent-logs"


def with_parameters(notebook: NotebookNode, code: str) -> NotebookNode:
    """The notebook with ``code`` run right after its cell tagged ``parameters`` (as papermill does)."""
    index = next(i for i, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", []))
    notebook.cells.insert(index + 1, nbformat.v4.new_code_cell(code))
    return notebook


def assert_round_trip_identical(notebook: NotebookNode) -> None:
    """The cell comparing the restored store with the original says True for every table."""
    cell = next(c for c in notebook.cells if c.cell_type == "code" and "table(restored, name).equals" in c.source)
    shown = text_of(nbformat.v4.new_notebook(cells=[cell]))
    assert "'sessions': True" in shown and "'events': True" in shown and "False" not in shown, shown


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_import_notebook_on_its_own_sample(kernel_environment: Path) -> None:
    """Without the user's logs or the fixtures (a clone on its own), the notebook writes and imports its sample."""
    notebook = with_parameters(nbformat.read(IMPORT_NOTEBOOK, as_version=4), "LOOK_FOR_FIXTURES = False")
    ran = run_notebook(notebook, "04 on its own sample", kernel_environment)
    text = text_of(ran)
    assert "imported a small sample written by this notebook" in text
    # agentlog.io.write_sample_logs: a session in each format (11 + 12 + 6 + 6 events), one failure in each
    assert "imported 4 files: 4 new sessions, 0 updated; 35 new events (4 error events)" in text
    assert all(agent in text for agent in ("claude-code", "codex", "trip-planner", "support-bot"))
    assert "skipped 1 file (not agent logs)" in text and "failed 1 file:" in text
    assert_round_trip_identical(ran)
    assert "(0, 39)" in text  # importing the export again: nothing inserted, 4 sessions + 35 events skipped


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"the shared agent-log fixtures are not at {FIXTURES}")
def test_import_notebook_on_the_users_own_logs(kernel_environment: Path, tmp_path: Path) -> None:
    """With logs in ~/.claude/projects and ~/.codex/sessions (copies of the fixtures), the notebook imports those."""
    home = tmp_path / "home"
    claude = home / ".claude" / "projects" / "-work-demo"
    codex = home / ".codex" / "sessions" / "2026" / "05" / "11"
    for folder, pattern in ((claude, "claude-code/*.jsonl"), (codex, "codex-cli/*.jsonl")):
        folder.mkdir(parents=True)
        for log in FIXTURES.glob(pattern):
            (folder / log.name).write_bytes(log.read_bytes())
    ran = run_notebook(nbformat.read(IMPORT_NOTEBOOK, as_version=4), "04 on own logs", kernel_environment)
    text = text_of(ran)
    assert "imported your own agent logs" in text
    assert "imported 2 files: 2 new sessions" in text and "imported 1 file: 1 new session," in text
    assert_round_trip_identical(ran)


def test_demo_store_holds_the_demo_data(tmp_path: Path) -> None:
    with demo_store(sessions=12) as store:
        assert store.in_memory
        assert store.sql("SELECT count(*) FROM sessions").fetchall() == [(12,)]
        assert store.embedder is not None and store.embedder.name.startswith("fake")  # AGENTLOG_EMBEDDER wins
        assert store.sql("SELECT max(started_at) FROM sessions").fetchall()[0][0].year == 2026

    with demo_store(tmp_path / "demo", sessions=12, embedder=None) as store:
        events = store.sql("SELECT count(*) FROM events").fetchall()
        assert store.index is None
    with demo_store(tmp_path / "demo", sessions=12, embedder=None) as again:  # loading twice adds nothing
        assert again.sql("SELECT count(*) FROM sessions").fetchall() == [(12,)]
        assert again.sql("SELECT count(*) FROM events").fetchall() == events


def test_demo_store_default_size_and_recent(tmp_path: Path) -> None:
    with demo_store(embedder=None) as store:
        sessions, events = store.sql("SELECT count(*), (SELECT count(*) FROM events) FROM sessions").fetchall()[0]
        fixed_profile = store.sql(HOUR_OF_WEEK).fetchall()
        fixed = store.sql("SELECT max(timestamp) FROM events").fetchall()[0][0]
    assert sessions == DEMO_STORE_SESSIONS
    assert events <= 8_000  # what the offline model indexes in about a minute on two cores
    with demo_store(embedder=None, recent=True) as store:
        recent = store.sql("SELECT max(timestamp) FROM events").fetchall()[0][0]
        assert store.sql(HOUR_OF_WEEK).fetchall() == fixed_profile  # weekends stay weekends, hours stay hours
    moved = recent - fixed
    assert moved > timedelta(0) and moved % timedelta(weeks=1) == timedelta(0)  # whole weeks
    now = datetime.now(UTC)
    assert now - timedelta(weeks=1, days=1) < recent <= now  # it ends in the last seven days
    with demo_store(sessions=12, embedder=None) as store:  # other sizes: the generator, moved the same way
        small_fixed = store.sql("SELECT max(timestamp) FROM events").fetchall()[0][0]
    with demo_store(sessions=12, embedder=None, recent=True) as store:
        assert store.sql("SELECT max(timestamp) FROM events").fetchall()[0][0] - small_fixed == moved


HOUR_OF_WEEK = "SELECT isodow(timestamp) AS d, hour(timestamp) AS h, count(*) FROM events GROUP BY ALL ORDER BY d, h"


def test_demo_store_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="sessions"):
        demo_store(sessions=0)
    with pytest.raises(ValidationError, match="recent"):
        demo_store(recent="yes")  # type: ignore[arg-type]
    target = tmp_path / "not-created"
    with pytest.raises(ValidationError):
        demo_store(target, sessions=-1)
    assert not target.exists()
