"""The notebooks: committed without outputs, and each runs top to bottom with the real offline model.

Every notebook in ``notebooks/`` is executed by nbclient in a fresh ``python3``
kernel (ipykernel), in a temporary working directory, with ``AGENTLOG_HOME``
pointing at a temporary directory and no ``AGENTLOG_EMBEDDER`` (so stores get
the default offline model, never the fake one). A failing cell fails the test
with the cell's traceback. Running a notebook must not add files to the checkout.
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

from agentlog import ValidationError
from agentlog.demo import DEMO_STORE_SESSIONS, demo_store
from tests.conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
WATCHED = (REPO, REPO / "notebooks", REPO / "data")
"""Directories whose entries must be the same after a notebook ran (it writes into its temporary directory)."""


def entries() -> dict[Path, set[str]]:
    return {folder: {p.name for p in folder.iterdir()} if folder.is_dir() else set() for folder in WATCHED}


def test_there_are_notebooks() -> None:
    names = [path.name for path in NOTEBOOKS]
    for expected in ("01_quickstart.ipynb", "02_activity_analytics.ipynb", "03_semantic_search.ipynb"):
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
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    return work


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path: Path, kernel_environment: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    before = entries()
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(kernel_environment)}},
    )
    started = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{path.name} failed:\n{error}")
    print(f"{path.name}: {time.perf_counter() - started:.1f} s")  # shown with -s; never asserted
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert errors == []
    assert entries() == before, "the notebook wrote into the checkout"


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
    assert sessions == DEMO_STORE_SESSIONS
    assert events <= 8_000  # what the offline model indexes in about a minute on two cores
    with demo_store(sessions=12, embedder=None) as store:
        fixed = store.sql("SELECT max(timestamp) FROM events").fetchall()[0][0]
    with demo_store(sessions=12, embedder=None, recent=True) as store:
        recent = store.sql("SELECT max(timestamp) FROM events").fetchall()[0][0]
    moved = recent - fixed
    assert moved > timedelta(0) and moved % timedelta(days=1) == timedelta(0)  # whole days, to end today
    assert datetime.now(UTC) - timedelta(days=30) < recent <= datetime.now(UTC)


def test_demo_store_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="sessions"):
        demo_store(sessions=0)
    with pytest.raises(ValidationError, match="recent"):
        demo_store(recent="yes")  # type: ignore[arg-type]
    target = tmp_path / "not-created"
    with pytest.raises(ValidationError):
        demo_store(target, sessions=-1)
    assert not target.exists()
