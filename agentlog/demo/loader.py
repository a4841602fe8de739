"""Putting demo data into a store, and moving it in time so that it looks recent.

:func:`load_demo_data` inserts a :class:`~agentlog.demo.DemoData` in one atomic,
idempotent write (:class:`~agentlog.services.import_ops.ImportRows`: ids already
stored are skipped), as fast as the store can take Arrow batches (about a
million events per second or two). :func:`shift_demo_data` moves every
timestamp by a whole number of weeks so that the data ends less than a week
before now: weekdays and hours keep their pattern (quiet weekends stay on the
weekend, the hour-of-week heatmap looks the same), the ids and the content
stay the same, and "last 30 days" reports find data. Loading never changes rows
already stored: :func:`stored_offset` tells whether a store holds a dataset at
its dates or at others (an earlier load, moved or not).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from agentlog.demo.generator import DemoData
from agentlog.errors import ValidationError
from agentlog.services.import_ops import EVENT_ROWS, SESSION_ROWS, ImportResult, ImportRows, check_rows
from agentlog.store import Store, require_open_store
from agentlog.validation import validate_aware_datetime

__all__ = ["load_demo_data", "shift_demo_data", "stored_offset"]

_SESSION_TIMES = ("started_at", "ended_at", "updated_at")
_EVENT_TIMES = ("timestamp",)
_WEEK = timedelta(days=7)


def load_demo_data(store: Store, data: DemoData) -> ImportResult:
    """Insert demo sessions and events into ``store`` (one commit; ids already there are skipped).

    Args:
        store: An open store.
        data: What :func:`~agentlog.demo.generate_demo_data` (or
            :func:`shift_demo_data`) returned.

    Returns:
        How many sessions and events were inserted and skipped.

    Raises:
        ValidationError: If ``store`` or ``data`` is of the wrong kind, or the
            tables do not have the store's columns; the store is then unchanged.

    Example:
        >>> from agentlog import Store
        >>> from agentlog.demo import generate_demo_data
        >>> data = generate_demo_data(sessions=10)
        >>> with Store.memory(embedder=None) as store:
        ...     first = load_demo_data(store, data)
        ...     again = load_demo_data(store, data)
        >>> first.sessions_inserted, again.sessions_inserted, again.sessions_skipped
        (10, 0, 10)
    """
    require_open_store(store)
    if not isinstance(data, DemoData):
        raise ValidationError(
            f"data must be a DemoData (from generate_demo_data), got {type(data).__name__}",
            field="data",
            value=repr(data)[:80],
        )
    sessions = check_rows(data.sessions, SESSION_ROWS, "sessions")
    events = check_rows(data.events, EVENT_ROWS, "events")
    result = store.write(ImportRows(sessions, events))
    assert isinstance(result, ImportResult)
    return result


def shift_demo_data(data: DemoData, end: Any = None) -> DemoData:
    """Move a dataset in time by whole weeks so that it ends in the week before ``end`` (at or before it).

    The shift is the largest multiple of seven days that does not move the
    data's end (``params.end``) past ``end``; the default dataset ends at
    midnight UTC starting a Friday, so it then ends at the last such midnight
    at or before ``end``.

    Every timestamp (``started_at``, ``ended_at``, ``updated_at``, event
    ``timestamp``) moves by the same number of weeks, so every instant keeps
    its weekday and its hour: quiet weekends stay on Saturday and Sunday, and
    weekday or hour-of-week views look the same. Ids, order and content are
    unchanged, so loading a shifted copy into a store that has the original
    adds nothing. ``params.end`` (and so ``params.bad_week``) moves with the data.

    Args:
        data: The dataset.
        end: Where it should end at the latest, an aware datetime; now by default.

    Returns:
        The shifted dataset (the same object if the shift is zero weeks).

    Raises:
        ValidationError: If ``data`` is not a DemoData or ``end`` is naive.

    Example:
        >>> from datetime import UTC, datetime
        >>> from agentlog.demo import generate_demo_data
        >>> data = generate_demo_data(sessions=10)
        >>> moved = shift_demo_data(data, datetime(2026, 11, 22, 15, 30, tzinfo=UTC))  # a Sunday
        >>> moved.params.end.strftime("%a %Y-%m-%d %H:%M")  # like DEFAULT_END, the start of a Friday
        'Fri 2026-11-20 00:00'
        >>> (moved.sessions["started_at"][0].as_py() - data.sessions["started_at"][0].as_py()).days
        259
    """
    if not isinstance(data, DemoData):
        raise ValidationError(
            f"data must be a DemoData (from generate_demo_data), got {type(data).__name__}",
            field="data",
            value=repr(data)[:80],
        )
    target = validate_aware_datetime(end, "end") if end is not None else datetime.now(UTC)
    delta = _WEEK * ((target - data.params.end) // _WEEK)
    if not delta:
        return data
    return DemoData(
        sessions=_shift_columns(data.sessions, _SESSION_TIMES, delta),
        events=_shift_columns(data.events, _EVENT_TIMES, delta),
        params=dataclasses.replace(data.params, end=data.params.end + delta),
    )


def _shift_columns(table: pa.Table, names: tuple[str, ...], delta: timedelta) -> pa.Table:
    step = pa.scalar(delta, pa.duration("us"))
    for name in names:
        index = table.schema.get_field_index(name)
        column = table.column(index)
        shifted = pc.add(column, step).cast(column.type)
        table = table.set_column(index, table.schema.field(index), shifted)
    return table


def stored_offset(store: Store, data: DemoData) -> timedelta | None:
    """How far in time the store's copy of ``data`` is from ``data``: zero if the store holds it at its dates.

    Loading skips ids already stored, so a store that got the same dataset
    before (with its fixed dates, or moved by :func:`shift_demo_data` in another
    week) keeps the dates of that first load. This compares the newest session
    of ``data`` with the stored session of the same id.

    Args:
        store: An open store.
        data: A dataset, moved or not.

    Returns:
        The stored session's ``started_at`` minus the one in ``data`` (negative:
        the store has it earlier; a whole number of weeks for a moved copy);
        ``None`` if the store does not hold that session, or ``data`` is empty.

    Raises:
        ValidationError: If ``store`` or ``data`` is of the wrong kind.

    Example:
        >>> from agentlog import Store
        >>> from agentlog.demo import generate_demo_data
        >>> data = generate_demo_data(sessions=10)
        >>> with Store.memory(embedder=None) as store:
        ...     before = stored_offset(store, data)
        ...     _ = load_demo_data(store, data)
        ...     moved = shift_demo_data(data, datetime(2026, 11, 22, tzinfo=UTC))
        ...     _ = load_demo_data(store, moved)  # nothing new: the ids are stored
        ...     before, stored_offset(store, data), stored_offset(store, moved).days
        (None, datetime.timedelta(0), -259)
    """
    require_open_store(store)
    if not isinstance(data, DemoData):
        raise ValidationError(
            f"data must be a DemoData (from generate_demo_data), got {type(data).__name__}",
            field="data",
            value=repr(data)[:80],
        )
    if not data.sessions.num_rows:
        return None
    newest = int(pc.index(data.sessions["started_at"], pc.max(data.sessions["started_at"])).as_py())
    row = data.sessions.slice(newest, 1).to_pylist()[0]
    found = store.sql("SELECT started_at FROM sessions WHERE id = $id::UUID", {"id": str(row["id"])}).fetchall()
    if not found:
        return None
    stored: datetime = found[0][0]
    started: datetime = row["started_at"]
    return stored - started
