r"""Memory namespaces and keys: their grammar, validation and prefix matching.

A namespace is ``scope:segment[:segment...]``:

* ``scope`` is one of :data:`SCOPES`: ``project``, ``app``, ``user``,
  ``session`` (``session:<session id>[:...]``, memories of one session; the id
  spelled as ``str(uuid)`` spells it, lowercase and hyphenated, so that every
  memory of a session is found when it is cleared) and ``temp`` (memories that
  always expire).
* Each segment is 1 to :data:`MAX_SEGMENT_LENGTH` characters of Unicode letters
  (``L*``), marks (``M*``), digits and numbers (``N*``), punctuation (``P*``)
  other than ``:`` (the separator) and symbols (``S*``). Whitespace, control and
  format characters (``Z*``, ``C*``: NUL, newlines, zero-width and bidi
  controls) are rejected. So ``user:alice@example.com``, ``project:my_app:v2.1``,
  ``project:o'hara`` and ``project:100%`` are valid, and ``project:``,
  ``project::a``, ``project:a b`` and ``Project:a`` are not.
* At most :data:`MAX_SEGMENTS` segments after the scope and
  :data:`MAX_NAMESPACE_LENGTH` characters in all.

Namespaces are compared exactly, code point by code point: matching is
case-sensitive and nothing is normalised (``project:A`` and ``project:a`` are
two namespaces).

**Prefix matching.** ``list_memories_by_namespace("project:a")`` returns the
memories of ``project:a`` and of every namespace below it (``project:a:x``,
``project:a:x:y``), never ``project:ab``. A prefix is either a bare scope
(``"project"``: the whole scope) or a valid namespace. In DuckDB the condition
is::

    namespace = $prefix OR starts_with(namespace, $prefix || ':')

with the prefix as a bound parameter (see :data:`PREFIX_SQL`). Why not the
obvious alternatives:

* ``namespace LIKE 'project:a%'`` matches ``project:ab`` (no segment
  boundary), and ``_`` and ``%`` inside a prefix are wildcards:
  ``project:a_b`` would match ``project:axb``. Escaping them (``ESCAPE '\'``)
  works but is one more thing to get wrong on every call site.
* ``GLOB`` (what langgraph's SQLite store uses, being case-sensitive where
  SQLite's LIKE is not) has the same problem with ``*``, ``?`` and ``[``.
* ``starts_with`` compares characters literally: ``%``, ``_``, ``*``, quotes
  and backslashes in a prefix are plain characters, and appending the
  separator enforces the segment boundary. It is case-sensitive, as
  namespaces are.

LanceDB filters use the same formulation
(:meth:`agentlog.index.lance_filter.Filter.starts_with`), with the value
quoted by :func:`agentlog.index.lance_filter.literal`.
"""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

from agentlog.errors import ValidationError
from agentlog.validation import control_character

__all__ = [
    "MAX_KEY_LENGTH",
    "MAX_NAMESPACE_LENGTH",
    "MAX_SEGMENTS",
    "MAX_SEGMENT_LENGTH",
    "PREFIX_SQL",
    "SCOPES",
    "SEPARATOR",
    "memory_uuid",
    "scope_of",
    "session_namespace",
    "validate_key",
    "validate_namespace",
    "validate_namespace_prefix",
]

SCOPES: tuple[str, ...] = ("project", "app", "user", "session", "temp")
"""The allowed first parts of a namespace."""

SEPARATOR = ":"
"""What separates the scope and the segments of a namespace."""

MAX_SEGMENT_LENGTH = 128
"""Longest segment, in characters."""

MAX_SEGMENTS = 16
"""Most segments after the scope."""

MAX_NAMESPACE_LENGTH = 512
"""Longest namespace, in characters."""

MAX_KEY_LENGTH = 256
"""Longest memory key, in characters."""

PREFIX_SQL = "(namespace = {p} OR starts_with(namespace, {p} || ':'))"
"""The DuckDB condition "``namespace`` is ``{p}`` or below it"; ``{p}`` is a placeholder such as ``$1``."""

_ALLOWED_CATEGORIES = frozenset("LMNPS")
_MEMORY_NAMESPACE = uuid.UUID("6f1c4c9e-2a55-5d7e-9b8f-0a6c1e2d3f40")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _check_segment(segment: str, field: str, namespace: str) -> None:
    if not segment:
        raise ValidationError(
            f"{field} {namespace!r} has an empty segment; write scope:segment[:segment...] "
            "with no leading, trailing or doubled ':'",
            field=field,
            value=_short(namespace),
        )
    if len(segment) > MAX_SEGMENT_LENGTH:
        raise ValidationError(
            f"{field} has a segment of {len(segment)} characters; at most {MAX_SEGMENT_LENGTH} are allowed",
            field=field,
            value=_short(namespace),
        )
    for char in segment:
        if unicodedata.category(char)[0] not in _ALLOWED_CATEGORIES:
            raise ValidationError(
                f"{field} {_short(namespace)} contains {char!r} (U+{ord(char):04X}); segments may hold letters, "
                "digits, punctuation other than ':' and symbols, but no whitespace or control characters",
                field=field,
                value=_short(namespace),
            )


def _split(value: Any, field: str, *, allow_bare_scope: bool) -> tuple[str, list[str]]:
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string, got {_short(value)}", field=field, value=_short(value))
    if len(value) > MAX_NAMESPACE_LENGTH:
        raise ValidationError(
            f"{field} is {len(value)} characters long; at most {MAX_NAMESPACE_LENGTH} are allowed",
            field=field,
            value=_short(value),
        )
    scope, *segments = value.split(SEPARATOR)
    if scope not in SCOPES:
        raise ValidationError(
            f"{field} {_short(value)} must start with one of the scopes {', '.join(SCOPES)} "
            f"(lowercase), e.g. 'project:myapp' or 'user:alice'",
            field=field,
            value=_short(value),
        )
    if not segments and not allow_bare_scope:
        raise ValidationError(
            f"{field} {value!r} is only a scope; a namespace is scope:segment[:segment...], e.g. '{scope}:default'",
            field=field,
            value=_short(value),
        )
    if len(segments) > MAX_SEGMENTS:
        raise ValidationError(
            f"{field} has {len(segments)} segments after the scope; at most {MAX_SEGMENTS} are allowed",
            field=field,
            value=_short(value),
        )
    for segment in segments:
        _check_segment(segment, field, value)
    if scope == "session" and segments:
        _check_session_id(segments[0], field, value)
    return scope, segments


def _check_session_id(segment: str, field: str, namespace: str) -> None:
    """The first segment of a ``session:`` namespace is a session id, spelled as ``str(uuid)`` spells it.

    One spelling per session, so that ``clear_session_memories`` and the sweep of ended sessions find them all.
    """
    try:
        canonical = str(uuid.UUID(segment))
    except ValueError:
        canonical = None
    if segment != canonical:
        hint = f"; write 'session:{canonical}'" if canonical else ""
        raise ValidationError(
            f"{field} {_short(namespace)} must name a session by its id as str(uuid) writes it "
            f"(lowercase, hyphenated){hint}",
            field=field,
            value=_short(namespace),
        )


def validate_namespace(value: Any, field: str = "namespace") -> str:
    """Check a namespace (``scope:segment[:segment...]``) and return it unchanged.

    Raises:
        ValidationError: If it does not follow the grammar of this module.

    Example:
        >>> validate_namespace("project:agentlog:memory")
        'project:agentlog:memory'
        >>> validate_namespace("project:")
        Traceback (most recent call last):
        ...
        agentlog.errors.ValidationError: namespace 'project:' has an empty segment; write scope:segment[:segment...] \
with no leading, trailing or doubled ':'
    """
    _split(value, field, allow_bare_scope=False)
    return value  # type: ignore[no-any-return]


def validate_namespace_prefix(value: Any, field: str = "namespace_prefix") -> str:
    """Check a namespace prefix: a bare scope (``"project"``) or a whole namespace.

    A prefix selects the namespace itself and every namespace below it; it is
    never a partial segment (``"project:a"`` does not select ``project:ab``).

    Example:
        >>> validate_namespace_prefix("user")
        'user'
        >>> validate_namespace_prefix("user:alice")
        'user:alice'
    """
    _split(value, field, allow_bare_scope=True)
    return value  # type: ignore[no-any-return]


def scope_of(namespace: str) -> str:
    """Return the scope of a valid namespace.

    Example:
        >>> scope_of("temp:scratch")
        'temp'
    """
    return namespace.split(SEPARATOR, 1)[0]


def session_namespace(session_id: uuid.UUID) -> str:
    """The namespace of one session's memories: ``session:<id>``.

    Example:
        >>> session_namespace(uuid.UUID(int=1))
        'session:00000000-0000-0000-0000-000000000001'
    """
    return f"session{SEPARATOR}{session_id}"


def validate_key(value: Any, field: str = "key") -> str:
    """Check a memory key: 1 to :data:`MAX_KEY_LENGTH` characters, no control characters, not blank.

    Keys are free text within those bounds (``ui_theme``, ``favourite colour``,
    ``step:3``) and, like namespaces, compared exactly.

    Example:
        >>> validate_key("ui_theme")
        'ui_theme'
    """
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string, got {_short(value)}", field=field, value=_short(value))
    if not value.strip():
        raise ValidationError(f"{field} must not be empty or blank", field=field, value=_short(value))
    if len(value) > MAX_KEY_LENGTH:
        raise ValidationError(
            f"{field} is {len(value)} characters long; at most {MAX_KEY_LENGTH} are allowed",
            field=field,
            value=_short(value),
        )
    char = control_character(value)
    if char is not None:
        raise ValidationError(
            f"{field} contains the control character U+{ord(char):04X}: {_short(value)}",
            field=field,
            value=_short(value),
        )
    return value


def memory_uuid(namespace: str, key: str) -> uuid.UUID:
    """The stable id of a memory (all versions of one namespace + key): a UUIDv5.

    It identifies the memory's vector in the index, so an update replaces the
    vector instead of adding one.

    Example:
        >>> memory_uuid("user:alice", "ui_theme") == memory_uuid("user:alice", "ui_theme")
        True
        >>> memory_uuid("user:alice", "ui_theme") == memory_uuid("user:alice:ui", "theme")
        False
    """
    return uuid.uuid5(_MEMORY_NAMESPACE, f"{namespace}\x00{key}")
