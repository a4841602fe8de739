"""Dataset rows the services would refuse, numbers JSON cannot hold, and paths that lead nowhere.

Every refusal is one of agentlog's typed errors and leaves the store as it was.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from agentlog import (
    DocumentIndexService,
    MemoryService,
    SessionService,
    Store,
    ValidationError,
)
from agentlog.cli import main
from agentlog.io import export, import_
from tests.io.test_dataset_bad_input import edit, expect_refused, first_file, json_values, set_column, string_values


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small good dataset with a session, an event, a memory and a document; each test changes a copy."""
    import asyncio

    async def fill(store: Store) -> None:
        service = SessionService(store)
        session = await service.create_session("claude")
        await service.add_event(session["id"], "note", {"t": "hello"})
        await MemoryService(store).create_memory("project:a", "k", {"v": 1}, "semantic", metadata={"by": "ada"})
        await DocumentIndexService(store).index_document("notes/a.md", "T", "hello world", namespace="project:a")

    folder = tmp_path_factory.mktemp("good") / "x"
    with Store.memory(embedder=None) as store:
        asyncio.run(fill(store))
        export(store, folder)
    return folder


@pytest.fixture
def copy(dataset: Path, tmp_path: Path) -> Path:
    target = tmp_path / "dataset"
    shutil.copytree(dataset, target)
    return target


@pytest.fixture
def target() -> Iterator[Store]:
    with Store.memory(embedder=None) as store:
        yield store


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        ("namespace", "not a namespace", "namespace 'not a namespace' must start with one of the scopes"),
        ("key", "", "key must not be empty or blank"),
        ("key", "tab\there", "key contains the control character U\\+0009"),
        ("memory_type", "fuzzy", "memory_type must be one of short_term"),
    ],
    ids=["namespace", "empty-key", "control-key", "memory-type"],
)
def test_memory_rows_are_checked_as_the_memory_service_checks_them(
    copy: Path, target: Store, column: str, value: str, match: str
) -> None:
    path = edit(copy, "memories", lambda t: set_column(t, column, string_values(t, column, value)))
    error = expect_refused(target, copy, f"row 0: {match}")
    assert error.path == str(path)


def test_memory_metadata_must_be_an_object(copy: Path, target: Store) -> None:
    edit(copy, "memories", lambda t: set_column(t, "metadata", json_values(t, "metadata", "[1,2]")))
    expect_refused(target, copy, "row 0: metadata is a JSON list, not an object")


def test_a_memory_id_that_is_not_its_namespace_and_key(copy: Path, target: Store) -> None:
    stranger = uuid.uuid4()
    edit(copy, "memories", lambda t: set_column(t, "memory_id", pa.array([stranger.bytes], pa.uuid())))
    expect_refused(target, copy, f"row 0: memory_id {stranger} is not the id of project:a / k")


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [("namespace", "nope", "namespace 'nope' must start with one of the scopes"), ("metadata", "[1]", "JSON list")],
)
def test_document_rows_are_checked_too(copy: Path, target: Store, column: str, value: str, match: str) -> None:
    if column == "metadata":
        edit(copy, "documents", lambda t: set_column(t, column, json_values(t, column, value)))
    else:
        edit(copy, "documents", lambda t: set_column(t, column, string_values(t, column, value)))
    expect_refused(target, copy, f"row 0: .*{match}")


@pytest.mark.parametrize(
    "value", ['{"a":1e999}', '{"a":[-2.5E+400]}', '{"a":' + "9" * 400 + ".5}"], ids=["exp", "neg-exp", "digits"]
)
def test_a_number_too_large_for_a_double_is_refused(copy: Path, target: Store, value: str) -> None:
    edit(copy, "events", lambda t: set_column(t, "event_data", json_values(t, "event_data", value)))
    expect_refused(target, copy, "row 0: event_data is not valid JSON \\(number .* is out of the range of a double\\)")


def test_large_but_finite_numbers_and_lookalike_strings_still_import(copy: Path, target: Store) -> None:
    value = '{"a":1e300,"b":"x,1e999","c":1e-999}'
    edit(copy, "events", lambda t: set_column(t, "event_data", json_values(t, "event_data", value)))
    assert import_(target, copy).tables["events"].inserted == 1


def loop(at: Path) -> None:
    """Make ``at`` one end of a two-link symlink loop."""
    other = at.with_name(at.name + ".other")
    os.symlink(other, at)
    os.symlink(at, other)


def test_a_looped_file_in_the_manifest_is_refused(copy: Path, target: Store) -> None:
    path = first_file(copy, "sessions")
    path.unlink()
    loop(path)
    error = expect_refused(target, copy, "cannot be read")
    assert error.path == str(path)


def test_looped_and_blocked_destinations_and_sources_are_typed_errors(target: Store, tmp_path: Path) -> None:
    loop(tmp_path / "loop")
    (tmp_path / "file").write_text("x")
    for dest in (tmp_path / "loop", tmp_path / "file" / "sub", tmp_path / "file" / "a" / "b"):
        with pytest.raises(ValidationError, match="dest"):
            export(target, dest)
    with pytest.raises(ValidationError, match=r"src .* cannot be resolved"):
        import_(target, tmp_path / "loop")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "loop", "loop.other"]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc, where no file can be created")
def test_an_unwritable_destination_is_a_typed_error(target: Store) -> None:
    with pytest.raises(ValidationError, match="export destination /proc/agentlog-test cannot be written"):
        export(target, "/proc/agentlog-test")


def test_an_export_with_a_since_out_of_range_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for value in ("1000000d", "99999999999999999999h"):
        with pytest.raises(SystemExit) as exited:
            main(["--store", str(tmp_path / "s"), "export", "--since", value, str(tmp_path / "out")])
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert "argument --since" in err and "reaches back before the year 1" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
