"""The committed demo sample: the generator's data, the same in both copies, imported losslessly, used by demo_store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from agentlog import Store, ValidationError
from agentlog.demo import (
    DEMO_STORE_SESSIONS,
    SAMPLE_PARAMS,
    DemoData,
    demo_store,
    generate_demo_data,
    load_demo_data,
    read_sample,
    sample_path,
)
from agentlog.demo import sample as sample_module
from agentlog.demo.sample import PACKAGED_SAMPLE, generate_sample, write_sample
from agentlog.demo.write_sample import SAMPLE_COPIES, main, up_to_date
from agentlog.errors import ImportFormatError
from agentlog.io import export, import_, read_dataset_manifest
from tests.conftest import REPO, snapshot
from tests.demo.test_loader import STORED_EVENTS, STORED_SESSIONS, as_frame

TOP_LEVEL = REPO / "data" / "demo"
MAX_SAMPLE_BYTES = 3_000_000


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def dataset_tables(folder: Path) -> dict[str, pa.Table]:
    """Every table of a dataset, read with pyarrow and sorted by id (file order and bytes aside)."""
    manifest = read_dataset_manifest(folder)
    tables = {}
    for name, entry in manifest.tables.items():
        parts = [pq.read_table(folder / item.path) for item in entry.files]
        table = pa.concat_tables(parts)
        if table.num_rows:
            table = table.take(pc.sort_indices(table.column("id").combine_chunks().storage))
        tables[name] = table
    return tables


@pytest.fixture(scope="module")
def generated() -> DemoData:
    return generate_sample()


def test_the_two_copies_are_the_same_files_and_small() -> None:
    top, packaged = files(TOP_LEVEL), files(PACKAGED_SAMPLE)
    assert [REPO / c for c in SAMPLE_COPIES] == [TOP_LEVEL, PACKAGED_SAMPLE]
    assert top == packaged
    manifest = read_dataset_manifest(TOP_LEVEL)
    assert set(top) == {"manifest.json", *manifest.files()}  # nothing the manifest does not list
    assert sum(len(b) for b in top.values()) < MAX_SAMPLE_BYTES
    assert manifest.tables["sessions"].rows == DEMO_STORE_SESSIONS
    assert manifest.embedder is None  # exported from a store without an embedder: no vectors
    assert sample_path() == PACKAGED_SAMPLE


def test_the_sample_holds_what_the_generator_makes_now(generated: DemoData) -> None:
    assert generate_demo_data(sessions=DEMO_STORE_SESSIONS).params == SAMPLE_PARAMS
    for folder in (TOP_LEVEL, PACKAGED_SAMPLE, None):
        data = read_sample(folder)
        assert data.sessions.equals(generated.sessions), folder
        assert data.events.equals(generated.events), folder
        assert data.params == SAMPLE_PARAMS
    assert 7_000 <= data.events.num_rows <= 8_000


def test_the_sample_imports_losslessly(store: Store, generated: DemoData, tmp_path: Path) -> None:
    result = import_(store, TOP_LEVEL)
    assert result.tables["sessions"].inserted == DEMO_STORE_SESSIONS
    assert result.tables["events"].inserted == generated.events.num_rows
    assert store.sql(STORED_SESSIONS).pl().equals(as_frame(generated.sessions))
    assert store.sql(STORED_EVENTS).pl().equals(as_frame(generated.events))
    # Exported again, the store gives the same tables as the committed files, row for row.
    again = dataset_tables(export(store, tmp_path / "again").path)
    committed = dataset_tables(TOP_LEVEL)
    assert again.keys() == committed.keys()
    for name, table in committed.items():
        assert again[name].equals(table), name
    before = snapshot(store)
    assert import_(store, PACKAGED_SAMPLE).inserted == 0  # idempotent
    assert snapshot(store) == before


def test_demo_store_loads_the_sample_not_the_generator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, generated: DemoData
) -> None:
    def no_generator(*args: object, **kwargs: object) -> None:
        raise AssertionError("the generator ran although the sample is there")

    monkeypatch.setattr("agentlog.demo.sample.generate_demo_data", no_generator)
    monkeypatch.setattr("agentlog.demo.store.generate_demo_data", no_generator)
    for recent in (False, True):
        with demo_store(embedder=None, recent=recent) as store:
            sessions = store.sql(STORED_SESSIONS).pl()
            assert sessions.drop("started_at", "ended_at", "updated_at").equals(
                as_frame(generated.sessions).drop("started_at", "ended_at", "updated_at")
            )
            assert store.sql("SELECT count(*) FROM events").fetchall() == [(generated.events.num_rows,)]


def test_without_the_sample_the_generator_gives_the_same_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, generated: DemoData
) -> None:
    monkeypatch.setattr(sample_module, "PACKAGED_SAMPLE", tmp_path / "not-installed")

    def no_import(*args: object, **kwargs: object) -> None:
        raise AssertionError("import_ ran although there is no sample")

    monkeypatch.setattr("agentlog.demo.store.import_", no_import)
    monkeypatch.setattr("agentlog.demo.sample.import_", no_import)
    assert sample_path() is None
    assert read_sample().sessions.equals(generated.sessions)
    with demo_store(embedder=None) as store:
        assert store.sql(STORED_SESSIONS).pl().equals(as_frame(generated.sessions))
        assert store.sql(STORED_EVENTS).pl().equals(as_frame(generated.events))


def test_demo_store_loading_is_idempotent_moved_or_not(tmp_path: Path) -> None:
    path = tmp_path / "demo"
    with demo_store(path, embedder=None) as store:
        before = snapshot(store)
        fixed_end = store.sql("SELECT max(timestamp) FROM events").fetchall()[0][0]
    with demo_store(path, embedder=None) as store:  # the same dates: nothing added, nothing to warn about
        assert snapshot(store) == before
    # The moved copy has the same ids: nothing added, and the store keeps its fixed dates, which it says.
    with pytest.warns(UserWarning, match=r"its data ends 2026-03-06, not .*use a new path for data that ends in"):
        store = demo_store(path, embedder=None, recent=True)
    with store:
        assert snapshot(store) == before
        assert store.sql("SELECT max(timestamp) FROM events").fetchall()[0][0] == fixed_end


def test_demo_store_says_when_a_store_keeps_its_recent_dates(tmp_path: Path) -> None:
    path = tmp_path / "demo"
    with demo_store(path, embedder=None, recent=True) as store:
        recent_end = store.sql("SELECT max(timestamp) FROM events").fetchall()[0][0]
    with pytest.warns(UserWarning, match=r"its data ends .* \(\d+ weeks later\).*for the fixed dates"):
        store = demo_store(path, embedder=None)
    with store:
        assert store.sql("SELECT max(timestamp) FROM events").fetchall()[0][0] == recent_end


def test_read_sample_refuses_what_is_not_the_sample(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="manifest"):
        read_sample(tmp_path)
    with Store.memory(embedder=None) as other:
        load_demo_data(other, generate_demo_data(sessions=12))
        export(other, tmp_path / "other")
    with pytest.raises(ImportFormatError, match="holds 12 sessions, the demo sample has 160"):
        read_sample(tmp_path / "other")
    with pytest.raises(ValidationError):
        read_sample(42)  # type: ignore[arg-type]


def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    (root / "agentlog" / "demo").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'agentlog'\n")
    return root


def test_write_sample_writes_both_copies_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = checkout(tmp_path)
    copies = [root / c for c in SAMPLE_COPIES]
    assert main(["--root", str(root), "--check"]) == 1
    assert "stale" in capsys.readouterr().out
    assert main(["--root", str(root)]) == 0
    assert "wrote 160 sessions" in capsys.readouterr().out
    written = files(copies[0])
    assert written == files(copies[1]) and up_to_date(copies) is None
    # The data equals the committed sample (the manifests differ only in when they were made).
    assert {k: v for k, v in written.items() if k != "manifest.json"} == {
        k: v for k, v in files(TOP_LEVEL).items() if k != "manifest.json"
    }

    assert main(["--root", str(root)]) == 0  # up to date: nothing rewritten, not even the manifest's date
    assert "up to date" in capsys.readouterr().out
    assert files(copies[0]) == written

    damaged = next(copies[1].rglob("*.parquet"))
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"\x00")
    assert main(["--root", str(root), "--check"]) == 1
    assert "is not the same as" in capsys.readouterr().out
    assert main(["--root", str(root)]) == 0
    assert up_to_date(copies) is None


def test_write_sample_replaces_only_an_earlier_sample(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    assert main(["--root", str(root)]) == 0
    foreign = root / "data" / "demo" / "notes.txt"
    foreign.write_text("mine")
    with pytest.raises(ValidationError, match=r"notes\.txt"):
        main(["--root", str(root), "--force"])
    assert foreign.read_text() == "mine"
    with pytest.raises(ValidationError, match="not the root of an agentlog checkout"):
        main(["--root", str(tmp_path / "elsewhere")])
    other = tmp_path / "other"
    (other / "agentlog" / "demo" / "data").mkdir(parents=True)
    (other / "pyproject.toml").write_text("")
    (other / "agentlog" / "demo" / "data" / "keep.txt").write_text("not an export")
    with pytest.raises(ValidationError, match="not an agentlog export"):
        main(["--root", str(other)])
    assert (other / "agentlog" / "demo" / "data" / "keep.txt").read_text() == "not an export"


def test_write_sample_export_is_refused_in_a_folder_with_other_files(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "y.txt").write_text("")
    with pytest.raises(ValidationError):
        write_sample(tmp_path / "x")


def test_the_committed_sample_is_up_to_date_from_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "agentlog.demo.write_sample", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "the demo sample is up to date"
    assert result.stderr == ""  # no runpy warning: the script is not imported by the package
