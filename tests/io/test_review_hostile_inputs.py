"""Files given by someone else: special files, and logs whose session metadata the store would refuse."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agentlog import Store
from agentlog.cli import main
from agentlog.errors import ImportFormatError, ValidationError
from agentlog.io import export, import_, import_logs
from agentlog.services import document_sync
from agentlog.validation import MAX_JSON_DEPTH
from tests.io.support import write_lines

needs_fifo = pytest.mark.skipif(sys.platform == "win32" or not hasattr(os, "mkfifo"), reason="needs FIFOs")


def _outcome_within(fifo: Path, call: Callable[[], Any], seconds: float = 10.0) -> BaseException | None:
    """Run ``call`` on a thread; the error it raised (None if none). Fail, and unblock it, if it hangs on ``fifo``."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            call()
        except BaseException as exc:  # handed to the test
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():  # blocked opening the FIFO: open its other end so the thread can end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(seconds)
        pytest.fail(f"reading the FIFO {fifo} blocked")
    return outcome[0]


@needs_fifo
def test_a_fifo_given_as_a_log_is_refused_without_blocking(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "session.jsonl"
    os.mkfifo(fifo)
    with Store.memory(embedder=None) as store:
        error = _outcome_within(fifo, lambda: import_logs(store, fifo))
        assert isinstance(error, ImportFormatError) and "not a regular file but a FIFO" in str(error)
        error = _outcome_within(fifo, lambda: import_logs(store, fifo, format="codex"))
        assert isinstance(error, ImportFormatError) and "not a regular file" in str(error)
        assert store.sql("SELECT count(*) FROM sessions").fetchall() == [(0,)]
    error = _outcome_within(fifo, lambda: main(["--store", str(tmp_path / "s"), "import", str(fifo)]))
    assert error is None
    assert "not a regular file but a FIFO" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


@needs_fifo
def test_a_document_swapped_for_a_fifo_after_discovery_is_skipped_without_blocking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # sync_directory finds regular files, then reads them: one replaced by a FIFO in between is skipped.
    fifo = tmp_path / "notes.md"
    os.mkfifo(fifo)
    big = tmp_path / "big.md"
    big.write_text("x" * 101)
    monkeypatch.setattr(document_sync, "MAX_CONTENT_BYTES", 100)
    found: list[Any] = []
    error = _outcome_within(
        fifo, lambda: found.append(document_sync.load_documents([fifo, big], namespace=None, document_type=None))
    )
    assert error is None
    documents, skipped = found[0]
    assert documents == []
    assert skipped == [(str(fifo), "not a regular file"), (str(big), "larger than 100 bytes")]


def test_a_device_given_as_a_log_is_refused_even_with_a_forced_format() -> None:
    # /dev/zero would be read forever; /dev/null shows the same path without the risk.
    with Store.memory(embedder=None) as store:
        for format in ("jsonl", "otel", "auto"):
            with pytest.raises(ImportFormatError, match="not a regular file but a device"):
                import_logs(store, os.devnull, format=format)


@needs_fifo
def test_a_fifo_for_a_manifest_is_refused_without_blocking(tmp_path: Path) -> None:
    dataset = tmp_path / "dataset"
    dataset.mkdir()
    fifo = dataset / "manifest.json"
    os.mkfifo(fifo)
    with Store.memory(embedder=None) as store:
        error = _outcome_within(fifo, lambda: import_(store, dataset))
        assert isinstance(error, ImportFormatError) and "not a regular file but a FIFO" in str(error)
        error = _outcome_within(fifo, lambda: export(store, dataset))
        assert isinstance(error, ValidationError) and "is not an agentlog export" in str(error)
    assert sorted(p.name for p in dataset.iterdir()) == ["manifest.json"]


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


def test_session_metadata_deeper_than_the_store_keeps_fails_the_file(tmp_path: Path) -> None:
    # The file's facts are stored again one level down, under import_sources: metadata that is fine in the
    # log nests too deeply once stored, and an import of the store's own export would refuse it.
    log = write_lines(
        tmp_path / "bot.jsonl",
        [
            {"type": "session", "agent": "bot", "metadata": {"a": _nested(MAX_JSON_DEPTH - 2)}},
            {"type": "event", "event_type": "hello", "timestamp": "2026-01-01T00:00:00Z"},
        ],
    )
    good = write_lines(tmp_path / "good.jsonl", [{"type": "session", "agent": "bot", "metadata": {"a": 1}}])
    with Store.memory(embedder=None) as store:
        with pytest.raises(ImportFormatError, match=r"metadata cannot be stored: .* nests deeper than 32") as caught:
            import_logs(store, log)
        assert caught.value.path == str(log.resolve())
        assert store.sql("SELECT count(*) FROM sessions UNION ALL SELECT count(*) FROM events").fetchall() == [
            (0,),
            (0,),
        ]
        report = import_logs(store, tmp_path)  # in a folder the file fails alone
        assert [path.name for path, _ in report.failures] == ["bot.jsonl"] and report.sessions_created == 1
        dataset = export(store, tmp_path / "backup").path
    with Store.memory(embedder=None) as copy:
        assert import_(copy, dataset).tables["sessions"].inserted == 1
    assert good.exists()


def test_a_trace_whose_root_attributes_nest_too_deeply_for_session_metadata(tmp_path: Path) -> None:
    span = {
        "name": "invoke_agent",
        "context": {"trace_id": 1234567, "span_id": 42},
        "start_time": 1_700_000_000_000_000_000,
        "attributes": {"gen_ai.operation.name": "invoke_agent", "deep": _nested(MAX_JSON_DEPTH - 2)},
    }
    trace = tmp_path / "trace.json"
    trace.write_text(json.dumps({"spans": [span]}))
    with Store.memory(embedder=None) as store:
        with pytest.raises(ImportFormatError, match="metadata cannot be stored"):
            import_logs(store, trace)
        assert store.sql("SELECT count(*) FROM events").fetchall() == [(0,)]


def test_session_metadata_larger_than_the_store_keeps_fails_the_file(tmp_path: Path) -> None:
    log = write_lines(
        tmp_path / "bot.jsonl",
        [
            {"type": "session", "agent": "bot", "metadata": {"blob": "x" * 600_000}},
            {"type": "event", "event_type": "hello", "timestamp": "2026-01-01T00:00:00Z"},
        ],
    )
    with Store.memory(embedder=None) as store:
        with pytest.raises(ImportFormatError, match=r"metadata cannot be stored: metadata is .* bytes"):
            import_logs(store, log)
        assert store.sql("SELECT count(*) FROM sessions UNION ALL SELECT count(*) FROM events").fetchall() == [
            (0,),
            (0,),
        ]


@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system that takes any bytes in names")
def test_a_log_under_a_name_that_is_not_utf8_fails_with_a_typed_error(tmp_path: Path) -> None:
    # Its source_path cannot be stored as text: this was a StoreError wrapping a UnicodeEncodeError.
    folder = os.fsencode(tmp_path / "logs") + b"\xff"
    os.mkdir(folder)
    with open(os.path.join(folder, b"bot.jsonl"), "wb") as handle:
        handle.write(b'{"type":"session","agent":"bot"}\n')
    log = Path(os.fsdecode(os.path.join(folder, b"bot.jsonl")))
    with Store.memory(embedder=None) as store:
        with pytest.raises(ImportFormatError, match=r"metadata cannot be stored: .*not valid Unicode"):
            import_logs(store, log)
        report = import_logs(store, tmp_path)
        assert [type(error) for _, error in report.failures] == [ImportFormatError]
        assert store.sql("SELECT count(*) FROM sessions").fetchall() == [(0,)]
