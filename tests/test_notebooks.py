"""The notebooks: committed without outputs, and each runs top to bottom with the real offline model.

Every notebook in ``notebooks/`` is executed by nbclient in a fresh ``python3``
kernel (ipykernel), in a temporary working directory, with ``AGENTLOG_HOME`` and
``HOME`` pointing at temporary directories (so no notebook sees the developer's
own agent logs) and no ``AGENTLOG_EMBEDDER`` (so stores get the default offline
model, never the fake one). A failing cell fails the test with the cell's
traceback. Running a notebook must not add files to the checkout.

``04_import_export`` picks its logs from the first source that has some: the
user's own (``~/.claude/projects``, ``~/.codex/sessions``), the published
fixtures beside the checkout, or a sample it writes; each source is run once.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat import NotebookNode

from agentlog import ValidationError
from agentlog.demo import DEMO_STORE_SESSIONS, demo_store
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
    return notebook


def text_of(notebook: NotebookNode) -> str:
    """Everything the code cells printed or displayed as text."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            parts.append(output.get("text", ""))
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path: Path, kernel_environment: Path) -> None:
    run_notebook(nbformat.read(path, as_version=4), path.name, kernel_environment)


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
    assert "imported 4 files: 4 new sessions, 0 updated; 35 new events (4 errors)" in text
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
    assert "imported 2 files: 2 new sessions" in text and "imported 1 file: 1 new sessions" in text
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
