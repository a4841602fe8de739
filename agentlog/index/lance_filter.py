"""Filters for LanceDB searches, built without pasting raw values into SQL.

LanceDB takes filters as SQL text. Every value that goes into one passes
through :func:`literal`: strings are quoted with single quotes doubled (so
``'``, ``%``, ``_`` and ``--`` are plain characters inside the literal; there is
no LIKE anywhere), integers are formatted by ``int``, UUIDs by ``str``. Column
names are never taken from callers: they come from this package's constants.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

__all__ = ["Filter", "literal"]


def literal(value: str | int | uuid.UUID) -> str:
    """Return ``value`` as a SQL literal safe to embed in a Lance filter.

    Raises:
        ValueError: For a string with a NUL character or an unsupported type.

    Example:
        >>> literal("o'hara -- 100% _x_")
        "'o''hara -- 100% _x_'"
        >>> literal(42)
        '42'
    """
    if isinstance(value, bool):
        raise ValueError("booleans are not filter values")
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, uuid.UUID):
        return f"'{value}'"
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("filter values cannot contain NUL")
        return "'" + value.replace("'", "''") + "'"
    raise ValueError(f"unsupported filter value {type(value).__name__}")


class Filter:
    """An AND of simple conditions on known columns.

    Example:
        >>> f = Filter().equals("agent", "o'hara").at_least("started_us", 5).one_of("event_type", ["a", "b"])
        >>> f.sql()
        "agent = 'o''hara' AND started_us >= 5 AND event_type IN ('a', 'b')"
        >>> Filter().sql() is None
        True
    """

    def __init__(self) -> None:
        self._parts: list[str] = []

    def equals(self, column: str, value: str | int | uuid.UUID | None) -> Filter:
        """Add ``column = value`` (nothing when ``value`` is None)."""
        if value is not None:
            self._parts.append(f"{column} = {literal(value)}")
        return self

    def one_of(self, column: str, values: Sequence[str | int | uuid.UUID] | None) -> Filter:
        """Add ``column IN (...)`` (nothing when ``values`` is None; never matches when empty)."""
        if values is not None:
            if not values:
                self._parts.append("false")
            else:
                self._parts.append(f"{column} IN ({', '.join(literal(v) for v in values)})")
        return self

    def at_least(self, column: str, value: int | None) -> Filter:
        """Add ``column >= value`` (nothing when None)."""
        if value is not None:
            self._parts.append(f"{column} >= {literal(value)}")
        return self

    def below(self, column: str, value: int | None) -> Filter:
        """Add ``column < value`` (nothing when None)."""
        if value is not None:
            self._parts.append(f"{column} < {literal(value)}")
        return self

    def starts_with(self, column: str, prefix: str | None, *, separator: str) -> Filter:
        """Add "``column`` equals ``prefix`` or starts with ``prefix + separator``" (no wildcards).

        Example:
            >>> Filter().starts_with("namespace", "project:a_b", separator=":").sql()
            "(namespace = 'project:a_b' OR starts_with(namespace, 'project:a_b:'))"
        """
        if prefix is not None:
            self._parts.append(
                f"({column} = {literal(prefix)} OR starts_with({column}, {literal(prefix + separator)}))"
            )
        return self

    def extend(self, conditions: Iterable[str]) -> Filter:
        """Add conditions built by this module's methods elsewhere."""
        self._parts.extend(conditions)
        return self

    def sql(self) -> str | None:
        """The filter text, or ``None`` when there is no condition."""
        return " AND ".join(self._parts) if self._parts else None
