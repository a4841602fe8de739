"""Importing a folder again leaves unread the files that have not changed since an import stored them.

What makes a file be read again: its size, times or inode changed (it grew,
or was replaced by another file of the same size and modification time), a
session of it was deleted, it was taken to be still running, another format
was asked for, another agentlog version read it, or ``reparse=True``. A file
left unread gives the same store as reading it would.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agentlog import SessionService, Store, ValidationError
from agentlog.io import import_logs, log_files
from agentlog.io.importers import api
from agentlog.io.log_files import FileStamp, unchanged_files
from tests.conftest import snapshot
from tests.io.support import fixture_dir, write_lines

OLD = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def bot_log(path: Path, session: uuid.UUID, steps: int, *, start: datetime = OLD) -> Path:
    """An agentlog JSON-lines log of one session with ``steps`` events a minute apart from ``start``."""
    events = [
        {
            "type": "event",
            "event_type": "step",
            "event_data": {"n": n},
            "timestamp": (start + timedelta(minutes=n)).isoformat(),
        }
        for n in range(steps)
    ]
    return write_lines(path, [{"type": "session", "agent": "bot", "id": str(session)}, *events])


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each file name was parsed (every parser counts, then parses as before)."""
    counts: Counter[str] = Counter()

    def counting(parse: Callable[[Path], Any]) -> Callable[[Path], Any]:
        def wrapper(path: Path) -> Any:
            counts[path.name] += 1
            return parse(path)

        return wrapper

    for name, parse in list(api.PARSERS.items()):
        monkeypatch.setitem(api.PARSERS, name, counting(parse))
    return counts


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    bot_log(folder / "a.jsonl", uuid.UUID(int=1), 5)
    bot_log(folder / "b.jsonl", uuid.UUID(int=2), 3)
    return folder


def test_unchanged_files_are_not_read_again_and_the_store_is_the_same(
    tmp_path: Path, logs: Path, parsed: Counter[str]
) -> None:
    with Store(tmp_path / "store") as store:
        first = import_logs(store, logs)
        assert (first.files, first.unchanged, first.events_inserted) == (2, 0, 8)
        before = snapshot(store)
        again = import_logs(store, logs)
        assert (again.files, again.unchanged, again.events_inserted, again.events_skipped) == (2, 2, 0, 0)
        assert snapshot(store) == before
        assert parsed == {"a.jsonl": 1, "b.jsonl": 1}
    with Store(tmp_path / "store") as store:  # the record is in the store, not in the process
        assert import_logs(store, logs).unchanged == 2
        assert parsed == {"a.jsonl": 1, "b.jsonl": 1}


def test_a_file_that_grew_is_read_and_adds_only_its_new_events(logs: Path, parsed: Counter[str]) -> None:
    with Store.memory() as store:
        import_logs(store, logs)
        bot_log(logs / "a.jsonl", uuid.UUID(int=1), 7)
        report = import_logs(store, logs)
        assert (report.unchanged, report.events_inserted, report.events_skipped) == (1, 2, 5)
        assert parsed == {"a.jsonl": 2, "b.jsonl": 1}
        assert import_logs(store, logs).unchanged == 2


def test_a_file_replaced_by_one_of_the_same_size_and_time_is_read(logs: Path, parsed: Counter[str]) -> None:
    with Store.memory() as store:
        import_logs(store, logs)
        path = logs / "a.jsonl"
        info = path.stat()
        replacement = bot_log(logs / "new.tmp", uuid.UUID(int=3), 5)  # another session, same length of text
        assert replacement.stat().st_size == info.st_size
        os.replace(replacement, path)  # as an editor or a sync tool saves: a new inode
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))  # the old modification time
        report = import_logs(store, logs)
        assert (report.unchanged, report.sessions_created, report.events_inserted) == (1, 1, 5)
        assert parsed["a.jsonl"] == 2


async def test_a_session_deleted_through_the_api_comes_back_from_its_log(logs: Path, parsed: Counter[str]) -> None:
    with Store.memory() as store:
        import_logs(store, logs)
        await SessionService(store).delete_session(uuid.UUID(int=2))
        report = import_logs(store, logs)
        assert (report.unchanged, report.sessions_created, report.events_inserted) == (1, 1, 3)
        assert parsed == {"a.jsonl": 1, "b.jsonl": 2}


def test_a_file_with_a_running_session_is_read_until_the_session_has_ended(logs: Path, parsed: Counter[str]) -> None:
    now = datetime.now(UTC)
    bot_log(logs / "live.jsonl", uuid.UUID(int=9), 3, start=now - timedelta(minutes=2))
    with Store.memory() as store:
        import_logs(store, logs)
        query = "SELECT lifecycle, ended_at IS NULL FROM sessions WHERE id = ?"
        assert store.sql(query, [uuid.UUID(int=9)]).fetchall() == [("active", True)]
        again = import_logs(store, logs)  # still within the running window: read again, still running
        assert (again.unchanged, parsed["live.jsonl"]) == (2, 2)
        ended = import_logs(store, logs, running_window=timedelta(0))  # as if it had gone quiet
        assert (ended.unchanged, ended.sessions_updated, parsed["live.jsonl"]) == (2, 1, 3)
        assert store.sql(query, [uuid.UUID(int=9)]).fetchall() == [("terminated", False)]
        assert import_logs(store, logs).unchanged == 3
        assert parsed["live.jsonl"] == 3


def test_a_file_that_failed_is_read_again(logs: Path, parsed: Counter[str]) -> None:
    (logs / "broken.jsonl").write_text('{"type":"session","agent":"bot"}\n{"type":"event"}\n', encoding="utf-8")
    with Store.memory() as store:
        first = import_logs(store, logs)
        again = import_logs(store, logs)
        assert [p.name for p, _ in first.failures] == [p.name for p, _ in again.failures] == ["broken.jsonl"]
        assert (again.unchanged, parsed["broken.jsonl"]) == (2, 2)


def test_reparse_reads_every_file_and_changes_nothing(logs: Path, parsed: Counter[str]) -> None:
    with Store.memory() as store:
        import_logs(store, logs)
        before = snapshot(store)
        report = import_logs(store, logs, reparse=True)
        assert (report.unchanged, report.events_skipped) == (0, 8)
        assert parsed == {"a.jsonl": 2, "b.jsonl": 2}
        assert snapshot(store) == before  # the records too: a record that would not change is not rewritten


def test_another_agentlog_version_reads_every_file_again(
    logs: Path, parsed: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.memory() as store:
        import_logs(store, logs)
        monkeypatch.setattr(log_files, "__version__", "99.0.0")
        assert import_logs(store, logs).unchanged == 0
        assert import_logs(store, logs).unchanged == 2  # recorded by the new version
        assert parsed == {"a.jsonl": 2, "b.jsonl": 2}


def test_a_file_read_as_another_format_is_not_unchanged_for_that_format(logs: Path) -> None:
    with Store.memory() as store:
        import_logs(store, logs)
        stamps = {path: FileStamp.of(path) for path in sorted(logs.resolve().iterdir())}
        assert store.read(lambda cur: unchanged_files(cur, stamps, "jsonl")) == set(stamps)
        assert store.read(lambda cur: unchanged_files(cur, stamps, "auto")) == set(stamps)
        assert store.read(lambda cur: unchanged_files(cur, stamps, "codex")) == set()


def test_real_logs_are_unchanged_on_a_second_import(tmp_path: Path) -> None:
    with Store(tmp_path / "store") as store:
        first = import_logs(store, fixture_dir())
        before = snapshot(store)
        again = import_logs(store, fixture_dir())
        assert (again.files, again.unchanged, again.events_inserted) == (first.files, first.files, 0)
        assert snapshot(store) == before


@pytest.mark.parametrize("value", [1, "yes", None])
def test_reparse_must_be_a_bool(logs: Path, value: Any) -> None:
    with Store.memory() as store:
        with pytest.raises(ValidationError, match="reparse"):
            import_logs(store, logs, reparse=value)
        assert store.sql("SELECT count(*) FROM sessions").fetchall() == [(0,)]


def test_threads_importing_one_folder_at_once_store_it_once_and_record_every_file(tmp_path: Path, logs: Path) -> None:
    with Store(tmp_path / "store") as store:
        reports: list[Any] = []
        threads = [threading.Thread(target=lambda: reports.append(import_logs(store, logs))) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(report.ok for report in reports) and len(reports) == 4
        assert sum(report.events_inserted for report in reports) == 8  # each event stored once
        assert store.sql("SELECT count(*) FROM events").fetchall() == [(8,)]
        recorded = store.sql("SELECT path FROM imported_logs").fetchall()
        assert {Path(path).name for (path,) in recorded} == {"a.jsonl", "b.jsonl"}
        assert import_logs(store, logs).unchanged == 2
